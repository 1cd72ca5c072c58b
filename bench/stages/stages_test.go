// Package stages measures each stage of answering a question over flow-log text on one core, in
// ns/record: inflate (klauspost), split into lines, decode the fields a question reads into Arrow
// batches, and decode plus aggregate. Its figures are docs/performance.md's per-stage table:
//
//	go test -run '^$' -bench . -benchtime 3x ./bench/stages/
//
// Aggregation alone is the difference between Question and Decode of the same question;
// DecodeNothing is the structural pass every line gets whatever the question; ReportSpec is the
// cost of each of the report's group-bys alone. The data
// sets are bench/compare's, 1 M records each: v2 (skewed), v5 (skewed, 29 fields), v2-random.
package stages

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	kgzip "github.com/klauspost/compress/gzip"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/report"
)

const records = 1_000_000

type dataSet struct {
	gz      []byte // one gzip object
	text    []byte // its text
	records int64  // its record lines (NODATA and SKIPDATA included)
}

var (
	dataMu sync.Mutex
	sets   = map[string]*dataSet{}
)

var setNames = []string{"v2", "v5", "v2-random"}

func data(b *testing.B, name string) *dataSet {
	dataMu.Lock()
	defer dataMu.Unlock()
	if ds := sets[name]; ds != nil {
		return ds
	}
	cfg := synth.Config{Dir: b.TempDir(), Seed: 1, Records: records, Objects: 1, Fields: flowlog.DefaultLayout,
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true, NATInstanceCopies: true}
	switch name {
	case "v5":
		cfg.Fields = flowlog.V5Layout
	case "v2-random":
		cfg.Spread = "random"
	}
	m, err := synth.Generate(cfg)
	if err != nil {
		b.Fatal(err)
	}
	gz, err := os.ReadFile(filepath.Join(cfg.Dir, m.Objects[0]))
	if err != nil {
		b.Fatal(err)
	}
	zr, _ := kgzip.NewReader(bytes.NewReader(gz))
	text, _ := io.ReadAll(zr)
	ds := &dataSet{gz: gz, text: text, records: m.Records + m.NoData + m.SkipData}
	sets[name] = ds
	return ds
}

// questions are the group-bys measured: bench/compare's single questions that the engine answers
// alone, and the standard report's group-bys (without the NAT analysis).
var questions = []struct {
	name  string
	specs []aggregate.Spec
}{
	{"interfaces", []aggregate.Spec{{Name: "q", Keys: []aggregate.Key{{Field: flowlog.FInterfaceID}}, Measures: []aggregate.Measure{aggregate.Bytes}}}},
	{"conversations", []aggregate.Spec{{Name: "q", Keys: []aggregate.Key{{Field: flowlog.FSrcAddr}, {Field: flowlog.FDstAddr}}, Measures: []aggregate.Measure{aggregate.Bytes}}}},
	{"hours", []aggregate.Spec{{Name: "q", Keys: []aggregate.Key{{Field: flowlog.FStart, Trunc: aggregate.TruncHour}}, Measures: []aggregate.Measure{aggregate.Bytes, aggregate.Flows}}}},
	{"report", report.Specs(report.Options{})},
}

// perRecord reports ns/record (wall) and cpu-ns/record: the process's CPU time over the
// benchmark's loop (every benchmark calls startCPU first), which other processes on a shared
// machine disturb much less than the wall clock.
func perRecord(b *testing.B, ds *dataSet) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(ds.records), "ns/record")
	b.ReportMetric(float64(ds.records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(cpuNanos()-cpuStart)/float64(b.N)/float64(ds.records), "cpu-ns/record")
}

var cpuStart int64

// startCPU notes the process's CPU time and resets the benchmark's timer: call it after the set-up.
func startCPU(b *testing.B) {
	b.ResetTimer()
	cpuStart = cpuNanos()
}

func cpuNanos() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkInflate is klauspost gunzip alone: the floor of the pure-Go build.
func BenchmarkInflate(b *testing.B) {
	for _, name := range setNames {
		b.Run(name, func(b *testing.B) {
			ds := data(b, name)
			b.SetBytes(int64(len(ds.gz)))
			b.ReportAllocs()
			zr, _ := kgzip.NewReader(bytes.NewReader(ds.gz))
			buf := make([]byte, 1<<20)
			startCPU(b)
			for i := 0; i < b.N; i++ {
				zr.Reset(bytes.NewReader(ds.gz))
				io.CopyBuffer(io.Discard, zr, buf)
			}
			perRecord(b, ds)
		})
	}
}

// BenchmarkSplit finds the lines and nothing else: the floor of any line-by-line work.
func BenchmarkSplit(b *testing.B) {
	for _, name := range setNames {
		b.Run(name, func(b *testing.B) {
			ds := data(b, name)
			b.SetBytes(int64(len(ds.text)))
			b.ReportAllocs()
			startCPU(b)
			for i := 0; i < b.N; i++ {
				t := ds.text
				for len(t) > 0 {
					j := bytes.IndexByte(t, '\n')
					if j < 0 {
						break
					}
					t = t[j+1:]
				}
			}
			perRecord(b, ds)
		})
	}
}

// decode hands the text of ds to a Decoder in 1 MiB blocks of whole lines, as DecodeStream's
// workers get them (without its reader and its copies), and the batches to add.
func decode(b *testing.B, ds *dataSet, need []flowlog.FieldID, add func(arrow.RecordBatch) error) {
	d := flowlog.NewDecoder("bench.log", flowlog.Options{Need: need})
	defer d.Close()
	text, line := ds.text, int64(1)
	for len(text) > 0 {
		n := min(len(text), 1<<20)
		if k := bytes.LastIndexByte(text[:n], '\n'); k >= 0 && n < len(text) {
			n = k + 1
		}
		block := text[:n]
		text = text[n:]
		if err := d.Decode(block, line); err != nil {
			b.Fatal(err)
		}
		line += int64(bytes.Count(block, []byte{'\n'}))
		for _, r := range d.Take() {
			if err := add(r); err != nil {
				b.Fatal(err)
			}
			r.Release()
		}
	}
	d.Flush()
	for _, r := range d.Take() {
		if err := add(r); err != nil {
			b.Fatal(err)
		}
		r.Release()
	}
	if st := d.Stats(); st.Malformed > 0 {
		b.Fatalf("%d malformed lines", st.Malformed)
	}
}

// BenchmarkDecode decodes the fields a question reads into Arrow batches.
func BenchmarkDecode(b *testing.B) {
	for _, name := range setNames {
		for _, q := range questions {
			b.Run(name+"/"+q.name, func(b *testing.B) {
				ds := data(b, name)
				e, _ := aggregate.New(aggregate.Config{Specs: q.specs})
				b.SetBytes(int64(len(ds.text)))
				b.ReportAllocs()
				startCPU(b)
				for i := 0; i < b.N; i++ {
					decode(b, ds, e.Need(), func(arrow.RecordBatch) error { return nil })
				}
				perRecord(b, ds)
			})
		}
	}
}

// BenchmarkQuestion decodes and aggregates, merge included: the whole question after inflation,
// one worker.
func BenchmarkQuestion(b *testing.B) {
	for _, name := range setNames {
		for _, q := range questions {
			b.Run(name+"/"+q.name, func(b *testing.B) {
				ds := data(b, name)
				b.SetBytes(int64(len(ds.text)))
				b.ReportAllocs()
				startCPU(b)
				for i := 0; i < b.N; i++ {
					e, _ := aggregate.New(aggregate.Config{Specs: q.specs})
					w := e.NewWorker()
					decode(b, ds, e.Need(), w.Add)
					if _, err := e.Merge([]*aggregate.Worker{w}); err != nil {
						b.Fatal(err)
					}
				}
				perRecord(b, ds)
			})
		}
	}
}

// BenchmarkDecodeNothing decodes no field but log-status: the structural pass alone, the floor of
// any path that keeps the accounting, fused or not.
func BenchmarkDecodeNothing(b *testing.B) {
	for _, name := range setNames {
		b.Run(name, func(b *testing.B) {
			ds := data(b, name)
			b.SetBytes(int64(len(ds.text)))
			startCPU(b)
			for i := 0; i < b.N; i++ {
				decode(b, ds, []flowlog.FieldID{flowlog.FLogStatus}, func(arrow.RecordBatch) error { return nil })
			}
			perRecord(b, ds)
		})
	}
}

// BenchmarkReportSpec decodes and aggregates each of the report's group-bys alone: what each costs.
func BenchmarkReportSpec(b *testing.B) {
	for _, s := range report.Specs(report.Options{}) {
		b.Run("v2-random/"+s.Name, func(b *testing.B) {
			ds := data(b, "v2-random")
			startCPU(b)
			for i := 0; i < b.N; i++ {
				e, _ := aggregate.New(aggregate.Config{Specs: []aggregate.Spec{s}})
				w := e.NewWorker()
				decode(b, ds, e.Need(), w.Add)
				e.Merge([]*aggregate.Worker{w})
			}
			perRecord(b, ds)
		})
	}
}
