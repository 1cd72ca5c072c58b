package query

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowlens/flowlens/flowlog"
)

// runShared is what the plans of one run share: the kept results of WITH queries with several uses.
type runShared struct {
	kept map[*cteDef]*keptResult
}

// keptResult is a WITH query's result, kept for its other uses.
type keptResult struct {
	batches []arrow.RecordBatch
	bytes   int64
}

func (k *keptResult) release() {
	for _, b := range k.batches {
		b.Release()
	}
	k.batches = nil
}

// runRel reads the relation's arms, one after the other, into the plan: each batch is filtered by
// WHERE, then grouped or listed as a scan's records are.
func (p *Plan) runRel(ctx context.Context, sources []flowlog.Source, ro RunOptions, rs *runShared) (*Result, error) {
	out := &Result{Stats: &flowlog.Stats{}}
	var where node
	wc := newEvalCtx(p.loc)
	wc.rel = p.rel
	if p.stmt.Where != nil {
		n, err := p.compiler().compile(p.stmt.Where)
		if err != nil {
			return nil, err
		}
		where = n
	}
	var all, sel []int32
	filter := func(rec arrow.RecordBatch) []int32 {
		n := int(rec.NumRows())
		for len(all) < n {
			all = append(all, int32(len(all)))
		}
		if where == nil {
			return all[:n]
		}
		wc.setBatch(rec)
		v := where.eval(wc, all[:n])
		wc.rec = nil
		sel = sel[:0]
		for k := range n {
			if v.i[k] == 1 && !v.isNull(k) {
				sel = append(sel, int32(k))
			}
		}
		return sel
	}
	var consume func(arrow.RecordBatch) error
	var finish func() error
	if p.agg {
		w := p.newGenWorker()
		budget := &memBudget{limit: ro.MemoryLimit}
		consume = func(rec arrow.RecordBatch) error {
			rows := filter(rec)
			if len(rows) == 0 {
				return nil
			}
			w.c.setBatch(rec)
			before := w.tab.bytes
			w.add(rows)
			w.c.rec = nil
			if d := w.tab.bytes - before; d > 0 && !budget.tryReserve(d) {
				return fmt.Errorf("the GROUP BY over %s needs more than --memory-limit %d bytes (%d groups so far)", p.rel.what, ro.MemoryLimit, w.tab.n)
			}
			return nil
		}
		finish = func() error {
			out.Peak = max(out.Peak, budget.peak.Load())
			rec, err := p.finishTable(w.tab)
			if err != nil {
				return err
			}
			return out.add(rec, ro.Emit)
		}
	} else {
		st := p.newScanState(out, ro, 1)
		defer st.cleanup()
		if st.limit == 0 {
			st.setSchema()
			return out, nil
		}
		consume = func(rec arrow.RecordBatch) error {
			rows := filter(rec)
			if len(rows) == 0 {
				return nil
			}
			return st.sink(0, rec, rows)
		}
		finish = func() error { return st.finish(ctx) }
	}
	stopped := false
	for _, arm := range p.rel.arms {
		sch := map[*arrow.Schema]*arrow.Schema{}
		in := func(rec arrow.RecordBatch) error {
			if arm.star { // found by name: its columns are the layout's
				return consume(rec)
			}
			// By position: the relation's names on the arm's columns.
			s, ok := sch[rec.Schema()]
			if !ok {
				fs := append([]arrow.Field(nil), rec.Schema().Fields()...)
				for i := range fs {
					fs[i].Name = p.rel.names[i]
				}
				s = arrow.NewSchema(fs, nil)
				sch[rec.Schema()] = s
			}
			r := array.NewRecordBatch(s, rec.Columns(), rec.NumRows())
			defer r.Release()
			return consume(r)
		}
		err := p.readArm(ctx, arm, sources, ro, rs, out, in)
		if errors.Is(err, errLimitReached) {
			stopped, err = true, nil
		}
		if err != nil {
			return nil, err
		}
		if stopped {
			break
		}
	}
	out.Stopped = out.Stopped || stopped
	if err := finish(); err != nil {
		return nil, err
	}
	return out, nil
}

// readArm runs one arm of the relation with its result batches going to in, or replays its kept
// result: a WITH query with several uses is run once.
func (p *Plan) readArm(ctx context.Context, arm *Plan, sources []flowlog.Source, ro RunOptions, rs *runShared, out *Result, in func(arrow.RecordBatch) error) error {
	d := p.rel.cte
	if d == nil || d.uses < 2 {
		return p.runArm(ctx, arm, sources, ro, rs, out, in)
	}
	k := rs.kept[d]
	if k == nil {
		k = &keptResult{}
		rs.kept[d] = k
		err := p.runArm(ctx, arm, sources, ro, rs, out, func(rec arrow.RecordBatch) error {
			rec.Retain()
			k.batches = append(k.batches, rec)
			k.bytes += batchBytes(rec)
			out.Peak = max(out.Peak, k.bytes)
			if ro.MemoryLimit > 0 && k.bytes > ro.MemoryLimit {
				return fmt.Errorf("%s is used %d times: its result is kept in memory for them, and it needs more than --memory-limit %d bytes (%d bytes so far)", p.rel.what, d.uses, ro.MemoryLimit, k.bytes)
			}
			return nil
		})
		if err != nil {
			k.release()
			return err
		}
	}
	for _, b := range k.batches {
		if err := in(b); err != nil {
			return err
		}
	}
	return nil
}

// runArm runs a plan whose result feeds another, adding its accounting to out's.
func (p *Plan) runArm(ctx context.Context, arm *Plan, sources []flowlog.Source, ro RunOptions, rs *runShared, out *Result, in func(arrow.RecordBatch) error) error {
	aro := ro
	aro.Emit = in
	res, err := arm.run(ctx, sources, aro, rs)
	if res != nil {
		if res.Stats != nil {
			out.Stats.Add(res.Stats)
		}
		out.Failed = append(out.Failed, res.Failed...)
		out.Peak = max(out.Peak, res.Peak)
		out.Stopped = out.Stopped || res.Stopped
		out.Pruned += res.Pruned
	}
	return err
}

// batchBytes is the size of a batch's buffers.
func batchBytes(rec arrow.RecordBatch) int64 {
	var n int64
	for _, c := range rec.Columns() {
		n += dataBytes(c.Data())
	}
	return n
}

func dataBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, c := range d.Children() {
		if c, ok := c.(*array.Data); ok && c != nil {
			n += dataBytes(c)
		}
	}
	if dict, ok := d.Dictionary().(*array.Data); ok && dict != nil {
		n += dataBytes(dict)
	}
	return n
}
