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
