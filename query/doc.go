// Package query holds what users ask for and what they get back: the standard report (the group-bys
// it needs, ReportSpecs; the document built from their result, BuildReport; its JSON and table forms),
// the row writers that print decoded flow-log batches as JSON Lines or CSV, and atomic output files.
//
// A decoded v2 record printed as JSON Lines:
//
//	{"version":2,"account_id":"123456789010","interface_id":"eni-1235b8ca123456789","srcaddr":"172.31.16.139",
//	 "dstaddr":"172.31.16.21","srcport":20641,"dstport":22,"protocol":6,"packets":20,"bytes":4249,
//	 "start":1418530010,"end":1418530070,"action":"ACCEPT","log_status":"OK"}
package query
