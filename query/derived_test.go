package query_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/query"
)

// TestCTEReuse: a WITH query that groups, used by two arms of a UNION ALL, gives each arm its
// rows, and is computed once: its objects are read once (the accounting counts each once), and
// --explain says so. A scan WITH query is inlined at each use instead.
func TestCTEReuse(t *testing.T) {
	src := sqFixtureSources(t)
	const q = `WITH per AS (SELECT interface_id, sum(bytes) AS b, count(*) AS n FROM t GROUP BY interface_id)
		SELECT 'big' AS k, count(*) AS c, sum(b) AS s FROM per WHERE b > 1000
		UNION ALL SELECT 'all', count(*), sum(n) FROM per ORDER BY k`
	// The fixture's groups (sql_semantics_test.go): eni-a 2300 bytes, eni-b 23100, eni-c 300,
	// eni-d 700, NULL 400; 11 records.
	want := sqWant{cols: []string{"k", "c", "s"}, rows: [][]any{{"all", int64(5), int64(11)}, {"big", int64(2), int64(25400)}}}
	for _, w := range []int{1, 3} {
		p, err := query.PlanSQL(q, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		if ex := p.Explain(); !strings.Contains(ex, "used 2 times: run once") {
			t.Errorf("explain does not say the WITH query runs once:\n%s", ex)
		}
		res, err := p.Run(context.Background(), src, query.RunOptions{Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if res.Stats.Objects != int64(len(src)) {
			t.Errorf("%d workers: %d objects read, want %d (the WITH query once)", w, res.Stats.Objects, len(src))
		}
		names, rows := sqRead(t, res, time.UTC)
		res.Release()
		sqCompare(t, "CTE used twice", names, rows, want)
	}

	// Kept within --memory-limit: a result larger than the limit is an error that says why (an
	// ordered scan, which spills its sort, has a result larger than what it holds: 448 bytes here).
	const sorted = "WITH s AS (SELECT srcaddr, dstaddr, bytes FROM t ORDER BY bytes) SELECT count(*) FROM s UNION ALL SELECT count(*) FROM s"
	for _, c := range []struct {
		limit int64
		fail  bool
	}{{256, true}, {4096, false}} {
		p, err := query.PlanSQL(sorted, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Run(context.Background(), src, query.RunOptions{Workers: 1, MemoryLimit: c.limit})
		if got := err != nil && strings.Contains(err.Error(), `the WITH query "s" is used 2 times`); got != c.fail {
			t.Errorf("--memory-limit %d: %v", c.limit, err)
		}
	}

	// A scan WITH query is inlined: each use reads the sources (two arms: twice).
	p, err := query.PlanSQL(`WITH r AS (SELECT account_id, bytes FROM t WHERE action = 'REJECT')
		SELECT count(*) AS n FROM r UNION ALL SELECT sum(bytes) FROM r`, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(context.Background(), src, query.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Objects != 2*int64(len(src)) {
		t.Errorf("inlined scan used twice: %d objects read, want %d", res.Stats.Objects, 2*len(src))
	}
	res.Release()
}

// TestDerivedErrors: what a derived table does not have is an error at the token.
func TestDerivedErrors(t *testing.T) {
	for _, c := range []struct{ q, msg, at string }{
		{"SELECT x FROM (SELECT srcaddr FROM t)", `column "x" is not a column of the subquery`, "x FROM"},
		{"SELECT bytes FROM (SELECT srcaddr, count(*) AS n FROM t GROUP BY 1)", `column "bytes" is not a column of the subquery`, "bytes FROM"},
		{"WITH a AS (SELECT srcaddr FROM t) SELECT dstaddr FROM a", `column "dstaddr" is not a column of the WITH query "a"`, "dstaddr FROM a"},
		{"SELECT srcaddr FROM t UNION ALL SELECT srcaddr, dstaddr FROM t", "UNION ALL: this select has 2 columns, the first has 1", "srcaddr, dstaddr"},
		{"SELECT srcaddr FROM t UNION ALL SELECT bytes FROM t", "UNION ALL: column 1 (srcaddr) is a bigint in select 2 and a ipaddress in the first", "bytes FROM"},
		{"WITH a(x, y) AS (SELECT srcaddr FROM t) SELECT x FROM a", `names 2 columns, its select has 1`, "a(x, y)"},
		{"SELECT srcaddr FROM 'a/' UNION ALL SELECT srcaddr FROM 'b/'", "read different paths", "'b/'"},
	} {
		_, err := query.PlanSQL(c.q, time.UTC)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v, want %q", c.q, err, c.msg)
			continue
		}
		// The caret is under the token: the query line, then spaces up to it.
		lines := strings.Split(err.Error(), "\n")
		if len(lines) < 3 {
			t.Errorf("%s: no caret: %v", c.q, err)
			continue
		}
		col := strings.Index(lines[2], "^") - 2
		if at := strings.Index(c.q, c.at); col != at {
			t.Errorf("%s: caret at %d, want %d (%q):\n%v", c.q, col, at, c.at, err)
		}
	}
}

// TestNowOncePerQuery: now(), current_timestamp and current_date are read once per query, so that
// every reference agrees, in every select of a WITH or a UNION ALL, even when the clock passes a
// second (or midnight) between them.
func TestNowOncePerQuery(t *testing.T) {
	src := sqFixtureSources(t)
	t0 := time.Date(2026, 11, 3, 23, 59, 59, 600_000_000, time.UTC)
	calls := 0
	defer query.SetClock(func() time.Time {
		calls++
		return t0.Add(time.Duration(calls-1) * time.Second) // each reading a second later
	})()
	names, rows := sqRun(t, src, `WITH x AS (SELECT max(now()) AS a, min(current_timestamp) AS b FROM t)
		SELECT a, b, now() AS c, current_date AS d FROM x
		UNION ALL SELECT now(), localtimestamp, current_timestamp, current_date FROM t WHERE account_id = 'r01'`, time.UTC, 2)
	ts, day := sqTS(t0.Unix()), sqUTC(2026, 11, 3, 0, 0, 0)
	sqCompare(t, "now() once", names, rows, sqWant{cols: []string{"a", "b", "c", "d"}, unordered: true,
		rows: [][]any{{ts, ts, ts, day}, {ts, ts, ts, day}}})
	if calls != 1 {
		t.Errorf("the clock was read %d times, want once", calls)
	}
}

// TestSQLDateTimeDST covers the time functions and conversions that TestSQLDateTimeFunctions and
// TestSQLTime do not, in New York across both daylight-saving changes of 2026: r01 01:30 EST and
// r03 03:30 EDT on Sunday 8 March (spring forward), r11 01:30 EDT and r10 01:30 EST on Sunday
// 1 November (the two 01:30s of the fall-back night). Values worked out by hand.
func TestSQLDateTimeDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	utc := func(y int, mo time.Month, d, h, mi, s int) sqTS { return sqUTC(y, mo, d, h, mi, s) }
	i := func(v int) int64 { return int64(v) }
	sqRunCases(t, []sqCase{
		{name: "truncation to week, month, quarter and year in New York", loc: ny,
			q: `SELECT account_id, date_trunc('week', from_unixtime(start)) AS w, date_trunc('month', from_unixtime(start)) AS m,
				date_trunc('quarter', from_unixtime(start)) AS q, date_trunc('year', from_unixtime(start)) AS y,
				date(from_unixtime(start)) AS d, CAST(from_unixtime(start) AS date) AS cd
				FROM t WHERE account_id IN ('r01', 'r03', 'r10', 'r11') ORDER BY account_id`,
			cols: []string{"account_id", "w", "m", "q", "y", "d", "cd"},
			rows: sqRowsT{
				// Monday 2 March 00:00 EST; 1 March EST; 1 January EST; the day: 8 March 00:00 EST.
				{"r01", utc(2026, 3, 2, 5, 0, 0), utc(2026, 3, 1, 5, 0, 0), utc(2026, 1, 1, 5, 0, 0), utc(2026, 1, 1, 5, 0, 0), utc(2026, 3, 8, 5, 0, 0), utc(2026, 3, 8, 5, 0, 0)},
				{"r03", utc(2026, 3, 2, 5, 0, 0), utc(2026, 3, 1, 5, 0, 0), utc(2026, 1, 1, 5, 0, 0), utc(2026, 1, 1, 5, 0, 0), utc(2026, 3, 8, 5, 0, 0), utc(2026, 3, 8, 5, 0, 0)},
				// Monday 26 October 00:00 EDT; 1 November 00:00 EDT; 1 October EDT; 1 January EST.
				{"r10", utc(2026, 10, 26, 4, 0, 0), utc(2026, 11, 1, 4, 0, 0), utc(2026, 10, 1, 4, 0, 0), utc(2026, 1, 1, 5, 0, 0), utc(2026, 11, 1, 4, 0, 0), utc(2026, 11, 1, 4, 0, 0)},
				{"r11", utc(2026, 10, 26, 4, 0, 0), utc(2026, 11, 1, 4, 0, 0), utc(2026, 10, 1, 4, 0, 0), utc(2026, 1, 1, 5, 0, 0), utc(2026, 11, 1, 4, 0, 0), utc(2026, 11, 1, 4, 0, 0)},
			}},
		{name: "parts of a time in New York", loc: ny,
			q: `SELECT account_id, year(from_unixtime(start)) AS y, quarter(from_unixtime(start)) AS q, month(from_unixtime(start)) AS mo,
				week(from_unixtime(start)) AS w, day_of_year(from_unixtime(start)) AS doy, day(from_unixtime(start)) AS d,
				minute(from_unixtime(start)) AS mi, second(from_unixtime(start)) AS s
				FROM t WHERE account_id IN ('r01', 'r03', 'r05', 'r10', 'r11') ORDER BY account_id`,
			cols: []string{"account_id", "y", "q", "mo", "w", "doy", "d", "mi", "s"},
			rows: sqRowsT{
				{"r01", i(2026), i(1), i(3), i(10), i(67), i(8), i(30), i(0)},
				{"r03", i(2026), i(1), i(3), i(10), i(67), i(8), i(30), i(0)},
				// Saturday 7 March 23:59:42 EST.
				{"r05", i(2026), i(1), i(3), i(10), i(66), i(7), i(59), i(42)},
				{"r10", i(2026), i(4), i(11), i(44), i(305), i(1), i(30), i(0)},
				{"r11", i(2026), i(4), i(11), i(44), i(305), i(1), i(30), i(0)},
			}},
		{name: "intervals and calendar arithmetic across the changes", loc: ny,
			q: `SELECT account_id, from_unixtime(start) + INTERVAL '1' DAY AS plus_day, date_add('week', 1, from_unixtime(start)) AS plus_week,
				date_add('month', 1, from_unixtime(start)) AS plus_month, from_unixtime(start) - INTERVAL '2' HOUR AS minus_2h,
				date_diff('minute', from_unixtime(start), date_add('day', 1, from_unixtime(start))) AS mins,
				date_diff('week', from_unixtime(start), date_add('week', 1, from_unixtime(start))) AS weeks
				FROM t WHERE account_id IN ('r01', 'r11') ORDER BY account_id`,
			cols: []string{"account_id", "plus_day", "plus_week", "plus_month", "minus_2h", "mins", "weeks"},
			rows: sqRowsT{
				// 01:30 EST + 24 h elapsed = 02:30 EDT; + 1 week on the wall clock = 15 March 01:30 EDT;
				// + 1 month = 8 April 01:30 EDT; a calendar day of 23 hours is 1380 minutes.
				{"r01", utc(2026, 3, 9, 6, 30, 0), utc(2026, 3, 15, 5, 30, 0), utc(2026, 4, 8, 5, 30, 0), utc(2026, 3, 8, 4, 30, 0), i(1380), i(1)},
				// 01:30 EDT + 1 week = 8 November 01:30 EST; + 1 month = 1 December 01:30 EST; a day of 25 hours.
				{"r11", utc(2026, 11, 2, 5, 30, 0), utc(2026, 11, 8, 6, 30, 0), utc(2026, 12, 1, 6, 30, 0), utc(2026, 11, 1, 3, 30, 0), i(1500), i(1)},
			}},
	})
}

// TestPartitionPruning: a WHERE on partition columns skips the objects whose keys fail it, the
// answer is that of the objects kept, and region falls back to the key's where the layout has none.
func TestPartitionPruning(t *testing.T) {
	d := cpLoad(t)
	run := func(q string) (*query.Result, []string, [][]any) {
		t.Helper()
		p, err := query.PlanSQL(q, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.Run(context.Background(), d.sources, query.RunOptions{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		names, rows := sqRead(t, res, time.UTC)
		res.Release()
		return res, names, rows
	}
	keys := map[string]bool{}
	perDay := map[string]bool{}
	for _, r := range d.recs {
		keys[r.day+"/"+r.hour] = true
		if r.day == "02" {
			perDay[r.hour] = true
		}
	}
	res, _, rows := run("SELECT count(*) AS n FROM vpc_flow_logs WHERE day = '02' AND action = 'ACCEPT'")
	if res.Pruned != len(d.sources)-len(perDay) || res.Stats.Objects != int64(len(perDay)) {
		t.Errorf("day = '02': %d objects skipped, %d read; want %d and %d", res.Pruned, res.Stats.Objects, len(d.sources)-len(perDay), len(perDay))
	}
	want := cpCountIf(d.recs, func(r *cpRec) bool { return r.day == "02" && r.is(flowlog.FAction, "ACCEPT") })
	if len(rows) != 1 || rows[0][0] != want {
		t.Errorf("day = '02': %v, want %d", rows, want)
	}
	// A conjunct that reads the rows too, or an OR with one, prunes nothing.
	if res, _, _ := run("SELECT count(*) FROM vpc_flow_logs WHERE day = '02' OR action = 'REJECT'"); res.Pruned != 0 {
		t.Errorf("an OR with a row condition skipped %d objects", res.Pruned)
	}
	// The key's region where the layout has none: v2 data in the same layout.
	dir := t.TempDir()
	if err := writeV2Hourly(dir); err != nil {
		t.Fatal(err)
	}
	src, err := flowlog.ExpandLocal([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"SELECT region, count(*) AS n FROM t GROUP BY region", "SELECT region, count(*) AS n FROM t WHERE region = 'eu-west-1' GROUP BY 1"} {
		p, err := query.PlanSQL(q, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.Run(context.Background(), src, query.RunOptions{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		_, rows := sqRead(t, res, time.UTC)
		res.Release()
		if len(rows) != 1 || rows[0][0] != "eu-west-1" || rows[0][1] != int64(2) {
			t.Errorf("%s: %v, want the key's region eu-west-1 for the 2 records", q, rows)
		}
	}
}

// writeV2Hourly writes one default-format object of 2 records in the classic hourly key layout of
// eu-west-1.
func writeV2Hourly(dir string) error {
	return writeFile(dir+"/AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/11/01/05/111122223333_vpcflowlogs_eu-west-1_fl-1_20261101T0505Z_ab.log",
		"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"+
			"2 111122223333 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 10 1793509200 1793509210 ACCEPT OK\n"+
			"2 111122223333 eni-1 10.0.0.2 10.0.0.1 2 1 6 1 10 1793509200 1793509210 ACCEPT OK\n")
}

func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}
