package query

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/query/sql"
)

// Expressions are evaluated a vector at a time: a node computes its value for every selected row
// of a batch (or every group of a result) into a typed vector that it owns and reuses, so the work
// per row is a loop over slices with the type decided once per batch. Each goroutine compiles its
// own nodes.

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
	null []bool // nil when no element is null
	nb   []bool // null's storage, kept from batch to batch
	i    []int64
	f    []float64
	s    []string
	a    []netip.Addr
}

// reset sizes v for n values of type t, reusing its storage; no element is null.
func (v *vec) reset(t typ, n int) {
	v.t, v.n, v.null = t, n, nil
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
	}
}

// node is a compiled expression.
type node interface {
	typ() typ
	eval(c *evalCtx, sel []int32) *vec
}

// colNode reads a decoded column.
type colNode struct {
	f   flowlog.FieldID
	t   typ
	out vec
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

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// logicNode is AND or OR of its operands, with SQL's three-valued logic.
type logicNode struct {
	and  bool
	kids []node
	out  vec
}

func (n *logicNode) typ() typ { return tBool }

func (n *logicNode) eval(c *evalCtx, sel []int32) *vec {
	v := &n.out
	v.reset(tBool, len(sel))
	// Start from the identity (TRUE for AND, FALSE for OR, not null) and fold each operand in.
	id := b2i(n.and)
	for k := range v.i {
		v.i[k] = id
	}
	var nl []bool
	for _, kid := range n.kids {
		x := kid.eval(c, sel)
		for k := range v.i {
			xn := x.isNull(k)
			xv := x.i[k]
			cur := v.i[k]
			curNull := nl != nil && nl[k]
			if n.and {
				switch {
				case !xn && xv == 0 || !curNull && cur == 0: // FALSE wins
					v.i[k] = 0
					if curNull {
						nl[k] = false
					}
				case xn:
					if nl == nil {
						nl = v.nulls()
					}
					nl[k] = true
				}
			} else {
				switch {
				case !xn && xv == 1 || !curNull && cur == 1: // TRUE wins
					v.i[k] = 1
					if curNull {
						nl[k] = false
					}
				case xn:
					if nl == nil {
						nl = v.nulls()
					}
					nl[k] = true
				}
			}
		}
	}
	return v
}

// notNode is NOT x.
type notNode struct {
	x   node
	out vec
}

func (n *notNode) typ() typ { return tBool }

func (n *notNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, tBool, c, sel)
	for k := range v.i {
		v.i[k] = 1 - x.i[k]
	}
	return v
}

// isNullNode is x IS [NOT] NULL.
type isNullNode struct {
	x   node
	not bool
	out vec
}

func (n *isNullNode) typ() typ { return tBool }

func (n *isNullNode) eval(c *evalCtx, sel []int32) *vec {
	x := n.x.eval(c, sel)
	v := &n.out
	v.reset(tBool, len(sel))
	for k := range v.i {
		v.i[k] = b2i(x.isNull(k) != n.not)
	}
	return v
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

// likeNode is x [NOT] LIKE pattern, with % and _ (no escape character).
type likeNode struct {
	x   node
	not bool
	m   likeMatcher
	out vec
}

func (n *likeNode) typ() typ { return tBool }

func (n *likeNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, tBool, c, sel)
	for k := range v.i {
		if x.isNull(k) {
			continue
		}
		var ok bool
		if x.t == tAddr {
			c.buf = x.a[k].AppendTo(c.buf[:0])
			ok = n.m.match(string(c.buf)) // the conversion does not allocate when only compared
		} else {
			ok = n.m.match(x.s[k])
		}
		v.i[k] = b2i(ok != n.not)
	}
	return v
}

// likeMatcher matches a LIKE pattern; the usual shapes (prefix%, %suffix, %infix%, exact) without
// backtracking.
type likeMatcher struct {
	kind    byte // '=' exact, 'p' prefix, 's' suffix, 'i' infix, 'g' general
	lit     string
	pattern string
}

func newLikeMatcher(p string) likeMatcher {
	inner := strings.Trim(p, "%")
	if !strings.ContainsAny(inner, "%_") {
		pre, suf := strings.HasPrefix(p, "%"), strings.HasSuffix(p, "%")
		switch {
		case !pre && !suf:
			return likeMatcher{kind: '=', lit: inner}
		case !pre && suf:
			return likeMatcher{kind: 'p', lit: inner}
		case pre && !suf:
			return likeMatcher{kind: 's', lit: inner}
		default:
			return likeMatcher{kind: 'i', lit: inner}
		}
	}
	return likeMatcher{kind: 'g', pattern: p}
}

func (m *likeMatcher) match(s string) bool {
	switch m.kind {
	case '=':
		return s == m.lit
	case 'p':
		return strings.HasPrefix(s, m.lit)
	case 's':
		return strings.HasSuffix(s, m.lit)
	case 'i':
		return strings.Contains(s, m.lit)
	}
	return likeGeneral(m.pattern, s)
}

// likeGeneral matches % (any run) and _ (one character) with the classic greedy-with-backtrack scan.
func likeGeneral(p, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		if pi < len(p) && p[pi] == '%' {
			star, mark = pi, si
			pi++
			continue
		}
		if pi < len(p) && (p[pi] == '_' || p[pi] == s[si]) {
			if p[pi] == '_' {
				_, w := decodeRune(s[si:])
				si += w
			} else {
				si++
			}
			pi++
			continue
		}
		if star >= 0 {
			pi = star + 1
			mark++
			si = mark
			continue
		}
		return false
	}
	for pi < len(p) && p[pi] == '%' {
		pi++
	}
	return pi == len(p)
}

func decodeRune(s string) (rune, int) {
	for i, r := range s {
		if i > 0 {
			return r, i
		}
	}
	return 0, len(s)
}

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

// timeNode derives a value from a time: a truncation (a time) or a part (a number), in the query's
// time zone.
type timeNode struct {
	x    node
	unit string // date_trunc units, or hour, minute, day, day_of_week, day_of_year, month, year
	part bool
	out  vec
}

func (n *timeNode) typ() typ {
	if n.part {
		return tInt
	}
	return tTime
}

func (n *timeNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, n.typ(), c, sel)
	tr, engine := engineTrunc(n.unit, n.part)
	for k := range v.i {
		if x.isNull(k) {
			continue
		}
		s := x.i[k]
		if engine {
			// The engine's own keys: GROUP BY date_trunc(…) and this expression agree, even in the
			// hour that repeats when clocks go back.
			v.i[k] = c.zone.Truncate(tr, s)
			if tr == aggregate.TruncDay {
				v.i[k] = time.Date(1970, 1, 1+int(v.i[k]), 0, 0, 0, 0, c.loc).Unix()
			}
			continue
		}
		t := time.Unix(s, 0).In(c.loc)
		if n.part {
			v.i[k] = timePart(t, n.unit)
		} else {
			v.i[k] = timeTrunc(t, n.unit).Unix()
		}
	}
	return v
}

// engineTrunc maps a date_trunc unit or a part function onto the engine's truncations.
func engineTrunc(unit string, part bool) (aggregate.Trunc, bool) {
	if part {
		switch unit {
		case "hour":
			return aggregate.TruncHourOfDay, true
		case "day_of_week", "dow":
			return aggregate.TruncDayOfWeek, true
		}
		return 0, false
	}
	switch unit {
	case "second":
		return aggregate.TruncNone, true
	case "minute":
		return aggregate.TruncMinute, true
	case "hour":
		return aggregate.TruncHour, true
	case "day":
		return aggregate.TruncDay, true
	}
	return 0, false
}

func timePart(t time.Time, unit string) int64 {
	switch unit {
	case "hour":
		return int64(t.Hour())
	case "minute":
		return int64(t.Minute())
	case "second":
		return int64(t.Second())
	case "day", "day_of_month":
		return int64(t.Day())
	case "day_of_week", "dow":
		return int64((int(t.Weekday())+6)%7 + 1) // ISO: Monday 1 … Sunday 7
	case "day_of_year", "doy":
		return int64(t.YearDay())
	case "month":
		return int64(t.Month())
	case "quarter":
		return int64((int(t.Month())-1)/3 + 1)
	case "week", "week_of_year":
		_, w := t.ISOWeek()
		return int64(w)
	}
	return int64(t.Year())
}

func timeTrunc(t time.Time, unit string) time.Time {
	y, mo, d := t.Date()
	switch unit {
	case "second":
		return t.Truncate(time.Second)
	case "minute":
		return time.Date(y, mo, d, t.Hour(), t.Minute(), 0, 0, t.Location())
	case "hour":
		return time.Date(y, mo, d, t.Hour(), 0, 0, 0, t.Location())
	case "day":
		return time.Date(y, mo, d, 0, 0, 0, 0, t.Location())
	case "week":
		wd := (int(t.Weekday()) + 6) % 7
		return time.Date(y, mo, d-wd, 0, 0, 0, 0, t.Location())
	case "month":
		return time.Date(y, mo, 1, 0, 0, 0, 0, t.Location())
	case "quarter":
		return time.Date(y, mo-(mo-1)%3, 1, 0, 0, 0, 0, t.Location())
	}
	return time.Date(y, 1, 1, 0, 0, 0, 0, t.Location())
}

// splitPartNode is split_part(x, delimiter, index): the index-th field (from 1), or null.
type splitPartNode struct {
	x     node
	delim string
	index int
	out   vec
}

func (n *splitPartNode) typ() typ { return tStr }

func (n *splitPartNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, tStr, c, sel)
	for k := range v.s {
		v.s[k] = ""
		if x.isNull(k) {
			continue
		}
		s := x.s[k]
		part, ok := "", false
		for i := 1; ; i++ {
			j := strings.Index(s, n.delim)
			if n.delim == "" {
				j = -1
			}
			if i == n.index {
				part, ok = s, true
				if j >= 0 {
					part = s[:j]
				}
				break
			}
			if j < 0 {
				break
			}
			s = s[j+len(n.delim):]
		}
		if ok {
			v.s[k] = part
		} else {
			v.nulls()[k] = true
		}
	}
	return v
}

// containsNode is contains('10.0.0.0/8', addr): whether the address lies in the network.
type containsNode struct {
	p   netip.Prefix
	x   node
	out vec
}

func (n *containsNode) typ() typ { return tBool }

func (n *containsNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, tBool, c, sel)
	for k := range v.i {
		v.i[k] = b2i(n.p.Contains(x.a[k]))
	}
	return v
}

// castNode converts between types: to varchar, bigint, double, timestamp.
type castNode struct {
	x   node
	to  typ
	out vec
}

func (n *castNode) typ() typ { return n.to }

func (n *castNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, n.to, c, sel)
	for k := 0; k < len(sel); k++ {
		if x.isNull(k) {
			continue
		}
		switch n.to {
		case tStr:
			switch x.t {
			case tStr:
				v.s[k] = x.s[k]
			case tAddr:
				v.s[k] = x.a[k].String()
			case tFloat:
				v.s[k] = strconv.FormatFloat(x.f[k], 'g', -1, 64)
			case tTime:
				v.s[k] = formatTime(x.i[k], c.loc)
			case tBool:
				v.s[k] = strconv.FormatBool(x.i[k] == 1)
			default:
				v.s[k] = strconv.FormatInt(x.i[k], 10)
			}
		case tFloat:
			switch x.t {
			case tFloat:
				v.f[k] = x.f[k]
			case tStr:
				f, err := strconv.ParseFloat(strings.TrimSpace(x.s[k]), 64)
				if err != nil {
					v.nulls()[k] = true
				}
				v.f[k] = f
			default:
				v.f[k] = float64(x.i[k])
			}
		default: // bigint, timestamp from seconds
			switch x.t {
			case tFloat:
				v.i[k] = int64(math.Round(x.f[k]))
			case tStr:
				i, err := strconv.ParseInt(strings.TrimSpace(x.s[k]), 10, 64)
				if err != nil {
					v.nulls()[k] = true
				}
				v.i[k] = i
			default:
				v.i[k] = x.i[k]
			}
		}
	}
	return v
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

// formatTime is a timestamp as Trino prints it: 2024-05-01 13:00:00.000 in the query's zone.
func formatTime(s int64, loc *time.Location) string {
	return time.Unix(s, 0).In(loc).Format("2006-01-02 15:04:05.000")
}

// compiler turns syntax into nodes. leaf, when set, may replace any subexpression (a group key or an
// aggregate of a result); columns then must have been replaced.
type compiler struct {
	q        string
	loc      *time.Location
	leaf     func(e sql.Expr) (node, bool, error)
	noCols   string // when set, a column reference is an error with this message
	fields   map[flowlog.FieldID]bool
	interval map[node]bool
}

func (cp *compiler) errorf(e sql.Expr, format string, args ...any) error {
	return sql.ErrorAt(cp.q, e.Pos(), format, args...)
}

// lookupColumn finds a column by its Athena name (or its flow-log field name).
func lookupColumn(name string) (flowlog.FieldID, bool) {
	return flowlog.LookupField(name)
}

func (cp *compiler) compile(e sql.Expr) (node, error) {
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
		f, ok := lookupColumn(e.Name)
		if !ok {
			return nil, cp.errorf(e, "unknown column %q (columns are the Athena names: %s)", e.Name, columnList())
		}
		if cp.fields != nil {
			cp.fields[f] = true
		}
		return &colNode{f: f, t: columnTyp(f)}, nil
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
		x, err := cp.compile(e.X)
		if err != nil {
			return nil, err
		}
		var to typ
		switch e.Type {
		case "varchar":
			to = tStr
		case "bigint", "integer", "int":
			to = tInt
		case "double":
			to = tFloat
		case "timestamp":
			if x.typ() != tInt && x.typ() != tTime {
				return nil, cp.errorf(e, "CAST to timestamp takes Unix seconds")
			}
			to = tTime
		default:
			return nil, cp.errorf(e, "CAST to %s is not supported (varchar, bigint, double, timestamp)", e.Type)
		}
		if x.typ() == tAddr && to != tStr {
			return nil, cp.errorf(e, "an address casts to varchar only")
		}
		return &castNode{x: x, to: to}, nil
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

var timeParts = map[string]bool{"hour": true, "minute": true, "second": true, "day": true, "day_of_month": true,
	"day_of_week": true, "dow": true, "day_of_year": true, "doy": true, "month": true, "quarter": true,
	"year": true, "week": true, "week_of_year": true}

func (cp *compiler) call(e *sql.Call) (node, error) {
	if isAggregate(e.Name) {
		return nil, cp.errorf(e, "aggregate %s() is not allowed here", e.Name)
	}
	if e.Distinct || e.Star {
		return nil, cp.errorf(e, "%s() takes no DISTINCT or *", e.Name)
	}
	args := make([]node, len(e.Args))
	nargs := func(n int) error {
		if len(e.Args) != n {
			return cp.errorf(e, "%s() takes %d argument(s), found %d", e.Name, n, len(e.Args))
		}
		return nil
	}
	strArg := func(i int) (string, error) {
		s, ok := e.Args[i].(*sql.StrLit)
		if !ok {
			return "", cp.errorf(e.Args[i], "%s() takes a string literal here", e.Name)
		}
		return s.V, nil
	}
	compileArg := func(i int) error {
		n, err := cp.compile(e.Args[i])
		args[i] = n
		return err
	}
	switch {
	case e.Name == "from_unixtime":
		if err := nargs(1); err != nil {
			return nil, err
		}
		if err := compileArg(0); err != nil {
			return nil, err
		}
		if args[0].typ() != tInt {
			return nil, cp.errorf(e.Args[0], "from_unixtime() takes Unix seconds, not a %s", args[0].typ())
		}
		return &relabel{x: args[0], t: tTime}, nil
	case e.Name == "to_unixtime":
		if err := nargs(1); err != nil {
			return nil, err
		}
		if err := compileArg(0); err != nil {
			return nil, err
		}
		if args[0].typ() != tTime {
			return nil, cp.errorf(e.Args[0], "to_unixtime() takes a timestamp")
		}
		return &relabel{x: args[0], t: tInt}, nil
	case e.Name == "date_trunc":
		if err := nargs(2); err != nil {
			return nil, err
		}
		unit, err := strArg(0)
		if err != nil {
			return nil, err
		}
		unit = strings.ToLower(unit)
		switch unit {
		case "second", "minute", "hour", "day", "week", "month", "quarter", "year":
		default:
			return nil, cp.errorf(e.Args[0], "date_trunc unit %q is not one of second, minute, hour, day, week, month, quarter, year", unit)
		}
		if err := compileArg(1); err != nil {
			return nil, err
		}
		if args[1].typ() != tTime {
			return nil, cp.errorf(e.Args[1], "date_trunc() takes a timestamp (from_unixtime(start)), not a %s", args[1].typ())
		}
		return &timeNode{x: args[1], unit: unit}, nil
	case timeParts[e.Name]:
		if err := nargs(1); err != nil {
			return nil, err
		}
		if err := compileArg(0); err != nil {
			return nil, err
		}
		if args[0].typ() != tTime {
			return nil, cp.errorf(e.Args[0], "%s() takes a timestamp (from_unixtime(start)), not a %s", e.Name, args[0].typ())
		}
		return &timeNode{x: args[0], unit: e.Name, part: true}, nil
	case e.Name == "split_part":
		if err := nargs(3); err != nil {
			return nil, err
		}
		if err := compileArg(0); err != nil {
			return nil, err
		}
		if args[0].typ() != tStr {
			return nil, cp.errorf(e.Args[0], "split_part() takes a varchar, not a %s", args[0].typ())
		}
		d, err := strArg(1)
		if err != nil {
			return nil, err
		}
		idx, ok := e.Args[2].(*sql.IntLit)
		if !ok || idx.V < 1 {
			return nil, cp.errorf(e.Args[2], "split_part() takes a field index from 1")
		}
		return &splitPartNode{x: args[0], delim: d, index: int(idx.V)}, nil
	case e.Name == "contains":
		if err := nargs(2); err != nil {
			return nil, err
		}
		s, err := strArg(0)
		if err != nil {
			return nil, err
		}
		p, perr := netip.ParsePrefix(s)
		if perr != nil {
			return nil, cp.errorf(e.Args[0], "%q is not a network (10.0.0.0/8)", s)
		}
		if err := compileArg(1); err != nil {
			return nil, err
		}
		if args[1].typ() != tAddr {
			return nil, cp.errorf(e.Args[1], "contains() takes an address column, not a %s", args[1].typ())
		}
		return &containsNode{p: p.Masked(), x: args[1]}, nil
	}
	return nil, cp.errorf(e, "unknown function %s() (supported: from_unixtime, to_unixtime, date_trunc, hour, minute, day, day_of_week, day_of_year, month, year, split_part, contains, CAST; aggregates sum, count, min, max, avg)", e.Name)
}

func isAggregate(name string) bool {
	switch name {
	case "sum", "count", "min", "max", "avg":
		return true
	}
	return false
}

func columnList() string {
	var b strings.Builder
	for i, f := range flowlog.Fields {
		if f.Version > 5 {
			continue
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Column)
	}
	return b.String()
}

// exprFilter is a WHERE clause as an aggregate.Filter: each worker compiles its own nodes.
type exprFilter struct {
	q      string
	e      sql.Expr
	loc    *time.Location
	fields []flowlog.FieldID
}

// newExprFilter checks a WHERE clause and lists its columns.
func newExprFilter(q string, e sql.Expr, loc *time.Location) (*exprFilter, error) {
	cp := &compiler{q: q, loc: loc, fields: map[flowlog.FieldID]bool{}}
	n, err := cp.compile(e)
	if err != nil {
		return nil, err
	}
	if n.typ() != tBool && n.typ() != tNull {
		return nil, sql.ErrorAt(q, e.Pos(), "WHERE needs a condition, found a %s", n.typ())
	}
	f := &exprFilter{q: q, e: e, loc: loc}
	for id := range flowlog.Fields {
		if cp.fields[flowlog.FieldID(id)] {
			f.fields = append(f.fields, flowlog.FieldID(id))
		}
	}
	return f, nil
}

func (f *exprFilter) Fields() []flowlog.FieldID { return f.fields }

func (f *exprFilter) New() aggregate.Selector {
	cp := &compiler{q: f.q, loc: f.loc}
	n, err := cp.compile(f.e)
	if err != nil {
		panic(fmt.Sprintf("BUG: a checked filter does not compile: %v", err))
	}
	return &exprSelector{n: n, c: newEvalCtx(f.loc)}
}

type exprSelector struct {
	n node
	c *evalCtx
}

func (s *exprSelector) Select(rec arrow.RecordBatch, sel, out []int32) []int32 {
	s.c.setBatch(rec)
	v := s.n.eval(s.c, sel)
	out = out[:0]
	for k, r := range sel {
		if v.i[k] == 1 && !v.isNull(k) {
			out = append(out, r)
		}
	}
	s.c.rec = nil
	return out
}
