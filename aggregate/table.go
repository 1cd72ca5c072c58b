package aggregate

import (
	"fmt"
	"math"
	"sync/atomic"
)

// table is the state of one group-by in one worker (or one partition of a merge): an open-addressing
// hash table over fixed-width keys, with the measures of each group in flat columns. It grows when
// half full, and the key and measure columns are given room for that many groups at once, so that
// appends never reallocate; each growth asks the memory budget first. A table whose growth the
// budget refused still grows (the rows of the batch in hand need slots) and keeps the error, which
// the worker returns after the batch: the overshoot is one doubling of one table.
type table struct {
	w      int      // words per key
	keys   []uint64 // group g's key is keys[g*w : g*w+w]
	hashes []uint64 // per group
	slots  []uint32 // group+1; 0 is empty
	mask   uint64
	vals   [][]int64 // per measure (nil when not kept); distinct counts after the plain measures
	n      int       // groups
	held   int64     // bytes reserved from the budget

	budget *Budget
	name   string
	err    error // the budget's refusal, kept until the worker reports it
}

func newTable(w int, measured []bool, b *Budget, name string) *table {
	t := &table{w: w, vals: make([][]int64, len(measured)), budget: b, name: name}
	for m, on := range measured {
		if on {
			t.vals[m] = []int64{}
		}
	}
	t.resize(64)
	return t
}

// resize rehashes into size slots (a power of two), with room for size/2 groups.
func (t *table) resize(size int) {
	groups := size / 2
	cost := int64(size)*4 + int64(groups)*int64(8*t.w+8)
	for _, v := range t.vals {
		if v != nil {
			cost += int64(groups) * 8
		}
	}
	if t.budget != nil {
		if err := t.budget.reserve(cost-t.held, t.name, t.n); err != nil && t.err == nil {
			t.err = err
			t.budget.reserve(cost-t.held, "", 0) // the memory is taken all the same
		}
	}
	t.held = cost
	t.grow(size, groups)
}

func (t *table) grow(size, groups int) {
	keys := make([]uint64, t.n*t.w, groups*t.w)
	copy(keys, t.keys)
	t.keys = keys
	hashes := make([]uint64, t.n, groups)
	copy(hashes, t.hashes)
	t.hashes = hashes
	for m, v := range t.vals {
		if v != nil {
			nv := make([]int64, t.n, groups)
			copy(nv, v)
			t.vals[m] = nv
		}
	}
	t.slots = make([]uint32, size)
	t.mask = uint64(size - 1)
	for g := 0; g < t.n; g++ {
		i := t.hashes[g] & t.mask
		for t.slots[i] != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = uint32(g + 1)
	}
}

// find returns the group of key k (hash h), adding it with initial measures when new.
func (t *table) find(k []uint64, h uint64) uint32 {
	w := t.w
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s == 0 {
			g := uint32(t.n)
			t.n++
			t.keys = append(t.keys, k...)
			t.hashes = append(t.hashes, h)
			for m, v := range t.vals {
				if v != nil {
					t.vals[m] = append(v, initial(Measure(m)))
				}
			}
			t.slots[i] = g + 1
			if t.n*2 > len(t.slots) {
				t.resize(2 * len(t.slots))
			}
			return g
		}
		g := s - 1
		if t.hashes[g] == h && equalWords(t.keys[int(g)*w:int(g)*w+w], k) {
			return g
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
func (t *table) key(g int) []uint64 { return t.keys[g*t.w : g*t.w+t.w] }

// mergeGroup folds group g of o into t (which has room for it).
func (t *table) mergeGroup(o *table, g int) {
	d := t.find(o.key(g), o.hashes[g])
	for m, v := range t.vals {
		if v == nil {
			continue
		}
		x := o.vals[m][g]
		switch Measure(m) {
		case MinStart:
			v[d] = min(v[d], x)
		case MaxEnd:
			v[d] = max(v[d], x)
		default:
			v[d] += x
		}
	}
}

// partitionOf spreads hashes over n merge partitions with bits the slot index does not use first.
func partitionOf(h uint64, n int) int { return int((h >> 40) % uint64(n)) }

// release returns the table's memory to the budget.
func (t *table) release() {
	if t.budget != nil {
		t.budget.reserve(-t.held, "", 0)
	}
	t.held = 0
	t.keys, t.hashes, t.slots = nil, nil, nil
	for m := range t.vals {
		if t.vals[m] != nil {
			t.vals[m] = nil
		}
	}
	t.n = 0
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
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
