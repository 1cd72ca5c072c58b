package query

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/query/sql"
)

// Plan is a SELECT planned onto the engine: either a group-by (one aggregate.Spec whose Filter is
// the WHERE clause, then the select list, HAVING, ORDER BY and LIMIT over the groups) or a scan (the
// WHERE clause as the engine's scan filter, the select list evaluated on the kept rows).
type Plan struct {
	q    string
	stmt *sql.Select
	loc  *time.Location

	// From and To bound the records' start as the WHERE clause does (zero when it does not): the
	// caller uses them to skip objects by key, as report's --from/--to.
	From, To time.Time

	filter *exprFilter // nil without WHERE

	// Group-by queries.
	agg      bool
	spec     aggregate.Spec
	keys     []groupKey
	aggs     []aggRef
	keyForms map[string]int // sql.Format of a GROUP BY expression -> key
	aggForms map[string]int // sql.Format of an aggregate call -> aggs

	// Scan queries.
	star bool

	items []outItem
}

// groupKey is one GROUP BY expression as an engine key.
type groupKey struct {
	key aggregate.Key
	t   typ
}

// aggRef is one aggregate of the select list, HAVING or ORDER BY, as engine measures.
type aggRef struct {
	fn      string // sum count min max avg, or "distinct"
	t       typ
	measure aggregate.Measure
	count   aggregate.Measure // sum and avg: the count of non-null values (noCount: none kept)
	nulls   aggregate.Measure // sum(bytes), sum(packets): the null count, so count = flows - nulls
}

const noCount aggregate.Measure = 255

// outItem is one output column.
type outItem struct {
	name  string
	expr  sql.Expr // nil for a column of *
	field flowlog.FieldID
}

// Name returns the output column names.
func (p *Plan) Names() []string {
	var out []string
	for _, it := range p.items {
		out = append(out, it.name)
	}
	return out
}

// PlanSQL parses and plans a query. The time zone is that of date_trunc, hour() and the like
// (Athena's is UTC).
func PlanSQL(q string, loc *time.Location) (*Plan, error) {
	stmt, err := sql.Parse(q)
	if err != nil {
		return nil, err
	}
	return planSelect(q, stmt, loc)
}

// Source is the FROM of the query: a path or URI (FromPath), or a table name.
func (p *Plan) Source() (string, bool) { return p.stmt.From, p.stmt.FromPath }

func planSelect(q string, stmt *sql.Select, loc *time.Location) (*Plan, error) {
	if loc == nil {
		loc = time.UTC
	}
	p := &Plan{q: q, stmt: stmt, loc: loc, keyForms: map[string]int{}, aggForms: map[string]int{}}
	if stmt.Distinct {
		return nil, sql.ErrorAt(q, 0, "SELECT DISTINCT is not supported: write GROUP BY")
	}
	if stmt.Where != nil {
		f, err := newExprFilter(q, stmt.Where, loc)
		if err != nil {
			return nil, err
		}
		p.filter = f
		p.From, p.To = startRange(stmt.Where)
	}
	p.agg = len(stmt.GroupBy) > 0 || stmt.Having != nil
	for _, it := range stmt.Items {
		if it.Expr != nil && hasAggregate(it.Expr) {
			p.agg = true
		}
	}
	for _, o := range stmt.OrderBy {
		if hasAggregate(o.Expr) {
			p.agg = true
		}
	}
	// Output names: the alias, a column's name, else the expression's text.
	for _, it := range stmt.Items {
		if it.Star {
			if p.agg {
				return nil, sql.ErrorAt(q, it.At, "* cannot be selected in a query that groups")
			}
			p.star = true
			p.items = append(p.items, outItem{name: "*"})
			continue
		}
		name := it.Alias
		if name == "" {
			if c, ok := it.Expr.(*sql.Column); ok {
				name = c.Name
			} else {
				name = sql.Format(it.Expr)
			}
		}
		p.items = append(p.items, outItem{name: name, expr: it.Expr})
	}
	// Output names are unique (a Parquet file cannot hold two columns of one name): sum(bytes),
	// sum(bytes)_2.
	seen := map[string]int{}
	for i := range p.items {
		name := p.items[i].name
		if seen[name]++; seen[name] > 1 {
			p.items[i].name = fmt.Sprintf("%s_%d", name, seen[name])
		}
	}
	if p.star && len(p.items) > 1 {
		return nil, sql.ErrorAt(q, 0, "* with other select items is not supported")
	}
	if !p.agg {
		return p, p.checkScan()
	}
	return p, p.planGroups()
}

// checkScan compiles the select list and ORDER BY of a scan once, to report errors before reading.
func (p *Plan) checkScan() error {
	cp := &compiler{q: p.q, loc: p.loc}
	for _, it := range p.items {
		if it.expr == nil {
			continue
		}
		if _, err := cp.compile(it.expr); err != nil {
			return err
		}
	}
	for _, o := range p.stmt.OrderBy {
		if _, err := p.orderExpr(o.Expr); err != nil {
			return err
		}
	}
	return nil
}

// orderExpr resolves an ORDER BY item: an ordinal or alias of the select list, else an expression.
func (p *Plan) orderExpr(e sql.Expr) (sql.Expr, error) {
	if lit, ok := e.(*sql.IntLit); ok {
		if lit.V < 1 || int(lit.V) > len(p.items) || p.items[lit.V-1].expr == nil {
			return nil, sql.ErrorAt(p.q, e.Pos(), "ORDER BY position %d is not in the select list", lit.V)
		}
		return p.items[lit.V-1].expr, nil
	}
	if c, ok := e.(*sql.Column); ok {
		for _, it := range p.items {
			if it.expr != nil && it.name == c.Name && !isColumnNamed(it.expr, c.Name) {
				return it.expr, nil
			}
		}
	}
	cp := &compiler{q: p.q, loc: p.loc}
	if p.agg {
		cp = p.groupCompiler()
	}
	if _, err := cp.compile(e); err != nil {
		return nil, err
	}
	return e, nil
}

func isColumnNamed(e sql.Expr, name string) bool {
	c, ok := e.(*sql.Column)
	return ok && c.Name == name
}

func hasAggregate(e sql.Expr) bool {
	found := false
	walk(e, func(x sql.Expr) {
		if c, ok := x.(*sql.Call); ok && isAggregate(c.Name) {
			found = true
		}
	})
	return found
}

// walk calls fn on e and every subexpression.
func walk(e sql.Expr, fn func(sql.Expr)) {
	if e == nil {
		return
	}
	fn(e)
	switch e := e.(type) {
	case *sql.Unary:
		walk(e.X, fn)
	case *sql.Binary:
		walk(e.L, fn)
		walk(e.R, fn)
	case *sql.In:
		walk(e.X, fn)
		for _, x := range e.List {
			walk(x, fn)
		}
	case *sql.Between:
		walk(e.X, fn)
		walk(e.Lo, fn)
		walk(e.Hi, fn)
	case *sql.Like:
		walk(e.X, fn)
		walk(e.Pattern, fn)
	case *sql.IsNull:
		walk(e.X, fn)
	case *sql.Call:
		for _, x := range e.Args {
			walk(x, fn)
		}
	case *sql.Cast:
		walk(e.X, fn)
	}
}

// planGroups maps GROUP BY onto engine keys and the aggregates onto measures.
func (p *Plan) planGroups() error {
	p.spec = aggregate.Spec{Name: "query"}
	if p.filter != nil {
		p.spec.Filter = p.filter
	}
	for _, g := range p.stmt.GroupBy {
		e := g
		if lit, ok := g.(*sql.IntLit); ok {
			if lit.V < 1 || int(lit.V) > len(p.items) {
				return sql.ErrorAt(p.q, g.Pos(), "GROUP BY position %d is not in the select list", lit.V)
			}
			e = p.items[lit.V-1].expr
		} else if c, ok := g.(*sql.Column); ok {
			if _, known := lookupColumn(c.Name); !known {
				for _, it := range p.items {
					if it.name == c.Name {
						e = it.expr
					}
				}
			}
		}
		if hasAggregate(e) {
			return sql.ErrorAt(p.q, g.Pos(), "GROUP BY cannot hold an aggregate")
		}
		k, t, err := p.keyFor(e)
		if err != nil {
			return err
		}
		form := sql.Format(e)
		if _, dup := p.keyForms[form]; dup {
			continue
		}
		p.keyForms[form] = len(p.keys)
		p.keys = append(p.keys, groupKey{key: k, t: t})
		p.spec.Keys = append(p.spec.Keys, k)
	}
	// Collect the aggregates, and check every expression over the groups.
	cp := p.groupCompiler()
	for _, it := range p.items {
		if _, err := cp.compile(it.expr); err != nil {
			return err
		}
	}
	if h := p.stmt.Having; h != nil {
		n, err := cp.compile(h)
		if err != nil {
			return err
		}
		if n.typ() != tBool {
			return sql.ErrorAt(p.q, h.Pos(), "HAVING needs a condition, found a %s", n.typ())
		}
	}
	for _, o := range p.stmt.OrderBy {
		if _, err := p.orderExpr(o.Expr); err != nil {
			return err
		}
	}
	return nil
}

// groupCompiler compiles expressions over the groups: GROUP BY expressions and aggregates are read
// from the result; any other column is an error.
func (p *Plan) groupCompiler() *compiler {
	cp := &compiler{q: p.q, loc: p.loc,
		noCols: "column %q must appear in GROUP BY or be used in an aggregate function"}
	cp.leaf = func(e sql.Expr) (node, bool, error) {
		form := sql.Format(e)
		if k, ok := p.keyForms[form]; ok {
			return &refNode{i: k, t: p.keys[k].t}, true, nil
		}
		c, ok := e.(*sql.Call)
		if !ok || !isAggregate(c.Name) {
			return nil, false, nil
		}
		if j, ok := p.aggForms[form]; ok {
			return &refNode{i: len(p.keys) + j, t: p.aggs[j].t}, true, nil
		}
		a, err := p.addAggregate(c)
		if err != nil {
			return nil, true, err
		}
		p.aggForms[form] = len(p.aggs)
		p.aggs = append(p.aggs, a)
		return &refNode{i: len(p.keys) + len(p.aggs) - 1, t: a.t}, true, nil
	}
	return cp
}

// keyFor maps a GROUP BY expression onto an engine key.
func (p *Plan) keyFor(e sql.Expr) (aggregate.Key, typ, error) {
	bad := func() (aggregate.Key, typ, error) {
		return aggregate.Key{}, 0, sql.ErrorAt(p.q, e.Pos(), "GROUP BY takes columns, from_unixtime(t), date_trunc('minute'|'hour'|'day', from_unixtime(t)), hour(from_unixtime(t)) and day_of_week(from_unixtime(t)) of a time column t (start or \"end\"); found %s", sql.Format(e))
	}
	switch e := e.(type) {
	case *sql.Column:
		f, ok := lookupColumn(e.Name)
		if !ok {
			return aggregate.Key{}, 0, sql.ErrorAt(p.q, e.Pos(), "unknown column %q (columns are the Athena names: %s)", e.Name, columnList())
		}
		return aggregate.Key{Field: f}, columnTyp(f), nil
	case *sql.Call:
		f, ok := unixtimeArg(e)
		if e.Name == "from_unixtime" {
			if !ok {
				return bad()
			}
			return aggregate.Key{Field: f}, tTime, nil
		}
		if len(e.Args) == 0 {
			return bad()
		}
		inner, isCall := e.Args[len(e.Args)-1].(*sql.Call)
		if !isCall || inner.Name != "from_unixtime" {
			return bad()
		}
		f, ok = unixtimeArg(inner)
		if !ok || flowlog.Fields[f].Kind != flowlog.KindTime {
			return bad()
		}
		switch e.Name {
		case "date_trunc":
			unit, isStr := e.Args[0].(*sql.StrLit)
			if !isStr || len(e.Args) != 2 {
				return bad()
			}
			switch strings.ToLower(unit.V) {
			case "second":
				return aggregate.Key{Field: f}, tTime, nil
			case "minute":
				return aggregate.Key{Field: f, Trunc: aggregate.TruncMinute}, tTime, nil
			case "hour":
				return aggregate.Key{Field: f, Trunc: aggregate.TruncHour}, tTime, nil
			case "day":
				return aggregate.Key{Field: f, Trunc: aggregate.TruncDay}, tTime, nil
			}
		case "hour":
			return aggregate.Key{Field: f, Trunc: aggregate.TruncHourOfDay}, tInt, nil
		case "day_of_week", "dow":
			return aggregate.Key{Field: f, Trunc: aggregate.TruncDayOfWeek}, tInt, nil
		}
	}
	return bad()
}

// unixtimeArg returns the column of from_unixtime(column).
func unixtimeArg(c *sql.Call) (flowlog.FieldID, bool) {
	if c.Name != "from_unixtime" || len(c.Args) != 1 {
		return 0, false
	}
	col, ok := c.Args[0].(*sql.Column)
	if !ok {
		return 0, false
	}
	f, ok := lookupColumn(col.Name)
	if !ok || columnTyp(f) != tInt {
		return 0, false
	}
	return f, true
}

// addAggregate maps an aggregate call onto the spec's measures.
func (p *Plan) addAggregate(c *sql.Call) (aggRef, error) {
	s := &p.spec
	if c.Name == "count" && c.Star {
		s.Measures = appendMeasure(s.Measures, aggregate.Flows)
		return aggRef{fn: "count", t: tInt, measure: aggregate.Flows, count: noCount, nulls: noCount}, nil
	}
	if len(c.Args) != 1 {
		return aggRef{}, sql.ErrorAt(p.q, c.Pos(), "%s() takes one argument", c.Name)
	}
	arg := c.Args[0]
	isTime := false
	if inner, ok := arg.(*sql.Call); ok && inner.Name == "from_unixtime" && (c.Name == "min" || c.Name == "max") {
		if len(inner.Args) == 1 {
			arg, isTime = inner.Args[0], true
		}
	}
	col, ok := arg.(*sql.Column)
	if !ok {
		return aggRef{}, sql.ErrorAt(p.q, arg.Pos(), "aggregates take a column (or min/max of from_unixtime(column)); found %s", sql.Format(arg))
	}
	f, ok := lookupColumn(col.Name)
	if !ok {
		return aggRef{}, sql.ErrorAt(p.q, col.Pos(), "unknown column %q (columns are the Athena names: %s)", col.Name, columnList())
	}
	if c.Distinct {
		if c.Name != "count" {
			return aggRef{}, sql.ErrorAt(p.q, c.Pos(), "DISTINCT is supported in count() only")
		}
		for j, d := range s.Distinct {
			if d == f {
				return aggRef{fn: "distinct", t: tInt, measure: aggregate.Distinct(j), count: noCount, nulls: noCount}, nil
			}
		}
		s.Distinct = append(s.Distinct, f)
		return aggRef{fn: "distinct", t: tInt, measure: aggregate.Distinct(len(s.Distinct) - 1), count: noCount, nulls: noCount}, nil
	}
	numeric := columnTyp(f) == tInt
	if c.Name != "count" && !numeric {
		return aggRef{}, sql.ErrorAt(p.q, col.Pos(), "%s() of %s: the column is not a number", c.Name, col.Name)
	}
	add := func(op aggregate.AggOp) aggregate.Measure {
		for j, a := range s.Aggs {
			if a.Op == op && a.Field == f {
				return aggregate.AggMeasure(j)
			}
		}
		s.Aggs = append(s.Aggs, aggregate.Agg{Op: op, Field: f})
		return aggregate.AggMeasure(len(s.Aggs) - 1)
	}
	switch c.Name {
	case "count":
		return aggRef{fn: "count", t: tInt, measure: add(aggregate.AggCount), count: noCount, nulls: noCount}, nil
	case "sum":
		// Bytes and packets: the engine's own measures, on its fast path; the nulls are counted only
		// in batches that have any, to tell an all-null group (NULL) from a sum of 0.
		if f == flowlog.FBytes || f == flowlog.FPackets {
			m := aggregate.Bytes
			if f == flowlog.FPackets {
				m = aggregate.Packets
			}
			s.Measures = appendMeasure(appendMeasure(s.Measures, m), aggregate.Flows)
			return aggRef{fn: "sum", t: tInt, measure: m, count: noCount, nulls: add(aggregate.AggNulls)}, nil
		}
		return aggRef{fn: "sum", t: tInt, measure: add(aggregate.AggSum), count: add(aggregate.AggCount), nulls: noCount}, nil
	case "avg":
		return aggRef{fn: "avg", t: tFloat, measure: add(aggregate.AggSum), count: add(aggregate.AggCount), nulls: noCount}, nil
	case "min", "max":
		t := tInt
		if isTime {
			t = tTime
		}
		op := aggregate.AggMin
		if c.Name == "max" {
			op = aggregate.AggMax
		}
		return aggRef{fn: c.Name, t: t, measure: add(op), count: noCount, nulls: noCount}, nil
	}
	return aggRef{}, sql.ErrorAt(p.q, c.Pos(), "unknown aggregate %s()", c.Name)
}

// appendMeasure adds m once, keeping bytes, packets, flows in that order (the engine's fast path).
func appendMeasure(ms []aggregate.Measure, m aggregate.Measure) []aggregate.Measure {
	for _, x := range ms {
		if x == m {
			return ms
		}
	}
	ms = append(ms, m)
	sort.Slice(ms, func(i, j int) bool { return ms[i] < ms[j] })
	return ms
}

// startRange reads the bounds on start that the top-level AND of a WHERE clause sets: start >= N,
// start < N, BETWEEN, and the same with from_unixtime(start) against TIMESTAMP literals.
func startRange(e sql.Expr) (from, to time.Time) {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64) // start in [lo, hi)
	var visit func(e sql.Expr)
	bound := func(op string, v int64) {
		switch op {
		case ">=":
			lo = max(lo, v)
		case ">":
			lo = max(lo, v+1)
		case "<":
			hi = min(hi, v)
		case "<=":
			hi = min(hi, v+1)
		case "=":
			lo, hi = max(lo, v), min(hi, v+1)
		}
	}
	isStart := func(x sql.Expr) bool {
		if c, ok := x.(*sql.Column); ok {
			return c.Name == "start"
		}
		if c, ok := x.(*sql.Call); ok && c.Name == "from_unixtime" && len(c.Args) == 1 {
			col, ok := c.Args[0].(*sql.Column)
			return ok && col.Name == "start"
		}
		return false
	}
	value := func(start, x sql.Expr) (int64, bool) {
		_, viaTime := start.(*sql.Call)
		switch v := x.(type) {
		case *sql.IntLit:
			return v.V, !viaTime
		case *sql.TimestampLit:
			if v.V.Nanosecond() != 0 {
				return 0, false
			}
			return v.V.Unix(), viaTime
		}
		return 0, false
	}
	flip := map[string]string{">=": "<=", ">": "<", "<": ">", "<=": ">=", "=": "="}
	visit = func(e sql.Expr) {
		switch e := e.(type) {
		case *sql.Binary:
			if e.Op == "AND" {
				visit(e.L)
				visit(e.R)
				return
			}
			if isStart(e.L) {
				if v, ok := value(e.L, e.R); ok {
					bound(e.Op, v)
				}
			} else if isStart(e.R) {
				if v, ok := value(e.R, e.L); ok {
					bound(flip[e.Op], v)
				}
			}
		case *sql.Between:
			if !e.Not && isStart(e.X) {
				if v, ok := value(e.X, e.Lo); ok {
					bound(">=", v)
				}
				if v, ok := value(e.X, e.Hi); ok {
					bound("<=", v)
				}
			}
		}
	}
	visit(e)
	if lo != math.MinInt64 {
		from = time.Unix(lo, 0).UTC()
	}
	if hi != math.MaxInt64 {
		to = time.Unix(hi, 0).UTC()
	}
	return from, to
}

// Narrow intersects the plan's range of start with [from, to) (zero: unbounded).
func (p *Plan) Narrow(from, to time.Time) {
	if !from.IsZero() && (p.From.IsZero() || from.After(p.From)) {
		p.From = from
	}
	if !to.IsZero() && (p.To.IsZero() || to.Before(p.To)) {
		p.To = to
	}
}

// WriteEmpty writes a batch of no rows of schema s: the header of a CSV, the schema of a Parquet or
// Arrow file, an empty JSON array.
func WriteEmpty(w interface{ Write(arrow.RecordBatch) error }, s *arrow.Schema) error {
	cols := make([]arrow.Array, s.NumFields())
	for i, f := range s.Fields() {
		b := array.NewBuilder(memory.DefaultAllocator, f.Type)
		cols[i] = b.NewArray()
		b.Release()
		defer cols[i].Release()
	}
	rec := array.NewRecordBatch(s, cols, 0)
	defer rec.Release()
	return w.Write(rec)
}

// RunOptions are how a plan reads its sources.
type RunOptions struct {
	Decode      flowlog.Options
	Workers     int
	MemoryLimit int64
	Progress    *aggregate.Progress
	// Emit, when set, receives the result batch by batch as it is made (rows of a scan without
	// ORDER BY as they are read; else the final result once); Result.Batches is then empty.
	Emit func(arrow.RecordBatch) error
}

// Result is a query's answer and what was read for it.
type Result struct {
	Schema  *arrow.Schema
	Batches []arrow.RecordBatch
	Rows    int64
	Stats   *flowlog.Stats
	Failed  []flowlog.ObjectError
	// Stopped says the scan stopped reading once LIMIT rows were found: the input accounting covers
	// what was read until then.
	Stopped bool
	// Peak is the aggregation state's peak, in bytes.
	Peak int64
}

// Release frees the result's batches.
func (r *Result) Release() {
	for _, b := range r.Batches {
		b.Release()
	}
	r.Batches = nil
}

var errLimitReached = errors.New("limit reached")

// Run reads the sources and answers the query.
func (p *Plan) Run(ctx context.Context, sources []flowlog.Source, ro RunOptions) (*Result, error) {
	cfg := aggregate.Config{Location: p.loc, MemoryLimit: ro.MemoryLimit, From: p.From, To: p.To}
	if p.agg {
		cfg.Specs = []aggregate.Spec{p.spec}
		e, err := aggregate.New(cfg)
		if err != nil {
			return nil, err
		}
		opts := ro.Decode
		opts.Need = e.Need()
		res, st, failed, err := aggregate.Run(ctx, e, sources, opts, ro.Workers, ro.Progress)
		if err != nil {
			return nil, err
		}
		out := &Result{Stats: st, Failed: failed, Peak: e.Budget().Peak()}
		rec, err := p.finishGroups(res.Tables[0])
		if err != nil {
			return nil, err
		}
		return out, out.add(rec, ro.Emit)
	}
	return p.runScan(ctx, sources, cfg, ro)
}

// add takes one batch of the result: to Emit, or kept.
func (r *Result) add(rec arrow.RecordBatch, emit func(arrow.RecordBatch) error) error {
	r.Schema = rec.Schema()
	r.Rows += rec.NumRows()
	if emit != nil {
		defer rec.Release()
		return emit(rec)
	}
	r.Batches = append(r.Batches, rec)
	return nil
}

// finishGroups evaluates the select list, HAVING, ORDER BY and LIMIT over the groups.
func (p *Plan) finishGroups(t *aggregate.Table) (arrow.RecordBatch, error) {
	groups, err := p.topGroups(t)
	if err != nil {
		return nil, err
	}
	n := len(groups)
	c := newEvalCtx(p.loc)
	keyVals := make([][]aggregate.Value, len(p.keys)) // per key part, per group
	for i := range keyVals {
		keyVals[i] = make([]aggregate.Value, n)
	}
	if len(p.keys) > 0 {
		scratch, parts := t.Scratch(), make([]aggregate.Value, len(p.keys))
		for gi, g := range groups {
			t.Keys(g, scratch, parts)
			for i, kv := range parts {
				keyVals[i][gi] = kv
			}
		}
	}
	for i, k := range p.keys {
		v := &vec{}
		v.reset(k.t, n)
		for gi := range groups {
			kv := keyVals[i][gi]
			if kv.Null {
				v.nulls()[gi] = true
				continue
			}
			switch k.t {
			case tStr:
				v.s[gi] = kv.Str
			case tAddr:
				v.a[gi] = kv.IP()
			case tTime:
				v.i[gi] = kv.Int
				if k.key.Trunc == aggregate.TruncDay { // days since 1970 -> the local midnight
					v.i[gi] = time.Date(1970, 1, 1+int(kv.Int), 0, 0, 0, 0, p.loc).Unix()
				}
			default:
				v.i[gi] = kv.Int
			}
		}
		c.refs = append(c.refs, v)
	}
	global := len(p.keys) == 0 && n == 0 // an aggregate of no rows is still one row
	if global {
		n = 1
	}
	for _, a := range p.aggs {
		c.refs = append(c.refs, aggVec(t, a, groups, global))
	}
	all := make([]int32, n)
	for i := range all {
		all[i] = int32(i)
	}
	sel := all
	if h := p.stmt.Having; h != nil {
		cp := p.groupCompiler()
		hn, err := cp.compile(h)
		if err != nil {
			return nil, err
		}
		hv := hn.eval(c, all)
		sel = nil
		for k := range all {
			if hv.i[k] == 1 && !hv.isNull(k) {
				sel = append(sel, int32(k))
			}
		}
	}
	cols, err := p.evalItems(p.groupCompiler(), c, all)
	if err != nil {
		return nil, err
	}
	order, err := p.evalOrder(p.groupCompiler(), c, all)
	if err != nil {
		return nil, err
	}
	sel = sortRows(sel, order, p.stmt.OrderBy, cols, p.stmt.Limit)
	return p.record(cols, sel), nil
}

// aggVec is aggregate a of each group (global: the one row of an aggregate over no rows).
func aggVec(t *aggregate.Table, a aggRef, groups []aggregate.Group, global bool) *vec {
	v := &vec{}
	if !global {
		v.reset(a.t, len(groups))
	} else {
		v.reset(a.t, 1)
		if a.fn == "count" || a.fn == "distinct" {
			v.i[0] = 0
		} else {
			v.nulls()[0] = true
		}
	}
	for gi, g := range groups {
		x := t.Value(g, a.measure)
		cnt := int64(1)
		if a.count != noCount {
			cnt = t.Value(g, a.count)
		}
		if a.nulls != noCount {
			cnt = t.Value(g, aggregate.Flows) - t.Value(g, a.nulls)
		}
		switch {
		case cnt == 0,
			a.fn == "min" && x == math.MaxInt64,
			a.fn == "max" && x == math.MinInt64:
			v.nulls()[gi] = true
		case a.fn == "avg":
			v.f[gi] = float64(x) / float64(cnt)
		default:
			v.i[gi] = x
		}
	}
	return v
}

// topGroups narrows the groups to those that can be among the first LIMIT rows, when the first ORDER
// BY key and HAVING read aggregates only: that key is computed for every group (a number each), and
// only the groups that rank with the LIMITth or better by it (ties included: the later keys decide
// between them) have their keys decoded and the select list evaluated. For the 5 M groups of a day's
// conversations this is the difference between materialising 5 M address pairs and 20.
func (p *Plan) topGroups(t *aggregate.Table) ([]aggregate.Group, error) {
	limit := p.stmt.Limit
	n := t.Len()
	if limit < 0 || len(p.stmt.OrderBy) == 0 || int64(n) <= 4*limit+64 {
		return t.Groups(), nil
	}
	cp := p.groupCompiler()
	leaf, usesKey := cp.leaf, false
	cp.leaf = func(e sql.Expr) (node, bool, error) {
		n, ok, err := leaf(e)
		if r, isRef := n.(*refNode); isRef && r.i < len(p.keys) {
			usesKey = true
		}
		return n, ok, err
	}
	first, err := p.orderExpr(p.stmt.OrderBy[0].Expr)
	if err != nil {
		return nil, err
	}
	on, err := cp.compile(first)
	if err != nil {
		return nil, err
	}
	var hn node
	if h := p.stmt.Having; h != nil {
		if hn, err = cp.compile(h); err != nil {
			return nil, err
		}
	}
	if usesKey {
		return t.Groups(), nil
	}
	// A part of the groups at a time, with the candidates of the parts before (kept in group order):
	// the candidates of the whole are among those of its parts, and the memory is that of a part,
	// not of vectors over every group.
	var cand []aggregate.Group
	for lo := 0; lo < n; lo += topPart {
		groups := t.AppendGroups(cand, lo, min(lo+topPart, n))
		cand = p.topOf(t, groups, on, hn, limit)
	}
	return cand, nil
}

// topPart is how many groups topGroups ranks at a time (a variable for the tests).
var topPart = 1 << 16

// topOf returns the groups that HAVING keeps and whose first ORDER BY key (node on) ranks within the
// first limit, ties included, in their order in groups.
func (p *Plan) topOf(t *aggregate.Table, groups []aggregate.Group, on, hn node, limit int64) []aggregate.Group {
	c := newEvalCtx(p.loc)
	c.refs = make([]*vec, len(p.keys), len(p.keys)+len(p.aggs)) // the keys: not read, not made
	for _, a := range p.aggs {
		c.refs = append(c.refs, aggVec(t, a, groups, false))
	}
	// Over groups, nodes are evaluated for all of them (sel 0..n-1: position is group).
	all := make([]int32, len(groups))
	for i := range all {
		all[i] = int32(i)
	}
	sel := all
	if hn != nil {
		hv := hn.eval(c, all)
		sel = nil
		for k := range all {
			if hv.i[k] == 1 && !hv.isNull(k) {
				sel = append(sel, int32(k))
			}
		}
	}
	if int64(len(sel)) <= limit {
		return pick(groups, sel)
	}
	ov := on.eval(c, all)
	desc := p.stmt.OrderBy[0].Desc
	best := sortRows(append([]int32(nil), sel...), []*vec{ov}, p.stmt.OrderBy[:1], nil, limit)
	if len(best) == 0 {
		return nil
	}
	last := int(best[len(best)-1])
	var kept []int32
	for _, r := range sel {
		if cmpOrder(ov, desc, int(r), last) <= 0 {
			kept = append(kept, r)
		}
	}
	return pick(groups, kept)
}

// pick returns groups[i] for each i of sel.
func pick(groups []aggregate.Group, sel []int32) []aggregate.Group {
	out := make([]aggregate.Group, len(sel))
	for k, r := range sel {
		out[k] = groups[r]
	}
	return out
}

// evalItems evaluates the select list for rows sel (copies: the nodes' vectors are reused).
func (p *Plan) evalItems(cp *compiler, c *evalCtx, sel []int32) ([]*vec, error) {
	var out []*vec
	for _, it := range p.items {
		n, err := cp.compile(it.expr)
		if err != nil {
			return nil, err
		}
		out = append(out, copyVec(n.eval(c, sel)))
	}
	return out, nil
}

// evalOrder evaluates the ORDER BY keys for rows sel.
func (p *Plan) evalOrder(cp *compiler, c *evalCtx, sel []int32) ([]*vec, error) {
	var out []*vec
	for _, o := range p.stmt.OrderBy {
		e, err := p.orderExpr(o.Expr)
		if err != nil {
			return nil, err
		}
		n, err := cp.compile(e)
		if err != nil {
			return nil, err
		}
		out = append(out, copyVec(n.eval(c, sel)))
	}
	return out, nil
}

func copyVec(v *vec) *vec {
	c := &vec{t: v.t, n: v.n}
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

// sortRows orders the rows sel by the ORDER BY keys (nulls last, as Trino), then by every output
// column, so that the order never depends on the input's, and keeps the first limit (all when
// limit < 0). A small limit takes a heap of the best rows seen, not a sort of them all.
func sortRows(sel []int32, keys []*vec, items []sql.OrderItem, cols []*vec, limit int64) []int32 {
	less := func(ra, rb int32) bool {
		a, b := int(ra), int(rb)
		for i, k := range keys {
			if c := cmpOrder(k, items[i].Desc, a, b); c != 0 {
				return c < 0
			}
		}
		for _, k := range cols {
			if c := cmpVec(k, a, b); c != 0 {
				return c < 0
			}
		}
		return ra < rb
	}
	if limit >= 0 && limit < int64(len(sel))/4 {
		h := &rowHeap{less: less}
		for _, r := range sel {
			if int64(len(h.rows)) < limit {
				heap.Push(h, r)
			} else if limit > 0 && less(r, h.rows[0]) {
				h.rows[0] = r
				heap.Fix(h, 0)
			}
		}
		sel = h.rows
	}
	sort.Slice(sel, func(i, j int) bool { return less(sel[i], sel[j]) })
	if limit >= 0 && int64(len(sel)) > limit {
		sel = sel[:limit]
	}
	return sel
}

// rowHeap keeps the best rows seen so far, the worst on top.
type rowHeap struct {
	rows []int32
	less func(a, b int32) bool
}

func (h *rowHeap) Len() int           { return len(h.rows) }
func (h *rowHeap) Less(i, j int) bool { return h.less(h.rows[j], h.rows[i]) }
func (h *rowHeap) Swap(i, j int)      { h.rows[i], h.rows[j] = h.rows[j], h.rows[i] }
func (h *rowHeap) Push(x any)         { h.rows = append(h.rows, x.(int32)) }
func (h *rowHeap) Pop() any {
	r := h.rows[len(h.rows)-1]
	h.rows = h.rows[:len(h.rows)-1]
	return r
}

// cmpOrder compares rows a and b by one ORDER BY key: negative when a comes first. Nulls come last
// whether the order is ascending or descending, as in Trino.
func cmpOrder(k *vec, desc bool, a, b int) int {
	c := cmpVec(k, a, b)
	if c == 0 || k.isNull(a) != k.isNull(b) || !desc {
		return c
	}
	return -c
}

// cmpVec compares elements a and b of v; null sorts after every value.
func cmpVec(v *vec, a, b int) int {
	na, nb := v.isNull(a), v.isNull(b)
	switch {
	case na && nb:
		return 0
	case na:
		return 1
	case nb:
		return -1
	}
	switch v.t {
	case tFloat:
		return cmpF(v.f[a], v.f[b])
	case tStr:
		return strings.Compare(v.s[a], v.s[b])
	case tAddr:
		return v.a[a].Compare(v.a[b])
	}
	switch {
	case v.i[a] < v.i[b]:
		return -1
	case v.i[a] > v.i[b]:
		return 1
	}
	return 0
}

// scanState is a scan's shared state: its output, its row count and its workers' compiled nodes.
type scanState struct {
	p       *Plan
	mu      sync.Mutex
	res     *Result
	emit    func(arrow.RecordBatch) error
	ordered bool
	limit   int64
	fields  []flowlog.FieldID // the columns of *, fixed by the first batch
	workers []*scanWorker
	cols    [][]*vec // ordered scans: the output columns of each kept batch
	keys    [][]*vec // ordered scans: their ORDER BY keys
	bytes   int64
	budget  int64
}

type scanWorker struct {
	c     *evalCtx
	all   []int32
	items []node
	order []node
}

func (p *Plan) runScan(ctx context.Context, sources []flowlog.Source, cfg aggregate.Config, ro RunOptions) (*Result, error) {
	st := &scanState{p: p, res: &Result{}, emit: ro.Emit, ordered: len(p.stmt.OrderBy) > 0, limit: p.stmt.Limit, budget: ro.MemoryLimit}
	scan := &aggregate.Scan{Sink: st.sink, Fields: p.reads()}
	if p.filter != nil {
		scan.Filter = p.filter
	}
	if p.star {
		scan.Fields = nil
		for id := range flowlog.Fields {
			scan.Fields = append(scan.Fields, flowlog.FieldID(id))
		}
	}
	cfg.Scan = scan
	e, err := aggregate.New(cfg)
	if err != nil {
		return nil, err
	}
	opts := ro.Decode
	opts.Need = e.Need()
	if p.star {
		opts.Need = nil
	}
	workers := max(ro.Workers, 1)
	for range workers {
		st.workers = append(st.workers, nil)
	}
	if st.limit == 0 {
		st.setSchema()
		return st.res, nil
	}
	_, stats, failed, err := aggregate.Run(ctx, e, sources, opts, workers, ro.Progress)
	st.res.Stats, st.res.Failed = stats, failed
	if errors.Is(err, errLimitReached) {
		st.res.Stopped, err = true, nil
	}
	if err != nil {
		return nil, err
	}
	if st.ordered {
		if err := st.finishOrdered(); err != nil {
			return nil, err
		}
	}
	st.setSchema()
	return st.res, nil
}

// setSchema gives a result without rows the schema it would have had.
func (st *scanState) setSchema() {
	if st.res.Schema != nil {
		return
	}
	if st.p.star {
		var fs []arrow.Field
		for i, f := range st.fields {
			fs = append(fs, outField(st.outNames()[i], columnTyp(f), st.p.loc))
		}
		st.res.Schema = arrow.NewSchema(fs, nil)
		return
	}
	st.res.Schema = st.p.schema(st.types())
}

// types are the output types of a scan (for an empty result).
func (st *scanState) types() []typ {
	cp := &compiler{q: st.p.q, loc: st.p.loc}
	var ts []typ
	for _, it := range st.p.items {
		if it.expr == nil {
			continue
		}
		n, _ := cp.compile(it.expr)
		ts = append(ts, n.typ())
	}
	return ts
}

// worker returns worker i's compiled nodes, compiling them on first use; * is fixed here by the first
// batch any worker sees.
func (st *scanState) worker(i int, rec arrow.RecordBatch) *scanWorker {
	if w := st.workers[i]; w != nil {
		return w
	}
	p := st.p
	st.mu.Lock()
	if p.star && st.fields == nil {
		for _, f := range rec.Schema().Fields() {
			if id, ok := flowlog.LookupField(f.Name); ok {
				st.fields = append(st.fields, id)
			}
		}
	}
	st.mu.Unlock()
	w := &scanWorker{c: newEvalCtx(p.loc)}
	cp := &compiler{q: p.q, loc: p.loc}
	if p.star {
		for _, f := range st.fields {
			w.items = append(w.items, &colNode{f: f, t: columnTyp(f)})
		}
	} else {
		for _, it := range p.items {
			n, _ := cp.compile(it.expr)
			w.items = append(w.items, n)
		}
	}
	for _, o := range p.stmt.OrderBy {
		e, _ := p.orderExpr(o.Expr)
		if p.star {
			if c, ok := e.(*sql.Column); ok {
				if f, ok := lookupColumn(c.Name); ok {
					w.order = append(w.order, &colNode{f: f, t: columnTyp(f)})
					continue
				}
			}
		}
		n, _ := cp.compile(e)
		w.order = append(w.order, n)
	}
	st.workers[i] = w
	return w
}

// outNames are the output column names (those of * once known).
func (st *scanState) outNames() []string {
	if !st.p.star {
		return st.p.Names()
	}
	var names []string
	for _, f := range st.fields {
		names = append(names, flowlog.Fields[f].Column)
	}
	return names
}

func (st *scanState) sink(worker int, rec arrow.RecordBatch, sel []int32) error {
	w := st.worker(worker, rec)
	w.c.setBatch(rec)
	defer func() { w.c.rec = nil }()
	if st.ordered {
		// Kept until the end: copies, since the batch's buffers go back to the decoder.
		cols := make([]*vec, len(w.items))
		for i, n := range w.items {
			cols[i] = copyVec(n.eval(w.c, sel))
		}
		keys := make([]*vec, len(w.order))
		for i, n := range w.order {
			keys[i] = copyVec(n.eval(w.c, sel))
		}
		st.mu.Lock()
		defer st.mu.Unlock()
		st.cols = append(st.cols, cols)
		st.keys = append(st.keys, keys)
		st.bytes += int64(len(sel)) * int64(len(cols)+len(keys)) * 24
		if st.budget > 0 && st.bytes > st.budget {
			return &aggregate.MemoryError{Aggregation: "ORDER BY of a query without GROUP BY", Limit: st.budget}
		}
		return nil
	}
	// The rows are copied into the output batch's builders here, outside the lock.
	cols := make([]*vec, len(w.items))
	for i, n := range w.items {
		cols[i] = n.eval(w.c, sel)
	}
	w.all = w.all[:0]
	for k := range sel {
		w.all = append(w.all, int32(k))
	}
	out := st.p.recordNamed(st.outNames(), cols, w.all)
	st.mu.Lock()
	defer st.mu.Unlock()
	n := out.NumRows()
	stop := false
	if st.limit >= 0 && st.res.Rows+n >= st.limit {
		stop = true
		if keep := st.limit - st.res.Rows; keep < n {
			cut := out.NewSlice(0, keep)
			out.Release()
			out = cut
		}
	}
	if out.NumRows() > 0 {
		if err := st.res.add(out, st.emit); err != nil {
			return err
		}
	} else {
		out.Release()
	}
	if stop {
		return errLimitReached
	}
	return nil
}

// finishOrdered sorts the kept rows of an ordered scan and keeps LIMIT of them.
func (st *scanState) finishOrdered() error {
	if len(st.cols) == 0 {
		return nil
	}
	cols := concatVecs(st.cols)
	keys := concatVecs(st.keys)
	n := 0
	if len(cols) > 0 {
		n = cols[0].n
	} else if len(keys) > 0 {
		n = keys[0].n
	}
	sel := make([]int32, n)
	for i := range sel {
		sel[i] = int32(i)
	}
	sel = sortRows(sel, keys, st.p.stmt.OrderBy, cols, st.limit)
	return st.res.add(st.p.recordNamed(st.outNames(), cols, sel), st.emit)
}

// concatVecs joins the columns of several batches.
func concatVecs(parts [][]*vec) []*vec {
	if len(parts) == 0 {
		return nil
	}
	out := make([]*vec, len(parts[0]))
	for i := range out {
		v := &vec{t: parts[0][i].t}
		for _, p := range parts {
			x := p[i]
			if x.null != nil && v.null == nil {
				v.null = make([]bool, v.n)
			}
			if v.null != nil {
				if x.null != nil {
					v.null = append(v.null, x.null...)
				} else {
					v.null = append(v.null, make([]bool, x.n)...)
				}
			}
			v.i = append(v.i, x.i...)
			v.f = append(v.f, x.f...)
			v.s = append(v.s, x.s...)
			v.a = append(v.a, x.a...)
			v.n += x.n
		}
		out[i] = v
	}
	return out
}

// record builds the output batch of rows sel of the output columns.
func (p *Plan) record(cols []*vec, sel []int32) arrow.RecordBatch {
	return p.recordNamed(p.Names(), cols, sel)
}

func (p *Plan) schema(ts []typ) *arrow.Schema {
	fields := make([]arrow.Field, len(ts))
	names := p.Names()
	for i, t := range ts {
		fields[i] = outField(names[i], t, p.loc)
	}
	return arrow.NewSchema(fields, nil)
}

func (p *Plan) recordNamed(names []string, cols []*vec, sel []int32) arrow.RecordBatch {
	fields := make([]arrow.Field, len(cols))
	arrs := make([]arrow.Array, len(cols))
	for i, v := range cols {
		fields[i] = outField(names[i], v.t, p.loc)
		arrs[i] = vecArray(v, sel, fields[i].Type)
	}
	rec := arrowRecord(arrow.NewSchema(fields, nil), arrs, int64(len(sel)))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

// Explain describes the plan: what the engine computes and what is read (for --explain).
func (p *Plan) Explain() string {
	var b strings.Builder
	if p.agg {
		fmt.Fprintf(&b, "group by:")
		for _, k := range p.spec.Keys {
			fmt.Fprintf(&b, " %s", k)
		}
		fmt.Fprintf(&b, "\nmeasures:")
		for _, m := range p.spec.Measures {
			fmt.Fprintf(&b, " %s", m)
		}
		for _, a := range p.spec.Aggs {
			fmt.Fprintf(&b, " %s(%s)", [...]string{"sum", "min", "max", "count", "nulls"}[a.Op], flowlog.Fields[a.Field].Column)
		}
		for _, d := range p.spec.Distinct {
			fmt.Fprintf(&b, " count(DISTINCT %s)", flowlog.Fields[d].Column)
		}
		b.WriteString("\n")
	} else {
		b.WriteString("scan (no grouping)\n")
	}
	if p.filter != nil {
		fmt.Fprintf(&b, "filter: %s\n", sql.Format(p.stmt.Where))
	}
	if !p.From.IsZero() || !p.To.IsZero() {
		fmt.Fprintf(&b, "start range: [%s, %s)\n", fmtBound(p.From), fmtBound(p.To))
	}
	var names []string
	for _, f := range p.reads() {
		names = append(names, flowlog.Fields[f].Column)
	}
	if p.star {
		names = []string{"every column"}
	}
	fmt.Fprintf(&b, "decodes: %s\n", strings.Join(names, ", "))
	return b.String()
}

// reads lists the fields the plan decodes.
func (p *Plan) reads() []flowlog.FieldID {
	cfg := aggregate.Config{From: p.From, To: p.To}
	if p.agg {
		cfg.Specs = []aggregate.Spec{p.spec}
	} else {
		fields := map[flowlog.FieldID]bool{}
		cp := &compiler{q: p.q, loc: p.loc, fields: fields}
		for _, it := range p.items {
			if it.expr != nil {
				cp.compile(it.expr)
			}
		}
		for _, o := range p.stmt.OrderBy {
			if e, err := p.orderExpr(o.Expr); err == nil {
				cp.compile(e)
			}
		}
		sc := &aggregate.Scan{}
		if p.filter != nil {
			sc.Filter = p.filter
		}
		for id := range flowlog.Fields {
			if fields[flowlog.FieldID(id)] {
				sc.Fields = append(sc.Fields, flowlog.FieldID(id))
			}
		}
		cfg.Scan = sc
	}
	e, err := aggregate.New(cfg)
	if err != nil {
		return nil
	}
	return e.Need()
}

func fmtBound(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
