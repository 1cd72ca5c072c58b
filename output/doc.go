// Package output holds every writer of flowlens's results: an aligned text table, JSON (one array),
// JSON Lines, CSV, Parquet, Arrow IPC streams, the Hive-partitioned Parquet dataset of convert, and
// the atomic file they are written through. Batch writers share one small interface, Writer; Pick
// is the one rule by which every command chooses a format from --format and -o.
//
// Its input is Arrow record batches, as the decoder or the SQL engine makes them. Columns whose
// field metadata says flowlens.type=ip hold 16-byte addresses and are written as address text. A
// decoded v2 record written as JSON Lines:
//
//	{"version":2,"account_id":"123456789010","interface_id":"eni-1235b8ca123456789","srcaddr":"172.31.16.139",
//	 "dstaddr":"172.31.16.21","srcport":20641,"dstport":22,"protocol":6,"packets":20,"bytes":4249,
//	 "start":1418530010,"end":1418530070,"action":"ACCEPT","log_status":"OK"}
//
// and as CSV:
//
//	version,account_id,interface_id,srcaddr,dstaddr,srcport,dstport,protocol,packets,bytes,start,end,action,log_status
//	2,123456789010,eni-1235b8ca123456789,172.31.16.139,172.31.16.21,20641,22,6,20,4249,1418530010,1418530070,ACCEPT,OK
package output
