package query

import (
	"net/netip"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/flowlens/flowlens/flowlog"
)

// colNode reads a decoded column.
type colNode struct {
	f   flowlog.FieldID
	t   typ
	out vec
	// alias is the partition column that stands for the field in batches without it (region:
	// aws-region, account_id: aws-account-id), "" for the others.
	alias string
}

func columnTyp(f flowlog.FieldID) typ {
	switch flowlog.Fields[f].Kind {
	case flowlog.KindString:
		return tStr
	case flowlog.KindAddr:
		return tAddr
	}
	return tInt
}

func (n *colNode) typ() typ { return n.t }

func (n *colNode) eval(c *evalCtx, sel []int32) *vec {
	v := &n.out
	v.reset(n.t, len(sel))
	if c.ov != nil && n.f == c.ovF {
		for k, r := range sel {
			if int(r) >= c.ov.Len() || c.ov.IsNull(int(r)) {
				v.nulls()[k] = true
				v.s[k] = ""
			} else {
				v.s[k] = c.ov.Value(int(r))
			}
		}
		return v
	}
	ci := c.cols[n.f]
	if ci < 0 && n.alias != "" {
		if s, ok := partValue(c.rec, n.alias); ok {
			for k := range sel {
				v.s[k] = s
			}
			return v
		}
	}
	if ci < 0 {
		nl := v.nulls()
		for k := range nl {
			nl[k] = true
		}
		return v
	}
	a := c.rec.Column(ci)
	if a.NullN() > 0 {
		valid, off := a.NullBitmapBytes(), a.Data().Offset()
		nl := v.nulls()
		for k, r := range sel {
			nl[k] = !bitutil.BitIsSet(valid, off+int(r))
		}
	}
	switch col := a.(type) {
	case *array.Dictionary:
		idx := col.Indices().(*array.Int32).Int32Values()
		dict := col.Dictionary().(*array.String)
		for k, r := range sel {
			if v.null == nil || !v.null[k] {
				v.s[k] = dict.Value(int(idx[r]))
			} else {
				v.s[k] = ""
			}
		}
	case *array.FixedSizeBinary:
		buf := col.Data().Buffers()[1].Bytes()[col.Data().Offset()*16:]
		for k, r := range sel {
			v.a[k] = netip.AddrFrom16([16]byte(buf[int(r)*16 : int(r)*16+16])).Unmap()
		}
	case *array.Uint16:
		vals := col.Uint16Values()
		for k, r := range sel {
			v.i[k] = int64(vals[r])
		}
	case *array.Uint8:
		vals := col.Uint8Values()
		for k, r := range sel {
			v.i[k] = int64(vals[r])
		}
	case *array.Int32:
		vals := col.Int32Values()
		for k, r := range sel {
			v.i[k] = int64(vals[r])
		}
	case *array.Int64:
		vals := col.Int64Values()
		for k, r := range sel {
			v.i[k] = vals[r]
		}
	}
	return v
}

// refNode reads a group key or an aggregate of a result.
type refNode struct {
	i int
	t typ
}

func (n *refNode) typ() typ                          { return n.t }
func (n *refNode) eval(c *evalCtx, sel []int32) *vec { return c.refs[n.i] }

// scalar is a constant.
type scalar struct {
	t    typ
	null bool
	i    int64
	f    float64
	s    string
	a    netip.Addr
}

// litNode is a literal, as a vector of one value repeated.
type litNode struct {
	v   scalar
	out vec
}

func (n *litNode) typ() typ { return n.v.t }

func (n *litNode) eval(c *evalCtx, sel []int32) *vec {
	v := &n.out
	t := n.v.t
	if t == tNull {
		t = tBool
	}
	v.reset(t, len(sel))
	if n.v.null {
		nl := v.nulls()
		for k := range nl {
			nl[k] = true
		}
		return v
	}
	for k := range sel {
		switch t {
		case tBool, tInt, tTime:
			v.i[k] = n.v.i
		case tFloat:
			v.f[k] = n.v.f
		case tStr:
			v.s[k] = n.v.s
		case tAddr:
			v.a[k] = n.v.a
		}
	}
	return v
}

// unary evaluates x and readies out for n values of type t that are null where x is.
func unary(x node, out *vec, t typ, c *evalCtx, sel []int32) (*vec, *vec) {
	xv := x.eval(c, sel)
	out.reset(t, len(sel))
	orNulls(out, xv)
	return xv, out
}

// orNulls sets out's null flags to those of the inputs: null where any input is.
func orNulls(out *vec, ins ...*vec) {
	for _, in := range ins {
		if in.null == nil {
			continue
		}
		nl := out.nulls()
		for k, x := range in.null {
			nl[k] = nl[k] || x
		}
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// relabel gives a vector of another type the same values: from_unixtime(seconds), to_unixtime.
type relabel struct {
	x   node
	t   typ
	out vec
}

func (n *relabel) typ() typ { return n.t }

func (n *relabel) eval(c *evalCtx, sel []int32) *vec {
	x := n.x.eval(c, sel)
	n.out = *x
	n.out.t = n.t
	return &n.out
}
