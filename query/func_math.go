package query

import (
	"math"

	"github.com/flowlens/flowlens/query/sql"
)

// The numeric functions, of the argument's type as in Trino: round, ceil and floor of a bigint are
// that bigint; a result beyond 64 bits is NULL, as for arithmetic.
func init() {
	register(
		&funcDef{name: "round", kind: scalarFunc, arity: 1, maxArity: 2, args: "x bigint | double [, d bigint]", result: "bigint | double",
			doc: "x rounded half away from zero to d decimal places (0 when absent; d < 0 rounds to tens, hundreds …)", compile: compileMath("round")},
		&funcDef{name: "abs", kind: scalarFunc, arity: 1, args: "x bigint | double", result: "bigint | double",
			doc: "the absolute value of x", compile: compileMath("abs")},
		&funcDef{name: "ceil", aliases: []string{"ceiling"}, kind: scalarFunc, arity: 1, args: "x bigint | double", result: "bigint | double",
			doc: "x rounded up to an integer", compile: compileMath("ceil")},
		&funcDef{name: "floor", kind: scalarFunc, arity: 1, args: "x bigint | double", result: "bigint | double",
			doc: "x rounded down to an integer", compile: compileMath("floor")},
	)
}

func compileMath(op string) func(cp *compiler, e *sql.Call) (node, error) {
	return func(cp *compiler, e *sql.Call) (node, error) {
		x, err := cp.arg(e, 0)
		if err != nil {
			return nil, err
		}
		if !x.typ().numeric() && x.typ() != tNull {
			return nil, cp.errorf(e.Args[0], "%s() takes a number, not a %s", e.Name, x.typ())
		}
		n := &mathNode{op: op, x: x, t: x.typ()}
		if n.t == tNull {
			n.t = tInt
		}
		if len(e.Args) == 2 {
			if n.d, err = cp.arg(e, 1); err != nil {
				return nil, err
			}
			if n.d.typ() != tInt && n.d.typ() != tNull {
				return nil, cp.errorf(e.Args[1], "%s() takes a bigint number of decimal places, not a %s", e.Name, n.d.typ())
			}
		}
		return n, nil
	}
}

// mathNode is round, abs, ceil or floor of x (round with d decimal places when d is set).
type mathNode struct {
	op  string
	x   node
	d   node
	t   typ
	out vec
}

func (n *mathNode) typ() typ { return n.t }

func (n *mathNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, n.t, c, sel)
	var d *vec
	if n.d != nil {
		d = n.d.eval(c, sel)
		orNulls(v, d)
	}
	for k := range sel {
		if v.isNull(k) {
			continue
		}
		places := int64(0)
		if d != nil {
			places = d.i[k]
		}
		if n.t == tFloat {
			r := mathFloat(n.op, x.f[k], places)
			if math.IsInf(r, 0) || math.IsNaN(r) {
				v.nulls()[k] = true
				continue
			}
			v.f[k] = r
			continue
		}
		r, ok := mathInt(n.op, x.i[k], places)
		if !ok {
			v.nulls()[k] = true
			continue
		}
		v.i[k] = r
	}
	return v
}

func mathFloat(op string, x float64, places int64) float64 {
	switch op {
	case "abs":
		return math.Abs(x)
	case "ceil":
		return math.Ceil(x)
	case "floor":
		return math.Floor(x)
	}
	if places == 0 {
		return math.Round(x)
	}
	if places > 20 || places < -20 {
		if places > 0 {
			return x
		}
		return 0
	}
	p := math.Pow(10, float64(places))
	r := math.Round(x*p) / p
	if math.IsInf(x*p, 0) { // too many places to scale: x is already that precise
		return x
	}
	return r
}

// mathInt is op of an integer; false when the result is beyond 64 bits.
func mathInt(op string, x, places int64) (int64, bool) {
	switch op {
	case "abs":
		if x == math.MinInt64 {
			return 0, false
		}
		if x < 0 {
			return -x, true
		}
		return x, true
	case "ceil", "floor":
		return x, true
	}
	if places >= 0 {
		return x, true
	}
	if places < -18 {
		return 0, true
	}
	p := int64(1)
	for range -places {
		p *= 10
	}
	// Half away from zero, as Trino rounds: 15 to the tens is 20, -15 is -20.
	q, r := x/p, x%p
	if r < 0 {
		r = -r
	}
	if 2*r >= p {
		if x < 0 {
			q--
		} else {
			q++
		}
	}
	if q > math.MaxInt64/p || q < math.MinInt64/p {
		return 0, false
	}
	return q * p, true
}
