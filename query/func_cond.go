package query

import (
	"github.com/flowlens/flowlens/query/sql"
)

// The conditional expressions: CASE (syntax, compiled here), IF, COALESCE, NULLIF, GREATEST, LEAST
// and TRY. All but GREATEST and LEAST become one condNode: a list of arms, the first that holds
// giving the row's value. Every arm is evaluated over the whole selection (a vector at a time, no
// branch per row); nothing flowlens evaluates fails at run time, so evaluating an arm a row does
// not take changes no answer.
func init() {
	register(
		&funcDef{name: "if", kind: scalarFunc, arity: 2, maxArity: 3, args: "cond boolean, then T [, else T]", result: "T",
			doc: "then where cond is true, else (NULL when absent) where it is false or NULL", compile: compileIf},
		&funcDef{name: "coalesce", kind: scalarFunc, arity: 1, maxArity: -1, args: "x T, …", result: "T",
			doc: "the first of its arguments that is not NULL; NULL when all are", compile: compileCoalesce},
		&funcDef{name: "nullif", kind: scalarFunc, arity: 2, args: "x T, y T", result: "T",
			doc: "NULL where x = y, else x", compile: compileNullif},
		&funcDef{name: "greatest", kind: scalarFunc, arity: 1, maxArity: -1, args: "x T, …", result: "T",
			doc: "the largest argument; NULL when any is NULL", compile: compileExtreme(false)},
		&funcDef{name: "least", kind: scalarFunc, arity: 1, maxArity: -1, args: "x T, …", result: "T",
			doc: "the smallest argument; NULL when any is NULL", compile: compileExtreme(true)},
		&funcDef{name: "try", kind: scalarFunc, arity: 1, args: "x T", result: "T",
			doc: "x; what would fail in Trino (a division by zero, an overflow, a bad cast) is NULL in flowlens already, so try() only marks it", compile: compileTry},
	)
}

// unify gives nodes one type: their common type, a bigint among doubles read as a double, NULL
// literals taking any type. what names them in the error ("CASE branches").
func (cp *compiler) unify(at sql.Expr, what string, ns []node) (typ, error) {
	t := tNull
	for _, n := range ns {
		nt := n.typ()
		switch {
		case nt == tNull || nt == t:
		case t == tNull:
			t = nt
		case t.numeric() && nt.numeric():
			t = tFloat
		default:
			return 0, cp.errorf(at, "%s have different types: %s and %s", what, t, nt)
		}
	}
	if t == tFloat {
		for i, n := range ns {
			if n.typ() == tInt {
				ns[i] = &castNode{x: n, to: tFloat}
			}
		}
	}
	return t, nil
}

// caseExpr compiles CASE: a simple CASE compares its operand with each WHEN value (as = does).
func (cp *compiler) caseExpr(e *sql.Case) (node, error) {
	n := &condNode{}
	var vals []node
	for _, w := range e.Whens {
		var cond node
		var err error
		if e.Operand != nil {
			op, err := cp.compile(e.Operand)
			if err != nil {
				return nil, err
			}
			if cond, err = cp.compare(w.Cond, "=", e.Operand, w.Cond, op); err != nil {
				return nil, err
			}
		} else {
			if cond, err = cp.compile(w.Cond); err != nil {
				return nil, err
			}
			if err := cp.want(w.Cond, cond, tBool); err != nil {
				return nil, err
			}
		}
		val, err := cp.compile(w.Then)
		if err != nil {
			return nil, err
		}
		n.conds = append(n.conds, cond)
		vals = append(vals, val)
	}
	if e.Else != nil {
		els, err := cp.compile(e.Else)
		if err != nil {
			return nil, err
		}
		vals = append(vals, els)
	}
	t, err := cp.unify(e, "CASE branches", vals)
	if err != nil {
		return nil, err
	}
	n.t, n.vals = t, vals[:len(n.conds)]
	if e.Else != nil {
		n.els = vals[len(vals)-1]
	}
	return n, nil
}

func compileIf(cp *compiler, e *sql.Call) (node, error) {
	cond, err := cp.arg(e, 0)
	if err != nil {
		return nil, err
	}
	if err := cp.want(e.Args[0], cond, tBool); err != nil {
		return nil, err
	}
	vals, err := cp.args(e, 1)
	if err != nil {
		return nil, err
	}
	t, err := cp.unify(e, "if() branches", vals)
	if err != nil {
		return nil, err
	}
	n := &condNode{t: t, conds: []node{cond}, vals: vals[:1]}
	if len(vals) == 2 {
		n.els = vals[1]
	}
	return n, nil
}

func compileCoalesce(cp *compiler, e *sql.Call) (node, error) {
	vals, err := cp.args(e, 0)
	if err != nil {
		return nil, err
	}
	t, err := cp.unify(e, "coalesce() arguments", vals)
	if err != nil {
		return nil, err
	}
	// A nil condition: the value itself, where it is not NULL.
	return &condNode{t: t, conds: make([]node, len(vals)), vals: vals}, nil
}

func compileNullif(cp *compiler, e *sql.Call) (node, error) {
	x, err := cp.arg(e, 0)
	if err != nil {
		return nil, err
	}
	x2, _ := cp.arg(e, 0)
	eq, err := cp.compare(e, "=", e.Args[0], e.Args[1], x2)
	if err != nil {
		return nil, err
	}
	return &condNode{t: x.typ(), conds: []node{eq}, vals: []node{&litNode{v: scalar{t: x.typ(), null: true}}}, els: x}, nil
}

func compileTry(cp *compiler, e *sql.Call) (node, error) { return cp.arg(e, 0) }

// args compiles the arguments of a call from i on.
func (cp *compiler) args(e *sql.Call, from int) ([]node, error) {
	var ns []node
	for i := from; i < len(e.Args); i++ {
		n, err := cp.arg(e, i)
		if err != nil {
			return nil, err
		}
		ns = append(ns, n)
	}
	return ns, nil
}

// condNode picks, for each row, the value of the first arm whose condition is true (a nil
// condition: whose value is not NULL), else els (NULL when nil).
type condNode struct {
	t     typ
	conds []node
	vals  []node
	els   node
	done  []bool
	out   vec
}

func (n *condNode) typ() typ { return n.t }

func (n *condNode) eval(c *evalCtx, sel []int32) *vec {
	v := &n.out
	t := n.t
	if t == tNull {
		t = tBool
	}
	v.reset(t, len(sel))
	if cap(n.done) < len(sel) {
		n.done = make([]bool, len(sel))
	}
	done := n.done[:len(sel)]
	clear(done)
	left := len(sel)
	for i, cn := range n.conds {
		if left == 0 {
			break
		}
		x := n.vals[i].eval(c, sel)
		if v.loc == nil {
			v.loc = x.loc
		}
		if cn == nil {
			for k := range done {
				if !done[k] && !x.isNull(k) {
					setElem(v, k, x)
					done[k] = true
					left--
				}
			}
			continue
		}
		cv := cn.eval(c, sel)
		for k := range done {
			if !done[k] && cv.i[k] == 1 && !cv.isNull(k) {
				setElem(v, k, x)
				done[k] = true
				left--
			}
		}
	}
	if left == 0 {
		return v
	}
	if n.els == nil {
		nl := v.nulls()
		for k, d := range done {
			nl[k] = !d
		}
		return v
	}
	x := n.els.eval(c, sel)
	if v.loc == nil {
		v.loc = x.loc
	}
	for k, d := range done {
		if !d {
			setElem(v, k, x)
		}
	}
	return v
}

// setElem sets element k of dst to element k of src, a vector of the same type (or of NULLs).
func setElem(dst *vec, k int, src *vec) {
	if src.t == tNull || src.isNull(k) {
		dst.nulls()[k] = true
		return
	}
	switch dst.t {
	case tFloat:
		dst.f[k] = src.f[k]
	case tStr:
		dst.s[k] = src.s[k]
	case tAddr:
		dst.a[k] = src.a[k]
	default:
		dst.i[k] = src.i[k]
	}
}

func compileExtreme(least bool) func(cp *compiler, e *sql.Call) (node, error) {
	return func(cp *compiler, e *sql.Call) (node, error) {
		xs, err := cp.args(e, 0)
		if err != nil {
			return nil, err
		}
		t, err := cp.unify(e, e.Name+"() arguments", xs)
		if err != nil {
			return nil, err
		}
		if t == tBool {
			return nil, cp.errorf(e, "%s() takes values that order, not booleans", e.Name)
		}
		return &extremeNode{t: t, xs: xs, least: least}, nil
	}
}

// extremeNode is greatest(…) or least(…): NULL where any argument is, as in Trino.
type extremeNode struct {
	t     typ
	xs    []node
	least bool
	out   vec
}

func (n *extremeNode) typ() typ { return n.t }

func (n *extremeNode) eval(c *evalCtx, sel []int32) *vec {
	v := &n.out
	t := n.t
	if t == tNull {
		t = tBool
	}
	v.reset(t, len(sel))
	for i, xn := range n.xs {
		x := xn.eval(c, sel)
		orNulls(v, x)
		if x.t == tNull {
			continue
		}
		for k := range sel {
			if v.isNull(k) {
				continue
			}
			if i == 0 {
				setElem(v, k, x)
				continue
			}
			if c := cmpVecs(x, k, v, k); c < 0 && n.least || c > 0 && !n.least {
				setElem(v, k, x)
			}
		}
	}
	return v
}
