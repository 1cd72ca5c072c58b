package query

var _ = examples(map[string][]string{
	"CAST": {"SELECT CAST(srcaddr AS varchar), CAST(bytes AS double), CAST(start AS timestamp) FROM t"},
})
