package query_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/query"
	"github.com/flowlens/flowlens/query/sql"
)

// The semantics tests run over eleven hand-written records (account_id r01…r11 names them) with
// nulls ("-") in most columns, and two lines that are not table rows (NODATA, SKIPDATA). Times:
//
//	A 2026-03-08 06:30:00Z  01:30 EST, before the spring-forward change in New York
//	B 2026-03-08 07:30:00Z  03:30 EDT, after it
//	C 2026-03-08 04:59:42Z  23:59:42 EST on Saturday 7 March in New York, Sunday in UTC
//	D 2026-03-08 12:00:00Z  08:00 EDT
//	E 2026-11-01 06:30:00Z  01:30 EST, the second 01:30 of the fall-back night
//	F 2026-11-01 05:30:00Z  01:30 EDT, the first one
const sqFixture = `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status type tcp-flags
5 r01 eni-a 10.0.0.1 10.0.0.2 40000 22 6 10 1000 {A} {A+10} ACCEPT OK IPv4 2
5 r02 eni-a 10.0.0.1 10.0.0.3 40001 3389 6 5 500 {A} {A+10} REJECT OK IPv4 -
5 r03 eni-a 10.0.0.2 10.0.0.1 22 40000 6 8 800 {B} {B+10} ACCEPT OK IPv4 18
5 r04 eni-b 192.168.1.5 10.0.0.1 53 33000 17 1 100 {B} {B+10} ACCEPT OK IPv4 -
5 r05 eni-b 2001:db8::1 2001:db8::2 443 50000 6 20 20000 {C} {C+10} ACCEPT OK IPv6 3
5 r06 eni-b 2001:db8::2 2001:db8::1 50000 443 6 15 3000 {C} {C+10} REJECT OK IPv6 -
5 r07 eni-c 10.0.0.3 8.8.8.8 5000 53 17 2 - {D} {D+10} ACCEPT OK IPv4 -
5 r08 eni-c - 10.0.0.9 - - - - - {D} {D+10} - OK - -
5 r09 eni-c 10.0.0.9 - 1 2 1 3 300 - - ACCEPT OK IPv4 0
5 r10 - 10.0.0.1 10.0.0.2 40002 22 6 4 400 {E} {E+10} ACCEPT OK IPv4 -
5 r11 eni-d 172.16.0.1 10.0.0.2 40003 8080 6 7 700 {F} {F+10} ACCEPT OK IPv4 19
5 r12 eni-a - - - - - - - {A} {A+10} - NODATA - -
5 r13 eni-b - - - - - - - {B} {B+10} - SKIPDATA - -
`

var (
	sqA = time.Date(2026, 3, 8, 6, 30, 0, 0, time.UTC).Unix()
	sqB = time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC).Unix()
	sqC = time.Date(2026, 3, 8, 4, 59, 42, 0, time.UTC).Unix()
	sqD = time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC).Unix()
	sqE = time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC).Unix()
	sqF = time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC).Unix()
)

// sqUTC is a UTC time as a timestamp cell.
func sqUTC(y int, mo time.Month, d, h, mi, s int) sqTS {
	return sqTS(time.Date(y, mo, d, h, mi, s, 0, time.UTC).Unix())
}

// sqFixtureSources writes the fixture and returns it as sources.
func sqFixtureSources(t *testing.T) []flowlog.Source {
	t.Helper()
	var pairs []string
	for _, p := range []struct {
		name string
		v    int64
	}{{"A", sqA}, {"B", sqB}, {"C", sqC}, {"D", sqD}, {"E", sqE}, {"F", sqF}} {
		pairs = append(pairs, "{"+p.name+"}", fmt.Sprint(p.v), "{"+p.name+"+10}", fmt.Sprint(p.v+10))
	}
	path := filepath.Join(t.TempDir(), "fixture.log")
	if err := os.WriteFile(path, []byte(strings.NewReplacer(pairs...).Replace(sqFixture)), 0o644); err != nil {
		t.Fatal(err)
	}
	sources, err := flowlog.ExpandLocal([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	return sources
}

// sqRun plans and runs q with w workers and returns the column names and rows.
func sqRun(t *testing.T, sources []flowlog.Source, q string, loc *time.Location, w int) ([]string, [][]any) {
	t.Helper()
	p, err := query.PlanSQL(q, loc)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	res, err := p.Run(context.Background(), sources, query.RunOptions{Workers: w})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer res.Release()
	return sqRead(t, res, loc)
}

var sqIDs = []string{"r01", "r02", "r03", "r04", "r05", "r06", "r07", "r08", "r09", "r10", "r11"}

// TestSQLThreeValuedLogic evaluates each condition on every row, as a select item (TRUE, FALSE or
// NULL) and as WHERE c, WHERE NOT (c) and WHERE (c) IS NULL. want holds one letter per row r01…r11:
// T, F or N.
func TestSQLThreeValuedLogic(t *testing.T) {
	src := sqFixtureSources(t)
	cases := []struct{ cond, want string }{
		// Comparisons with nulls; NOT, AND, OR.
		{"tcp_flags > 2", "FNTNTNNNFNT"},
		{"NOT tcp_flags > 2", "TNFNFNNNTNF"},
		{"tcp_flags > 2 AND action = 'ACCEPT'", "FFTNTFNNFNT"},
		{"tcp_flags > 2 OR action = 'REJECT'", "FTTNTTNNFNT"},
		{"action = 'ACCEPT' OR NULL", "TNTTTNTNTTT"},
		{"action = 'REJECT' AND NULL", "FNFFFNFNFFF"},
		{"bytes > NULL", "NNNNNNNNNNN"},
		{"NOT (tcp_flags = 2 OR tcp_flags = 18)", "FNFNTNNNTNT"},
		// IN, NOT IN, BETWEEN, NOT BETWEEN.
		{"dstport IN (22, 443)", "TFFFFTFNFTF"},
		{"dstport IN (22, NULL)", "TNNNNNNNNTN"},
		{"dstport NOT IN (22, 443)", "FTTTTFTNTFT"},
		{"dstport NOT IN (22, NULL)", "FNNNNNNNNFN"},
		{"packets BETWEEN 5 AND 10", "TTTFFFFNFFT"},
		{"dstport NOT BETWEEN 1024 AND 49151", "TFFFTTTNTTF"},
		{"tcp_flags BETWEEN 0 AND 2 OR packets > 9", "TNFNTTNNTNF"},
		// IS [NOT] NULL.
		{"bytes IS NULL", "FFFFFFTTFFF"},
		{"NOT (srcaddr IS NOT NULL)", "FFFFFFFTFFF"},
		{"interface_id IS NULL OR start IS NULL", "FFFFFFFFTTF"},
		// Addresses against string literals.
		{"srcaddr = '10.0.0.1'", "TTFFFFFNFTF"},
		{"'10.0.0.1' = srcaddr", "TTFFFFFNFTF"},
		{"srcaddr <> '10.0.0.1'", "FFTTTTTNTFT"},
		{"dstaddr = '2001:db8::1'", "FFFFFTFFNFF"},
		{"srcaddr = 'not-an-address'", "FFFFFFFNFFF"},
		{"srcaddr <> 'not-an-address'", "TTTTTTTNTTT"},
		{"srcaddr IN ('10.0.0.1', '2001:db8::2', 'x')", "TTFFFTFNFTF"},
		{"srcaddr < '10.0.0.3'", "TTTFFFFNFTF"},
		{"srcaddr >= '2001:db8::2'", "FFFFFTFNFFF"},
		{"srcaddr = dstaddr", "FFFFFFFNNFF"},
		// LIKE shapes, on strings and on addresses as text.
		{"srcaddr LIKE '10.0.0.%'", "TTTFFFTNTTF"},
		{"interface_id LIKE '%-b'", "FFFTTTFFFNF"},
		{"srcaddr LIKE '%db8%'", "FFFFTTFNFFF"},
		{"interface_id LIKE 'eni-_'", "TTTTTTTTTNT"},
		{"srcaddr LIKE '1_.0.%.1'", "TTFFFFFNFTF"},
		{"action NOT LIKE 'ACC%'", "FTFFFTFNFFF"},
		{"interface_id LIKE '%'", "TTTTTTTTTNT"},
		{"type LIKE 'IPv_'", "TTTTTTTNTTT"},
		{"interface_id LIKE 'eni-a'", "TTTFFFFFFNF"},
		{"action LIKE 'A%T'", "TFTTTFTNTTT"},
		// contains() with IPv4 and IPv6 networks.
		{"contains('10.0.0.0/8', srcaddr)", "TTTFFFTNTTF"},
		{"contains('10.0.0.0/30', dstaddr)", "TTTTFFFFNTT"},
		{"contains('2001:db8::/32', dstaddr)", "FFFFTTFFNFF"},
		{"NOT contains('192.168.0.0/16', srcaddr)", "TTTFTTTNTTT"},
	}
	for _, c := range cases {
		t.Run(c.cond, func(t *testing.T) {
			if len(c.want) != len(sqIDs) {
				t.Fatalf("want has %d letters", len(c.want))
			}
			var want []any
			sets := map[byte][]any{}
			for i, l := range []byte(c.want) {
				switch l {
				case 'T':
					want = append(want, true)
				case 'F':
					want = append(want, false)
				default:
					want = append(want, nil)
				}
				sets[l] = append(sets[l], sqIDs[i])
			}
			_, rows := sqRun(t, src, "SELECT account_id, "+c.cond+" AS v FROM t ORDER BY account_id", time.UTC, 1)
			got := make([]any, len(rows))
			for i, r := range rows {
				got[i] = r[1]
				if i >= len(sqIDs) || r[0] != sqIDs[i] {
					t.Fatalf("row %d is %v", i, r[0])
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("select item: got %v\nwant %v", sqLetters(got), c.want)
			}
			for _, w := range []struct {
				where  string
				letter byte
			}{{c.cond, 'T'}, {"NOT (" + c.cond + ")", 'F'}, {"(" + c.cond + ") IS NULL", 'N'}} {
				_, rows := sqRun(t, src, "SELECT account_id FROM t WHERE "+w.where+" ORDER BY account_id", time.UTC, 2)
				var ids []any
				for _, r := range rows {
					ids = append(ids, r[0])
				}
				if fmt.Sprint(ids) != fmt.Sprint(sets[w.letter]) {
					t.Errorf("WHERE %s: got %v, want %v", w.where, ids, sets[w.letter])
				}
			}
		})
	}
}

func sqLetters(vs []any) string {
	var b strings.Builder
	for _, v := range vs {
		switch v {
		case true:
			b.WriteByte('T')
		case false:
			b.WriteByte('F')
		case nil:
			b.WriteByte('N')
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// sqCase is a query over the fixture and its expected answer.
type sqCase struct {
	name string
	q    string
	loc  *time.Location
	cols []string
	rows [][]any
}

func sqRunCases(t *testing.T, cases []sqCase) {
	t.Helper()
	src := sqFixtureSources(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			loc := c.loc
			if loc == nil {
				loc = time.UTC
			}
			for _, w := range []int{1, 3} {
				names, rows := sqRun(t, src, c.q, loc, w)
				sqCompare(t, fmt.Sprintf("%s (%d workers)", c.q, w), names, rows, sqWant{cols: c.cols, rows: c.rows})
			}
		})
	}
}

type sqRowsT = [][]any

func sqA4(s string) netip.Addr { return netip.MustParseAddr(s) }

// TestSQLValues checks scalar functions, arithmetic and casts row by row.
func TestSQLValues(t *testing.T) {
	sqRunCases(t, []sqCase{
		{name: "integer arithmetic, division by zero, float",
			q:    "SELECT account_id, bytes / packets AS q, bytes % 7 AS m, bytes / 0 AS z, bytes * 1.5 AS f, bytes / 2.0 AS h, -packets AS neg, packets - tcp_flags AS d FROM t ORDER BY account_id",
			cols: []string{"account_id", "q", "m", "z", "f", "h", "neg", "d"},
			rows: sqRowsT{
				{"r01", int64(100), int64(6), nil, 1500.0, 500.0, int64(-10), int64(8)},
				{"r02", int64(100), int64(3), nil, 750.0, 250.0, int64(-5), nil},
				{"r03", int64(100), int64(2), nil, 1200.0, 400.0, int64(-8), int64(-10)},
				{"r04", int64(100), int64(2), nil, 150.0, 50.0, int64(-1), nil},
				{"r05", int64(1000), int64(1), nil, 30000.0, 10000.0, int64(-20), int64(17)},
				{"r06", int64(200), int64(4), nil, 4500.0, 1500.0, int64(-15), nil},
				{"r07", nil, nil, nil, nil, nil, int64(-2), nil},
				{"r08", nil, nil, nil, nil, nil, nil, nil},
				{"r09", int64(100), int64(6), nil, 450.0, 150.0, int64(-3), int64(3)},
				{"r10", int64(100), int64(1), nil, 600.0, 200.0, int64(-4), nil},
				{"r11", int64(100), int64(0), nil, 1050.0, 350.0, int64(-7), int64(-12)},
			}},
		{name: "integer division and remainder truncate toward zero",
			q:    "SELECT account_id, (0 - packets) / 3 AS q, (0 - packets) % 3 AS m, packets / 3 * 3 + packets % 3 AS back FROM t WHERE packets IS NOT NULL ORDER BY account_id",
			cols: []string{"account_id", "q", "m", "back"},
			rows: sqRowsT{
				{"r01", int64(-3), int64(-1), int64(10)},
				{"r02", int64(-1), int64(-2), int64(5)},
				{"r03", int64(-2), int64(-2), int64(8)},
				{"r04", int64(0), int64(-1), int64(1)},
				{"r05", int64(-6), int64(-2), int64(20)},
				{"r06", int64(-5), int64(0), int64(15)},
				{"r07", int64(0), int64(-2), int64(2)},
				{"r09", int64(-1), int64(0), int64(3)},
				{"r10", int64(-1), int64(-1), int64(4)},
				{"r11", int64(-2), int64(-1), int64(7)},
			}},
		{name: "split_part",
			q:    "SELECT account_id, split_part(interface_id, '-', 2) AS s2, split_part(interface_id, '-', 3) AS s3, split_part(type, 'v', 1) AS t1, split_part(CAST(srcaddr AS varchar), '.', 4) AS o4 FROM t ORDER BY account_id",
			cols: []string{"account_id", "s2", "s3", "t1", "o4"},
			rows: sqRowsT{
				{"r01", "a", nil, "IP", "1"},
				{"r02", "a", nil, "IP", "1"},
				{"r03", "a", nil, "IP", "2"},
				{"r04", "b", nil, "IP", "5"},
				{"r05", "b", nil, "IP", nil},
				{"r06", "b", nil, "IP", nil},
				{"r07", "c", nil, "IP", "3"},
				{"r08", "c", nil, nil, nil},
				{"r09", "c", nil, "IP", "9"},
				{"r10", nil, nil, "IP", "1"},
				{"r11", "d", nil, "IP", "1"},
			}},
		{name: "CAST",
			q:    "SELECT account_id, CAST(dstport AS varchar) AS p, CAST(srcaddr AS varchar) AS a, CAST(bytes AS double) AS b, CAST(packets / 4.0 AS bigint) AS r, CAST('42' AS bigint) AS k, CAST(start AS timestamp) AS ts FROM t WHERE account_id IN ('r01', 'r05', 'r07', 'r08', 'r09') ORDER BY account_id",
			cols: []string{"account_id", "p", "a", "b", "r", "k", "ts"},
			rows: sqRowsT{
				{"r01", "22", "10.0.0.1", 1000.0, int64(3), int64(42), sqTS(sqA)},
				{"r05", "50000", "2001:db8::1", 20000.0, int64(5), int64(42), sqTS(sqC)},
				{"r07", "53", "10.0.0.3", nil, int64(1), int64(42), sqTS(sqD)},
				{"r08", nil, nil, nil, nil, int64(42), sqTS(sqD)},
				{"r09", "2", "10.0.0.9", 300.0, int64(1), int64(42), nil},
			}},
		{name: "address columns and comparisons with literals as select items",
			q:    "SELECT srcaddr, dstaddr = '10.0.0.2' AS to2 FROM t WHERE account_id IN ('r01', 'r05', 'r08', 'r09') ORDER BY account_id",
			cols: []string{"srcaddr", "to2"},
			rows: sqRowsT{
				{sqA4("10.0.0.1"), true},
				{sqA4("2001:db8::1"), false},
				{nil, false},
				{sqA4("10.0.0.9"), nil},
			}},
	})
}

// TestSQLTime checks from_unixtime, date_trunc, hour and day_of_week in UTC and in New York across
// both daylight-saving changes; GROUP BY of the same expressions (engine keys) must agree with the
// scan, which evaluates them row by row.
func TestSQLTime(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	const q = "SELECT account_id, from_unixtime(start) AS ts, date_trunc('minute', from_unixtime(start)) AS m, date_trunc('hour', from_unixtime(start)) AS h, date_trunc('day', from_unixtime(start)) AS d, hour(from_unixtime(start)) AS hr, day_of_week(from_unixtime(start)) AS dow FROM t ORDER BY account_id"
	cols := []string{"account_id", "ts", "m", "h", "d", "hr", "dow"}
	utc := func(mo time.Month, d, h, mi, s int) sqTS { return sqUTC(2026, mo, d, h, mi, s) }
	a, b, c, d, e, f := sqTS(sqA), sqTS(sqB), sqTS(sqC), sqTS(sqD), sqTS(sqE), sqTS(sqF)
	mar8, nov1 := utc(3, 8, 0, 0, 0), utc(11, 1, 0, 0, 0)
	i := func(v int) int64 { return int64(v) }
	sqRunCases(t, []sqCase{
		{name: "UTC", q: q, cols: cols, rows: sqRowsT{
			{"r01", a, a, utc(3, 8, 6, 0, 0), mar8, i(6), i(7)},
			{"r02", a, a, utc(3, 8, 6, 0, 0), mar8, i(6), i(7)},
			{"r03", b, b, utc(3, 8, 7, 0, 0), mar8, i(7), i(7)},
			{"r04", b, b, utc(3, 8, 7, 0, 0), mar8, i(7), i(7)},
			{"r05", c, utc(3, 8, 4, 59, 0), utc(3, 8, 4, 0, 0), mar8, i(4), i(7)},
			{"r06", c, utc(3, 8, 4, 59, 0), utc(3, 8, 4, 0, 0), mar8, i(4), i(7)},
			{"r07", d, d, d, mar8, i(12), i(7)},
			{"r08", d, d, d, mar8, i(12), i(7)},
			{"r09", nil, nil, nil, nil, nil, nil},
			{"r10", e, e, utc(11, 1, 6, 0, 0), nov1, i(6), i(7)},
			{"r11", f, f, utc(11, 1, 5, 0, 0), nov1, i(5), i(7)},
		}},
		{name: "New York", q: q, loc: ny, cols: cols, rows: sqRowsT{
			// 01:30 EST: the hour starts at 01:00 EST; the day at midnight EST.
			{"r01", a, a, utc(3, 8, 6, 0, 0), utc(3, 8, 5, 0, 0), i(1), i(7)},
			{"r02", a, a, utc(3, 8, 6, 0, 0), utc(3, 8, 5, 0, 0), i(1), i(7)},
			// 03:30 EDT, after the change: 03:00 EDT.
			{"r03", b, b, utc(3, 8, 7, 0, 0), utc(3, 8, 5, 0, 0), i(3), i(7)},
			{"r04", b, b, utc(3, 8, 7, 0, 0), utc(3, 8, 5, 0, 0), i(3), i(7)},
			// Saturday 23:59:42 EST.
			{"r05", c, utc(3, 8, 4, 59, 0), utc(3, 8, 4, 0, 0), utc(3, 7, 5, 0, 0), i(23), i(6)},
			{"r06", c, utc(3, 8, 4, 59, 0), utc(3, 8, 4, 0, 0), utc(3, 7, 5, 0, 0), i(23), i(6)},
			{"r07", d, d, d, utc(3, 8, 5, 0, 0), i(8), i(7)},
			{"r08", d, d, d, utc(3, 8, 5, 0, 0), i(8), i(7)},
			{"r09", nil, nil, nil, nil, nil, nil},
			// The second 01:30 (EST) truncates to the second 01:00, 06:00Z; the first (EDT) to 05:00Z.
			{"r10", e, e, utc(11, 1, 6, 0, 0), utc(11, 1, 4, 0, 0), i(1), i(7)},
			{"r11", f, f, utc(11, 1, 5, 0, 0), utc(11, 1, 4, 0, 0), i(1), i(7)},
		}},
	})

	// GROUP BY each expression vs the scan's values of it, counted.
	src := sqFixtureSources(t)
	for _, loc := range []*time.Location{time.UTC, ny} {
		for _, expr := range []string{"from_unixtime(start)", "date_trunc('minute', from_unixtime(start))", "date_trunc('hour', from_unixtime(start))",
			"date_trunc('day', from_unixtime(start))", "hour(from_unixtime(start))", "day_of_week(from_unixtime(start))", "date_trunc('hour', from_unixtime(\"end\"))"} {
			t.Run("group vs scan "+loc.String()+" "+expr, func(t *testing.T) {
				_, scan := sqRun(t, src, "SELECT "+expr+" AS k FROM t ORDER BY 1", loc, 1)
				var want []sqRow
				for _, r := range scan {
					if n := len(want); n > 0 && sqCmp(want[n-1].out[0], r[0]) == 0 {
						want[n-1].out[1] = want[n-1].out[1].(int64) + 1
						continue
					}
					want = append(want, sqRow{out: []any{r[0], int64(1)}})
				}
				if len(want) < 2 {
					t.Fatalf("the scan gives %d values", len(want))
				}
				for _, w := range []int{1, 2} {
					names, got := sqRun(t, src, "SELECT "+expr+" AS k, count(*) AS n FROM t GROUP BY 1 ORDER BY k", loc, w)
					sqCompare(t, fmt.Sprintf("GROUP BY %s in %s vs the scan", expr, loc), names, got, sqWant{cols: []string{"k", "n"}, rows: sqSort(want, nil, -1)})
				}
			})
		}
	}
}

// TestSQLAggregates checks count(col) against count(*), sum/min/max/avg over nulls (NULL for a group
// without values), count(DISTINCT), global aggregates (one row, even over no rows), HAVING and
// ORDER BY over groups.
func TestSQLAggregates(t *testing.T) {
	sqRunCases(t, []sqCase{
		{name: "aggregates of a column with nulls",
			q:    "SELECT interface_id, count(*) AS n, count(tcp_flags) AS nf, sum(tcp_flags) AS sf, min(tcp_flags) AS mn, max(tcp_flags) AS mx, avg(tcp_flags) AS av, count(DISTINCT dstport) AS dp FROM t GROUP BY interface_id ORDER BY interface_id",
			cols: []string{"interface_id", "n", "nf", "sf", "mn", "mx", "av", "dp"},
			rows: sqRowsT{
				{"eni-a", int64(3), int64(2), int64(20), int64(2), int64(18), 10.0, int64(3)},
				{"eni-b", int64(3), int64(1), int64(3), int64(3), int64(3), 3.0, int64(3)},
				{"eni-c", int64(3), int64(1), int64(0), int64(0), int64(0), 0.0, int64(2)},
				{"eni-d", int64(1), int64(1), int64(19), int64(19), int64(19), 19.0, int64(1)},
				{nil, int64(1), int64(0), nil, nil, nil, nil, int64(1)},
			}},
		{name: "sum, avg, min of bytes and packets with nulls; an all-null group",
			q:    "SELECT action, count(*) AS n, count(bytes) AS nb, sum(bytes) AS b, sum(packets) AS p, avg(bytes) AS ab, min(packets) AS mp, max(bytes) AS mb FROM t GROUP BY action ORDER BY action",
			cols: []string{"action", "n", "nb", "b", "p", "ab", "mp", "mb"},
			rows: sqRowsT{
				{"ACCEPT", int64(8), int64(7), int64(23300), int64(55), 23300.0 / 7, int64(1), int64(20000)},
				{"REJECT", int64(2), int64(2), int64(3500), int64(20), 1750.0, int64(5), int64(3000)},
				{nil, int64(1), int64(0), nil, nil, nil, nil, nil},
			}},
		{name: "min and max of times",
			q:    "SELECT type, min(start) AS lo, max(\"end\") AS hi, min(from_unixtime(start)) AS first, count(DISTINCT srcaddr) AS srcs FROM t GROUP BY type ORDER BY type",
			cols: []string{"type", "lo", "hi", "first", "srcs"},
			rows: sqRowsT{
				{"IPv4", sqA, sqE + 10, sqTS(sqA), int64(6)},
				{"IPv6", sqC, sqC + 10, sqTS(sqC), int64(2)},
				{nil, sqD, sqD + 10, sqTS(sqD), int64(0)},
			}},
		{name: "global aggregate",
			q:    "SELECT count(*) AS n, count(bytes) AS nb, sum(bytes) AS b, count(DISTINCT interface_id) AS ifs FROM t",
			cols: []string{"n", "nb", "b", "ifs"},
			rows: sqRowsT{{int64(11), int64(9), int64(26800), int64(4)}}},
		{name: "global aggregate over no rows is one row",
			q:    "SELECT count(*) AS n, sum(bytes) AS b, max(tcp_flags) AS mx, avg(packets) AS ap FROM t WHERE dstport = 12345",
			cols: []string{"n", "b", "mx", "ap"},
			rows: sqRowsT{{int64(0), nil, nil, nil}}},
		{name: "HAVING on a selected aggregate",
			q:    "SELECT interface_id, count(*) AS n FROM t GROUP BY interface_id HAVING count(*) >= 3 ORDER BY n DESC, interface_id",
			cols: []string{"interface_id", "n"},
			rows: sqRowsT{{"eni-a", int64(3)}, {"eni-b", int64(3)}, {"eni-c", int64(3)}}},
		{name: "HAVING on an aggregate not selected, and a NULL condition",
			q:    "SELECT interface_id FROM t GROUP BY interface_id HAVING sum(packets) > 20 OR max(tcp_flags) > 18 ORDER BY 1",
			cols: []string{"interface_id"},
			rows: sqRowsT{{"eni-a"}, {"eni-b"}, {"eni-d"}}},
		{name: "ORDER BY an aggregate expression DESC, NULL sum last",
			q:    "SELECT dstaddr, sum(packets) AS p FROM t GROUP BY dstaddr ORDER BY sum(packets) DESC",
			cols: []string{"dstaddr", "p"},
			rows: sqRowsT{
				{sqA4("10.0.0.2"), int64(21)}, {sqA4("2001:db8::2"), int64(20)}, {sqA4("2001:db8::1"), int64(15)},
				{sqA4("10.0.0.1"), int64(9)}, {sqA4("10.0.0.3"), int64(5)}, {nil, int64(3)}, {sqA4("8.8.8.8"), int64(2)},
				{sqA4("10.0.0.9"), nil},
			}},
		{name: "ORDER BY ordinal with LIMIT",
			q:    "SELECT protocol, count(*) AS n, sum(bytes) FROM t GROUP BY protocol ORDER BY 2 DESC, 1 LIMIT 2",
			cols: []string{"protocol", "n", "sum(bytes)"},
			rows: sqRowsT{{int64(6), int64(7), int64(26400)}, {int64(17), int64(2), int64(100)}}},
		{name: "GROUP BY an alias and an expression over keys and aggregates",
			q:    "SELECT dstport AS port, sum(bytes) / count(*) AS per, dstport + 1 AS next FROM t WHERE protocol = 6 GROUP BY port ORDER BY per DESC",
			cols: []string{"port", "per", "next"},
			rows: sqRowsT{
				{int64(50000), int64(20000), int64(50001)},
				{int64(443), int64(3000), int64(444)},
				{int64(40000), int64(800), int64(40001)},
				{int64(22), int64(700), int64(23)},
				{int64(8080), int64(700), int64(8081)},
				{int64(3389), int64(500), int64(3390)},
			}},
		{name: "LIMIT 0 over groups",
			q:    "SELECT action, count(*) AS n FROM t GROUP BY action LIMIT 0",
			cols: []string{"action", "n"}},
		{name: "empty group-by result",
			q:    "SELECT srcaddr, sum(bytes) AS b FROM t WHERE dstport = 12345 GROUP BY srcaddr",
			cols: []string{"srcaddr", "b"}},
	})
}

// TestSQLScanOrder checks ORDER BY of scans: ordinals, aliases, expressions, DESC, nulls last.
func TestSQLScanOrder(t *testing.T) {
	ids := func(s ...string) sqRowsT {
		var out sqRowsT
		for _, id := range s {
			out = append(out, []any{id})
		}
		return out
	}
	sqRunCases(t, []sqCase{
		{name: "ordinal, nulls last",
			q:    "SELECT account_id, tcp_flags FROM t ORDER BY 2, 1",
			cols: []string{"account_id", "tcp_flags"},
			rows: sqRowsT{{"r09", int64(0)}, {"r01", int64(2)}, {"r05", int64(3)}, {"r03", int64(18)}, {"r11", int64(19)},
				{"r02", nil}, {"r04", nil}, {"r06", nil}, {"r07", nil}, {"r08", nil}, {"r10", nil}}},
		{name: "DESC, nulls still last",
			q:    "SELECT account_id FROM t ORDER BY tcp_flags DESC, account_id DESC",
			cols: []string{"account_id"},
			rows: ids("r11", "r03", "r05", "r01", "r09", "r10", "r08", "r07", "r06", "r04", "r02")},
		{name: "alias of an expression",
			q:    "SELECT account_id, packets * 2 AS p2 FROM t ORDER BY p2 DESC",
			cols: []string{"account_id", "p2"},
			rows: sqRowsT{{"r05", int64(40)}, {"r06", int64(30)}, {"r01", int64(20)}, {"r03", int64(16)}, {"r11", int64(14)},
				{"r02", int64(10)}, {"r10", int64(8)}, {"r09", int64(6)}, {"r07", int64(4)}, {"r04", int64(2)}, {"r08", nil}}},
		{name: "expression not selected, ties by the output",
			q:    "SELECT account_id FROM t ORDER BY bytes - packets * 100",
			cols: []string{"account_id"},
			rows: ids("r01", "r02", "r03", "r04", "r09", "r10", "r11", "r06", "r05", "r07", "r08")},
		{name: "addresses: IPv4 before IPv6",
			q:    "SELECT srcaddr FROM t ORDER BY srcaddr LIMIT 20",
			cols: []string{"srcaddr"},
			rows: sqRowsT{{sqA4("10.0.0.1")}, {sqA4("10.0.0.1")}, {sqA4("10.0.0.1")}, {sqA4("10.0.0.2")}, {sqA4("10.0.0.3")},
				{sqA4("10.0.0.9")}, {sqA4("172.16.0.1")}, {sqA4("192.168.1.5")}, {sqA4("2001:db8::1")}, {sqA4("2001:db8::2")}, {nil}}},
		{name: "timestamps DESC with LIMIT",
			q:    "SELECT account_id, from_unixtime(start) AS ts FROM t WHERE dstport < 1024 ORDER BY ts DESC LIMIT 3",
			cols: []string{"account_id", "ts"},
			rows: sqRowsT{{"r10", sqTS(sqE)}, {"r07", sqTS(sqD)}, {"r01", sqTS(sqA)}}},
		{name: "LIMIT 0",
			q:    "SELECT account_id, bytes FROM t LIMIT 0",
			cols: []string{"account_id", "bytes"}},
		{name: "empty scan",
			q:    "SELECT account_id, srcaddr, bytes FROM t WHERE bytes > 1000000 ORDER BY bytes",
			cols: []string{"account_id", "srcaddr", "bytes"}},
		{name: "SELECT * leaves out NODATA and SKIPDATA",
			q:    "SELECT * FROM t WHERE account_id = 'r08' OR account_id > 'r11'",
			cols: []string{"version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "action", "log_status", "type", "tcp_flags"},
			rows: sqRowsT{{int64(5), "r08", "eni-c", nil, sqA4("10.0.0.9"), nil, nil, nil, nil, nil, sqD, sqD + 10, nil, "OK", nil, nil}}},
	})
}

// TestSQLStartRange: bounds on start in the top-level AND become Plan.From/To, and the answer is the
// same as with the condition written so that it is not pushed down.
func TestSQLStartRange(t *testing.T) {
	src := sqFixtureSources(t)
	ts := func(v int64) string { return time.Unix(v, 0).UTC().Format("2006-01-02 15:04:05") }
	cases := []struct {
		where, unpushed string
		from, to        int64 // 0: unbounded
		ids             []any
	}{
		{fmt.Sprintf("start >= %d AND start < %d", sqA, sqD), fmt.Sprintf("start + 0 >= %d AND start + 0 < %d", sqA, sqD),
			sqA, sqD, []any{"r01", "r02", "r03", "r04"}},
		{fmt.Sprintf("from_unixtime(start) BETWEEN TIMESTAMP '%s' AND TIMESTAMP '%s'", ts(sqC-42), ts(sqB)),
			fmt.Sprintf("start + 0 BETWEEN %d AND %d", sqC-42, sqB),
			sqC - 42, sqB + 1, []any{"r01", "r02", "r03", "r04", "r05", "r06"}},
		{fmt.Sprintf("start > %d AND action = 'ACCEPT' AND start <= %d", sqA, sqE), fmt.Sprintf("start * 1 > %d AND action = 'ACCEPT' AND start * 1 <= %d", sqA, sqE),
			sqA + 1, sqE + 1, []any{"r03", "r04", "r07", "r10", "r11"}},
		{fmt.Sprintf("start = %d", sqB), fmt.Sprintf("start - %d = 0", sqB), sqB, sqB + 1, []any{"r03", "r04"}},
		{fmt.Sprintf("%d <= start", sqE-3600), fmt.Sprintf("%d <= start + 0", sqE-3600), sqE - 3600, 0, []any{"r10", "r11"}},
		{fmt.Sprintf("from_unixtime(start) < TIMESTAMP '%s'", ts(sqA)), fmt.Sprintf("to_unixtime(from_unixtime(start)) < %d", sqA), 0, sqA, []any{"r05", "r06"}},
		// Not pushed down: OR, NOT, NOT BETWEEN.
		{fmt.Sprintf("start >= %d OR bytes IS NULL", sqE), "", 0, 0, []any{"r07", "r08", "r10"}},
		{fmt.Sprintf("NOT start < %d", sqD), "", 0, 0, []any{"r07", "r08", "r10", "r11"}},
		{fmt.Sprintf("start NOT BETWEEN %d AND %d", sqA, sqE), "", 0, 0, []any{"r05", "r06"}},
	}
	unix := func(tt time.Time) int64 {
		if tt.IsZero() {
			return 0
		}
		return tt.Unix()
	}
	for _, c := range cases {
		t.Run(c.where, func(t *testing.T) {
			p, err := query.PlanSQL("SELECT account_id FROM t WHERE "+c.where+" ORDER BY 1", time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			if unix(p.From) != c.from || unix(p.To) != c.to {
				t.Errorf("range [%d, %d), want [%d, %d)", unix(p.From), unix(p.To), c.from, c.to)
			}
			wheres := []string{c.where}
			if c.unpushed != "" {
				wheres = append(wheres, c.unpushed)
			}
			for _, w := range wheres {
				_, rows := sqRun(t, src, "SELECT account_id FROM t WHERE "+w+" ORDER BY 1", time.UTC, 2)
				var ids []any
				for _, r := range rows {
					ids = append(ids, r[0])
				}
				if fmt.Sprint(ids) != fmt.Sprint(c.ids) {
					t.Errorf("WHERE %s: %v, want %v", w, ids, c.ids)
				}
				// The same through the engine's group-by path.
				_, rows = sqRun(t, src, "SELECT count(*) FROM t WHERE "+w, time.UTC, 2)
				if len(rows) != 1 || rows[0][0] != int64(len(c.ids)) {
					t.Errorf("WHERE %s: count(*) %v, want %d", w, rows, len(c.ids))
				}
			}
		})
	}
}

// TestSQLPlanErrors: queries that parse but cannot be planned fail with a *sql.Error at the
// offending token.
func TestSQLPlanErrors(t *testing.T) {
	cases := []struct {
		q, msg string
		at     string // the offending text: the error is at its last occurrence in q
	}{
		{"SELECT srcaddr, nosuch FROM t", `unknown column "nosuch"`, "nosuch"},
		{"SELECT srcaddr FROM t WHERE nosuch = 1", `unknown column "nosuch"`, "nosuch"},
		{"SELECT srcaddr, dstaddr, count(*) FROM t GROUP BY srcaddr", `column "dstaddr" must appear in GROUP BY`, "dstaddr"},
		{"SELECT srcaddr, sum(bytes) FROM t GROUP BY srcaddr ORDER BY dstport", `column "dstport" must appear in GROUP BY`, "dstport"},
		{"SELECT srcaddr FROM t WHERE sum(bytes) > 10", "aggregate sum() is not allowed here", "sum"},
		{"SELECT bytes / 2, count(*) FROM t GROUP BY bytes / 2 + nosuch", `unknown column "nosuch"`, "nosuch"},
		{"SELECT sum(action) FROM t", "sum() takes a number, not a varchar", "action"},
		{"SELECT interface_id, avg(srcaddr) FROM t GROUP BY interface_id", "avg() takes a number, not a ipaddress", "srcaddr"},
		{"SELECT sum(max(bytes)) FROM t", "aggregates cannot be nested", "max"},
		{"SELECT count(*) FILTER (WHERE bytes) FROM t", "FILTER needs a condition, found a bigint", "bytes) FROM"},
		{"SELECT count_if(bytes) FROM t", "count_if() takes a condition, not a bigint", "bytes"},
		{"SELECT approx_percentile(bytes, 1.5) FROM t", "approx_percentile() takes a fraction literal from 0 to 1", "1.5"},
		{"SELECT approx_distinct(srcaddr, 0.5) FROM t", "approx_distinct() takes a maximum standard error", "0.5"},
		{"SELECT lower(action) FILTER (WHERE bytes > 0) FROM t", "FILTER is allowed on aggregates only", "bytes >"},
		{"SELECT CASE WHEN bytes > 0 THEN 'x' ELSE 1 END FROM t", "CASE branches have different types: varchar and bigint", "CASE"},
		{"SELECT DISTINCT * FROM t", "SELECT DISTINCT * is not supported", "*"},
		{"SELECT srcaddr FROM t ORDER BY 2", "ORDER BY position 2 is not in the select list", "2"},
		{"SELECT srcaddr, count(*) FROM t GROUP BY srcaddr ORDER BY 3", "ORDER BY position 3 is not in the select list", "3"},
		{"SELECT srcaddr, count(*) FROM t GROUP BY 3", "GROUP BY position 3 is not in the select list", "3"},
		{"SELECT no_such_function(action) FROM t", "unknown function no_such_function()", "no_such_function"},
		{"SELECT srcaddr FROM t WHERE srcaddr < 'x'", `"x" is not an address`, "'x'"},
		{"SELECT srcaddr FROM t WHERE bytes", "WHERE needs a condition, found a bigint", "bytes"},
		{"SELECT action FROM t GROUP BY action HAVING count(*)", "HAVING needs a condition", "count"},
		{"SELECT avg(DISTINCT bytes) FROM t", "DISTINCT is supported in count() and array_agg() only", "avg"},
		{"SELECT * FROM t GROUP BY srcaddr", "* cannot be selected in a query that groups", "*"},
		{"SELECT srcaddr + 1 FROM t", "+ needs numbers", "srcaddr"},
		{"SELECT CAST(srcaddr AS bigint) FROM t", "an address casts to varchar only", "CAST"},
		{"SELECT date_trunc('fortnight', from_unixtime(start)) FROM t", `date_trunc unit "fortnight"`, "'fortnight'"},
		{"SELECT srcaddr FROM t WHERE action = 6", "cannot compare a varchar with a bigint", "action"},
		{"SELECT srcaddr FROM t WHERE contains('10.0.0.0/33', srcaddr)", "is not a network", "'10.0.0.0/33'"},
	}
	for _, c := range cases {
		t.Run(c.q, func(t *testing.T) {
			_, err := query.PlanSQL(c.q, time.UTC)
			var se *sql.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T), want a *sql.Error", err, err)
			}
			if !strings.Contains(se.Msg, c.msg) {
				t.Errorf("message %q, want it to contain %q", se.Msg, c.msg)
			}
			if want := strings.LastIndex(c.q, c.at); se.At != want {
				t.Errorf("at %d (%q), want %d (%q)", se.At, c.q[min(max(se.At, 0), len(c.q)):], want, c.q[want:])
			}
			if !strings.Contains(err.Error(), "^") {
				t.Errorf("Error() has no caret: %q", err.Error())
			}
		})
	}
}

// TestExpressionSize: a flat chain of 2,000 terms is refused at planning, pointing at the term
// beyond the bound, instead of taking gigabytes to evaluate.
func TestExpressionSize(t *testing.T) {
	q := "SELECT srcaddr FROM t WHERE bytes > 1" + strings.Repeat("+1", 2000)
	_, err := query.PlanSQL(q, time.UTC)
	var se *sql.Error
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("2,000 terms: %v", err)
	}
	if _, err := query.PlanSQL("SELECT srcaddr FROM t WHERE bytes > 1"+strings.Repeat("+1", 100), time.UTC); err != nil {
		t.Errorf("100 terms: %v", err)
	}
}
