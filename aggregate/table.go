package aggregate

import (
	"fmt"
	"math"
	"math/bits"
	"runtime/debug"
	"sync/atomic"

	"github.com/flowlens/flowlens/internal/hugemem"
	"github.com/flowlens/flowlens/internal/units"
)

// table is the state of one group-by in one worker (or one partition of a merge): an open-addressing
// hash table over fixed-width keys. A group is one row of words, its key then its measures, so that
// a probe that finds its group touches two cache lines: the slot and the row. A slot holds the top
// 32 bits of the key's hash beside the group's index+1, so that most mismatches are decided without
// reading a row. The slots double when three quarters full. The rows live in segments of segGroups
// groups: a growing table never copies its rows nor holds room for more than a segment beyond them
// (the first segment grows by half as needed, so that small tables stay small). Each growth asks the
// memory budget first. A table whose growth the budget refused still grows (the rows of the batch in
// hand need room) and keeps the error, which the worker returns after the batch: the overshoot is
// one growth of one table.
type table struct {
	w      int        // words per key
	stride int        // words per row: key, then measures
	moff   []int      // per measure (Measure, then distinct counts, then aggregates): its word in a row, or -1
	init   []int64    // per measure: the value of a new group
	merge  []AggOp    // per measure: how partial values combine
	segs   [][]uint64 // group g is row(g): in segment g>>segShift; all but the last are full
	rowCap int        // words of room in all segments
	slots  []uint64   // 0 is empty; else hash>>32 <<32 | group+1
	mask   uint64
	shift  uint  // a key's home slot is hash >> shift
	n      int   // groups
	held   int64 // bytes reserved from the budget
	narrow bool  // keys are in the layout's narrow (IPv4) encoding

	budget *Budget
	name   string
	err    error // the budget's refusal, kept until the worker reports it
}

func newTable(w int, ms measureSet, b *Budget, name string) *table {
	t := &table{w: w, stride: w, moff: make([]int, len(ms.on)), init: ms.init, merge: ms.merge, budget: b, name: name}
	for m, on := range ms.on {
		t.moff[m] = -1
		if on {
			t.moff[m] = t.stride
			t.stride++
		}
	}
	t.resize(64)
	return t
}

// take accounts for the table's memory becoming cost bytes.
func (t *table) take(cost int64) {
	if t.budget != nil {
		if err := t.budget.reserve(cost-t.held, t.name, t.n); err != nil {
			if t.err == nil {
				t.err = err
			}
			t.budget.reserve(cost-t.held, "", 0) // the memory is taken all the same
		}
	}
	t.held = cost
}

func (t *table) cost(slots, rowCap int) int64 { return int64(slots)*8 + int64(rowCap)*8 }

// resize moves the slots into size slots (a power of two). A key's home slot is the top bits of its
// hash, which its slot's tag holds: moving needs no row and no hash, and it reads the old slots in
// order and writes the new ones nearly in order.
func (t *table) resize(size int) {
	if size > 1<<32 {
		panic("BUG: more than 2^32 slots")
	}
	t.take(t.cost(size, t.rowCap))
	old := t.slots
	t.slots = hugemem.Uint64s(size)
	t.mask = uint64(size - 1)
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := s >> t.shift
		for t.slots[i] != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = s
	}
	returnMemory(len(old) * 8)
}

// Row segments: 64 Ki groups each.
const (
	segShift  = 16
	segGroups = 1 << segShift
	segMask   = segGroups - 1
)

// row returns the words of group g: its key, then its measures.
func (t *table) row(g int) []uint64 {
	o := (g & segMask) * t.stride
	return t.segs[g>>segShift][o : o+t.stride]
}

// growRows makes room for group t.n: the first segment grows by half (at least to 32 groups, at
// most to a whole segment); after it, whole segments are added.
func (t *table) growRows() {
	si := t.n >> segShift
	if si > 0 {
		t.take(t.cost(len(t.slots), t.rowCap+segGroups*t.stride))
		t.segs = append(t.segs, hugemem.Uint64s(segGroups*t.stride))
		t.rowCap += segGroups * t.stride
		return
	}
	groups := min(max(t.n+t.n/2, 32), segGroups)
	t.take(t.cost(len(t.slots), groups*t.stride))
	seg := hugemem.Uint64s(groups * t.stride)
	if len(t.segs) == 0 {
		t.segs = append(t.segs, seg)
	} else {
		copy(seg, t.segs[0])
		t.segs[0] = seg
	}
	t.rowCap = len(seg)
}

// returnMemory gives the memory of a dropped array of size bytes back to the system soon when it
// is large. The growing tables free arrays that later, larger, allocations cannot reuse; the Go
// runtime would keep them resident for a long while (peak RSS well above the heap). A collection
// of this heap, mostly arrays without pointers, is cheap, and large arrays are dropped a few times
// per run.
func returnMemory(size int) {
	if size < 32<<20 || !returning.CompareAndSwap(false, true) {
		return
	}
	go func() {
		debug.FreeOSMemory()
		returning.Store(false)
	}()
}

var returning atomic.Bool

// find returns the group of key k (hash h), adding it with initial measures when new.
func (t *table) find(k []uint64, h uint64) uint32 {
	w, stride := t.w, t.stride
	tag := h >> 32 << 32
	for i := h >> t.shift; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s == 0 {
			g := t.n
			if (g+1)*stride > t.rowCap {
				t.growRows()
			}
			t.n++
			row := t.row(g)
			copy(row, k)
			for m, o := range t.moff {
				if o >= 0 {
					row[o] = uint64(t.init[m])
				}
			}
			t.slots[i] = tag | uint64(g+1)
			if 4*t.n > 3*len(t.slots) {
				t.resize(2 * len(t.slots))
			}
			return uint32(g)
		}
		if s&^0xffffffff == tag {
			g := int(uint32(s)) - 1
			if equalWords(t.row(g)[:w], k) {
				return uint32(g)
			}
		}
	}
}

func equalWords(a, b []uint64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func initial(m Measure) int64 {
	switch m {
	case MinStart:
		return math.MaxInt64
	case MaxEnd:
		return math.MinInt64
	}
	return 0
}

// key returns the words of group g.
func (t *table) key(g int) []uint64 { return t.row(g)[:t.w] }

// value returns measure m of group g (0 when the table does not keep it).
func (t *table) value(g int, m Measure) int64 {
	if int(m) >= len(t.moff) || t.moff[m] < 0 {
		return 0
	}
	return int64(t.row(g)[t.moff[m]])
}

// mergeGroup folds group g of o (whose key hashes to h) into t, measure by measure.
func (t *table) mergeGroup(o *table, g int, h uint64) { t.mergeRow(o.key(g), h, o, o.row(g)) }

// mergeRow folds src, a row of o, into t's group of key k (which hashes to h), each measure
// combined its own way. k need not be src's key: Rollup folds a group into a coarser one.
func (t *table) mergeRow(k []uint64, h uint64, o *table, src []uint64) {
	d := t.row(int(t.find(k, h)))
	for m, off := range t.moff {
		if off < 0 || o.moff[m] < 0 {
			continue
		}
		x := int64(src[o.moff[m]])
		p := &d[off]
		switch t.merge[m] {
		case AggMin:
			*p = uint64(min(int64(*p), x))
		case AggMax:
			*p = uint64(max(int64(*p), x))
		default:
			*p += uint64(x)
		}
	}
}

// partitionOf spreads hashes over n shards or merge partitions with the low bits, which the slot
// index (the top bits) and the tag (the top 32) do not use.
func partitionOf(h uint64, n int) int { return int(uint32(h) % uint32(n)) }

// release returns the table's memory to the budget.
func (t *table) release() {
	if t.budget != nil {
		t.budget.reserve(-t.held, "", 0)
	}
	t.held = 0
	t.segs, t.slots = nil, nil
	t.n, t.rowCap = 0, 0
}

// Budget bounds the memory that aggregation state may hold, across workers.
type Budget struct {
	limit int64
	used  atomic.Int64
	peak  atomic.Int64
}

// NewBudget returns a budget of limit bytes (no limit when limit <= 0).
func NewBudget(limit int64) *Budget { return &Budget{limit: limit} }

// Used is the memory held now; Peak the most held at once.
func (b *Budget) Used() int64 { return b.used.Load() }

// Peak is the most memory held at once.
func (b *Budget) Peak() int64 { return b.peak.Load() }

// MemoryError is an aggregation that would cross the memory limit.
type MemoryError struct {
	Aggregation string
	Limit       int64
	Groups      int
}

func (e *MemoryError) Error() string {
	return fmt.Sprintf("aggregation %q needs more than the memory limit of %s (%d groups held in one worker): "+
		"raise --memory-limit, or read less at a time (--from/--to, fewer sources) and combine the results",
		e.Aggregation, FormatBytes(e.Limit), e.Groups)
}

// reserve takes delta bytes (gives them back when negative); it refuses, taking nothing, when the
// limit would be crossed and name is not empty.
func (b *Budget) reserve(delta int64, name string, groups int) error {
	u := b.used.Add(delta)
	if delta > 0 && name != "" && b.limit > 0 && u > b.limit {
		b.used.Add(-delta)
		return &MemoryError{Aggregation: name, Limit: b.limit, Groups: groups}
	}
	b.notePeak(u)
	return nil
}

func (b *Budget) notePeak(u int64) {
	for {
		p := b.peak.Load()
		if u <= p || b.peak.CompareAndSwap(p, u) {
			break
		}
	}
}

// FormatBytes writes n in binary units: 512 B, 1.5 KiB, 2.0 GiB.
func FormatBytes(n int64) string { return units.Binary(n) }
