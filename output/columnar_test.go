package output_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/parquet-go/parquet-go"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/output"
)

// decodedBatches decodes dir (one layout) and returns its batches (retained) and their JSON Lines.
func decodedBatches(t *testing.T, args []string) ([]arrow.RecordBatch, []map[string]any) {
	t.Helper()
	src, err := flowlog.ExpandLocal(args)
	if err != nil {
		t.Fatal(err)
	}
	var recs []arrow.RecordBatch
	var jl bytes.Buffer
	rw, _ := output.NewRowWriter(&jl, output.JSONL)
	_, _, err = flowlog.DecodeSources(context.Background(), src, flowlog.Options{BatchRows: 1000}, func(r arrow.RecordBatch) error {
		r.Retain()
		recs = append(recs, r)
		return rw.Write(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	rw.Close()
	var rows []map[string]any
	dec := json.NewDecoder(&jl)
	for {
		var m map[string]any
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, m)
	}
	return recs, rows
}

func v5Data(t *testing.T) string {
	dir := t.TempDir()
	if _, err := synth.Generate(synth.Config{Dir: dir, Seed: 2, Records: 5000, Objects: 2, Fields: flowlog.V5Layout,
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestParquetRoundTrip writes decoded batches as Parquet, reads the file back with parquet-go, and
// checks the Athena types and every value against the JSON Lines of the same batches.
func TestParquetRoundTrip(t *testing.T) {
	recs, want := decodedBatches(t, []string{v5Data(t)})
	var buf bytes.Buffer
	pw := output.NewParquetWriter(&buf)
	for _, r := range recs {
		if err := pw.Write(r); err != nil {
			t.Fatal(err)
		}
		r.Release()
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for _, c := range f.Schema().Fields() {
		types[c.Name()] = c.Type().String()
		if !c.Optional() {
			t.Errorf("column %s is not optional", c.Name())
		}
	}
	for col, typ := range map[string]string{"srcaddr": "STRING", "dstport": "INT(32,true)", "protocol": "INT(32,true)", "bytes": "INT(64,true)",
		"start": "INT(64,true)", "account_id": "STRING", "pkt_srcaddr": "STRING", "traffic_path": "INT(32,true)"} {
		if types[col] != typ {
			t.Errorf("column %s has type %s, want %s", col, types[col], typ)
		}
	}
	cols := f.Schema().Columns()
	r := parquet.NewReader(bytes.NewReader(buf.Bytes()))
	defer r.Close()
	rows := make([]parquet.Row, 100)
	i := 0
	for {
		n, err := r.ReadRows(rows)
		for _, row := range rows[:n] {
			got := map[string]any{}
			for _, v := range row {
				name := cols[v.Column()][0]
				switch {
				case v.IsNull():
					got[name] = nil
				case v.Kind() == parquet.ByteArray:
					got[name] = string(v.ByteArray())
				case v.Kind() == parquet.Int32:
					got[name] = float64(v.Int32())
				default:
					got[name] = float64(v.Int64())
				}
			}
			if i >= len(want) {
				t.Fatalf("more rows than written")
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want[i])
			if string(g) != string(w) {
				t.Fatalf("row %d:\n got  %s\n want %s", i, g, w)
			}
			i++
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if i != len(want) || f.NumRows() != int64(len(want)) {
		t.Fatalf("%d rows read, %d in the file, %d written", i, f.NumRows(), len(want))
	}
}

// TestArrowRoundTrip writes an Arrow IPC stream and reads it back: same values, strings as utf8,
// addresses as 16-byte values marked as ip.
func TestArrowRoundTrip(t *testing.T) {
	recs, want := decodedBatches(t, []string{v5Data(t)})
	var buf bytes.Buffer
	aw := output.NewArrowWriter(&buf)
	for _, r := range recs {
		if err := aw.Write(r); err != nil {
			t.Fatal(err)
		}
		r.Release()
	}
	if err := aw.Close(); err != nil {
		t.Fatal(err)
	}
	rd, err := ipc.NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	s := rd.Schema()
	if f, _ := s.FieldsByName("account_id"); len(f) != 1 || f[0].Type.ID() != arrow.STRING {
		t.Errorf("account_id: %v", f)
	}
	if f, _ := s.FieldsByName("srcaddr"); len(f) != 1 || f[0].Type.ID() != arrow.FIXED_SIZE_BINARY {
		t.Errorf("srcaddr: %v", f)
	}
	var jl bytes.Buffer
	rw, _ := output.NewRowWriter(&jl, output.JSONL)
	for rd.Next() {
		if err := rw.Write(rd.RecordBatch()); err != nil {
			t.Fatal(err)
		}
	}
	if rd.Err() != nil {
		t.Fatal(rd.Err())
	}
	rw.Close()
	lines := strings.Split(strings.TrimSpace(jl.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d rows back, %d written", len(lines), len(want))
	}
	for i, l := range lines {
		var got map[string]any
		json.Unmarshal([]byte(l), &got)
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want[i])
		if string(g) != string(w) {
			t.Fatalf("row %d:\n got  %s\n want %s", i, g, w)
		}
	}
}

// TestJSONArray: --format json is one array of the JSON Lines objects; an empty input is [].
func TestJSONArray(t *testing.T) {
	recs, want := decodedBatches(t, []string{"../testdata/peer/elastic-beats/accept-reject-traffic.log"})
	var buf bytes.Buffer
	rw, _ := output.NewRowWriter(&buf, output.JSON)
	for _, r := range recs {
		rw.Write(r)
		r.Release()
	}
	rw.Close()
	var got []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil || len(got) != len(want) {
		t.Fatalf("%v: %d rows, want %d:\n%s", err, len(got), len(want), buf.String())
	}
	buf.Reset()
	rw, _ = output.NewRowWriter(&buf, output.JSON)
	rw.Close()
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil || len(got) != 0 {
		t.Fatalf("empty: %q", buf.String())
	}
}

// TestColumnarOneLayout: a second layout in one Parquet file or Arrow stream is an error.
func TestColumnarOneLayout(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.log"), []byte("version srcaddr\n2 10.0.0.1\nversion dstaddr\n2 10.0.0.2\n"), 0o644)
	recs, _ := decodedBatches(t, []string{dir})
	if len(recs) != 2 {
		t.Fatalf("%d batches", len(recs))
	}
	pw := output.NewParquetWriter(io.Discard)
	aw := output.NewArrowWriter(io.Discard)
	if pw.Write(recs[0]) != nil || aw.Write(recs[0]) != nil {
		t.Fatal("first batch refused")
	}
	if err := pw.Write(recs[1]); err == nil || !strings.Contains(err.Error(), "one layout") {
		t.Errorf("parquet: %v", err)
	}
	if err := aw.Write(recs[1]); err == nil || !strings.Contains(err.Error(), "one layout") {
		t.Errorf("arrow: %v", err)
	}
	pw.Close()
	aw.Close()
	for _, r := range recs {
		r.Release()
	}
}
