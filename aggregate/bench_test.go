package aggregate_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/report"
)

var (
	benchOnce    sync.Once
	benchBatches []arrow.RecordBatch
	benchRows    int64
	benchText    int64
)

// batches decodes 1 M generated records (default layout) once, keeping the fields the report reads;
// FLOWLENS_BENCH_RECORDS sets another count (tables of millions of groups, beyond the caches, need
// several million records).
func batches(b *testing.B) []arrow.RecordBatch {
	benchOnce.Do(func() {
		records := int64(1_000_000)
		if v := os.Getenv("FLOWLENS_BENCH_RECORDS"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				b.Fatalf("FLOWLENS_BENCH_RECORDS=%q: not a positive number", v)
			}
			records = n
		}
		dir, err := os.MkdirTemp("", "flowlens-bench-")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir)
		if _, err := synth.Generate(synth.Config{Dir: dir, Seed: 42, Records: records, Objects: 1, Fields: flowlog.DefaultLayout,
			Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: false, NATInstanceCopies: true}); err != nil {
			b.Fatal(err)
		}
		e, _ := aggregate.New(aggregate.Config{Specs: report.Specs(report.Options{})})
		src, _ := flowlog.ExpandLocal([]string{dir})
		st, _, err := flowlog.DecodeSources(context.Background(), src, flowlog.Options{Need: e.Need()}, func(r arrow.RecordBatch) error {
			r.Retain()
			benchBatches = append(benchBatches, r)
			benchRows += r.NumRows()
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		benchText = st.BytesText
	})
	return benchBatches
}

// BenchmarkAggregate runs the standard report's group-bys over decoded batches, merge included:
// the cost of aggregation alone, per record.
func BenchmarkAggregate(b *testing.B) {
	recs := batches(b)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("report/workers=%d", workers), func(b *testing.B) {
			b.SetBytes(benchText)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				e, _ := aggregate.New(aggregate.Config{Specs: report.Specs(report.Options{})})
				ws := e.NewWorkers(workers)
				var wg sync.WaitGroup
				for wi, w := range ws {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for k := wi; k < len(recs); k += workers {
							if err := w.Add(recs[k]); err != nil {
								b.Error(err)
							}
						}
						w.Done()
						if err := w.Drain(); err != nil {
							b.Error(err)
						}
					}()
				}
				wg.Wait()
				if _, err := e.Merge(ws); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
