package sql

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// athenaQueries are the named queries of the AWS VPC console, as Athena SQL, with the canonical
// form Select.String gives for each: the expected tree, written as SQL.
var athenaQueries = []struct{ q, want string }{
	{
		"SELECT * FROM vpc_flow_logs WHERE action = 'ACCEPT' AND protocol = 6 LIMIT 100",
		"SELECT * FROM vpc_flow_logs WHERE action = 'ACCEPT' AND protocol = 6 LIMIT 100",
	},
	{
		"SELECT srcaddr, dstaddr, dstport, sum(bytes) AS bytes FROM vpc_flow_logs WHERE dstport IN (22, 3389, 443, 8080, 8443) GROUP BY srcaddr, dstaddr, dstport ORDER BY bytes DESC LIMIT 10",
		"SELECT srcaddr, dstaddr, dstport, sum(bytes) AS bytes FROM vpc_flow_logs WHERE dstport IN (22, 3389, 443, 8080, 8443) GROUP BY srcaddr, dstaddr, dstport ORDER BY bytes DESC LIMIT 10",
	},
	{
		"SELECT sum(bytes) AS total_bytes FROM vpc_flow_logs WHERE type = 'IPv4'",
		"SELECT sum(bytes) AS total_bytes FROM vpc_flow_logs WHERE type = 'IPv4'",
	},
	{
		"SELECT day_of_week(from_unixtime(start)) AS day, interface_id, srcaddr, action, protocol FROM vpc_flow_logs WHERE action = 'REJECT' AND protocol = 6 LIMIT 100",
		"SELECT day_of_week(from_unixtime(start)) AS day, interface_id, srcaddr, action, protocol FROM vpc_flow_logs WHERE action = 'REJECT' AND protocol = 6 LIMIT 100",
	},
	{
		"SELECT srcaddr, sum(bytes) AS bytes FROM vpc_flow_logs GROUP BY srcaddr ORDER BY 2 DESC LIMIT 50",
		"SELECT srcaddr, sum(bytes) AS bytes FROM vpc_flow_logs GROUP BY srcaddr ORDER BY 2 DESC LIMIT 50",
	},
	{
		`SELECT pkt_srcaddr, sum(packets) AS packets FROM "db"."vpc_flow_logs" GROUP BY 1 ORDER BY packets DESC LIMIT 50`,
		"SELECT pkt_srcaddr, sum(packets) AS packets FROM vpc_flow_logs GROUP BY 1 ORDER BY packets DESC LIMIT 50",
	},
	{
		"SELECT srcaddr, dstaddr, sum(bytes) AS bytes FROM vpc_flow_logs WHERE from_unixtime(start) BETWEEN TIMESTAMP '2024-05-01 00:00:00' AND TIMESTAMP '2024-05-02 00:00:00' GROUP BY srcaddr, dstaddr ORDER BY bytes DESC LIMIT 50",
		"SELECT srcaddr, dstaddr, sum(bytes) AS bytes FROM vpc_flow_logs WHERE from_unixtime(start) BETWEEN TIMESTAMP '2024-05-01 00:00:00' AND TIMESTAMP '2024-05-02 00:00:00' GROUP BY srcaddr, dstaddr ORDER BY bytes DESC LIMIT 50",
	},
	{
		"SELECT date_trunc('hour', from_unixtime(start)) AS hour, count(*) AS flows, count(DISTINCT srcaddr) FROM 's3://bucket/AWSLogs/' WHERE contains('10.0.0.0/8', srcaddr) AND NOT srcaddr LIKE '10.1.%' AND pkt_srcaddr IS NOT NULL GROUP BY 1 HAVING sum(bytes) > 1e6 ORDER BY hour",
		"SELECT date_trunc('hour', from_unixtime(start)) AS hour, count(*) AS flows, count(DISTINCT srcaddr) FROM 's3://bucket/AWSLogs/' WHERE contains('10.0.0.0/8', srcaddr) AND NOT srcaddr LIKE '10.1.%' AND pkt_srcaddr IS NOT NULL GROUP BY 1 HAVING sum(bytes) > 1e6 ORDER BY hour",
	},
	{
		`SELECT split_part(interface_id, '-', 2) AS id, avg(bytes), min("end"), max("end") FROM vpc_flow_logs f WHERE f.dstport NOT BETWEEN 1024 AND 65535 AND -bytes < 0 OR x % 2 = 1 GROUP BY split_part(interface_id, '-', 2)`,
		`SELECT split_part(interface_id, '-', 2) AS id, avg(bytes), min("end"), max("end") FROM vpc_flow_logs WHERE dstport NOT BETWEEN 1024 AND 65535 AND -bytes < 0 OR x % 2 = 1 GROUP BY split_part(interface_id, '-', 2)`,
	},
}

// validQueries cover the rest of the grammar; want is the canonical form.
var validQueries = []struct{ name, q, want string }{
	{"semicolon", "SELECT a FROM t;", "SELECT a FROM t"},
	{"semicolon and comment after", "SELECT a FROM t ; -- done\n", "SELECT a FROM t"},
	{"line comments", "-- top flows\nSELECT a -- the address\nFROM t -- table\n", "SELECT a FROM t"},
	{"block comments", "/* head */SELECT/**/a/* x\ny */FROM t", "SELECT a FROM t"},
	{"lower-case keywords", "select distinct a as b from t where a is null group by a having count(*) > 1 order by b asc limit 5",
		"SELECT DISTINCT a AS b FROM t WHERE a IS NULL GROUP BY a HAVING count(*) > 1 ORDER BY b LIMIT 5"},
	{"mixed-case keywords and names", "SeLeCt SrcAddr, COUNT(*) FrOm Vpc_Flow_Logs WhErE DstPort = 443",
		"SELECT srcaddr, count(*) FROM vpc_flow_logs WHERE dstport = 443"},
	{"quoted identifiers keep case", `SELECT "SrcAddr", "end", "a""b", "select" FROM "My Table"`,
		`SELECT "SrcAddr", "end", "a""b", "select" FROM "My Table"`},
	{"string escapes", "SELECT a FROM t WHERE a = 'it''s' OR a = '' OR a = ''''",
		"SELECT a FROM t WHERE a = 'it''s' OR a = '' OR a = ''''"},
	{"string with comment markers", "SELECT a FROM t WHERE a = '-- not /* a comment'",
		"SELECT a FROM t WHERE a = '-- not /* a comment'"},
	{"alias without AS", "SELECT count(*) flows, srcaddr src FROM t", "SELECT count(*) AS flows, srcaddr AS src FROM t"},
	{"quoted alias", `SELECT sum(bytes) AS "Total Bytes", sum(packets) "p" FROM t`,
		`SELECT sum(bytes) AS "Total Bytes", sum(packets) AS p FROM t`},
	{"keyword-like aliases", "SELECT a AS hour, b AS day, c AS date, d start FROM t",
		"SELECT a AS hour, b AS day, c AS date, d AS start FROM t"},
	{"start, hour, day, date as columns", "SELECT start, hour, day, date FROM t WHERE start > 0",
		"SELECT start, hour, day, date FROM t WHERE start > 0"},
	{"hour and day as calls", "SELECT hour(from_unixtime(start)), day(from_unixtime(\"end\")) FROM t",
		`SELECT hour(from_unixtime(start)), day(from_unixtime("end")) FROM t`},
	{"table alias with AS", "SELECT t1.a FROM vpc_flow_logs AS t1", "SELECT a FROM vpc_flow_logs"},
	{"path source with alias", "SELECT a FROM 'flows/*.log.gz' f", "SELECT a FROM 'flows/*.log.gz'"},
	{"qualified table", "SELECT a FROM db.Vpc_Flow_Logs", "SELECT a FROM vpc_flow_logs"},
	{"qualified column, three parts", `SELECT db.t."SrcAddr" FROM t`, `SELECT "SrcAddr" FROM t`},
	{"star and items", "SELECT *, a FROM t", "SELECT *, a FROM t"},
	{"distinct star", "SELECT DISTINCT * FROM t", "SELECT DISTINCT * FROM t"},
	{"no-argument call", "SELECT now() FROM t", "SELECT now() FROM t"},
	{"distinct with two arguments", "SELECT approx_distinct(DISTINCT a, b) FROM t", "SELECT approx_distinct(DISTINCT a, b) FROM t"},
	{"cast", "SELECT CAST(dstport AS VARCHAR), cast(a as Int), CAST('1' AS bigint) FROM t",
		"SELECT CAST(dstport AS varchar), CAST(a AS int), CAST('1' AS bigint) FROM t"},
	{"cast types", "SELECT CAST(a AS integer), CAST(a AS double), CAST(a AS timestamp), CAST(a AS date) FROM t",
		"SELECT CAST(a AS integer), CAST(a AS double), CAST(a AS timestamp), CAST(a AS date) FROM t"},
	{"literals", "SELECT 0, 42, 1.5, .25, 2., 2e3, 1.5E-7, 'x', NULL, true, FALSE FROM t",
		"SELECT 0, 42, 1.5, 0.25, 2.0, 2000.0, 1.5e-7, 'x', NULL, TRUE, FALSE FROM t"},
	{"max int", "SELECT 9223372036854775807 FROM t", "SELECT 9223372036854775807 FROM t"},
	{"timestamps", "SELECT a FROM t WHERE s >= TIMESTAMP '2024-05-01' AND s < timestamp '2024-05-01T10:20:30Z' AND s <> TIMESTAMP '2024-05-01 10:20:30.125' AND s > DATE '2024-02-29'",
		"SELECT a FROM t WHERE s >= TIMESTAMP '2024-05-01 00:00:00' AND s < TIMESTAMP '2024-05-01 10:20:30' AND s <> TIMESTAMP '2024-05-01 10:20:30.125' AND s > TIMESTAMP '2024-02-29 00:00:00'"},
	{"intervals", "SELECT a FROM t WHERE s > now() - INTERVAL '7' DAY + interval '2' hour - INTERVAL '90' MINUTE + INTERVAL '-30' SECOND",
		"SELECT a FROM t WHERE s > now() - INTERVAL '7' DAY + INTERVAL '2' HOUR - INTERVAL '90' MINUTE + INTERVAL '-30' SECOND"},
	{"not equal spellings", "SELECT a FROM t WHERE a != 1 AND b <> 2", "SELECT a FROM t WHERE a <> 1 AND b <> 2"},
	{"not in, not like, is not null", "SELECT a FROM t WHERE a NOT IN ('x', 'y') AND b NOT LIKE 'z%' AND c IS NOT NULL AND d IN (1)",
		"SELECT a FROM t WHERE a NOT IN ('x', 'y') AND b NOT LIKE 'z%' AND c IS NOT NULL AND d IN (1)"},
	{"group by expressions and ordinals", "SELECT date_trunc('day', from_unixtime(start)), count(*) FROM t GROUP BY date_trunc('day', from_unixtime(start)), 2",
		"SELECT date_trunc('day', from_unixtime(start)), count(*) FROM t GROUP BY date_trunc('day', from_unixtime(start)), 2"},
	{"order by expressions", "SELECT a FROM t ORDER BY sum(bytes) / count(*) DESC, 1 ASC, a",
		"SELECT a FROM t ORDER BY sum(bytes) / count(*) DESC, 1, a"},
	{"limit 0", "SELECT a FROM t LIMIT 0", "SELECT a FROM t LIMIT 0"},
	{"parentheses kept where needed", "SELECT (a + b) * c, a - (b - c), (a - b) - c, -(a + b), - -a FROM t WHERE NOT (a AND b) AND (a OR b)",
		"SELECT (a + b) * c, a - (b - c), a - b - c, -(a + b), -(-a) FROM t WHERE NOT (a AND b) AND (a OR b)"},
	{"predicate as operand", "SELECT (a = b) = (c IS NULL) FROM t", "SELECT (a = b) = (c IS NULL) FROM t"},
	{"white space everywhere", "\n\tSELECT\r\n  a\n\tFROM\n t\n\n", "SELECT a FROM t"},
	{"searched and simple CASE", "SELECT CASE WHEN a > 1 THEN 'big' WHEN a IS NULL THEN NULL ELSE 'small' END, case action when 'ACCEPT' then 1 else 0 end FROM t",
		"SELECT CASE WHEN a > 1 THEN 'big' WHEN a IS NULL THEN NULL ELSE 'small' END, CASE action WHEN 'ACCEPT' THEN 1 ELSE 0 END FROM t"},
	{"CASE inside an aggregate", "SELECT sum(CASE WHEN action = 'REJECT' THEN 1 ELSE 0 END) AS rejected FROM t",
		"SELECT sum(CASE WHEN action = 'REJECT' THEN 1 ELSE 0 END) AS rejected FROM t"},
	{"FILTER", "SELECT count(*) FILTER (WHERE action = 'REJECT'), sum(bytes) filter (where dstport = 443) FROM t",
		"SELECT count(*) FILTER (WHERE action = 'REJECT'), sum(bytes) FILTER (WHERE dstport = 443) FROM t"},
	{"concatenation binds below +", "SELECT a || '-' || b + 1, (a || b) = 'x' FROM t WHERE a || b LIKE 'x%'",
		"SELECT a || '-' || b + 1, a || b = 'x' FROM t WHERE a || b LIKE 'x%'"},
	{"niladic time keywords", "SELECT current_date, current_timestamp, now() FROM t WHERE from_unixtime(start) > current_timestamp - INTERVAL '1' YEAR - interval '3' month",
		"SELECT current_date, current_timestamp, now() FROM t WHERE from_unixtime(start) > current_timestamp - INTERVAL '1' YEAR - INTERVAL '3' MONTH"},
	{"nulls first and last, offset", "SELECT a FROM t ORDER BY a DESC NULLS FIRST, b NULLS LAST OFFSET 10 ROWS LIMIT 5",
		"SELECT a FROM t ORDER BY a DESC NULLS FIRST, b NULLS LAST OFFSET 10 LIMIT 5"},
	{"limit all", "SELECT ALL a FROM t LIMIT ALL", "SELECT a FROM t"},
	{"WITH, used twice", "WITH x AS (SELECT a, count(*) AS n FROM t GROUP BY a), y (b) AS (SELECT a FROM x) SELECT * FROM x UNION ALL SELECT b, 0 FROM y ORDER BY 2 DESC LIMIT 3",
		"WITH x AS (SELECT a, count(*) AS n FROM t GROUP BY a), y (b) AS (SELECT a FROM x) SELECT * FROM x UNION ALL SELECT b, 0 FROM y ORDER BY 2 DESC LIMIT 3"},
	{"subquery in FROM", "SELECT n FROM (SELECT a, count(*) AS n FROM t GROUP BY a ORDER BY n DESC LIMIT 5) AS top WHERE n > 1",
		"SELECT n FROM (SELECT a, count(*) AS n FROM t GROUP BY a ORDER BY n DESC LIMIT 5) WHERE n > 1"},
	{"no space around operators", "SELECT a+b*-c FROM t WHERE a<=1 AND(b>=2)OR(c<>'x')",
		"SELECT a + b * -c FROM t WHERE a <= 1 AND b >= 2 OR c <> 'x'"},
}

func mustParse(t *testing.T, q string) *Select {
	t.Helper()
	s, err := Parse(q)
	if err != nil {
		t.Fatalf("Parse(%q): %v", q, err)
	}
	return s
}

func TestParseAthenaQueries(t *testing.T) {
	for _, tc := range athenaQueries {
		s := mustParse(t, tc.q)
		if got := s.String(); got != tc.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tc.q, got, tc.want)
		}
	}
}

func TestParseValid(t *testing.T) {
	for _, tc := range validQueries {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, tc.q)
			if got := s.String(); got != tc.want {
				t.Errorf("Parse(%q)\n got %s\nwant %s", tc.q, got, tc.want)
			}
		})
	}
}

// TestParseFields checks the parts of the tree the canonical form shows only indirectly.
func TestParseFields(t *testing.T) {
	s := mustParse(t, `SELECT pkt_srcaddr, sum(packets) AS packets FROM "db"."vpc_flow_logs" GROUP BY 1 ORDER BY packets DESC LIMIT 50`)
	if s.From != "vpc_flow_logs" || s.FromPath || s.FromAt != 49 || s.Limit != 50 || s.Distinct {
		t.Errorf("From %q FromPath %v FromAt %d Limit %d Distinct %v", s.From, s.FromPath, s.FromAt, s.Limit, s.Distinct)
	}
	if g, ok := s.GroupBy[0].(*IntLit); !ok || g.V != 1 {
		t.Errorf("GROUP BY 1 is %#v, want an IntLit ordinal", s.GroupBy[0])
	}
	if len(s.OrderBy) != 1 || !s.OrderBy[0].Desc {
		t.Errorf("OrderBy %+v", s.OrderBy)
	}
	if s.Items[1].Alias != "packets" || s.Items[0].Alias != "" {
		t.Errorf("aliases %q %q", s.Items[0].Alias, s.Items[1].Alias)
	}

	s = mustParse(t, "SELECT * FROM 's3://bucket/AWSLogs/'")
	if s.From != "s3://bucket/AWSLogs/" || !s.FromPath || s.FromAt != 14 || s.Limit != -1 || !s.Items[0].Star || s.Items[0].Expr != nil {
		t.Errorf("got %+v", s)
	}
	if s.Where != nil || s.Having != nil || s.GroupBy != nil || s.OrderBy != nil {
		t.Errorf("absent clauses not nil: %+v", s)
	}

	s = mustParse(t, `SELECT count(*), count(DISTINCT srcaddr), "End", SUM(x) FROM t`)
	c0, c1 := s.Items[0].Expr.(*Call), s.Items[1].Expr.(*Call)
	if !c0.Star || c0.Args != nil || c0.Distinct || c0.Name != "count" {
		t.Errorf("count(*) = %+v", c0)
	}
	if c1.Star || !c1.Distinct || len(c1.Args) != 1 {
		t.Errorf("count(DISTINCT srcaddr) = %+v", c1)
	}
	if c := s.Items[2].Expr.(*Column); c.Name != "End" {
		t.Errorf(`"End" = %q`, c.Name)
	}
	if c := s.Items[3].Expr.(*Call); c.Name != "sum" {
		t.Errorf("SUM = %q", c.Name)
	}
}

func TestParseLiteralValues(t *testing.T) {
	cases := []struct {
		expr string
		want Expr
	}{
		{"42", &IntLit{V: 42}},
		{"9223372036854775807", &IntLit{V: 9223372036854775807}},
		{"1.5", &FloatLit{V: 1.5}},
		{"1e6", &FloatLit{V: 1e6}},
		{"'it''s'", &StrLit{V: "it's"}},
		{"''", &StrLit{V: ""}},
		{"'Zürich'", &StrLit{V: "Zürich"}},
		{"TIMESTAMP '2024-05-01 12:34:56'", &TimestampLit{V: time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC)}},
		{"TIMESTAMP '2024-05-01 12:34:56.789'", &TimestampLit{V: time.Date(2024, 5, 1, 12, 34, 56, 789e6, time.UTC)}},
		{"TIMESTAMP '2024-05-01T12:34:56Z'", &TimestampLit{V: time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC)}},
		{"TIMESTAMP '2024-05-01'", &TimestampLit{V: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)}},
		{"DATE '2024-05-01'", &TimestampLit{V: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)}},
		{"INTERVAL '7' DAY", &IntervalLit{V: 7 * 24 * time.Hour}},
		{"INTERVAL '3' HOUR", &IntervalLit{V: 3 * time.Hour}},
		{"INTERVAL '15' MINUTE", &IntervalLit{V: 15 * time.Minute}},
		{"INTERVAL '30' SECOND", &IntervalLit{V: 30 * time.Second}},
		{"NULL", &NullLit{}},
		{"TRUE", &BoolLit{V: true}},
		{"false", &BoolLit{V: false}},
	}
	for _, tc := range cases {
		s := mustParse(t, "SELECT "+tc.expr+" FROM t")
		got := s.Items[0].Expr
		var ok bool
		switch w := tc.want.(type) {
		case *IntLit:
			g, is := got.(*IntLit)
			ok = is && g.V == w.V
		case *FloatLit:
			g, is := got.(*FloatLit)
			ok = is && g.V == w.V
		case *StrLit:
			g, is := got.(*StrLit)
			ok = is && g.V == w.V
		case *TimestampLit:
			g, is := got.(*TimestampLit)
			ok = is && g.V.Equal(w.V) && g.V.Location() == time.UTC
		case *IntervalLit:
			g, is := got.(*IntervalLit)
			ok = is && g.V == w.V
		case *NullLit:
			_, ok = got.(*NullLit)
		case *BoolLit:
			g, is := got.(*BoolLit)
			ok = is && g.V == w.V
		}
		if !ok || got.Pos() != 7 {
			t.Errorf("%s: got %#v, want %#v at 7", tc.expr, got, tc.want)
		}
	}
}

// tree renders an expression with every operator in parentheses, to show the shape precedence
// gave it.
func tree(e Expr) string {
	list := func(xs []Expr) string {
		var parts []string
		for _, x := range xs {
			parts = append(parts, tree(x))
		}
		return strings.Join(parts, ", ")
	}
	switch e := e.(type) {
	case *Binary:
		return "(" + tree(e.L) + " " + e.Op + " " + tree(e.R) + ")"
	case *Unary:
		return "(" + e.Op + " " + tree(e.X) + ")"
	case *In:
		return "(" + tree(e.X) + not(e.Not) + " IN (" + list(e.List) + "))"
	case *Between:
		return "(" + tree(e.X) + not(e.Not) + " BETWEEN " + tree(e.Lo) + " AND " + tree(e.Hi) + ")"
	case *Like:
		return "(" + tree(e.X) + not(e.Not) + " LIKE " + tree(e.Pattern) + ")"
	case *IsNull:
		return "(" + tree(e.X) + " IS" + not(e.Not) + " NULL)"
	case *Call:
		return e.Name + "(" + list(e.Args) + ")"
	case *Cast:
		return "CAST(" + tree(e.X) + " AS " + e.Type + ")"
	}
	return Format(e)
}

func TestParsePrecedence(t *testing.T) {
	cases := []struct{ expr, want string }{
		{"a OR b AND c", "(a OR (b AND c))"},
		{"a AND b OR c", "((a AND b) OR c)"},
		{"a OR b OR c", "((a OR b) OR c)"},
		{"NOT a = b", "(NOT (a = b))"},
		{"NOT a AND b", "((NOT a) AND b)"},
		{"NOT NOT a", "(NOT (NOT a))"},
		{"-a * b + c", "(((- a) * b) + c)"},
		{"- -a", "(- (- a))"},
		{"a + b * c - d", "((a + (b * c)) - d)"},
		{"a - b - c", "((a - b) - c)"},
		{"a / b % c * d", "(((a / b) % c) * d)"},
		{"(a + b) * c", "((a + b) * c)"},
		{"a + b = c * d", "((a + b) = (c * d))"},
		{"a = 1 OR b IN (1, 2 + 3) AND c IS NULL", "((a = 1) OR ((b IN (1, (2 + 3))) AND (c IS NULL)))"},
		{"x BETWEEN a + 1 AND b AND c", "((x BETWEEN (a + 1) AND b) AND c)"},
		{"x NOT BETWEEN -1 AND 2 * 3", "(x NOT BETWEEN (- 1) AND (2 * 3))"},
		{"NOT a LIKE 'x%' OR b", "((NOT (a LIKE 'x%')) OR b)"},
		{"a * 2 IS NOT NULL", "((a * 2) IS NOT NULL)"},
		{"a <> b AND c != d", "((a <> b) AND (c <> d))"},
		{"f(a OR b, -c)", "f((a OR b), (- c))"},
		{"CAST(a + 1 AS double) / 2", "(CAST((a + 1) AS double) / 2)"},
	}
	for _, tc := range cases {
		s := mustParse(t, "SELECT * FROM t WHERE "+tc.expr)
		if got := tree(s.Where); got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.expr, got, tc.want)
		}
	}
}

// walk calls fn on e and every expression below it, parents first.
// walkSelect calls fn on every expression of s.
func walkSelect(s *Select, fn func(Expr)) {
	for _, c := range s.With {
		walkSelect(c.Query, fn)
	}
	for _, it := range s.Items {
		Walk(it.Expr, fn)
	}
	if s.FromSub != nil {
		walkSelect(s.FromSub, fn)
	}
	Walk(s.Where, fn)
	for _, e := range s.GroupBy {
		Walk(e, fn)
	}
	Walk(s.Having, fn)
	for _, arm := range s.UnionAll {
		walkSelect(arm, fn)
	}
	for _, o := range s.OrderBy {
		Walk(o.Expr, fn)
	}
}

func TestParsePositions(t *testing.T) {
	q := "SELECT f.srcaddr,\n  count(*) AS n -- flows\nFROM t f\nWHERE x NOT IN (1, 2) AND /* window */ TIMESTAMP '2024-05-01' < -y\n  AND CAST(z AS int) BETWEEN 1 AND 2 AND w LIKE 'a%' AND v IS NULL\nGROUP BY 1 ORDER BY n DESC"
	s := mustParse(t, q)
	// Each node as "Format(node) @ the query text from its At to the end of that word".
	var got []string
	walkSelect(s, func(e Expr) {
		rest := q[e.Pos():]
		if i := strings.IndexAny(rest, " \n,)("); i > 0 {
			rest = rest[:i]
		}
		got = append(got, Format(e)+" @ "+rest)
	})
	want := []string{
		"srcaddr @ f.srcaddr",
		"count(*) @ count",
		"x NOT IN (1, 2) AND TIMESTAMP '2024-05-01 00:00:00' < -y AND CAST(z AS int) BETWEEN 1 AND 2 AND w LIKE 'a%' AND v IS NULL @ x",
		"x NOT IN (1, 2) AND TIMESTAMP '2024-05-01 00:00:00' < -y AND CAST(z AS int) BETWEEN 1 AND 2 AND w LIKE 'a%' @ x",
		"x NOT IN (1, 2) AND TIMESTAMP '2024-05-01 00:00:00' < -y AND CAST(z AS int) BETWEEN 1 AND 2 @ x",
		"x NOT IN (1, 2) AND TIMESTAMP '2024-05-01 00:00:00' < -y @ x",
		"x NOT IN (1, 2) @ x",
		"x @ x",
		"1 @ 1",
		"2 @ 2",
		"TIMESTAMP '2024-05-01 00:00:00' < -y @ TIMESTAMP",
		"TIMESTAMP '2024-05-01 00:00:00' @ TIMESTAMP",
		"-y @ -y",
		"y @ y",
		"CAST(z AS int) BETWEEN 1 AND 2 @ CAST",
		"CAST(z AS int) @ CAST",
		"z @ z",
		"1 @ 1",
		"2 @ 2",
		"w LIKE 'a%' @ w",
		"w @ w",
		"'a%' @ 'a%'",
		"v IS NULL @ v",
		"v @ v",
		"1 @ 1",
		"n @ n",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("positions:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	if s.Items[0].At != 7 || s.Items[1].At != 20 || s.FromAt != 48 {
		t.Errorf("item At %d %d, FromAt %d; want 7 20 48", s.Items[0].At, s.Items[1].At, s.FromAt)
	}
	if s := mustParse(t, "SELECT * FROM t"); s.Items[0].At != 7 {
		t.Errorf("* At %d, want 7", s.Items[0].At)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		q, msg string
		line   int
		col    int
	}{
		{"", "syntax error: unexpected end of query, expected SELECT", 1, 1},
		{"  -- nothing\n", "unexpected end of query, expected SELECT", 2, 1},
		{"DELETE FROM t", `syntax error: expected SELECT, found "DELETE"`, 1, 1},
		{"SELECT a WHERE x = 1", `syntax error: expected FROM, found "WHERE"`, 1, 10},
		{"SELECT a FROM t WHERE", "syntax error: unexpected end of query, expected an expression", 1, 22},
		{"SELECT a FROM t WHERE x = 'abc", "syntax error: unterminated string", 1, 27},
		{`SELECT "abc FROM t`, "syntax error: unterminated quoted identifier", 1, 8},
		{`SELECT "" FROM t`, "syntax error: empty quoted identifier", 1, 8},
		{"SELECT a FROM t WHERE x = 1 /* comment", "syntax error: unterminated comment", 1, 29},
		{"SELECT a FROM t JOIN u ON t.a = u.a", "JOIN is not supported", 1, 17},
		{"SELECT a FROM t f LEFT JOIN u ON x", "JOIN is not supported", 1, 19},
		{"SELECT a FROM t, u", "JOIN is not supported", 1, 16},
		{"SELECT a FROM t UNION SELECT b FROM u", "UNION without ALL (which removes duplicates) is not supported", 1, 17},
		{"WITH x AS (SELECT 1) SELECT * FROM x", `expected FROM, found ")"`, 1, 20},
		{"WITH RECURSIVE x AS (SELECT a FROM t) SELECT * FROM x", "WITH RECURSIVE is not supported", 1, 6},
		{"WITH x AS (SELECT a FROM t), x AS (SELECT b FROM t) SELECT * FROM x", `WITH names "x" twice`, 1, 30},
		{"SELECT a FROM (SELECT b FROM t", `unexpected end of query, expected ")"`, 1, 31},
		{"SELECT a FROM t UNION ALL SELECT b FROM u ORDER BY 1 UNION ALL SELECT c FROM v", `expected end of query, found "UNION"`, 1, 54},
		{"SELECT a FROM t WHERE a IN (SELECT b FROM u)", "subqueries are supported in FROM only", 1, 29},
		{"SELECT a FROM t WHERE a > (SELECT 1)", "subqueries are supported in FROM only", 1, 28},
		{"SELECT a FROM t WHERE EXISTS (SELECT 1)", "subqueries are supported in FROM only", 1, 23},
		{"SELECT CASE a ELSE 1 END FROM t", `expected WHEN, found "ELSE"`, 1, 15},
		{"SELECT CASE WHEN a THEN 1 FROM t", `expected END, found "FROM"`, 1, 27},
		{"SELECT count(*) FILTER (a > 1) FROM t", `expected WHERE, found "a"`, 1, 25},
		{"SELECT a FROM t ORDER BY a NULLS", `unexpected end of query, expected FIRST or LAST after NULLS`, 1, 33},
		{"SELECT a FROM t OFFSET x", `expected a non-negative integer after OFFSET, found "x"`, 1, 24},
		{"SELECT a FROM t LIMIT 1 OFFSET 2", `expected end of query, found "OFFSET"`, 1, 25},
		{"SELECT row_number() OVER (ORDER BY a) FROM t", "window functions (OVER) are not supported", 1, 21},
		{"SELECT sum(*) FROM t", "syntax error: * is only allowed in count(*), not in sum()", 1, 12},
		{"SELECT a FROM t; SELECT b FROM t", `only one statement is allowed, found "SELECT"`, 1, 18},
		{"SELECT a FROM t LIMIT 99999999999999999999", "syntax error: integer 99999999999999999999 is out of range", 1, 23},
		{"SELECT a FROM t WHERE x > 99999999999999999999", "integer 99999999999999999999 is out of range", 1, 27},
		{"SELECT a FROM t WHERE x > 1.5e999", "number 1.5e999 is out of range", 1, 27},
		{"SELECT a FROM t WHERE start > TIMESTAMP '2024-13-01 00:00:00'", "syntax error: bad timestamp '2024-13-01 00:00:00', expected 'yyyy-mm-dd hh:mm:ss'", 1, 41},
		{"SELECT a FROM t WHERE start > DATE '2024-05-01 10:00:00'", "syntax error: bad date '2024-05-01 10:00:00', expected 'yyyy-mm-dd'", 1, 36},
		{"SELECT a FROM t WHERE s > now() - INTERVAL 'x' DAY", "bad interval 'x'", 1, 44},
		{"SELECT a FROM t WHERE s > now() - INTERVAL '1' WEEK", `expected YEAR, MONTH, DAY, HOUR, MINUTE or SECOND, found "WEEK"`, 1, 48},
		{"SELECT a FROM t WHERE s > INTERVAL '999999999999' DAY", "interval '999999999999' DAY is out of range", 1, 36},
		{"SELECT a FROM t LIMIT -1", `expected a non-negative integer after LIMIT, found "-"`, 1, 23},
		{"SELECT a FROM t LIMIT 1.5", `expected a non-negative integer after LIMIT, found "1.5"`, 1, 23},
		{"SELECT a FROM t GROUP a", `expected BY, found "a"`, 1, 23},
		{"SELECT a FROM t ORDER a", `expected BY, found "a"`, 1, 23},
		{"SELECT srcaddr,\n       sum(bytes)\nFROM vpc_flow_logs\nWHERE end > 0", `syntax error: END is a keyword; write the column as "end"`, 4, 7},
		{"SELECT a FROM t WHERE a = b = c", `expected end of query, found "="`, 1, 29},
		{"SELECT a FROM t WHERE a NOT NULL", `expected IN, BETWEEN or LIKE after NOT, found "NULL"`, 1, 29},
		{"SELECT a FROM t WHERE a IS NOT 5", `expected NULL, found "5"`, 1, 32},
		{"SELECT a FROM t WHERE a IS DISTINCT FROM b", `expected NULL, found "DISTINCT"`, 1, 28},
		{"SELECT CAST(a AS text) FROM t", "expected a type (varchar, bigint, integer, int, double, timestamp or date), found \"text\"", 1, 18},
		{"SELECT CAST(a) FROM t", `expected AS, found ")"`, 1, 14},
		{"SELECT a FROM t WHERE a BETWEEN 1 OR 2", `expected AND, found "OR"`, 1, 35},
		{"SELECT a b c FROM t", `expected FROM, found "c"`, 1, 12},
		{"SELECT a AS FROM t", `expected an alias, found "FROM"`, 1, 13},
		{"SELECT * AS x FROM t", `expected FROM, found "AS"`, 1, 10},
		{"SELECT a, FROM t", `expected an expression, found "FROM"`, 1, 11},
		{"SELECT FROM t", `expected an expression, found "FROM"`, 1, 8},
		{"SELECT a FROM t ORDER BY", "unexpected end of query, expected an expression", 1, 25},
		{"SELECT a FROM t LIMIT 10 WHERE a = 1", `expected end of query, found "WHERE"`, 1, 26},
		{"SELECT a FROM t WHERE x = 12ab", `syntax error: malformed number "12ab"`, 1, 27},
		{"SELECT a FROM t WHERE a<=1AND b", `syntax error: malformed number "1AND"`, 1, 26},
		{"SELECT a FROM t WHERE x ^ 2", `syntax error: unexpected character "^"`, 1, 25},
		{"SELECT a FROM t WHERE a | 'x' = 'y'", `unexpected character "|"`, 1, 25},
		{"SELECT a FROM t WHERE (a = 1", `unexpected end of query, expected ")"`, 1, 29},
		{"SELECT a FROM t WHERE a IN 1, 2", `expected "(", found "1"`, 1, 28},
		{"SELECT a FROM t WHERE a IN ()", `expected an expression, found ")"`, 1, 29},
		{"SELECT count(DISTINCT) FROM t", `expected an expression, found ")"`, 1, 22},
		{"SELECT f(a b) FROM t", `expected ")", found "b"`, 1, 12},
		{"SELECT f.* FROM t f", `expected a column name after ".", found "*"`, 1, 10},
		{"SELECT 1 FROM", "unexpected end of query, expected a table name or a quoted path", 1, 14},
		{"SELECT 1 FROM db.", `unexpected end of query, expected a table name after "."`, 1, 18},
		{"SELECT 1 FROM t AS WHERE", `expected a table alias, found "WHERE"`, 1, 20},
		{"SELECT a FROM t WHERE a = NOT b", `expected an expression, found "NOT"`, 1, 27},
		{"SELECT a FROM t WHERE a = 'x' ESCAPE", `expected end of query, found "ESCAPE"`, 1, 31},
		{"SELECT a FROM t\nWHERE a = 'a very long string literal that goes on and on'\n  AND", "unexpected end of query, expected an expression", 3, 6},
		{"SELECT a FROM t WHERE a = 'x' 'y'", `expected end of query, found "'y'"`, 1, 31},
		{"SELECT a FROM t 'a string literal that is longer than forty bytes'", `expected end of query, found "'a string literal that is longer than..."`, 1, 17},
		{"SELECT é FROM t", `unexpected character "é"`, 1, 8},
		{"SELECT a FROM t WHERE " + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300), "syntax error: expression nested too deeply", 1, 223},
		{"SELECT a FROM t WHERE " + strings.Repeat("- ", 300) + "1", "syntax error: expression nested too deeply", 1, 423},
		{"SELECT a FROM t WHERE " + strings.Repeat("NOT ", 300) + "a", "syntax error: expression nested too deeply", 1, 823},
	}
	for _, tc := range cases {
		s, err := Parse(tc.q)
		var perr *Error
		if !errors.As(err, &perr) {
			t.Errorf("Parse(%q) = %v, %v; want an *Error", tc.q, s, err)
			continue
		}
		if perr.Query != tc.q {
			t.Errorf("Parse(%q): error query %q", tc.q, perr.Query)
		}
		msg := err.Error()
		where := fmt.Sprintf(" at line %d, column %d:\n", tc.line, tc.col)
		if !strings.Contains(msg, tc.msg) || !strings.Contains(msg, where) {
			t.Errorf("Parse(%q):\n got %s\nwant %q%s", tc.q, msg, tc.msg, where)
		}
	}
}

// TestParseErrorCaret shows the whole message once, caret included.
func TestParseErrorCaret(t *testing.T) {
	_, err := Parse("SELECT srcaddr\nFROM t\nWHERE dstport = 443 GROUP srcaddr")
	want := "syntax error: expected BY, found \"srcaddr\" at line 3, column 27:\n  WHERE dstport = 443 GROUP srcaddr\n                            ^"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

func TestFormat(t *testing.T) {
	cases := []struct {
		e    Expr
		want string
	}{
		{&Column{Name: "srcaddr"}, "srcaddr"},
		{&Column{Name: "end"}, `"end"`},
		{&Column{Name: "Total"}, `"Total"`},
		{&Column{Name: "2x"}, `"2x"`},
		{&Column{Name: `a"b`}, `"a""b"`},
		{&IntLit{V: -5}, "-5"},
		{&FloatLit{V: 3}, "3.0"},
		{&FloatLit{V: 1e21}, "1e21"},
		{&FloatLit{V: 1.5e-7}, "1.5e-7"},
		{&StrLit{V: "it's"}, "'it''s'"},
		{&TimestampLit{V: time.Date(2024, 5, 1, 1, 2, 3, 4000, time.FixedZone("x", 3600))}, "TIMESTAMP '2024-05-01 00:02:03.000004'"},
		{&IntervalLit{V: 48 * time.Hour}, "INTERVAL '2' DAY"},
		{&IntervalLit{V: 90 * time.Minute}, "INTERVAL '90' MINUTE"},
		{&IntervalLit{V: -2 * time.Hour}, "INTERVAL '-2' HOUR"},
		{&IntervalLit{V: 61 * time.Second}, "INTERVAL '61' SECOND"},
		{&Unary{Op: "-", X: &IntLit{V: -5}}, "-(-5)"},
		{&Unary{Op: "NOT", X: &Binary{Op: "OR", L: &Column{Name: "a"}, R: &Column{Name: "b"}}}, "NOT (a OR b)"},
		{&Binary{Op: "-", L: &Column{Name: "a"}, R: &Unary{Op: "-", X: &Column{Name: "b"}}}, "a - -b"},
		{&Binary{Op: "AND", L: &Column{Name: "a"}, R: &Binary{Op: "AND", L: &Column{Name: "b"}, R: &Column{Name: "c"}}}, "a AND (b AND c)"},
		{&Call{Name: "count", Star: true}, "count(*)"},
		{&Call{Name: "count", Distinct: true, Args: []Expr{&Column{Name: "srcaddr"}}}, "count(DISTINCT srcaddr)"},
		{&Call{Name: "date_trunc", Args: []Expr{&StrLit{V: "hour"}, &Call{Name: "from_unixtime", Args: []Expr{&Column{Name: "start"}}}}}, "date_trunc('hour', from_unixtime(start))"},
		{&Cast{X: &Column{Name: "dstport"}, Type: "varchar"}, "CAST(dstport AS varchar)"},
		{&In{X: &Binary{Op: "=", L: &Column{Name: "a"}, R: &Column{Name: "b"}}, List: []Expr{&BoolLit{V: true}}, Not: true}, "(a = b) NOT IN (TRUE)"},
		{&Star{}, "*"},
		{&NullLit{}, "NULL"},
		{nil, "<nil>"},
	}
	for _, tc := range cases {
		if got := Format(tc.e); got != tc.want {
			t.Errorf("Format(%#v) = %s, want %s", tc.e, got, tc.want)
		}
	}
}

// TestRoundTrip checks that the canonical form parses back to itself, so that Format and String
// never emit SQL with another meaning.
func TestRoundTrip(t *testing.T) {
	for _, q := range seedQueries() {
		checkRoundTrip(t, q, mustParse(t, q))
	}
}

func checkRoundTrip(t *testing.T, q string, s *Select) {
	t.Helper()
	text := s.String()
	s2, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse(%q) = %q, which does not parse: %v", q, text, err)
	}
	if text2 := s2.String(); text2 != text {
		t.Fatalf("Parse(%q) = %q, which parses to %q", q, text, text2)
	}
}

func seedQueries() []string {
	var qs []string
	for _, tc := range athenaQueries {
		qs = append(qs, tc.q)
	}
	for _, tc := range validQueries {
		qs = append(qs, tc.q)
	}
	return qs
}

// FuzzParse checks that Parse never panics, that a parsed query has every position inside the
// query and prints as SQL that parses back to the same tree, and that errors point into the query.
func FuzzParse(f *testing.F) {
	for _, q := range seedQueries() {
		f.Add(q)
	}
	f.Add("SELECT a FROM t WHERE x = 'abc")
	f.Add("SELECT CASE WHEN a THEN 1 END FROM t")
	f.Fuzz(func(t *testing.T, q string) {
		s, err := Parse(q)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse(%q): error %T %v is not an *Error", q, err, err)
			}
			if perr.At < 0 || perr.At > len(q) {
				t.Fatalf("Parse(%q): error at %d outside [0, %d]", q, perr.At, len(q))
			}
			_ = err.Error()
			return
		}
		in := func(what string, at int) {
			if at < 0 || at >= len(q) {
				t.Fatalf("Parse(%q): %s at %d outside [0, %d)", q, what, at, len(q))
			}
		}
		for _, it := range s.Items {
			in("item", it.At)
		}
		in("FROM", s.FromAt)
		walkSelect(s, func(e Expr) { in(Format(e), e.Pos()) })
		if s.Limit < -1 {
			t.Fatalf("Parse(%q): Limit %d", q, s.Limit)
		}
		checkRoundTrip(t, q, s)
	})
}
