package query

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/query/sql"
)

// Expressions are evaluated a vector at a time: a node computes its value for every selected row
// of a batch (or every group of a result) into a typed vector that it owns and reuses, so the work
// per row is a loop over slices with the type decided once per batch. Each goroutine compiles its
// own nodes.

// node is a compiled expression.
type node interface {
	typ() typ
	eval(c *evalCtx, sel []int32) *vec
}

// exprFilter is a WHERE clause as an aggregate.Filter: each worker compiles its own nodes.
type exprFilter struct {
	*env
	e      sql.Expr
	fields []flowlog.FieldID
}

// newExprFilter checks a WHERE clause and lists its columns.
func newExprFilter(en *env, e sql.Expr) (*exprFilter, error) {
	cp := &compiler{env: en, fields: map[flowlog.FieldID]bool{}}
	n, err := cp.compile(e)
	if err != nil {
		return nil, err
	}
	if n.typ() != tBool && n.typ() != tNull {
		return nil, sql.ErrorAt(en.q, e.Pos(), "WHERE needs a condition, found a %s", n.typ())
	}
	f := &exprFilter{env: en, e: e}
	for id := range flowlog.Fields {
		if cp.fields[flowlog.FieldID(id)] {
			f.fields = append(f.fields, flowlog.FieldID(id))
		}
	}
	return f, nil
}

func (f *exprFilter) Fields() []flowlog.FieldID { return f.fields }

func (f *exprFilter) New() aggregate.Selector {
	cp := f.compiler()
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
