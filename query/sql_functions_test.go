package query_test

import (
	"testing"
	"time"
)

// TestSQLNewScalars checks the conditional, numeric and string functions row by row over the
// fixture, NULLs included (r08 is mostly NULL, r10 has no interface, r07 no bytes). The expected
// values are worked out by hand from the fixture's lines.
func TestSQLNewScalars(t *testing.T) {
	sqRunCases(t, []sqCase{
		{name: "CASE, if, coalesce, nullif, greatest, least, try",
			q: `SELECT account_id,
				CASE WHEN bytes > 1000 THEN 'big' WHEN bytes IS NULL THEN 'none' ELSE 'small' END AS size,
				CASE action WHEN 'ACCEPT' THEN 1 WHEN 'REJECT' THEN 0 END AS ok,
				if(protocol = 6, 'tcp') AS tcp, coalesce(tcp_flags, dstport, -1) AS c, nullif(protocol, 6) AS np,
				greatest(srcport, dstport) AS g, least(packets, 5) AS l, try(bytes / packets) AS tr
				FROM t ORDER BY account_id`,
			cols: []string{"account_id", "size", "ok", "tcp", "c", "np", "g", "l", "tr"},
			rows: sqRowsT{
				{"r01", "small", int64(1), "tcp", int64(2), nil, int64(40000), int64(5), int64(100)},
				{"r02", "small", int64(0), "tcp", int64(3389), nil, int64(40001), int64(5), int64(100)},
				{"r03", "small", int64(1), "tcp", int64(18), nil, int64(40000), int64(5), int64(100)},
				{"r04", "small", int64(1), nil, int64(33000), int64(17), int64(33000), int64(1), int64(100)},
				{"r05", "big", int64(1), "tcp", int64(3), nil, int64(50000), int64(5), int64(1000)},
				{"r06", "big", int64(0), "tcp", int64(443), nil, int64(50000), int64(5), int64(200)},
				{"r07", "none", int64(1), nil, int64(53), int64(17), int64(5000), int64(2), nil},
				{"r08", "none", nil, nil, int64(-1), nil, nil, nil, nil},
				{"r09", "small", int64(1), nil, int64(0), int64(1), int64(2), int64(3), int64(100)},
				{"r10", "small", int64(1), "tcp", int64(22), nil, int64(40002), int64(4), int64(100)},
				{"r11", "small", int64(1), "tcp", int64(19), nil, int64(40003), int64(5), int64(100)},
			}},
		{name: "CASE mixes bigint and double as double; NULL literals take any type",
			q:    "SELECT account_id, CASE WHEN packets > 9 THEN packets ELSE 0.5 END AS m, coalesce(NULL, bytes) AS cb, greatest(packets, 7.5) AS g FROM t WHERE account_id IN ('r01', 'r04', 'r08') ORDER BY account_id",
			cols: []string{"account_id", "m", "cb", "g"},
			rows: sqRowsT{{"r01", 10.0, int64(1000), 10.0}, {"r04", 0.5, int64(100), 7.5}, {"r08", 0.5, nil, nil}}},
		{name: "round, abs, ceil, floor",
			q:    "SELECT account_id, round(bytes / 7.0, 2) AS r2, round(bytes, -3) AS rk, round(1500, -3) AS up, round(-1500, -3) AS down, round(-2.5) AS h, abs(srcport - dstport) AS a, abs(-2.25) AS af, ceil(bytes / 300.0) AS c, floor(bytes / 300.0) AS f, ceil(packets) AS ci FROM t WHERE account_id IN ('r01', 'r04', 'r06', 'r07', 'r08') ORDER BY account_id",
			cols: []string{"account_id", "r2", "rk", "up", "down", "h", "a", "af", "c", "f", "ci"},
			rows: sqRowsT{
				{"r01", 142.86, int64(1000), int64(2000), int64(-2000), -3.0, int64(39978), 2.25, 4.0, 3.0, int64(10)},
				{"r04", 14.29, int64(0), int64(2000), int64(-2000), -3.0, int64(32947), 2.25, 1.0, 0.0, int64(1)},
				{"r06", 428.57, int64(3000), int64(2000), int64(-2000), -3.0, int64(49557), 2.25, 10.0, 10.0, int64(15)},
				{"r07", nil, nil, int64(2000), int64(-2000), -3.0, int64(4947), 2.25, nil, nil, int64(2)},
				{"r08", nil, nil, int64(2000), int64(-2000), -3.0, nil, 2.25, nil, nil, nil},
			}},
		{name: "strings",
			q: `SELECT account_id, length(interface_id) AS len, substr(interface_id, 5) AS s5, substr(interface_id, -3, 2) AS mid,
				concat(interface_id, '/', action) AS cc, interface_id || ':' || srcaddr AS pipe, strpos(type, 'v') AS sp,
				replace(interface_id, 'eni-', '') AS rp, trim(concat('  ', action, ' ')) AS tr, ltrim(concat(' ', action)) AS lt,
				rtrim(concat(action, ' ')) AS rt, regexp_like(srcaddr, '^10\.0\.0\.[12]$') AS rl,
				regexp_extract(srcaddr, '^(\d+)\.', 1) AS re, regexp_extract(interface_id, '[a-z]$') AS re0
				FROM t WHERE account_id IN ('r01', 'r05', 'r08', 'r10') ORDER BY account_id`,
			cols: []string{"account_id", "len", "s5", "mid", "cc", "pipe", "sp", "rp", "tr", "lt", "rt", "rl", "re", "re0"},
			rows: sqRowsT{
				{"r01", int64(5), "a", "i-", "eni-a/ACCEPT", "eni-a:10.0.0.1", int64(3), "a", "ACCEPT", "ACCEPT", "ACCEPT", true, "10", "a"},
				{"r05", int64(5), "b", "i-", "eni-b/ACCEPT", "eni-b:2001:db8::1", int64(3), "b", "ACCEPT", "ACCEPT", "ACCEPT", false, nil, "b"},
				{"r08", int64(5), "c", "i-", nil, nil, nil, "c", nil, nil, nil, nil, nil, "c"},
				{"r10", nil, nil, nil, nil, nil, int64(3), nil, "ACCEPT", "ACCEPT", "ACCEPT", true, "10", nil},
			}},
		{name: "substr and strpos count characters, not bytes",
			q:    "SELECT substr('héllo', 2, 3) AS s, strpos('héllo', 'l') AS p, length('héllo') AS n, substr('abc', 0) AS z, substr('abc', 4) AS past, substr('abc', -5) AS before FROM t WHERE account_id = 'r01'",
			cols: []string{"s", "p", "n", "z", "past", "before"},
			rows: sqRowsT{{"éll", int64(3), int64(5), "", "", ""}}},
	})
}

// TestSQLDateTimeFunctions checks the date functions in New York across both daylight-saving changes
// of 2026 (r01 01:30 EST before the spring-forward night, r03 03:30 EDT after it; r11 01:30 EDT and
// r10 01:30 EST, the two 01:30s of the fall-back night) and in UTC; r09 has no start (NULL).
func TestSQLDateTimeFunctions(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	utc := func(y int, mo time.Month, d, h, mi, s int) sqTS { return sqUTC(y, mo, d, h, mi, s) }
	zoned := func(ts sqTS, zone string) sqZoned { return sqZoned{ts, zone} }
	sqRunCases(t, []sqCase{
		{name: "format, add and diff in New York", loc: ny,
			q: `SELECT account_id, date_format(from_unixtime(start), '%Y-%m-%d %H:%i:%s %p') AS df,
				format_datetime(from_unixtime(start), 'yyyy-MM-dd HH:mm Z') AS fd, to_iso8601(from_unixtime(start)) AS iso,
				date_add('day', 1, from_unixtime(start)) AS plus1d, date_add('hour', 24, from_unixtime(start)) AS plus24h,
				date_diff('hour', from_unixtime(start), date_add('day', 1, from_unixtime(start))) AS hrs,
				date_diff('day', from_unixtime(start), date_add('hour', 24, from_unixtime(start))) AS days
				FROM t WHERE account_id IN ('r01', 'r03', 'r09', 'r10', 'r11') ORDER BY account_id`,
			cols: []string{"account_id", "df", "fd", "iso", "plus1d", "plus24h", "hrs", "days"},
			rows: sqRowsT{
				{"r01", "2026-03-08 01:30:00 AM", "2026-03-08 01:30 -0500", "2026-03-08T01:30:00.000-05:00", utc(2026, 3, 9, 5, 30, 0), utc(2026, 3, 9, 6, 30, 0), int64(23), int64(1)},
				{"r03", "2026-03-08 03:30:00 AM", "2026-03-08 03:30 -0400", "2026-03-08T03:30:00.000-04:00", utc(2026, 3, 9, 7, 30, 0), utc(2026, 3, 9, 7, 30, 0), int64(24), int64(1)},
				{"r09", nil, nil, nil, nil, nil, nil, nil},
				{"r10", "2026-11-01 01:30:00 AM", "2026-11-01 01:30 -0500", "2026-11-01T01:30:00.000-05:00", utc(2026, 11, 2, 6, 30, 0), utc(2026, 11, 2, 6, 30, 0), int64(24), int64(1)},
				{"r11", "2026-11-01 01:30:00 AM", "2026-11-01 01:30 -0400", "2026-11-01T01:30:00.000-04:00", utc(2026, 11, 2, 6, 30, 0), utc(2026, 11, 2, 5, 30, 0), int64(25), int64(0)},
			}},
		{name: "at_timezone in a UTC query",
			q: `SELECT account_id, at_timezone(from_unixtime(start), 'America/New_York') AS ny,
				hour(at_timezone(from_unixtime(start), 'America/New_York')) AS h,
				date_format(at_timezone(from_unixtime(start), 'America/New_York'), '%H:%i') AS hm,
				to_iso8601(at_timezone(from_unixtime(start), '+05:30')) AS ist,
				date_trunc('day', at_timezone(from_unixtime(start), 'America/New_York')) AS d
				FROM t WHERE account_id IN ('r01', 'r03', 'r05', 'r09', 'r11') ORDER BY account_id`,
			cols: []string{"account_id", "ny", "h", "hm", "ist", "d"},
			rows: sqRowsT{
				{"r01", zoned(sqTS(sqA), "America/New_York"), int64(1), "01:30", "2026-03-08T12:00:00.000+05:30", zoned(utc(2026, 3, 8, 5, 0, 0), "America/New_York")},
				{"r03", zoned(sqTS(sqB), "America/New_York"), int64(3), "03:30", "2026-03-08T13:00:00.000+05:30", zoned(utc(2026, 3, 8, 5, 0, 0), "America/New_York")},
				{"r05", zoned(sqTS(sqC), "America/New_York"), int64(23), "23:59", "2026-03-08T10:29:42.000+05:30", zoned(utc(2026, 3, 7, 5, 0, 0), "America/New_York")},
				{"r09", nil, nil, nil, nil, nil},
				{"r11", zoned(sqTS(sqF), "America/New_York"), int64(1), "01:30", "2026-11-01T11:00:00.000+05:30", zoned(utc(2026, 11, 1, 4, 0, 0), "America/New_York")},
			}},
		{name: "ISO 8601 parsing, months, NULLs",
			q: `SELECT from_iso8601_timestamp('2026-01-31T10:00:00Z') + INTERVAL '1' MONTH AS m1,
				date_add('month', 1, from_iso8601_timestamp('2024-01-31T10:00:00+02:00')) AS leap,
				from_iso8601_timestamp('2026-03-08') AS d0, from_iso8601_timestamp('nonsense') AS bad,
				from_iso8601_timestamp(NULL) AS n,
				date_diff('month', TIMESTAMP '2026-01-31 00:00:00', TIMESTAMP '2026-02-28 00:00:00') AS dm,
				date_diff('month', TIMESTAMP '2026-01-31 00:00:00', TIMESTAMP '2026-03-01 00:00:00') AS dm2,
				date_diff('year', TIMESTAMP '2027-03-01 00:00:00', TIMESTAMP '2026-03-02 00:00:00') AS dy,
				TIMESTAMP '2026-03-31 12:00:00' - INTERVAL '1' MONTH AS back,
				TIMESTAMP '2024-02-29 12:00:00' + INTERVAL '1' YEAR AS y1,
				date_add('day', NULL, TIMESTAMP '2026-01-01 00:00:00') AS an
				FROM t WHERE account_id = 'r01'`,
			cols: []string{"m1", "leap", "d0", "bad", "n", "dm", "dm2", "dy", "back", "y1", "an"},
			rows: sqRowsT{{utc(2026, 2, 28, 10, 0, 0), utc(2024, 2, 29, 8, 0, 0), utc(2026, 3, 8, 0, 0, 0), nil, nil,
				int64(1), int64(1), int64(0), utc(2026, 2, 28, 12, 0, 0), utc(2025, 2, 28, 12, 0, 0), nil}}},
		{name: "from_iso8601_timestamp without an offset is in the query's zone", loc: ny,
			q:    "SELECT from_iso8601_timestamp('2026-11-01T01:30:00') AS a, from_iso8601_timestamp('2026-07-01T12:00:00Z') AS b FROM t WHERE account_id = 'r01'",
			cols: []string{"a", "b"},
			// 01:30 happens twice that night; Go (and Joda) take the first, EDT.
			rows: sqRowsT{{utc(2026, 11, 1, 5, 30, 0), utc(2026, 7, 1, 12, 0, 0)}}},
	})
}

// TestSQLGeneralAggregates checks the aggregates of the general group-by, FILTER, CASE and
// arithmetic inside aggregates, GROUP BY of expressions, HAVING, DISTINCT, NULLS FIRST and OFFSET
// over the fixture; the expected groups are worked out by hand.
func TestSQLGeneralAggregates(t *testing.T) {
	sqRunCases(t, []sqCase{
		{name: "new aggregates per interface",
			q: `SELECT interface_id, count(*) AS n, count_if(action = 'REJECT') AS rej, sum(bytes) FILTER (WHERE protocol = 6) AS tcpb,
				sum("end" - start) AS dur, sum(CASE WHEN action = 'ACCEPT' THEN packets ELSE 0 END) AS accp,
				max_by(account_id, bytes) AS big, min_by(account_id, bytes) AS small, arbitrary(type) AS ty,
				approx_distinct(dstport) AS dp, approx_percentile(bytes, 0.5) AS med, array_agg(dstport) AS ports,
				count(DISTINCT action) AS da
				FROM t GROUP BY interface_id ORDER BY interface_id NULLS FIRST`,
			cols: []string{"interface_id", "n", "rej", "tcpb", "dur", "accp", "big", "small", "ty", "dp", "med", "ports", "da"},
			rows: sqRowsT{
				{nil, int64(1), int64(0), int64(400), int64(10), int64(4), "r10", "r10", "IPv4", int64(1), int64(400), "[22]", int64(1)},
				{"eni-a", int64(3), int64(1), int64(2300), int64(30), int64(18), "r01", "r02", "IPv4", int64(3), int64(800), "[22, 3389, 40000]", int64(2)},
				{"eni-b", int64(3), int64(1), int64(23000), int64(30), int64(21), "r05", "r04", "IPv4", int64(3), int64(3000), "[443, 33000, 50000]", int64(2)},
				{"eni-c", int64(3), int64(0), nil, int64(20), int64(5), "r09", "r09", "IPv4", int64(2), int64(300), "[2, 53, NULL]", int64(1)},
				{"eni-d", int64(1), int64(0), int64(700), int64(10), int64(7), "r11", "r11", "IPv4", int64(1), int64(700), "[8080]", int64(1)},
			}},
		{name: "aggregates of no rows",
			q:    "SELECT count_if(bytes > 0) AS c, approx_distinct(srcaddr) AS d, max_by(account_id, bytes) AS m, array_agg(bytes) AS a, sum(bytes * 2) AS s FROM t WHERE bytes > 1000000",
			cols: []string{"c", "d", "m", "a", "s"},
			rows: sqRowsT{{int64(0), int64(0), nil, nil, nil}}},
		{name: "SELECT DISTINCT",
			q:    "SELECT DISTINCT interface_id, action FROM t ORDER BY 1, 2",
			cols: []string{"interface_id", "action"},
			rows: sqRowsT{{"eni-a", "ACCEPT"}, {"eni-a", "REJECT"}, {"eni-b", "ACCEPT"}, {"eni-b", "REJECT"}, {"eni-c", "ACCEPT"}, {"eni-c", nil}, {"eni-d", "ACCEPT"}, {nil, "ACCEPT"}}},
		{name: "GROUP BY an expression by ordinal, HAVING on a new aggregate",
			q:    "SELECT split_part(interface_id, '-', 2) AS e, sum(bytes) AS b FROM t GROUP BY 1 HAVING count_if(protocol = 6) >= 2 ORDER BY b DESC",
			cols: []string{"e", "b"},
			rows: sqRowsT{{"b", int64(23100)}, {"a", int64(2300)}}},
		{name: "OFFSET over groups",
			q:    "SELECT interface_id, count(*) AS n FROM t GROUP BY 1 ORDER BY 1 OFFSET 1 LIMIT 2",
			cols: []string{"interface_id", "n"},
			rows: sqRowsT{{"eni-b", int64(3)}, {"eni-c", int64(3)}}},
		{name: "DISTINCT over groups",
			q:    "SELECT DISTINCT count(*) AS n FROM t GROUP BY interface_id ORDER BY n",
			cols: []string{"n"},
			rows: sqRowsT{{int64(1)}, {int64(3)}}},
	})
}

// TestSQLScanShape: OFFSET and NULLS FIRST in a scan with ORDER BY.
func TestSQLScanShape(t *testing.T) {
	sqRunCases(t, []sqCase{
		{name: "OFFSET and NULLS FIRST",
			q:    "SELECT account_id, bytes FROM t ORDER BY bytes NULLS FIRST, account_id OFFSET 1 LIMIT 3",
			cols: []string{"account_id", "bytes"},
			rows: sqRowsT{{"r08", nil}, {"r04", int64(100)}, {"r09", int64(300)}}},
		{name: "DESC NULLS LAST is the default; OFFSET past the end",
			q:    "SELECT account_id FROM t ORDER BY bytes DESC NULLS LAST, account_id OFFSET 9",
			cols: []string{"account_id"},
			rows: sqRowsT{{"r07"}, {"r08"}}},
		{name: "OFFSET beyond every row",
			q:    "SELECT account_id FROM t ORDER BY 1 OFFSET 50",
			cols: []string{"account_id"},
			rows: sqRowsT{}},
	})
}
