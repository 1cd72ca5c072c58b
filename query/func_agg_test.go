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

var _ = examples(map[string][]string{
	"count_if":          {"SELECT interface_id, count_if(action = 'REJECT') AS rejected FROM t GROUP BY 1"},
	"approx_distinct":   {"SELECT dstport, approx_distinct(srcaddr) FROM t GROUP BY dstport", "SELECT approx_distinct(srcaddr, 0.01) FROM t"},
	"approx_percentile": {"SELECT approx_percentile(bytes, 0.95) FROM t"},
	"arbitrary":         {"SELECT interface_id, arbitrary(vpc_id) FROM t GROUP BY 1"},
	"any_value":         {"SELECT interface_id, any_value(subnet_id) FROM t GROUP BY 1"},
	"max_by":            {"SELECT srcaddr, max_by(dstaddr, bytes) FROM t GROUP BY srcaddr"},
	"min_by":            {"SELECT srcaddr, min_by(dstport, start) FROM t GROUP BY srcaddr"},
	"array_agg":         {"SELECT interface_id, array_agg(DISTINCT action) FROM t GROUP BY 1", "SELECT srcaddr, array_agg(dstport) FROM t GROUP BY 1"},
})
