package query

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/query/sql"
)

// The aggregates only the general group-by computes (hashagg.go); count, sum, avg, min and max are
// the engine's when their argument is a column (func_agg.go), the general path's otherwise.
func init() {
	gen := &aggDef{}
	register(
		&funcDef{name: "count_if", kind: aggregateFunc, arity: 1, args: "cond boolean", result: "bigint",
			doc: "the number of rows where cond is true", agg: gen},
		&funcDef{name: "approx_distinct", kind: aggregateFunc, arity: 1, maxArity: 2, args: "x [, e double]", result: "bigint",
			doc: "the number of distinct values of x, from a HyperLogLog sketch of standard error e (default 0.023, as Trino; exact up to 256 values)", agg: gen},
		&funcDef{name: "approx_percentile", kind: aggregateFunc, arity: 2, args: "x bigint | double, p double literal", result: "bigint | double",
			doc: "the value at fraction p of the sorted values of x (exact in flowlens: rank round(p·(n−1)), holding the group's values)", agg: gen},
		&funcDef{name: "arbitrary", aliases: []string{"any_value"}, kind: aggregateFunc, arity: 1, args: "x", result: "x's type",
			doc: "one value of x that is not NULL (flowlens: the least, so that the answer does not depend on the reading order)", agg: gen},
		&funcDef{name: "max_by", kind: aggregateFunc, arity: 2, args: "x, y", result: "x's type",
			doc: "x of the row with the largest y (on equal y, the least x)", agg: gen},
		&funcDef{name: "min_by", kind: aggregateFunc, arity: 2, args: "x, y", result: "x's type",
			doc: "x of the row with the smallest y (on equal y, the least x)", agg: gen},
		&funcDef{name: "array_agg", kind: aggregateFunc, arity: 1, args: "x", result: "varchar",
			doc: "the values of x (DISTINCT: once each) as an array, written [a, b, NULL] (flowlens: as text, sorted; for small groups: it holds them)", agg: gen},
	)
}

// inputCompiler compiles expressions over the query's input rows.
func (p *Plan) inputCompiler() *compiler { return p.compiler() }

// addGenAgg plans an aggregate of the general group-by.
func (p *Plan) addGenAgg(c *sql.Call) (*genAgg, error) {
	d := lookupFunc(c.Name)
	if d == nil || d.agg == nil {
		return nil, sql.ErrorAt(p.q, c.Pos(), "unknown aggregate %s()", c.Name)
	}
	if !c.Star {
		if err := d.checkArity(p.compiler(), c); err != nil {
			return nil, err
		}
	}
	a := &genAgg{fn: d.name, args: c.Args, filter: c.Filter}
	in := p.inputCompiler()
	var args []node
	for _, e := range c.Args {
		if hasAggregate(e) {
			return nil, sql.ErrorAt(p.q, e.Pos(), "aggregates cannot be nested: %s", sql.Format(e))
		}
		n, err := in.compile(e)
		if err != nil {
			return nil, err
		}
		args = append(args, n)
		a.argT = append(a.argT, n.typ())
	}
	if c.Filter != nil {
		if hasAggregate(c.Filter) {
			return nil, sql.ErrorAt(p.q, c.Filter.Pos(), "FILTER cannot hold an aggregate")
		}
		f, err := in.compile(c.Filter)
		if err != nil {
			return nil, err
		}
		if f.typ() != tBool && f.typ() != tNull {
			return nil, sql.ErrorAt(p.q, c.Filter.Pos(), "FILTER needs a condition, found a %s", f.typ())
		}
	}
	if c.Distinct && d.name != "count" && d.name != "array_agg" {
		return nil, sql.ErrorAt(p.q, c.Pos(), "DISTINCT is supported in count() and array_agg() only (approx_distinct() for large counts)")
	}
	a.distinct = c.Distinct
	numeric := func() error {
		if t := a.argT[0]; !t.numeric() && t != tNull {
			return sql.ErrorAt(p.q, c.Args[0].Pos(), "%s() takes a number, not a %s", c.Name, t)
		}
		return nil
	}
	switch d.name {
	case "count":
		a.t = tInt
		switch {
		case c.Star:
			a.fn, a.args, a.argT = "count_star", nil, nil
		case c.Distinct:
			a.fn = "count_distinct"
		}
	case "count_if":
		a.t = tInt
		if a.argT[0] != tBool && a.argT[0] != tNull {
			return nil, sql.ErrorAt(p.q, c.Args[0].Pos(), "count_if() takes a condition, not a %s", a.argT[0])
		}
	case "sum":
		if err := numeric(); err != nil {
			return nil, err
		}
		a.t = a.argT[0]
		if a.t == tNull {
			a.t = tInt
		}
	case "avg":
		if err := numeric(); err != nil {
			return nil, err
		}
		a.t = tFloat
	case "min", "max", "arbitrary":
		if a.fn == "arbitrary" {
			a.fn = "min"
		}
		a.t = a.argT[0]
	case "max_by", "min_by":
		a.t = a.argT[0]
	case "approx_distinct":
		a.t, a.hllP = tInt, hllP(0.023)
		if len(c.Args) == 2 {
			e, ok := floatLit(c.Args[1])
			if !ok || e < 0.0040625 || e > 0.26 {
				return nil, sql.ErrorAt(p.q, c.Args[1].Pos(), "approx_distinct() takes a maximum standard error from 0.0040625 to 0.26")
			}
			a.hllP = hllP(e)
			a.args, a.argT = a.args[:1], a.argT[:1]
		}
	case "approx_percentile":
		if err := numeric(); err != nil {
			return nil, err
		}
		f, ok := floatLit(c.Args[1])
		if !ok || f < 0 || f > 1 {
			return nil, sql.ErrorAt(p.q, c.Args[1].Pos(), "approx_percentile() takes a fraction literal from 0 to 1")
		}
		a.t, a.pct = a.argT[0], f
		a.args, a.argT = a.args[:1], a.argT[:1]
	case "array_agg":
		a.t = tStr
	default:
		return nil, sql.ErrorAt(p.q, c.Pos(), "unknown aggregate %s()", c.Name)
	}
	if a.t == tNull {
		a.t = tBool
	}
	return a, nil
}

// floatLit reads a numeric literal.
func floatLit(e sql.Expr) (float64, bool) {
	switch e := e.(type) {
	case *sql.FloatLit:
		return e.V, true
	case *sql.IntLit:
		return float64(e.V), true
	}
	return 0, false
}

// genReads lists the fields the general group-by decodes.
func (p *Plan) genReads() []flowlog.FieldID {
	cp := p.inputCompiler()
	cp.fields = map[flowlog.FieldID]bool{}
	for _, k := range p.gkeys {
		cp.compile(k)
	}
	for _, a := range p.gaggs {
		for _, e := range a.args {
			cp.compile(e)
		}
		if a.filter != nil {
			cp.compile(a.filter)
		}
	}
	var out []flowlog.FieldID
	for id := range flowlog.Fields {
		if cp.fields[flowlog.FieldID(id)] {
			out = append(out, flowlog.FieldID(id))
		}
	}
	return out
}

// runGeneral reads the sources into the general group-by, one table per worker, then merges them.
func (p *Plan) runGeneral(ctx context.Context, sources []flowlog.Source, cfg aggregate.Config, ro RunOptions) (*Result, error) {
	workers := max(ro.Workers, 1)
	ws := make([]*genWorker, workers)
	budget := &memBudget{limit: ro.MemoryLimit}
	sink := func(worker int, rec arrow.RecordBatch, sel []int32) error {
		w := ws[worker]
		if w == nil {
			w = p.newGenWorker()
			ws[worker] = w
		}
		w.c.setBatch(rec)
		before := w.tab.bytes
		w.add(sel)
		w.c.rec = nil
		if d := w.tab.bytes - before; d > 0 && !budget.tryReserve(d) {
			return fmt.Errorf("the GROUP BY needs more than --memory-limit %d bytes (%d groups in one worker so far)", ro.MemoryLimit, w.tab.n)
		}
		return nil
	}
	scan := &aggregate.Scan{Sink: sink, Fields: p.genReads()}
	if p.filter != nil {
		scan.Filter = p.filter
	}
	cfg.Scan = scan
	cfg.Partial = ro.Partial != nil
	e, err := aggregate.New(cfg)
	if err != nil {
		return nil, err
	}
	opts := ro.Decode
	opts.Need = e.Need()
	if ro.Merge != nil {
		// The states' tables, merged as the workers' of one run are.
		res, stats, failed, err := ro.Merge(e)
		if err != nil {
			return nil, err
		}
		tab := newHashTable(p.gkeyT, p.gaggs)
		for _, b := range res.Blobs {
			o, err := p.decodeState(b)
			if err != nil {
				return nil, err
			}
			tab.merge(o)
		}
		out := &Result{Stats: stats, Failed: failed}
		rec, err := p.finishTable(tab)
		if err != nil {
			return nil, err
		}
		return out, out.add(rec, ro.Emit)
	}
	res, stats, failed, err := aggregate.Run(ctx, e, sources, opts, workers, ro.Progress)
	if err != nil {
		return nil, err
	}
	out := &Result{Stats: stats, Failed: failed, Peak: budget.peak.Load()}
	if ro.Partial != nil {
		res.Blobs = append(res.Blobs, mergeTables(p, ws).encodeState())
		return out, ro.Partial(res, stats, failed)
	}
	rec, err := p.finishTable(mergeTables(p, ws))
	if err != nil {
		return nil, err
	}
	return out, out.add(rec, ro.Emit)
}

// mergeTables folds the workers' tables into one.
func mergeTables(p *Plan, ws []*genWorker) *hashTable {
	var tab *hashTable
	for _, w := range ws {
		if w == nil {
			continue
		}
		if tab == nil {
			tab = w.tab
			continue
		}
		tab.merge(w.tab)
	}
	if tab == nil {
		tab = newHashTable(p.gkeyT, p.gaggs)
	}
	return tab
}

// finishTable evaluates the rest of the query over the merged groups.
func (p *Plan) finishTable(tab *hashTable) (arrow.RecordBatch, error) {
	if len(p.gkeys) == 0 && tab.n == 0 { // an aggregate of no rows is still one row
		tab.newGroup(nil, 0)
	}
	c := newEvalCtx(p.loc)
	c.refs = append(c.refs, tab.keys...)
	for _, a := range tab.accs {
		c.refs = append(c.refs, a.result(tab.n))
	}
	return p.finishRefs(c, tab.n)
}

// rewriteShape turns SELECT DISTINCT into a GROUP BY of the select list (or, over groups, into a
// pass over the output rows), and ORDER BY x NULLS FIRST into ORDER BY x IS NULL DESC, x: the
// statement is copied, never changed.
func (p *Plan) rewriteShape() error {
	s := *p.stmt
	changed := false
	if s.Distinct {
		grouped := len(s.GroupBy) > 0 || s.Having != nil
		for _, it := range s.Items {
			if it.Expr != nil && hasAggregate(it.Expr) {
				grouped = true
			}
		}
		switch {
		case p.star:
			return sql.ErrorAt(p.q, s.Items[0].At, "SELECT DISTINCT * is not supported: name the columns")
		case grouped:
			p.distinctRows = true
		default:
			s.GroupBy = nil
			for _, it := range s.Items {
				s.GroupBy = append(s.GroupBy, it.Expr)
			}
			p.agg = true
			changed = true
		}
	}
	var order []sql.OrderItem
	for _, o := range s.OrderBy {
		if o.Nulls == sql.NullsFirst {
			x := p.resolveOrder(o.Expr)
			order = append(order, sql.OrderItem{Expr: &sql.IsNull{At: x.Pos(), X: x}, Desc: true})
			changed = true
		}
		order = append(order, o)
	}
	s.OrderBy = order
	if changed {
		p.stmt = &s
	}
	return nil
}

// resolveOrder replaces an ordinal or an alias of the select list by its expression.
func (p *Plan) resolveOrder(e sql.Expr) sql.Expr {
	if lit, ok := e.(*sql.IntLit); ok && lit.V >= 1 && int(lit.V) <= len(p.items) && p.items[lit.V-1].expr != nil {
		return p.items[lit.V-1].expr
	}
	if c, ok := e.(*sql.Column); ok {
		for _, it := range p.items {
			if it.expr != nil && it.name == c.Name && !isColumnNamed(it.expr, c.Name) {
				return it.expr
			}
		}
	}
	return e
}
