package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// fakeAthena is an Athena endpoint on loopback speaking the AWS JSON 1.1 protocol (POST /,
// X-Amz-Target: AmazonAthena.Operation). It records each request, checks that every one is signed,
// and plays one script per query text: the states GetQueryExecution reports in turn, then the
// result pages GetQueryResults returns, chained by NextToken.
type fakeAthena struct {
	t       *testing.T
	mu      sync.Mutex
	calls   []string                    // operations in order
	bodies  map[string][]map[string]any // requests by operation
	scripts map[string]*athenaScript    // by query text
	byID    map[string]*athenaScript
	polled  chan string // a GetQueryExecution of a query that never ends
}

type athenaScript struct {
	stmt   string   // StatementType: DML unless set
	states []string // GetQueryExecution's states in turn; the last one repeats
	reason string   // StateChangeReason of a FAILED query
	pages  []map[string]any
	polls  int
}

func newFakeAthena(t *testing.T) (*fakeAthena, *httptest.Server) {
	f := &fakeAthena{t: t, bodies: map[string][]map[string]any{}, scripts: map[string]*athenaScript{}, byID: map[string]*athenaScript{},
		polled: make(chan string, 100)}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFLOWLENSTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	athenaPoll = [2]time.Duration{time.Millisecond, 5 * time.Millisecond}
	t.Cleanup(func() { athenaPoll = [2]time.Duration{} })
	return f, srv
}

func (f *fakeAthena) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonAthena.")
	body, _ := io.ReadAll(r.Body)
	var in map[string]any
	if !ok || r.Method != http.MethodPost || json.Unmarshal(body, &in) != nil {
		f.t.Errorf("not an Athena JSON 1.1 request: %s %s %q %s", r.Method, r.URL, r.Header.Get("X-Amz-Target"), body)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		f.t.Errorf("%s: Content-Type %q", op, ct)
	}
	if auth := r.Header.Get("Authorization"); !strings.Contains(auth, "AWS4-HMAC-SHA256 Credential=AKIDFLOWLENSTEST/") || !strings.Contains(auth, "/us-east-1/athena/aws4_request") {
		f.t.Errorf("%s: not signed for athena in us-east-1: %q", op, auth)
	}
	f.mu.Lock()
	f.calls = append(f.calls, op)
	f.bodies[op] = append(f.bodies[op], in)
	f.mu.Unlock()
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(v)
	}
	id, _ := in["QueryExecutionId"].(string)
	f.mu.Lock()
	s := f.byID[id]
	f.mu.Unlock()
	switch op {
	case "StartQueryExecution":
		q, _ := in["QueryString"].(string)
		f.mu.Lock()
		s, ok := f.scripts[q]
		id := fmt.Sprintf("qid-%d", len(f.byID)+1)
		f.byID[id] = s
		f.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			reply(map[string]any{"__type": "InvalidRequestException", "Message": "no script for " + q})
			return
		}
		reply(map[string]any{"QueryExecutionId": id})
	case "GetQueryExecution":
		f.mu.Lock()
		st := s.states[min(s.polls, len(s.states)-1)]
		s.polls++
		f.mu.Unlock()
		if st == "RUNNING" && s.polls >= len(s.states) {
			f.polled <- id
		}
		status := map[string]any{"State": st}
		if s.reason != "" {
			status["StateChangeReason"] = s.reason
		}
		stmt := "DML"
		if s.stmt != "" {
			stmt = s.stmt
		}
		reply(map[string]any{"QueryExecution": map[string]any{"QueryExecutionId": id, "StatementType": stmt, "Status": status,
			"Statistics": map[string]any{"DataScannedInBytes": 123456789, "EngineExecutionTimeInMillis": 1500}}})
	case "GetQueryResults":
		k := 0
		if tok, _ := in["NextToken"].(string); tok != "" {
			fmt.Sscanf(tok, "page-%d", &k)
		}
		if k >= len(s.pages) {
			w.WriteHeader(http.StatusBadRequest)
			reply(map[string]any{"__type": "InvalidRequestException", "Message": "bad token"})
			return
		}
		page := map[string]any{"ResultSet": s.pages[k], "UpdateCount": 0}
		if k+1 < len(s.pages) {
			page["NextToken"] = fmt.Sprintf("page-%d", k+1)
		}
		reply(page)
	case "StopQueryExecution":
		reply(map[string]any{})
	default:
		w.WriteHeader(http.StatusBadRequest)
		reply(map[string]any{"__type": "InvalidRequestException", "Message": "unknown operation " + op})
	}
}

// resultPage is one page of results: the columns (name and Athena type) and rows of text, nil a
// NULL.
func resultPage(cols [][2]string, rows ...[]*string) map[string]any {
	var info []map[string]any
	for _, c := range cols {
		info = append(info, map[string]any{"CatalogName": "hive", "Name": c[0], "Label": c[0], "Type": c[1], "Nullable": "UNKNOWN", "CaseSensitive": c[1] == "varchar"})
	}
	var out []map[string]any
	for _, r := range rows {
		var data []map[string]any
		for _, v := range r {
			if v == nil {
				data = append(data, map[string]any{})
			} else {
				data = append(data, map[string]any{"VarCharValue": *v})
			}
		}
		out = append(out, map[string]any{"Data": data})
	}
	return map[string]any{"ResultSetMetadata": map[string]any{"ColumnInfo": info}, "Rows": out}
}

func vals(s ...string) []*string {
	out := make([]*string, len(s))
	for i := range s {
		if s[i] != "NULL" {
			out[i] = &s[i]
		}
	}
	return out
}

func (f *fakeAthena) requests(op string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bodies[op]
}

// TestSQLAthena: sql --athena sends the query text, output location, workgroup and database to
// StartQueryExecution, polls GetQueryExecution until SUCCEEDED, reads both result pages (the
// second by the first's NextToken, the header row of the first dropped) and prints the rows in
// flowlens's formats with the result set's types; a FAILED query exits 1 with its
// StateChangeReason; Ctrl-C (a cancelled context) sends StopQueryExecution for the query and exits
// 130. The expected outputs are written by hand from the pages the fake returns.
func TestSQLAthena(t *testing.T) {
	f, srv := newFakeAthena(t)
	const q = "SELECT srcaddr, sum(bytes) AS bytes, count(*) AS flows, avg(packets) AS avg_packets, min(from_unixtime(start)) AS first, " +
		"count(*) > 1 AS busy, max(date) AS day FROM vpc_flow_logs WHERE year = '2026' GROUP BY srcaddr ORDER BY bytes DESC"
	cols := [][2]string{{"srcaddr", "varchar"}, {"bytes", "bigint"}, {"flows", "integer"}, {"avg_packets", "double"}, {"first", "timestamp"},
		{"busy", "boolean"}, {"day", "date"}}
	header := vals("srcaddr", "bytes", "flows", "avg_packets", "first", "busy", "day")
	f.scripts[q] = &athenaScript{states: []string{"QUEUED", "RUNNING", "RUNNING", "SUCCEEDED"}, pages: []map[string]any{
		resultPage(cols, header, vals("10.0.1.5", "9000000000", "3", "12.5", "2026-11-01 05:00:07.000", "true", "2026-11-01"),
			vals("10.0.1.6", "4096", "1", "2.0", "2026-11-01 06:30:00.000", "false", "2026-11-01")),
		resultPage(cols, vals("10.0.1.7, \"x\"", "NULL", "2", "NULL", "NULL", "NULL", "NULL")),
	}}
	base := []string{"sql", "--athena", "--endpoint-url", srv.URL, "--region", "us-east-1", "--output-location", "s3://athena-results/flowlens/",
		"--workgroup", "analysts", "--database", "flowlogs"}
	code, out, errOut := flowlens(t, append(append([]string{}, base...), "--format", "csv", q)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := "srcaddr,bytes,flows,avg_packets,first,busy,day\n" +
		"10.0.1.5,9000000000,3,12.5,2026-11-01 05:00:07.000,true,2026-11-01\n" +
		"10.0.1.6,4096,1,2,2026-11-01 06:30:00.000,false,2026-11-01\n" +
		"\"10.0.1.7, \"\"x\"\"\",,2,,,,\n"
	if out != want {
		t.Errorf("csv:\n%s\nwant:\n%s", out, want)
	}
	if !strings.Contains(errOut, "Athena query qid-1: 3 rows; 123.5 MB scanned, 1.5s in the engine") {
		t.Errorf("stderr: %s", errOut)
	}
	start := f.requests("StartQueryExecution")[0]
	if start["QueryString"] != q || start["WorkGroup"] != "analysts" {
		t.Errorf("StartQueryExecution: %v", start)
	}
	if rc, _ := start["ResultConfiguration"].(map[string]any); rc["OutputLocation"] != "s3://athena-results/flowlens/" {
		t.Errorf("output location: %v", start)
	}
	if qc, _ := start["QueryExecutionContext"].(map[string]any); qc["Database"] != "flowlogs" {
		t.Errorf("database: %v", start)
	}
	if n := len(f.requests("GetQueryExecution")); n != 4 {
		t.Errorf("%d GetQueryExecution, want 4 (QUEUED, RUNNING, RUNNING, SUCCEEDED)", n)
	}
	pages := f.requests("GetQueryResults")
	if len(pages) != 2 || pages[0]["NextToken"] != nil || pages[1]["NextToken"] != "page-1" || pages[0]["QueryExecutionId"] != "qid-1" {
		t.Errorf("GetQueryResults: %v", pages)
	}

	// The other formats, from the same pages.
	code, out, _ = flowlens(t, append(append([]string{}, base...), "-q", "--format", "jsonl", q)...)
	wantJSONL := `{"srcaddr":"10.0.1.5","bytes":9000000000,"flows":3,"avg_packets":12.5,"first":"2026-11-01 05:00:07.000","busy":true,"day":"2026-11-01"}
{"srcaddr":"10.0.1.6","bytes":4096,"flows":1,"avg_packets":2,"first":"2026-11-01 06:30:00.000","busy":false,"day":"2026-11-01"}
{"srcaddr":"10.0.1.7, \"x\"","bytes":null,"flows":2,"avg_packets":null,"first":null,"busy":null,"day":null}
`
	if code != 0 || out != wantJSONL {
		t.Errorf("jsonl: exit %d\n%s\nwant:\n%s", code, out, wantJSONL)
	}
	pq := filepath.Join(t.TempDir(), "r.parquet")
	if code, _, errOut := flowlens(t, append(append([]string{}, base...), "-q", "-o", pq, q)...); code != 0 {
		t.Fatalf("parquet: exit %d: %s", code, errOut)
	}
	type row struct {
		Srcaddr *string  `parquet:"srcaddr"`
		Bytes   *int64   `parquet:"bytes"`
		Flows   *int32   `parquet:"flows"`
		Avg     *float64 `parquet:"avg_packets"`
	}
	rows, err := parquet.ReadFile[row](pq)
	if err != nil || len(rows) != 3 || *rows[0].Bytes != 9000000000 || *rows[1].Flows != 1 || *rows[0].Avg != 12.5 || rows[2].Bytes != nil {
		t.Errorf("parquet: %v %+v", err, rows)
	}

	// A failed query: its reason, exit 1, no output file.
	const bad = "SELECT nope FROM vpc_flow_logs"
	f.scripts[bad] = &athenaScript{states: []string{"RUNNING", "FAILED"},
		reason: "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved or requester is not authorized to access requested resources"}
	failed := filepath.Join(t.TempDir(), "failed.csv")
	code, _, errOut = flowlens(t, append(append([]string{}, base...), "-o", failed, bad)...)
	if code != 1 || !strings.Contains(errOut, "Athena query qid-4 failed: COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved") ||
		!strings.Contains(errOut, "(query: SELECT nope FROM vpc_flow_logs)") {
		t.Errorf("failed query: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(failed); err == nil {
		t.Errorf("a failed query left %s", failed)
	}

	// An empty result: the header alone.
	const none = "SELECT srcaddr FROM vpc_flow_logs WHERE false"
	f.scripts[none] = &athenaScript{states: []string{"SUCCEEDED"}, pages: []map[string]any{resultPage([][2]string{{"srcaddr", "varchar"}}, vals("srcaddr"))}}
	if code, out, errOut := flowlens(t, append(append([]string{}, base...), "-q", "--format", "csv", none)...); code != 0 || out != "srcaddr\n" {
		t.Errorf("empty result: exit %d: %q %s", code, out, errOut)
	}

	// A DDL statement (athena-ddl's output): no result set, no output, exit 0.
	const ddl = "CREATE EXTERNAL TABLE IF NOT EXISTS `t` (`x` int) STORED AS PARQUET LOCATION 's3://b/p/'"
	f.scripts[ddl] = &athenaScript{stmt: "DDL", states: []string{"SUCCEEDED"}, pages: []map[string]any{{"Rows": []any{}}}}
	if code, out, errOut := flowlens(t, append(append([]string{}, base...), "--format", "csv", ddl)...); code != 0 || out != "" || !strings.Contains(errOut, "0 rows") {
		t.Errorf("DDL: exit %d: %q %s", code, out, errOut)
	}

	// Ctrl-C while the query runs: StopQueryExecution for it, exit 130.
	const slow = "SELECT count(*) FROM vpc_flow_logs"
	f.scripts[slow] = &athenaScript{states: []string{"QUEUED", "RUNNING"}}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-f.polled
		cancel()
	}()
	var o, e bytes.Buffer
	stdout, stderr = &o, &e
	code = run(ctx, append(append([]string{}, base...), slow))
	stdout, stderr = os.Stdout, os.Stderr
	cancel()
	stops := f.requests("StopQueryExecution")
	if code != exitInterrupted || len(stops) != 1 || stops[0]["QueryExecutionId"] != "qid-7" || !strings.Contains(e.String(), "stopped Athena query qid-7") {
		t.Errorf("Ctrl-C: exit %d, stops %v: %s", code, stops, e.String())
	}

	// Flags that do not apply, and --athena flags without --athena.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sql", "--athena", "--from", "2026-11-01", q}, "--from does not apply to --athena"},
		{[]string{"sql", "--athena", q, "flows/"}, "not SOURCES: drop flows/"},
		{[]string{"sql", "--athena", "--tz", "Europe/Paris", q}, "--athena takes --tz UTC only"},
		{[]string{"sql", "--athena", "--output-location", "results/x", q}, "want s3://BUCKET/PREFIX/"},
		{[]string{"sql", "--workgroup", "w", q, "flows/"}, "--workgroup applies to --athena only"},
	} {
		if code, _, errOut := flowlens(t, c.args...); code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d: %s", c.args, code, errOut)
		}
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	if code, _, errOut := flowlens(t, "sql", "--athena", "--endpoint-url", srv.URL, "--region", "us-east-1", q); code != 1 || !strings.Contains(errOut, "no AWS credentials found") {
		t.Errorf("no credentials: exit %d: %s", code, errOut)
	}
}
