package query

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/query/sql"
)

// Derived tables: WITH queries, subqueries in FROM and UNION ALL.
//
// A select over a derived table is planned one of two ways:
//
//   - Inlined, when the derived table neither groups, nor orders, nor limits (its rows are its own
//     FROM's rows, filtered and computed row by row): the outer query's column references are
//     replaced by the inner select list's expressions and the two WHERE clauses are ANDed, so the
//     merged query is one select over the sources, with the engine's fast paths, its time range and
//     its partition pruning. A WITH query of this kind is inlined at each use (so each use reads the
//     sources: holding every row instead would make memory follow the input).
//   - Over a relation otherwise: the derived table is planned on its own, and its result batches
//     (as they come, for a scan; once, for a group-by) are the outer plan's input rows, filtered,
//     grouped (by the general group-by) or listed as for records. A UNION ALL is a relation whose
//     batches are those of its arms, one arm after the other. A WITH query read by more than one
//     relation is run once and its result kept, within --memory-limit, for its other uses.

// relation is the input of a plan over a derived table.
type relation struct {
	what  string // for messages: `the WITH query "t"`, "the subquery", "the UNION ALL"
	names []string
	types []typ
	arms  []*Plan
	cte   *cteDef // a WITH query: its result is kept when it has several uses
}

func (r *relation) index(name string) int {
	for i, n := range r.names {
		if n == name {
			return i
		}
	}
	return -1
}

// cteDef is one WITH query of a statement.
type cteDef struct {
	c     sql.CTE
	scope *scope // the WITH queries its body sees: those before it, and the enclosing ones
	plan  *Plan  // planned at its first use as a relation
	uses  int    // relations that read it
}

// scope is the WITH queries a select sees.
type scope struct {
	parent *scope
	ctes   map[string]*cteDef
}

func (s *scope) lookup(name string) *cteDef {
	for ; s != nil; s = s.parent {
		if d, ok := s.ctes[name]; ok {
			return d
		}
	}
	return nil
}

// withScope returns the scope of a select with these WITH queries: each sees the ones before it.
func withScope(parent *scope, with []sql.CTE) *scope {
	sc := parent
	for _, c := range with {
		d := &cteDef{c: c, scope: sc}
		sc = &scope{parent: sc, ctes: map[string]*cteDef{c.Name: d}}
	}
	return sc
}

// planQuery plans a statement: WITH, UNION ALL, a derived table in FROM, or a select over the sources.
func planQuery(en *env, s *sql.Select, sc *scope) (*Plan, error) {
	if len(s.With) > 0 {
		sc = withScope(sc, s.With)
		c := *s
		c.With = nil
		s = &c
	}
	if len(s.UnionAll) > 0 {
		return planUnion(en, s, sc)
	}
	if s.FromSub != nil {
		return planDerived(en, s, s.FromSub, nil, 0, sc, "the subquery")
	}
	if !s.FromPath {
		if d := sc.lookup(s.From); d != nil {
			what := fmt.Sprintf("the WITH query %q", d.c.Name)
			if inlinable(d.c.Query) {
				return planDerived(en, s, d.c.Query, d.c.Columns, d.c.At, d.scope, what)
			}
			if d.plan == nil {
				p, err := planQuery(en, d.c.Query, d.scope)
				if err != nil {
					return nil, err
				}
				d.plan = p
			}
			d.uses++
			rel, err := newRelation(en.q, what, []*Plan{d.plan}, d.c.Columns, d.c.At)
			if err != nil {
				return nil, err
			}
			rel.cte = d
			return planOver(en, s, rel)
		}
	}
	return planSelect(en, s)
}

// planDerived plans outer over the derived table inner: inlined when it can be, else over its result.
func planDerived(en *env, outer, inner *sql.Select, renames []string, at int, innerScope *scope, what string) (*Plan, error) {
	if inlinable(inner) {
		merged, err := inline(en.q, outer, inner, renames, at, what)
		if err != nil {
			return nil, err
		}
		return planQuery(en, merged, innerScope)
	}
	child, err := planQuery(en, inner, innerScope)
	if err != nil {
		return nil, err
	}
	rel, err := newRelation(en.q, what, []*Plan{child}, renames, at)
	if err != nil {
		return nil, err
	}
	return planOver(en, outer, rel)
}

// planUnion plans a UNION ALL: its arms, then ORDER BY, OFFSET and LIMIT over their rows.
func planUnion(en *env, s *sql.Select, sc *scope) (*Plan, error) {
	first := *s
	first.UnionAll, first.OrderBy, first.Offset, first.Limit = nil, nil, 0, -1
	selects := append([]*sql.Select{&first}, s.UnionAll...)
	var arms []*Plan
	for _, a := range selects {
		p, err := planQuery(en, a, sc)
		if err != nil {
			return nil, err
		}
		arms = append(arms, p)
	}
	rel, err := newRelation(en.q, "the UNION ALL", arms, nil, 0)
	if err != nil {
		return nil, err
	}
	for i, a := range arms[1:] {
		if len(a.relNames()) != len(rel.names) {
			return nil, sql.ErrorAt(en.q, selects[i+1].Items[0].At, "UNION ALL: this select has %d columns, the first has %d", len(a.relNames()), len(rel.names))
		}
	}
	outer := &sql.Select{Items: []sql.SelectItem{{Star: true}}, OrderBy: s.OrderBy, Offset: s.Offset, Limit: s.Limit}
	return planOver(en, outer, rel)
}

// newRelation makes the relation of arms' results: the first arm's names (or renames), the types
// the arms agree on (bigint with double is double, an address with a varchar is a varchar, NULL
// takes the other's).
func newRelation(q, what string, arms []*Plan, renames []string, at int) (*relation, error) {
	rel := &relation{what: what, arms: arms, names: arms[0].relNames()}
	rel.types = append([]typ(nil), arms[0].relTypes()...)
	for ai, a := range arms[1:] {
		ts := a.relTypes()
		if len(ts) != len(rel.types) {
			continue // reported by planUnion, at the arm
		}
		for i, t := range ts {
			u, ok := unify(rel.types[i], t)
			if !ok {
				return nil, sql.ErrorAt(q, a.stmt.Items[min(i, len(a.stmt.Items)-1)].At, "UNION ALL: column %d (%s) is a %s in select %d and a %s in the first", i+1, rel.names[i], t, ai+2, rel.types[i])
			}
			rel.types[i] = u
		}
	}
	if renames != nil {
		if len(renames) != len(rel.names) {
			return nil, sql.ErrorAt(q, at, "%s names %d columns, its select has %d", what, len(renames), len(rel.names))
		}
		rel.names = renames
	}
	seen := map[string]bool{}
	for _, n := range rel.names {
		if seen[n] {
			return nil, sql.ErrorAt(q, at, "%s has two columns named %q", what, n)
		}
		seen[n] = true
	}
	return rel, nil
}

func unify(a, b typ) (typ, bool) {
	switch {
	case a == b:
		return a, true
	case a == tNull:
		return b, true
	case b == tNull:
		return a, true
	case a.numeric() && b.numeric():
		return tFloat, true
	case (a == tStr || a == tAddr) && (b == tStr || b == tAddr):
		return tStr, true
	}
	return 0, false
}

// relNames are the names of the plan's output as a relation: * is every flow-log column.
func (p *Plan) relNames() []string {
	if !p.star {
		return p.Names()
	}
	var out []string
	for _, f := range flowlog.Fields {
		out = append(out, f.Column)
	}
	return out
}

// relTypes are the types of the plan's output columns.
func (p *Plan) relTypes() []typ {
	if !p.star {
		return p.types
	}
	var out []typ
	for id := range flowlog.Fields {
		out = append(out, columnTyp(flowlog.FieldID(id)))
	}
	return out
}

// inlinable says whether a select's rows are its FROM's rows, filtered and computed one by one.
func inlinable(s *sql.Select) bool {
	if len(s.With) > 0 || len(s.UnionAll) > 0 || s.Distinct || len(s.GroupBy) > 0 || s.Having != nil ||
		len(s.OrderBy) > 0 || s.Limit >= 0 || s.Offset > 0 {
		return false
	}
	for _, it := range s.Items {
		if it.Expr != nil && hasAggregate(it.Expr) {
			return false
		}
	}
	return true
}

// inline merges outer with the derived table inner of its FROM: outer's column references become
// inner's expressions, and its WHERE is ANDed with inner's. The statements are not changed.
func inline(q string, outer, inner *sql.Select, renames []string, at int, what string) (*sql.Select, error) {
	type col struct {
		name string
		expr sql.Expr
	}
	var cols []col
	star := false
	for _, it := range inner.Items {
		if it.Star {
			star = true
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
		cols = append(cols, col{name, it.Expr})
	}
	if renames != nil {
		if star {
			return nil, sql.ErrorAt(q, at, "%s names its columns: its select cannot hold *", what)
		}
		if len(renames) != len(cols) {
			return nil, sql.ErrorAt(q, at, "%s names %d columns, its select has %d", what, len(renames), len(cols))
		}
		for i := range cols {
			cols[i].name = renames[i]
		}
	}
	var names []string
	for _, c := range cols {
		names = append(names, c.name)
	}
	unknown := func(c *sql.Column) error {
		list := strings.Join(names, ", ")
		if star {
			list = "the flow-log columns"
			if len(names) > 0 {
				list += ", " + strings.Join(names, ", ")
			}
		}
		return sql.ErrorAt(q, c.At, "column %q is not a column of %s (its columns: %s)", c.Name, what, list)
	}
	resolve := func(c *sql.Column) (sql.Expr, bool, error) {
		found := -1
		for i, ic := range cols {
			if ic.name == c.Name {
				if found >= 0 {
					return nil, false, sql.ErrorAt(q, c.At, "column %q is ambiguous: %s has two columns of that name", c.Name, what)
				}
				found = i
			}
		}
		if found >= 0 {
			return cols[found].expr, true, nil
		}
		if star {
			if _, ok := lookupColumn(c.Name); ok || isPartitionColumn(c.Name) {
				return c, true, nil
			}
		}
		return nil, false, nil
	}
	subst := func(e sql.Expr) (sql.Expr, error) {
		return mapColumns(e, func(c *sql.Column) (sql.Expr, error) {
			x, ok, err := resolve(c)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, unknown(c)
			}
			return x, nil
		})
	}
	m := *outer
	m.With, m.UnionAll = nil, nil
	m.From, m.FromPath, m.FromSub, m.FromAt = inner.From, inner.FromPath, inner.FromSub, inner.FromAt
	m.Items = nil
	outNames := map[string]sql.Expr{}
	for _, it := range outer.Items {
		if it.Star {
			if star && len(cols) == 0 {
				m.Items = append(m.Items, it)
				continue
			}
			if star {
				return nil, sql.ErrorAt(q, it.At, "SELECT * over %s, which adds columns to *, is not supported: name the columns", what)
			}
			for _, c := range cols {
				m.Items = append(m.Items, sql.SelectItem{Expr: c.expr, Alias: c.name, At: it.At})
				outNames[c.name] = c.expr
			}
			continue
		}
		e, err := subst(it.Expr)
		if err != nil {
			return nil, err
		}
		alias := it.Alias
		if alias == "" {
			if c, ok := it.Expr.(*sql.Column); ok {
				alias = c.Name
			} else {
				alias = sql.Format(it.Expr)
			}
		}
		m.Items = append(m.Items, sql.SelectItem{Expr: e, Alias: alias, At: it.At})
		outNames[alias] = e
	}
	var err error
	if outer.Where != nil {
		w, err := subst(outer.Where)
		if err != nil {
			return nil, err
		}
		m.Where = w
		if inner.Where != nil {
			m.Where = &sql.Binary{At: inner.Where.Pos(), Op: "AND", L: inner.Where, R: w}
		}
	} else {
		m.Where = inner.Where
	}
	m.GroupBy = nil
	for _, g := range outer.GroupBy {
		if c, ok := g.(*sql.Column); ok {
			x, ok, err := resolve(c)
			if err != nil {
				return nil, err
			}
			if !ok {
				if x, ok = outNames[c.Name]; !ok {
					return nil, unknown(c)
				}
			}
			m.GroupBy = append(m.GroupBy, x)
			continue
		}
		if _, ok := g.(*sql.IntLit); ok {
			m.GroupBy = append(m.GroupBy, g)
			continue
		}
		x, err := subst(g)
		if err != nil {
			return nil, err
		}
		m.GroupBy = append(m.GroupBy, x)
	}
	if outer.Having != nil {
		if m.Having, err = subst(outer.Having); err != nil {
			return nil, err
		}
	}
	m.OrderBy = nil
	for _, o := range outer.OrderBy {
		switch e := o.Expr.(type) {
		case *sql.IntLit:
		case *sql.Column:
			if _, isOut := outNames[e.Name]; isOut {
				break
			}
			x, err := subst(e)
			if err != nil {
				return nil, err
			}
			o.Expr = x
		default:
			x, err := subst(e)
			if err != nil {
				return nil, err
			}
			o.Expr = x
		}
		m.OrderBy = append(m.OrderBy, o)
	}
	return &m, nil
}

// mapColumns copies e with every column reference replaced by what f returns; the other nodes
// are shared where nothing below them changed.
func mapColumns(e sql.Expr, f func(*sql.Column) (sql.Expr, error)) (sql.Expr, error) {
	if e == nil {
		return nil, nil
	}
	var err error
	sub := func(x sql.Expr) sql.Expr {
		if err != nil || x == nil {
			return x
		}
		var y sql.Expr
		y, err = mapColumns(x, f)
		return y
	}
	list := func(xs []sql.Expr) []sql.Expr {
		out := make([]sql.Expr, len(xs))
		for i, x := range xs {
			out[i] = sub(x)
		}
		return out
	}
	switch e := e.(type) {
	case *sql.Column:
		return f(e)
	case *sql.Unary:
		c := *e
		c.X = sub(e.X)
		return &c, err
	case *sql.Binary:
		c := *e
		c.L, c.R = sub(e.L), sub(e.R)
		return &c, err
	case *sql.In:
		c := *e
		c.X, c.List = sub(e.X), list(e.List)
		return &c, err
	case *sql.Between:
		c := *e
		c.X, c.Lo, c.Hi = sub(e.X), sub(e.Lo), sub(e.Hi)
		return &c, err
	case *sql.Like:
		c := *e
		c.X, c.Pattern = sub(e.X), sub(e.Pattern)
		return &c, err
	case *sql.IsNull:
		c := *e
		c.X = sub(e.X)
		return &c, err
	case *sql.Call:
		c := *e
		c.Args, c.Filter = list(e.Args), sub(e.Filter)
		return &c, err
	case *sql.Cast:
		c := *e
		c.X = sub(e.X)
		return &c, err
	case *sql.Case:
		c := *e
		c.Operand, c.Else = sub(e.Operand), sub(e.Else)
		c.Whens = make([]sql.When, len(e.Whens))
		for i, w := range e.Whens {
			c.Whens[i] = sql.When{Cond: sub(w.Cond), Then: sub(w.Then)}
		}
		return &c, err
	}
	return e, nil
}

// planOver plans s over a relation: its WHERE, grouping (always the general group-by: the engine's
// keys are flow-log fields), select list and order evaluated on the relation's rows.
func planOver(en *env, s *sql.Select, rel *relation) (*Plan, error) {
	q := en.q
	c := *s
	c.From, c.FromPath, c.FromSub = "", false, nil
	// * is the relation's columns, by name, so that ordinals and names work as on any select.
	var items []sql.SelectItem
	for _, it := range c.Items {
		if !it.Star {
			items = append(items, it)
			continue
		}
		for _, n := range rel.names {
			items = append(items, sql.SelectItem{Expr: &sql.Column{At: it.At, Name: n}, At: it.At})
		}
	}
	c.Items = items
	p := &Plan{env: en, stmt: &c, rel: rel, keyForms: map[string]int{}, aggForms: map[string]int{}}
	if c.Where != nil {
		if hasAggregate(c.Where) {
			return nil, sql.ErrorAt(q, c.Where.Pos(), "WHERE cannot hold an aggregate")
		}
		n, err := p.compiler().compile(c.Where)
		if err != nil {
			return nil, err
		}
		if n.typ() != tBool && n.typ() != tNull {
			return nil, sql.ErrorAt(q, c.Where.Pos(), "WHERE needs a condition, found a %s", n.typ())
		}
	}
	if err := p.planShape(); err != nil {
		return nil, err
	}
	p.From, p.To = rel.hull()
	return p, nil
}

// hull is the range of start that covers every arm's (zero: unbounded).
func (r *relation) hull() (from, to time.Time) {
	for i, a := range r.arms {
		if i == 0 {
			from, to = a.From, a.To
			continue
		}
		if from.IsZero() || a.From.IsZero() {
			from = time.Time{}
		} else if a.From.Before(from) {
			from = a.From
		}
		if to.IsZero() || a.To.IsZero() {
			to = time.Time{}
		} else if a.To.After(to) {
			to = a.To
		}
	}
	return from, to
}

// leaves are the plans that read the sources.
func (p *Plan) leaves() []*Plan {
	if p.rel == nil {
		return []*Plan{p}
	}
	var out []*Plan
	for _, a := range p.rel.arms {
		out = append(out, a.leaves()...)
	}
	return out
}

// relColNode reads a column of a relation's batch.
type relColNode struct {
	i   int
	t   typ
	out vec
}

func (n *relColNode) typ() typ { return n.t }

func (n *relColNode) eval(c *evalCtx, sel []int32) *vec {
	v := &n.out
	v.reset(n.t, len(sel))
	ci := -1
	if n.i < len(c.relIdx) {
		ci = c.relIdx[n.i]
	}
	if ci < 0 {
		nl := v.nulls()
		for k := range nl {
			nl[k] = true
		}
		return v
	}
	a := c.rec.Column(ci)
	if a.NullN() > 0 {
		nl := v.nulls()
		for k, r := range sel {
			nl[k] = a.IsNull(int(r))
		}
	}
	set := func(k int, x int64) {
		if n.t == tFloat {
			v.f[k] = float64(x)
		} else {
			v.i[k] = x
		}
	}
	switch col := a.(type) {
	case *array.Int64:
		for k, r := range sel {
			set(k, col.Value(int(r)))
		}
	case *array.Timestamp:
		for k, r := range sel {
			v.i[k] = int64(col.Value(int(r)))
		}
	case *array.Float64:
		for k, r := range sel {
			v.f[k] = col.Value(int(r))
		}
	case *array.Boolean:
		for k, r := range sel {
			v.i[k] = b2i(col.Value(int(r)))
		}
	case *array.String:
		for k, r := range sel {
			v.s[k] = col.Value(int(r))
		}
	case *array.Dictionary:
		dict := col.Dictionary().(*array.String)
		for k, r := range sel {
			if !v.isNull(k) {
				v.s[k] = dict.Value(col.GetValueIndex(int(r)))
			} else {
				v.s[k] = ""
			}
		}
	case *array.FixedSizeBinary:
		for k, r := range sel {
			ad := netip.AddrFrom16([16]byte(col.Value(int(r)))).Unmap()
			if n.t == tStr {
				if !v.isNull(k) {
					v.s[k] = ad.String()
				}
			} else {
				v.a[k] = ad
			}
		}
	case *array.Uint16:
		for k, r := range sel {
			set(k, int64(col.Value(int(r))))
		}
	case *array.Uint8:
		for k, r := range sel {
			set(k, int64(col.Value(int(r))))
		}
	case *array.Int32:
		for k, r := range sel {
			set(k, int64(col.Value(int(r))))
		}
	default:
		panic(fmt.Sprintf("BUG: a relation column of Arrow type %s", a.DataType()))
	}
	return v
}
