package query

import (
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/query/sql"
)

// compiler turns syntax into nodes. leaf, when set, may replace any subexpression (a group key or an
// aggregate of a result); columns then must have been replaced.
type compiler struct {
	*env
	leaf     func(e sql.Expr) (node, bool, error)
	rel      *relation // when set, columns are the relation's, not the flow-log columns
	noCols   string    // when set, a column reference is an error with this message
	fields   map[flowlog.FieldID]bool
	interval map[node]bool // day-time INTERVAL literals: seconds
	months   map[node]bool // year-month INTERVAL literals: months
	nodes    int           // compiled so far: each holds a batch's worth of values
}

// maxNodes bounds the nodes of a query's expressions. Each evaluates a batch at a time into a
// buffer of its own (about 1.4 MB at 8,192 rows), so a flat chain of 2,000 terms took 2.9 GB;
// hand-written queries stay far below.
const maxNodes = 256

func (cp *compiler) errorf(e sql.Expr, format string, args ...any) error {
	return sql.ErrorAt(cp.q, e.Pos(), format, args...)
}

// env is what every compiler of one query shares: its text (for errors), its time zone, and the
// time it started, which now(), current_timestamp and current_date read, the same in every row and
// every worker.
type env struct {
	q   string
	loc *time.Location
	now time.Time
}

func newEnv(q string, loc *time.Location) *env {
	if loc == nil {
		loc = time.UTC
	}
	return &env{q: q, loc: loc, now: clock()}
}

// clock gives the time a query starts, read once per query (a variable for the tests).
var clock = time.Now

func (e *env) compiler() *compiler { return &compiler{env: e} }

// lookupColumn finds a column by its Athena name (or its flow-log field name).
func lookupColumn(name string) (flowlog.FieldID, bool) {
	return flowlog.LookupField(name)
}

func (cp *compiler) compile(e sql.Expr) (node, error) {
	if cp.nodes++; cp.nodes > maxNodes {
		return nil, cp.errorf(e, "the query's expressions are too large: more than %d terms (each holds a batch of values in memory)", maxNodes)
	}
	if cp.leaf != nil {
		n, ok, err := cp.leaf(e)
		if err != nil || ok {
			return n, err
		}
	}
	switch e := e.(type) {
	case *sql.Column:
		if cp.noCols != "" {
			return nil, cp.errorf(e, cp.noCols, e.Name)
		}
		if cp.rel != nil {
			i := cp.rel.index(e.Name)
			if i < 0 {
				return nil, cp.errorf(e, "column %q is not a column of %s (its columns: %s)", e.Name, cp.rel.what, strings.Join(cp.rel.names, ", "))
			}
			return &relColNode{i: i, t: cp.rel.types[i]}, nil
		}
		f, ok := lookupColumn(e.Name)
		if !ok {
			if isPartitionColumn(e.Name) {
				return &partNode{name: e.Name, t: partTyp(e.Name)}, nil
			}
			return nil, cp.errorf(e, "unknown column %q (columns are the Athena names: %s; and the partition columns of the objects' keys: year, month, day, hour, date, \"aws-account-id\", \"aws-region\")", e.Name, columnList())
		}
		if cp.fields != nil {
			cp.fields[f] = true
		}
		return &colNode{f: f, t: columnTyp(f), alias: partitionAlias(f)}, nil
	case *sql.IntLit:
		return &litNode{v: scalar{t: tInt, i: e.V}}, nil
	case *sql.FloatLit:
		return &litNode{v: scalar{t: tFloat, f: e.V}}, nil
	case *sql.StrLit:
		return &litNode{v: scalar{t: tStr, s: e.V}}, nil
	case *sql.BoolLit:
		return &litNode{v: scalar{t: tBool, i: b2i(e.V)}}, nil
	case *sql.NullLit:
		return &litNode{v: scalar{t: tNull, null: true}}, nil
	case *sql.TimestampLit:
		return &litNode{v: scalar{t: tTime, i: e.V.Unix()}}, nil
	case *sql.IntervalLit:
		if e.Months != 0 {
			n := &litNode{v: scalar{t: tInt, i: e.Months}}
			if cp.months == nil {
				cp.months = map[node]bool{}
			}
			cp.months[n] = true
			return n, nil
		}
		n := &litNode{v: scalar{t: tInt, i: int64(e.V / time.Second)}}
		if cp.interval == nil {
			cp.interval = map[node]bool{}
		}
		cp.interval[n] = true
		return n, nil
	case *sql.Unary:
		x, err := cp.compile(e.X)
		if err != nil {
			return nil, err
		}
		if e.Op == "NOT" {
			if err := cp.want(e.X, x, tBool); err != nil {
				return nil, err
			}
			return &notNode{x: x}, nil
		}
		if !x.typ().numeric() {
			return nil, cp.errorf(e, "cannot negate a %s", x.typ())
		}
		return &negNode{x: x}, nil
	case *sql.Binary:
		return cp.binary(e)
	case *sql.Between:
		x, err := cp.compile(e.X)
		if err != nil {
			return nil, err
		}
		lo, err := cp.compare(e, ">=", e.X, e.Lo, x)
		if err != nil {
			return nil, err
		}
		x2, _ := cp.compile(e.X)
		hi, err := cp.compare(e, "<=", e.X, e.Hi, x2)
		if err != nil {
			return nil, err
		}
		var n node = &logicNode{and: true, kids: []node{lo, hi}}
		if e.Not {
			n = &notNode{x: n}
		}
		return n, nil
	case *sql.In:
		return cp.in(e)
	case *sql.Like:
		x, err := cp.compile(e.X)
		if err != nil {
			return nil, err
		}
		p, ok := e.Pattern.(*sql.StrLit)
		if !ok {
			return nil, cp.errorf(e.Pattern, "LIKE takes a string literal pattern")
		}
		if x.typ() != tStr && x.typ() != tAddr {
			return nil, cp.errorf(e.X, "LIKE needs a varchar, not a %s", x.typ())
		}
		return dictWrap(x, &likeNode{x: x, not: e.Not, m: newLikeMatcher(p.V)}), nil
	case *sql.IsNull:
		x, err := cp.compile(e.X)
		if err != nil {
			return nil, err
		}
		return &isNullNode{x: x, not: e.Not}, nil
	case *sql.Call:
		return cp.call(e)
	case *sql.Cast:
		return cp.cast(e)
	case *sql.Case:
		return cp.caseExpr(e)
	case *sql.Star:
		return nil, cp.errorf(e, "* is allowed as a select item and in count(*) only")
	}
	return nil, cp.errorf(e, "unsupported expression")
}

func (cp *compiler) want(e sql.Expr, n node, t typ) error {
	if n.typ() != t && n.typ() != tNull {
		return cp.errorf(e, "expected a %s, found a %s", t, n.typ())
	}
	return nil
}

func (cp *compiler) binary(e *sql.Binary) (node, error) {
	switch e.Op {
	case "AND", "OR":
		l, err := cp.compile(e.L)
		if err != nil {
			return nil, err
		}
		if err := cp.want(e.L, l, tBool); err != nil {
			return nil, err
		}
		r, err := cp.compile(e.R)
		if err != nil {
			return nil, err
		}
		if err := cp.want(e.R, r, tBool); err != nil {
			return nil, err
		}
		return &logicNode{and: e.Op == "AND", kids: []node{l, r}}, nil
	case "=", "<>", "<", "<=", ">", ">=":
		l, err := cp.compile(e.L)
		if err != nil {
			return nil, err
		}
		return cp.compare(e, e.Op, e.L, e.R, l)
	}
	l, err := cp.compile(e.L)
	if err != nil {
		return nil, err
	}
	r, err := cp.compile(e.R)
	if err != nil {
		return nil, err
	}
	lt, rt := l.typ(), r.typ()
	if e.Op == "||" {
		xs := []node{l, r}
		for i, x := range xs {
			switch x.typ() {
			case tStr, tNull:
			case tAddr: // Athena's addresses are varchar: srcaddr || ':' || …
				xs[i] = &castNode{x: x, to: tStr}
			default:
				return nil, cp.errorf(e, "|| joins varchar values, found %s and %s (cast the others to varchar)", lt, rt)
			}
		}
		return &strNode{f: strConcat, xs: xs}, nil
	}
	if (e.Op == "+" || e.Op == "-") && lt == tTime && cp.months[r] {
		return &dateAddNode{x: l, unit: "month", n: r, neg: e.Op == "-"}, nil
	}
	if (e.Op == "+" || e.Op == "-") && lt == tTime && cp.interval[r] {
		return &arithNode{op: e.Op, l: &relabel{x: l, t: tInt}, r: r, t: tTime}, nil
	}
	if lt == tNull || rt == tNull {
		return &litNode{v: scalar{t: tInt, null: true}}, nil
	}
	if !lt.numeric() || !rt.numeric() {
		return nil, cp.errorf(e, "%s needs numbers, found %s and %s", e.Op, lt, rt)
	}
	t := tInt
	if lt == tFloat || rt == tFloat {
		t = tFloat
	}
	return &arithNode{op: e.Op, l: l, r: r, t: t}, nil
}

// compare compiles l op r, l already compiled; a string literal against an address is read as an
// address (Athena holds addresses as text: srcaddr = '10.0.0.1').
func (cp *compiler) compare(at sql.Expr, op string, le, re sql.Expr, l node) (node, error) {
	r, err := cp.compile(re)
	if err != nil {
		return nil, err
	}
	lt, rt := l.typ(), r.typ()
	if lt == tNull || rt == tNull { // a comparison with NULL is NULL
		return &litNode{v: scalar{t: tBool, null: true}}, nil
	}
	if lt == tAddr && rt == tStr || lt == tStr && rt == tAddr {
		lit, lok := r.(*litNode)
		addrSide := l
		litExpr := re
		if !lok {
			lit, lok = l.(*litNode)
			addrSide, litExpr = r, le
		}
		if !lok {
			return nil, cp.errorf(at, "cannot compare an address with a varchar expression (cast the address to varchar)")
		}
		a, perr := netip.ParseAddr(lit.v.s)
		if perr != nil {
			if op != "=" && op != "<>" {
				return nil, cp.errorf(litExpr, "%q is not an address", lit.v.s)
			}
			// Never equal: compare the address as text with a value no address prints as.
			return &castCmp{x: addrSide, eq: op == "="}, nil
		}
		al := &litNode{v: scalar{t: tAddr, a: a.Unmap()}}
		if addrSide == l {
			return &cmpNode{op: op, l: l, r: al, kind: tAddr}, nil
		}
		return &cmpNode{op: op, l: al, r: r, kind: tAddr}, nil
	}
	kind, ok := comparable(lt, rt)
	if !ok {
		return nil, cp.errorf(at, "cannot compare a %s with a %s", lt, rt)
	}
	cmp := &cmpNode{op: op, l: l, r: r, kind: kind}
	if _, lit := r.(*litNode); lit {
		return dictWrap(l, cmp), nil
	}
	if _, lit := l.(*litNode); lit {
		return dictWrap(r, cmp), nil
	}
	return cmp, nil
}

func comparable(a, b typ) (typ, bool) {
	switch {
	case a == b:
		return a, true
	case a.numeric() && b.numeric():
		return tFloat, true
	}
	return 0, false
}

func (cp *compiler) in(e *sql.In) (node, error) {
	x, err := cp.compile(e.X)
	if err != nil {
		return nil, err
	}
	n := &inNode{x: x, not: e.Not}
	for _, item := range e.List {
		it, err := cp.compile(item)
		if err != nil {
			return nil, err
		}
		lit, ok := it.(*litNode)
		if !ok {
			return nil, cp.errorf(item, "IN takes a list of literals")
		}
		v := lit.v
		if v.null {
			n.null = true
			continue
		}
		switch {
		case x.typ() == tAddr && v.t == tStr:
			a, err := netip.ParseAddr(v.s)
			if err != nil {
				continue // text that no address equals
			}
			if n.adrs == nil {
				n.adrs = map[netip.Addr]bool{}
			}
			n.adrs[a.Unmap()] = true
		case x.typ() == tStr && v.t == tStr:
			if n.strs == nil {
				n.strs = map[string]bool{}
			}
			n.strs[v.s] = true
		case x.typ() == tFloat && v.t.numeric():
			if n.flts == nil {
				n.flts = map[float64]bool{}
			}
			if v.t == tInt {
				v.f = float64(v.i)
			}
			n.flts[v.f] = true
		case (x.typ() == tInt || x.typ() == tTime || x.typ() == tBool) && v.t == x.typ():
			if n.ints == nil {
				n.ints = map[int64]bool{}
			}
			n.ints[v.i] = true
		case x.typ() == tInt && v.t == tFloat:
			if v.f == math.Trunc(v.f) {
				if n.ints == nil {
					n.ints = map[int64]bool{}
				}
				n.ints[int64(v.f)] = true
			}
		default:
			return nil, cp.errorf(item, "cannot compare a %s with a %s", x.typ(), v.t)
		}
	}
	return dictWrap(x, n), nil
}

func columnList() string {
	var b strings.Builder
	for i, f := range flowlog.Fields {
		if f.Version > 5 || f.Enriched() {
			continue
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Column)
	}
	return b.String()
}
