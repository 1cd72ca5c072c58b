// Package stages measures each stage of answering a question over flow-log text, one core, in
// ns/record: inflate, split, decode, aggregate. Its benchmarks are the figures of
// docs/performance.md's per-stage table.
package stages

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	kgzip "github.com/klauspost/compress/gzip"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
)

const records = 1_000_000

type dataSet struct {
	gz      []byte // one gzip object
	text    []byte // its text
	records int64
}

var (
	dataOnce sync.Once
	sets     map[string]*dataSet
)

func data(b *testing.B, spread string) *dataSet {
	dataOnce.Do(func() {
		sets = map[string]*dataSet{}
		for _, sp := range []string{"skewed", "random"} {
			dir := b.TempDir()
			m, err := synth.Generate(synth.Config{Dir: dir, Seed: 1, Records: records, Objects: 1, Fields: flowlog.DefaultLayout,
				Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true, Spread: sp})
			if err != nil {
				b.Fatal(err)
			}
			gz, err := os.ReadFile(filepath.Join(dir, m.Objects[0]))
			if err != nil {
				b.Fatal(err)
			}
			zr, _ := kgzip.NewReader(bytes.NewReader(gz))
			text, _ := io.ReadAll(zr)
			sets[sp] = &dataSet{gz: gz, text: text, records: m.Records}
		}
	})
	return sets[spread]
}

// questions are the group-bys measured: the bench/compare single questions the engine answers alone.
var questions = []struct {
	name string
	spec aggregate.Spec
}{
	{"interfaces", aggregate.Spec{Name: "q", Keys: []aggregate.Key{{Field: flowlog.FInterfaceID}}, Measures: []aggregate.Measure{aggregate.Bytes}}},
	{"conversations", aggregate.Spec{Name: "q", Keys: []aggregate.Key{{Field: flowlog.FSrcAddr}, {Field: flowlog.FDstAddr}}, Measures: []aggregate.Measure{aggregate.Bytes}}},
	{"hours", aggregate.Spec{Name: "q", Keys: []aggregate.Key{{Field: flowlog.FStart, Trunc: aggregate.TruncHour}}, Measures: []aggregate.Measure{aggregate.Bytes}}},
}

func perRecord(b *testing.B, ds *dataSet) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(ds.records), "ns/record")
	b.ReportMetric(float64(ds.records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkInflate is klauspost gunzip alone.
func BenchmarkInflate(b *testing.B) {
	for _, sp := range []string{"skewed", "random"} {
		b.Run(sp, func(b *testing.B) {
			ds := data(b, sp)
			b.SetBytes(int64(len(ds.gz)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				zr, _ := kgzip.NewReader(bytes.NewReader(ds.gz))
				io.Copy(io.Discard, zr)
			}
			perRecord(b, ds)
		})
	}
}

// BenchmarkSplit finds the lines and nothing else: the floor of any line-by-line work.
func BenchmarkSplit(b *testing.B) {
	for _, sp := range []string{"skewed", "random"} {
		b.Run(sp, func(b *testing.B) {
			ds := data(b, sp)
			b.SetBytes(int64(len(ds.text)))
			b.ReportAllocs()
			n := 0
			for i := 0; i < b.N; i++ {
				t := ds.text
				for len(t) > 0 {
					j := bytes.IndexByte(t, '\n')
					if j < 0 {
						break
					}
					t = t[j+1:]
					n++
				}
			}
			perRecord(b, ds)
		})
	}
}

// run decodes the text of ds in blocks as DecodeStream does, and hands the batches to add.
func run(b *testing.B, ds *dataSet, need []flowlog.FieldID, add func(arrow.RecordBatch) error) {
	st, err := flowlog.DecodeStream(context.Background(), bytes.NewReader(ds.text), "bench.log", flowlog.Options{Need: need, Workers: 1}, func(r arrow.RecordBatch) error {
		defer r.Release()
		return add(r)
	})
	if err != nil || st.Malformed > 0 {
		b.Fatal(err, st.Malformed)
	}
}

// BenchmarkDecode decodes the fields a question reads into Arrow batches.
func BenchmarkDecode(b *testing.B) {
	for _, sp := range []string{"skewed", "random"} {
		for _, q := range questions {
			b.Run(sp+"/"+q.name, func(b *testing.B) {
				ds := data(b, sp)
				e, _ := aggregate.New(aggregate.Config{Specs: []aggregate.Spec{q.spec}})
				b.SetBytes(int64(len(ds.text)))
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					run(b, ds, e.Need(), func(arrow.RecordBatch) error { return nil })
				}
				perRecord(b, ds)
			})
		}
	}
}

// BenchmarkQuestion decodes and aggregates: the whole question after inflation, one worker.
func BenchmarkQuestion(b *testing.B) {
	for _, sp := range []string{"skewed", "random"} {
		for _, q := range questions {
			b.Run(sp+"/"+q.name, func(b *testing.B) {
				ds := data(b, sp)
				b.SetBytes(int64(len(ds.text)))
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					e, _ := aggregate.New(aggregate.Config{Specs: []aggregate.Spec{q.spec}})
					w := e.NewWorker()
					run(b, ds, e.Need(), w.Add)
					if _, err := e.Merge([]*aggregate.Worker{w}); err != nil {
						b.Fatal(err)
					}
				}
				perRecord(b, ds)
			})
		}
	}
}
