package query

var _ = examples(map[string][]string{
	"from_unixtime": {
		"SELECT from_unixtime(start) FROM t",
		"SELECT from_unixtime(start), count(*) FROM t GROUP BY 1",
	},
	"to_unixtime": {"SELECT to_unixtime(from_unixtime(start)) FROM t"},
	"date_trunc": {
		"SELECT date_trunc('hour', from_unixtime(start)), sum(bytes) FROM t GROUP BY 1",
		"SELECT date_trunc('quarter', from_unixtime(\"end\")) FROM t",
	},
	"second":       {"SELECT second(from_unixtime(start)) FROM t"},
	"minute":       {"SELECT minute(from_unixtime(start)) FROM t"},
	"hour":         {"SELECT hour(from_unixtime(start)), count(*) FROM t GROUP BY 1"},
	"day":          {"SELECT day(from_unixtime(start)) FROM t"},
	"day_of_month": {"SELECT srcaddr FROM t WHERE day_of_month(from_unixtime(start)) = 1"},
	"day_of_week":  {"SELECT day_of_week(from_unixtime(start)), count(*) FROM t GROUP BY 1"},
	"dow":          {"SELECT dow(from_unixtime(start)) FROM t"},
	"day_of_year":  {"SELECT day_of_year(from_unixtime(start)) FROM t"},
	"doy":          {"SELECT doy(from_unixtime(start)) FROM t"},
	"week":         {"SELECT week(from_unixtime(start)) FROM t"},
	"week_of_year": {"SELECT week_of_year(from_unixtime(start)) FROM t"},
	"month":        {"SELECT month(from_unixtime(start)) FROM t"},
	"quarter":      {"SELECT quarter(from_unixtime(start)) FROM t"},
	"year":         {"SELECT year(from_unixtime(start)) FROM t"},
})

var _ = examples(map[string][]string{
	"now":                    {"SELECT count(*) FROM t WHERE from_unixtime(start) > now() - INTERVAL '7' DAY"},
	"current_timestamp":      {"SELECT count(*) FROM t WHERE from_unixtime(start) > current_timestamp - INTERVAL '1' MONTH"},
	"localtimestamp":         {"SELECT localtimestamp FROM t"},
	"current_date":           {"SELECT count(*) FROM t WHERE from_unixtime(start) >= current_date - INTERVAL '1' DAY"},
	"date_add":               {"SELECT date_add('day', -1, from_unixtime(start)) FROM t WHERE from_unixtime(start) > date_add('month', -3, current_date)"},
	"date_diff":              {"SELECT date_diff('second', from_unixtime(start), from_unixtime(\"end\")) FROM t"},
	"date_format":            {"SELECT date_format(from_unixtime(start), '%Y-%m-%d %H:00') AS hour FROM t"},
	"format_datetime":        {"SELECT format_datetime(from_unixtime(start), 'yyyy-MM-dd HH:mm') FROM t"},
	"to_iso8601":             {"SELECT to_iso8601(from_unixtime(start)) FROM t"},
	"from_iso8601_timestamp": {"SELECT count(*) FROM t WHERE from_unixtime(start) >= from_iso8601_timestamp('2026-11-01T00:00:00Z')"},
	"at_timezone":            {"SELECT hour(at_timezone(from_unixtime(start), 'America/New_York')) FROM t"},
	"date":                   {"SELECT count(*) FROM t WHERE date(from_unixtime(start)) = DATE('2026-11-01')", "SELECT date(NULL), CAST('x' AS date) FROM t"},
})
