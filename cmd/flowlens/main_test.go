package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/output"
	"github.com/flowlens/flowlens/query"
	"github.com/flowlens/flowlens/report"
	"github.com/klauspost/compress/gzip"
)

var update = flag.Bool("update", false, "rewrite golden files")

// flowlens runs the CLI in-process and returns its exit status, stdout and stderr.
func flowlens(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var o, e bytes.Buffer
	stdout, stderr = &o, &e
	defer func() { stdout, stderr = os.Stdout, os.Stderr }()
	code := run(context.Background(), args)
	return code, o.String(), e.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("../../testdata/golden/cmd", name)
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		os.WriteFile(path, []byte(got), 0o644)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/flowlens -update)", err)
	}
	if got != string(want) {
		t.Fatalf("%s differs:\n got:\n%s\nwant:\n%s", name, got, want)
	}
}

const peer = "../../testdata/peer/"

func TestCatGolden(t *testing.T) {
	code, out, errOut := flowlens(t, "cat", peer+"elastic-beats/accept-reject-traffic.log", peer+"elastic-beats/no-data-skip-data.log", peer+"elastic-beats/bad.log")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "cat.jsonl", out)
	golden(t, "cat.stderr", errOut)
	code, out, _ = flowlens(t, "cat", "--format", "csv", peer+"elastic-beats/tcp-flag-sequence-skip-data.log", peer+"elastic-beats/ipv6.log")
	if code != 0 {
		t.Fatal(code)
	}
	golden(t, "cat.csv", out)
}

func TestCatFieldsAndOutput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.jsonl")
	stats := filepath.Join(dir, "stats.json")
	code, stdout, errOut := flowlens(t, "cat", "--fields", "${version} ${interface-id} ${account-id} ${vpc-id} ${subnet-id} ${instance-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${tcp-flags} ${type} ${pkt-srcaddr} ${pkt-dstaddr} ${action} ${log-status}",
		"-o", out, "--stats-json", stats, peer+"elastic-beats/custom-transit-gateway.log")
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, errOut)
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), `"tcp_flags":3,"type":"IPv4","pkt_srcaddr":"10.20.33.164"`) {
		t.Fatalf("output %s", b)
	}
	var st map[string]any
	sb, _ := os.ReadFile(stats)
	if err := json.Unmarshal(sb, &st); err != nil || st["records"] != 1.0 || st["lines"] != 1.0 {
		t.Fatalf("stats %s", sb)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(m) > 0 {
		t.Fatalf("temporary files left: %v", m)
	}
}

func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(bytes.Repeat([]byte("2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 2 100 1600000000 1600000060 ACCEPT OK\n"), 5000))
	zw.Close()
	trunc := filepath.Join(dir, "trunc.log.gz")
	os.WriteFile(trunc, z.Bytes()[:z.Len()/2], 0o644)
	good := peer + "elastic-beats/ipv6.log"

	f := func(want int, errWant string, args ...string) {
		t.Helper()
		code, _, errOut := flowlens(t, args...)
		if code != want || !strings.Contains(errOut, errWant) {
			t.Fatalf("%v: exit %d (want %d), stderr:\n%s", args, code, want, errOut)
		}
	}
	f(0, "1 records", "cat", good)
	f(0, "1 records", "cat", "-o", os.DevNull, good) // written to, never replaced
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode().IsRegular() {
		t.Fatalf("%s was replaced", os.DevNull)
	}
	f(1, "cannot read "+trunc+" after ", "cat", good, trunc)
	f(1, "1 failed", "cat", trunc, good)
	f(1, "no such file or directory", "cat", filepath.Join(dir, "nope.log"))
	f(1, `cannot parse dstport "x"`, "cat", "--strict", writeFile(t, dir, "bad.log", "2 1 eni-1 10.0.0.1 10.0.0.2 1 x 6 2 100 1600000000 1600000060 ACCEPT OK\n"))
	f(0, "1 malformed", "cat", writeFile(t, dir, "bad2.log", "2 1 eni-1 10.0.0.1 10.0.0.2 1 x 6 2 100 1600000000 1600000060 ACCEPT OK\n"))
	f(2, "no sources given", "cat")
	f(2, "unknown flag: --bogus", "cat", "--bogus", good)
	f(2, `unknown field "nope"`, "cat", "--fields", "version nope", good)
	f(2, `--format "xml": want jsonl, json, csv, parquet or arrow`, "cat", "--format", "xml", good)
	f(2, `unknown command "frobnicate"`, "frobnicate")
	f(2, "-o DIR", "gen")
}

func writeFile(t *testing.T, dir, name, s string) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"help", "cat"}, {"cat", "--help"}, {"help", "gen"}, {"help", "fields"}, {"version"}} {
		code, out, _ := flowlens(t, args...)
		if code != 0 || out == "" {
			t.Fatalf("%v: exit %d", args, code)
		}
	}
	_, out, _ := flowlens(t, "help", "cat")
	if !strings.Contains(out, "Examples:") || !strings.Contains(out, "--stats-json") {
		t.Fatalf("help cat:\n%s", out)
	}
	_, out, _ = flowlens(t, "help", "fields")
	if !strings.Contains(out, "pkt-src-aws-service") || !strings.Contains(out, "tgw-pair-attachment-id") {
		t.Fatalf("help fields:\n%s", out)
	}
	_, out, _ = flowlens(t, "version")
	if !strings.Contains(out, "gzip: klauspost") {
		t.Fatalf("version: %s", out)
	}
}

// TestGenThenCat is the README's first command: generate a small data set and decode it.
func TestGenThenCat(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := flowlens(t, "gen", "--records", "20000", "--objects", "3", "--layout", "hive", "-o", dir)
	if code != 0 {
		t.Fatal(errOut)
	}
	code, out, errOut := flowlens(t, "cat", dir)
	if code != 0 || strings.Count(out, "\n") != 20000 || !strings.Contains(errOut, "3 objects (0 failed)") {
		t.Fatalf("exit %d, %d lines, %s", code, strings.Count(out, "\n"), errOut)
	}
}

// TestHelpOrder: 'flowlens help' lists the commands in their order, the main job first, and the
// help of sql and query lists every SQL function of the registry.
func TestHelpOrder(t *testing.T) {
	_, out, _ := flowlens(t, "help")
	var names []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(line, "  ") && lookup(f[0]) != nil {
			names = append(names, f[0])
		}
	}
	if want := "report cost sql query cat convert athena-ddl merge prices demo gen version"; strings.Join(names, " ") != want {
		t.Errorf("help lists %v, want %s", names, want)
	}
	var fns strings.Builder
	query.WriteFunctionHelp(&fns)
	for _, c := range []string{"sql", "query"} {
		_, out, _ := flowlens(t, "help", c)
		if !strings.Contains(out, fns.String()) {
			t.Errorf("help %s lacks the function list:\n%s", c, out)
		}
	}
}

// TestRelativeTimes: the relative times of daily jobs, in the --tz zone.
func TestRelativeTimes(t *testing.T) {
	defer func(f func() time.Time) { now = f }(now)
	now = func() time.Time { return time.Date(2026, 12, 7, 3, 30, 0, 0, time.UTC) }
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for _, c := range []struct {
		in   string
		loc  *time.Location
		want time.Time
	}{
		{"now", time.UTC, time.Date(2026, 12, 7, 3, 30, 0, 0, time.UTC)},
		{"today", time.UTC, time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)},
		{"yesterday", time.UTC, time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)},
		{"today", berlin, time.Date(2026, 12, 7, 0, 0, 0, 0, berlin)}, // 04:30 in Berlin: the 7th there too
		{"-24h", time.UTC, time.Date(2026, 12, 6, 3, 30, 0, 0, time.UTC)},
		{"-90m", time.UTC, time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)},
		{"-7d", time.UTC, time.Date(2026, 11, 30, 3, 30, 0, 0, time.UTC)},
		{"-2w", time.UTC, time.Date(2026, 11, 23, 3, 30, 0, 0, time.UTC)},
		{"2026-11-01T06", time.UTC, time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)},
	} {
		got, err := parseTimeFlag(c.in, c.loc)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("%s in %s: %v, %v; want %v", c.in, c.loc, got, err, c.want)
		}
	}
	for _, bad := range []string{"-7x", "tomorrow", "7d", "--1d"} {
		if _, err := parseTimeFlag(bad, time.UTC); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestIsTerminal: a device that is not a tty (/dev/null), a pipe and a file are not terminals, so
// binary output to them is allowed and no progress line is drawn.
func TestIsTerminal(t *testing.T) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer null.Close()
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	f, _ := os.Create(filepath.Join(t.TempDir(), "out"))
	defer f.Close()
	for name, x := range map[string]*os.File{"/dev/null": null, "a pipe": w, "a file": f} {
		if isTerminal(x) {
			t.Errorf("%s taken for a terminal", name)
		}
	}
}

// TestCLIConventions: "did you mean" for commands and flags, no sentinel defaults in help, shell
// completion and man pages from the same definitions, --top 0 as --limit 0: all.
func TestCLIConventions(t *testing.T) {
	code, _, errOut := flowlens(t, "repotr")
	if code != 2 || !strings.Contains(errOut, "did you mean: report?") {
		t.Errorf("mistyped command: exit %d: %s", code, errOut)
	}
	code, _, errOut = flowlens(t, "report", "--form", "2026-11-01", "x")
	if code != 2 || !strings.Contains(errOut, "unknown flag: --form") || !strings.Contains(errOut, "did you mean --from?") {
		t.Errorf("mistyped flag: exit %d: %s", code, errOut)
	}
	for _, c := range commands {
		_, out, _ := flowlens(t, "help", c.name)
		if strings.Contains(out, "(default -1)") {
			t.Errorf("help %s shows a sentinel default:\n%s", c.name, out)
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		code, out, _ := flowlens(t, "completion", shell)
		if code != 0 || !strings.Contains(out, "flowlens") || len(out) < 1000 {
			t.Errorf("completion %s: exit %d, %d bytes", shell, code, len(out))
		}
	}
	dir := t.TempDir()
	if code, _, errOut := flowlens(t, "man", "-o", dir); code != 0 {
		t.Fatalf("man: exit %d: %s", code, errOut)
	}
	page, err := os.ReadFile(filepath.Join(dir, "flowlens-report.1"))
	if err != nil || !strings.Contains(string(page), ".TH \"FLOWLENS\"") || !strings.Contains(string(page), "--top") ||
		!strings.Contains(string(page), "flowlens report --from 2026-11-01") {
		t.Errorf("man page of report: %v\n%.400s", err, page)
	}
	src := peer + "elastic-beats/accept-reject-traffic.log"
	_, all, _ := flowlens(t, "report", "--format", "json", "--top", "0", src)
	_, one, _ := flowlens(t, "report", "--format", "json", "--top", "1", src)
	var a, o report.Report
	json.Unmarshal([]byte(all), &a)
	json.Unmarshal([]byte(one), &o)
	if len(a.Conversations) <= 1 || len(o.Conversations) != 1 {
		t.Errorf("--top 0: %d conversations, --top 1: %d", len(a.Conversations), len(o.Conversations))
	}
}

// TestInterruptedAndWorkers: a run whose context is cancelled (SIGINT) says "interrupted" and
// exits 130, leaving no output file; --workers beyond 4 per CPU is a usage error, not gigabytes.
func TestInterruptedAndWorkers(t *testing.T) {
	var o, e bytes.Buffer
	stdout, stderr = &o, &e
	defer func() { stdout, stderr = os.Stdout, os.Stderr }()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(t.TempDir(), "r.json")
	if code := run(ctx, []string{"report", "-o", out, peer + "elastic-beats"}); code != 130 || !strings.Contains(e.String(), "flowlens report: interrupted") {
		t.Errorf("exit %d: %s", code, e.String())
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an interrupted run left its output")
	}
	ds := filepath.Join(t.TempDir(), "ds")
	e.Reset()
	if code := run(ctx, []string{"convert", "-o", ds, peer + "elastic-beats"}); code != 130 || !strings.Contains(e.String(), "flowlens convert: interrupted") {
		t.Errorf("convert: exit %d: %s", code, e.String())
	}
	if _, err := os.Stat(filepath.Join(ds, output.ManifestName)); err == nil {
		t.Error("an interrupted convert recorded its objects")
	}
	code, _, errOut := flowlens(t, "cat", "--workers", "100000", peer+"elastic-beats/ipv6.log")
	if code != 2 || !strings.Contains(errOut, "--workers 100000: want 1 to") {
		t.Errorf("--workers 100000: exit %d: %s", code, errOut)
	}
}

// TestStrictFields: a value of the right bytes out of its range in a field the question does not
// read passes the structural check; --strict-fields parses it and reports the line.
func TestStrictFields(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.log")
	os.WriteFile(p, []byte("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"+
		"2 1 eni-1 10.0.0.1 10.0.0.2 99999 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n"+
		"2 1 eni-1 10.0.0.1 10.0.0.2 x7 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n"), 0o644)
	q := "SELECT interface_id, sum(bytes) AS b FROM t GROUP BY 1"
	code, out, errOut := flowlens(t, "sql", q, p)
	if code != 0 || out != `{"interface_id":"eni-1","b":4249}`+"\n" || !strings.Contains(errOut, "1 records") ||
		!strings.Contains(errOut, `cannot parse srcport "x7"`) || strings.Contains(errOut, "99999") {
		t.Errorf("structural check: %d %q %q", code, out, errOut)
	}
	code, out, errOut = flowlens(t, "sql", "--strict-fields", q, p)
	if code != 0 || out != "" || !strings.Contains(errOut, "0 records") || !strings.Contains(errOut, `cannot parse srcport "99999"`) {
		t.Errorf("--strict-fields: %d %q %q", code, out, errOut)
	}
}
