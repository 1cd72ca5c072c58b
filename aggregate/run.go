package aggregate

import (
	"cmp"
	"context"
	"errors"
	"io"
	"math"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowlens/flowlens/flowlog"
)

// Progress counts what a run has done so far; another goroutine may read it at any time.
type Progress struct {
	Objects     atomic.Int64 // objects finished
	BytesRead   atomic.Int64 // bytes read from the objects as stored
	Records     atomic.Int64 // rows decoded
	TotalObject int64        // objects to read
	TotalBytes  int64        // their size, where known (-1 for stdin is counted as 0)
}

// Run reads the sources with `workers` goroutines and aggregates them with e. With at least as many
// objects as workers, each worker owns one object at a time, decoding and aggregating it itself (the
// largest objects first, so that the last ones finish together); with fewer, each object is split:
// one goroutine decompresses, the workers decode its blocks, and the batches go, one channel send
// per batch, to one aggregating Worker per goroutine. Objects that cannot be read are listed with
// why and the run goes on; a strict-mode parse error, the memory budget or ctx stop it. The stats
// are merged in source order, so the malformed lines kept are the same whatever the scheduling.
func Run(ctx context.Context, e *Engine, sources []flowlog.Source, opts flowlog.Options, workers int, prog *Progress) (*Result, *flowlog.Stats, []flowlog.ObjectError, error) {
	workers = max(workers, 1)
	opts.Derive = nil // the engine's workers derive what it reads (Config.Derive)
	if e.hasFrom || e.hasTo {
		// Parquet row groups whose start statistics lie outside the range are not read.
		opts.StartRange = &flowlog.StartRange{From: e.from, To: e.to, HasFrom: e.hasFrom, HasTo: e.hasTo}
	}
	if prog == nil {
		prog = &Progress{}
	}
	prog.TotalObject = int64(len(sources))
	for _, s := range sources {
		prog.TotalBytes += max(s.Size, 0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	stats := make([]*flowlog.Stats, len(sources))
	oerrs := make([]error, len(sources))
	var aggs []*Worker
	var fatal error
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		if fatal == nil {
			fatal = err
		}
		mu.Unlock()
		cancel()
	}

	if len(sources) >= workers && workers > 1 {
		order := make([]int, len(sources))
		for i := range order {
			order[i] = i
		}
		// Largest first; stdin (size unknown) before all.
		sort.SliceStable(order, func(a, b int) bool {
			sa, sb := sources[order[a]].Size, sources[order[b]].Size
			if sa < 0 || sb < 0 {
				return sa < 0 && sb >= 0
			}
			return sa > sb
		})
		next := openAhead(ctx, sources, order, workers)
		aggs = e.NewWorkers(workers)
		var wg sync.WaitGroup
		for _, w := range aggs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o := opts
				o.Workers = 1
				err := func() error {
					for ob := range next {
						i := ob.i
						if ctx.Err() != nil {
							ob.close()
							return nil
						}
						var st *flowlog.Stats
						var err error
						if flowlog.IsParquetName(sources[i].Name) {
							// The worker decodes the object's row groups itself, one after another.
							emit := counted(prog, w.Add)
							st, err = readParquet(ctx, sources[i], ob, o, prog, func(j partJob) bool {
								j.run(ctx, emit)
								return true
							})
						} else {
							st, err = readObject(ctx, sources[i], ob, o, prog, w.Add)
						}
						stats[i] = st
						if err != nil {
							if !isObjectError(err) {
								return err
							}
							oerrs[i] = err
						}
					}
					return nil
				}()
				// Done and Drain even after a failure: the other workers may be sending to this one.
				w.Done()
				if err2 := w.Drain(); err == nil {
					err = err2
				}
				if err != nil {
					fail(err)
				}
			}()
		}
		wg.Wait()
		for ob := range next { // left after a failure
			ob.close()
		}
	} else {
		batches := make(chan arrow.RecordBatch, workers)
		aggs = e.NewWorkers(workers)
		var wg sync.WaitGroup
		for _, w := range aggs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				inbox := w.inbox()
			loop:
				for {
					select {
					case b, ok := <-batches:
						if !ok {
							break loop
						}
						if ctx.Err() == nil {
							if err := w.Add(b); err != nil {
								fail(err)
							}
						}
						b.Release()
					case c := <-inbox:
						w.apply(c)
					}
				}
				w.Done()
				if err := w.Drain(); err != nil {
					fail(err)
				}
			}()
		}
		emit := func(b arrow.RecordBatch) error {
			b.Retain()
			select {
			case batches <- b:
				return nil
			case <-ctx.Done():
				b.Release()
				return ctx.Err()
			}
		}
		o := opts
		o.Workers = workers
		// A Parquet object's row groups are decoded by `workers` goroutines, each sending its
		// batches to the aggregating workers as they come: no order to keep, so no batch waits.
		parts := make(chan partJob)
		var dwg sync.WaitGroup
		for range workers {
			dwg.Add(1)
			go func() {
				defer dwg.Done()
				emit := counted(prog, emit)
				for j := range parts {
					j.run(ctx, emit)
				}
			}()
		}
		order := make([]int, len(sources))
		for i := range order {
			order[i] = i
		}
		next := openAhead(ctx, sources, order, 1)
		for ob := range next {
			i, s := ob.i, sources[ob.i]
			if ctx.Err() != nil {
				ob.close()
				continue
			}
			var st *flowlog.Stats
			var err error
			if flowlog.IsParquetName(s.Name) {
				st, err = readParquet(ctx, s, ob, o, prog, func(j partJob) bool {
					select {
					case parts <- j:
						return true
					case <-ctx.Done():
						return false
					}
				})
			} else {
				st, err = readObject(ctx, s, ob, o, prog, emit)
			}
			stats[i] = st
			if err != nil {
				if !isObjectError(err) {
					fail(err)
					break
				}
				oerrs[i] = err
			}
		}
		for ob := range next { // left after a failure
			ob.close()
		}
		close(parts)
		dwg.Wait()
		close(batches)
		wg.Wait()
	}

	total := &flowlog.Stats{}
	var failed []flowlog.ObjectError
	for i, st := range stats {
		if st != nil {
			total.Add(st)
		}
		if oerrs[i] != nil {
			failed = append(failed, flowlog.ObjectError{Object: sources[i].Name, Err: oerrs[i]})
		}
	}
	if fatal == nil && ctx.Err() != nil {
		fatal = ctx.Err()
	}
	if fatal != nil {
		for _, w := range aggs {
			w.Release()
		}
		e.strs.release()
		return nil, total, failed, fatal
	}
	res, err := e.Merge(aggs)
	if err != nil {
		e.strs.release()
		return nil, total, failed, err
	}
	for i, st := range stats {
		res.Objects = append(res.Objects, ObjectRead{Name: sources[i].Name, Stats: st})
	}
	return res, total, failed, nil
}

// isObjectError reports whether err concerns one object only (it could not be opened or read to
// its end), so that the run goes on without it.
func isObjectError(err error) bool {
	var se *flowlog.StreamError
	var oe *openError
	return errors.As(err, &se) || errors.As(err, &oe)
}

type openError struct{ err error }

func (e *openError) Error() string { return e.err.Error() }
func (e *openError) Unwrap() error { return e.err }

// opened is a source opened ahead of its reading: an S3 object's GET is under way while the
// workers are busy with earlier objects.
type opened struct {
	i   int
	rc  io.ReadCloser
	err error
}

func (o opened) close() {
	if o.rc != nil {
		o.rc.Close()
	}
}

// openAhead opens the sources in order, keeping up to `ahead` opened and not yet taken: with the
// objects being read, at most workers+ahead+1 are open at once, so memory stays bounded whatever
// their sizes while the next objects' first bytes are already on their way.
func openAhead(ctx context.Context, sources []flowlog.Source, order []int, ahead int) <-chan opened {
	ch := make(chan opened, ahead)
	go func() {
		defer close(ch)
		for _, i := range order {
			if ctx.Err() != nil {
				return
			}
			rc, err := sources[i].Open()
			select {
			case ch <- opened{i, rc, err}:
			case <-ctx.Done():
				opened{rc: rc}.close()
				return
			}
		}
	}()
	return ch
}

// readObject decodes one opened text object (plain or gzip) into emit, counting progress; Parquet
// goes to readParquet. An object that could not be opened counts as failed.
func readObject(ctx context.Context, s flowlog.Source, ob opened, opts flowlog.Options, prog *Progress, emit flowlog.Emit) (*flowlog.Stats, error) {
	if ob.err != nil {
		return unopened(ob, prog)
	}
	rc := ob.rc
	defer rc.Close()
	st, err := flowlog.DecodeStream(ctx, &progressReader{r: rc, n: &prog.BytesRead}, s.Name, opts, counted(prog, flowlog.StampPartition(s, emit)))
	prog.Objects.Add(1)
	return st, err
}

// unopened is the accounting of an object that could not be opened.
func unopened(ob opened, prog *Progress) (*flowlog.Stats, error) {
	prog.Objects.Add(1)
	return &flowlog.Stats{Objects: 1, ObjectsFailed: 1}, &openError{ob.err}
}

// counted counts the records of each batch as progress before emitting it.
func counted(prog *Progress, emit flowlog.Emit) flowlog.Emit {
	return func(b arrow.RecordBatch) error {
		prog.Records.Add(b.NumRows())
		return emit(b)
	}
}

// partJob is one row group of a Parquet object to decode.
type partJob struct {
	src  flowlog.Source // its partition values are stamped on the batches
	po   *flowlog.ParquetObject
	i    int
	res  []partResult
	stop *atomic.Int64 // the first row group whose fault ends the run; those after it are not read
	wg   *sync.WaitGroup
}

type partResult struct {
	st  *flowlog.Stats
	err error
}

// run decodes the row group into emit.
func (j partJob) run(ctx context.Context, emit flowlog.Emit) {
	defer j.wg.Done()
	if ctx.Err() != nil || int64(j.i) > j.stop.Load() {
		return
	}
	st, err := j.po.DecodePart(ctx, j.i, flowlog.StampPartition(j.src, emit))
	j.res[j.i] = partResult{st, err}
	if err != nil && !isObjectError(err) {
		for old := j.stop.Load(); int64(j.i) < old && !j.stop.CompareAndSwap(old, int64(j.i)); old = j.stop.Load() {
		}
	}
}

// readParquet decodes an opened Parquet object by row groups, each handed to do (which runs it or
// gives it to a worker; false when the run is stopping), and waits for them all. A damaged row
// group costs that row group alone: the others are still read, whatever the order in which the
// workers take them, and the object is named as failed with the first fault in file order. A fault
// that ends the run (a strict-mode malformed row, the memory budget) stops the row groups after it
// from starting; the one reported is the first in file order.
func readParquet(ctx context.Context, s flowlog.Source, ob opened, opts flowlog.Options, prog *Progress, do func(partJob) bool) (*flowlog.Stats, error) {
	if ob.err != nil {
		return unopened(ob, prog)
	}
	defer ob.close()
	defer prog.Objects.Add(1)
	po, st, err := flowlog.OpenParquetSource(s, ob.rc, opts)
	if err != nil {
		prog.BytesRead.Add(st.BytesRead)
		return st, err
	}
	defer po.Close()
	res := make([]partResult, po.Parts())
	var stop atomic.Int64
	stop.Store(math.MaxInt64)
	var wg sync.WaitGroup
	for i := range res {
		if !opts.RowGroupShard.Mine(s.Name, i) {
			res[i].st = &flowlog.Stats{} // another shard's row group
			continue
		}
		wg.Add(1)
		if !do(partJob{src: s, po: po, i: i, res: res, stop: &stop, wg: &wg}) {
			wg.Done()
			break
		}
	}
	wg.Wait()
	parts := make([]*flowlog.Stats, len(res))
	var objErr, fatal error
	for i, r := range res {
		parts[i] = r.st
		switch {
		case r.err == nil:
		case isObjectError(r.err):
			objErr = cmp.Or(objErr, r.err)
		default:
			fatal = cmp.Or(fatal, r.err)
		}
	}
	if fatal == nil && objErr == nil {
		fatal = ctx.Err() // a run stopped elsewhere: some row groups were not read
	}
	st, err = po.Result(parts, cmp.Or(fatal, objErr))
	if !opts.RowGroupShard.Mine(s.Name, 0) {
		// The object is counted by its first row group's shard.
		st.Objects, st.BytesRead, st.RowsSkipped = 0, 0, 0
	}
	prog.BytesRead.Add(st.BytesRead)
	return st, err
}

type progressReader struct {
	r io.Reader
	n *atomic.Int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n.Add(int64(n))
	return n, err
}
