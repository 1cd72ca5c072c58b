package nat

import (
	"fmt"
	"math"
	"net/netip"
	"sort"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/cost"
	"github.com/flowlens/flowlens/flowlog"
)

// Config is what a review needs besides the records: the gateways the user named, the region, prices
// and ranges.
type Config struct {
	Gateways []GatewayInfo // given by the user; none: detected from the records (and marked guessed)
	Region   string        // the NAT gateways' region; empty: from the records' region field
	Prices   *cost.Prices
	Ranges   *cost.Ranges
	Top      int
}

// Review is the JSON contract of `flowlens cost` (and of the report's nat section).
type Review struct {
	NATGateways     []GatewayDoc        `json:"nat_gateways"`
	Total           TotalDoc            `json:"total"`
	Recommendations []RecommendationDoc `json:"recommendations"`
	Assumptions     AssumptionsDoc      `json:"assumptions"`
}

// GatewayDoc is one NAT gateway interface.
type GatewayDoc struct {
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
	TopSources             []EndDoc           `json:"top_sources"`
	TopDestinations        []EndDoc           `json:"top_destinations"`
}

// ProjectionDoc is a cost scaled to a 730-hour month: a projection, labelled as one.
type ProjectionDoc struct {
	Label             string  `json:"label"`
	NATHourlyCost     float64 `json:"nat_hourly_cost"`
	NATProcessingCost float64 `json:"nat_processing_cost"`
	NATCost           float64 `json:"nat_cost"`
}

// EndDoc is a workload (source) or far end (destination) of NAT traffic.
type EndDoc struct {
	Address       string `json:"address"`
	Class         string `json:"class,omitempty"`
	Service       string `json:"service,omitempty"`
	AZ            string `json:"az_id,omitempty"`
	Bytes         int64  `json:"bytes"`
	UploadBytes   int64  `json:"upload_bytes"`
	DownloadBytes int64  `json:"download_bytes"`
}

// TotalDoc sums the gateways.
type TotalDoc struct {
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

// Span is the time the input covers, Unix seconds, from the first record's start to the last
// record's end: what the NAT gateway hours are counted over.
type Span struct{ FirstStart, LastEnd int64 }

// SpanOf reads the span of a run made with StandaloneSpecs.
func SpanOf(res *aggregate.Result) Span {
	var s Span
	if t := res.Table(aggSpan); t != nil {
		if g := t.Groups(); len(g) == 1 {
			s.FirstStart, s.LastEnd = t.Value(g[0], aggregate.MinStart), t.Value(g[0], aggregate.MaxEnd)
		}
	}
	return s
}

// Build reads the NAT group-bys of a run (Specs) into a cost review of the time span covers.
func Build(res *aggregate.Result, opts Config, span Span) (*Review, error) {
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
	given := map[string]GatewayInfo{}
	var only map[string]bool
	if len(opts.Gateways) > 0 {
		only = map[string]bool{}
		for _, g := range opts.Gateways {
			only[g.InterfaceID] = true
			given[g.InterfaceID] = g
		}
	}
	gws := ReadGateways(res, only)
	if !(res.Seen(fPktSrcAddr) && res.Seen(fPktDstAddr)) {
		if len(opts.Gateways) > 0 {
			gws = plainGateways(res.Table(aggNATPlain), opts.Gateways)
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
	if span.LastEnd > span.FirstStart && span.FirstStart > 0 {
		hours = math.Ceil(float64(span.LastEnd-span.FirstStart) / 3600) // billed per started hour
	}
	factor := 0.0
	if hours > 0 {
		factor = monthHours / hours
	}
	r := &Review{NATGateways: []GatewayDoc{}, Recommendations: []RecommendationDoc{},
		Total: TotalDoc{ByClass: map[string]float64{"s3": 0, "dynamodb": 0, "aws_other": 0, "internet": 0}}}
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
		d := GatewayDoc{InterfaceID: g.InterfaceID, GatewayID: info.GatewayID, Guessed: len(opts.Gateways) == 0,
			Region: region, AZ: az, Hours: hours, BytesInFromSource: g.BytesInFromSource, BytesInFromDestination: g.BytesInFromDestination,
			ByClass: map[string]float64{"s3": 0, "dynamodb": 0, "aws_other": 0, "internet": 0}, TopSources: []EndDoc{}, TopDestinations: []EndDoc{}}
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

		srcs := map[netip.Addr]*EndDoc{}
		dsts := map[netip.Addr]*EndDoc{}
		var crossAZ int64
		gwClass := map[cost.Class]int64{}
		for _, f := range g.Flows {
			// Without pkt-* fields a flow knows one side only (plainGateways).
			var ends []*EndDoc
			if f.FarEnd.IsValid() {
				cls, svc := opts.Ranges.Classify(f.FarEnd, region)
				gwClass[cls] += f.Bytes
				t := dsts[f.FarEnd]
				if t == nil {
					t = &EndDoc{Address: f.FarEnd.String(), Class: string(cls), Service: svc}
					dsts[f.FarEnd] = t
				}
				ends = append(ends, t)
			}
			if f.Workload.IsValid() {
				s := srcs[f.Workload]
				if s == nil {
					s = &EndDoc{Address: f.Workload.String(), AZ: addrAZ[f.Workload]}
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

func topEnds(m map[netip.Addr]*EndDoc, top int) []EndDoc {
	out := make([]EndDoc, 0, len(m))
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
	cID, cRegion, cAZ := t.Col(flowlog.FInterfaceID), t.Col(fRegion), t.Col(fAZID)
	for _, g := range t.Groups() {
		id := t.Key(g, cID)
		if id.Null {
			continue
		}
		n := t.Value(g, aggregate.Flows)
		z := zone{str(t.Key(g, cRegion)), str(t.Key(g, cAZ))}
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
	cAddr, cAZ := t.Col(flowlog.FSrcAddr), t.Col(fAZID)
	for _, g := range t.Groups() {
		a, az := t.Key(g, cAddr), t.Key(g, cAZ)
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
