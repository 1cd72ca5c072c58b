package flowlog_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/klauspost/compress/gzip"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
)

// benchData is generated once per layout: plain text and its gzip (level 6, one member).
type benchData struct {
	text, gz []byte
	records  int64
}

var (
	benchOnce  sync.Map
	benchCache sync.Map
)

const benchRecords = 1_000_000

func getBenchData(b *testing.B, name string, l *flowlog.Layout) *benchData {
	once, _ := benchOnce.LoadOrStore(name, &sync.Once{})
	once.(*sync.Once).Do(func() {
		dir, err := os.MkdirTemp("", "flowlens-bench-")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir)
		m, err := synth.Generate(synth.Config{Dir: dir, Seed: 42, Records: benchRecords, Objects: 1, Fields: l,
			Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, NATInstanceCopies: true, Gzip: true})
		if err != nil {
			b.Fatal(err)
		}
		gz, err := os.ReadFile(filepath.Join(dir, m.Objects[0]))
		if err != nil {
			b.Fatal(err)
		}
		zr, _ := gzip.NewReader(bytes.NewReader(gz))
		text, _ := io.ReadAll(zr)
		benchCache.Store(name, &benchData{text: text, gz: gz, records: m.Records + m.NoData + m.SkipData})
	})
	v, _ := benchCache.Load(name)
	return v.(*benchData)
}

var layouts = []struct {
	name string
	l    *flowlog.Layout
}{{"v2", flowlog.DefaultLayout}, {"v5", flowlog.V5Layout}}

func runDecode(b *testing.B, in []byte, textBytes int, records int64, opts flowlog.Options) {
	b.SetBytes(int64(textBytes))
	b.ReportAllocs()
	b.ResetTimer()
	var rows int64
	for i := 0; i < b.N; i++ {
		st, err := flowlog.DecodeStream(context.Background(), bytes.NewReader(in), "bench", opts, func(r arrow.RecordBatch) error {
			rows += r.NumRows()
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if st.Records+st.NoData+st.SkipData != records {
			b.Fatalf("decoded %d records, want %d", st.Records, records)
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkDecode decodes plain text from memory into Arrow batches.
func BenchmarkDecode(b *testing.B) {
	benchDecode(b, func(d *benchData) []byte { return d.text })
}

// reportNeed is what the standard report reads.
var reportNeed = []flowlog.FieldID{flowlog.FInterfaceID, flowlog.FSrcAddr, flowlog.FDstAddr, flowlog.FDstPort,
	flowlog.FProtocol, flowlog.FPackets, flowlog.FBytes, flowlog.FStart, flowlog.FEnd, flowlog.FAction, flowlog.FLogStatus}

// BenchmarkDecodeNeed decodes plain text keeping only the fields the report reads (one worker).
func BenchmarkDecodeNeed(b *testing.B) {
	for _, l := range layouts {
		for _, need := range []string{"all", "report"} {
			b.Run(fmt.Sprintf("layout=%s/need=%s", l.name, need), func(b *testing.B) {
				d := getBenchData(b, l.name, l.l)
				opts := flowlog.Options{}
				if need == "report" {
					opts.Need = reportNeed
				}
				runDecode(b, d.text, len(d.text), d.records, opts)
			})
		}
	}
}

// BenchmarkDecodeGzip decodes one gzip object; with workers > 1 one goroutine decompresses.
func BenchmarkDecodeGzip(b *testing.B) {
	benchDecode(b, func(d *benchData) []byte { return d.gz })
}

func benchDecode(b *testing.B, input func(*benchData) []byte) {
	for _, l := range layouts {
		for _, w := range []int{1, 2} {
			b.Run(fmt.Sprintf("layout=%s/workers=%d", l.name, w), func(b *testing.B) {
				d := getBenchData(b, l.name, l.l)
				runDecode(b, input(d), len(d.text), d.records, flowlog.Options{Workers: w})
			})
		}
	}
}

// BenchmarkGunzip is the floor for gzip input: klauspost gunzip alone over the same object.
func BenchmarkGunzip(b *testing.B) {
	for _, l := range layouts {
		b.Run("layout="+l.name, func(b *testing.B) {
			d := getBenchData(b, l.name, l.l)
			b.SetBytes(int64(len(d.text)))
			b.ReportAllocs()
			zr, _ := gzip.NewReader(bytes.NewReader(d.gz))
			buf := make([]byte, 1<<20)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				zr.Reset(bytes.NewReader(d.gz))
				if _, err := io.CopyBuffer(io.Discard, zr, buf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(d.records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
