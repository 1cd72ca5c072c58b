package nat

import (
	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
)

// The group-bys of a cost review (and of the report's nat section).
const (
	aggNAT      = "nat"
	aggNATPlain = "nat_plain"
	aggENIZone  = "eni_zone"
	aggAddrAZ   = "addr_az"
	aggSpan     = "span"
)

var (
	fRegion, _        = flowlog.LookupField("region")
	fAZID, _          = flowlog.LookupField("az-id")
	fSubnetID, _      = flowlog.LookupField("subnet-id")
	fFlowDirection, _ = flowlog.LookupField("flow-direction")
)

// Specs returns the group-bys a NAT cost review needs: the translated records (translated records by interface and addresses),
// each interface's region and AZ, and the AZ of each address that sends egress records (to
// find cross-AZ traffic; it needs the az-id and flow-direction fields).
// With gateways given, also the plain records of their interfaces by address pair: what the review
// reads when the input has no pkt-srcaddr and pkt-dstaddr fields.
func Specs(given []GatewayInfo) []aggregate.Spec {
	specs := []aggregate.Spec{
		translatedSpec(),
		{Name: aggENIZone, Keys: []aggregate.Key{{Field: flowlog.FInterfaceID}, {Field: fRegion}, {Field: fAZID}},
			Measures: []aggregate.Measure{aggregate.Flows}},
		// A workload's AZ: that of the interface its egress records leave from (the NAT gateway's
		// interface logs the workload's address too, but on ingress).
		{Name: aggAddrAZ, Keys: []aggregate.Key{{Field: flowlog.FSrcAddr}, {Field: fAZID}}, Measures: []aggregate.Measure{aggregate.Flows},
			Where: []aggregate.Cond{{Field: fFlowDirection, In: []string{"egress"}}}},
	}
	if len(given) > 0 {
		var ids []string
		for _, g := range given {
			ids = append(ids, g.InterfaceID)
		}
		specs = append(specs, aggregate.Spec{Name: aggNATPlain,
			Keys:     []aggregate.Key{{Field: flowlog.FInterfaceID}, {Field: flowlog.FSrcAddr}, {Field: flowlog.FDstAddr}},
			Measures: []aggregate.Measure{aggregate.Bytes, aggregate.Packets, aggregate.Flows},
			Where:    []aggregate.Cond{{Field: flowlog.FInterfaceID, In: ids}}})
	}
	return specs
}

// StandaloneSpecs is Specs plus the time span of the input (SpanOf), for a review on its own; the
// standard report takes the span from its own totals instead.
func StandaloneSpecs(given []GatewayInfo) []aggregate.Spec {
	return append(Specs(given), aggregate.Spec{Name: aggSpan, Measures: []aggregate.Measure{aggregate.MinStart, aggregate.Flows},
		Aggs: []aggregate.Agg{{Op: aggregate.AggMax, Field: flowlog.FStart}}})
}
