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
	skip    int64             // OFFSET rows still to drop (ordered scans)
	fields  []flowlog.FieldID // the columns of *, fixed by the first batch
	workers []*scanWorker
	sort    *sortShared // ordered scans
	budget  *memBudget
}

type scanWorker struct {
	c      *evalCtx
	all    []int32
	items  []node
	order  []node
	sorter *sortWorker // ordered scans: the rows kept
}

func (p *Plan) runScan(ctx context.Context, sources []flowlog.Source, cfg aggregate.Config, ro RunOptions) (*Result, error) {
	workers := max(ro.Workers, 1)
	st := p.newScanState(&Result{}, ro, workers)
	defer st.cleanup()
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
	return st.res, st.finish(ctx)
}

// newScanState readies a scan's shared state for this many workers, its output going to res.
func (p *Plan) newScanState(res *Result, ro RunOptions, workers int) *scanState {
	st := &scanState{p: p, res: res, emit: ro.Emit, ordered: len(p.stmt.OrderBy) > 0, limit: p.stmt.Limit,
		budget: &memBudget{limit: ro.MemoryLimit}, skip: p.stmt.Offset}
	if st.limit >= 0 { // the sort keeps OFFSET + LIMIT rows; the first OFFSET are dropped as they come
		st.limit += st.skip
	}
	if st.ordered {
		var desc []bool
		for _, o := range p.stmt.OrderBy {
			desc = append(desc, o.Desc)
		}
		st.sort = newSortShared(desc, len(p.items), st.limit, st.budget) // * sets nc at its first batch
	}
	st.workers = make([]*scanWorker, workers)
	return st
}

// cleanup frees an ordered scan's rows and removes its runs' directory: on every return, an error,
// ctx cancelled, the answer written.
func (st *scanState) cleanup() {
	if st.sort == nil {
		return
	}
	for _, w := range st.workers {
		if w != nil && w.sorter != nil {
			w.sorter.release()
		}
	}
	st.sort.spill.remove()
}

// finish writes an ordered scan's rows, and gives the result its schema.
func (st *scanState) finish(ctx context.Context) error {
	if st.ordered {
		if err := st.finishOrdered(ctx); err != nil {
			return err
		}
	}
	st.res.Peak = max(st.res.Peak, st.budget.peak.Load())
	st.setSchema()
	return nil
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
	cp := st.p.compiler()
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
		if st.sort != nil {
			st.sort.nc = len(st.fields)
		}
	}
	st.mu.Unlock()
	w := &scanWorker{c: newEvalCtx(p.loc)}
	w.c.rel = p.rel
	cp := p.compiler()
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
	if st.ordered {
		var types []typ
		for _, n := range w.items {
			types = append(types, n.typ())
		}
		for _, n := range w.order {
			types = append(types, n.typ())
		}
		w.sorter = newSortWorker(st.sort, types)
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
		return w.sorter.add(w, sel)
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

// finishOrdered merges the workers' rows (and runs) into the answer, LIMIT rows of it.
func (st *scanState) finishOrdered(ctx context.Context) error {
	var sorters []*sortWorker
	for _, w := range st.workers {
		if w != nil {
			sorters = append(sorters, w.sorter)
		}
	}
	var ident []int32
	return st.sort.finish(ctx, sorters, func(rs *rowSet) error {
		for len(ident) < rs.n {
			ident = append(ident, int32(len(ident)))
		}
		rows := ident[:rs.n]
		if d := min(st.skip, int64(len(rows))); d > 0 {
			rows, st.skip = rows[d:], st.skip-d
		}
		if len(rows) == 0 {
			return nil
		}
		return st.res.add(st.p.recordNamed(st.outNames(), rs.v[:st.sort.nc], rows), st.emit)
	})
}
