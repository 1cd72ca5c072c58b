// Package cost prices NAT gateway traffic and its alternatives (gateway and interface VPC endpoints),
// following the cost method of docs/cost.md: classify where each NAT byte goes, price it from a
// dated, replaceable table, and show the working. It knows nothing of the engine; package nat
// reads the records into the review that uses it.
//
// # Classifying the far end
//
// On a NAT gateway's ENI, the record of an instance sending through the NAT names the NAT's private
// address in dstaddr and the far end in pkt-dstaddr (pkt-srcaddr on the way back):
//
//	interface-id=eni-0nat srcaddr=10.0.1.17 dstaddr=10.0.0.5 pkt-srcaddr=10.0.1.17 pkt-dstaddr=52.216.8.12 bytes=1200000
//
// For a NAT in us-east-1 the far end is classified by
//
//	cls, svc := cost.DefaultRanges().Classify(netip.MustParseAddr("52.216.8.12"), "us-east-1")
//	// cls == cost.ClassS3, svc == "S3": 52.216.0.0/15 is S3 in us-east-1; a gateway endpoint would carry it
//
// while the same address seen from a NAT in eu-west-1 is ClassAWSOther (gateway endpoints work in
// their own region only), 3.208.1.1 is ClassAWSOther with service AMAZON (3.208.0.0/12) and 8.8.8.8
// is ClassInternet. The ranges are a subset of AWS's ip-ranges.json (prefixes of the services AMAZON,
// S3 and DYNAMODB) embedded in the binary, with its createDate in Ranges.Date; LoadRanges reads a
// fresher ip-ranges.json. The longest matching prefix decides (see Ranges.Classify): the
// pkt-*-aws-service field of a flow record is only a hint, as an overlapping range shows one code.
//
// The embedded file ipranges.txt.gz is generated; regenerate it from the repository root with
//
//	go run ./cost/internal/genranges PATH/ip-ranges.json
//
// # Prices and the estimate
//
// Prices are a dated table (DefaultPrices, overridable field by field with LoadPrices) of NAT gateway
// hour and per-GB prices per region, interface endpoint hour and tiered per-GB prices, inter-AZ and
// internet egress. Amounts are float64 dollars, rounded to cents (Cents) only in results.
//
// EstimateCost is the what-if of `flowlens cost --estimate`. The simple review's check, one NAT
// gateway processing 1,000 GB over 730 hours in us-east-1:
//
//	e, _ := cost.EstimateCost(cost.EstimateInput{NATGB: 1000, Hours: 730}, nil)
//	// e.NATTotal          77.85  = 0.045 × 730 + 1000 × 0.045
//	// e.EndpointHourOnly   7.30  = 0.01 × 730 (one endpoint, hours only)
//	// e.SavingVsHourOnly  70.55, e.SavingPercent 90.62
//	// e.GatewayEndpoint   cost 0,     saving 45.00 (the NAT processing charge; NAT hours remain)
//	// e.InterfaceEndpoint cost 17.30 (730 × 1 AZ × 0.01 + 1000 × 0.01), saving 27.70
//
// and e.Assumptions lists what those figures rest on (price table date and region, GB = 10^9 bytes,
// 730 hours = one month, what each alternative assumes).
package cost
