package query

import (
	"net/netip"
	"sync/atomic"
	"unsafe"
)

// memBudget bounds the memory an ordered scan retains (its rows, its sort buffers, the blocks of its
// merge), across workers, as aggregate.Budget bounds aggregation state: the run's MemoryLimit, a
// running total and its peak. A worker that cannot reserve spills what it holds to disk.
type memBudget struct {
	limit int64 // <= 0: no limit
	used  atomic.Int64
	peak  atomic.Int64
}

// tryReserve takes d bytes unless that would cross the limit.
func (b *memBudget) tryReserve(d int64) bool {
	u := b.used.Add(d)
	if d > 0 && b.limit > 0 && u > b.limit {
		b.used.Add(-d)
		return false
	}
	b.notePeak(u)
	return true
}

// force takes d bytes whatever the limit (negative d gives them back): for what cannot wait for a
// spill (a merge's blocks, a row that does not fit an arena chunk).
func (b *memBudget) force(d int64) { b.notePeak(b.used.Add(d)) }

func (b *memBudget) notePeak(u int64) {
	for {
		p := b.peak.Load()
		if u <= p || b.peak.CompareAndSwap(p, u) {
			return
		}
	}
}

// available is what can still be reserved (a large number without a limit).
func (b *memBudget) available() int64 {
	if b.limit <= 0 {
		return 1 << 62
	}
	return max(b.limit-b.used.Load(), 0)
}

const (
	arenaChunk  = 64 << 10 // bytes of a string arena chunk
	minRowsCap  = 256      // first capacity of a row set
	valueBytes  = 8        // int64 and float64 elements
	stringBytes = int64(unsafe.Sizeof(""))
	addrBytes   = int64(unsafe.Sizeof(netip.Addr{}))
)

// rowSet holds rows copied out of batches, column by column: the output columns, then the ORDER BY
// keys. Its columns are vecs, so that the comparisons and vecArray read them as they read a batch's
// values; its strings point into its own byte arena, never into a batch (whose buffers go back to
// the decoder). Its memory is reserved from a budget before it is allocated, and kept across
// reset: a worker's buffer is filled, sorted, spilled and filled again in the same memory.
type rowSet struct {
	v       []*vec
	n       int
	capRows int
	width   int64    // bytes a row takes in the column slices, null flags included
	chunks  [][]byte // the string arena: strings in v point into chunks[:cur+1]
	cur     int
	held    int64 // bytes allocated, all reserved from budget
	budget  *memBudget
}

func newRowSet(types []typ, b *memBudget) *rowSet {
	rs := &rowSet{budget: b}
	for _, t := range types {
		rs.v = append(rs.v, &vec{t: t})
		rs.width += 1 + colBytes(t)
	}
	return rs
}

// colBytes is the size of one element of a column of type t.
func colBytes(t typ) int64 {
	switch t {
	case tStr:
		return stringBytes
	case tAddr:
		return addrBytes
	}
	return valueBytes
}

// arenaFree is the room left in the arena's current chunk and the chunks after it (kept from before
// a reset).
func (rs *rowSet) arenaFree() int {
	free := 0
	for i := rs.cur; i < len(rs.chunks); i++ {
		if i == rs.cur {
			free += cap(rs.chunks[i]) - len(rs.chunks[i])
		} else {
			free += cap(rs.chunks[i])
		}
	}
	return free
}

// ensure makes room for m more rows holding strBytes bytes of strings, reserving the memory first.
// It grows by doubling, or to just what is needed when the doubling does not fit; it returns false,
// allocating nothing, when not even that fits. With force the budget is charged regardless.
func (rs *rowSet) ensure(m, strBytes int, force bool) bool {
	chunk := 0
	if strBytes > rs.arenaFree() {
		chunk = max(arenaChunk, strBytes)
	}
	newCap := rs.capRows
	if rs.n+m > rs.capRows {
		newCap = max(2*rs.capRows, rs.n+m, minRowsCap)
	}
	delta := int64(newCap-rs.capRows)*rs.width + int64(chunk)
	switch {
	case delta == 0:
	case force:
		rs.budget.force(delta)
	case rs.budget.tryReserve(delta):
	default:
		if newCap == rs.n+m || rs.n+m <= rs.capRows {
			return false
		}
		newCap = rs.n + m
		delta = int64(newCap-rs.capRows)*rs.width + int64(chunk)
		if !rs.budget.tryReserve(delta) {
			return false
		}
	}
	rs.held += delta
	if chunk > 0 {
		rs.chunks = append(rs.chunks, make([]byte, 0, chunk))
	}
	if newCap > rs.capRows {
		for _, v := range rs.v {
			switch v.t {
			case tStr:
				v.s = append(v.s[:rs.capRows], make([]string, newCap-rs.capRows)...)
			case tAddr:
				v.a = append(v.a[:rs.capRows], make([]netip.Addr, newCap-rs.capRows)...)
			case tFloat:
				v.f = append(v.f[:rs.capRows], make([]float64, newCap-rs.capRows)...)
			default:
				v.i = append(v.i[:rs.capRows], make([]int64, newCap-rs.capRows)...)
			}
			if v.null != nil {
				v.null = append(v.null[:rs.capRows], make([]bool, newCap-rs.capRows)...)
			}
		}
		rs.capRows = newCap
	}
	return true
}

// str copies s into the arena and returns the copy. The bytes a returned string points at are not
// written again until reset, when no string of the set is read any more.
func (rs *rowSet) str(s string) string {
	if len(s) == 0 {
		return ""
	}
	if len(rs.chunks) == 0 || cap(rs.chunks[rs.cur])-len(rs.chunks[rs.cur]) < len(s) {
		if len(rs.chunks) > 0 {
			rs.cur++
		}
		for rs.cur < len(rs.chunks) && cap(rs.chunks[rs.cur]) < len(s) {
			rs.cur++
		}
		if rs.cur == len(rs.chunks) {
			// The room ensure counted was split over chunks: one more, charged regardless.
			c := max(arenaChunk, len(s))
			rs.budget.force(int64(c))
			rs.held += int64(c)
			rs.chunks = append(rs.chunks, make([]byte, 0, c))
		}
		rs.chunks[rs.cur] = rs.chunks[rs.cur][:0]
	}
	c := rs.chunks[rs.cur]
	start := len(c)
	c = append(c, s...)
	rs.chunks[rs.cur] = c
	return unsafe.String(&c[start], len(s))
}

// nulls returns column c's null flags, making them (false for the rows so far) on first use.
func (rs *rowSet) nulls(c int) []bool {
	v := rs.v[c]
	if v.null == nil {
		v.null = make([]bool, rs.capRows)
	}
	return v.null
}

// appendCol copies elements idx of src after the set's n rows in column c; commit counts the rows
// once every column has them. Called once per column: the type switch is outside the row loops.
func (rs *rowSet) appendCol(c int, src *vec, idx []int32) {
	d := rs.v[c]
	d.t, d.loc = src.t, src.loc
	n := rs.n
	if src.t == tNull {
		nl := rs.nulls(c)
		for j := range idx {
			nl[n+j] = true
		}
		return
	}
	if src.null != nil {
		nl := rs.nulls(c)
		for j, k := range idx {
			nl[n+j] = src.null[k]
		}
	} else if d.null != nil {
		clear(d.null[n : n+len(idx)])
	}
	switch src.t {
	case tStr:
		dst := d.s[n : n+len(idx)]
		for j, k := range idx {
			dst[j] = rs.str(src.s[k])
		}
	case tAddr:
		dst := d.a[n : n+len(idx)]
		for j, k := range idx {
			dst[j] = src.a[k]
		}
	case tFloat:
		dst := d.f[n : n+len(idx)]
		for j, k := range idx {
			dst[j] = src.f[k]
		}
	default:
		dst := d.i[n : n+len(idx)]
		for j, k := range idx {
			dst[j] = src.i[k]
		}
	}
}

// commit counts m rows appended to every column.
func (rs *rowSet) commit(m int) {
	rs.n += m
	for _, v := range rs.v {
		v.n = rs.n
	}
}

// strBytes is the string bytes of elements idx of src (0 for other types).
func strBytes(src *vec, idx []int32) int {
	if src.t != tStr {
		return 0
	}
	n := 0
	for _, k := range idx {
		n += len(src.s[k])
	}
	return n
}

// appendRows copies rows idx of src (a set of the same columns), forcing the memory.
func (rs *rowSet) appendRows(src *rowSet, idx []int32) {
	sb := 0
	for _, v := range src.v {
		sb += strBytes(v, idx)
	}
	rs.ensure(len(idx), sb, true)
	for c, v := range src.v {
		rs.appendCol(c, v, idx)
	}
	rs.commit(len(idx))
}

// reset empties the set, keeping its memory.
func (rs *rowSet) reset() {
	rs.n, rs.cur = 0, 0
	for _, v := range rs.v {
		v.n = 0
		if v.null != nil {
			clear(v.null)
		}
	}
	if len(rs.chunks) > 0 {
		rs.chunks[0] = rs.chunks[0][:0]
	}
}

// release empties the set and gives its memory back.
func (rs *rowSet) release() {
	if rs == nil {
		return
	}
	rs.budget.force(-rs.held)
	rs.held = 0
	rs.n, rs.capRows, rs.cur, rs.chunks = 0, 0, 0, nil
	for _, v := range rs.v {
		*v = vec{t: v.t}
	}
}
