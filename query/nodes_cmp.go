package query

import (
	"net/netip"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowlens/flowlens/flowlog"
)

// cmpNode compares two values: = <> < <= > >=.
type cmpNode struct {
	op   string
	l, r node
	kind typ // the type compared: tInt, tFloat, tStr, tAddr, tBool or tTime
	out  vec
}

func (n *cmpNode) typ() typ { return tBool }

func cmpResult(op string, c int) bool {
	switch op {
	case "=":
		return c == 0
	case "<>":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

func (n *cmpNode) eval(c *evalCtx, sel []int32) *vec {
	l, r := n.l.eval(c, sel), n.r.eval(c, sel)
	v := &n.out
	v.reset(tBool, len(sel))
	orNulls(v, l, r)
	res := v.i
	switch {
	case n.kind == tFloat:
		for k := range res {
			a, b := l.float(k), r.float(k)
			res[k] = b2i(cmpResult(n.op, cmpF(a, b)))
		}
	case n.kind == tStr:
		for k := range res {
			res[k] = b2i(cmpResult(n.op, strings.Compare(l.s[k], r.s[k])))
		}
	case n.kind == tAddr:
		for k := range res {
			res[k] = b2i(cmpResult(n.op, l.a[k].Compare(r.a[k])))
		}
	default: // int, time, bool; the common case of a constant right side without a call per row
		li, ri := l.i, r.i
		switch n.op {
		case "=":
			for k := range res {
				res[k] = b2i(li[k] == ri[k])
			}
		case "<>":
			for k := range res {
				res[k] = b2i(li[k] != ri[k])
			}
		case "<":
			for k := range res {
				res[k] = b2i(li[k] < ri[k])
			}
		case "<=":
			for k := range res {
				res[k] = b2i(li[k] <= ri[k])
			}
		case ">":
			for k := range res {
				res[k] = b2i(li[k] > ri[k])
			}
		default:
			for k := range res {
				res[k] = b2i(li[k] >= ri[k])
			}
		}
	}
	return v
}

func cmpF(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// inNode is x [NOT] IN (constants).
type inNode struct {
	x    node
	not  bool
	ints map[int64]bool
	strs map[string]bool
	adrs map[netip.Addr]bool
	flts map[float64]bool
	null bool // the list holds NULL: no row is FALSE
	out  vec
}

func (n *inNode) typ() typ { return tBool }

func (n *inNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, tBool, c, sel)
	for k := range v.i {
		var in bool
		switch x.t {
		case tStr:
			in = n.strs[x.s[k]]
		case tAddr:
			in = n.adrs[x.a[k]]
		case tFloat:
			in = n.flts[x.f[k]]
		default:
			in = n.ints[x.i[k]]
		}
		if !in && n.null {
			v.nulls()[k] = true
		}
		v.i[k] = b2i(in != n.not)
	}
	return v
}

// dictNode is a predicate of one string column against constants (=, <>, <, IN, LIKE …), computed
// once per entry of the batch's dictionary (and once for NULL); each row then takes its entry's
// answer, instead of a string per row and a comparison of it.
type dictNode struct {
	f     flowlog.FieldID
	pred  node
	all   []int32
	res   []int64
	null  []bool
	out   vec
	nulls bool
}

// dictWrap returns pred as a dictNode when x is a string column, else pred.
func dictWrap(x node, pred node) node {
	if c, ok := x.(*colNode); ok && c.t == tStr {
		return &dictNode{f: c.f, pred: pred}
	}
	return pred
}

func (n *dictNode) typ() typ { return tBool }

func (n *dictNode) eval(c *evalCtx, sel []int32) *vec {
	ci := c.cols[n.f]
	if ci < 0 || c.ov != nil {
		return n.pred.eval(c, sel)
	}
	d, ok := c.rec.Column(ci).(*array.Dictionary)
	if !ok {
		return n.pred.eval(c, sel)
	}
	dict := d.Dictionary().(*array.String)
	m := dict.Len()
	if m >= len(sel) { // as many entries as rows: row by row costs no more
		return n.pred.eval(c, sel)
	}
	n.all = n.all[:0]
	for r := range m + 1 { // the entries, then NULL
		n.all = append(n.all, int32(r))
	}
	c.ov, c.ovF = dict, n.f
	pv := n.pred.eval(c, n.all)
	c.ov = nil
	n.res = append(n.res[:0], pv.i[:m+1]...)
	n.null, n.nulls = n.null[:0], false
	for k := range m + 1 {
		isNull := pv.isNull(k)
		n.null = append(n.null, isNull)
		n.nulls = n.nulls || isNull
	}
	v := &n.out
	v.reset(tBool, len(sel))
	idx := d.Indices().(*array.Int32).Int32Values()
	if d.NullN() == 0 && !n.nulls {
		for k, r := range sel {
			v.i[k] = n.res[idx[r]]
		}
		return v
	}
	for k, r := range sel {
		e := m
		if d.IsValid(int(r)) {
			e = int(idx[r])
		}
		v.i[k] = n.res[e]
		if n.null[e] {
			v.nulls()[k] = true
		}
	}
	return v
}

// castCmp is an address compared with text that is not an address: never equal (unless null).
type castCmp struct {
	x   node
	eq  bool
	out vec
}

func (n *castCmp) typ() typ { return tBool }

func (n *castCmp) eval(c *evalCtx, sel []int32) *vec {
	_, v := unary(n.x, &n.out, tBool, c, sel)
	for k := range v.i {
		v.i[k] = b2i(!n.eq)
	}
	return v
}
