// Package report builds the standard report over a run's result: the input accounting, totals, top
// interfaces (with their peak hours), sources, destinations and conversations, the hourly series,
// busiest hours and hour-of-day profile, rejects, ports and protocols, and the NAT gateway review
// (package nat). Each section lives in its own file (section_*.go): the group-bys it reads, how it
// fills its part of the document and its text. Specs gives the group-bys a run needs; Build reads
// the result into a Report, whose JSON form is a versioned contract (docs/report-json.md) and whose
// table form is for a terminal.
//
// Its input is the merged tables of one aggregate.Run over flow-log records such as
//
//	2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK
//
// which adds 4,249 bytes to the interface eni-1235b8ca123456789 in the hour 2014-12-14T04:00Z, to
// the source 172.31.16.139, the destination 172.31.16.21 and their conversation, and to TCP port 22.
package report
