package query

var _ = examples(map[string][]string{
	"round":   {"SELECT round(bytes / 1024.0, 2), round(bytes, -3) FROM t", "SELECT round(avg(bytes)) FROM t"},
	"abs":     {"SELECT abs(srcport - dstport) FROM t"},
	"ceil":    {"SELECT ceil(bytes / 1500.0) FROM t"},
	"ceiling": {"SELECT ceiling(bytes / 1500.0) FROM t"},
	"floor":   {"SELECT floor(bytes / 1500.0) FROM t"},
})
