package query

var _ = examples(map[string][]string{
	"count": {
		"SELECT count(*) FROM t",
		"SELECT action, count(dstport), count(DISTINCT srcaddr) FROM t GROUP BY action",
	},
	"sum": {"SELECT interface_id, sum(bytes), sum(packets), sum(dstport) FROM t GROUP BY 1 HAVING sum(bytes) > 0"},
	"avg": {"SELECT avg(bytes) FROM t"},
	"min": {"SELECT min(bytes), min(from_unixtime(start)) FROM t"},
	"max": {"SELECT action, max(from_unixtime(\"end\")) FROM t GROUP BY action ORDER BY max(bytes) DESC"},
})
