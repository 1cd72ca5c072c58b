package query

import (
	"cmp"
	"context"
	"os"
	"slices"
)

// An ordered scan (ORDER BY without GROUP BY) keeps, per worker, a rowSet of the rows it has seen,
// copied out of the batches: the output columns and the ORDER BY keys of the rows that can still be
// in the answer, never whole batches.
//
// With LIMIT k, a worker sorts its rows once it holds k+max(k, topSlack) of them and keeps the k
// first; the k-th becomes its threshold, and later rows are compared with it on the keys before
// anything else is evaluated or copied: most are dropped there, and memory stays proportional to k.
// Without LIMIT (or with one larger than fits), a worker whose rows would cross the memory limit
// sorts them and writes them as a run to a temporary directory, then fills the same memory again.
// At the end the workers' sorted rows, in memory or in runs, are merged: the comparison is that of
// sortRows (the keys, nulls last, then every output column), under which two rows that compare
// equal are the same output row, so the answer does not depend on the workers or the spills.

const (
	topSlack    = 1024  // rows beyond k a top-k worker gathers before sorting them
	pieceRows   = 8192  // rows of a batch evaluated and copied at a time
	outRows     = 16384 // rows of an output batch of the merge
	mergePairs  = 1024  // merged rows gathered before they are copied out
	maxMergeFan = 256   // runs merged at once at most
)

// sortShared is what an ordered scan's workers share.
type sortShared struct {
	desc   []bool
	nc, nk int   // output columns, then keys, in a rowSet
	limit  int64 // < 0: none
	target int   // rows a top-k worker gathers before sorting them
	budget *memBudget
	spill  spillFiles
}

func newSortShared(desc []bool, nc int, limit int64, b *memBudget) *sortShared {
	sh := &sortShared{desc: desc, nc: nc, nk: len(desc), limit: limit, budget: b, target: -1}
	if limit >= 0 && limit < 1<<30 {
		sh.target = int(limit) + max(int(limit), topSlack)
	}
	return sh
}

// cmpRows compares row a of x with row b of y: the keys, then the output columns.
func (sh *sortShared) cmpRows(x *rowSet, a int, y *rowSet, b int) int {
	for i, d := range sh.desc {
		if c := cmpOrderVecs(x.v[sh.nc+i], a, y.v[sh.nc+i], b, d); c != 0 {
			return c
		}
	}
	for i := range sh.nc {
		if c := cmpVecs(x.v[i], a, y.v[i], b); c != 0 {
			return c
		}
	}
	return 0
}

// sortOrder returns the rows of rs in order (the first limit of them when limit >= 0), in buf.
func (sh *sortShared) sortOrder(rs *rowSet, limit int64, buf []int32) []int32 {
	order := buf[:0]
	for r := range rs.n {
		order = append(order, int32(r))
	}
	// Row numbers break ties so that the sort is total; tied rows are the same output row.
	slices.SortFunc(order, func(a, b int32) int {
		if c := sh.cmpRows(rs, int(a), rs, int(b)); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	if limit >= 0 && int64(len(order)) > limit {
		order = order[:limit]
	}
	return order
}

// Threshold states of a batch's rows.
const (
	undecided int8 = iota
	better         // sorts before the threshold
	worse          // sorts after it: dropped
)

// sortWorker is one worker's rows.
type sortWorker struct {
	sh     *sortShared
	types  []typ
	buf    *rowSet
	spare  *rowSet // a top-k worker's sort target, swapped with buf
	thr    *rowSet // one row: the k-th best kept so far, once there is one
	order  []int32
	state  []int8
	cur    []int32
	next   []int32
	cand   []int32 // positions in the batch's selection of the rows to copy
	tie    []bool  // cand[j] ties with the threshold on every key
	piece  []int32 // the rows (of the batch) of cand
	iota   []int32
	keyIdx []int32
	keys   []*vec // the nodes' vectors for the batch
	items  []*vec
}

func newSortWorker(sh *sortShared, types []typ) *sortWorker {
	return &sortWorker{sh: sh, types: types, buf: newRowSet(types, sh.budget)}
}

// add takes the rows sel of the batch the worker's nodes read.
func (s *sortWorker) add(w *scanWorker, sel []int32) error {
	sh := s.sh
	// The keys of every row first: most rows of a top-k are dropped on them alone.
	keys := s.keys[:0]
	for _, n := range w.order {
		keys = append(keys, n.eval(w.c, sel))
	}
	items := s.items[:0]
	for range w.items {
		items = append(items, nil)
	}
	s.keys, s.items = keys, items
	for p := 0; p < len(sel); {
		window := pieceRows
		if sh.target >= 0 {
			window = min(window, max(sh.target-s.buf.n, 1))
		}
		end := min(len(sel), p+window)
		s.filter(keys, p, end)
		p = end
		if len(s.cand) == 0 {
			continue
		}
		s.piece = s.piece[:0]
		for _, q := range s.cand {
			s.piece = append(s.piece, sel[q])
		}
		for i, n := range w.items {
			items[i] = n.eval(w.c, s.piece)
		}
		s.iota = s.iota[:0]
		s.keyIdx = s.keyIdx[:0]
		for j, q := range s.cand {
			if s.tie[j] && !s.beatsOnColumns(items, j) {
				continue
			}
			s.iota = append(s.iota, int32(j))
			s.keyIdx = append(s.keyIdx, q)
		}
		if err := s.append(items, keys); err != nil {
			return err
		}
		if sh.target >= 0 && s.buf.n >= sh.target {
			if err := s.compact(); err != nil {
				return err
			}
		}
	}
	return nil
}

// filter lists in cand the positions [p0, p1) of the batch that may enter: all of them without a
// threshold; else those that sort before it on the keys, and those that tie with it on every key
// (tie set: their output columns decide). One pass per key over the rows still undecided, the type
// switch outside the row loops.
func (s *sortWorker) filter(keys []*vec, p0, p1 int) {
	s.cand, s.tie = s.cand[:0], s.tie[:0]
	if s.thr == nil || s.thr.n == 0 {
		for q := p0; q < p1; q++ {
			s.cand = append(s.cand, int32(q))
			s.tie = append(s.tie, false)
		}
		return
	}
	s.state = slices.Grow(s.state[:0], p1-p0)[:p1-p0]
	clear(s.state)
	s.cur = s.cur[:0]
	for q := p0; q < p1; q++ {
		s.cur = append(s.cur, int32(q))
	}
	for i, k := range keys {
		t := s.thr.v[s.sh.nc+i]
		s.next = classify(k, t, s.sh.desc[i], s.cur, s.state, p0, s.next[:0])
		s.cur, s.next = s.next, s.cur
		if len(s.cur) == 0 {
			break
		}
	}
	for _, q := range s.cur {
		s.state[int(q)-p0] = undecided
	}
	for q := p0; q < p1; q++ {
		switch s.state[q-p0] {
		case better:
			s.cand = append(s.cand, int32(q))
			s.tie = append(s.tie, false)
		case undecided:
			s.cand = append(s.cand, int32(q))
			s.tie = append(s.tie, true)
		}
	}
}

// classify compares the rows cur of key k with the threshold's value t: better or worse goes to
// state, ties go to next.
func classify(k, t *vec, desc bool, cur []int32, state []int8, p0 int, next []int32) []int32 {
	tnull := t.isNull(0)
	switch k.t {
	case tStr:
		return classifyOrdered(k.s, k.null, t.s[0], tnull, desc, cur, state, p0, next)
	case tFloat:
		return classifyOrdered(k.f, k.null, t.f[0], tnull, desc, cur, state, p0, next)
	case tAddr:
		for _, q := range cur {
			c := 0
			an := k.null != nil && k.null[q]
			switch {
			case an && tnull:
			case an:
				c = 1
			case tnull:
				c = -1
			default:
				if c = k.a[q].Compare(t.a[0]); desc {
					c = -c
				}
			}
			next = mark(c, q, state, p0, next)
		}
		return next
	case tNull:
		// Every value null: the threshold's too, or it would be better.
		for _, q := range cur {
			next = mark(b2c(!tnull), q, state, p0, next)
		}
		return next
	}
	return classifyOrdered(k.i, k.null, t.i[0], tnull, desc, cur, state, p0, next)
}

func b2c(b bool) int {
	if b {
		return 1
	}
	return 0
}

func classifyOrdered[T int64 | float64 | string](vals []T, null []bool, x T, xnull, desc bool, cur []int32, state []int8, p0 int, next []int32) []int32 {
	for _, q := range cur {
		c := 0
		an := null != nil && null[q]
		switch {
		case an && xnull:
		case an:
			c = 1 // nulls last, ascending or descending
		case xnull:
			c = -1
		default:
			// < and >, not cmp.Compare: a NaN ties, as in cmpF.
			if a := vals[q]; a < x {
				c = -1
			} else if a > x {
				c = 1
			}
			if desc {
				c = -c
			}
		}
		next = mark(c, q, state, p0, next)
	}
	return next
}

func mark(c int, q int32, state []int8, p0 int, next []int32) []int32 {
	switch {
	case c < 0:
		state[int(q)-p0] = better
	case c > 0:
		state[int(q)-p0] = worse
	default:
		next = append(next, q)
	}
	return next
}

// beatsOnColumns says whether candidate j (tied with the threshold on the keys) sorts before it on
// the output columns; a row equal to it in every column is the same output row, and not needed.
func (s *sortWorker) beatsOnColumns(items []*vec, j int) bool {
	for i, v := range items {
		if c := cmpVecs(v, j, s.thr.v[i], 0); c != 0 {
			return c < 0
		}
	}
	return false
}

// append copies the chosen rows (s.iota of items, s.keyIdx of keys) into buf, spilling buf first
// when the budget refuses the room.
func (s *sortWorker) append(items, keys []*vec) error {
	m := len(s.iota)
	if m == 0 {
		return nil
	}
	sb := 0
	for _, v := range items {
		sb += strBytes(v, s.iota)
	}
	for _, v := range keys {
		sb += strBytes(v, s.keyIdx)
	}
	forced := false
	if !s.buf.ensure(m, sb, false) {
		if s.buf.n > 0 {
			if err := s.spill(nil); err != nil {
				return err
			}
		}
		if !s.buf.ensure(m, sb, false) {
			// Other workers hold the budget: take the room (a piece over the limit at most) and
			// write the rows out at once.
			s.buf.ensure(m, sb, true)
			forced = true
		}
	}
	for i, v := range items {
		s.buf.appendCol(i, v, s.iota)
	}
	for i, v := range keys {
		s.buf.appendCol(s.sh.nc+i, v, s.keyIdx)
	}
	s.buf.commit(m)
	if forced {
		return s.spill(nil)
	}
	return nil
}

// compact keeps a top-k worker's k best rows and makes the k-th its threshold; when the budget has
// no room for the copy, they are spilled instead.
func (s *sortWorker) compact() error {
	k := s.sh.limit
	s.order = s.sh.sortOrder(s.buf, k, s.order)
	if s.spare == nil {
		s.spare = newRowSet(s.types, s.sh.budget)
	}
	s.spare.reset()
	sb := 0
	for _, v := range s.buf.v {
		sb += strBytes(v, s.order)
	}
	if !s.spare.ensure(len(s.order), sb, false) {
		return s.spill(s.order)
	}
	s.spare.appendRows(s.buf, s.order)
	s.buf, s.spare = s.spare, s.buf
	s.spare.reset()
	s.setThreshold(s.buf, s.buf.n-1)
	return nil
}

// setThreshold copies row r of rs as the threshold.
func (s *sortWorker) setThreshold(rs *rowSet, r int) {
	if s.thr == nil {
		s.thr = newRowSet(s.types, s.sh.budget)
	}
	s.thr.reset()
	s.thr.appendRows(rs, []int32{int32(r)})
}

// spill sorts buf (unless order is its order already), writes its rows (the first k with LIMIT k)
// as a run and empties it; with LIMIT k the run's k-th row becomes the threshold.
func (s *sortWorker) spill(order []int32) error {
	if order == nil {
		s.order = s.sh.sortOrder(s.buf, s.sh.limit, s.order)
		order = s.order
	}
	if err := s.sh.writeRun(s.buf, order); err != nil {
		return err
	}
	if s.sh.limit >= 0 && int64(len(order)) == s.sh.limit && len(order) > 0 {
		s.setThreshold(s.buf, int(order[len(order)-1]))
	}
	s.buf.reset()
	return nil
}

// writeRun writes rows order of rs as a run.
func (sh *sortShared) writeRun(rs *rowSet, order []int32) error {
	rw, err := sh.spill.create(sh.budget)
	if err != nil {
		return err
	}
	for b := 0; b < len(order); b += runBlockRows {
		if err := rw.writeBlock(rs, order[b:min(b+runBlockRows, len(order))], len(rs.v)); err != nil {
			rw.abort()
			return err
		}
	}
	run, err := rw.finish()
	if err != nil {
		return err
	}
	sh.spill.add(run)
	return nil
}

// release gives the worker's memory back.
func (s *sortWorker) release() {
	s.buf.release()
	s.spare.release()
	s.thr.release()
}

// mergeSrc is one sorted input of a merge: a worker's rows in memory, or a run read a block at a
// time.
type mergeSrc struct {
	set   *rowSet
	order []int32 // the rows of set in order; nil: 0, 1, …
	pos   int
	rd    *runReader
}

func (m *mergeSrc) rows() int {
	if m.order != nil {
		return len(m.order)
	}
	return m.set.n
}

func (m *mergeSrc) row() int {
	if m.order != nil {
		return int(m.order[m.pos])
	}
	return m.pos
}

// merger merges sorted inputs into out, width columns of every row, in pieces of outRows rows.
type merger struct {
	sh    *sortShared
	srcs  []*mergeSrc
	heap  []int32 // sources with rows left, the one with the first row on top
	out   *rowSet
	width int
	rows  int     // out is passed on when it holds this many rows
	ps    []int32 // gathered rows: source, row
	rs    []int32
	emit  func(*rowSet) error
}

func (mg *merger) less(i, j int32) bool {
	a, b := mg.srcs[i], mg.srcs[j]
	if c := mg.sh.cmpRows(a.set, a.row(), b.set, b.row()); c != 0 {
		return c < 0
	}
	return i < j
}

func (mg *merger) down(i int) {
	h := mg.heap
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		if r := l + 1; r < len(h) && mg.less(h[r], h[l]) {
			l = r
		}
		if !mg.less(h[l], h[i]) {
			return
		}
		h[i], h[l] = h[l], h[i]
		i = l
	}
}

// run merges until the inputs end or limit rows (limit >= 0) are out.
func (mg *merger) run(ctx context.Context, limit int64) error {
	for i, s := range mg.srcs {
		if s.rows() > 0 {
			mg.heap = append(mg.heap, int32(i))
		}
	}
	for i := len(mg.heap)/2 - 1; i >= 0; i-- {
		mg.down(i)
	}
	var done int64
	for len(mg.heap) > 0 && (limit < 0 || done < limit) {
		si := mg.heap[0]
		s := mg.srcs[si]
		mg.ps = append(mg.ps, si)
		mg.rs = append(mg.rs, int32(s.row()))
		done++
		if s.pos++; s.pos == s.rows() {
			more := false
			if s.rd != nil {
				// The gathered rows of this block are copied out before the block is overwritten.
				if err := mg.flush(ctx); err != nil {
					return err
				}
				var err error
				if more, err = s.rd.next(s.set); err != nil {
					return err
				}
				s.pos = 0
			}
			if !more {
				last := len(mg.heap) - 1
				mg.heap[0] = mg.heap[last]
				mg.heap = mg.heap[:last]
			}
		}
		mg.down(0)
		if len(mg.ps) == mergePairs {
			if err := mg.flush(ctx); err != nil {
				return err
			}
		}
	}
	if err := mg.flush(ctx); err != nil {
		return err
	}
	if mg.out.n > 0 {
		return mg.emit(mg.out)
	}
	return nil
}

// flush copies the gathered rows into out, a column at a time, and passes out on when full.
func (mg *merger) flush(ctx context.Context) error {
	if len(mg.ps) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	out := mg.out
	sb := 0
	for c := range mg.width {
		if out.v[c].t != tStr {
			continue
		}
		for j, si := range mg.ps {
			sb += len(mg.srcs[si].set.v[c].s[mg.rs[j]])
		}
	}
	out.ensure(len(mg.ps), sb, true)
	n := out.n
	for c := range mg.width {
		d := out.v[c]
		switch d.t {
		case tStr:
			for j, si := range mg.ps {
				d.s[n+j] = out.str(mg.srcs[si].set.v[c].s[mg.rs[j]])
			}
		case tAddr:
			for j, si := range mg.ps {
				d.a[n+j] = mg.srcs[si].set.v[c].a[mg.rs[j]]
			}
		case tFloat:
			for j, si := range mg.ps {
				d.f[n+j] = mg.srcs[si].set.v[c].f[mg.rs[j]]
			}
		case tNull:
		default:
			for j, si := range mg.ps {
				d.i[n+j] = mg.srcs[si].set.v[c].i[mg.rs[j]]
			}
		}
		for j, si := range mg.ps {
			if mg.srcs[si].set.v[c].isNull(int(mg.rs[j])) {
				out.nulls(c)[n+j] = true
			} else if d.null != nil {
				d.null[n+j] = false
			}
		}
	}
	out.commit(len(mg.ps))
	mg.ps, mg.rs = mg.ps[:0], mg.rs[:0]
	if out.n >= mg.rows {
		if err := mg.emit(out); err != nil {
			return err
		}
		out.reset()
	}
	return nil
}

// finish merges the workers' rows into the output, through the runs when any were written; emit
// receives the output columns of each piece of the answer, in order.
func (sh *sortShared) finish(ctx context.Context, workers []*sortWorker, emit func(*rowSet) error) error {
	// The columns' types as the rows hold them.
	var types []typ
	for _, w := range workers {
		if w != nil && w.buf.n > 0 {
			for _, v := range w.buf.v {
				types = append(types, v.t)
			}
			break
		}
	}
	if types == nil && len(sh.spill.runs) > 0 {
		types = sh.spill.runs[0].types
	}
	if types == nil {
		return nil
	}
	if len(sh.spill.runs) == 0 {
		var srcs []*mergeSrc
		for _, w := range workers {
			if w == nil || w.buf.n == 0 {
				continue
			}
			w.order = sh.sortOrder(w.buf, sh.limit, w.order)
			srcs = append(srcs, &mergeSrc{set: w.buf, order: w.order})
		}
		out := newRowSet(types[:sh.nc], sh.budget)
		defer out.release()
		mg := &merger{sh: sh, srcs: srcs, out: out, width: sh.nc, rows: outRows, emit: emit}
		return mg.run(ctx, sh.limit)
	}
	// Runs were written: the rows still in memory become runs too, and the memory is the merge's.
	for _, w := range workers {
		if w == nil {
			continue
		}
		if w.buf.n > 0 {
			if err := w.spill(nil); err != nil {
				return err
			}
		}
		w.release()
	}
	runs := sh.spill.runs
	for len(runs) > sh.fanIn(runs, types) {
		f := sh.fanIn(runs, types)
		merged, err := sh.mergeRuns(ctx, runs[:f], types, nil)
		if err != nil {
			return err
		}
		runs = append(runs[f:], merged)
	}
	_, err := sh.mergeRuns(ctx, runs, types, emit)
	return err
}

// fanIn is how many runs one merge reads at once: as many blocks as fit in the memory left (at
// least 2).
func (sh *sortShared) fanIn(runs []*runFile, types []typ) int {
	width := int64(0)
	for _, t := range types {
		width += 1 + colBytes(t)
	}
	block := 0
	for _, r := range runs {
		block = max(block, r.maxBlock)
	}
	per := int64(block) + runBlockRows*width + runIOBuffer
	out := int64(runBlockRows)*width + runIOBuffer
	f := int((sh.budget.available() - out) / max(per, 1))
	return min(max(f, 2), maxMergeFan)
}

// mergeRuns merges runs into emit, or into a new run when emit is nil (that run is returned); the
// merged runs' files are deleted.
func (sh *sortShared) mergeRuns(ctx context.Context, runs []*runFile, types []typ, emit func(*rowSet) error) (*runFile, error) {
	var srcs []*mergeSrc
	defer func() {
		for _, s := range srcs {
			s.rd.close()
			s.set.release()
		}
	}()
	for _, r := range runs {
		rd, err := openRun(r, sh.budget)
		if err != nil {
			return nil, err
		}
		s := &mergeSrc{set: newRowSet(r.types, sh.budget), rd: rd}
		srcs = append(srcs, s)
		if _, err := rd.next(s.set); err != nil {
			return nil, err
		}
	}
	width, rows := sh.nc, outRows
	var rw *runWriter
	var ident []int32
	if emit == nil {
		width, rows = sh.nc+sh.nk, runBlockRows
		var err error
		if rw, err = sh.spill.create(sh.budget); err != nil {
			return nil, err
		}
		emit = func(rs *rowSet) error {
			for len(ident) < rs.n {
				ident = append(ident, int32(len(ident)))
			}
			for b := 0; b < rs.n; b += runBlockRows {
				if err := rw.writeBlock(rs, ident[b:min(b+runBlockRows, rs.n)], width); err != nil {
					return err
				}
			}
			return nil
		}
	}
	out := newRowSet(types[:width], sh.budget)
	defer out.release()
	mg := &merger{sh: sh, srcs: srcs, out: out, width: width, rows: rows, emit: emit}
	if err := mg.run(ctx, sh.limit); err != nil {
		if rw != nil {
			rw.abort()
		}
		return nil, err
	}
	for _, r := range runs {
		os.Remove(r.path)
	}
	if rw == nil {
		return nil, nil
	}
	return rw.finish()
}
