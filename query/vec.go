package query

import (
	"net/netip"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
)

// typ is the static type of an expression.
type typ uint8

const (
	tNull typ = iota // the NULL literal
	tBool
	tInt
	tFloat
	tStr
	tAddr
	tTime // Unix seconds, shown as a timestamp
)

var typNames = [...]string{"null", "boolean", "bigint", "double", "varchar", "ipaddress", "timestamp"}

func (t typ) String() string { return typNames[t] }

func (t typ) numeric() bool { return t == tInt || t == tFloat }

// vec is an expression's values for the rows of a selection: element k belongs to row sel[k].
type vec struct {
	t    typ
	n    int
	loc  *time.Location // a timestamp's zone when not the query's (at_timezone); else nil
	null []bool         // nil when no element is null
	nb   []bool         // null's storage, kept from batch to batch
	i    []int64
	f    []float64
	s    []string
	a    []netip.Addr
}

// reset sizes v for n values of type t, reusing its storage; no element is null.
func (v *vec) reset(t typ, n int) {
	v.t, v.n, v.null, v.loc = t, n, nil, nil
	switch t {
	case tBool, tInt, tTime:
		v.i = growI64(v.i, n)
	case tFloat:
		v.f = growF64(v.f, n)
	case tStr:
		if cap(v.s) < n {
			v.s = make([]string, n)
		}
		v.s = v.s[:n]
	case tAddr:
		if cap(v.a) < n {
			v.a = make([]netip.Addr, n)
		}
		v.a = v.a[:n]
	}
}

// nulls returns v's null flags, making them (all false) on first use.
func (v *vec) nulls() []bool {
	if v.null == nil {
		if cap(v.nb) < v.n {
			v.nb = make([]bool, v.n)
		}
		v.null = v.nb[:v.n]
		clear(v.null)
	}
	return v.null
}

func (v *vec) isNull(k int) bool { return v.null != nil && v.null[k] }

func growI64(b []int64, n int) []int64 {
	if cap(b) < n {
		return make([]int64, n)
	}
	return b[:n]
}

func growF64(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

// float returns element k of a numeric vector as a float.
func (v *vec) float(k int) float64 {
	if v.t == tFloat {
		return v.f[k]
	}
	return float64(v.i[k])
}

// evalCtx is what the leaves of an expression read: a batch of records, or the groups of a result.
type evalCtx struct {
	rec  arrow.RecordBatch
	cols [256]int // field -> column of rec, -1 when absent; valid for schema
	schm *arrow.Schema
	refs []*vec // the group keys and aggregates of a result (sel is then 0..n-1)
	loc  *time.Location
	zone *aggregate.Zone
	buf  []byte
	// While a dictNode evaluates its predicate over a dictionary: column ovF reads entry r of ov,
	// and r == ov.Len() is NULL.
	ov  *array.String
	ovF flowlog.FieldID
	// rel, for a plan over a relation: relIdx maps its columns to the batch's (-1: absent).
	rel    *relation
	relIdx []int
}

func newEvalCtx(loc *time.Location) *evalCtx {
	if loc == nil {
		loc = time.UTC
	}
	return &evalCtx{loc: loc, zone: aggregate.NewZone(loc)}
}

// setBatch points the context at a batch of records.
func (c *evalCtx) setBatch(rec arrow.RecordBatch) {
	c.rec = rec
	if rec.Schema() != c.schm {
		c.schm = rec.Schema()
		for i := range c.cols {
			c.cols[i] = -1
		}
		for i, f := range c.schm.Fields() {
			if id, ok := flowlog.LookupField(f.Name); ok {
				c.cols[id] = i
			}
		}
		if c.rel != nil {
			c.relIdx = c.relIdx[:0]
			for _, name := range c.rel.names {
				idx := c.schm.FieldIndices(name)
				if len(idx) == 0 {
					c.relIdx = append(c.relIdx, -1)
				} else {
					c.relIdx = append(c.relIdx, idx[0])
				}
			}
		}
	}
}

func copyVec(v *vec) *vec {
	c := &vec{t: v.t, n: v.n, loc: v.loc}
	if v.null != nil {
		c.null = append([]bool(nil), v.null...)
	}
	c.i = append([]int64(nil), v.i[:min(len(v.i), v.n)]...)
	if v.t == tFloat {
		c.f = append([]float64(nil), v.f[:v.n]...)
	}
	if v.t == tStr {
		c.s = make([]string, v.n)
		for k := range c.s {
			c.s[k] = strings.Clone(v.s[k]) // the values may point into a batch's buffers
		}
	}
	if v.t == tAddr {
		c.a = append(c.a, v.a[:v.n]...)
	}
	return c
}
