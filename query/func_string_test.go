package query

var _ = examples(map[string][]string{
	"split_part": {"SELECT split_part(interface_id, '-', 2) FROM t WHERE split_part(interface_id, '-', 1) = 'eni'"},
})

var _ = examples(map[string][]string{
	"length":         {"SELECT length(interface_id) FROM t"},
	"substr":         {"SELECT substr(interface_id, 5), substr(vpc_id, 1, 3) FROM t"},
	"substring":      {"SELECT substring(interface_id, -4) FROM t"},
	"concat":         {"SELECT concat(srcaddr, ':', CAST(srcport AS varchar)) FROM t"},
	"strpos":         {"SELECT strpos(interface_id, '-') FROM t"},
	"replace":        {"SELECT replace(interface_id, 'eni-', ''), replace(vpc_id, '-', '_') FROM t"},
	"trim":           {"SELECT trim(pkt_src_aws_service) FROM t"},
	"ltrim":          {"SELECT ltrim(action) FROM t"},
	"rtrim":          {"SELECT rtrim(action) FROM t"},
	"regexp_like":    {"SELECT count(*) FROM t WHERE regexp_like(srcaddr, '^10\\.0\\.')"},
	"regexp_extract": {"SELECT regexp_extract(interface_id, 'eni-([0-9a-f]{4})', 1), regexp_extract(subnet_id, '[0-9a-f]+$') FROM t"},
})
