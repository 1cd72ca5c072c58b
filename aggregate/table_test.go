package aggregate

import (
	"math/rand/v2"
	"testing"
)

// TestTableSegments: a table of over 150 000 groups (three row segments, the first one grown) finds
// every key's group again, keeps its measures, merges into another table as a map says, and
// accounts for exactly the room it holds.
func TestTableSegments(t *testing.T) {
	ms := measureSet{on: []bool{true, false, true}, init: []int64{0, 0, 1 << 40}, merge: []AggOp{AggSum, AggSum, AggMin}}
	for _, w := range []int{1, 2} {
		b := NewBudget(0)
		a, c := newTable(w, ms, b, "a"), newTable(w, ms, b, "c")
		type sums struct{ sum, min int64 }
		want := map[[2]uint64]sums{}
		rng := rand.New(rand.NewPCG(1, uint64(w)))
		key := make([]uint64, w)
		add := func(tb *table, k [2]uint64, v int64) {
			copy(key, k[:w])
			row := tb.row(int(tb.find(key, hashKey(key))))
			row[tb.moff[0]] += uint64(v)
			row[tb.moff[2]] = uint64(min(int64(row[tb.moff[2]]), v))
			s, ok := want[k]
			if !ok {
				s.min = 1 << 40
			}
			s.sum += v
			s.min = min(s.min, v)
			want[k] = s
		}
		for i := range 400_000 {
			k := [2]uint64{uint64(rng.IntN(200_000)) + 1, 0}
			if w == 2 {
				k[1] = uint64(i % 3)
			}
			tb := a
			if i%4 == 0 {
				tb = c
			}
			add(tb, k, int64(rng.IntN(1000)))
		}
		if a.n < 2*segGroups || len(a.segs) != (a.n+segMask)/segGroups {
			t.Fatalf("%d groups in %d segments", a.n, len(a.segs))
		}
		if a.held != a.cost(len(a.slots), a.rowCap) || b.Used() != a.held+c.held {
			t.Errorf("held %d, cost %d, budget %d", a.held, a.cost(len(a.slots), a.rowCap), b.Used())
		}
		for g := range c.n {
			a.mergeGroup(c, g, hashKey(c.key(g)))
		}
		if a.n != len(want) {
			t.Fatalf("w=%d: %d groups, want %d", w, a.n, len(want))
		}
		for g := range a.n {
			var k [2]uint64
			copy(k[:], a.key(g))
			s := want[k]
			if a.value(g, 0) != s.sum || a.value(g, 2) != s.min {
				t.Fatalf("w=%d: group %v: sum %d min %d, want %+v", w, k, a.value(g, 0), a.value(g, 2), s)
			}
			copy(key, k[:w])
			if int(a.find(key, hashKey(key))) != g || a.n != len(want) {
				t.Fatalf("w=%d: %v not found again", w, k)
			}
		}
	}
}
