package query

var _ = examples(map[string][]string{
	"contains": {
		"SELECT srcaddr FROM t WHERE contains('10.0.0.0/8', srcaddr)",
		"SELECT contains('2001:db8::/32', dstaddr) AS v6, count(*) FROM t GROUP BY dstaddr",
	},
})
