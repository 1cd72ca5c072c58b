// Package pricelist fetches current AWS prices from the AWS Price List API (GetProducts) and writes
// them as a flowlens pricing file (--pricing FILE, read by cost.LoadPrices). It is the library of
// `flowlens prices fetch`.
//
// Fetch sends four kinds of GetProducts queries, every filter a TERM_MATCH, and reads every page:
//
//	AmazonEC2        productFamily="NAT Gateway" [regionCode=R]    NAT gateway hour and per-GB, zonal and regional
//	AmazonVPC        productFamily="VpcEndpoint" regionCode=BASE   interface endpoint hour and per-GB tiers
//	AWSDataTransfer  transferType="IntraRegion" fromRegionCode=BASE   inter-AZ per GB
//	AWSDataTransfer  transferType="AWS Outbound" fromRegionCode=BASE toLocation="External"   internet egress
//
// where R is each region of Options.Regions (one query for all regions when it is empty) and BASE is
// the first of them, or us-east-1: the pricing file has one interface endpoint, inter-AZ and egress
// price for all regions.
//
// # Input
//
// Each PriceList entry of an answer is a JSON document in a string. This one, of us-east-2, is a
// zonal NAT gateway's hourly price:
//
//	{"product": {"productFamily": "NAT Gateway", "sku": "8XHDJSNR3SPA2V3A",
//	   "attributes": {"usagetype": "USE2-NatGateway-Hours", "regionCode": "us-east-2",
//	     "location": "US East (Ohio)", "group": "NGW:NatGateway", "operation": "NatGateway"}},
//	 "serviceCode": "AmazonEC2",
//	 "terms": {"OnDemand": {"8XHDJSNR3SPA2V3A.JRTCKXETXF": {"priceDimensions": {
//	   "8XHDJSNR3SPA2V3A.JRTCKXETXF.6YS6EN2CT7": {"unit": "Hrs", "beginRange": "0", "endRange": "Inf",
//	     "description": "$0.045 per NAT Gateway Hour", "pricePerUnit": {"USD": "0.0450000000"}}}}}}}
//
// The usage type names the price ("NatGateway-Hours", "NatGateway-Bytes", "RegionalNatGateway-Hours",
// "VpcEndpoint-Bytes", "DataTransfer-Regional-Bytes", "DataTransfer-Out-Bytes") behind a region
// prefix ("USE2-"), which us-east-1's lack; the region comes from the regionCode attribute. A tiered
// price has one price dimension per tier, beginRange and endRange in the unit (GB), the last ending
// at "Inf". Only OnDemand terms and USD prices are read.
//
// # Output
//
// With that entry, its NatGateway-Bytes sibling at 0.045 and the other queries' answers, File.Encode
// writes:
//
//	{
//	  "date": "2026-12-07",
//	  "source": "AWS Price List API (GetProducts), AmazonEC2 NAT Gateway, AmazonVPC VpcEndpoint, AWSDataTransfer; fetched 2026-12-07",
//	  "regions": {
//	    "us-east-2": {
//	      "nat_hour": 0.045,
//	      "nat_per_gb": 0.045
//	    }
//	  },
//	  "interface_endpoint_hour": 0.01,
//	  "interface_endpoint_tiers": [
//	    {"up_to_gb": 1000000, "per_gb": 0.01},
//	    {"up_to_gb": 5000000, "per_gb": 0.006},
//	    {"up_to_gb": 0, "per_gb": 0.004}
//	  ],
//	  "inter_az_per_gb": 0.01,
//	  "internet_egress_per_gb": 0.09
//	}
//
// (the tiers are one object a line here, one field a line in the file). The regions are those the
// Price List API prices, GovCloud's among them; the file says nothing of partitions, which follow
// from the region code. A region with a regional NAT gateway also gets "regional_nat_hour", the price per active AZ and hour; its
// per-GB price is the zonal one, and a RegionalNatGateway-Bytes price that differs from it is warned
// about. The inter-AZ price is per GB in one direction; the egress price is the first paid tier,
// after the free one.
//
// # What is left out
//
// A figure the API does not give is left out of the file, so the reader keeps its default. A region
// with only one of the zonal hour and per-GB prices is left out, since the reader requires both for a
// new region. An entry that cannot be read (not JSON, no USD price, tiers that do not run from 0 to
// Inf, a second, different price for the same region and usage type) is skipped, and a region asked
// for that the API does not price is left out. Each of these adds a line to File.Warnings, and
// File.Skipped counts the skipped entries: nothing is dropped silently.
package pricelist
