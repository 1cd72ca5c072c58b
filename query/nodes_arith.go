package query

import (
	"math"
)

// arithNode is + - * / % over numbers, or a time plus or minus an interval (seconds).
type arithNode struct {
	op   string
	l, r node
	t    typ
	out  vec
}

func (n *arithNode) typ() typ { return n.t }

func (n *arithNode) eval(c *evalCtx, sel []int32) *vec {
	l, r := n.l.eval(c, sel), n.r.eval(c, sel)
	v := &n.out
	v.reset(n.t, len(sel))
	orNulls(v, l, r)
	if n.t == tFloat {
		for k := range v.f {
			a, b := l.float(k), r.float(k)
			switch n.op {
			case "+":
				v.f[k] = a + b
			case "-":
				v.f[k] = a - b
			case "*":
				v.f[k] = a * b
			case "/":
				v.f[k] = a / b
			default:
				v.f[k] = math.Mod(a, b)
			}
		}
		return v
	}
	for k := range v.i {
		a, b := l.i[k], r.i[k]
		switch n.op {
		case "+":
			v.i[k] = a + b
		case "-":
			v.i[k] = a - b
		case "*":
			v.i[k] = a * b
		case "/", "%":
			if b == 0 { // Trino fails the query; a null keeps the other rows
				v.nulls()[k] = true
				continue
			}
			if n.op == "/" {
				v.i[k] = a / b
			} else {
				v.i[k] = a % b
			}
		}
	}
	return v
}

// negNode is -x.
type negNode struct {
	x   node
	out vec
}

func (n *negNode) typ() typ { return n.x.typ() }

func (n *negNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, n.x.typ(), c, sel)
	if x.t == tFloat {
		for k := range v.f {
			v.f[k] = -x.f[k]
		}
	} else {
		for k := range v.i {
			v.i[k] = -x.i[k]
		}
	}
	return v
}
