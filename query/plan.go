package query

import (
	"fmt"
	"math"
	"time"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/query/sql"
)

// Plan is a SELECT planned onto the engine: either a group-by (one aggregate.Spec whose Filter is
// the WHERE clause, then the select list, HAVING, ORDER BY and LIMIT over the groups) or a scan (the
// WHERE clause as the engine's scan filter, the select list evaluated on the kept rows).
type Plan struct {
	*env
	stmt *sql.Select

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

	// General group-by queries (hashagg.go): keys and aggregates the engine has no measure for.
	general bool
	gkeys   []sql.Expr
	gkeyT   []typ
	gaggs   []*genAgg
	// distinctRows: SELECT DISTINCT over groups, applied to the output rows.
	distinctRows bool

	// Scan queries.
	star bool

	items []outItem
	// zones are the output columns' time zones where at_timezone sets one (nil: the query's).
	zones []*time.Location
}

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
	return planSelect(newEnv(q, loc), stmt)
}

// Source is the FROM of the query: a path or URI (FromPath), or a table name.
func (p *Plan) Source() (string, bool) { return p.stmt.From, p.stmt.FromPath }

func planSelect(en *env, stmt *sql.Select) (*Plan, error) {
	q := en.q
	p := &Plan{env: en, stmt: stmt, keyForms: map[string]int{}, aggForms: map[string]int{}}
	if err := notYet(q, stmt); err != nil {
		return nil, err
	}
	if stmt.Where != nil {
		f, err := newExprFilter(en, stmt.Where)
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
	if err := p.rewriteShape(); err != nil {
		return nil, err
	}
	if !p.agg {
		if stmt.Offset > 0 && len(stmt.OrderBy) == 0 {
			return nil, sql.ErrorAt(q, 0, "OFFSET needs ORDER BY in a query that does not group: its rows come in no fixed order")
		}
		return p, p.checkScan()
	}
	return p, p.planGroups()
}

// checkScan compiles the select list and ORDER BY of a scan once, to report errors before reading.
func (p *Plan) checkScan() error {
	cp := p.compiler()
	for _, it := range p.items {
		if it.expr == nil {
			continue
		}
		n, err := cp.compile(it.expr)
		if err != nil {
			return err
		}
		p.zones = append(p.zones, staticZone(n))
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
	cp := p.compiler()
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
	sql.Walk(e, func(x sql.Expr) {
		if c, ok := x.(*sql.Call); ok && isAggregate(c.Name) {
			found = true
		}
	})
	return found
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

// notYet rejects the syntax the parser reads and the planner does not run yet.
func notYet(q string, s *sql.Select) error {
	switch {
	case len(s.With) > 0:
		return sql.ErrorAt(q, s.With[0].At, "WITH is not supported yet")
	case s.FromSub != nil:
		return sql.ErrorAt(q, s.FromAt, "a subquery in FROM is not supported yet")
	case len(s.UnionAll) > 0:
		return sql.ErrorAt(q, 0, "UNION ALL is not supported yet")
	}
	return nil
}
