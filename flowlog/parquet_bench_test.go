package flowlog_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/output"
)

// benchParquetRowGroup makes the bench files hold several row groups (4 of the 1 M records), so that
// row groups can be decoded in parallel; flowlens convert writes groups of up to 1 Mi rows.
const benchParquetRowGroup = 1 << 18

var benchParquet sync.Map // layout name -> []byte

// getBenchParquet is the bench data of a layout as flowlens convert writes it (ZSTD, Athena types).
func getBenchParquet(b *testing.B, name string, l *flowlog.Layout) []byte {
	if v, ok := benchParquet.Load(name); ok {
		return v.([]byte)
	}
	d := getBenchData(b, name, l)
	var buf bytes.Buffer
	pw, err := output.NewParquetWriterOptions(&buf, output.ParquetOptions{RowGroupRows: benchParquetRowGroup})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := flowlog.DecodeStream(context.Background(), bytes.NewReader(d.text), "bench", flowlog.Options{}, pw.Write); err != nil {
		b.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		b.Fatal(err)
	}
	benchParquet.Store(name, buf.Bytes())
	return buf.Bytes()
}

// BenchmarkDecodeParquet decodes a Parquet file from memory keeping the fields the report reads.
// The bytes are those of the same records as text, so that MB/s compares with BenchmarkDecodeGzip;
// file-bytes is the size of the Parquet file.
func BenchmarkDecodeParquet(b *testing.B) {
	for _, l := range layouts {
		for _, w := range []int{1, 2} {
			b.Run(fmt.Sprintf("layout=%s/workers=%d", l.name, w), func(b *testing.B) {
				d := getBenchData(b, l.name, l.l)
				pq := getBenchParquet(b, l.name, l.l)
				runDecodeParquet(b, pq, len(d.text), d.records, flowlog.Options{Workers: w, Need: reportNeed})
			})
		}
	}
}

func runDecodeParquet(b *testing.B, pq []byte, textBytes int, records int64, opts flowlog.Options) {
	b.SetBytes(int64(textBytes))
	b.ReportAllocs()
	b.ResetTimer()
	var rows int64
	for i := 0; i < b.N; i++ {
		st, err := flowlog.DecodeParquet(context.Background(), bytes.NewReader(pq), int64(len(pq)), "bench.parquet", opts, func(r arrow.RecordBatch) error {
			rows += r.NumRows()
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if st.Records+st.NoData+st.SkipData != records {
			b.Fatalf("decoded %d records, want %d", st.Records+st.NoData+st.SkipData, records)
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(len(pq)), "file-bytes")
}
