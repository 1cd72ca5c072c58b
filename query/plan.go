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

	// parts: the select reads partition columns (or region, account_id), so its sources are given
	// their partition values; pruneBy is the WHERE conjuncts over partition columns only.
	parts   bool
	pruneBy sql.Expr
	// groupBy is the GROUP BY expressions, to plan the general group-by instead of the engine's.
	groupBy []sql.Expr

	// rel, when set, is the derived table the plan reads instead of the sources (derived.go).
	rel *relation
	// types are the output columns' types (not of *).
	types []typ

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
	en := newEnv(q, loc)
	p, err := planQuery(en, stmt, nil)
	if err != nil {
		return nil, err
	}
	if err := p.checkSources(); err != nil {
		return nil, err
	}
	return p, nil
}

// Source is the FROM of the query: a path or URI (FromPath), or a table name.
// Over derived tables, the path is that of any select that names one (checkSources made sure
// they name the same).
func (p *Plan) Source() (string, bool) {
	for _, l := range p.leaves() {
		if l.stmt.FromPath {
			return l.stmt.From, true
		}
	}
	return p.leaves()[0].stmt.From, false
}

// checkSources refuses selects that name different paths in FROM: a query reads one set of
// sources.
func (p *Plan) checkSources() error {
	path := ""
	for _, l := range p.leaves() {
		if !l.stmt.FromPath {
			continue
		}
		if path != "" && l.stmt.From != path {
			return sql.ErrorAt(p.q, l.stmt.FromAt, "the selects of this query read different paths (%q and %q): a query reads one set of sources (give them after the query, with a table name in FROM)", path, l.stmt.From)
		}
		path = l.stmt.From
	}
	return nil
}

func planSelect(en *env, stmt *sql.Select) (*Plan, error) {
	p := &Plan{env: en, stmt: stmt, keyForms: map[string]int{}, aggForms: map[string]int{}}
	if stmt.Where != nil {
		f, err := newExprFilter(en, stmt.Where)
		if err != nil {
			return nil, err
		}
		p.filter = f
		p.From, p.To = startRange(stmt.Where)
	}
	p.parts = usesPartitions(stmt)
	p.pruneBy = partitionFilter(stmt.Where)
	return p, p.planShape()
}

// planShape plans the rest of a select once its input (sources or a relation) and WHERE are known:
// whether it groups, its output names, DISTINCT and NULLS FIRST, and then the scan or the groups.
func (p *Plan) planShape() error {
	q, stmt := p.q, p.stmt
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
				return sql.ErrorAt(q, it.At, "* cannot be selected in a query that groups")
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
		return sql.ErrorAt(q, 0, "* with other select items is not supported")
	}
	if err := p.rewriteShape(); err != nil {
		return err
	}
	if !p.agg {
		if stmt.Offset > 0 && len(stmt.OrderBy) == 0 {
			return sql.ErrorAt(q, 0, "OFFSET needs ORDER BY in a query that does not group: its rows come in no fixed order")
		}
		return p.checkScan()
	}
	return p.planGroups()
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
		p.types = append(p.types, n.typ())
	}
	for _, o := range p.stmt.OrderBy {
		if _, err := p.orderExpr(o.Expr); err != nil {
			return err
		}
	}
	return nil
}

// compiler compiles expressions over the plan's input: the flow-log columns, or a relation's.
func (p *Plan) compiler() *compiler { return &compiler{env: p.env, rel: p.rel} }

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

// Narrow intersects the plan's range of start with [from, to) (zero: unbounded): over derived
// tables, that of every select that reads the sources.
func (p *Plan) Narrow(from, to time.Time) {
	if p.rel != nil {
		for _, a := range p.rel.arms {
			a.Narrow(from, to)
		}
		p.From, p.To = p.rel.hull()
		return
	}
	if !from.IsZero() && (p.From.IsZero() || from.After(p.From)) {
		p.From = from
	}
	if !to.IsZero() && (p.To.IsZero() || to.Before(p.To)) {
		p.To = to
	}
}
