package query

import (
	"math"
	"math/bits"
)

// approx_distinct is a HyperLogLog sketch per group, as Trino's: 2^11 registers by default, for a
// standard error of 1.04/√2048 ≈ 2.3% (Trino's default, 0.023), or as many as a given maximum
// standard error needs. Sketches merge by taking the larger register, so the workers' partial
// sketches combine into the sketch of all the rows. A sketch starts sparse: the distinct hashes
// themselves, exact, until they would take as much room as the registers. The estimate is Ertl's
// improved raw estimator ("New cardinality estimation algorithms for HyperLogLog sketches", 2017),
// unbiased from a handful of values to billions without the empirical tables of HLL++.

// hllSparseMax is how many hashes a sparse sketch holds before it turns into registers.
const hllSparseMax = 256

// hll is one sketch: sparse (hashes, regs nil) or dense (regs).
type hll struct {
	p      uint8
	sparse []uint64
	regs   []uint8
}

func (h *hll) add(x uint64) {
	if h.regs == nil {
		for _, s := range h.sparse {
			if s == x {
				return
			}
		}
		if len(h.sparse) < hllSparseMax && len(h.sparse) < 1<<h.p/8 {
			h.sparse = append(h.sparse, x)
			return
		}
		h.densify()
	}
	h.addDense(x)
}

func (h *hll) densify() {
	h.regs = make([]uint8, 1<<h.p)
	for _, s := range h.sparse {
		h.addDense(s)
	}
	h.sparse = nil
}

func (h *hll) addDense(x uint64) {
	i := x >> (64 - h.p)
	w := x<<h.p | 1<<(h.p-1) // a sentinel bit bounds the run of zeros at 64-p
	r := uint8(bits.LeadingZeros64(w)) + 1
	if r > h.regs[i] {
		h.regs[i] = r
	}
}

// merge folds o into h.
func (h *hll) merge(o *hll) {
	if o.regs == nil {
		for _, s := range o.sparse {
			h.add(s)
		}
		return
	}
	if h.regs == nil {
		h.densify()
	}
	for i, r := range o.regs {
		if r > h.regs[i] {
			h.regs[i] = r
		}
	}
}

// estimate is the number of distinct values: exact while sparse.
func (h *hll) estimate() int64 {
	if h.regs == nil {
		return int64(len(h.sparse))
	}
	m := float64(len(h.regs))
	q := 64 - int(h.p)
	c := make([]int, q+2)
	for _, r := range h.regs {
		c[r]++
	}
	z := m * hllTau((m-float64(c[q+1]))/m)
	for k := q; k >= 1; k-- {
		z = 0.5 * (z + float64(c[k]))
	}
	z += m * hllSigma(float64(c[0])/m)
	return int64(math.Round(m * m / (2 * math.Ln2) / z))
}

func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		old := z
		z += x * y
		y += y
		if z == old {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		old := z
		y *= 0.5
		z -= (1 - x) * (1 - x) * y
		if z == old {
			return z / 3
		}
	}
}

// hllP is the index bits of the sketch whose standard error 1.04/√m is at most e (Trino accepts e
// from 0.0040625 to 0.26).
func hllP(e float64) uint8 {
	p := uint8(4)
	for p < 16 && 1.04/math.Sqrt(float64(uint64(1)<<p)) > e {
		p++
	}
	return p
}

// hashValue hashes element k of v (not NULL) to 64 bits: the same value gives the same hash in
// every worker and every run.
func hashValue(v *vec, k int, buf []byte) uint64 {
	switch v.t {
	case tStr:
		return hashBytes(v.s[k])
	case tAddr:
		a := v.a[k].As16()
		return hashBytes(append(buf[:0], a[:]...)) ^ uint64(b2u8(v.a[k].Is4()))
	case tFloat:
		f := v.f[k]
		if f == math.Trunc(f) && math.Abs(f) < 1<<62 { // 2.0 counts as 2, as in a bigint column
			return mix64(uint64(int64(f)))
		}
		return mix64(math.Float64bits(f))
	}
	return mix64(uint64(v.i[k]))
}

// mix64 is SplitMix64's finalizer: every input bit moves every output bit.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hashBytes is FNV-1a over b, eight bytes at a time, then mixed.
func hashBytes[T string | []byte](b T) uint64 {
	h := uint64(14695981039346656037)
	for len(b) >= 8 {
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		h = (h ^ w) * 1099511628211
		b = b[8:]
	}
	for i := 0; i < len(b); i++ {
		h = (h ^ uint64(b[i])) * 1099511628211
	}
	return mix64(h ^ uint64(len(b)))
}

// hllAcc is approx_distinct(x).
type hllAcc struct {
	p   uint8
	sk  []hll
	buf []byte
}

func (a *hllAcc) grow(n int) {
	for len(a.sk) < n {
		a.sk = append(a.sk, hll{p: a.p})
	}
}

func (a *hllAcc) add(gids []int32, args []*vec, mask []bool) {
	x := args[0]
	if x.t == tNull {
		return
	}
	for k, g := range gids {
		if skip(mask, k) || x.isNull(k) {
			continue
		}
		a.sk[g].add(hashValue(x, k, a.buf))
	}
}

func (a *hllAcc) merge(g int32, o accumulator, og int) { a.sk[g].merge(&o.(*hllAcc).sk[og]) }

func (a *hllAcc) result(n int) *vec {
	v := &vec{}
	v.reset(tInt, n)
	for g := range n {
		v.i[g] = a.sk[g].estimate()
	}
	return v
}
