package query

import (
	"context"
	"errors"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/query/sql"
)

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
