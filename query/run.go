package query

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
)

// WriteEmpty writes a batch of no rows of schema s: the header of a CSV, the schema of a Parquet or
// Arrow file, an empty JSON array.
func WriteEmpty(w interface{ Write(arrow.RecordBatch) error }, s *arrow.Schema) error {
	cols := make([]arrow.Array, s.NumFields())
	for i, f := range s.Fields() {
		b := array.NewBuilder(memory.DefaultAllocator, f.Type)
		cols[i] = b.NewArray()
		b.Release()
		defer cols[i].Release()
	}
	rec := array.NewRecordBatch(s, cols, 0)
	defer rec.Release()
	return w.Write(rec)
}

// RunOptions are how a plan reads its sources.
type RunOptions struct {
	Decode      flowlog.Options
	Workers     int
	MemoryLimit int64
	Progress    *aggregate.Progress
	// Emit, when set, receives the result batch by batch as it is made (rows of a scan without
	// ORDER BY as they are read; else the final result once); Result.Batches is then empty.
	Emit func(arrow.RecordBatch) error
	// Partial, when set, gets the engine's mergeable state (a run with aggregate.Config.Partial)
	// instead of the plan making its answer; Run returns what it returns. Only a query the engine
	// answers alone (Plan.Mergeable) has one.
	Partial func(res *aggregate.Result, st *flowlog.Stats, failed []flowlog.ObjectError) error
	// Merge, when set, replaces reading the sources: it loads states into the plan's engine and
	// merges them, with the accounting of the runs that made them.
	Merge func(e *aggregate.Engine) (*aggregate.Result, *flowlog.Stats, []flowlog.ObjectError, error)
}

// Mergeable reports whether the query's state merges across runs (--shard, --partial, merge): one
// group-by (the engine's, or the general one's: its tables travel as a blob of the state), with no
// derived table; why not, when it does not.
func (p *Plan) Mergeable() (bool, string) {
	switch {
	case p.rel != nil:
		return false, "a query with WITH, a subquery in FROM or UNION ALL"
	case !p.agg:
		return false, "a query that lists rows rather than grouping them"
	}
	return true, ""
}

// Result is a query's answer and what was read for it.
type Result struct {
	Schema  *arrow.Schema
	Batches []arrow.RecordBatch
	Rows    int64
	Stats   *flowlog.Stats
	Failed  []flowlog.ObjectError
	// Stopped says the scan stopped reading once LIMIT rows were found: the input accounting covers
	// what was read until then.
	Stopped bool
	// Peak is the aggregation state's peak, in bytes.
	Peak int64
	// Pruned is the number of objects skipped by their partition values (not counted in Stats).
	Pruned int
}

// Release frees the result's batches.
func (r *Result) Release() {
	for _, b := range r.Batches {
		b.Release()
	}
	r.Batches = nil
}

var errLimitReached = errors.New("limit reached")

// Run reads the sources and answers the query.
func (p *Plan) Run(ctx context.Context, sources []flowlog.Source, ro RunOptions) (*Result, error) {
	rs := &runShared{kept: map[*cteDef]*keptResult{}}
	defer func() {
		for _, k := range rs.kept {
			k.release()
		}
	}()
	return p.run(ctx, sources, ro, rs)
}

func (p *Plan) run(ctx context.Context, sources []flowlog.Source, ro RunOptions, rs *runShared) (*Result, error) {
	if p.rel != nil {
		return p.runRel(ctx, sources, ro, rs)
	}
	pruned := 0
	if p.parts {
		var err error
		if sources, pruned, err = p.partitionSources(sources); err != nil {
			return nil, err
		}
		if p.agg && !p.general && p.engineReadsAlias() && anyPartition(sources) {
			// region or account_id may be the key's: the engine's keys read the data alone.
			g := *p
			if err := g.planGeneral(p.groupBy); err != nil {
				return nil, err
			}
			p = &g
		}
	}
	res, err := p.runSources(ctx, sources, ro)
	if res != nil {
		res.Pruned += pruned
	}
	return res, err
}

func anyPartition(sources []flowlog.Source) bool {
	for _, s := range sources {
		if len(s.Partition) > 0 {
			return true
		}
	}
	return false
}

// runSources reads the sources into the plan.
func (p *Plan) runSources(ctx context.Context, sources []flowlog.Source, ro RunOptions) (*Result, error) {
	cfg := aggregate.Config{Location: p.loc, MemoryLimit: ro.MemoryLimit, From: p.From, To: p.To, Derive: ro.Decode.Derive}
	if ro.Partial != nil || ro.Merge != nil {
		if ok, why := p.Mergeable(); !ok {
			return nil, fmt.Errorf("--partial: %s does not merge across shards; run it in one process, or shard a group-by of columns", why)
		}
	}
	if p.general {
		return p.runGeneral(ctx, sources, cfg, ro)
	}
	if p.agg {
		cfg.Specs = []aggregate.Spec{p.spec}
		cfg.Partial = ro.Partial != nil
		e, err := aggregate.New(cfg)
		if err != nil {
			return nil, err
		}
		opts := ro.Decode
		opts.Need = e.Need()
		var res *aggregate.Result
		var st *flowlog.Stats
		var failed []flowlog.ObjectError
		if ro.Merge != nil {
			res, st, failed, err = ro.Merge(e)
		} else {
			res, st, failed, err = aggregate.Run(ctx, e, sources, opts, ro.Workers, ro.Progress)
		}
		if err != nil {
			return nil, err
		}
		out := &Result{Stats: st, Failed: failed, Peak: e.Budget().Peak()}
		if ro.Partial != nil {
			return out, ro.Partial(res, st, failed)
		}
		rec, err := p.finishGroups(res.Tables[0])
		if err != nil {
			return nil, err
		}
		return out, out.add(rec, ro.Emit)
	}
	return p.runScan(ctx, sources, cfg, ro)
}

// add takes one batch of the result: to Emit, or kept.
func (r *Result) add(rec arrow.RecordBatch, emit func(arrow.RecordBatch) error) error {
	r.Schema = rec.Schema()
	r.Rows += rec.NumRows()
	if emit != nil {
		defer rec.Release()
		return emit(rec)
	}
	r.Batches = append(r.Batches, rec)
	return nil
}

// record builds the output batch of rows sel of the output columns.
func (p *Plan) record(cols []*vec, sel []int32) arrow.RecordBatch {
	return p.recordNamed(p.Names(), cols, sel)
}

func (p *Plan) schema(ts []typ) *arrow.Schema {
	fields := make([]arrow.Field, len(ts))
	names := p.Names()
	for i, t := range ts {
		fields[i] = outField(names[i], t, p.loc)
	}
	return arrow.NewSchema(fields, nil)
}

func (p *Plan) recordNamed(names []string, cols []*vec, sel []int32) arrow.RecordBatch {
	fields := make([]arrow.Field, len(cols))
	arrs := make([]arrow.Array, len(cols))
	for i, v := range cols {
		loc := p.loc
		if v.loc != nil {
			loc = v.loc
		} else if i < len(p.zones) && p.zones[i] != nil {
			loc = p.zones[i]
		}
		fields[i] = outField(names[i], v.t, loc)
		arrs[i] = vecArray(v, sel, fields[i].Type)
	}
	rec := arrowRecord(arrow.NewSchema(fields, nil), arrs, int64(len(sel)))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}
