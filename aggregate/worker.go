package aggregate

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/flowlens/flowlens/flowlog"
)

// Worker aggregates the batches one goroutine reads into its own tables: no locks per row, no
// allocation per row. Batches are processed a column at a time: a selection of rows, then the keys
// of the selected rows, then one hash probe per row, then one pass per measure.
type Worker struct {
	e       *Engine
	tables  []*table
	dtables [][]*table

	// Counts of the rows seen, for the input accounting.
	Rows       int64 // rows of the batches (records, NODATA and SKIPDATA)
	InRange    int64 // records whose start lies in the engine's range
	OutOfRange int64 // records outside it (or with no start when a range is set)
	seen       [numFieldSlots]bool

	// Per batch.
	schema *arrow.Schema
	colIdx [numFieldSlots]int
	views  [numFieldSlots]colView
	gen    uint32
	zone   zoneCache
	base   []int32
	sels   [][]int32
	rej    []bool
	keys   []uint64
	dkeys  []uint64
	gids   []uint32
}

const numFieldSlots = 128

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
}

func (c *colView) isNull(r int32) bool {
	return c.valid != nil && !bitutil.BitIsSet(c.valid, c.voff+int(r))
}

// NewWorker returns a worker with empty tables.
func (e *Engine) NewWorker() *Worker {
	w := &Worker{e: e, zone: newZoneCache(e.cfg.Location)}
	for i := range e.specs {
		t, ds := e.newTables(i)
		w.tables = append(w.tables, t)
		w.dtables = append(w.dtables, ds)
	}
	w.sels = make([][]int32, len(e.conds))
	return w
}

// Seen reports whether any batch this worker read had the field.
func (w *Worker) Seen(f flowlog.FieldID) bool { return w.seen[f] }

// Release gives the worker's memory back to the budget.
func (w *Worker) Release() {
	for i, t := range w.tables {
		t.release()
		for _, d := range w.dtables[i] {
			d.release()
		}
	}
}

func (w *Worker) bind(schema *arrow.Schema) {
	if schema == w.schema {
		return
	}
	w.schema = schema
	for i := range w.colIdx {
		w.colIdx[i] = -1
	}
	for i, f := range schema.Fields() {
		if id, ok := flowlog.LookupField(f.Name); ok {
			w.colIdx[id] = i
		}
	}
}

// view returns field f of rec as slices (ok false when the batch lacks it).
func (w *Worker) view(rec arrow.RecordBatch, f flowlog.FieldID) *colView {
	c := &w.views[f]
	if c.gen == w.gen {
		return c
	}
	*c = colView{gen: w.gen, ids: c.ids[:0], kind: flowlog.Fields[f].Kind}
	ci := w.colIdx[f]
	if ci < 0 {
		return c
	}
	a := rec.Column(ci)
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
		b := a.Data().Buffers()[1].Bytes()
		off := a.Data().Offset() * 16
		c.addr = b[off : off+a.Len()*16]
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
func (w *Worker) stringIDs(c *colView) []uint64 {
	if !c.idsOK {
		c.ids = w.e.strs.remap(c.dict, c.ids)
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
		return nil
	}
	w.gen++
	w.bind(rec.Schema())
	for _, f := range rec.Schema().Fields() {
		if id, ok := flowlog.LookupField(f.Name); ok {
			w.seen[id] = true
		}
	}
	w.Rows += int64(n)
	w.selectBase(rec, n)
	if len(w.base) == 0 {
		return nil
	}
	for ci, conds := range w.e.conds {
		w.sels[ci] = w.selectWhere(rec, conds, w.sels[ci])
	}
	if w.e.needRej {
		w.markRejects(rec, n)
	}
	for i := range w.e.specs {
		sel := w.sels[w.e.specCond[i]]
		if len(sel) == 0 {
			continue
		}
		if err := w.addSpec(rec, i, sel); err != nil {
			return err
		}
	}
	return nil
}

// selectBase selects the records (not NODATA or SKIPDATA) whose start lies in the range.
func (w *Worker) selectBase(rec arrow.RecordBatch, n int) {
	base := w.base[:0]
	status := w.view(rec, flowlog.FLogStatus)
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
		start := w.view(rec, flowlog.FStart)
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
}

// selectWhere narrows the base selection to the rows that meet every condition.
func (w *Worker) selectWhere(rec arrow.RecordBatch, conds []Cond, out []int32) []int32 {
	if len(conds) == 0 {
		return w.base
	}
	out = append(out[:0], w.base...)
	for _, cd := range conds {
		c := w.view(rec, cd.Field)
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

// markRejects sets w.rej[r] for rows whose action is REJECT.
func (w *Worker) markRejects(rec arrow.RecordBatch, n int) {
	if cap(w.rej) < n {
		w.rej = make([]bool, n)
	}
	w.rej = w.rej[:n]
	clear(w.rej)
	act := w.view(rec, flowlog.FAction)
	if !act.ok {
		return
	}
	m := dictMatch(act, []string{"REJECT"})
	for _, r := range w.base {
		if !act.isNull(r) && m[act.i32[r]] {
			w.rej[r] = true
		}
	}
}

// fillKeys writes the key words of the selected rows: row k's key at dst[k*stride+base:].
func (w *Worker) fillKeys(rec arrow.RecordBatch, kl *keyLayout, sel []int32, dst []uint64, stride, base int) {
	if kl.nullW >= 0 {
		for k := range sel {
			dst[k*stride+base+kl.nullW] = 0
		}
	}
	addrPart := 0
	for p, key := range kl.parts {
		o := base + kl.offs[p]
		c := w.view(rec, key.Field)
		kind := kl.kinds[p]
		if kind == flowlog.KindAddr {
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
			ids := w.stringIDs(c)
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
			case TruncHour:
				for k, r := range sel {
					dst[k*stride+o] = uint64(w.zone.hourStart(c.i64[r])) + 1
				}
			case TruncDay:
				for k, r := range sel {
					dst[k*stride+o] = uint64(w.zone.day(c.i64[r])) + 1
				}
			default:
				for k, r := range sel {
					dst[k*stride+o] = uint64(c.i64[r]) + 1
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

// addSpec aggregates the selected rows into spec i's tables.
func (w *Worker) addSpec(rec arrow.RecordBatch, i int, sel []int32) error {
	kl := &w.e.layouts[i]
	t := w.tables[i]
	kw := kl.w
	n := len(sel)
	w.keys = grow(w.keys, n*kw)
	w.fillKeys(rec, kl, sel, w.keys, kw, 0)
	w.gids = growU32(w.gids, n)
	gids := w.gids
	keys := w.keys
	for k := 0; k < n; k++ {
		key := keys[k*kw : k*kw+kw]
		gids[k] = t.find(key, hashKey(key))
	}
	if t.err != nil {
		return t.err
	}
	for _, m := range w.e.specs[i].Measures {
		w.update(rec, m, t.vals[m], sel, gids)
	}
	for j, dl := range w.e.dlayouts[i] {
		if err := w.addDistinct(rec, i, j, &dl, sel); err != nil {
			return err
		}
	}
	return nil
}

// addDistinct records the (group key, value) pairs of distinct field j of spec i.
func (w *Worker) addDistinct(rec arrow.RecordBatch, i, j int, dl *keyLayout, sel []int32) error {
	kw := w.e.layouts[i].w
	dw := kw + dl.w
	n := len(sel)
	w.dkeys = grow(w.dkeys, n*dw)
	for k := 0; k < n; k++ {
		copy(w.dkeys[k*dw:k*dw+kw], w.keys[k*kw:k*kw+kw])
	}
	w.fillKeys(rec, dl, sel, w.dkeys, dw, kw)
	t := w.dtables[i][j]
	for k := 0; k < n; k++ {
		key := w.dkeys[k*dw : k*dw+dw]
		t.find(key, hashKey(key))
	}
	return t.err
}

// update adds the selected rows to measure m of their groups. Null values add nothing.
func (w *Worker) update(rec arrow.RecordBatch, m Measure, v []int64, sel []int32, gids []uint32) {
	switch m {
	case Flows:
		for _, g := range gids {
			v[g]++
		}
	case RejectFlows:
		rej := w.rej
		for k, r := range sel {
			if rej[r] {
				v[gids[k]]++
			}
		}
	case Bytes, Packets, RejectBytes, RejectPackets:
		f := flowlog.FBytes
		if m == Packets || m == RejectPackets {
			f = flowlog.FPackets
		}
		c := w.view(rec, f)
		if !c.ok {
			return
		}
		vals := c.i64
		switch {
		case (m == Bytes || m == Packets) && c.valid == nil:
			for k, r := range sel {
				v[gids[k]] += vals[r]
			}
		case m == Bytes || m == Packets:
			for k, r := range sel {
				if !c.isNull(r) {
					v[gids[k]] += vals[r]
				}
			}
		default:
			rej := w.rej
			for k, r := range sel {
				if rej[r] && !c.isNull(r) {
					v[gids[k]] += vals[r]
				}
			}
		}
	case MinStart, MaxEnd:
		f := flowlog.FStart
		if m == MaxEnd {
			f = flowlog.FEnd
		}
		c := w.view(rec, f)
		if !c.ok {
			return
		}
		vals := c.i64
		for k, r := range sel {
			if c.isNull(r) {
				continue
			}
			x := vals[r]
			g := gids[k]
			if m == MinStart {
				if x < v[g] {
					v[g] = x
				}
			} else if x > v[g] {
				v[g] = x
			}
		}
	default:
		panic(fmt.Sprintf("BUG: measure %v has no update", m))
	}
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
