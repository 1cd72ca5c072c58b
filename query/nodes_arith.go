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
			// A division by zero or an overflow is NULL, as an integer division by zero is: JSON
			// has no Inf or NaN, and no reader of a CSV agrees on them.
			if math.IsInf(v.f[k], 0) || math.IsNaN(v.f[k]) {
				v.nulls()[k] = true
				v.f[k] = 0
			}
		}
		return v
	}
	for k := range v.i {
		a, b := l.i[k], r.i[k]
		// A result beyond 64 bits is NULL, never a wrapped number (Trino fails the query; a null
		// keeps the other rows, as for a division by zero).
		switch n.op {
		case "+":
			s := a + b
			if (a^s)&(b^s) < 0 {
				v.nulls()[k] = true
				continue
			}
			v.i[k] = s
		case "-":
			d := a - b
			if (a^b)&(a^d) < 0 {
				v.nulls()[k] = true
				continue
			}
			v.i[k] = d
		case "*":
			p := a * b
			if a != 0 && (p/a != b || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64)) {
				v.nulls()[k] = true
				continue
			}
			v.i[k] = p
		case "/", "%":
			if b == 0 || (b == -1 && a == math.MinInt64 && n.op == "/") { // Trino fails the query; a null keeps the other rows
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
			if x.i[k] == math.MinInt64 { // its negation is beyond 64 bits
				v.nulls()[k] = true
				continue
			}
			v.i[k] = -x.i[k]
		}
	}
	return v
}
