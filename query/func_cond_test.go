package query

var _ = examples(map[string][]string{
	"if":       {"SELECT if(action = 'REJECT', bytes, 0), if(dstport = 443, 'https') FROM t"},
	"coalesce": {"SELECT coalesce(instance_id, interface_id, 'unknown') FROM t WHERE coalesce(dstport, 0) = 0"},
	"nullif":   {"SELECT bytes / nullif(packets, 0) FROM t"},
	"greatest": {"SELECT greatest(srcport, dstport), greatest(bytes, 1.5) FROM t"},
	"least":    {"SELECT least(srcport, dstport) FROM t WHERE least(start, \"end\") > 0"},
	"try":      {"SELECT try(bytes / packets) FROM t"},
})
