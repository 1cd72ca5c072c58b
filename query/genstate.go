package query

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"
)

// The general group-by's state, written by a --partial run and read back by a merge: the groups'
// keys and every accumulator's state (counts, sums, extremes, distinct sets, percentile values,
// arrays, HyperLogLog sketches), so that merging states is merging the workers' tables of one run.
// Its bytes travel in an aggregate state's blobs (aggregate.Result.Blobs).

// genStateVersion is the version of the encoding below.
const genStateVersion = 1

type stateEnc struct{ b []byte }

func (e *stateEnc) u(v uint64)  { e.b = binary.AppendUvarint(e.b, v) }
func (e *stateEnc) i(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *stateEnc) f(v float64) { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *stateEnc) bool(v bool) { e.b = append(e.b, b2u8(v)) }
func (e *stateEnc) str(s string) {
	e.u(uint64(len(s)))
	e.b = append(e.b, s...)
}

// vec writes v: its type, zone, length and elements.
func (e *stateEnc) vec(v *vec) {
	e.u(uint64(v.t))
	loc := ""
	if v.loc != nil {
		loc = v.loc.String()
	}
	e.str(loc)
	e.u(uint64(v.n))
	for k := range v.n {
		e.b = encodeKey(e.b, v, k)
	}
}

var errState = errors.New("truncated or corrupt")

type stateDec struct {
	b   []byte
	err error
}

func (d *stateDec) fail() {
	if d.err == nil {
		d.err = errState
	}
}

func (d *stateDec) u() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *stateDec) i() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *stateDec) take(n int) []byte {
	if n < 0 || n > len(d.b) {
		d.fail()
		d.b = nil
		return make([]byte, max(n, 0))
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *stateDec) f() float64  { return math.Float64frombits(binary.LittleEndian.Uint64(d.take(8))) }
func (d *stateDec) bool() bool  { return d.take(1)[0] != 0 }
func (d *stateDec) str() string { return string(d.take(int(d.u()))) }

// count reads a number of elements to come. It may exceed the bytes left (an accumulator of no
// groups writes nothing), but not absurdly: corrupt input must not make a huge allocation.
func (d *stateDec) count() int {
	n := d.u()
	if n > uint64(len(d.b))+1024 {
		d.fail()
		return 0
	}
	return int(n)
}

// elem appends one element, as encodeKey wrote it, to v.
func (d *stateDec) elem(v *vec) {
	if d.take(1)[0] == 0 {
		appendElem(v, &vec{t: tNull}, 0)
		return
	}
	one := &vec{t: v.t, n: 1}
	switch v.t {
	case tStr:
		one.s = []string{d.str()}
	case tAddr:
		var a [16]byte
		copy(a[:], d.take(16))
		ad := netip.AddrFrom16(a)
		if d.bool() {
			ad = ad.Unmap()
		}
		one.a = []netip.Addr{ad}
	case tFloat:
		one.f = []float64{d.f()}
	case tNull:
		d.fail()
		return
	default:
		one.i = []int64{int64(binary.LittleEndian.Uint64(d.take(8)))}
	}
	appendElem(v, one, 0)
}

// vec reads a vector that stateEnc.vec wrote.
func (d *stateDec) vec() vec {
	v := vec{t: typ(d.u())}
	if name := d.str(); name != "" {
		loc, err := time.LoadLocation(name)
		if err != nil {
			d.fail()
		}
		v.loc = loc
	}
	n := d.count()
	for range n {
		if d.err != nil {
			break
		}
		d.elem(&v)
	}
	return v
}

// encodeState writes the table's groups and accumulators.
func (h *hashTable) encodeState() []byte {
	e := &stateEnc{}
	e.u(genStateVersion)
	e.u(uint64(h.n))
	e.u(uint64(len(h.keys)))
	for _, k := range h.keys {
		e.vec(k)
	}
	e.u(uint64(len(h.accs)))
	for _, a := range h.accs {
		switch a := a.(type) {
		case *countAcc:
			for g := range h.n {
				e.i(a.c[g])
			}
		case *sumAcc:
			for g := range h.n {
				e.i(a.i[g])
				e.f(a.f[g])
				e.i(a.n[g])
				e.bool(a.over[g])
			}
		case *byAcc:
			e.vec(&a.x)
			if a.by {
				e.vec(&a.y)
			}
			for g := range h.n {
				e.bool(a.set[g])
			}
		case *distinctAcc:
			for g := range h.n {
				e.u(uint64(len(a.sets[g])))
				for k := range a.sets[g] {
					e.str(k)
				}
			}
		case *pctAcc:
			for g := range h.n {
				e.vec(&a.vals[g])
			}
		case *arrayAcc:
			for g := range h.n {
				e.vec(&a.vals[g])
			}
		case *hllAcc:
			for g := range h.n {
				s := &a.sk[g]
				e.u(uint64(len(s.sparse)))
				for _, x := range s.sparse {
					e.u(x)
				}
				e.u(uint64(len(s.regs)))
				e.b = append(e.b, s.regs...)
			}
		default:
			panic(fmt.Sprintf("BUG: no state encoding for %T", a))
		}
	}
	return e.b
}

// decodeState reads a table that encodeState wrote, for the plan's keys and aggregates.
func (p *Plan) decodeState(b []byte) (*hashTable, error) {
	h := newHashTable(p.gkeyT, p.gaggs)
	d := &stateDec{b: b}
	if v := d.u(); v != genStateVersion {
		return nil, fmt.Errorf("group-by state version %d: this flowlens reads %d", v, genStateVersion)
	}
	n := d.count()
	if nk := d.count(); nk != len(h.keys) || d.err != nil {
		return nil, fmt.Errorf("group-by state: %d keys, the query has %d", nk, len(h.keys))
	}
	for i := range h.keys {
		k := d.vec()
		if k.t != h.keys[i].t || k.n != n {
			d.fail()
			break
		}
		*h.keys[i] = k
	}
	if na := d.count(); na != len(h.accs) || d.err != nil {
		return nil, fmt.Errorf("group-by state: %d aggregates, the query has %d", na, len(h.accs))
	}
	h.n = n
	for _, a := range h.accs {
		a.grow(n)
	}
	for _, a := range h.accs {
		switch a := a.(type) {
		case *countAcc:
			for g := range n {
				a.c[g] = d.i()
			}
		case *sumAcc:
			for g := range n {
				a.i[g], a.f[g], a.n[g], a.over[g] = d.i(), d.f(), d.i(), d.bool()
			}
		case *byAcc:
			a.x = d.vec()
			if a.by {
				a.y = d.vec()
			}
			for g := range n {
				a.set[g] = d.bool()
			}
			if a.x.n != n || (a.by && a.y.n != n) {
				d.fail()
			}
		case *distinctAcc:
			for g := range n {
				m := d.count()
				for range m {
					a.put(int32(g), []byte(d.str()))
				}
			}
		case *pctAcc:
			for g := range n {
				a.vals[g] = d.vec()
			}
		case *arrayAcc:
			for g := range n {
				a.vals[g] = d.vec()
			}
		case *hllAcc:
			for g := range n {
				s := &a.sk[g]
				for range d.count() {
					s.sparse = append(s.sparse, d.u())
				}
				if r := d.count(); r > 0 {
					s.regs = append([]uint8(nil), d.take(r)...)
				}
			}
		}
		if d.err != nil {
			break
		}
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, fmt.Errorf("group-by state: %w", errState)
	}
	// The index, from the keys.
	for g := range n {
		var b []byte
		for _, v := range h.keys {
			b = encodeKey(b, v, g)
		}
		h.index[string(b)] = int32(g)
	}
	return h, nil
}
