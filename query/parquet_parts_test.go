package query_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/parquet-go/parquet-go"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/output"
	"github.com/flowlens/flowlens/query"
)

// partsQueries read one string column, addresses (a group-by sharded between workers), times and
// a filter.
var partsQueries = []string{
	"SELECT interface_id, sum(bytes) AS b, count(*) AS n FROM t GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20",
	"SELECT srcaddr, dstaddr, sum(bytes) AS b, sum(packets) AS p FROM t GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 50",
	"SELECT action, count(*), sum(bytes), min(start), max(\"end\") FROM t GROUP BY 1 ORDER BY 1",
	"SELECT date_trunc('hour', from_unixtime(start)) AS h, count(*) FROM t WHERE action = 'REJECT' GROUP BY 1 ORDER BY 1",
	"SELECT count(*), count(DISTINCT srcaddr) FROM t",
}

// writeParquet writes the batches, less rows [cutFrom, cutTo) of the whole, as one Parquet file of
// row groups of rgRows rows.
func writeParquet(t *testing.T, path string, recs []arrow.RecordBatch, rgRows, cutFrom, cutTo int64) {
	t.Helper()
	var buf bytes.Buffer
	pw, err := output.NewParquetWriterOptions(&buf, output.ParquetOptions{RowGroupRows: rgRows})
	if err != nil {
		t.Fatal(err)
	}
	var at int64
	for _, r := range recs {
		n := r.NumRows()
		parts := [][2]int64{{0, n}}
		if lo, hi := max(cutFrom-at, 0), min(cutTo-at, n); lo < hi {
			parts = [][2]int64{{0, lo}, {hi, n}}
		}
		for _, p := range parts {
			if p[0] < p[1] {
				s := r.NewSlice(p[0], p[1])
				if err := pw.Write(s); err != nil {
					t.Fatal(err)
				}
				s.Release()
			}
		}
		at += n
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestParquetRowGroupsAsText: aggregations over a Parquet object of many row groups, which the
// workers take a row group each (decoding and aggregating it themselves), answer as over the same
// records in gzip text, with the same accounting, for 1 to 4 workers. A damaged row group costs that
// row group alone: the object is named as failed, and the answers are those of the file without
// that row group, whatever the worker count.
func TestParquetRowGroupsAsText(t *testing.T) {
	dir := t.TempDir()
	textDir := filepath.Join(dir, "text")
	if _, err := synth.Generate(synth.Config{Dir: textDir, Seed: 3, Records: 12000, Objects: 2, Fields: flowlog.DefaultLayout,
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true}); err != nil {
		t.Fatal(err)
	}
	recs := decodeAll(t, textDir)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	const rg = 1000
	whole := filepath.Join(dir, "whole.parquet")
	writeParquet(t, whole, recs, rg, 0, 0)
	// Row group 5 damaged; the same file without it.
	const bad = 5
	cut := filepath.Join(dir, "cut.parquet")
	writeParquet(t, cut, recs, rg, bad*rg, (bad+1)*rg)
	data, err := os.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.RowGroups()); n < 10 {
		t.Fatalf("%d row groups", n)
	}
	// Every column chunk of the row group: its page headers become garbage.
	for _, c := range f.Metadata().RowGroups[bad].Columns {
		off := c.MetaData.DataPageOffset
		if c.MetaData.DictionaryPageOffset != 0 {
			off = c.MetaData.DictionaryPageOffset
		}
		copy(data[off:], bytes.Repeat([]byte{0xff}, 16))
	}
	damaged := filepath.Join(dir, "damaged.parquet")
	if err := os.WriteFile(damaged, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sources := func(paths ...string) []flowlog.Source {
		s, err := flowlog.ExpandLocal(paths)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	run := func(src []flowlog.Source, q string, w int) (string, *query.Result) {
		t.Helper()
		p, err := query.PlanSQL(q, time.UTC)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		res, err := p.Run(context.Background(), src, query.RunOptions{Workers: w})
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer res.Release()
		cols, rows := sqRead(t, res, time.UTC)
		if len(rows) == 0 {
			t.Fatalf("%s: no rows", q)
		}
		return fmt.Sprint(cols, rows), res
	}
	for _, q := range partsQueries {
		want, wres := run(sources(textDir), q, 2)
		wantCut, cres := run(sources(cut), q, 1)
		if wantCut == want {
			t.Fatalf("%s: the cut row group changes nothing", q)
		}
		for w := 1; w <= 4; w++ {
			got, res := run(sources(whole), q, w)
			if got != want {
				t.Errorf("%s, %d workers:\n got  %s\n want %s", q, w, got, want)
			}
			if st, ws := res.Stats, wres.Stats; st.Records != ws.Records || st.NoData != ws.NoData || st.SkipData != ws.SkipData || len(res.Failed) != 0 {
				t.Errorf("%s, %d workers: stats %+v, failed %v; text %+v", q, w, st, res.Failed, ws)
			}
			got, res = run(sources(damaged), q, w)
			if got != wantCut {
				t.Errorf("damaged, %s, %d workers:\n got  %s\n want %s", q, w, got, wantCut)
			}
			if len(res.Failed) != 1 || res.Failed[0].Object != damaged || res.Stats.ObjectsFailed != 1 {
				t.Errorf("damaged, %s, %d workers: failed %v, stats %+v", q, w, res.Failed, res.Stats)
			} else if msg := res.Failed[0].Err.Error(); !bytes.Contains([]byte(msg), []byte(fmt.Sprintf("row group %d", bad))) {
				t.Errorf("damaged, %d workers: %s", w, msg)
			}
			if st, cs := res.Stats, cres.Stats; st.Records != cs.Records || st.Lines != cs.Lines {
				t.Errorf("damaged, %s, %d workers: stats %+v; without the row group %+v", q, w, st, cs)
			}
		}
	}
}

// decodeAll decodes the objects under dir into retained batches.
func decodeAll(t *testing.T, dir string) []arrow.RecordBatch {
	t.Helper()
	src, err := flowlog.ExpandLocal([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var recs []arrow.RecordBatch
	if _, _, err := flowlog.DecodeSources(context.Background(), src, flowlog.Options{BatchRows: 1000}, func(r arrow.RecordBatch) error {
		r.Retain()
		recs = append(recs, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return recs
}
