package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/internal/s3test"
	"github.com/flowlens/flowlens/output"
)

// TestShardMerge: report, cost, five SQL queries (two in the general group-by: HyperLogLog sketches,
// percentiles, max_by, arrays) and a query command, each run over the objects
// in S3 (versitygw) in one process and as 1, 3, 4 and 7 shards (--shard I/N --partial) merged by
// `flowlens merge`: the merged answer is byte for byte the one-process answer, the input
// accounting too. A missing shard, a shard given twice and states of different questions are
// refused; an object that cannot be read is named by the merge, which exits 1 as one run does.
func TestShardMerge(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Generate(synth.Config{Dir: dir, Seed: 21, Records: 42_000, Objects: 21, Fields: flowlog.V5Layout,
		Layout: "aws-hourly", Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true, NATInstanceCopies: true}); err != nil {
		t.Fatal(err)
	}
	// One object that cannot be read to its end (the last of the day): a gzip stream cut short.
	var cut string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".gz") {
			cut = p
		}
		return err
	})
	b, _ := os.ReadFile(cut)
	os.WriteFile(cut, b[:len(b)/2], 0o644)

	src := []string{dir}
	if s3server != nil {
		for k, v := range s3test.Env(t.TempDir()) {
			t.Setenv(k, v)
		}
		if err := s3server.Upload("shards", "logs/", dir); err != nil {
			t.Fatal(err)
		}
		src = []string{"--endpoint-url", s3server.URL, "s3://shards/logs/"}
	} else {
		t.Log("no S3 server (set FLOWLENS_VERSITYGW, as make test does): the shards read the files")
	}
	questions := [][]string{
		{"report", "--format", "json", "--top", "7", "--from", "2026-11-01T02:00:00Z"},
		{"report", "--format", "table"},
		{"cost", "--format", "json"},
		{"sql", "--format", "csv", "SELECT interface_id, sum(bytes) AS bytes, count(*) AS flows FROM t GROUP BY 1 ORDER BY 2 DESC LIMIT 10"},
		{"sql", "--format", "json", "SELECT date_trunc('hour', from_unixtime(start)) AS hour, sum(bytes) AS bytes FROM t GROUP BY 1 ORDER BY 1"},
		{"sql", "--format", "jsonl", "SELECT srcaddr, dstaddr, sum(bytes) AS b, count(DISTINCT dstport) AS ports FROM t WHERE action = 'ACCEPT' GROUP BY 1, 2 ORDER BY b DESC LIMIT 12"},
		{"query", "--format", "csv", "--group-by", "dstport", "--where", "action = 'REJECT'"},
		// The general group-by: sketches, percentiles, extremes by, CASE inside aggregates.
		{"sql", "--format", "csv", "SELECT interface_id, approx_distinct(srcaddr) AS n, approx_percentile(bytes, 0.5) AS p50, " +
			"sum(CASE WHEN action = 'REJECT' THEN 1 ELSE 0 END) AS rej, max_by(dstaddr, bytes) AS top, count(DISTINCT dstport) AS ports " +
			"FROM t GROUP BY 1 ORDER BY n DESC, 1 LIMIT 10"},
		{"sql", "--format", "json", "SELECT approx_distinct(srcaddr) AS n, array_agg(DISTINCT protocol) AS protos, count_if(action = 'REJECT') AS r FROM t"},
	}
	states := t.TempDir()
	for qi, q := range questions {
		cmd, flags := q[0], q[1:]
		format := flags[1]
		wantCode, want, wantErr := flowlens(t, append(append([]string{cmd}, flags...), src...)...)
		if wantCode != 1 || !strings.Contains(wantErr, filepath.Base(cut)) {
			t.Fatalf("%v: one run: exit %d (want 1: an object is cut short): %s", q, wantCode, wantErr)
		}
		for _, n := range []int{1, 3, 4, 7} {
			var parts []string
			for i := 1; i <= n; i++ {
				p := filepath.Join(states, fmt.Sprintf("q%d-%d-of-%d.state", qi, i, n))
				args := append(append([]string{cmd, "--shard", fmt.Sprintf("%d/%d", i, n), "--partial", "-o", p}, flags...), src...)
				if code, _, errOut := flowlens(t, args...); code > 1 || !strings.Contains(errOut, "wrote the aggregation state") {
					t.Fatalf("%v shard %d/%d: exit %d: %s", q, i, n, code, errOut)
				}
				parts = append(parts, p)
			}
			code, got, errOut := flowlens(t, append([]string{"merge", "--format", format}, parts...)...)
			if code != wantCode || got != want {
				t.Fatalf("%v: %d shards merged: exit %d, output differs from one run's (%d against %d bytes)\n%s", q, n, code, len(got), len(want), errOut)
			}
			if tail := func(s string) string { return s[strings.Index(s, "flowlens: "):] }; !strings.Contains(errOut, "flowlens: ") ||
				strings.Split(tail(errOut), "\n")[0] != strings.Split(tail(wantErr), "\n")[0] {
				t.Fatalf("%v: %d shards: the accounting differs:\n%s\nwant\n%s", q, n, errOut, wantErr)
			}
			if n == 3 {
				code, _, errOut := flowlens(t, "merge", parts[0], parts[2])
				if code != 1 || !strings.Contains(errOut, "no state of shard 2/3") {
					t.Errorf("%v: a missing shard: exit %d: %s", q, code, errOut)
				}
				code, _, errOut = flowlens(t, "merge", parts[0], parts[1], parts[1], parts[2])
				if code != 1 || !strings.Contains(errOut, "given twice") {
					t.Errorf("%v: a shard twice: exit %d: %s", q, code, errOut)
				}
				if qi > 0 {
					other := filepath.Join(states, fmt.Sprintf("q%d-2-of-3.state", qi-1))
					code, _, errOut = flowlens(t, "merge", parts[0], other, parts[2])
					if code != 1 || !strings.Contains(errOut, "answers another question") {
						t.Errorf("%v: states of two questions: exit %d: %s", q, code, errOut)
					}
				}
			}
		}
	}
	// A scan does not merge, and says so.
	code, _, errOut := flowlens(t, append([]string{"sql", "--partial", "-o", filepath.Join(states, "x"), "SELECT * FROM t LIMIT 3"}, src...)...)
	if code != 2 || !strings.Contains(errOut, "does not merge") {
		t.Errorf("a scan with --partial: exit %d: %s", code, errOut)
	}
	if code, _, errOut := flowlens(t, "report", "--shard", "4/3", dir); code != 2 || !strings.Contains(errOut, "--shard") {
		t.Errorf("--shard 4/3: exit %d: %s", code, errOut)
	}
	if code, _, errOut := flowlens(t, "report", "--partial", dir); code != 2 || !strings.Contains(errOut, "-o FILE") {
		t.Errorf("--partial without -o: exit %d: %s", code, errOut)
	}
}

// TestShardMergeRowGroups: with fewer Parquet objects than shards, the shards split the objects'
// row groups, and the merge is still the one-process answer, byte for byte, the object counts and
// sizes included.
func TestShardMergeRowGroups(t *testing.T) {
	text := t.TempDir()
	if _, err := synth.Generate(synth.Config{Dir: text, Seed: 4, Records: 60_000, Objects: 2, Fields: flowlog.V5Layout,
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true, NATInstanceCopies: true}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	srcs, err := flowlog.ExpandLocal([]string{text})
	if err != nil {
		t.Fatal(err)
	}
	for k, s := range srcs {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("part-%d.parquet", k)))
		if err != nil {
			t.Fatal(err)
		}
		pw, err := output.NewParquetWriterOptions(f, output.ParquetOptions{RowGroupRows: 4000})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := flowlog.DecodeSources(context.Background(), []flowlog.Source{s}, flowlog.Options{}, pw.Write); err != nil {
			t.Fatal(err)
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	for _, q := range [][]string{{"report", "--format", "json"}, {"sql", "--format", "csv", "SELECT srcaddr, sum(bytes) AS b FROM t GROUP BY 1 ORDER BY 2 DESC LIMIT 9"}} {
		code, want, wantErr := flowlens(t, append(q, dir)...)
		if code != 0 {
			t.Fatalf("%v: %s", q, wantErr)
		}
		for _, n := range []int{3, 5} {
			var parts []string
			for i := 1; i <= n; i++ {
				p := filepath.Join(t.TempDir(), "s.state")
				args := append(append([]string{q[0], "--shard", fmt.Sprintf("%d/%d", i, n), "--partial", "-o", p}, q[1:]...), dir)
				code, _, errOut := flowlens(t, args...)
				if code != 0 {
					t.Fatalf("%v shard %d/%d: %s", q, i, n, errOut)
				}
				// Each shard read a part of the rows, not all of them.
				if records(errOut) >= records(wantErr) {
					t.Fatalf("%v shard %d/%d read %d records of %d: the row groups were not split", q, i, n, records(errOut), records(wantErr))
				}
				parts = append(parts, p)
			}
			code, got, errOut := flowlens(t, append([]string{"merge", "--format", q[2]}, parts...)...)
			if code != 0 || got != want {
				t.Fatalf("%v: %d shards of row groups merged differ from one run: %s", q, n, errOut)
			}
			first := func(s string) string { return strings.Split(s[strings.Index(s, "flowlens: "):], "\n")[0] }
			if first(errOut) != first(wantErr) {
				t.Fatalf("%v: %d shards: accounting %q, want %q", q, n, first(errOut), first(wantErr))
			}
		}
	}
}

// records reads the records count of the accounting line on stderr.
func records(errOut string) int {
	var n int
	if i := strings.Index(errOut, " lines: "); i >= 0 {
		fmt.Sscanf(errOut[i+len(" lines: "):], "%d records", &n)
	}
	return n
}

// TestShardMergeEnriched: with --enrich, the merged report (names, by_tag, the enrichment's
// accounting) and a query over enriched columns are one run's.
func TestShardMergeEnriched(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Generate(synth.Config{Dir: dir, Seed: 9, Records: 30_000, Objects: 5, Fields: flowlog.V5Layout,
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true, NATInstanceCopies: true, Inventory: true}); err != nil {
		t.Fatal(err)
	}
	inv := filepath.Join(dir, synth.InventoryName)
	for _, q := range [][]string{
		{"report", "--format", "json", "--enrich", inv, "--by-tag", "team"},
		{"sql", "--format", "csv", "--enrich", inv, "--tag-keys", "team", "SELECT tag_team, interface_type, sum(bytes) AS b FROM t GROUP BY 1, 2 ORDER BY b DESC"},
	} {
		code, want, errOut := flowlens(t, append(q, dir)...)
		if code != 0 {
			t.Fatalf("%v: %s", q, errOut)
		}
		var parts []string
		for i := 1; i <= 3; i++ {
			p := filepath.Join(t.TempDir(), "s.state")
			if code, _, errOut := flowlens(t, append(append([]string{q[0], "--shard", fmt.Sprintf("%d/3", i), "--partial", "-o", p}, q[1:]...), dir)...); code != 0 {
				t.Fatalf("%v shard %d: %s", q, i, errOut)
			}
			parts = append(parts, p)
		}
		if code, got, errOut := flowlens(t, append([]string{"merge", "--format", q[2]}, parts...)...); code != 0 || got != want {
			t.Fatalf("%v: merged differs from one run: %s", q, errOut)
		}
	}
}
