package query

var _ = examples(map[string][]string{
	"split_part": {"SELECT split_part(interface_id, '-', 2) FROM t WHERE split_part(interface_id, '-', 1) = 'eni'"},
})
