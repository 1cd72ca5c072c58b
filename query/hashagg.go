package query

import (
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowlens/flowlens/query/sql"
)

// The general group-by: what the engine's keys and measures cannot express (GROUP BY of any
// expression, aggregates of expressions, FILTER, the approximate and by-value aggregates) is
// computed here, over the rows the scan selects or over a relation: each worker evaluates the keys
// and the aggregates' arguments a batch at a time into vectors, finds each row's group in a hash
// table keyed by the encoded key values, and folds the arguments into its accumulators, which keep
// one slot per group. The workers' tables are merged at the end. Nothing is allocated per row but a
// new group's key, and what the values of a distinct count, a percentile or an array hold.

// genAgg is one aggregate of the general path, as planned.
type genAgg struct {
	fn       string // count, count_star, count_distinct, count_if, sum, avg, min, max, approx_distinct, approx_percentile, max_by, min_by, array_agg
	args     []sql.Expr
	filter   sql.Expr // FILTER (WHERE …), nil when absent
	t        typ      // the result's type
	argT     []typ    // the arguments' types
	pct      float64  // approx_percentile's fraction
	hllP     uint8    // approx_distinct's index bits
	distinct bool     // array_agg(DISTINCT x)
}

// genWorker is one worker's compiled nodes and table.
type genWorker struct {
	c       *evalCtx
	keys    []node
	args    [][]node
	filters []node
	tab     *hashTable
	kv      []*vec
	av      []*vec
	mask    []bool
}

// newGenWorker compiles the keys and the aggregates' arguments for one worker.
func (p *Plan) newGenWorker() *genWorker {
	w := &genWorker{c: newEvalCtx(p.loc)}
	w.c.rel = p.rel
	cp := p.inputCompiler()
	for _, k := range p.gkeys {
		n, err := cp.compile(k)
		if err != nil {
			panic(fmt.Sprintf("BUG: a checked GROUP BY key does not compile: %v", err))
		}
		w.keys = append(w.keys, n)
	}
	for _, a := range p.gaggs {
		var ns []node
		for _, e := range a.args {
			n, err := cp.compile(e)
			if err != nil {
				panic(fmt.Sprintf("BUG: a checked aggregate does not compile: %v", err))
			}
			ns = append(ns, n)
		}
		w.args = append(w.args, ns)
		var f node
		if a.filter != nil {
			f, _ = cp.compile(a.filter)
		}
		w.filters = append(w.filters, f)
	}
	w.tab = newHashTable(p.gkeyT, p.gaggs)
	return w
}

// add folds rows sel of the context's batch (or relation) into the worker's table.
func (w *genWorker) add(sel []int32) {
	if len(sel) == 0 {
		return
	}
	w.kv = w.kv[:0]
	for _, k := range w.keys {
		w.kv = append(w.kv, k.eval(w.c, sel))
	}
	gids := w.tab.groupsOf(w.kv, len(sel))
	for i, a := range w.tab.accs {
		w.av = w.av[:0]
		for _, n := range w.args[i] {
			w.av = append(w.av, n.eval(w.c, sel))
		}
		var mask []bool
		if f := w.filters[i]; f != nil {
			fv := f.eval(w.c, sel)
			if cap(w.mask) < len(sel) {
				w.mask = make([]bool, len(sel))
			}
			mask = w.mask[:len(sel)]
			for k := range mask {
				mask[k] = fv.i[k] == 1 && !fv.isNull(k)
			}
		}
		a.add(gids, w.av, mask)
	}
}

// hashTable maps the encoded key values of a group to its number, and holds the groups' keys and
// accumulators.
type hashTable struct {
	keys  []*vec // per key: its value in each group
	index map[string]int32
	accs  []accumulator
	n     int
	buf   []byte
	gids  []int32
	bytes int64 // an estimate of what the table holds, for the memory limit
}

func newHashTable(keyT []typ, aggs []*genAgg) *hashTable {
	h := &hashTable{index: map[string]int32{}}
	for _, t := range keyT {
		h.keys = append(h.keys, &vec{t: t})
	}
	for _, a := range aggs {
		h.accs = append(h.accs, newAccumulator(a))
	}
	return h
}

// encodeKey appends element k of v to b: a null flag, then the value.
func encodeKey(b []byte, v *vec, k int) []byte {
	if v.t == tNull || v.isNull(k) {
		return append(b, 0)
	}
	b = append(b, 1)
	switch v.t {
	case tStr:
		b = binary.AppendUvarint(b, uint64(len(v.s[k])))
		return append(b, v.s[k]...)
	case tAddr:
		a := v.a[k].As16()
		b = append(b, a[:]...)
		return append(b, b2u8(v.a[k].Is4()))
	case tFloat:
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(v.f[k]+0)) // -0 as 0
	}
	return binary.LittleEndian.AppendUint64(b, uint64(v.i[k]))
}

func b2u8(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// groupsOf returns the group of each of the n rows whose keys are kv, adding new groups.
func (h *hashTable) groupsOf(kv []*vec, n int) []int32 {
	h.gids = h.gids[:0]
	if len(kv) == 0 {
		if h.n == 0 {
			h.newGroup(nil, 0)
		}
		for range n {
			h.gids = append(h.gids, 0)
		}
		return h.gids
	}
	for k := range n {
		b := h.buf[:0]
		for _, v := range kv {
			b = encodeKey(b, v, k)
		}
		h.buf = b
		g, ok := h.index[string(b)]
		if !ok {
			g = h.newGroup(kv, k)
			h.index[string(b)] = g
			h.bytes += int64(len(b)) + 48
		}
		h.gids = append(h.gids, g)
	}
	return h.gids
}

// newGroup adds a group whose keys are element k of kv.
func (h *hashTable) newGroup(kv []*vec, k int) int32 {
	for i, v := range kv {
		appendElem(h.keys[i], v, k)
		h.bytes += colBytes(v.t) + 1
		if v.t == tStr {
			h.bytes += int64(len(v.s[k]))
		}
	}
	h.n++
	for _, a := range h.accs {
		a.grow(h.n)
	}
	return int32(h.n - 1)
}

// merge folds table o into h.
func (h *hashTable) merge(o *hashTable) {
	for g := range o.n {
		b := h.buf[:0]
		for _, v := range o.keys {
			b = encodeKey(b, v, g)
		}
		h.buf = b
		dst, ok := h.index[string(b)]
		if !ok {
			if len(o.keys) == 0 && h.n > 0 {
				dst = 0
			} else {
				dst = h.newGroup(o.keys, g)
				h.index[string(b)] = dst
			}
		}
		for i, a := range h.accs {
			a.merge(dst, o.accs[i], g)
		}
	}
}

// appendElem appends element k of src to dst (strings copied: they may point into a batch).
func appendElem(dst, src *vec, k int) {
	null := src.t == tNull || src.isNull(k)
	if null && dst.null == nil {
		dst.null = make([]bool, dst.n, dst.n+1)
	}
	if dst.null != nil {
		dst.null = append(dst.null, null)
	}
	switch dst.t {
	case tStr:
		s := ""
		if !null {
			s = strings.Clone(src.s[k])
		}
		dst.s = append(dst.s, s)
	case tAddr:
		var a netip.Addr
		if !null {
			a = src.a[k]
		}
		dst.a = append(dst.a, a)
	case tFloat:
		f := 0.0
		if !null {
			f = src.f[k]
		}
		dst.f = append(dst.f, f)
	default:
		i := int64(0)
		if !null {
			i = src.i[k]
		}
		dst.i = append(dst.i, i)
	}
	dst.n++
	if dst.loc == nil {
		dst.loc = src.loc
	}
}

// accumulator folds the rows of a batch into per-group state.
type accumulator interface {
	grow(n int)                                 // there are now n groups
	add(gids []int32, args []*vec, mask []bool) // row k belongs to gids[k]; mask (when not nil) leaves out rows
	merge(g int32, o accumulator, og int)       // fold group og of o into group g
	result(n int) *vec                          // the value of each of the n groups
}

func newAccumulator(a *genAgg) accumulator {
	switch a.fn {
	case "count", "count_star", "count_if":
		return &countAcc{fn: a.fn}
	case "count_distinct":
		return &distinctAcc{}
	case "sum":
		return &sumAcc{t: a.t}
	case "avg":
		return &sumAcc{t: a.t, avg: true}
	case "min", "max":
		return &byAcc{max: a.fn == "max", t: a.t, x: vec{t: a.t}}
	case "max_by", "min_by":
		return &byAcc{max: a.fn == "max_by", t: a.t, by: true, x: vec{t: a.t}, y: vec{t: a.argT[1]}}
	case "approx_distinct":
		return &hllAcc{p: a.hllP}
	case "approx_percentile":
		return &pctAcc{valueLists: valueLists{t: a.t}, p: a.pct}
	case "array_agg":
		return &arrayAcc{valueLists: valueLists{t: a.argT[0]}, distinct: a.distinct}
	}
	panic("BUG: no accumulator for " + a.fn)
}

// skip says whether row k is left out by the mask.
func skip(mask []bool, k int) bool { return mask != nil && !mask[k] }

// countAcc is count(*), count(x) (the rows where x is not NULL) and count_if(c) (where c is true).
type countAcc struct {
	fn string
	c  []int64
}

func (a *countAcc) grow(n int) { a.c = append(a.c, make([]int64, n-len(a.c))...) }

func (a *countAcc) add(gids []int32, args []*vec, mask []bool) {
	for k, g := range gids {
		if skip(mask, k) {
			continue
		}
		switch a.fn {
		case "count_star":
		case "count":
			if args[0].t == tNull || args[0].isNull(k) {
				continue
			}
		default: // count_if
			if args[0].t == tNull || args[0].isNull(k) || args[0].i[k] != 1 {
				continue
			}
		}
		a.c[g]++
	}
}

func (a *countAcc) merge(g int32, o accumulator, og int) { a.c[g] += o.(*countAcc).c[og] }

func (a *countAcc) result(n int) *vec {
	v := &vec{}
	v.reset(tInt, n)
	copy(v.i, a.c)
	return v
}

// sumAcc is sum(x) and avg(x): NULL where no value was summed; a bigint sum beyond 64 bits is NULL.
type sumAcc struct {
	t    typ // the result's: bigint or double for sum, double for avg
	avg  bool
	i    []int64
	f    []float64
	n    []int64
	over []bool
}

func (a *sumAcc) grow(n int) {
	d := n - len(a.n)
	a.i = append(a.i, make([]int64, d)...)
	a.f = append(a.f, make([]float64, d)...)
	a.n = append(a.n, make([]int64, d)...)
	a.over = append(a.over, make([]bool, d)...)
}

func (a *sumAcc) add(gids []int32, args []*vec, mask []bool) {
	x := args[0]
	if x.t == tNull {
		return
	}
	for k, g := range gids {
		if skip(mask, k) || x.isNull(k) {
			continue
		}
		a.n[g]++
		if x.t == tFloat {
			a.f[g] += x.f[k]
			continue
		}
		a.f[g] += float64(x.i[k])
		s := a.i[g] + x.i[k]
		if (a.i[g]^s)&(x.i[k]^s) < 0 {
			a.over[g] = true
		}
		a.i[g] = s
	}
}

func (a *sumAcc) merge(g int32, o accumulator, og int) {
	b := o.(*sumAcc)
	s := a.i[g] + b.i[og]
	if (a.i[g]^s)&(b.i[og]^s) < 0 || b.over[og] {
		a.over[g] = true
	}
	a.i[g] = s
	a.f[g] += b.f[og]
	a.n[g] += b.n[og]
}

func (a *sumAcc) result(n int) *vec {
	v := &vec{}
	v.reset(a.t, n)
	for g := range n {
		switch {
		case a.n[g] == 0 || a.t == tInt && a.over[g]:
			v.nulls()[g] = true
		case a.avg:
			v.f[g] = a.f[g] / float64(a.n[g])
		case a.t == tFloat:
			v.f[g] = a.f[g]
		default:
			v.i[g] = a.i[g]
		}
	}
	return v
}

// byAcc is min(x) and max(x) (x compared with itself), and min_by(x, y) and max_by(x, y): x of the
// row with the least or greatest y, NULLs of y left out; on equal y the least x, so that the answer
// does not depend on the order the workers read in.
type byAcc struct {
	max  bool
	by   bool
	t    typ
	x, y vec
	set  []bool
}

func (a *byAcc) grow(n int) {
	for len(a.set) < n {
		a.set = append(a.set, false)
		appendElem(&a.x, &vec{t: tNull}, 0)
		if a.by {
			appendElem(&a.y, &vec{t: tNull}, 0)
		}
	}
}

// better says whether (x, y) at k beats group g's.
func (a *byAcc) better(g int, x *vec, kx int, y *vec, ky int) bool {
	if !a.set[g] {
		return true
	}
	key, cur := x, &a.x
	if a.by {
		key, cur = y, &a.y
	}
	c := cmpVecs(key, ky, cur, g)
	if a.max {
		c = -c
	}
	if c != 0 || !a.by {
		return c < 0
	}
	return cmpVecs(x, kx, &a.x, g) < 0
}

func (a *byAcc) add(gids []int32, args []*vec, mask []bool) {
	x, y := args[0], args[0]
	if a.by {
		y = args[1]
	}
	if y.t == tNull {
		return
	}
	for k, g := range gids {
		if skip(mask, k) || y.isNull(k) {
			continue
		}
		if a.better(int(g), x, k, y, k) {
			a.set[g] = true
			setAt(&a.x, int(g), x, k)
			if a.by {
				setAt(&a.y, int(g), y, k)
			}
		}
	}
}

func (a *byAcc) merge(g int32, o accumulator, og int) {
	b := o.(*byAcc)
	if !b.set[og] {
		return
	}
	if a.better(int(g), &b.x, og, &b.y, og) {
		a.set[g] = true
		setAt(&a.x, int(g), &b.x, og)
		if a.by {
			setAt(&a.y, int(g), &b.y, og)
		}
	}
}

// setAt sets element g of the stored dst to element k of src (strings copied).
func setAt(dst *vec, g int, src *vec, k int) {
	null := src.t == tNull || src.isNull(k)
	if null || dst.null != nil {
		if dst.null == nil {
			dst.null = make([]bool, dst.n)
		}
		dst.null[g] = null
	}
	if null {
		return
	}
	switch src.t {
	case tStr:
		for len(dst.s) < dst.n {
			dst.s = append(dst.s, "")
		}
		dst.s[g] = strings.Clone(src.s[k])
	case tAddr:
		for len(dst.a) < dst.n {
			dst.a = append(dst.a, netip.Addr{})
		}
		dst.a[g] = src.a[k]
	case tFloat:
		for len(dst.f) < dst.n {
			dst.f = append(dst.f, 0)
		}
		dst.f[g] = src.f[k]
	default:
		for len(dst.i) < dst.n {
			dst.i = append(dst.i, 0)
		}
		dst.i[g] = src.i[k]
	}
}

func (a *byAcc) result(n int) *vec {
	v := &vec{}
	v.reset(a.t, n)
	for g := range n {
		if !a.set[g] || a.x.isNull(g) {
			v.nulls()[g] = true
			continue
		}
		switch a.t {
		case tStr:
			v.s[g] = a.x.s[g]
		case tAddr:
			v.a[g] = a.x.a[g]
		case tFloat:
			v.f[g] = a.x.f[g]
		default:
			v.i[g] = a.x.i[g]
		}
	}
	return v
}

// distinctAcc is count(DISTINCT x): the encoded values of each group, exactly.
type distinctAcc struct {
	sets []map[string]struct{}
	buf  []byte
}

func (a *distinctAcc) grow(n int) {
	for len(a.sets) < n {
		a.sets = append(a.sets, nil)
	}
}

func (a *distinctAcc) put(g int32, key []byte) {
	s := a.sets[g]
	if s == nil {
		s = map[string]struct{}{}
		a.sets[g] = s
	}
	if _, ok := s[string(key)]; !ok {
		s[string(key)] = struct{}{}
	}
}

func (a *distinctAcc) add(gids []int32, args []*vec, mask []bool) {
	x := args[0]
	if x.t == tNull {
		return
	}
	for k, g := range gids {
		if skip(mask, k) || x.isNull(k) {
			continue
		}
		a.buf = encodeKey(a.buf[:0], x, k)
		a.put(g, a.buf)
	}
}

func (a *distinctAcc) merge(g int32, o accumulator, og int) {
	for key := range o.(*distinctAcc).sets[og] {
		a.put(g, []byte(key))
	}
}

func (a *distinctAcc) result(n int) *vec {
	v := &vec{}
	v.reset(tInt, n)
	for g := range n {
		v.i[g] = int64(len(a.sets[g]))
	}
	return v
}

// valueLists keeps every value of each group, for the aggregates that need them all: percentiles
// and arrays.
type valueLists struct {
	t    typ
	vals []vec
}

func (l *valueLists) grow(n int) {
	for len(l.vals) < n {
		l.vals = append(l.vals, vec{t: l.t})
	}
}

// appendAll appends the values of src to group g's.
func (l *valueLists) appendAll(g int32, src *vec) {
	for k := range src.n {
		appendElem(&l.vals[g], src, k)
	}
}

// pctAcc is approx_percentile(x, p), computed exactly: the value at rank round(p·(n−1)) of the
// group's sorted values (so p = 0.5 of 1, 2, 3, 4 is 3). It holds the values.
type pctAcc struct {
	valueLists
	p float64
}

func (a *pctAcc) add(gids []int32, args []*vec, mask []bool) {
	x := args[0]
	if x.t == tNull {
		return
	}
	for k, g := range gids {
		if skip(mask, k) || x.isNull(k) {
			continue
		}
		appendElem(&a.vals[g], x, k)
	}
}

func (a *pctAcc) merge(g int32, o accumulator, og int) { a.appendAll(g, &o.(*pctAcc).vals[og]) }

func (a *pctAcc) result(n int) *vec {
	v := &vec{}
	v.reset(a.t, n)
	for g := range n {
		vs := &a.vals[g]
		if vs.n == 0 {
			v.nulls()[g] = true
			continue
		}
		r := int(math.Round(a.p * float64(vs.n-1)))
		if a.t == tFloat {
			sort.Float64s(vs.f)
			v.f[g] = vs.f[r]
		} else {
			sort.Slice(vs.i, func(x, y int) bool { return vs.i[x] < vs.i[y] })
			v.i[g] = vs.i[r]
		}
	}
	return v
}

// arrayAcc is array_agg(x): a group's values (NULLs too), written as Trino prints an array, [a, b,
// NULL], in ascending order (Trino's order is unspecified; this one does not depend on the workers).
type arrayAcc struct {
	valueLists
	distinct bool
}

func (a *arrayAcc) add(gids []int32, args []*vec, mask []bool) {
	x := args[0]
	for k, g := range gids {
		if skip(mask, k) {
			continue
		}
		appendElem(&a.vals[g], x, k)
	}
}

func (a *arrayAcc) merge(g int32, o accumulator, og int) { a.appendAll(g, &o.(*arrayAcc).vals[og]) }

func (a *arrayAcc) result(n int) *vec {
	v := &vec{}
	v.reset(tStr, n)
	var b strings.Builder
	for g := range n {
		vs := &a.vals[g]
		if vs.n == 0 {
			v.nulls()[g] = true
			continue
		}
		idx := make([]int, vs.n)
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(x, y int) bool { return cmpVecs(vs, idx[x], vs, idx[y]) < 0 })
		b.Reset()
		b.WriteByte('[')
		for j, i := range idx {
			if a.distinct && j > 0 && cmpVecs(vs, idx[j-1], vs, i) == 0 {
				continue
			}
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(elemText(vs, i))
		}
		b.WriteByte(']')
		v.s[g] = b.String()
	}
	return v
}

// elemText is element k of v as text (NULL for a null).
func elemText(v *vec, k int) string {
	if v.t == tNull || v.isNull(k) {
		return "NULL"
	}
	switch v.t {
	case tStr:
		return v.s[k]
	case tAddr:
		return v.a[k].String()
	case tFloat:
		return strconv.FormatFloat(v.f[k], 'g', -1, 64)
	case tBool:
		return strconv.FormatBool(v.i[k] == 1)
	case tTime:
		loc := v.loc
		if loc == nil {
			loc = time.UTC
		}
		return formatTime(v.i[k], loc)
	}
	return strconv.FormatInt(v.i[k], 10)
}
