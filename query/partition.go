package query

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/query/sql"
)

// Partition columns are the values an object's key states (flowlog.PartitionValues): year, month,
// day, hour, aws-account-id, aws-service and aws-region as varchar (as Athena's tables declare
// them) and date as a timestamp (midnight UTC of the day, as DATE 'YYYY-MM-DD'). The readers stamp
// them on the batches of the object (flowlog.StampPartition), so that a node reads them as a
// constant per batch. region and account_id are the data's columns where the layout has them, and
// the key's aws-region and aws-account-id in the batches whose layout lacks them.
//
// A WHERE conjunct that reads partition columns only (not region or account_id, which may be the
// data's) is evaluated per object before it is read: the objects whose values fail it are skipped.

// isPartitionColumn says whether name is a partition column that an object's key may give.
func isPartitionColumn(name string) bool {
	switch name {
	case "year", "month", "day", "hour", "date", "aws-account-id", "aws-region", "aws-service":
		return true
	}
	return false
}

// partitionAlias is the partition column that stands for a data column in batches that lack it.
func partitionAlias(f flowlog.FieldID) string {
	switch flowlog.Fields[f].Column {
	case "region":
		return "aws-region"
	case "account_id":
		return "aws-account-id"
	}
	return ""
}

// partValue returns partition value name of a batch ("", false: none, i.e. NULL).
func partValue(rec arrow.RecordBatch, name string) (string, bool) {
	md := rec.Schema().Metadata()
	i := md.FindKey(flowlog.PartitionMetaPrefix + name)
	if i < 0 || md.Values()[i] == "" {
		return "", false
	}
	return md.Values()[i], true
}

// partNode reads a partition column: a constant per batch.
type partNode struct {
	name string
	t    typ
	out  vec
}

func (n *partNode) typ() typ { return n.t }

func (n *partNode) eval(c *evalCtx, sel []int32) *vec {
	v := &n.out
	v.reset(n.t, len(sel))
	s, ok := partValue(c.rec, n.name)
	var secs int64
	if ok && n.t == tTime {
		d, err := time.Parse("2006-01-02", s)
		ok = err == nil
		secs = d.Unix()
	}
	if !ok {
		nl := v.nulls()
		for k := range nl {
			nl[k] = true
		}
		return v
	}
	for k := range sel {
		if n.t == tTime {
			v.i[k] = secs
		} else {
			v.s[k] = s
		}
	}
	return v
}

func partTyp(name string) typ {
	if name == "date" {
		return tTime
	}
	return tStr
}

// usesPartitions says whether a select reads partition columns, or region or account_id (which
// fall back to the key's values).
func usesPartitions(s *sql.Select) bool {
	found := false
	visit := func(e sql.Expr) {
		sql.Walk(e, func(x sql.Expr) {
			if c, ok := x.(*sql.Column); ok {
				if isPartitionColumn(c.Name) || c.Name == "region" || c.Name == "account_id" {
					found = true
				}
			}
		})
	}
	for _, it := range s.Items {
		visit(it.Expr)
	}
	visit(s.Where)
	for _, g := range s.GroupBy {
		visit(g)
	}
	visit(s.Having)
	for _, o := range s.OrderBy {
		visit(o.Expr)
	}
	return found
}

// partitionFilter is the conjunction of the top-level WHERE conjuncts that read partition columns
// and nothing else of the rows (nil when there is none).
func partitionFilter(where sql.Expr) sql.Expr {
	var out sql.Expr
	var visit func(e sql.Expr)
	visit = func(e sql.Expr) {
		if b, ok := e.(*sql.Binary); ok && b.Op == "AND" {
			visit(b.L)
			visit(b.R)
			return
		}
		parts, other := false, false
		sql.Walk(e, func(x sql.Expr) {
			switch x := x.(type) {
			case *sql.Column:
				if isPartitionColumn(x.Name) {
					if _, data := lookupColumn(x.Name); !data {
						parts = true
						return
					}
				}
				other = true
			case *sql.Call:
				if isAggregate(x.Name) {
					other = true
				}
			}
		})
		if !parts || other {
			return
		}
		if out == nil {
			out = e
		} else {
			out = &sql.Binary{At: e.Pos(), Op: "AND", L: out, R: e}
		}
	}
	if where != nil {
		visit(where)
	}
	return out
}

// partitionSources gives each source its partition values and drops those whose values fail the
// plan's partition filter; it returns how many it dropped.
func (p *Plan) partitionSources(sources []flowlog.Source) ([]flowlog.Source, int, error) {
	var keep node
	if p.pruneBy != nil {
		n, err := p.compiler().compile(p.pruneBy)
		if err != nil {
			return nil, 0, err
		}
		keep = n
	}
	c := newEvalCtx(p.loc)
	one := []int32{0}
	out := make([]flowlog.Source, 0, len(sources))
	dropped := 0
	for _, s := range sources {
		key := s.Name
		if s.Path != "" {
			key = s.Path
		}
		s.Partition = flowlog.PartitionValues(key)
		if keep != nil {
			var ks, vs []string
			for k, v := range s.Partition {
				ks = append(ks, flowlog.PartitionMetaPrefix+k)
				vs = append(vs, v)
			}
			md := arrow.NewMetadata(ks, vs)
			rec := array.NewRecordBatch(arrow.NewSchema(nil, &md), nil, 1)
			c.setBatch(rec)
			v := keep.eval(c, one)
			c.rec = nil
			rec.Release()
			if v.isNull(0) || v.i[0] != 1 {
				dropped++
				continue
			}
		}
		out = append(out, s)
	}
	return out, dropped, nil
}

// usesAlias says whether the engine's group-by reads region or account_id, which in batches whose
// layout lacks them are the key's values: only the general group-by reads those.
func (p *Plan) engineReadsAlias() bool {
	is := func(f flowlog.FieldID) bool { return partitionAlias(f) != "" }
	for _, k := range p.spec.Keys {
		if is(k.Field) {
			return true
		}
	}
	for _, a := range p.spec.Aggs {
		if is(a.Field) {
			return true
		}
	}
	for _, d := range p.spec.Distinct {
		if is(d) {
			return true
		}
	}
	return false
}
