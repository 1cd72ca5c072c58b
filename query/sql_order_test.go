package query_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/query"
)

// sqOrderSources writes files of random records with nulls in most columns and few distinct values
// (ties on every key), and returns them as sources.
func sqOrderSources(t *testing.T, files, rows int) []flowlog.Source {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 9))
	dir := t.TempDir()
	or := func(p int, v string) string {
		if rng.IntN(100) < p {
			return "-"
		}
		return v
	}
	for f := range files {
		var b strings.Builder
		b.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags\n")
		for range rows {
			src := fmt.Sprintf("10.0.%d.%d", rng.IntN(3), rng.IntN(40))
			if rng.IntN(8) == 0 {
				src = fmt.Sprintf("2001:db8::%x", rng.IntN(30))
			}
			start := 1764547200 + rng.IntN(60)
			fmt.Fprintf(&b, "2 %s %s %s %s %s %d 6 %d %s %d %d %s OK %s\n",
				fmt.Sprint(100+rng.IntN(5)), or(10, fmt.Sprintf("eni-%d", rng.IntN(9))), or(5, src),
				or(5, fmt.Sprintf("10.1.0.%d", rng.IntN(6))), or(10, fmt.Sprint(1024+rng.IntN(4))),
				[]int{22, 80, 443}[rng.IntN(3)], 1+rng.IntN(4), or(10, fmt.Sprint(rng.IntN(6)*100)),
				start, start+60, or(5, []string{"ACCEPT", "REJECT"}[rng.IntN(2)]), or(30, fmt.Sprint([]int{0, 2, 18, 19}[rng.IntN(4)])))
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%d.log", f)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := flowlog.ExpandLocal([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// sqRunLimited runs q with w workers within a memory limit and returns the names, rows and result.
func sqRunLimited(t *testing.T, src []flowlog.Source, q string, w int, limit int64) ([]string, [][]any, *query.Result) {
	t.Helper()
	p, err := query.PlanSQL(q, time.UTC)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	res, err := p.Run(context.Background(), src, query.RunOptions{Workers: w, MemoryLimit: limit})
	if err != nil {
		t.Fatalf("%s (%d workers, limit %d): %v", q, w, limit, err)
	}
	defer res.Release()
	names, rows := sqRead(t, res, time.UTC)
	return names, rows, res
}

// sqSameRows reports the first row where got and want differ.
func sqSameRows(got, want [][]any) (int, bool) {
	for i := range max(len(got), len(want)) {
		if i >= len(got) || i >= len(want) || len(got[i]) != len(want[i]) {
			return i, false
		}
		for c := range got[i] {
			if !sqSame(got[i][c], want[i][c]) {
				return i, false
			}
		}
	}
	return 0, true
}

// TestSQLScanOrderDifferential runs ORDER BY queries without GROUP BY (one and two keys, ASC and
// DESC, nulls, ties, keys outside the select list, *) with LIMIT 1, 100, 5000 and none, on 1 and
// 3 workers, without a memory limit (top-k and in-memory sorts) and with one of 256 KiB (spilled
// runs, merged several passes deep), against a plain Go sort of the rows the same scan lists
// without ORDER BY.
func TestSQLScanOrderDifferential(t *testing.T) {
	defer query.SetSpillDir(t.TempDir())()
	src := sqOrderSources(t, 6, 4000)
	cases := []struct {
		cols  string // select list
		where string
		keys  []string // ORDER BY expressions
		desc  []bool
	}{
		{"srcaddr, dstaddr, bytes", "", []string{"bytes"}, []bool{true}},
		{"srcaddr, srcport, bytes", "", []string{"bytes", "srcport"}, []bool{false, true}},
		{"*", "action = 'ACCEPT'", []string{"start", "bytes"}, []bool{true, true}},
		{"interface_id, action, packets", "", []string{"action"}, []bool{false}},                     // a string key: ties everywhere
		{"account_id, bytes * 2 AS b2", "", []string{"tcp_flags", "bytes * 2"}, []bool{true, false}}, // a key not selected
		{"dstaddr, srcaddr", "dstport = 443", []string{"srcaddr"}, []bool{true}},                     // addresses, IPv4 before IPv6
		{"interface_id, bytes * 1.5 AS f", "", []string{"bytes * 1.5"}, []bool{true}},                // double
		{"action", "", []string{"interface_id"}, []bool{false}},                                      // output all ties
	}
	for _, c := range cases {
		var order []string
		for i, k := range c.keys {
			if c.desc[i] {
				k += " DESC"
			}
			order = append(order, k)
		}
		base := "SELECT " + c.cols + " FROM t"
		if c.where != "" {
			base += " WHERE " + c.where
		}
		// The reference: the same rows without ORDER BY, the keys as extra columns, sorted in Go.
		cols := c.cols
		if cols == "*" {
			names, _ := sqRun(t, src, base+" LIMIT 1", time.UTC, 1)
			for i := range names {
				names[i] = `"` + names[i] + `"`
			}
			cols = strings.Join(names, ", ")
		}
		refQ := "SELECT " + cols + ", " + strings.Join(c.keys, ", ") + " FROM t"
		if c.where != "" {
			refQ += " WHERE " + c.where
		}
		_, all := sqRun(t, src, refQ, time.UTC, 1)
		nk := len(c.keys)
		var rows []sqRow
		for _, r := range all {
			rows = append(rows, sqRow{out: r[:len(r)-nk], keys: r[len(r)-nk:]})
		}
		if len(rows) < 5000 {
			t.Fatalf("%s: %d rows, too few", refQ, len(rows))
		}
		for _, limit := range []int{-1, 1, 100, 5000} {
			q := base + " ORDER BY " + strings.Join(order, ", ")
			if limit >= 0 {
				q += fmt.Sprintf(" LIMIT %d", limit)
			}
			want := sqSort(append([]sqRow(nil), rows...), c.desc, limit)
			for _, w := range []int{1, 3} {
				for _, mem := range []int64{0, 256 << 10} {
					runs := query.SpillRuns()
					_, got, res := sqRunLimited(t, src, q, w, mem)
					spilled := query.SpillRuns() - runs
					if i, ok := sqSameRows(got, want); !ok {
						t.Errorf("%s (%d workers, memory limit %d): row %d differs:\n got %d rows, %v\nwant %d rows, %v",
							q, w, mem, i, len(got), sqRowAt(got, i), len(want), sqRowAt(want, i))
					}
					if mem == 0 && spilled != 0 {
						t.Errorf("%s: %d runs written without a memory limit", q, spilled)
					}
					if mem > 0 && limit < 0 && spilled < 2 {
						t.Errorf("%s (%d workers, memory limit %d): %d runs written, want the sort spilled", q, w, mem, spilled)
					}
					if res.Peak <= 0 {
						t.Errorf("%s: no peak memory reported", q)
					}
				}
			}
		}
	}
}

func sqRowAt(rows [][]any, i int) string {
	if i < len(rows) {
		return sqFormatRow(rows[i])
	}
	return "(none)"
}

// sqSynth generates records with the synth generator.
func sqSynth(t *testing.T, records int64, objects int) []flowlog.Source {
	t.Helper()
	dir := t.TempDir()
	if _, err := synth.Generate(synth.Config{Dir: dir, Seed: 5, Records: records, Objects: objects, Fields: flowlog.DefaultLayout,
		Layout: "flat", Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1}); err != nil {
		t.Fatal(err)
	}
	src, err := flowlog.ExpandLocal([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// TestSQLScanTopKMemory: ORDER BY … LIMIT 10 over a million records within 8 MiB holds a few
// thousand rows per worker, not the input: the peak the budget saw stays far below the limit, no run
// is written, and the answer is that of a plain top 10 of the rows listed without ORDER BY.
func TestSQLScanTopKMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("a million records")
	}
	src := sqSynth(t, 1_000_000, 4)
	const q = "SELECT * FROM t WHERE action = 'ACCEPT' ORDER BY start DESC, bytes DESC LIMIT 10"
	runs := query.SpillRuns()
	names, got, res := sqRunLimited(t, src, q, 2, 8<<20)
	if n := query.SpillRuns() - runs; n != 0 {
		t.Errorf("%d runs written for a top 10", n)
	}
	if res.Peak <= 0 || res.Peak > 3<<20 {
		t.Errorf("peak of the retained rows %d bytes, want above 0 and at most 3 MiB", res.Peak)
	}
	if res.Stats == nil || res.Stats.Records < 900_000 {
		t.Fatalf("read %v", res.Stats)
	}
	// The reference: every ACCEPT row, as the scan lists them, through a top 10 in Go.
	p, err := query.PlanSQL("SELECT * FROM t WHERE action = 'ACCEPT'", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	si, bi := -1, -1
	for i, n := range names {
		switch n {
		case "start":
			si = i
		case "bytes":
			bi = i
		}
	}
	var top []sqRow
	var seen int64
	emit := func(rec arrow.RecordBatch) error {
		one := &query.Result{Schema: rec.Schema(), Batches: []arrow.RecordBatch{rec}, Rows: rec.NumRows()}
		_, rows := sqRead(t, one, time.UTC)
		seen += int64(len(rows))
		for _, r := range rows {
			top = append(top, sqRow{out: r, keys: []any{r[si], r[bi]}})
		}
		if len(top) > 1000 {
			kept := sqSort(top, []bool{true, true}, 10)
			top = top[:0]
			for _, r := range kept {
				top = append(top, sqRow{out: r, keys: []any{r[si], r[bi]}})
			}
		}
		return nil
	}
	if _, err := p.Run(context.Background(), src, query.RunOptions{Workers: 2, Emit: emit}); err != nil {
		t.Fatal(err)
	}
	want := sqSort(top, []bool{true, true}, 10)
	if seen < 500_000 {
		t.Fatalf("the reference saw %d rows", seen)
	}
	if i, ok := sqSameRows(got, want); !ok {
		t.Errorf("row %d: got %s, want %s", i, sqRowAt(got, i), sqRowAt(want, i))
	}
}

// TestSQLScanOrderSpill: a full ORDER BY over rows far larger than a 4 MiB memory limit spills
// sorted runs, and its answer is that of the same query without a limit (sorted in memory) and of a
// Go sort; the runs' directory is gone afterwards, also when the run is cancelled while the workers
// spill and while the merge writes the answer.
func TestSQLScanOrderSpill(t *testing.T) {
	if testing.Short() {
		t.Skip("300 000 records")
	}
	parent := t.TempDir()
	defer query.SetSpillDir(parent)()
	empty := func(when string) {
		t.Helper()
		ents, err := os.ReadDir(parent)
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != 0 {
			t.Errorf("%s: %d entries left where the runs were written (%s)", when, len(ents), ents[0].Name())
		}
	}
	src := sqSynth(t, 300_000, 4)
	const limit = 4 << 20
	const q = "SELECT srcaddr, dstaddr, bytes, start FROM t ORDER BY bytes DESC, start"
	runs := query.SpillRuns()
	_, got, res := sqRunLimited(t, src, q, 2, limit)
	spilled := query.SpillRuns() - runs
	if spilled < 2 {
		t.Errorf("%d runs written, want at least 2", spilled)
	}
	// Over the limit by what a worker takes when the others hold the budget (a piece of a batch, then
	// written at once) and the merge's blocks.
	if res.Peak > limit+2<<20 {
		t.Errorf("peak %d bytes with a limit of %d", res.Peak, limit)
	}
	empty("after the run")
	_, mem, memRes := sqRunLimited(t, src, q, 2, 0)
	if memRes.Peak < 4*limit {
		t.Errorf("in memory, a peak of %d bytes: the data is not much larger than the limit", memRes.Peak)
	}
	if i, ok := sqSameRows(got, mem); !ok || len(got) < 290_000 {
		t.Errorf("%d rows spilled, %d in memory; row %d: %s, in memory %s", len(got), len(mem), i, sqRowAt(got, i), sqRowAt(mem, i))
	}
	var rows []sqRow
	for _, r := range mem {
		rows = append(rows, sqRow{out: r, keys: []any{r[2], r[3]}})
	}
	if i, ok := sqSameRows(got, sqSort(rows, []bool{true, false}, -1)); !ok {
		t.Errorf("row %d differs from the Go sort", i)
	}

	p, err := query.PlanSQL(q, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	// Cancelled while the workers spill: once a run is on disk.
	ctx, cancel := context.WithCancel(context.Background())
	before := query.SpillRuns()
	stop := make(chan struct{})
	go func() {
		for query.SpillRuns() == before {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Microsecond):
			}
		}
		cancel()
	}()
	_, err = p.Run(ctx, src, query.RunOptions{Workers: 2, MemoryLimit: limit})
	close(stop)
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled while spilling: error %v", err)
	}
	empty("cancelled while spilling")

	// Cancelled by the output's consumer after the first batch of the merge.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	var batches atomic.Int64
	_, err = p.Run(ctx, src, query.RunOptions{Workers: 2, MemoryLimit: limit, Emit: func(arrow.RecordBatch) error {
		batches.Add(1)
		cancel()
		return nil
	}})
	if !errors.Is(err, context.Canceled) || batches.Load() != 1 {
		t.Errorf("cancelled in the merge: error %v after %d batches", err, batches.Load())
	}
	empty("cancelled in the merge")
}
