package query

import (
	"sort"
	"strings"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/query/sql"
)

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

// planGroups plans a query that groups: onto the engine's keys and measures when it can, else onto
// the general group-by (hashagg.go).
func (p *Plan) planGroups() error {
	exprs, err := p.groupExprs()
	if err != nil {
		return err
	}
	p.groupBy = exprs
	if p.rel == nil {
		if err := p.planEngine(exprs); err == nil {
			return nil
		}
	}
	return p.planGeneral(exprs)
}

// groupExprs resolves the GROUP BY items: ordinals and aliases of the select list, else expressions.
func (p *Plan) groupExprs() ([]sql.Expr, error) {
	var out []sql.Expr
	for _, g := range p.stmt.GroupBy {
		e := g
		if lit, ok := g.(*sql.IntLit); ok {
			if lit.V < 1 || int(lit.V) > len(p.items) || p.items[lit.V-1].expr == nil {
				return nil, sql.ErrorAt(p.q, g.Pos(), "GROUP BY position %d is not in the select list", lit.V)
			}
			e = p.items[lit.V-1].expr
		} else if c, ok := g.(*sql.Column); ok {
			if !p.knownColumn(c.Name) {
				for _, it := range p.items {
					if it.name == c.Name && it.expr != nil {
						e = it.expr
					}
				}
			}
		}
		if hasAggregate(e) {
			return nil, sql.ErrorAt(p.q, g.Pos(), "GROUP BY cannot hold an aggregate")
		}
		out = append(out, e)
	}
	return out, nil
}

// knownColumn says whether name is a column of the query's input.
func (p *Plan) knownColumn(name string) bool {
	if p.rel != nil {
		return p.rel.index(name) >= 0
	}
	_, ok := lookupColumn(name)
	return ok
}

// resetGroups forgets a group plan, to plan the query another way.
func (p *Plan) resetGroups() {
	p.spec, p.keys, p.aggs, p.zones, p.types = aggregate.Spec{}, nil, nil, nil, nil
	p.gkeys, p.gkeyT, p.gaggs = nil, nil, nil
	p.keyForms, p.aggForms = map[string]int{}, map[string]int{}
}

// planGeneral plans the general group-by: keys of any expression, aggregates of expressions.
func (p *Plan) planGeneral(exprs []sql.Expr) error {
	p.resetGroups()
	p.general = true
	in := p.inputCompiler()
	for _, e := range exprs {
		n, err := in.compile(e)
		if err != nil {
			return err
		}
		form := sql.Format(e)
		if _, dup := p.keyForms[form]; dup {
			continue
		}
		p.keyForms[form] = len(p.gkeys)
		p.gkeys = append(p.gkeys, e)
		p.gkeyT = append(p.gkeyT, n.typ())
	}
	return p.checkGroups()
}

// planEngine maps GROUP BY onto engine keys and the aggregates onto measures.
func (p *Plan) planEngine(exprs []sql.Expr) error {
	p.resetGroups()
	p.spec = aggregate.Spec{Name: "query"}
	if p.filter != nil {
		p.spec.Filter = p.filter
	}
	for _, e := range exprs {
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
	return p.checkGroups()
}

// nkeys is the number of group keys.
func (p *Plan) nkeys() int {
	if p.general {
		return len(p.gkeys)
	}
	return len(p.keys)
}

// checkGroups collects the aggregates and checks every expression over the groups.
func (p *Plan) checkGroups() error {
	cp := p.groupCompiler()
	for _, it := range p.items {
		n, err := cp.compile(it.expr)
		if err != nil {
			return err
		}
		p.zones = append(p.zones, staticZone(n))
		p.types = append(p.types, n.typ())
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
	cp := &compiler{env: p.env, rel: p.rel,
		noCols: "column %q must appear in GROUP BY or be used in an aggregate function"}
	cp.leaf = func(e sql.Expr) (node, bool, error) {
		form := sql.Format(e)
		if k, ok := p.keyForms[form]; ok {
			if p.general {
				return &refNode{i: k, t: p.gkeyT[k]}, true, nil
			}
			return &refNode{i: k, t: p.keys[k].t}, true, nil
		}
		c, ok := e.(*sql.Call)
		if !ok || !isAggregate(c.Name) {
			return nil, false, nil
		}
		if p.general {
			if j, ok := p.aggForms[form]; ok {
				return &refNode{i: len(p.gkeys) + j, t: p.gaggs[j].t}, true, nil
			}
			a, err := p.addGenAgg(c)
			if err != nil {
				return nil, true, err
			}
			p.aggForms[form] = len(p.gaggs)
			p.gaggs = append(p.gaggs, a)
			return &refNode{i: len(p.gkeys) + len(p.gaggs) - 1, t: a.t}, true, nil
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

// addAggregate maps an aggregate call onto the spec's measures, as its registry entry says.
func (p *Plan) addAggregate(c *sql.Call) (aggRef, error) {
	s := &p.spec
	d := lookupFunc(c.Name)
	if d == nil || d.agg == nil {
		return aggRef{}, sql.ErrorAt(p.q, c.Pos(), "unknown aggregate %s()", c.Name)
	}
	a := d.agg
	if c.Filter != nil || a.measure == nil {
		return aggRef{}, sql.ErrorAt(p.q, c.Pos(), "%s() is not one of the engine's measures", c.Name)
	}
	if c.Star && a.star != nil {
		return a.star(s), nil
	}
	if len(c.Args) != 1 {
		return aggRef{}, sql.ErrorAt(p.q, c.Pos(), "%s() takes one argument", c.Name)
	}
	arg := c.Args[0]
	isTime := false
	if inner, ok := arg.(*sql.Call); ok && inner.Name == "from_unixtime" && a.timeArg {
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
		if a.distinct == nil {
			return aggRef{}, sql.ErrorAt(p.q, c.Pos(), "DISTINCT is supported in %s only", distinctList())
		}
		return a.distinct(s, f), nil
	}
	if a.numeric && columnTyp(f) != tInt {
		return aggRef{}, sql.ErrorAt(p.q, col.Pos(), "%s() of %s: the column is not a number", c.Name, col.Name)
	}
	return a.measure(s, f, isTime), nil
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
