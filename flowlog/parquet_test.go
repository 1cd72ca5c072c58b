package flowlog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/output"
)

// decodeParquet decodes a Parquet file into JSON Lines, checking for leaks and the accounting.
func decodeParquet(t *testing.T, b []byte, opts flowlog.Options) (string, *flowlog.Stats, error) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	opts.Alloc = mem
	var out bytes.Buffer
	rw, _ := output.NewRowWriter(&out, output.JSONL)
	st, err := flowlog.DecodeParquet(context.Background(), bytes.NewReader(b), int64(len(b)), "t.parquet", opts, func(r arrow.RecordBatch) error { return rw.Write(r) })
	rw.Flush()
	if !st.Balanced() {
		t.Fatalf("accounting does not balance: %+v", st)
	}
	return out.String(), st, err
}

// TestParquetRoundTripDecode: text decoded, written as Parquet by flowlens, decoded again: the same
// records, values and accounting of records.
func TestParquetRoundTripDecode(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Generate(synth.Config{Dir: dir, Seed: 4, Records: 20_000, Objects: 1, Fields: flowlog.V5Layout,
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: false}); err != nil {
		t.Fatal(err)
	}
	src, _ := flowlog.ExpandLocal([]string{dir})
	text, err := os.ReadFile(src[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	want, wst, err := decode(t, string(text), flowlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var pq bytes.Buffer
	pw := output.NewParquetWriter(&pq)
	_, err = flowlog.DecodeStream(context.Background(), bytes.NewReader(text), "x", flowlog.Options{}, func(r arrow.RecordBatch) error { return pw.Write(r) })
	if err != nil || pw.Close() != nil {
		t.Fatal(err)
	}
	got, gst, err := decodeParquet(t, pq.Bytes(), flowlog.Options{BatchRows: 3000})
	if err != nil {
		t.Fatal(err)
	}
	if gst.Records != wst.Records || gst.NoData != wst.NoData || gst.SkipData != wst.SkipData || gst.Lines != wst.Records+wst.NoData+wst.SkipData {
		t.Fatalf("stats %+v, text %+v", gst, wst)
	}
	// Parquet orders columns by name: compare the rows as sets of fields.
	gl, wl := strings.Split(strings.TrimSpace(got), "\n"), strings.Split(strings.TrimSpace(want), "\n")
	if len(gl) != len(wl) {
		t.Fatalf("%d rows, want %d", len(gl), len(wl))
	}
	for i := range gl {
		if sortedJSON(t, gl[i]) != sortedJSON(t, wl[i]) {
			t.Fatalf("row %d:\n got  %s\n want %s", i, gl[i], wl[i])
		}
	}
}

// TestParquetAWS: a file as AWS delivers it — underscore names, int32 ports, "-" and nulls for
// missing values, a column flowlens does not know — decodes, and a bad value is a malformed row.
func TestParquetAWS(t *testing.T) {
	type awsRow struct {
		Version   int32   `parquet:"version"`
		AccountID string  `parquet:"account_id"`
		Interface string  `parquet:"interface_id"`
		SrcAddr   string  `parquet:"srcaddr"`
		DstAddr   string  `parquet:"dstaddr"`
		SrcPort   *int32  `parquet:"srcport,optional"`
		DstPort   *int32  `parquet:"dstport,optional"`
		Protocol  *int32  `parquet:"protocol,optional"`
		Packets   *int64  `parquet:"packets,optional"`
		Bytes     *int64  `parquet:"bytes,optional"`
		Start     int64   `parquet:"start"`
		End       int64   `parquet:"end"`
		Action    string  `parquet:"action"`
		LogStatus string  `parquet:"log_status"`
		Unknown   *string `parquet:"some_future_field,optional"`
	}
	i32 := func(v int32) *int32 { return &v }
	i64 := func(v int64) *int64 { return &v }
	rows := []awsRow{
		{2, "123456789010", "eni-1", "172.31.16.139", "172.31.16.21", i32(20641), i32(22), i32(6), i64(20), i64(4249), 1418530010, 1418530070, "ACCEPT", "OK", nil},
		{2, "123456789010", "eni-1", "-", "-", nil, nil, nil, nil, nil, 1431280876, 1431280934, "-", "NODATA", nil},
		{2, "123456789010", "eni-2", "2001:db8::1", "10.0.0.2", i32(70000), i32(443), i32(6), i64(1), i64(40), 1418530010, 1418530070, "REJECT", "OK", nil},
	}
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	got, st, err := decodeParquet(t, buf.Bytes(), flowlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 1 || st.NoData != 1 || st.Malformed != 1 || st.Lines != 3 {
		t.Fatalf("stats %+v", st)
	}
	if e := st.FirstMalformed[0]; e.Field != "srcport" || e.Line != 3 || e.Value != "70000" {
		t.Fatalf("malformed %+v", e)
	}
	for _, want := range []string{`"srcaddr":"172.31.16.139"`, `"srcport":20641`, `"bytes":4249`, `"srcaddr":null`, `"log_status":"NODATA"`} {
		if !strings.Contains(got, want) {
			t.Errorf("%s not in %s", want, got)
		}
	}
	if strings.Contains(got, "some_future_field") {
		t.Errorf("an unknown column was decoded")
	}
	// Strict mode stops at the bad row.
	if _, _, err := decodeParquet(t, buf.Bytes(), flowlog.Options{Strict: true}); err == nil || !strings.Contains(err.Error(), "srcport") {
		t.Errorf("strict: %v", err)
	}
	// Found by name in a directory, and not Parquet at all is an object error.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.log.parquet"), buf.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, "b.parquet"), []byte("not parquet"), 0o644)
	srcs, _ := flowlog.ExpandLocal([]string{dir})
	total, failed, err := flowlog.DecodeSources(context.Background(), srcs, flowlog.Options{}, func(arrow.RecordBatch) error { return nil })
	if err != nil || len(failed) != 1 || !strings.Contains(failed[0].Object, "b.parquet") || total.Records != 1 {
		t.Fatalf("%v %v %+v", err, failed, total)
	}
}

// sortedJSON re-encodes a JSON object with its keys sorted.
func sortedJSON(t *testing.T, s string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	return string(b)
}
