package nat

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/cost"
	"github.com/flowlens/flowlens/flowlog"
)

// The transfer section's group-bys.
const (
	aggTransferOut = "transfer_out"
	aggTransferTGW = "transfer_tgw"
)

var (
	fTGWAttachment, _ = flowlog.LookupField("tgw-attachment-id")
	fTGWSrcVPC, _     = flowlog.LookupField("tgw-src-vpc-id")
)

// The lines of the transfer section, and the CUR usage type each estimates (without the region
// prefix, USE1- and the like).
const (
	LineNATHours      = "nat_hours"
	LineNATBytes      = "nat_bytes"
	LineInterAZ       = "inter_az"
	LineInterRegion   = "inter_region"
	LineInternet      = "internet_egress"
	LineTransitGW     = "transit_gateway"
	LineNATPublicIPv4 = "nat_public_ipv4"
)

// TransferSpecs are the group-bys of the transfer section: the egress records by interface, its AZ
// and region, and far end; the transit gateway records by attachment and source VPC. withNAT says
// that Specs are in the run too (the AZ of each sending address is theirs); without, it is added.
func TransferSpecs(withNAT bool) []aggregate.Spec {
	specs := []aggregate.Spec{
		{Name: aggTransferOut, Keys: []aggregate.Key{{Field: flowlog.FInterfaceID}, {Field: fAZID}, {Field: fRegion}, {Field: flowlog.FDstAddr}},
			Measures: []aggregate.Measure{aggregate.Bytes}, Where: []aggregate.Cond{{Field: fFlowDirection, In: []string{"egress"}}}},
		{Name: aggTransferTGW, Keys: []aggregate.Key{{Field: fTGWAttachment}, {Field: fTGWSrcVPC}}, Measures: []aggregate.Measure{aggregate.Bytes}},
	}
	if !withNAT {
		specs = append(specs, aggregate.Spec{Name: aggAddrAZ, Keys: []aggregate.Key{{Field: flowlog.FSrcAddr}, {Field: fAZID}}, Measures: []aggregate.Measure{aggregate.Flows},
			Where: []aggregate.Cond{{Field: fFlowDirection, In: []string{"egress"}}}})
	}
	return specs
}

// TransferDoc is the transfer section: the data-transfer bill beside the NAT gateways', line by
// line, each with what it rests on. A line that cannot be computed says why (Missing) and has no
// quantity or cost; it never fails the review.
type TransferDoc struct {
	Region string         `json:"region"`
	Hours  float64        `json:"hours"`
	Lines  []TransferLine `json:"lines"`
	// Total adds the costs of the lines computed (null when none was); Complete says whether
	// every line was.
	Total    *float64 `json:"total_cost"`
	Complete bool     `json:"complete"`
	Notes    []string `json:"notes"`
	// CUR is what the Cost and Usage Report extract of --cur held and what was compared; each
	// line's Billed has its bill. Absent without --cur.
	CUR *CURDoc `json:"cur,omitempty"`
}

// TransferLine is one line of the bill.
type TransferLine struct {
	Kind string `json:"kind"`
	// UsageType is the CUR line_item_usage_type this line estimates, with the region's prefix
	// (USE1-DataTransfer-Regional-Bytes).
	UsageType string `json:"usage_type"`
	// Computed is false when the input cannot tell (Missing says why).
	Computed bool     `json:"computed"`
	Quantity *float64 `json:"quantity"`
	Unit     string   `json:"unit"` // GB, hours
	Cost     *float64 `json:"cost"`
	// Parts break the line down: AZ pairs, far regions, attachments, gateways.
	Parts      []TransferPart `json:"parts,omitempty"`
	Assumption string         `json:"assumption"`
	Missing    string         `json:"missing,omitempty"`
	// Billed is the bill of the line's usage types in the period (--cur); absent without it.
	Billed *BilledDoc `json:"billed,omitempty"`
}

// TransferPart is one part of a line.
type TransferPart struct {
	Name     string   `json:"name"`
	Quantity float64  `json:"quantity"`
	Cost     *float64 `json:"cost"`
}

// regionCodes are the usage-type prefixes of the regions (USE1-), as the CUR writes them.
var regionCodes = map[string]string{
	"us-east-1": "USE1", "us-east-2": "USE2", "us-west-1": "USW1", "us-west-2": "USW2", "ca-central-1": "CAN1", "ca-west-1": "CAW1",
	"eu-west-1": "EU", "eu-west-2": "EUW2", "eu-west-3": "EUW3", "eu-central-1": "EUC1", "eu-central-2": "EUC2", "eu-north-1": "EUN1",
	"eu-south-1": "EUS1", "eu-south-2": "EUS2", "ap-northeast-1": "APN1", "ap-northeast-2": "APN2", "ap-northeast-3": "APN3",
	"ap-southeast-1": "APS1", "ap-southeast-2": "APS2", "ap-southeast-3": "APS4", "ap-southeast-4": "APS6", "ap-south-1": "APS3",
	"ap-south-2": "APS5", "ap-east-1": "APE1", "sa-east-1": "SAE1", "me-south-1": "MES1", "me-central-1": "MEC1", "af-south-1": "AFS1",
	"il-central-1": "ILC1", "mx-central-1": "MXC1",
}

// RegionCode is the usage-type prefix of a region ("USE1"), or the region itself when unknown.
func RegionCode(region string) string {
	if c, ok := regionCodes[region]; ok {
		return c
	}
	return region
}

// isPrivate reports whether a is an address no internet or AWS public range holds: RFC 1918,
// carrier-grade NAT, link-local, IPv6 unique-local and link-local.
func isPrivate(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLoopback() || netip.MustParsePrefix("100.64.0.0/10").Contains(a)
}

// BuildTransfer reads the transfer group-bys (TransferSpecs) into the transfer section of span,
// beside the NAT review r (its gateways, region and prices; nil when the NAT review was not made).
func BuildTransfer(res *aggregate.Result, opts Config, span Span, r *Review) *TransferDoc {
	if opts.Prices == nil {
		opts.Prices = cost.DefaultPrices()
	}
	if opts.Ranges == nil {
		opts.Ranges = cost.DefaultRanges()
	}
	p := opts.Prices
	region := opts.Region
	if r != nil {
		region = r.Assumptions.Region
	}
	zones := mostFrequent(res.Table(aggENIZone))
	if region == "" {
		for _, z := range zones {
			if z.region != "" {
				region = z.region
				break
			}
		}
	}
	var notes []string
	if region == "" {
		region = cost.DefaultRegion
		notes = append(notes, "the region is unknown (no --region, no region field): "+cost.DefaultRegion+" assumed")
	}
	code := RegionCode(region)
	hours := span.Hours()
	months := hours / monthHours
	d := &TransferDoc{Region: region, Hours: hours, Complete: true}
	money := func(x float64) *float64 { return ptr(cost.Cents(x)) }
	natIfaces := map[string]bool{}
	if r != nil {
		for _, g := range r.NATGateways {
			natIfaces[g.InterfaceID] = true
		}
	}

	// NAT gateway hours and bytes: the review's own figures, for the bill's NatGateway lines.
	natHours := TransferLine{Kind: LineNATHours, UsageType: code + "-NatGateway-Hours", Unit: "hours",
		Assumption: "the NAT review's gateway-hours (started hours of each gateway interface) at its hourly price"}
	natBytes := TransferLine{Kind: LineNATBytes, UsageType: code + "-NatGateway-Bytes", Unit: "GB",
		Assumption: "the NAT review's processed GB (its translated records, once per direction) at its per-GB price"}
	switch {
	case r == nil:
		why := "no NAT review (--no-nat, or no NAT gateway given or found in the records)"
		natHours.Missing, natBytes.Missing = why, why
	case r.Status == StatusNoGateways:
		natHours.Missing, natBytes.Missing = "the NAT gateways cannot be known (see the NAT review)", "the NAT gateways cannot be known (see the NAT review)"
	default:
		var h, gb float64
		var hc, bc []*float64
		for _, g := range r.NATGateways {
			h += g.Hours
			gb += g.ProcessedGB
			hc = append(hc, g.NATHourlyCost)
			bc = append(bc, g.NATProcessingCost)
			natHours.Parts = append(natHours.Parts, TransferPart{Name: g.Title(), Quantity: g.Hours, Cost: g.NATHourlyCost})
			natBytes.Parts = append(natBytes.Parts, TransferPart{Name: g.Title(), Quantity: g.ProcessedGB, Cost: g.NATProcessingCost})
		}
		natHours.Quantity, natBytes.Quantity = ptr(h), ptr(round3(gb))
		natHours.Cost, natBytes.Cost = sum(hc...), sum(bc...)
		if natHours.Cost == nil {
			natHours.Missing = "no NAT gateway prices for " + region + " (see the NAT review)"
			natBytes.Missing = natHours.Missing
		}
		natHours.Computed, natBytes.Computed = natHours.Cost != nil, natBytes.Cost != nil
	}

	// The egress records: each byte counted once, on the interface that sent it.
	interAZ := TransferLine{Kind: LineInterAZ, UsageType: code + "-DataTransfer-Regional-Bytes", Unit: "GB",
		Assumption: fmt.Sprintf("bytes sent (egress records) between addresses in different AZs of the region, each AZ the az-id of the sending interface and of the receiver (its inventory entry, else the az-id its own egress records carry); billed out of one AZ and again into the other, so the quantity is twice the GB that crossed, at $%g/GB", p.InterAZPerGB)}
	interRegion := TransferLine{Kind: LineInterRegion, UsageType: code + "-*-AWS-Out-Bytes", Unit: "GB",
		Assumption: "bytes sent (egress records) to public addresses AWS lists for another region (ip-ranges.json), at the table's rate of each pair (inter_region_pairs, else inter_region_per_gb)"}
	internet := TransferLine{Kind: LineInternet, UsageType: code + "-DataTransfer-Out-Bytes", Unit: "GB",
		Assumption: "bytes sent (egress records) to addresses outside AWS's ranges and outside private ranges, counted on the workloads' interfaces (a NAT gateway's own records are left out: the workloads behind it log the same bytes); the monthly free GB and tier limits prorated to the hours covered"}
	hasDir := res.Seen(fFlowDirection)
	hasAZ := res.Seen(fAZID) || opts.AZ != nil
	if !hasDir {
		why := "the input has no flow-direction field (version 5 and up): the sending side of each byte cannot be told, so no byte can be counted once"
		interAZ.Missing, interRegion.Missing, internet.Missing = why, why, why
	} else {
		addrAZ := addrZones(res.Table(aggAddrAZ))
		azOf := func(a netip.Addr) string {
			if opts.AZ != nil {
				if z := opts.AZ(a); z != "" {
					return z
				}
			}
			return addrAZ[a.Unmap()]
		}
		pairs := map[[2]string]int64{}
		regions := map[string]int64{}
		var internetB, unknownAZ, crossB int64
		if t := res.Table(aggTransferOut); t != nil {
			cIf, cAZ, cRegion, cDst := t.Col(flowlog.FInterfaceID), t.Col(fAZID), t.Col(fRegion), t.Col(flowlog.FDstAddr)
			for _, g := range t.Groups() {
				dk := t.Key(g, cDst)
				if dk.Null {
					continue
				}
				dst := dk.IP().Unmap()
				b := t.Value(g, aggregate.Bytes)
				iface := str(t.Key(g, cIf))
				if isPrivate(dst) || opts.AZ != nil && opts.AZ(dst) != "" {
					src := str(t.Key(g, cAZ))
					if src == "" {
						src = zones[iface].az
					}
					to := azOf(dst)
					switch {
					case src == "" || to == "":
						unknownAZ += b
					case src != to:
						pairs[[2]string{src, to}] += b
						crossB += b
					}
					continue
				}
				if natIfaces[iface] {
					continue
				}
				far := opts.Ranges.Region(dst)
				if far == "" {
					internetB += b
					continue
				}
				from := str(t.Key(g, cRegion))
				if from == "" {
					from = region
				}
				if far != "GLOBAL" && far != from {
					regions[from+">"+far] += b
				}
			}
		}
		if !hasAZ {
			interAZ.Missing = "no az-id anywhere: the input has no az-id field (version 4 and up) and no inventory (--enrich) gives the AZs"
		} else {
			gbX := 2 * gb(crossB)
			interAZ.Computed, interAZ.Quantity, interAZ.Cost = true, ptr(gbX), money(gbX*p.InterAZPerGB)
			keys := make([][2]string, 0, len(pairs))
			for k := range pairs {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(i, j int) bool {
				return keys[i][0] < keys[j][0] || keys[i][0] == keys[j][0] && keys[i][1] < keys[j][1]
			})
			for _, k := range keys {
				q := 2 * gb(pairs[k])
				interAZ.Parts = append(interAZ.Parts, TransferPart{Name: k[0] + " → " + k[1], Quantity: q, Cost: money(q * p.InterAZPerGB)})
			}
			if unknownAZ > 0 {
				interAZ.Assumption += fmt.Sprintf("; %.3f GB to private addresses whose AZ is unknown (not in the inventory, no egress records of their own) are not counted", gb(unknownAZ))
			}
		}
		var regionCost float64
		unpriced := false
		keys := make([]string, 0, len(regions))
		for k := range regions {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var regionGB float64
		for _, k := range keys {
			from, to, _ := strings.Cut(k, ">")
			q := gb(regions[k])
			regionGB += q
			part := TransferPart{Name: RegionCode(from) + "-" + RegionCode(to) + "-AWS-Out-Bytes (" + from + " to " + to + ")", Quantity: q}
			if rate, ok := p.InterRegion(from, to); ok {
				part.Cost = money(q * rate)
				regionCost += *part.Cost
			} else {
				unpriced = true
			}
			interRegion.Parts = append(interRegion.Parts, part)
		}
		interRegion.Quantity = ptr(round3(regionGB))
		if unpriced {
			interRegion.Missing = "the price table has no inter-region rate (inter_region_per_gb) for some pairs"
		} else {
			interRegion.Computed, interRegion.Cost = true, money(regionCost)
		}
		q := gb(internetB)
		internet.Quantity = ptr(q)
		if p.InternetEgressPerGB == 0 && len(p.InternetEgressTiers) == 0 {
			internet.Missing = "the price table has no internet egress price"
		} else {
			c, free := p.InternetEgressCost(q, months)
			internet.Computed, internet.Cost = true, money(c)
			internet.Assumption += fmt.Sprintf(" (%.3f GB free for %.0f hours: %g GB a month; AWS counts the free GB over all the account's regions, so this is the most it can be)", free, hours, p.InternetEgressFreeGB)
		}
	}

	// Transit gateway data processing: per GB sent into the gateway by an attachment.
	tgw := TransferLine{Kind: LineTransitGW, UsageType: code + "-TransitGateway-Bytes", Unit: "GB"}
	if !res.Seen(fTGWAttachment) {
		tgw.Missing = "no transit gateway flow logs in the input (tgw-attachment-id, version 6): its processing cannot be measured here"
		tgw.Assumption = "transit gateway flow logs, per attachment"
	} else {
		byAtt := map[string]int64{}
		var halved bool
		if t := res.Table(aggTransferTGW); t != nil {
			cAtt, cSrc := t.Col(fTGWAttachment), t.Col(fTGWSrcVPC)
			for _, g := range t.Groups() {
				att := str(t.Key(g, cAtt))
				if att == "" {
					continue
				}
				b := t.Value(g, aggregate.Bytes)
				if vpc, ok := opts.AttachmentVPC[att]; ok {
					if vpc == str(t.Key(g, cSrc)) {
						byAtt[att] += b
					}
					continue
				}
				byAtt[att] += b / 2
				halved = true
			}
		}
		var total float64
		atts := make([]string, 0, len(byAtt))
		for a := range byAtt {
			atts = append(atts, a)
		}
		sort.Strings(atts)
		for _, a := range atts {
			q := gb(byAtt[a])
			total += q
			tgw.Parts = append(tgw.Parts, TransferPart{Name: a, Quantity: q, Cost: money(q * p.TransitGatewayPerGB)})
		}
		tgw.Quantity = ptr(round3(total))
		tgw.Assumption = fmt.Sprintf("bytes each attachment sent into the transit gateway (records of an attachment whose tgw-src-vpc-id is the attachment's VPC, from the inventory), $%g/GB per hop", p.TransitGatewayPerGB)
		if halved {
			tgw.Assumption += "; attachments not in an inventory: half the bytes of their records, as a flow is logged at the attachment it enters by and the one it leaves by"
		}
		if p.TransitGatewayPerGB == 0 {
			tgw.Missing = "the price table has no transit_gateway_per_gb"
		} else {
			tgw.Computed, tgw.Cost = true, money(total*p.TransitGatewayPerGB)
		}
	}

	// The public IPv4 addresses of the NAT gateways, per hour.
	ipv4 := TransferLine{Kind: LineNATPublicIPv4, UsageType: code + "-PublicIPv4:InUseAddress", Unit: "hours"}
	switch {
	case r == nil || r.Status == StatusNoGateways:
		ipv4.Missing = "the NAT gateways are not known"
	case p.PublicIPv4Hour == 0:
		ipv4.Missing = "the price table has no public_ipv4_hour"
	default:
		var addrHours float64
		assumed := 0
		for _, g := range r.NATGateways {
			n, ok := opts.PublicIPs[g.InterfaceID]
			if !ok {
				n, assumed = 1, assumed+1
			}
			ah := float64(n) * g.Hours
			addrHours += ah
			ipv4.Parts = append(ipv4.Parts, TransferPart{Name: fmt.Sprintf("%s: %d address(es)", g.Title(), n), Quantity: ah, Cost: money(ah * p.PublicIPv4Hour)})
		}
		ipv4.Computed, ipv4.Quantity, ipv4.Cost = true, ptr(addrHours), money(addrHours*p.PublicIPv4Hour)
		ipv4.Assumption = fmt.Sprintf("each public IPv4 address of a NAT gateway for the gateway's hours, $%g/hour", p.PublicIPv4Hour)
		if assumed > 0 {
			ipv4.Assumption += fmt.Sprintf("; %d gateway(s) not in an inventory taken to have one address (a private NAT gateway has none)", assumed)
		}
	}

	d.Lines = []TransferLine{natHours, natBytes, interAZ, interRegion, internet, tgw, ipv4}
	// A region the table does not price: quantities, no costs (its transfer prices may differ
	// from the table's, which are those of the regions it prices).
	if _, err := p.Region(region); err != nil {
		for i := range d.Lines {
			l := &d.Lines[i]
			if l.Computed {
				l.Computed, l.Cost, l.Missing = false, nil, err.Error()
				for j := range l.Parts {
					l.Parts[j].Cost = nil
				}
			}
		}
	}
	var total float64
	for _, l := range d.Lines {
		if l.Computed && l.Cost != nil {
			total += *l.Cost
			d.Total = ptr(0)
		} else {
			d.Complete = false
		}
	}
	if d.Total != nil {
		d.Total = ptr(cost.Cents(total))
	}
	notes = append(notes,
		"GB = 10^9 bytes, as AWS bills; each figure is for the hours covered, rounded to the cent, and the total adds the lines computed",
		fmt.Sprintf("prices: table of %s (%s)", p.Date, p.Source),
		"bytes sent are counted on the sending interface only (flow-direction egress), so a byte logged at both ends counts once; traffic from interfaces without flow logs is not seen",
		"same-region traffic to AWS's public addresses, VPC peering within an AZ and traffic to on-premises networks are not priced here")
	d.Notes = notes
	if opts.CUR != nil {
		d.reconcile(opts.CUR, span)
	}
	return d
}
