package aggregate

import (
	"encoding/binary"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/flowlens/flowlens/flowlog"
)

// Worker aggregates the batches one goroutine reads: no locks per row, no allocation per row.
// Batches are processed a column at a time: a selection of rows, then the keys of the selected rows,
// then one hash probe per row, then one pass per measure.
//
// Group-bys whose key holds an address (sources, conversations: millions of groups) are hash-sharded
// across the workers of a run: the worker that reads a batch computes the keys and their hashes,
// keeps the rows of its own shard and sends each other worker its rows (one message per batch,
// group-by and worker), so that every group lives in exactly one worker and nothing is held twice or
// merged. The other group-bys are small; each worker keeps all of its groups and Merge combines them.
type Worker struct {
	e       *Engine
	id      int
	ex      *exchange  // nil for a worker of its own
	tables  []*table   // per spec: wide keys
	ntables []*table   // per spec: narrow keys (nil when the key has no address)
	dtables [][]*table // per spec, per distinct field

	// Counts of the rows seen, for the input accounting.
	Rows       int64 // rows of the batches (records, NODATA and SKIPDATA)
	InRange    int64 // records whose start lies in the engine's range
	OutOfRange int64 // records outside it (or with no start when a range is set)
	seen       [numFieldSlots]bool

	own    batchCtx // the batch being added
	peer   batchCtx // the batch of the chunk being applied (another worker's)
	base   []int32
	sels   [][]int32  // per condition set: the rows that meet its conditions (buffers)
	fsels  [][]int32  // per condition set: the rows its filter kept (buffers)
	cur    [][]int32  // per condition set: the selection of the batch in hand
	selors []Selector // per condition set: its filter's selector (nil without a filter)
	scan   Selector   // the scan's filter
	scanS  []int32
	serial uint64
	// sumBound holds, per Engine.sumFields, the sum of the absolute values added so far: no sum of
	// the field can exceed it.
	sumBound []uint64
	out      []*chunk // per worker, while routing a batch
	err      error    // the first failure of a chunk applied while sending or draining
	// Blobs are the caller's blobs of a state that LoadState read (Result.Blobs).
	Blobs [][]byte
	// derive computes the engine's derived fields (nil without a Deriver or when none is read).
	derive func(arrow.RecordBatch) (arrow.RecordBatch, error)
}

const numFieldSlots = 128

// probeRun is the number of keys whose slots are loaded ahead of their probes.
const probeRun = 64

// prefetchSink keeps the loads of the look-ahead from being optimised away.
var prefetchSink atomic.Uint64

// batchCtx is one batch's columns as Go slices, and the scratch of the work on it.
type batchCtx struct {
	w        *Worker
	rec      arrow.RecordBatch
	id       uint64 // producer<<40 | serial
	schema   *arrow.Schema
	colIdx   [numFieldSlots]int
	views    [numFieldSlots]colView
	gen      uint32
	zone     zoneCache
	rej      []bool // per row: action is REJECT (for the rows marked so far)
	keys     []uint64
	dkeys    []uint64
	hashes   []uint64
	gids     []uint32
	dictGids []uint32 // probeDict: per dictionary entry (and null), its group or noGroup
	scope    []int32  // every selection of this batch is a subset of scope
	ops      []measureOp
	selN     []int32
	selW     []int32
}

// colView is one column of the batch in hand, as Go slices.
type colView struct {
	gen   uint32
	ok    bool
	valid []byte // nil when the column has no nulls
	voff  int
	kind  flowlog.Kind
	i64   []int64
	i32   []int32
	u16   []uint16
	u8    []uint8
	addr  []byte
	dict  *array.String
	ids   []uint64 // dictionary index -> string id, made on first use
	idsOK bool
	// scopeNulls says whether a row of the context's scope is null: 0 not known yet, 1 no, 2 yes.
	scopeNulls int8
	conv       []int64 // the values as int64s, for aggregates of narrow columns (nil until made)
	convBuf    []int64 // conv's storage, kept from batch to batch
}

func (c *colView) isNull(r int32) bool {
	return c.valid != nil && !bitutil.BitIsSet(c.valid, c.voff+int(r))
}

// exchange carries rows between the workers of a run: one inbox per worker.
type exchange struct {
	inbox     []chan *chunk
	producing atomic.Int32
	pool      sync.Pool
}

// chunk is the rows of one batch, for one sharded group-by, that belong to another worker's shard:
// their row numbers, keys and hashes. The batch is retained until the receiver has applied them.
type chunk struct {
	rec     arrow.RecordBatch
	batchID uint64 // producer<<40 | serial
	spec    int
	narrow  bool
	sel     []int32
	keys    []uint64
	hashes  []uint64
}

// NewWorker returns a worker of its own: it keeps every group it sees.
func (e *Engine) NewWorker() *Worker {
	w := &Worker{e: e}
	for i := range e.specs {
		t, nt, ds := e.newTables(i)
		w.tables = append(w.tables, t)
		w.ntables = append(w.ntables, nt)
		w.dtables = append(w.dtables, ds)
	}
	w.sels = make([][]int32, len(e.conds))
	w.fsels = make([][]int32, len(e.conds))
	w.cur = make([][]int32, len(e.conds))
	w.selors = make([]Selector, len(e.conds))
	for i, cs := range e.conds {
		if cs.filter != nil {
			w.selors[i] = cs.filter.New()
		}
	}
	if sc := e.cfg.Scan; sc != nil && sc.Filter != nil {
		w.scan = sc.Filter.New()
	}
	w.own = batchCtx{w: w, zone: newZoneCache(e.cfg.Location)}
	w.peer = batchCtx{w: w, zone: newZoneCache(e.cfg.Location)}
	if e.cfg.Derive != nil && len(e.derived) > 0 {
		w.derive = e.cfg.Derive.New(e.derived)
	}
	return w
}

// inboxBatches is how many batches' chunks a worker's inbox holds.
const inboxBatches = 4

// NewWorkers returns n workers that shard the large group-bys between them. Each must be driven by
// its own goroutine: Add its batches, then Done, then Drain (which returns when every worker is done);
// only then may they be merged.
func (e *Engine) NewWorkers(n int) []*Worker {
	ws := make([]*Worker, n)
	var ex *exchange
	if n > 1 {
		ex = &exchange{inbox: make([]chan *chunk, n)}
		ex.producing.Store(int32(n))
		// Room for the chunks of a few batches (one chunk per sharded group-by and batch): a chunk
		// holds its batch, so a deeper inbox holds more batches, not more speed.
		sharded := 0
		for i := range e.specs {
			if e.layouts[i].nw > 0 {
				sharded++
			}
		}
		for i := range ex.inbox {
			ex.inbox[i] = make(chan *chunk, inboxBatches*max(sharded, 1))
		}
	}
	for i := range ws {
		ws[i] = e.NewWorker()
		ws[i].id = i
		ws[i].ex = ex
	}
	return ws
}

// sharded reports whether spec i is hash-sharded across workers.
func (w *Worker) sharded(i int) bool { return w.ex != nil && w.e.layouts[i].nw > 0 }

// Done says that this worker will Add no more batches.
func (w *Worker) Done() {
	if w.ex != nil && w.ex.producing.Add(-1) == 0 {
		for _, c := range w.ex.inbox {
			close(c)
		}
	}
}

// Drain applies the rows other workers send until all of them are done, and returns the first
// failure of this worker.
func (w *Worker) Drain() error {
	if w.ex != nil {
		for c := range w.ex.inbox[w.id] {
			w.apply(c)
		}
	}
	return w.err
}

// inbox is the channel of rows sent to this worker (nil for a worker of its own).
func (w *Worker) inbox() <-chan *chunk {
	if w.ex == nil {
		return nil
	}
	return w.ex.inbox[w.id]
}

// send hands c to worker p, applying what arrives meanwhile so that two workers sending to each
// other never wait for each other.
func (w *Worker) send(p int, c *chunk) {
	for {
		select {
		case w.ex.inbox[p] <- c:
			return
		case in := <-w.ex.inbox[w.id]:
			w.apply(in)
		}
	}
}

// apply adds the rows of a chunk from another worker to this worker's shard.
func (w *Worker) apply(c *chunk) {
	b := &w.peer
	b.reset(c.rec, c.batchID)
	b.scope = c.sel
	t := w.tables[c.spec]
	if c.narrow {
		t = w.ntables[c.spec]
	}
	if w.e.needRej {
		b.markRejects(c.sel)
	}
	if err := b.probeKeys(c.spec, t, c.sel, c.keys, c.hashes); err != nil && w.err == nil {
		w.err = err
	}
	b.rec = nil
	c.rec.Release()
	c.rec = nil
	w.ex.pool.Put(c)
}

// Seen reports whether any batch this worker read had the field.
func (w *Worker) Seen(f flowlog.FieldID) bool { return w.seen[f] }

// Release gives the worker's memory back to the budget.
func (w *Worker) Release() {
	for i, t := range w.tables {
		if t != nil {
			t.release()
		}
		if nt := w.ntables[i]; nt != nil {
			nt.release()
		}
		for _, d := range w.dtables[i] {
			d.release()
		}
	}
}

// reset points the context at a new batch.
func (b *batchCtx) reset(rec arrow.RecordBatch, id uint64) {
	b.rec, b.id = rec, id
	b.gen++
	schema := rec.Schema()
	if schema != b.schema {
		b.schema = schema
		for i := range b.colIdx {
			b.colIdx[i] = -1
		}
		for i, f := range schema.Fields() {
			if id, ok := flowlog.LookupField(f.Name); ok {
				b.colIdx[id] = i
			}
		}
	}
	n := int(rec.NumRows())
	if cap(b.rej) < n {
		b.rej = make([]bool, n)
	}
	b.rej = b.rej[:n]
}

// view returns field f of the batch as slices (ok false when the batch lacks it).
func (b *batchCtx) view(f flowlog.FieldID) *colView {
	c := &b.views[f]
	if c.gen == b.gen {
		return c
	}
	*c = colView{gen: b.gen, ids: c.ids[:0], convBuf: c.convBuf, kind: flowlog.Fields[f].Kind}
	ci := b.colIdx[f]
	if ci < 0 {
		return c
	}
	a := b.rec.Column(ci)
	c.ok = true
	if a.NullN() > 0 {
		c.valid = a.NullBitmapBytes()
		c.voff = a.Data().Offset()
	}
	switch c.kind {
	case flowlog.KindString:
		d := a.(*array.Dictionary)
		c.i32 = d.Indices().(*array.Int32).Int32Values()
		c.dict = d.Dictionary().(*array.String)
	case flowlog.KindAddr:
		buf := a.Data().Buffers()[1].Bytes()
		off := a.Data().Offset() * 16
		c.addr = buf[off : off+a.Len()*16]
	case flowlog.KindPort:
		c.u16 = a.(*array.Uint16).Uint16Values()
	case flowlog.KindProto:
		c.u8 = a.(*array.Uint8).Uint8Values()
	case flowlog.KindInt32:
		c.i32 = a.(*array.Int32).Int32Values()
	default:
		c.i64 = a.(*array.Int64).Int64Values()
	}
	return c
}

// stringIDs returns the run-wide ids of a string column's dictionary.
func (b *batchCtx) stringIDs(c *colView) []uint64 {
	if !c.idsOK {
		var err error
		c.ids, err = b.w.e.strs.remap(c.dict, c.ids)
		if err != nil && b.w.err == nil {
			b.w.err = err
		}
		c.idsOK = true
	}
	return c.ids
}

// dictMatch returns, per dictionary index of c, whether the value is one of in.
func dictMatch(c *colView, in []string) []bool {
	m := make([]bool, c.dict.Len())
	for i := range m {
		if c.dict.IsNull(i) {
			continue
		}
		v := c.dict.Value(i)
		for _, s := range in {
			if v == s {
				m[i] = true
				break
			}
		}
	}
	return m
}

// Add aggregates one batch. It fails only when the memory budget is crossed.
func (w *Worker) Add(rec arrow.RecordBatch) error {
	n := int(rec.NumRows())
	if n == 0 {
		return w.err
	}
	if w.derive != nil {
		d, err := w.derive(rec)
		if err != nil {
			return err
		}
		defer d.Release()
		rec = d
	}
	w.serial++
	b := &w.own
	b.reset(rec, uint64(w.id)<<40|w.serial)
	defer func() { b.rec = nil }()
	for _, f := range rec.Schema().Fields() {
		if id, ok := flowlog.LookupField(f.Name); ok {
			w.seen[id] = true
		}
	}
	w.Rows += int64(n)
	w.selectBase()
	if len(w.base) == 0 {
		return w.err
	}
	if err := w.checkSums(); err != nil {
		return err
	}
	for ci, cs := range w.e.conds {
		sel := w.selectWhere(cs.conds, w.sels[ci])
		if len(cs.conds) > 0 {
			w.sels[ci] = sel // keep the buffer (without conditions sel is w.base)
		}
		if f := w.selors[ci]; f != nil && len(sel) > 0 {
			w.fsels[ci] = f.Select(rec, sel, w.fsels[ci][:0])
			sel = w.fsels[ci]
		}
		w.cur[ci] = sel
	}
	if sc := w.e.cfg.Scan; sc != nil {
		sel := w.base
		if w.scan != nil {
			w.scanS = w.scan.Select(rec, w.base, w.scanS[:0])
			sel = w.scanS
		}
		if len(sel) > 0 {
			if err := sc.Sink(w.id, rec, sel); err != nil {
				return err
			}
		}
	}
	if w.e.needRej {
		b.markRejects(w.base)
	}
	for i := range w.e.specs {
		sel := w.cur[w.e.specCond[i]]
		if len(sel) == 0 {
			continue
		}
		if err := w.addSpec(i, sel); err != nil {
			return err
		}
	}
	return w.err
}

// checkSums adds the absolute values of the summed fields of the batch's records to sumBound and
// fails when a bound reaches 2^63: one pass per batch and field, no check per addition.
func (w *Worker) checkSums() error {
	if len(w.sumBound) != len(w.e.sumFields) {
		w.sumBound = make([]uint64, len(w.e.sumFields))
	}
	b := &w.own
	for i, f := range w.e.sumFields {
		col := b.view(f)
		if !col.ok {
			continue
		}
		vals := b.int64s(col)
		if vals == nil {
			continue
		}
		// One pass adds the values and ORs them: when no value is negative and the largest times
		// the rows stays below 2^63, the plain sum cannot have wrapped and is exact. Otherwise (only
		// with implausible values) a second pass adds with carries.
		var s, or, carry uint64
		for _, r := range w.base {
			v := uint64(vals[r])
			s += v
			or |= v
		}
		if int64(or) < 0 || bits.Len64(or)+bits.Len64(uint64(len(w.base))) > 63 {
			s = 0
			for _, r := range w.base {
				v := vals[r]
				a := uint64(v)
				if v < 0 {
					a = -a // math.MinInt64 stays 2^63, which the bound below refuses
				}
				var c uint64
				s, c = bits.Add64(s, a, 0)
				carry |= c
			}
		}
		var c uint64
		w.sumBound[i], c = bits.Add64(w.sumBound[i], s, 0)
		if carry|c != 0 || w.sumBound[i] > math.MaxInt64 {
			w.err = &OverflowError{Field: flowlog.Fields[f].Name}
			return w.err
		}
	}
	return nil
}

// selectBase selects the records (not NODATA or SKIPDATA) whose start lies in the range.
func (w *Worker) selectBase() {
	b := &w.own
	n := int(b.rec.NumRows())
	base := w.base[:0]
	status := b.view(flowlog.FLogStatus)
	var skip []bool
	if status.ok {
		skip = dictMatch(status, []string{"NODATA", "SKIPDATA"})
	}
	for r := int32(0); r < int32(n); r++ {
		if skip != nil && !status.isNull(r) && skip[status.i32[r]] {
			continue
		}
		base = append(base, r)
	}
	records := len(base)
	if w.e.hasFrom || w.e.hasTo {
		start := b.view(flowlog.FStart)
		kept := base[:0]
		for _, r := range base {
			if !start.ok || start.isNull(r) {
				continue
			}
			v := start.i64[r]
			if (w.e.hasFrom && v < w.e.from) || (w.e.hasTo && v >= w.e.to) {
				continue
			}
			kept = append(kept, r)
		}
		base = kept
	}
	w.InRange += int64(len(base))
	w.OutOfRange += int64(records - len(base))
	w.base = base
	b.scope = base
}

// selectWhere narrows the base selection to the rows that meet every condition.
func (w *Worker) selectWhere(conds []Cond, out []int32) []int32 {
	if len(conds) == 0 {
		return w.base
	}
	out = append(out[:0], w.base...)
	for _, cd := range conds {
		if len(cd.Differ) > 0 {
			out = w.selectDiffer(cd.Differ, out)
			continue
		}
		c := w.own.view(cd.Field)
		if !c.ok {
			return out[:0]
		}
		m := dictMatch(c, cd.In)
		kept := out[:0]
		for _, r := range out {
			if !c.isNull(r) && m[c.i32[r]] {
				kept = append(kept, r)
			}
		}
		out = kept
	}
	return out
}

// selectDiffer keeps the rows of sel in which some pair of address fields differs (both sides valid).
func (w *Worker) selectDiffer(pairs [][2]flowlog.FieldID, sel []int32) []int32 {
	var views [4][2]*colView
	if len(pairs) > len(views) {
		panic("BUG: more than 4 address pairs in a condition")
	}
	for i, p := range pairs {
		views[i] = [2]*colView{w.own.view(p[0]), w.own.view(p[1])}
	}
	kept := sel[:0]
	for _, r := range sel {
		for _, v := range views[:len(pairs)] {
			a, b := v[0], v[1]
			if !a.ok || !b.ok || a.isNull(r) || b.isNull(r) {
				continue
			}
			if string(a.addr[int(r)*16:int(r)*16+16]) != string(b.addr[int(r)*16:int(r)*16+16]) {
				kept = append(kept, r)
				break
			}
		}
	}
	return kept
}

// markRejects sets b.rej[r] for the rows of sel, true when the action is REJECT.
func (b *batchCtx) markRejects(sel []int32) {
	act := b.view(flowlog.FAction)
	if !act.ok {
		for _, r := range sel {
			b.rej[r] = false
		}
		return
	}
	m := dictMatch(act, []string{"REJECT"})
	for _, r := range sel {
		b.rej[r] = !act.isNull(r) && m[act.i32[r]]
	}
}

// addSpec aggregates the selected rows of the own batch into spec i's tables (or shards).
func (w *Worker) addSpec(i int, sel []int32) error {
	b := &w.own
	kl := &w.e.layouts[i]
	if kl.nw == 0 {
		if err := w.route(i, w.tables[i], sel, false); err != nil {
			return err
		}
	} else {
		narrow, wide := b.splitV4(kl, sel)
		if err := w.route(i, w.ntables[i], narrow, true); err != nil {
			return err
		}
		if err := w.route(i, w.tables[i], wide, false); err != nil {
			return err
		}
	}
	for j, dl := range w.e.dlayouts[i] {
		if err := b.addDistinct(i, j, &dl, sel, w.dtables[i][j]); err != nil {
			return err
		}
	}
	return nil
}

// route computes the keys and hashes of the selected rows; those of this worker's shard (all of
// them when the spec is not sharded) go into t, the others to their workers.
func (w *Worker) route(i int, t *table, sel []int32, narrow bool) error {
	n := len(sel)
	if n == 0 {
		return nil
	}
	b := &w.own
	kl := &w.e.layouts[i]
	if kl.dictKey() && !w.sharded(i) {
		if c := b.view(kl.parts[0].Field); c.ok {
			return b.probeDict(i, t, c, sel)
		}
	}
	kw := t.w
	b.keys = grow(b.keys, n*kw)
	b.fillKeys(kl, sel, b.keys, kw, 0, narrow)
	b.hashes = grow(b.hashes, n)
	for k := 0; k < n; k++ {
		b.hashes[k] = hashKey(b.keys[k*kw : k*kw+kw])
	}
	if !w.sharded(i) {
		return b.probeKeys(i, t, sel, b.keys, b.hashes)
	}
	nw := len(w.ex.inbox)
	out := w.out[:0]
	for range nw {
		out = append(out, nil)
	}
	w.out = out
	for p := range out {
		c, _ := w.ex.pool.Get().(*chunk)
		if c == nil {
			c = &chunk{}
		}
		c.spec, c.narrow, c.batchID = i, narrow, b.id
		c.sel, c.keys, c.hashes = c.sel[:0], c.keys[:0], c.hashes[:0]
		out[p] = c
	}
	for k, r := range sel {
		h := b.hashes[k]
		c := out[partitionOf(h, nw)]
		c.sel = append(c.sel, r)
		c.keys = append(c.keys, b.keys[k*kw:k*kw+kw]...)
		c.hashes = append(c.hashes, h)
	}
	mine := out[w.id]
	err := b.probeKeys(i, t, mine.sel, mine.keys, mine.hashes)
	w.ex.pool.Put(mine)
	for p, c := range out {
		if p == w.id {
			continue
		}
		if len(c.sel) == 0 {
			w.ex.pool.Put(c)
			continue
		}
		b.rec.Retain()
		c.rec = b.rec
		w.send(p, c)
	}
	return err
}

// probeKeys finds (or adds) the groups of the given keys in t and adds the rows' measures.
func (b *batchCtx) probeKeys(i int, t *table, sel []int32, keys, hashes []uint64) error {
	n := len(sel)
	if n == 0 {
		return nil
	}
	kw := t.w
	b.gids = growU32(b.gids, n)
	gids := b.gids
	ops, plain := b.measureOps(&b.w.e.specs[i], t)
	// Work in runs: first load the slot of every key of the run, independent loads whose cache
	// misses overlap; then probe with the slots in cache; then update the groups found while their
	// rows are still in cache. A large table misses on nearly every probe.
	var sink uint64
	for k0 := 0; k0 < n; k0 += probeRun {
		k1 := min(k0+probeRun, n)
		slots, shift := t.slots, t.shift
		for _, h := range hashes[k0:k1] {
			sink += slots[h>>shift]
		}
		for k := k0; k < k1; k++ {
			gids[k] = t.find(keys[k*kw:k*kw+kw], hashes[k])
		}
		b.updateAll(ops, plain, t, sel[k0:k1], gids[k0:k1])
	}
	prefetchSink.Add(sink)
	return t.err
}

// probeDict is probeKeys for a key that is one string column: the batch's column is dictionary
// encoded, so each dictionary entry is looked up once per batch and each row's group is read from
// the entry's; no key or hash is computed per row.
func (b *batchCtx) probeDict(i int, t *table, c *colView, sel []int32) error {
	ids := b.stringIDs(c)
	nulls := len(ids) // the entry of the null key
	dg := b.dictGids[:0]
	for range nulls + 1 {
		dg = append(dg, noGroup)
	}
	b.dictGids = dg
	b.gids = growU32(b.gids, len(sel))
	gids := b.gids
	var key [1]uint64
	for k, r := range sel {
		d := nulls
		if !c.isNull(r) {
			d = int(c.i32[r])
		}
		g := dg[d]
		if g == noGroup {
			key[0] = 0 // the null key
			if d != nulls {
				key[0] = ids[d]
			}
			g = t.find(key[:], hashKey(key[:]))
			dg[d] = g
		}
		gids[k] = g
	}
	ops, plain := b.measureOps(&b.w.e.specs[i], t)
	b.updateAll(ops, plain, t, sel, gids)
	return t.err
}

// noGroup marks a dictionary entry whose group is not looked up yet.
const noGroup = ^uint32(0)

// scopeHasNull reports whether c is null in a row of the batch's scope (records are seldom null:
// NODATA and SKIPDATA rows, which are, are never selected), once per batch and column.
func (b *batchCtx) scopeHasNull(c *colView) bool {
	if c.valid == nil {
		return false
	}
	if c.scopeNulls == 0 {
		c.scopeNulls = 1
		for _, r := range b.scope {
			if c.isNull(r) {
				c.scopeNulls = 2
				break
			}
		}
	}
	return c.scopeNulls == 2
}

// measureOp is one measure's update, with its column chosen once per batch.
type measureOp struct {
	op   opKind
	m    Measure
	off  int
	vals []int64  // the values summed or compared; nil for the counts
	col  *colView // for its nulls (nil when the batch's records have none)
}

type opKind uint8

const (
	opFlows opKind = iota
	opRejFlows
	opSum
	opRejSum
	opMin
	opMax
	opCount // rows whose value is not null
	opNulls // rows whose value is null
)

// measureOps chooses, once per batch and table, how each measure is updated; plain says the measures
// are bytes, packets and flows over columns without nulls among the batch's records.
func (b *batchCtx) measureOps(s *Spec, t *table) ([]measureOp, bool) {
	ops := b.ops[:0]
	nulls := false
	add := func(op measureOp, f flowlog.FieldID) {
		c := b.view(f)
		if !c.ok {
			return // nothing to add
		}
		if op.op != opCount {
			op.vals = b.int64s(c)
		}
		if b.scopeHasNull(c) {
			op.col = c
			nulls = true
		}
		ops = append(ops, op)
	}
	for _, m := range s.Measures {
		op := measureOp{m: m, off: t.moff[m]}
		switch m {
		case Flows:
			op.op = opFlows
			ops = append(ops, op)
		case RejectFlows:
			op.op = opRejFlows
			ops = append(ops, op)
		case Bytes:
			op.op = opSum
			add(op, flowlog.FBytes)
		case Packets:
			op.op = opSum
			add(op, flowlog.FPackets)
		case RejectBytes:
			op.op = opRejSum
			add(op, flowlog.FBytes)
		case RejectPackets:
			op.op = opRejSum
			add(op, flowlog.FPackets)
		case MinStart:
			op.op = opMin
			add(op, flowlog.FStart)
		case MaxEnd:
			op.op = opMax
			add(op, flowlog.FEnd)
		}
	}
	for j, a := range s.Aggs {
		m := AggMeasure(j)
		op := measureOp{m: m, off: t.moff[m]}
		if a.Op == AggNulls {
			// Nothing to do for a batch without nulls in the column: the fast path stays open.
			switch c := b.view(a.Field); {
			case !c.ok:
				op.op = opFlows
				ops = append(ops, op)
			case b.scopeHasNull(c):
				op.op, op.col = opNulls, c
				nulls = true
				ops = append(ops, op)
			}
			continue
		}
		switch a.Op {
		case AggSum:
			op.op = opSum
		case AggMin:
			op.op = opMin
		case AggMax:
			op.op = opMax
		default:
			op.op = opCount
		}
		add(op, a.Field)
	}
	b.ops = ops
	return ops, !nulls && len(ops) == 3 && ops[0].m == Bytes && ops[1].m == Packets && ops[2].m == Flows
}

// int64s returns a numeric column's values as int64s: the column itself for counters and times,
// a conversion (once per batch) for the narrower kinds.
func (b *batchCtx) int64s(c *colView) []int64 {
	switch c.kind {
	case flowlog.KindInt64, flowlog.KindTime:
		return c.i64
	case flowlog.KindPort, flowlog.KindProto, flowlog.KindInt32:
	default:
		return nil
	}
	if c.conv != nil {
		return c.conv
	}
	n := int(b.rec.NumRows())
	buf := c.convBuf[:0]
	switch c.kind {
	case flowlog.KindPort:
		for _, v := range c.u16[:n] {
			buf = append(buf, int64(v))
		}
	case flowlog.KindProto:
		for _, v := range c.u8[:n] {
			buf = append(buf, int64(v))
		}
	default:
		for _, v := range c.i32[:n] {
			buf = append(buf, int64(v))
		}
	}
	c.conv, c.convBuf = buf, buf
	return buf
}

// updateAll adds the selected rows to the measures of their groups, one row at a time so that each
// group's row is fetched once for all its measures. Null values add nothing.
func (b *batchCtx) updateAll(ops []measureOp, plain bool, t *table, sel []int32, gids []uint32) {
	// Rows are found as table.row does, written out: the call, though inlined, measured 3 % slower
	// (BenchmarkAggregate, 1 worker, median of 7).
	segs, stride := t.segs, t.stride
	// The plain traffic measures without nulls: the common case, without a switch per value.
	if plain {
		ob, op, of := ops[0].off, ops[1].off, ops[2].off
		by, pk := ops[0].vals, ops[1].vals
		for k, r := range sel {
			g := int(gids[k])
			o := (g & segMask) * stride
			row := segs[g>>segShift][o : o+stride]
			row[ob] += uint64(by[r])
			row[op] += uint64(pk[r])
			row[of]++
		}
		return
	}
	if len(segs) == 1 && len(segs[0])*8 <= smallTable {
		b.updateEach(ops, t, sel, gids)
		return
	}
	rej := b.rej
	for k, r := range sel {
		g := int(gids[k])
		o := (g & segMask) * stride
		row := segs[g>>segShift][o : o+stride]
		for _, o := range ops {
			if o.op == opNulls {
				if o.col.isNull(r) {
					row[o.off]++
				}
				continue
			}
			if o.col != nil && o.col.isNull(r) {
				continue
			}
			switch o.op {
			case opFlows, opCount:
				row[o.off]++
			case opRejFlows:
				if rej[r] {
					row[o.off]++
				}
			case opSum:
				row[o.off] += uint64(o.vals[r])
			case opRejSum:
				if rej[r] {
					row[o.off] += uint64(o.vals[r])
				}
			case opMin:
				if x := o.vals[r]; x < int64(row[o.off]) {
					row[o.off] = uint64(x)
				}
			case opMax:
				if x := o.vals[r]; x > int64(row[o.off]) {
					row[o.off] = uint64(x)
				}
			}
		}
	}
}

// smallTable is the size of rows below which the measures are updated one at a time: the rows stay
// in cache, and a loop per measure has no switch per value.
const smallTable = 256 << 10

// updateEach is updateAll one measure at a time, for tables that fit in cache (in one segment).
func (b *batchCtx) updateEach(ops []measureOp, t *table, sel []int32, gids []uint32) {
	rows, stride, rej := t.segs[0], t.stride, b.rej
	for _, o := range ops {
		off, vals := o.off, o.vals
		if o.op == opNulls {
			for k, r := range sel {
				if o.col.isNull(r) {
					rows[int(gids[k])*stride+off]++
				}
			}
			continue
		}
		if o.col != nil { // values with nulls: a check per row
			for k, r := range sel {
				if o.col.isNull(r) {
					continue
				}
				p := &rows[int(gids[k])*stride+off]
				switch o.op {
				case opFlows, opCount:
					*p++
				case opRejFlows:
					if rej[r] {
						*p++
					}
				case opSum:
					*p += uint64(vals[r])
				case opRejSum:
					if rej[r] {
						*p += uint64(vals[r])
					}
				case opMin:
					*p = uint64(min(int64(*p), vals[r]))
				case opMax:
					*p = uint64(max(int64(*p), vals[r]))
				}
			}
			continue
		}
		switch o.op {
		case opFlows, opCount:
			for k := range sel {
				rows[int(gids[k])*stride+off]++
			}
		case opRejFlows:
			for k, r := range sel {
				if rej[r] {
					rows[int(gids[k])*stride+off]++
				}
			}
		case opSum:
			for k, r := range sel {
				rows[int(gids[k])*stride+off] += uint64(vals[r])
			}
		case opRejSum:
			for k, r := range sel {
				if rej[r] {
					rows[int(gids[k])*stride+off] += uint64(vals[r])
				}
			}
		case opMin:
			for k, r := range sel {
				p := &rows[int(gids[k])*stride+off]
				*p = uint64(min(int64(*p), vals[r]))
			}
		case opMax:
			for k, r := range sel {
				p := &rows[int(gids[k])*stride+off]
				*p = uint64(max(int64(*p), vals[r]))
			}
		}
	}
}

// addDistinct records the (group key, value) pairs of distinct field j of spec i in t; the group
// key is in its wide form.
func (b *batchCtx) addDistinct(i, j int, dl *keyLayout, sel []int32, t *table) error {
	kl := &b.w.e.layouts[i]
	kw := kl.w
	dw := kw + dl.w
	n := len(sel)
	b.dkeys = grow(b.dkeys, n*dw)
	b.fillKeys(kl, sel, b.dkeys, dw, 0, false)
	b.fillKeys(dl, sel, b.dkeys, dw, kw, false)
	for k := 0; k < n; k++ {
		key := b.dkeys[k*dw : k*dw+dw]
		t.find(key, hashKey(key))
	}
	return t.err
}

// fillKeys writes the key words of the selected rows: row k's key at dst[k*stride+base:]. With
// narrow, the rows must all have IPv4 addresses (splitV4 chose them) and keys take the narrow form.
func (b *batchCtx) fillKeys(kl *keyLayout, sel []int32, dst []uint64, stride, base int, narrow bool) {
	if narrow {
		for k := range sel {
			clear(dst[k*stride+base : k*stride+base+kl.nw])
		}
	} else if kl.nullW >= 0 {
		for k := range sel {
			dst[k*stride+base+kl.nullW] = 0
		}
	}
	addrPart := 0
	for p, key := range kl.parts {
		o := base + kl.offs[p]
		if narrow {
			o = base + kl.noffs[p]
		}
		c := b.view(key.Field)
		kind := kl.kinds[p]
		if kind == flowlog.KindAddr {
			if narrow {
				sh := kl.nshift[p]
				for k, r := range sel {
					dst[k*stride+o] |= uint64(binary.BigEndian.Uint32(c.addr[int(r)*16+12:])) << sh
				}
				continue
			}
			bit := uint64(1) << addrPart
			addrPart++
			for k, r := range sel {
				d := dst[k*stride+o : k*stride+o+2]
				if !c.ok || c.isNull(r) {
					d[0], d[1] = 0, 0
					dst[k*stride+base+kl.nullW] |= bit
					continue
				}
				a := c.addr[int(r)*16 : int(r)*16+16]
				d[0] = binary.BigEndian.Uint64(a[:8])
				d[1] = binary.BigEndian.Uint64(a[8:])
			}
			continue
		}
		if !c.ok {
			for k := range sel {
				dst[k*stride+o] = 0
			}
			continue
		}
		switch kind {
		case flowlog.KindString:
			ids := b.stringIDs(c)
			for k, r := range sel {
				if c.isNull(r) {
					dst[k*stride+o] = 0
				} else {
					dst[k*stride+o] = ids[c.i32[r]]
				}
			}
		case flowlog.KindPort:
			for k, r := range sel {
				dst[k*stride+o] = uint64(c.u16[r]) + 1
			}
		case flowlog.KindProto:
			for k, r := range sel {
				dst[k*stride+o] = uint64(c.u8[r]) + 1
			}
		case flowlog.KindInt32:
			for k, r := range sel {
				dst[k*stride+o] = uint64(uint32(c.i32[r])) + 1
			}
		case flowlog.KindInt64, flowlog.KindTime:
			switch key.Trunc {
			case TruncNone:
				for k, r := range sel {
					dst[k*stride+o] = uint64(c.i64[r]) + 1
				}
			case TruncHour:
				for k, r := range sel {
					dst[k*stride+o] = uint64(b.zone.hourStart(c.i64[r])) + 1
				}
			case TruncDay:
				for k, r := range sel {
					dst[k*stride+o] = uint64(b.zone.day(c.i64[r])) + 1
				}
			default:
				for k, r := range sel {
					dst[k*stride+o] = uint64(b.zone.truncate(key.Trunc, c.i64[r])) + 1
				}
			}
		}
		if c.valid != nil && kind != flowlog.KindString {
			for k, r := range sel {
				if c.isNull(r) {
					dst[k*stride+o] = 0
				}
			}
		}
	}
}

// splitV4 divides sel into the rows whose key addresses are all IPv4 (narrow keys) and the others.
func (b *batchCtx) splitV4(kl *keyLayout, sel []int32) (narrow, wide []int32) {
	narrow, wide = b.selN[:0], b.selW[:0]
	var addrs [4]*colView
	na := 0
	for p, key := range kl.parts {
		if kl.kinds[p] != flowlog.KindAddr {
			continue
		}
		c := b.view(key.Field)
		if !c.ok || na == len(addrs) {
			b.selW = append(wide, sel...)
			return narrow, b.selW
		}
		addrs[na] = c
		na++
	}
rows:
	for _, r := range sel {
		for _, c := range addrs[:na] {
			a := c.addr[int(r)*16 : int(r)*16+16]
			if c.isNull(r) || binary.LittleEndian.Uint64(a) != 0 || binary.BigEndian.Uint32(a[8:]) != 0xffff {
				wide = append(wide, r)
				continue rows
			}
		}
		narrow = append(narrow, r)
	}
	b.selN, b.selW = narrow, wide
	return narrow, wide
}

func grow(b []uint64, n int) []uint64 {
	if cap(b) < n {
		return make([]uint64, n)
	}
	return b[:n]
}

func growU32(b []uint32, n int) []uint32 {
	if cap(b) < n {
		return make([]uint32, n)
	}
	return b[:n]
}
