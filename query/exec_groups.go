package query

import (
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/query/sql"
)

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
	return p.finishRefs(c, n)
}

// finishRefs evaluates HAVING, the select list, DISTINCT, ORDER BY, OFFSET and LIMIT over n groups
// whose keys and aggregates are c.refs.
func (p *Plan) finishRefs(c *evalCtx, n int) (arrow.RecordBatch, error) {
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
	if p.distinctRows {
		sel = distinctSel(sel, cols)
	}
	sel = p.sortPage(sel, order, cols)
	return p.record(cols, sel), nil
}

// sortPage orders rows sel and keeps those OFFSET and LIMIT leave.
func (p *Plan) sortPage(sel []int32, order, cols []*vec) []int32 {
	limit, off := p.stmt.Limit, p.stmt.Offset
	if limit >= 0 {
		limit += off
	}
	sel = sortRows(sel, order, p.stmt.OrderBy, cols, limit)
	if off >= int64(len(sel)) {
		return sel[:0]
	}
	return sel[off:]
}

// distinctSel keeps the first of the rows sel that are equal in every column.
func distinctSel(sel []int32, cols []*vec) []int32 {
	seen := map[string]bool{}
	var b []byte
	out := sel[:0]
	for _, r := range sel {
		b = b[:0]
		for _, v := range cols {
			b = encodeKey(b, v, int(r))
		}
		if !seen[string(b)] {
			seen[string(b)] = true
			out = append(out, r)
		}
	}
	return out
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
	if limit >= 0 {
		limit += p.stmt.Offset
	}
	n := t.Len()
	if limit < 0 || len(p.stmt.OrderBy) == 0 || p.distinctRows || int64(n) <= 4*limit+64 {
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
