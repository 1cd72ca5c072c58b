package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/output"
	"github.com/flowlens/flowlens/report"
)

var reportPeers = []string{peer + "elastic-beats/accept-reject-traffic.log", peer + "elastic-beats/no-data-skip-data.log",
	peer + "elastic-beats/bad.log", peer + "elastic-beats/ipv6.log", peer + "elastic-beats/tcp-flag-sequence.log"}

// TestReportGolden: the JSON and the table report over peer inputs, byte for byte.
func TestReportGolden(t *testing.T) {
	code, out, errOut := flowlens(t, append([]string{"report", "--format", "json"}, reportPeers...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "report.json", out)
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc["schema_version"] != 1.0 {
		t.Fatalf("not a schema 1 report: %v", err)
	}
	code, out, _ = flowlens(t, append([]string{"report", "--format", "table", "--top", "3", "--tz", "Asia/Kolkata"}, reportPeers...)...)
	if code != 0 {
		t.Fatal(code)
	}
	golden(t, "report.txt", out)
}

// TestReportStdin: "-" reads standard input, with the same report as the file (but its name).
func TestReportStdin(t *testing.T) {
	file := peer + "elastic-beats/accept-reject-traffic.log"
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = old }()
	code, fromStdin, errOut := flowlens(t, "report", "--format", "json", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	_, fromFile, _ := flowlens(t, "report", "--format", "json", file)
	if fromStdin != fromFile || !strings.Contains(fromStdin, `"records": 4`) {
		t.Fatalf("stdin report differs from the file's:\n%s\n%s", fromStdin, fromFile)
	}
}

// TestReportFailures: a broken object is named, the report still written, the exit status 1; the
// memory limit stops the run with a message; usage errors exit 2.
func TestReportFailures(t *testing.T) {
	dir := t.TempDir()
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	for i := 0; i < 5000; i++ {
		zw.Write([]byte("2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 2 100 1600000000 1600000060 ACCEPT OK\n"))
	}
	zw.Close()
	trunc := writeFile(t, dir, "trunc.log.gz", z.String()[:z.Len()/2])
	out := filepath.Join(dir, "report.json")
	code, _, errOut := flowlens(t, "report", "-o", out, peer+"elastic-beats/ipv6.log", trunc)
	if code != 1 || !strings.Contains(errOut, "cannot read "+trunc) {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Input struct {
			Objects       int `json:"objects"`
			ObjectsFailed int `json:"objects_failed"`
			FailedObjects []struct {
				Object, Error string
			} `json:"failed_objects"`
		} `json:"input"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Input.ObjectsFailed != 1 || len(doc.Input.FailedObjects) != 1 || doc.Input.FailedObjects[0].Object != trunc {
		t.Fatalf("report input %+v (%v)", doc.Input, err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(m) > 0 {
		t.Fatalf("temporary files left: %v", m)
	}

	gen := t.TempDir()
	if code, _, e := flowlens(t, "gen", "--records", "60000", "--objects", "2", "-o", gen); code != 0 {
		t.Fatal(e)
	}
	code, stdout, errOut := flowlens(t, "report", "--memory-limit", "2MiB", gen)
	if code != 1 || stdout != "" || !strings.Contains(errOut, "memory limit of 2.0 MiB") || !strings.Contains(errOut, "--memory-limit") {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, errOut)
	}

	f := func(want int, errWant string, args ...string) {
		t.Helper()
		code, _, errOut := flowlens(t, args...)
		if code != want || !strings.Contains(errOut, errWant) {
			t.Fatalf("%v: exit %d (want %d), stderr:\n%s", args, code, want, errOut)
		}
	}
	good := peer + "elastic-beats/ipv6.log"
	f(2, "no sources given", "report")
	f(2, "--from must be before --to", "report", "--from", "2026-11-02", "--to", "2026-11-01", good)
	f(2, "cannot read time", "report", "--from", "the day before", good)
	f(2, "--tz", "report", "--tz", "Mars/Olympus", good)
	f(2, "--format", "report", "--format", "xml", good)
	f(2, "cannot read size", "report", "--memory-limit", "lots", good)
	f(1, `cannot parse dstport "x"`, "report", "--strict", writeFile(t, dir, "bad.log", "2 1 eni-1 10.0.0.1 10.0.0.2 1 x 6 2 100 1600000000 1600000060 ACCEPT OK\n"))
	f(0, "1 malformed", "report", "--format", "json", writeFile(t, dir, "bad2.log", "2 1 eni-1 10.0.0.1 10.0.0.2 1 x 6 2 100 1600000000 1600000060 ACCEPT OK\n"))
}

// TestDemo is the README's first command: a day of generated flow logs, reported.
func TestDemo(t *testing.T) {
	code, out, errOut := flowlens(t, "demo", "--records", "30000", "--format", "json", "--top", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Input struct {
			Objects int   `json:"objects"`
			Records int64 `json:"records"`
		} `json:"input"`
		Interfaces []map[string]any `json:"interfaces"`
		Hourly     []map[string]any `json:"hourly"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Input.Objects != 24 || doc.Input.Records < 29000 || len(doc.Interfaces) != 3 || len(doc.Hourly) < 24 {
		t.Fatalf("demo report: %+v, %d interfaces, %d hours", doc.Input, len(doc.Interfaces), len(doc.Hourly))
	}
}

// TestProgressLine: objects done/total, bytes, records/s and an ETA from the bytes left.
func TestProgressLine(t *testing.T) {
	p := &aggregate.Progress{TotalObject: 8, TotalBytes: 400e6}
	p.Objects.Store(2)
	p.BytesRead.Store(100e6)
	p.Records.Store(5e6)
	got := progressLine(p, 10*time.Second)
	if want := "objects 2/8 · 100.0 MB/400.0 MB · 0.50M records/s · ETA 30s"; got != want {
		t.Errorf("progress line %q, want %q", got, want)
	}
}

// TestCatColumnar: cat writes Parquet and Arrow IPC files atomically, with every record.
func TestCatColumnar(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []string{"parquet", "arrow", "json"} {
		out := filepath.Join(dir, "flows."+format)
		code, _, errOut := flowlens(t, "cat", "--format", format, "-o", out, peer+"elastic-beats/accept-reject-traffic.log")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, errOut)
		}
		b, err := os.ReadFile(out)
		if err != nil || len(b) == 0 {
			t.Fatalf("%s: %v, %d bytes", format, err, len(b))
		}
		switch format {
		case "parquet":
			if string(b[:4]) != "PAR1" || string(b[len(b)-4:]) != "PAR1" {
				t.Errorf("not a Parquet file")
			}
		case "json":
			var rows []map[string]any
			if err := json.Unmarshal(b, &rows); err != nil || len(rows) != 4 {
				t.Errorf("json: %v, %d rows", err, len(rows))
			}
		}
	}
}

// TestReportOverParquet: the report over a Parquet file that cat wrote equals the report over the
// text it came from, section by section (the input section describes different objects).
func TestReportOverParquet(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Generate(synth.Config{Dir: dir, Seed: 6, Records: 30_000, Objects: 3, Fields: flowlog.V5Layout,
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 2, Gzip: true}); err != nil {
		t.Fatal(err)
	}
	pq := filepath.Join(t.TempDir(), "flows.parquet")
	if code, _, e := flowlens(t, "cat", "--format", "parquet", "-o", pq, dir); code != 0 {
		t.Fatal(e)
	}
	sections := func(args ...string) map[string]json.RawMessage {
		code, out, errOut := flowlens(t, append([]string{"report", "--format", "json"}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "input")
		return m
	}
	fromText, fromParquet := sections(dir), sections(pq)
	for k, v := range fromText {
		if string(fromParquet[k]) != string(v) {
			t.Errorf("section %s differs between text and Parquet", k)
		}
	}
	if _, ok := fromText["nat"]; !ok {
		t.Errorf("no nat section in a v5 report")
	}
}

// TestConvert: a Hive-partitioned dataset by hour, each file in place and complete, read back by
// report with the same result as the text; a second conversion into the same place is refused.
func TestConvert(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Generate(synth.Config{Dir: dir, Seed: 8, Records: 20_000, Objects: 4, Fields: flowlog.DefaultLayout,
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 2, Gzip: true}); err != nil {
		t.Fatal(err)
	}
	ds := filepath.Join(t.TempDir(), "dataset")
	code, _, errOut := flowlens(t, "convert", "--partition", "hour", "-o", ds, dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(ds, "year=2026", "month=11", "day=0*", "hour=*", "part-*.parquet"))
	if len(files) < 48 {
		t.Fatalf("%d files: %s", len(files), errOut)
	}
	var tmp []string
	filepath.Walk(ds, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.Contains(filepath.Base(p), ".tmp-") {
			tmp = append(tmp, p)
		}
		return nil
	})
	if len(tmp) > 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}
	_, fromText, _ := flowlens(t, "report", "--format", "json", dir)
	_, fromParquet, _ := flowlens(t, "report", "--format", "json", ds)
	cut := func(s string) string { return s[strings.Index(s, `"totals"`):] }
	if cut(fromText) != cut(fromParquet) {
		t.Errorf("report over the dataset differs from the report over the text")
	}
	code, _, errOut = flowlens(t, "convert", "--partition", "hour", "-o", ds, dir)
	if code != 1 || !strings.Contains(errOut, "already holds a dataset") {
		t.Errorf("second conversion: exit %d: %s", code, errOut)
	}
	code, _, errOut = flowlens(t, "convert", "--compression", "lzma", "-o", ds, dir)
	if code != 2 || !strings.Contains(errOut, "lzma") {
		t.Errorf("bad compression: exit %d: %s", code, errOut)
	}
}

// TestConvertModes: appending the same day again converts nothing twice, so a day converted in two
// appends, and appended twice over, equals the day converted once; overwrite replaces; a second
// writer, another partitioning, a changed object and a foreign directory are refused.
func TestConvertModes(t *testing.T) {
	dir := genFlows(t, 9, 20_000, 4, flowlog.DefaultLayout, 1)
	objs, _ := filepath.Glob(filepath.Join(dir, "*.log.gz"))
	if len(objs) != 4 {
		t.Fatalf("%d objects", len(objs))
	}
	totals := func(src string) string {
		t.Helper()
		code, out, errOut := flowlens(t, "report", "--format", "json", src)
		if code != 0 {
			t.Fatalf("report %s: exit %d: %s", src, code, errOut)
		}
		return out[strings.Index(out, `"totals"`):]
	}
	parquetFiles := func(ds string) []string {
		var files []string
		filepath.Walk(ds, func(p string, fi os.FileInfo, err error) error {
			if err == nil && strings.HasSuffix(p, ".parquet") {
				files = append(files, p)
			}
			return nil
		})
		return files
	}
	convert := func(want int, wantErr string, args ...string) string {
		t.Helper()
		code, _, errOut := flowlens(t, append([]string{"convert"}, args...)...)
		if code != want || !strings.Contains(errOut, wantErr) {
			t.Fatalf("convert %v: exit %d (want %d): %s", args, code, want, errOut)
		}
		return errOut
	}
	want := totals(dir)

	once := filepath.Join(t.TempDir(), "once")
	convert(0, "", "-o", once, dir)
	if totals(once) != want {
		t.Fatal("converted once differs from the text")
	}

	twice := filepath.Join(t.TempDir(), "twice")
	convert(0, "", "-o", twice, objs[0], objs[1])
	convert(0, "2 objects already in the dataset", "--mode", "append", "-o", twice, dir)
	before := parquetFiles(twice)
	convert(0, "4 objects already in the dataset", "--mode", "append", "-o", twice, dir)
	if got := totals(twice); got != want {
		t.Error("appended in two runs, then again, differs from converted once")
	}
	if after := parquetFiles(twice); len(after) != len(before) {
		t.Errorf("an append with nothing new wrote files: %d, then %d", len(before), len(after))
	}
	var m output.Manifest
	if b, err := os.ReadFile(filepath.Join(twice, output.ManifestName)); err != nil || json.Unmarshal(b, &m) != nil ||
		len(m.Objects) != 4 || len(m.Runs) != 3 || m.Objects[0].Rows == 0 || m.Objects[0].Version == "" {
		t.Fatalf("manifest: %+v (%v)", m, err)
	}

	// The same objects by another spelling of their path are the same objects.
	abs, _ := filepath.Abs(dir)
	convert(0, "4 objects already in the dataset", "--mode", "append", "-o", twice, abs+"/")
	convert(2, "standard input has none", "--mode", "append", "-o", twice, "-")
	convert(1, "was written with --partition day", "--mode", "append", "--partition", "hour", "-o", twice, dir)
	convert(0, "", "--mode", "overwrite", "-o", twice, dir)
	if totals(twice) != want || len(parquetFiles(twice)) != len(parquetFiles(once)) {
		t.Errorf("overwrite: %d files, once %d", len(parquetFiles(twice)), len(parquetFiles(once)))
	}

	os.WriteFile(filepath.Join(twice, output.LockName), []byte("pid 1 on elsewhere\n"), 0o644)
	convert(1, "being written by another convert", "--mode", "append", "-o", twice, dir)
	os.Remove(filepath.Join(twice, output.LockName))

	later := time.Now().Add(time.Hour)
	os.Chtimes(objs[2], later, later)
	convert(1, "has changed since run", "--mode", "append", "-o", twice, dir)
	if _, err := os.Stat(filepath.Join(twice, output.LockName)); err == nil {
		t.Error("the lock was left behind")
	}

	foreign := t.TempDir()
	os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("mine"), 0o644)
	convert(1, "did not write", "--mode", "overwrite", "-o", foreign, dir)
}

// TestReportCSV: --format csv writes a CSV file per table into -o DIR, each the JSON list it comes
// from; --section writes one of them to stdout; cost does the same with its tables.
func TestReportCSV(t *testing.T) {
	src := genFlows(t, 4, 20_000, 2, flowlog.V5Layout, 1)
	dir := filepath.Join(t.TempDir(), "csv")
	if code, _, errOut := flowlens(t, "report", "--format", "csv", "-o", dir, src); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	_, js, _ := flowlens(t, "report", "--format", "json", src)
	var rep report.Report
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatal(err)
	}
	read := func(path string) [][]string {
		t.Helper()
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	convs := read(filepath.Join(dir, "conversations.csv"))
	if strings.Join(convs[0], ",") != "srcaddr,dstaddr,bytes,packets,flows" || len(convs) != len(rep.Conversations)+1 {
		t.Fatalf("conversations.csv: %v", convs[0])
	}
	for i, c := range rep.Conversations {
		if convs[i+1][0] != *c.SrcAddr || convs[i+1][2] != strconv.FormatInt(c.Bytes, 10) {
			t.Errorf("row %d: %v, JSON %v %d", i, convs[i+1], *c.SrcAddr, c.Bytes)
		}
	}
	for _, name := range []string{"totals", "interfaces", "sources", "destinations", "hourly", "busiest_hours", "rejects", "ports", "protocols", "input", "nat_gateways", "nat_top_destinations", "nat_recommendations"} {
		if rows := read(filepath.Join(dir, name+".csv")); len(rows) < 2 {
			t.Errorf("%s.csv: %d rows", name, len(rows))
		}
	}
	_, one, _ := flowlens(t, "report", "--format", "csv", "--section", "conversations", src)
	if b, _ := os.ReadFile(filepath.Join(dir, "conversations.csv")); one != string(b) {
		t.Error("--section conversations differs from conversations.csv")
	}
	if code, _, errOut := flowlens(t, "report", "--format", "csv", "--section", "nope", src); code != 1 || !strings.Contains(errOut, "want one of input, failed_objects, totals") {
		t.Errorf("--section nope: exit %d: %s", code, errOut)
	}
	if code, _, errOut := flowlens(t, "report", "--format", "csv", src); code != 2 || !strings.Contains(errOut, "-o DIR") {
		t.Errorf("csv without -o: exit %d: %s", code, errOut)
	}
	_, gws, _ := flowlens(t, "cost", "--format", "csv", "--section", "gateways", src)
	if len(strings.Split(strings.TrimSpace(gws), "\n")) != len(rep.NAT.NATGateways)+1 || !strings.HasPrefix(gws, "interface_id,gateway_id,name,guessed") {
		t.Errorf("cost --section gateways:\n%s", gws)
	}
}
