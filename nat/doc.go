// Package nat reviews what NAT gateways cost: which gateways there are (named with --nat, read from
// the JSON of aws ec2 describe-nat-gateways, or detected from the records), the group-bys the review
// needs (Specs), the bytes each gateway processed, who sent them and where they went, what they cost
// for the period and a month, and what gateway endpoints, interface endpoints or a NAT gateway per AZ
// would save (Build). Review and the estimate have a JSON form (docs/report-json.md) and a text form.
// Prices and AWS IP ranges come from package cost; the method is in docs/cost.md.
//
// Its input is the records a NAT gateway's interface logs with pkt-srcaddr and pkt-dstaddr (flow-log
// version 3 or later). The private leg of an upload through the gateway 10.0.0.220:
//
//	interface-id          srcaddr   dstaddr    pkt-srcaddr pkt-dstaddr  bytes
//	eni-0a1b2c3d4e5f60718 10.0.1.5  10.0.0.220 10.0.1.5    52.216.8.12  1200000
//
// is 1.2 MB sent by the workload 10.0.1.5 to 52.216.8.12, an S3 address in us-east-1: traffic an S3
// gateway endpoint would carry for free.
package nat
