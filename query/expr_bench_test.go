package query

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/query/sql"
)

// filterBatches decodes 1 M generated v5 records once.
func filterBatches(b *testing.B) ([]arrow.RecordBatch, int64) {
	b.Helper()
	dir := b.TempDir()
	if _, err := synth.Generate(synth.Config{Dir: dir, Seed: 3, Records: 1_000_000, Objects: 1, Fields: flowlog.V5Layout,
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true}); err != nil {
		b.Fatal(err)
	}
	srcs, err := flowlog.ExpandLocal([]string{dir})
	if err != nil {
		b.Fatal(err)
	}
	var recs []arrow.RecordBatch
	var n int64
	_, _, err = flowlog.DecodeSources(context.Background(), srcs, flowlog.Options{}, func(r arrow.RecordBatch) error {
		r.Retain()
		recs = append(recs, r)
		n += r.NumRows()
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	os.RemoveAll(dir)
	return recs, n
}

// BenchmarkFilter evaluates WHERE clauses on decoded batches: records/s of one goroutine.
func BenchmarkFilter(b *testing.B) {
	recs, n := filterBatches(b)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for _, c := range []struct{ name, where string }{
		{"string-eq", "action = 'REJECT'"},
		{"port-in", "dstport IN (22, 443, 3389)"},
		{"cidr-and-int", "contains('10.0.0.0/8', srcaddr) AND bytes > 1000"},
		{"addr-eq", "dstaddr = '10.0.1.5'"},
		{"like-prefix", "interface_id LIKE 'eni-0a%'"},
		{"time-range", "from_unixtime(start) >= TIMESTAMP '2026-11-01 06:00:00' AND from_unixtime(start) < TIMESTAMP '2026-11-01 18:00:00'"},
		{"or-not", "NOT (action = 'ACCEPT' OR protocol = 17)"},
	} {
		b.Run(c.name, func(b *testing.B) {
			stmt, err := sql.Parse("SELECT * FROM t WHERE " + c.where)
			if err != nil {
				b.Fatal(err)
			}
			f, err := newExprFilter(newEnv("", time.UTC), stmt.Where)
			if err != nil {
				b.Fatal(err)
			}
			s := f.New()
			var sel, out []int32
			b.ReportAllocs()
			b.ResetTimer()
			kept := 0
			for range b.N {
				for _, r := range recs {
					sel = sel[:0]
					for i := int32(0); i < int32(r.NumRows()); i++ {
						sel = append(sel, i)
					}
					out = s.Select(r, sel, out)
					kept += len(out)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(kept)/float64(b.N)/float64(n), "kept")
		})
	}
}
