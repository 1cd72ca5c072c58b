package query

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/netip"
	"sort"
	"strings"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/cost"
	"github.com/flowlens/flowlens/flowlog"
)

// The group-bys of a cost review (and of the report's nat section).
const (
	aggNAT      = "nat"
	aggNATPlain = "nat_plain"
	aggENIZone  = "eni_zone"
	aggAddrAZ   = "addr_az"
)

var (
	fRegion, _        = flowlog.LookupField("region")
	fAZID, _          = flowlog.LookupField("az-id")
	fSubnetID, _      = flowlog.LookupField("subnet-id")
	fFlowDirection, _ = flowlog.LookupField("flow-direction")
)

// NATSpecs returns the group-bys a NAT cost review needs: the translated records (aggregate.NATSpec),
// each interface's region and AZ, and the AZ of each address that sends egress records (to
// find cross-AZ traffic; it needs the az-id and flow-direction fields).
// With gateways given, also the plain records of their interfaces by address pair: what the review
// reads when the input has no pkt-srcaddr and pkt-dstaddr fields.
func NATSpecs(given []NATGatewayInfo) []aggregate.Spec {
	specs := []aggregate.Spec{
		aggregate.NATSpec(aggNAT),
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

// CostSpecs is NATSpecs plus the time span of the input.
func CostSpecs(given []NATGatewayInfo) []aggregate.Spec {
	return append(NATSpecs(given), aggregate.Spec{Name: "span", Measures: []aggregate.Measure{aggregate.MinStart, aggregate.MaxEnd, aggregate.Flows}})
}

// plainNATGateways reads the given gateways' plain records (no pkt-* fields). The gateway's own
// addresses are those given, or else the address its records show most. A record it received
// (destination: the gateway) counts once: from a private source it is an upload from that workload,
// from a public one a download from that far end. The records it sent name the other side: to a
// public address the far end of an upload, to a private one the workload of a download. So the bytes,
// the workloads and the far ends are all known; which workload talked to which far end is not.
func plainNATGateways(t *aggregate.Table, given []NATGatewayInfo) []*aggregate.NATGateway {
	if t == nil {
		return nil
	}
	type rec struct {
		src, dst       netip.Addr
		bytes, packets int64
		flows          int64
	}
	byENI := map[string][]rec{}
	for _, g := range t.Groups() {
		id, src, dst := t.Key(g, 0), t.Key(g, 1), t.Key(g, 2)
		if id.Null || src.Null || dst.Null {
			continue
		}
		byENI[id.Str] = append(byENI[id.Str], rec{src.IP(), dst.IP(), t.Value(g, aggregate.Bytes), t.Value(g, aggregate.Packets), t.Value(g, aggregate.Flows)})
	}
	var out []*aggregate.NATGateway
	for _, info := range given {
		recs := byENI[info.InterfaceID]
		if len(recs) == 0 {
			continue
		}
		own := map[netip.Addr]bool{}
		for _, ip := range info.PrivateIPs {
			if a, err := netip.ParseAddr(ip); err == nil {
				own[a] = true
			}
		}
		if len(own) == 0 {
			seen := map[netip.Addr]int64{}
			for _, r := range recs {
				seen[r.src] += r.flows
				seen[r.dst] += r.flows
			}
			var best netip.Addr
			for a, n := range seen {
				if !best.IsValid() || n > seen[best] || (n == seen[best] && a.Less(best)) {
					best = a
				}
			}
			own[best] = true
		}
		gw := &aggregate.NATGateway{InterfaceID: info.InterfaceID}
		for a := range own {
			gw.Addrs = append(gw.Addrs, a)
		}
		sort.Slice(gw.Addrs, func(i, j int) bool { return gw.Addrs[i].Less(gw.Addrs[j]) })
		for _, r := range recs {
			f := aggregate.NATFlow{Bytes: r.bytes, Packets: r.packets, Flows: r.flows}
			switch {
			case own[r.dst] && r.src.IsPrivate():
				f.NATAddr, f.Workload, f.Upload = r.dst, r.src, true
				gw.BytesInFromSource += r.bytes
			case own[r.dst]:
				f.NATAddr, f.FarEnd = r.dst, r.src
				gw.BytesInFromDestination += r.bytes
			case own[r.src] && r.dst.IsPrivate():
				f.NATAddr, f.Workload = r.src, r.dst
			case own[r.src]:
				f.NATAddr, f.FarEnd, f.Upload = r.src, r.dst, true
			default:
				continue
			}
			gw.Flows = append(gw.Flows, f)
		}
		out = append(out, gw)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].InterfaceID < out[j].InterfaceID })
	return out
}

// NATGatewayInfo is what the user says of a NAT gateway (--nat, --nat-gateways).
type NATGatewayInfo struct {
	InterfaceID string
	GatewayID   string
	SubnetID    string
	AZ          string
	PrivateIPs  []string
}

// ParseDescribeNATGateways reads the JSON that `aws ec2 describe-nat-gateways` prints: one entry
// per gateway interface, with its private addresses and subnet (and AZ where present).
func ParseDescribeNATGateways(r io.Reader) ([]NATGatewayInfo, error) {
	var doc struct {
		NatGateways []struct {
			NatGatewayId        string
			SubnetId            string
			AvailabilityZone    string
			NatGatewayAddresses []struct {
				NetworkInterfaceId string
				PrivateIp          string
			}
		}
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("not the JSON of aws ec2 describe-nat-gateways: %w", err)
	}
	byENI := map[string]*NATGatewayInfo{}
	var out []NATGatewayInfo
	var order []string
	for _, g := range doc.NatGateways {
		for _, a := range g.NatGatewayAddresses {
			if a.NetworkInterfaceId == "" {
				continue
			}
			n := byENI[a.NetworkInterfaceId]
			if n == nil {
				n = &NATGatewayInfo{InterfaceID: a.NetworkInterfaceId, GatewayID: g.NatGatewayId, SubnetID: g.SubnetId, AZ: g.AvailabilityZone}
				byENI[a.NetworkInterfaceId] = n
				order = append(order, a.NetworkInterfaceId)
			}
			if a.PrivateIp != "" {
				n.PrivateIPs = append(n.PrivateIPs, a.PrivateIp)
			}
		}
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("no NAT gateway interface (NatGateways[].NatGatewayAddresses[].NetworkInterfaceId) in the file")
	}
	for _, id := range order {
		out = append(out, *byENI[id])
	}
	return out, nil
}

// CostOptions shape a cost review.
type CostOptions struct {
	Gateways []NATGatewayInfo // given by the user; none: detected from the records (and marked guessed)
	Region   string           // the NAT gateways' region; empty: from the records' region field
	Prices   *cost.Prices
	Ranges   *cost.Ranges
	Top      int
	// FirstStart and LastEnd bound the time the input covers (Unix s), for the NAT hours.
	FirstStart, LastEnd int64
	// HasPktFields says whether the input had pkt-srcaddr and pkt-dstaddr.
	HasPktFields bool
}

// CostReview is the JSON contract of `flowlens cost` (and of the report's nat section).
type CostReview struct {
	NATGateways     []NATGatewayDoc     `json:"nat_gateways"`
	Total           NATTotalDoc         `json:"total"`
	Recommendations []RecommendationDoc `json:"recommendations"`
	Assumptions     AssumptionsDoc      `json:"assumptions"`
}

// NATGatewayDoc is one NAT gateway interface.
type NATGatewayDoc struct {
	InterfaceID            string             `json:"interface_id"`
	GatewayID              string             `json:"gateway_id,omitempty"`
	Guessed                bool               `json:"guessed"`
	Addresses              []string           `json:"addresses"`
	Region                 string             `json:"region"`
	AZ                     string             `json:"az_id,omitempty"`
	Hours                  float64            `json:"hours"`
	BytesInFromSource      int64              `json:"bytes_in_from_source"`
	BytesInFromDestination int64              `json:"bytes_in_from_destination"`
	ProcessedGB            float64            `json:"processed_gb"`
	NATHourlyCost          float64            `json:"nat_hourly_cost"`
	NATProcessingCost      float64            `json:"nat_processing_cost"`
	NATCost                float64            `json:"nat_cost"`
	MonthlyProjection      ProjectionDoc      `json:"monthly_projection"`
	ByClass                map[string]float64 `json:"by_class"`
	CrossAZGB              float64            `json:"cross_az_gb"`
	CrossAZCost            float64            `json:"cross_az_cost"` // inter-AZ transfer charged for it in the period
	TopSources             []NATEndDoc        `json:"top_sources"`
	TopDestinations        []NATEndDoc        `json:"top_destinations"`
}

// ProjectionDoc is a cost scaled to a 730-hour month: a projection, labelled as one.
type ProjectionDoc struct {
	Label             string  `json:"label"`
	NATHourlyCost     float64 `json:"nat_hourly_cost"`
	NATProcessingCost float64 `json:"nat_processing_cost"`
	NATCost           float64 `json:"nat_cost"`
}

// NATEndDoc is a workload (source) or far end (destination) of NAT traffic.
type NATEndDoc struct {
	Address       string `json:"address"`
	Class         string `json:"class,omitempty"`
	Service       string `json:"service,omitempty"`
	AZ            string `json:"az_id,omitempty"`
	Bytes         int64  `json:"bytes"`
	UploadBytes   int64  `json:"upload_bytes"`
	DownloadBytes int64  `json:"download_bytes"`
}

// NATTotalDoc sums the gateways.
type NATTotalDoc struct {
	ProcessedGB       float64            `json:"processed_gb"`
	NATCost           float64            `json:"nat_cost"`
	MonthlyNATCost    float64            `json:"monthly_nat_cost_projected"`
	ByClass           map[string]float64 `json:"by_class"`
	MonthlySavingsUSD float64            `json:"monthly_savings_usd"`
}

// RecommendationDoc is one change with its saving.
type RecommendationDoc struct {
	Kind             string  `json:"kind"` // gateway_endpoint | interface_endpoint | same_az_nat
	Service          string  `json:"service"`
	InterfaceID      string  `json:"interface_id,omitempty"`
	MonthlyGB        float64 `json:"monthly_gb"`
	MonthlyCostUSD   float64 `json:"monthly_cost_usd"`
	MonthlySavingUSD float64 `json:"monthly_saving_usd"`
	Why              string  `json:"why"`
}

// AssumptionsDoc is what the numbers rest on.
type AssumptionsDoc struct {
	PriceTableDate string   `json:"price_table_date"`
	PriceSource    string   `json:"price_source"`
	Region         string   `json:"region"`
	GB             string   `json:"gb"`
	IPRangesDate   string   `json:"ip_ranges_date"`
	HoursCovered   float64  `json:"hours_covered"`
	MonthHours     float64  `json:"month_hours"`
	Notes          []string `json:"notes"`
}

const monthHours = 730

// BuildCostReview reads the NAT group-bys of a result into a cost review.
func BuildCostReview(res *aggregate.Result, opts CostOptions) (*CostReview, error) {
	if opts.Prices == nil {
		opts.Prices = cost.DefaultPrices()
	}
	if opts.Ranges == nil {
		opts.Ranges = cost.DefaultRanges()
	}
	top := opts.Top
	if top <= 0 {
		top = 20
	}
	var notes []string
	given := map[string]NATGatewayInfo{}
	var only map[string]bool
	if len(opts.Gateways) > 0 {
		only = map[string]bool{}
		for _, g := range opts.Gateways {
			only[g.InterfaceID] = true
			given[g.InterfaceID] = g
		}
	}
	gws := aggregate.NATGateways(res.Table(aggNAT), only)
	if !opts.HasPktFields {
		if len(opts.Gateways) > 0 {
			gws = plainNATGateways(res.Table(aggNATPlain), opts.Gateways)
			notes = append(notes, "the input has no pkt-srcaddr/pkt-dstaddr fields: the gateways' records were split by their own addresses (given, or the address their records show most); workloads and far ends are known, but not which talked to which")
		} else {
			notes = append(notes, "the input has no pkt-srcaddr/pkt-dstaddr fields: NAT gateways cannot be detected; give them with --nat or --nat-gateways, or log a custom format with pkt-srcaddr and pkt-dstaddr (version 3 or later)")
		}
	}
	if len(opts.Gateways) == 0 && len(gws) > 0 {
		notes = append(notes, "NAT gateways were not given (--nat, --nat-gateways): the interfaces that log translated addresses were taken for NAT gateways (guessed: true)")
	}

	// Interfaces' region, AZ and subnet: the most frequent values.
	zones := mostFrequent(res.Table(aggENIZone))
	addrAZ := addrZones(res.Table(aggAddrAZ))
	region := opts.Region
	if region == "" {
		for _, g := range gws {
			if z, ok := zones[g.InterfaceID]; ok && z.region != "" {
				region = z.region
				break
			}
		}
	}
	if region == "" {
		region = "us-east-1"
		notes = append(notes, "the region is unknown (no --region, no region field): us-east-1 prices and S3/DynamoDB ranges were assumed")
	}
	rp, err := opts.Prices.Region(region)
	if err != nil {
		return nil, err
	}
	hours := 0.0
	if opts.LastEnd > opts.FirstStart && opts.FirstStart > 0 {
		hours = math.Ceil(float64(opts.LastEnd-opts.FirstStart) / 3600) // billed per started hour
	}
	factor := 0.0
	if hours > 0 {
		factor = monthHours / hours
	}
	r := &CostReview{NATGateways: []NATGatewayDoc{}, Recommendations: []RecommendationDoc{},
		Total: NATTotalDoc{ByClass: map[string]float64{"s3": 0, "dynamodb": 0, "aws_other": 0, "internet": 0}}}
	classBytes := map[cost.Class]int64{}
	natAZs := map[string]bool{}
	for _, g := range gws {
		info := given[g.InterfaceID]
		// The records' az-id comes first: the workloads' AZs are az-ids too (describe-nat-gateways
		// gives AZ names, which differ between accounts).
		az := zones[g.InterfaceID].az
		if az == "" {
			az = info.AZ
		}
		d := NATGatewayDoc{InterfaceID: g.InterfaceID, GatewayID: info.GatewayID, Guessed: len(opts.Gateways) == 0,
			Region: region, AZ: az, Hours: hours, BytesInFromSource: g.BytesInFromSource, BytesInFromDestination: g.BytesInFromDestination,
			ByClass: map[string]float64{"s3": 0, "dynamodb": 0, "aws_other": 0, "internet": 0}, TopSources: []NATEndDoc{}, TopDestinations: []NATEndDoc{}}
		if d.AZ != "" {
			natAZs[d.AZ] = true
		}
		for _, a := range g.Addrs {
			d.Addresses = append(d.Addresses, a.String())
		}
		d.ProcessedGB = gb(g.ProcessedBytes())
		d.NATHourlyCost = cost.Cents(hours * rp.NATHour)
		d.NATProcessingCost = cost.Cents(d.ProcessedGB * rp.NATPerGB)
		d.NATCost = cost.Cents(d.NATHourlyCost + d.NATProcessingCost)
		d.MonthlyProjection = ProjectionDoc{Label: fmt.Sprintf("projection: the %.0f hours covered scaled to a %d-hour month", hours, monthHours),
			NATHourlyCost: cost.Cents(monthHours * rp.NATHour), NATProcessingCost: cost.Cents(d.ProcessedGB * factor * rp.NATPerGB)}
		d.MonthlyProjection.NATCost = cost.Cents(d.MonthlyProjection.NATHourlyCost + d.MonthlyProjection.NATProcessingCost)

		srcs := map[netip.Addr]*NATEndDoc{}
		dsts := map[netip.Addr]*NATEndDoc{}
		var crossAZ int64
		gwClass := map[cost.Class]int64{}
		for _, f := range g.Flows {
			// Without pkt-* fields a flow knows one side only (plainNATGateways).
			var ends []*NATEndDoc
			if f.FarEnd.IsValid() {
				cls, svc := opts.Ranges.Classify(f.FarEnd, region)
				gwClass[cls] += f.Bytes
				t := dsts[f.FarEnd]
				if t == nil {
					t = &NATEndDoc{Address: f.FarEnd.String(), Class: string(cls), Service: svc}
					dsts[f.FarEnd] = t
				}
				ends = append(ends, t)
			}
			if f.Workload.IsValid() {
				s := srcs[f.Workload]
				if s == nil {
					s = &NATEndDoc{Address: f.Workload.String(), AZ: addrAZ[f.Workload]}
					srcs[f.Workload] = s
				}
				ends = append(ends, s)
				if d.AZ != "" && s.AZ != "" && s.AZ != d.AZ {
					crossAZ += f.Bytes
				}
			}
			for _, e := range ends {
				e.Bytes += f.Bytes
				if f.Upload {
					e.UploadBytes += f.Bytes
				} else {
					e.DownloadBytes += f.Bytes
				}
			}
		}
		for c, b := range gwClass {
			d.ByClass[string(c)] = gb(b)
			classBytes[c] += b
		}
		d.CrossAZGB = gb(crossAZ)
		d.CrossAZCost = cost.Cents(d.CrossAZGB * opts.Prices.InterAZPerGB)
		d.TopSources = topEnds(srcs, top)
		d.TopDestinations = topEnds(dsts, top)
		if crossAZ > 0 {
			monthlyGB := gb(crossAZ) * factor
			extraNAT := monthHours * rp.NATHour
			charge := monthlyGB * opts.Prices.InterAZPerGB
			if charge > extraNAT {
				r.Recommendations = append(r.Recommendations, RecommendationDoc{Kind: "same_az_nat", Service: "nat", InterfaceID: g.InterfaceID,
					MonthlyGB: round3(monthlyGB), MonthlyCostUSD: cost.Cents(extraNAT), MonthlySavingUSD: cost.Cents(charge - extraNAT),
					Why: fmt.Sprintf("%.3f GB a month reach this NAT gateway from other AZs at $%.3f/GB; a NAT gateway in each of their AZs costs $%.2f a month more in hours", monthlyGB, opts.Prices.InterAZPerGB, extraNAT)})
			}
		}
		r.Total.ProcessedGB += d.ProcessedGB
		r.Total.NATCost += d.NATCost
		r.Total.MonthlyNATCost += d.MonthlyProjection.NATCost
		r.NATGateways = append(r.NATGateways, d)
	}
	for c, b := range classBytes {
		r.Total.ByClass[string(c)] = gb(b)
	}
	r.Total.ProcessedGB = round3(r.Total.ProcessedGB)
	r.Total.NATCost = cost.Cents(r.Total.NATCost)
	r.Total.MonthlyNATCost = cost.Cents(r.Total.MonthlyNATCost)

	// Gateway endpoints: free, they take S3 and DynamoDB traffic of the region off the NAT.
	for _, c := range []struct {
		class         cost.Class
		service, name string
	}{{cost.ClassS3, "s3", "S3"}, {cost.ClassDynamoDB, "dynamodb", "DynamoDB"}} {
		if b := classBytes[c.class]; b > 0 && factor > 0 {
			monthlyGB := gb(b) * factor
			r.Recommendations = append(r.Recommendations, RecommendationDoc{Kind: "gateway_endpoint", Service: c.service,
				MonthlyGB: round3(monthlyGB), MonthlyCostUSD: 0, MonthlySavingUSD: cost.Cents(monthlyGB * rp.NATPerGB),
				Why: fmt.Sprintf("an %s gateway endpoint is free and takes %.3f GB a month of %s traffic in %s off the NAT's $%.3f/GB processing charge", c.name, monthlyGB, c.name, region, rp.NATPerGB)})
		}
	}
	// Interface endpoints: hourly per AZ plus per GB; only where cheaper than the NAT's per-GB charge.
	if b := classBytes[cost.ClassAWSOther]; b > 0 && factor > 0 {
		monthlyGB := gb(b) * factor
		azs := max(len(natAZs), 1)
		endpoint := monthHours*float64(azs)*opts.Prices.InterfaceEndpointHour + opts.Prices.InterfaceDataCost(monthlyGB)
		natCharge := monthlyGB * rp.NATPerGB
		why := fmt.Sprintf("%.3f GB a month to other AWS services cost $%.2f in NAT processing; one interface endpoint in %d AZ(s) costs $%.2f (hours and per-GB)", monthlyGB, natCharge, azs, endpoint)
		if endpoint < natCharge {
			r.Recommendations = append(r.Recommendations, RecommendationDoc{Kind: "interface_endpoint", Service: "other AWS services",
				MonthlyGB: round3(monthlyGB), MonthlyCostUSD: cost.Cents(endpoint), MonthlySavingUSD: cost.Cents(natCharge - endpoint),
				Why: why + "; AWS's ranges do not name the service, so choose the endpoint per service (pkt-dst-aws-service hints at it)"})
		} else {
			notes = append(notes, "no interface endpoint recommended: "+why)
		}
	}
	sort.SliceStable(r.Recommendations, func(i, j int) bool {
		return r.Recommendations[i].MonthlySavingUSD > r.Recommendations[j].MonthlySavingUSD
	})
	for _, rec := range r.Recommendations {
		r.Total.MonthlySavingsUSD += rec.MonthlySavingUSD
	}
	r.Total.MonthlySavingsUSD = cost.Cents(r.Total.MonthlySavingsUSD)
	if len(natAZs) == 0 && len(gws) > 0 {
		notes = append(notes, "the NAT gateways' AZs are unknown (no az-id field, no AvailabilityZone given): cross-AZ charges were not computed")
	} else if len(gws) > 0 && len(addrAZ) == 0 {
		notes = append(notes, "the workloads' AZs are unknown (the input lacks az-id or flow-direction): cross-AZ charges were not computed")
	}
	notes = append(notes, "processed bytes count every byte once per direction: the records a NAT gateway logs with translated addresses (its private legs), never its four records of a conversation nor the instances' own copies")
	r.Assumptions = AssumptionsDoc{PriceTableDate: opts.Prices.Date, PriceSource: opts.Prices.Source, Region: region,
		GB: "1 GB = 10^9 bytes, as AWS bills", IPRangesDate: opts.Ranges.Date, HoursCovered: hours, MonthHours: monthHours, Notes: notes}
	return r, nil
}

func gb(b int64) float64 { return math.Round(float64(b)) / 1e9 } // exact to the byte

func round3(x float64) float64 { return math.Round(x*1e6) / 1e6 }

func topEnds(m map[netip.Addr]*NATEndDoc, top int) []NATEndDoc {
	out := make([]NATEndDoc, 0, len(m))
	for _, e := range m {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Bytes != out[j].Bytes {
			return out[i].Bytes > out[j].Bytes
		}
		return out[i].Address < out[j].Address
	})
	if len(out) > top {
		out = out[:top]
	}
	return out
}

type zone struct{ region, az string }

// mostFrequent returns each interface's most frequent (region, az).
func mostFrequent(t *aggregate.Table) map[string]zone {
	best := map[string]int64{}
	out := map[string]zone{}
	if t == nil {
		return out
	}
	for _, g := range t.Groups() {
		id := t.Key(g, 0)
		if id.Null {
			continue
		}
		n := t.Value(g, aggregate.Flows)
		z := zone{str(t.Key(g, 1)), str(t.Key(g, 2))}
		if n > best[id.Str] || (n == best[id.Str] && z.az < out[id.Str].az) {
			best[id.Str], out[id.Str] = n, z
		}
	}
	return out
}

// addrZones returns each source address's most frequent AZ.
func addrZones(t *aggregate.Table) map[netip.Addr]string {
	best := map[netip.Addr]int64{}
	out := map[netip.Addr]string{}
	if t == nil {
		return out
	}
	for _, g := range t.Groups() {
		a, az := t.Key(g, 0), t.Key(g, 1)
		if a.Null || az.Null {
			continue
		}
		ip := a.IP()
		n := t.Value(g, aggregate.Flows)
		if n > best[ip] || (n == best[ip] && az.Str < out[ip]) {
			best[ip], out[ip] = n, az.Str
		}
	}
	return out
}

func str(v aggregate.Value) string {
	if v.Null {
		return ""
	}
	return v.Str
}

// WriteJSON writes the review as one indented JSON document.
func (r *CostReview) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteTable writes the review as text.
func (r *CostReview) WriteTable(w io.Writer) error {
	var b strings.Builder
	a := r.Assumptions
	fmt.Fprintf(&b, "flowlens cost review — %s, prices of %s, %.0f hours covered (GB = 10^9 bytes)\n", a.Region, a.PriceTableDate, a.HoursCovered)
	if len(r.NATGateways) == 0 {
		b.WriteString("\nno NAT gateway traffic found\n")
	}
	for _, g := range r.NATGateways {
		guessed := ""
		if g.Guessed {
			guessed = " (guessed from the records)"
		}
		fmt.Fprintf(&b, "\nNAT GATEWAY %s%s  %s  %s\n", g.InterfaceID, guessed, strings.Join(g.Addresses, ","), g.AZ)
		fmt.Fprintf(&b, "  processed %.3f GB (in from sources %s, in from destinations %s)\n", g.ProcessedGB, SI(g.BytesInFromSource), SI(g.BytesInFromDestination))
		fmt.Fprintf(&b, "  cost for the period $%.2f (hours $%.2f + processing $%.2f); %s: $%.2f\n", g.NATCost, g.NATHourlyCost, g.NATProcessingCost, g.MonthlyProjection.Label, g.MonthlyProjection.NATCost)
		fmt.Fprintf(&b, "  by class: S3 %.3f GB, DynamoDB %.3f GB, other AWS %.3f GB, internet %.3f GB; cross-AZ %.3f GB ($%.2f inter-AZ)\n",
			g.ByClass["s3"], g.ByClass["dynamodb"], g.ByClass["aws_other"], g.ByClass["internet"], g.CrossAZGB, g.CrossAZCost)
		b.WriteString("  top sources:\n")
		for _, s := range g.TopSources {
			fmt.Fprintf(&b, "    %-40s %10s  up %10s  down %10s  %s\n", s.Address, SI(s.Bytes), SI(s.UploadBytes), SI(s.DownloadBytes), s.AZ)
		}
		b.WriteString("  top destinations:\n")
		for _, s := range g.TopDestinations {
			fmt.Fprintf(&b, "    %-40s %10s  up %10s  down %10s  %s %s\n", s.Address, SI(s.Bytes), SI(s.UploadBytes), SI(s.DownloadBytes), s.Class, s.Service)
		}
	}
	fmt.Fprintf(&b, "\nTOTAL processed %.3f GB, NAT cost $%.2f for the period, $%.2f a month (projected)\n", r.Total.ProcessedGB, r.Total.NATCost, r.Total.MonthlyNATCost)
	b.WriteString("\nRECOMMENDATIONS (monthly, projected)\n")
	if len(r.Recommendations) == 0 {
		b.WriteString("  none\n")
	}
	for _, rec := range r.Recommendations {
		fmt.Fprintf(&b, "  %-18s %-20s save $%.2f a month — %s\n", rec.Kind, rec.Service, rec.MonthlySavingUSD, rec.Why)
	}
	b.WriteString("\nASSUMPTIONS\n")
	fmt.Fprintf(&b, "  prices: %s (%s); AWS IP ranges of %s\n", a.PriceTableDate, a.PriceSource, a.IPRangesDate)
	for _, n := range a.Notes {
		fmt.Fprintf(&b, "  %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
