package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/output"
)

// genFlows writes generated gzip objects into a new directory.
func genFlows(t *testing.T, seed uint64, records, objects int, fields *flowlog.Layout, days int) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := synth.Generate(synth.Config{Dir: dir, Seed: seed, Records: int64(records), Objects: objects, Fields: fields,
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: days, Gzip: true}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := flowlens(t, args...)
	if code != 0 {
		t.Fatalf("flowlens %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// roundTripQueries run over text, over one Parquet file and over a converted dataset alike.
var roundTripQueries = []string{
	"SELECT srcaddr, sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows FROM t GROUP BY srcaddr ORDER BY bytes DESC LIMIT 20",
	"SELECT interface_id, dstport, count(DISTINCT srcaddr) AS sources, min(from_unixtime(start)) AS first, max(\"end\") AS last FROM t WHERE action = 'REJECT' GROUP BY 1, 2 ORDER BY sources DESC, 1, 2 LIMIT 30",
	"SELECT date_trunc('hour', from_unixtime(start)) AS hour, sum(bytes) AS bytes, avg(packets) AS avg_packets FROM t GROUP BY 1 ORDER BY 1",
	"SELECT day_of_week(from_unixtime(start)) AS dow, hour(from_unixtime(start)) AS h, count(*) AS flows FROM t WHERE protocol = 6 AND dstport IN (22, 443, 3389) GROUP BY 1, 2 ORDER BY 1, 2",
	"SELECT srcaddr, dstaddr, srcport, dstport, bytes, from_unixtime(start) AS at FROM t WHERE contains('10.0.0.0/8', srcaddr) AND bytes > 100000 ORDER BY bytes DESC, at, srcaddr, dstaddr, srcport LIMIT 25",
	"SELECT pkt_dst_aws_service, flow_direction, sum(bytes) AS bytes FROM t WHERE from_unixtime(start) >= TIMESTAMP '2026-11-01 06:00:00' AND from_unixtime(start) < TIMESTAMP '2026-11-01 18:00:00' GROUP BY 1, 2 ORDER BY 3 DESC",
	"SELECT sum(bytes) AS total, count(*) AS flows FROM t WHERE type = 'IPv4'",
}

// TestSQLRoundTrip: each query gives the same answer over the gzip text, over a Parquet file that cat
// wrote, and over a dataset that convert wrote.
func TestSQLRoundTrip(t *testing.T) {
	dir := genFlows(t, 11, 40_000, 48, flowlog.V5Layout, 2) // hourly objects: keys name their hour, as AWS names its windows
	pq := filepath.Join(t.TempDir(), "flows.parquet")
	mustRun(t, "cat", "--format", "parquet", "-o", pq, dir)
	ds := filepath.Join(t.TempDir(), "dataset")
	mustRun(t, "convert", "--partition", "hour", "-o", ds, dir)
	for i, q := range roundTripQueries {
		text := mustRun(t, "sql", "-q", "--format", "csv", q, dir)
		if strings.Count(text, "\n") < 2 {
			t.Fatalf("query %d: no rows:\n%s", i, text)
		}
		for _, src := range []string{pq, ds} {
			for _, w := range []string{"1", "2"} {
				got := mustRun(t, "sql", "-q", "--format", "csv", "--workers", w, q, src)
				if got != text {
					t.Errorf("query %d over %s (%s workers) differs from the text:\n got: %.400s\nwant: %.400s", i, filepath.Base(src), w, got, text)
				}
			}
		}
	}
}

// TestQueryFlags: the query command is the SQL its flags spell.
func TestQueryFlags(t *testing.T) {
	dir := genFlows(t, 12, 20_000, 2, flowlog.DefaultLayout, 1)
	cases := []struct {
		flags []string
		sql   string
	}{
		{[]string{"--group-by", "srcaddr"},
			"SELECT srcaddr, sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows FROM t GROUP BY srcaddr ORDER BY 2 DESC LIMIT 20"},
		{[]string{"--where", "dstport = 443", "--group-by", "dstaddr", "--select", "sum(packets) AS packetcount", "--limit", "10"},
			"SELECT dstaddr, sum(packets) AS packetcount FROM t WHERE dstport = 443 GROUP BY dstaddr ORDER BY packetcount DESC LIMIT 10"},
		{[]string{"--where", "action = 'REJECT'", "--group-by", "srcaddr, dstport", "--order-by", "flows DESC, srcaddr, dstport", "--limit", "0"},
			"SELECT srcaddr, dstport, sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows FROM t WHERE action = 'REJECT' GROUP BY 1, 2 ORDER BY 5 DESC, 1, 2"},
		{[]string{"--where", "bytes > 500000", "--select", "srcaddr, dstaddr, bytes", "--order-by", "bytes DESC, srcaddr, dstaddr", "--limit", "7"},
			"SELECT srcaddr, dstaddr, bytes FROM t WHERE bytes > 500000 ORDER BY 3 DESC, 1, 2 LIMIT 7"},
		{[]string{"--select", "sum(bytes), count(*)"},
			"SELECT sum(bytes), count(*) FROM t"},
	}
	for _, c := range cases {
		got := mustRun(t, append(append([]string{"query", "-q", "--format", "jsonl"}, c.flags...), dir)...)
		want := mustRun(t, "sql", "-q", "--format", "jsonl", c.sql, dir)
		if got != want {
			t.Errorf("query %v:\n got: %.300s\nwant: %.300s", c.flags, got, want)
		}
		if strings.Count(got, "\n") == 0 {
			t.Errorf("query %v: no rows", c.flags)
		}
	}
	_, _, errOut := flowlens(t, "query", "--explain", "--group-by", "interface_id", "--limit", "3", dir)
	if !strings.Contains(errOut, "sql: SELECT interface_id, sum(bytes) AS bytes") || !strings.Contains(errOut, "group by: interface-id") {
		t.Errorf("--explain: %s", errOut)
	}
}

// TestSQLOutputs: every output format, read back by an independent reader, holds the same rows with
// the types of the select list.
func TestSQLOutputs(t *testing.T) {
	dir := genFlows(t, 13, 10_000, 2, flowlog.V5Layout, 1)
	q := "SELECT interface_id, srcaddr, count(*) AS flows, avg(bytes) AS avg_bytes, min(from_unixtime(start)) AS first, " +
		"count(*) > 3 AS busy FROM t GROUP BY interface_id, srcaddr ORDER BY flows DESC, interface_id, srcaddr LIMIT 12"
	out := t.TempDir()
	files := map[string]string{}
	for _, f := range []string{"json", "jsonl", "csv", "parquet", "arrow"} {
		files[f] = filepath.Join(out, "result."+f)
		mustRun(t, "sql", "-q", "--format", f, "-o", files[f], q, dir)
	}
	// The reference: the CSV, as text cells.
	cb, _ := os.ReadFile(files["csv"])
	rows, err := csv.NewReader(bytes.NewReader(cb)).ReadAll()
	if err != nil || len(rows) != 13 {
		t.Fatalf("csv: %v, %d rows", err, len(rows))
	}
	if strings.Join(rows[0], ",") != "interface_id,srcaddr,flows,avg_bytes,first,busy" {
		t.Fatalf("csv header %v", rows[0])
	}
	want := rows[1:]
	var jl []string
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, files["jsonl"])), "\n") {
		jl = append(jl, line)
	}
	var arr []map[string]any
	if err := json.Unmarshal([]byte(readFile(t, files["json"])), &arr); err != nil || len(arr) != 12 {
		t.Fatalf("json: %v, %d rows", err, len(arr))
	}
	for i, line := range jl {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if mustJSON(t, m) != mustJSON(t, arr[i]) {
			t.Errorf("row %d: jsonl %v, json %v", i, m, arr[i])
		}
		cells := []string{fmt.Sprint(m["interface_id"]), fmt.Sprint(m["srcaddr"]), fmt.Sprint(m["flows"]),
			fmt.Sprint(m["avg_bytes"]), fmt.Sprint(m["first"]), fmt.Sprint(m["busy"])}
		if strings.Join(cells, "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d: json %v, csv %v", i, cells, want[i])
		}
	}
	wantTypes := []arrow.Type{arrow.STRING, arrow.FIXED_SIZE_BINARY, arrow.INT64, arrow.FLOAT64, arrow.TIMESTAMP, arrow.BOOL}
	cellsOf := func(rec arrow.RecordBatch, r int) []string {
		var out []string
		for c := 0; c < int(rec.NumCols()); c++ {
			switch a := rec.Column(c).(type) {
			case *array.FixedSizeBinary:
				out = append(out, flowlog.AddrString(a.Value(r)))
			case *array.Timestamp:
				unit := a.DataType().(*arrow.TimestampType).Unit
				out = append(out, a.Value(r).ToTime(unit).UTC().Format("2006-01-02 15:04:05.000"))
			case *array.Float64:
				out = append(out, fmt.Sprint(a.Value(r)))
			default:
				out = append(out, a.ValueStr(r))
			}
		}
		return out
	}
	// Arrow IPC stream.
	fa, _ := os.Open(files["arrow"])
	defer fa.Close()
	rd, err := ipc.NewReader(fa)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rd.Next() {
		rec := rd.RecordBatch()
		for i, f := range rec.Schema().Fields() {
			if f.Type.ID() != wantTypes[i] {
				t.Errorf("arrow column %s: %s", f.Name, f.Type)
			}
		}
		for r := 0; r < int(rec.NumRows()); r++ {
			if got := cellsOf(rec, r); strings.Join(got, "|") != strings.Join(want[n], "|") {
				t.Errorf("arrow row %d: %v, want %v", n, got, want[n])
			}
			n++
		}
	}
	if n != 12 {
		t.Errorf("arrow: %d rows", n)
	}
	// Parquet, read by Arrow's own Parquet reader: addresses as strings, timestamps in milliseconds.
	fp, _ := os.Open(files["parquet"])
	defer fp.Close()
	tbl, err := pqarrow.ReadTable(context.Background(), fp, nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	wantPq := []arrow.Type{arrow.STRING, arrow.STRING, arrow.INT64, arrow.FLOAT64, arrow.TIMESTAMP, arrow.BOOL}
	for i, f := range tbl.Schema().Fields() {
		if f.Type.ID() != wantPq[i] {
			t.Errorf("parquet column %s: %s", f.Name, f.Type)
		}
	}
	tr := array.NewTableReader(tbl, 100)
	defer tr.Release()
	n = 0
	for tr.Next() {
		rec := tr.RecordBatch()
		for r := 0; r < int(rec.NumRows()); r++ {
			if got := cellsOf(rec, r); strings.Join(got, "|") != strings.Join(want[n], "|") {
				t.Errorf("parquet row %d: %v, want %v", n, got, want[n])
			}
			n++
		}
	}
	if n != 12 {
		t.Errorf("parquet: %d rows", n)
	}
	// An empty result still has its header (CSV) or its array (JSON).
	empty := mustRun(t, "sql", "-q", "--format", "csv", "SELECT srcaddr, count(*) AS n FROM t WHERE dstport = 99999 GROUP BY 1", dir)
	if empty != "srcaddr,n\n" {
		t.Errorf("empty csv %q", empty)
	}
	if e := mustRun(t, "sql", "-q", "--format", "json", "SELECT srcaddr FROM t WHERE dstport = 99999", dir); strings.TrimSpace(e) != "[\n]" && strings.TrimSpace(e) != "[]" {
		t.Errorf("empty json %q", e)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSQLErrors: bad queries are usage errors (exit 2) that point at the token.
func TestSQLErrors(t *testing.T) {
	dir := genFlows(t, 14, 1000, 1, flowlog.DefaultLayout, 1)
	cases := []struct{ q, want string }{
		{"SELECT srcadr FROM t", `unknown column "srcadr"`},
		{"SELECT srcaddr, sum(bytes) FROM t", `column "srcaddr" must appear in GROUP BY`},
		{"SELECT * FROM t WHERE sum(bytes) > 1", "aggregate sum() is not allowed here"},
		{"SELECT a FROM t JOIN u ON 1 = 1", "JOIN"},
		{"SELECT srcaddr FROM t WHERE dstport = 'x' OR", "unexpected end of query"},
		{"SELECT count_if(bytes) FROM t", "count_if() takes a condition"},
	}
	for _, c := range cases {
		code, _, errOut := flowlens(t, "sql", c.q, dir)
		if code != 2 || !strings.Contains(errOut, c.want) || !strings.Contains(errOut, "^") {
			t.Errorf("%s: exit %d: %s", c.q, code, errOut)
		}
	}
	if code, _, errOut := flowlens(t, "sql", "SELECT * FROM vpc_flow_logs"); code != 2 || !strings.Contains(errOut, "no sources") {
		t.Errorf("no sources: exit %d: %s", code, errOut)
	}
	if code, _, errOut := flowlens(t, "query", "--where", "dstprt = 1", dir); code != 2 || !strings.Contains(errOut, "the flags made this query") {
		t.Errorf("query error: exit %d: %s", code, errOut)
	}
	if code, _, errOut := flowlens(t, "sql", "--format", "xml", "SELECT * FROM t", dir); code != 2 || !strings.Contains(errOut, "xml") {
		t.Errorf("bad format: exit %d: %s", code, errOut)
	}
}

// TestSQLScanLimit: a scan without ORDER BY stops reading once LIMIT rows are found, and says so;
// FROM 'path' names the sources; NODATA rows are not table rows.
func TestSQLScanLimit(t *testing.T) {
	dir := genFlows(t, 15, 50_000, 8, flowlog.DefaultLayout, 1)
	code, out, errOut := flowlens(t, "sql", "--workers", "1", "--format", "jsonl", "SELECT * FROM '"+dir+"' LIMIT 5")
	if code != 0 || strings.Count(out, "\n") != 5 || !strings.Contains(errOut, "stopped reading at LIMIT 5") {
		t.Fatalf("exit %d, %d rows: %s", code, strings.Count(out, "\n"), errOut)
	}
	if !strings.Contains(out, `"log_status":"OK"`) || strings.Contains(out, "NODATA") {
		t.Errorf("rows %s", out)
	}
	all := mustRun(t, "sql", "-q", "--format", "csv", "SELECT count(*) AS n FROM t WHERE log_status <> 'OK'", dir)
	if all != "n\n0\n" {
		t.Errorf("non-OK rows in the table: %q", all)
	}
}

// TestParquetRowGroupPruning: with a time range, row groups whose start statistics lie outside it are
// not read (input.rows_skipped), and the answers equal those over the text.
func TestParquetRowGroupPruning(t *testing.T) {
	dir := genFlows(t, 16, 30_000, 24, flowlog.DefaultLayout, 1) // hourly objects, read in time order
	pq := filepath.Join(t.TempDir(), "flows.parquet")
	f, err := os.Create(pq)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := output.NewParquetWriterOptions(f, output.ParquetOptions{RowGroupRows: 2000})
	if err != nil {
		t.Fatal(err)
	}
	srcs, _ := flowlog.ExpandLocal([]string{dir})
	if _, _, err := flowlog.DecodeSources(context.Background(), srcs, flowlog.Options{}, pw.Write); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var doc struct {
		Input struct {
			RowsSkipped int64 `json:"rows_skipped"`
			Lines       int64 `json:"lines"`
		} `json:"input"`
		Totals json.RawMessage `json:"totals"`
	}
	rep := mustRun(t, "report", "--format", "json", "--from", "2026-11-01T06", "--to", "2026-11-01T09", pq)
	if err := json.Unmarshal([]byte(rep), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Input.RowsSkipped < 15_000 || doc.Input.RowsSkipped+doc.Input.Lines != 30_000 {
		t.Errorf("rows skipped %d, lines %d", doc.Input.RowsSkipped, doc.Input.Lines)
	}
	parquetTotals := string(doc.Totals)
	rep = mustRun(t, "report", "--format", "json", "--from", "2026-11-01T06", "--to", "2026-11-01T09", dir)
	json.Unmarshal([]byte(rep), &doc)
	if string(doc.Totals) != parquetTotals || !strings.Contains(parquetTotals, `"flows": `) || strings.Contains(parquetTotals, `"flows": 0,`) {
		t.Errorf("totals over Parquet %s, over text %s", parquetTotals, doc.Totals)
	}
	q := "SELECT date_trunc('hour', from_unixtime(start)) AS h, sum(bytes), count(*) FROM t WHERE start >= 1793512800 AND start < 1793523600 GROUP BY 1 ORDER BY 1"
	for _, w := range []string{"1", "2"} {
		code, fromPq, errOut := flowlens(t, "sql", "--format", "csv", "--workers", w, q, pq)
		if code != 0 || !strings.Contains(errOut, "Parquet rows skipped unread") {
			t.Errorf("exit %d: %s", code, errOut)
		}
		if fromText := mustRun(t, "sql", "-q", "--format", "csv", q, dir); fromPq != fromText || strings.Count(fromText, "\n") != 4 {
			t.Errorf("%s workers: over Parquet:\n%s\nover text:\n%s", w, fromPq, fromText)
		}
	}
}

// TestNoWrongNumbers: sums that would wrap around 64 bits stop the run with a clear error; integer
// arithmetic beyond 64 bits and a floating-point division by zero are NULL, never a wrapped number,
// Inf or NaN (which JSON cannot hold).
func TestNoWrongNumbers(t *testing.T) {
	dir := t.TempDir()
	huge := writeFile(t, dir, "huge.log", "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"+
		"2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 2 5000000000000000000 1600000000 1600000060 ACCEPT OK\n"+
		"2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 2 5000000000000000000 1600000000 1600000060 ACCEPT OK\n")
	for _, args := range [][]string{{"report", "--format", "json", huge}, {"sql", "--format", "csv", "SELECT sum(bytes) FROM t", huge},
		{"sql", "--format", "csv", "SELECT interface_id, sum(bytes) FROM t GROUP BY 1", huge}} {
		code, out, errOut := flowlens(t, args...)
		if code != 1 || !strings.Contains(errOut, "add up to more than 2^63-1") || strings.Contains(out, "-8446744073709551616") {
			t.Errorf("%v: exit %d\n%s\n%s", args, code, out, errOut)
		}
	}
	one := writeFile(t, dir, "one.log", "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"+
		"2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 0 5000000000000000000 1600000000 1600000060 ACCEPT OK\n")
	code, out, errOut := flowlens(t, "sql", "--format", "json", "SELECT bytes * 2 AS twice, bytes + bytes AS sum2, 0 - bytes - bytes AS neg, bytes / 1 AS same, bytes / (packets * 1.0) AS ratio, -1.0 / 0 AS ninf, 0.0 / 0 AS nan FROM t", one)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	r := rows[0]
	for _, k := range []string{"twice", "sum2", "neg", "ratio", "ninf", "nan"} {
		if r[k] != nil {
			t.Errorf("%s = %v, want null", k, r[k])
		}
	}
	if r["same"] != 5e18 {
		t.Errorf("same = %v", r["same"])
	}
	code, out, errOut = flowlens(t, "sql", "--format", "json", "SELECT CAST(1e300 AS bigint) AS a, CAST('NaN' AS double) AS b, CAST('Inf' AS double) AS c, (-9223372036854775807 - 1) / -1 AS d, CAST(2.5 AS bigint) AS e FROM t", one)
	rows = nil
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 {
		t.Fatalf("casts: exit %d: %s\n%s", code, out, errOut)
	}
	for _, k := range []string{"a", "b", "c", "d"} {
		if rows[0][k] != nil {
			t.Errorf("%s = %v, want null", k, rows[0][k])
		}
	}
	if rows[0]["e"] != 3.0 {
		t.Errorf("CAST(2.5 AS bigint) = %v", rows[0]["e"])
	}
}
