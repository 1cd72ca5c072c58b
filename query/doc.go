// Package query is flowlens's SQL engine: it parses a SELECT in the dialect Athena users write over
// flow logs (package query/sql), plans it onto the aggregate engine (group-bys with their measures,
// filters compiled to column kernels, time bounds that prune objects and row groups), runs it over
// sources and returns Arrow record batches in the output's order. SQL functions live in a registry,
// one entry per function; docs/sql.md lists them.
//
// Its input is a query over the flow-log columns, by their Athena names:
//
//	SELECT srcaddr, sum(bytes) AS bytes FROM vpc_flow_logs
//	WHERE action = 'REJECT' AND from_unixtime(start) >= TIMESTAMP '2026-11-01 00:00:00'
//	GROUP BY srcaddr ORDER BY bytes DESC LIMIT 10
package query
