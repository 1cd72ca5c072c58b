package query

import (
	"math"
	"slices"
	"testing"
)

// TestHLLErrorBounds: the estimate of n distinct values lies within 3 standard errors (Trino's
// 2.3% by default) for cardinalities from a handful to a million, for bigints and strings; up to
// 256 values it is exact.
func TestHLLErrorBounds(t *testing.T) {
	for _, e := range []float64{0.023, 0.01} {
		p := hllP(e)
		se := 1.04 / math.Sqrt(float64(uint64(1)<<p))
		if se > e {
			t.Fatalf("hllP(%v) = %d: standard error %v", e, p, se)
		}
		for _, n := range []int{1, 100, 256, 1000, 5000, 20000, 100000, 1000000} {
			for _, kind := range []string{"int", "string"} {
				h := &hll{p: p}
				v := &vec{}
				for i := range n {
					if kind == "int" {
						v.reset(tInt, 1)
						v.i[0] = int64(i)*7919 + 13
					} else {
						v.reset(tStr, 1)
						v.s[0] = "eni-" + string(rune('a'+i%26)) + itoa(i)
					}
					h.add(hashValue(v, 0, nil))
					if i%3 == 0 { // repeats change nothing
						h.add(hashValue(v, 0, nil))
					}
				}
				got := h.estimate()
				if n <= 256 {
					if got != int64(n) {
						t.Errorf("e %v, %d %s values: %d, want exactly %d", e, n, kind, got, n)
					}
					continue
				}
				if rel := math.Abs(float64(got)-float64(n)) / float64(n); rel > 3*se {
					t.Errorf("e %v, %d %s values: estimate %d, off by %.2f%% > 3 standard errors (%.2f%%)", e, n, kind, got, 100*rel, 300*se)
				}
			}
		}
	}
}

func itoa(i int) string {
	var b []byte
	for {
		b = append(b, byte('0'+i%10))
		i /= 10
		if i == 0 {
			break
		}
	}
	slices.Reverse(b)
	return string(b)
}

// TestHLLMerge: the sketches of two overlapping parts, merged (either way round, sparse or dense),
// equal the sketch of their union.
func TestHLLMerge(t *testing.T) {
	for _, sizes := range [][2]int{{50, 60}, {100, 5000}, {30000, 40000}} {
		p := hllP(0.023)
		a, b, all := &hll{p: p}, &hll{p: p}, &hll{p: p}
		for i := range sizes[0] {
			x := mix64(uint64(i))
			a.add(x)
			all.add(x)
		}
		for i := sizes[0] / 2; i < sizes[0]/2+sizes[1]; i++ { // overlaps a's second half
			x := mix64(uint64(i))
			b.add(x)
			all.add(x)
		}
		ab := &hll{p: p}
		ab.merge(a)
		ab.merge(b)
		ba := &hll{p: p}
		ba.merge(b)
		ba.merge(a)
		for _, m := range []*hll{ab, ba} {
			if m.estimate() != all.estimate() {
				t.Errorf("%v: merged estimate %d, union %d", sizes, m.estimate(), all.estimate())
			}
			ms, us := slices.Sorted(slices.Values(m.sparse)), slices.Sorted(slices.Values(all.sparse))
			if (m.regs == nil) != (all.regs == nil) || !slices.Equal(m.regs, all.regs) || !slices.Equal(ms, us) {
				t.Errorf("%v: the merged sketch differs from the union's", sizes)
			}
		}
	}
}
