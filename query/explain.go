package query

import (
	"fmt"
	"strings"
	"time"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/query/sql"
)

// Explain describes the plan: what the engine computes and what is read (for --explain).
func (p *Plan) Explain() string {
	var b strings.Builder
	if p.rel != nil {
		return p.explainRel()
	}
	if p.general {
		p.explainGeneral(&b)
	} else if p.agg {
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
		cp := &compiler{env: p.env, fields: fields}
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

// explainGeneral describes the general group-by's keys and aggregates.
func (p *Plan) explainGeneral(b *strings.Builder) {
	b.WriteString("group by (general):")
	for _, k := range p.gkeys {
		fmt.Fprintf(b, " %s", sql.Format(k))
	}
	b.WriteString("\naggregates:")
	for _, a := range p.gaggs {
		fmt.Fprintf(b, " %s", a.fn)
		if len(a.args) > 0 {
			var args []string
			for _, x := range a.args {
				args = append(args, sql.Format(x))
			}
			fmt.Fprintf(b, "(%s)", strings.Join(args, ", "))
		}
	}
	b.WriteString("\n")
}

// explainRel describes a plan over a derived table, then the plans of its arms, indented.
func (p *Plan) explainRel() string {
	var b strings.Builder
	if p.agg {
		p.explainGeneral(&b)
	} else {
		b.WriteString("scan (no grouping)\n")
	}
	if p.stmt.Where != nil {
		fmt.Fprintf(&b, "filter: %s\n", sql.Format(p.stmt.Where))
	}
	fmt.Fprintf(&b, "over %s", p.rel.what)
	if d := p.rel.cte; d != nil && d.uses > 1 {
		fmt.Fprintf(&b, " (used %d times: run once, its result kept)", d.uses)
	}
	b.WriteString(":\n")
	for i, a := range p.rel.arms {
		if len(p.rel.arms) > 1 {
			fmt.Fprintf(&b, "  select %d:\n", i+1)
		}
		for _, line := range strings.Split(strings.TrimRight(a.Explain(), "\n"), "\n") {
			fmt.Fprintf(&b, "    %s\n", line)
		}
	}
	return b.String()
}
