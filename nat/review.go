package nat

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strings"
	"time"

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
	// Now is the day the review is made, for the staleness of the price table (time.Now when nil).
	Now func() time.Time
	// Endpoints are the VPC endpoints that exist (from an inventory, --enrich): an endpoint of a
	// service that exists is never recommended again; the review says it exists instead.
	Endpoints []Endpoint
	// Name, when set, names the owner of an address (an inventory, --enrich): workloads and far
	// ends then carry names.
	Name func(netip.Addr) string
	// AZ, when set, gives the AZ id of the owner of an address (an inventory), for the transfer
	// section's inter-AZ line.
	AZ func(netip.Addr) string
	// PublicIPs counts the public IPv4 addresses of each NAT gateway interface (an inventory);
	// without it each gateway is taken to have one.
	PublicIPs map[string]int
	// AttachmentVPC maps transit gateway attachments to the VPC they attach (an inventory).
	AttachmentVPC map[string]string
	// InterfaceVPC and AddrVPC give the VPC of an interface and of the owner of an address (an
	// inventory), for the traffic through the existing gateway endpoints.
	InterfaceVPC func(string) string
	AddrVPC      func(netip.Addr) string
	// CUR is a Cost and Usage Report extract of the same period (--cur): the transfer section
	// sets its bill beside each line.
	CUR *CUR
}

// Endpoint is an existing VPC endpoint.
type Endpoint struct {
	ID, Type, Service, VPCID, State, Name string
	ENIs                                  []string // its interfaces (interface and Gateway Load Balancer endpoints)
}

// endpointFor returns the existing endpoints of type typ (Gateway, Interface) for service (s3,
// dynamodb) in region; any service when service is "".
func endpointsFor(eps []Endpoint, typ, region, service string) []string {
	var out []string
	for _, e := range eps {
		if !strings.EqualFold(e.Type, typ) || !endpointLive(e.State) {
			continue
		}
		if service != "" && e.Service != "com.amazonaws."+region+"."+service {
			continue
		}
		if service == "" && (strings.HasSuffix(e.Service, ".s3") || strings.HasSuffix(e.Service, ".dynamodb")) {
			continue
		}
		out = append(out, e.ID+" ("+e.Service+", "+e.VPCID+")")
	}
	return out
}

// Review is the JSON contract of `flowlens cost` (and of the report's nat section),
// docs/report-json.md. Money is null where it cannot be computed (Missing says why), never 0.
type Review struct {
	// Status is "ok"; "no_gateways" when the NAT gateways cannot be known from the input (no pkt-*
	// fields and none given); "no_prices" when the price table lacks the region.
	Status string `json:"status"`
	// Missing says what could not be computed and how to give what it needs; empty when complete.
	Missing         []string            `json:"missing"`
	NATGateways     []GatewayDoc        `json:"nat_gateways"`
	Total           TotalDoc            `json:"total"`
	Recommendations []RecommendationDoc `json:"recommendations"`
	Assumptions     AssumptionsDoc      `json:"assumptions"`
	// Endpoints are the VPC endpoints that exist (an inventory, --enrich) and the traffic through
	// each; absent without an inventory that has any.
	Endpoints []EndpointDoc `json:"existing_endpoints,omitempty"`
	// ByTag is the traffic and NAT cost per value of a tag (cost --by-tag, with an inventory);
	// the report has it at its top level instead.
	ByTag *ByTagDoc `json:"by_tag,omitempty"`
	// Transfer is the data-transfer bill beside the NAT's (cost always; report with --transfer).
	Transfer *TransferDoc `json:"transfer,omitempty"`
}

// The statuses of a review.
const (
	StatusOK         = "ok"
	StatusNoGateways = "no_gateways"
	StatusNoPrices   = "no_prices"
)

// GatewayDoc is one NAT gateway interface: a zonal NAT gateway, or one AZ of a regional one.
type GatewayDoc struct {
	InterfaceID            string             `json:"interface_id"`
	GatewayID              string             `json:"gateway_id,omitempty"`
	Name                   string             `json:"name,omitempty"` // its Name tag, when given
	Guessed                bool               `json:"guessed"`
	Regional               bool               `json:"regional"` // a regional NAT gateway (availability mode regional)
	Addresses              []string           `json:"addresses"`
	Region                 string             `json:"region"`
	AZ                     string             `json:"az_id,omitempty"`
	Hours                  float64            `json:"hours"`
	BytesInFromSource      int64              `json:"bytes_in_from_source"`
	BytesInFromDestination int64              `json:"bytes_in_from_destination"`
	ProcessedGB            float64            `json:"processed_gb"`
	NATHourlyCost          *float64           `json:"nat_hourly_cost"`
	NATProcessingCost      *float64           `json:"nat_processing_cost"`
	NATCost                *float64           `json:"nat_cost"`
	MonthlyProjection      ProjectionDoc      `json:"monthly_projection"`
	ByClass                map[string]float64 `json:"by_class"`
	CrossAZGB              float64            `json:"cross_az_gb"`
	CrossAZCost            *float64           `json:"cross_az_cost"` // inter-AZ transfer, both directions, in the period
	TopSources             []EndDoc           `json:"top_sources"`
	TopDestinations        []EndDoc           `json:"top_destinations"`
}

// ProjectionDoc is a month of 730 hours at the rates of the period: the hourly rate × 730, and the
// GB processed per hour covered × 730 at the per-GB price. A projection, labelled as one.
type ProjectionDoc struct {
	Label             string   `json:"label"`
	NATHourlyCost     *float64 `json:"nat_hourly_cost"`
	NATProcessingCost *float64 `json:"nat_processing_cost"`
	NATCost           *float64 `json:"nat_cost"`
}

// EndDoc is a workload (source) or far end (destination) of NAT traffic.
type EndDoc struct {
	Address       string `json:"address"`
	Name          string `json:"name,omitempty"` // its owner, with --enrich
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
	NATCost           *float64           `json:"nat_cost"`
	MonthlyNATCost    *float64           `json:"monthly_nat_cost_projected"`
	ByClass           map[string]float64 `json:"by_class"`
	MonthlySavingsUSD *float64           `json:"monthly_savings_usd"`
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
	PriceTableDate  string   `json:"price_table_date"`
	PriceSource     string   `json:"price_source"`
	PriceTableStale bool     `json:"price_table_stale"` // older than a year on the day of the review
	Region          string   `json:"region"`
	GB              string   `json:"gb"`
	IPRangesDate    string   `json:"ip_ranges_date"`
	HoursCovered    float64  `json:"hours_covered"`
	MonthHours      float64  `json:"month_hours"`
	Notes           []string `json:"notes"`
}

const monthHours = 730

// Span is the time a review covers, Unix seconds: the range asked for (From, To; 0 when open) and the
// first and last start of the records.
type Span struct {
	From, To              int64
	FirstStart, LastStart int64
}

// Hours are the NAT gateway hours of the span, as AWS bills them, per started hour: the hours of the
// range asked for (a day is 24); where it is open, the hours from the first record's to the last
// record's, counting a flow in the hour of its start as the report does (records of 08:00–09:00 are
// 1 hour, of a day 24, whenever their last flows end). 0 when no record had times and no range was
// given.
func (s Span) Hours() float64 {
	lo, hi := s.From, s.To
	if lo == 0 {
		if s.FirstStart <= 0 {
			return 0
		}
		lo = s.FirstStart - s.FirstStart%3600
	}
	if hi == 0 {
		if s.LastStart <= 0 {
			return 0
		}
		hi = s.LastStart - s.LastStart%3600 + 3600
	}
	if hi <= lo {
		return 0
	}
	return math.Ceil(float64(hi-lo) / 3600)
}

// SpanOf reads the span of a run made with StandaloneSpecs over the range [from, to) (zero times
// when open).
func SpanOf(res *aggregate.Result, from, to time.Time) Span {
	s := Span{From: unixOrZero(from), To: unixOrZero(to)}
	if t := res.Table(aggSpan); t != nil {
		if g := t.Groups(); len(g) == 1 {
			s.FirstStart, s.LastStart = t.Value(g[0], aggregate.MinStart), t.Value(g[0], aggregate.AggMeasure(0))
		}
	}
	if aggregate.Unset(aggregate.MinStart, s.FirstStart) || s.LastStart == math.MinInt64 {
		s.FirstStart, s.LastStart = 0, 0
	}
	return s
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// The three ways to name NAT gateways, for the message that says none could be known.
const howToGiveGateways = "the input has no pkt-srcaddr/pkt-dstaddr fields, so NAT gateways cannot be detected and no NAT cost can be measured; " +
	"name them in one of three ways: --nat ENI[,ENI…] (their network interface ids), --nat-gateways FILE (the JSON of 'aws ec2 describe-nat-gateways'), " +
	"or log a custom flow-log format with pkt-srcaddr and pkt-dstaddr (version 3 or later) and detect them"

func ptr(x float64) *float64 { return &x }

// sum adds costs rounded to the cent; nil when any is unknown.
func sum(xs ...*float64) *float64 {
	var t float64
	for _, x := range xs {
		if x == nil {
			return nil
		}
		t += *x
	}
	return ptr(cost.Cents(t))
}

// Build reads the NAT group-bys of a run (Specs) into a cost review of span.
func Build(res *aggregate.Result, opts Config, span Span) (*Review, error) {
	if opts.Prices == nil {
		opts.Prices = cost.DefaultPrices()
	}
	if opts.Ranges == nil {
		opts.Ranges = cost.DefaultRanges()
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	top := opts.Top // 0: all
	r := &Review{Status: StatusOK, Missing: []string{}, NATGateways: []GatewayDoc{}, Recommendations: []RecommendationDoc{},
		Total: TotalDoc{ByClass: map[string]float64{"s3": 0, "dynamodb": 0, "aws_other": 0, "internet": 0}}}
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
		} else if res.Rows > 0 {
			r.Status = StatusNoGateways
			r.Missing = append(r.Missing, howToGiveGateways)
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
	rp, perr := opts.Prices.Region(region)
	// Costs are computed only when prices and gateways are both known: a total of no gateways that
	// could not be known is not $0.
	priced := perr == nil && r.Status != StatusNoGateways
	if perr != nil {
		var me *cost.MissingPriceError
		if !errors.As(perr, &me) {
			return nil, perr
		}
		if len(gws) > 0 && r.Status == StatusOK {
			r.Status = StatusNoPrices
			r.Missing = append(r.Missing, perr.Error()+"; the bytes, workloads and destinations below are measured, the costs are null")
		}
	}
	regionalHour := rp.RegionalNATHour
	hours := span.Hours()
	factor := 0.0 // GB of the period to GB of a month
	if hours > 0 {
		factor = monthHours / hours
	}
	// money is a cost when the region is priced, null otherwise.
	money := func(x float64) *float64 {
		if !priced {
			return nil
		}
		return ptr(cost.Cents(x))
	}
	classBytes := map[cost.Class]int64{}
	natAZs := map[string]bool{}
	var totalCost, totalMonthly float64
	for _, g := range gws {
		info := given[g.InterfaceID]
		// The records' az-id comes first: the workloads' AZs are az-ids too (describe-nat-gateways
		// gives AZ names, which differ between accounts).
		az := zones[g.InterfaceID].az
		if az == "" {
			az = info.AZ
		}
		d := GatewayDoc{InterfaceID: g.InterfaceID, GatewayID: info.GatewayID, Name: info.Name, Guessed: len(opts.Gateways) == 0,
			Regional: info.Regional, Region: region, AZ: az, Hours: hours,
			BytesInFromSource: g.BytesInFromSource, BytesInFromDestination: g.BytesInFromDestination,
			ByClass: map[string]float64{"s3": 0, "dynamodb": 0, "aws_other": 0, "internet": 0}, TopSources: []EndDoc{}, TopDestinations: []EndDoc{}}
		if d.AZ != "" {
			natAZs[d.AZ] = true
		}
		for _, a := range g.Addrs {
			d.Addresses = append(d.Addresses, a.String())
		}
		d.ProcessedGB = gb(g.ProcessedBytes())
		// A regional NAT gateway is billed per AZ it is active in; each of its interfaces is one AZ.
		hourly := rp.NATHour
		if d.Regional && regionalHour > 0 {
			hourly = regionalHour
		}
		// Each figure is rounded to the cent once, and a total is the sum of the figures shown.
		d.NATHourlyCost = money(hours * hourly)
		d.NATProcessingCost = money(d.ProcessedGB * rp.NATPerGB)
		d.NATCost = sum(d.NATHourlyCost, d.NATProcessingCost)
		d.MonthlyProjection = ProjectionDoc{Label: fmt.Sprintf("projection: the hourly rate × %d hours, and the %.0f hours covered scaled to a %d-hour month", monthHours, hours, monthHours),
			NATHourlyCost: money(monthHours * hourly), NATProcessingCost: money(d.ProcessedGB * factor * rp.NATPerGB)}
		d.MonthlyProjection.NATCost = sum(d.MonthlyProjection.NATHourlyCost, d.MonthlyProjection.NATProcessingCost)
		if priced {
			totalCost += *d.NATCost
			totalMonthly += *d.MonthlyProjection.NATCost
		}

		srcs := map[netip.Addr]*EndDoc{}
		dsts := map[netip.Addr]*EndDoc{}
		var crossAZ int64
		otherAZs := map[string]bool{}
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
					otherAZs[s.AZ] = true
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
		// A byte that crosses AZs is billed out of one and into the other.
		// Unknown AZs (the gateway's, or every workload's) leave the charge unknown, not 0.
		if d.AZ != "" && len(addrAZ) > 0 {
			d.CrossAZCost = money(d.CrossAZGB * 2 * opts.Prices.InterAZPerGB)
		}
		d.TopSources = topEnds(srcs, top)
		d.TopDestinations = topEnds(dsts, top)
		if opts.Name != nil {
			for _, l := range [][]EndDoc{d.TopSources, d.TopDestinations} {
				for i := range l {
					if a, err := netip.ParseAddr(l[i].Address); err == nil {
						l[i].Name = opts.Name(a)
					}
				}
			}
		}
		// A NAT gateway in each AZ the workloads come from saves the transfer, for its hours. A
		// regional NAT gateway already serves each AZ from that AZ.
		if crossAZ > 0 && priced && factor > 0 && !d.Regional {
			monthlyGB := gb(crossAZ) * factor
			extraNAT := float64(len(otherAZs)) * monthHours * rp.NATHour
			charge := monthlyGB * 2 * opts.Prices.InterAZPerGB
			if charge > extraNAT {
				r.Recommendations = append(r.Recommendations, RecommendationDoc{Kind: "same_az_nat", Service: "nat", InterfaceID: g.InterfaceID,
					MonthlyGB: round3(monthlyGB), MonthlyCostUSD: cost.Cents(extraNAT), MonthlySavingUSD: cost.Cents(charge - extraNAT),
					Why: fmt.Sprintf("%.2f GB a month reach this NAT gateway from %d other AZ(s), billed $%.3f/GB out of their AZ and again into this one; a NAT gateway in each of those AZs costs $%.2f a month in hours",
						monthlyGB, len(otherAZs), opts.Prices.InterAZPerGB, extraNAT)})
			}
		}
		r.Total.ProcessedGB += d.ProcessedGB
		r.NATGateways = append(r.NATGateways, d)
	}
	for c, b := range classBytes {
		r.Total.ByClass[string(c)] = gb(b)
	}
	r.Total.ProcessedGB = round3(r.Total.ProcessedGB)
	r.Total.NATCost = money(totalCost)
	r.Total.MonthlyNATCost = money(totalMonthly)

	r.Endpoints = buildEndpoints(res, opts, region, gws)

	if priced && factor > 0 {
		// Gateway endpoints: free, they take S3 and DynamoDB traffic of the region off the NAT.
		for _, c := range []struct {
			class         cost.Class
			service, name string
		}{{cost.ClassS3, "s3", "an S3"}, {cost.ClassDynamoDB, "dynamodb", "a DynamoDB"}} {
			if b := classBytes[c.class]; b > 0 {
				monthlyGB := gb(b) * factor
				if have := endpointsFor(opts.Endpoints, "Gateway", region, c.service); len(have) > 0 {
					notes = append(notes, fmt.Sprintf("%s gateway endpoint exists (%s), not recommended again: the %.2f GB a month of %s traffic still through the NAT gateways come from route tables or VPCs it is not associated with",
						c.name, strings.Join(have, ", "), monthlyGB, c.service))
					continue
				}
				r.Recommendations = append(r.Recommendations, RecommendationDoc{Kind: "gateway_endpoint", Service: c.service,
					MonthlyGB: round3(monthlyGB), MonthlyCostUSD: 0, MonthlySavingUSD: cost.Cents(monthlyGB * rp.NATPerGB),
					Why: fmt.Sprintf("%s gateway endpoint is free and would carry these %.2f GB a month in %s, which now pay the NAT's $%.3f/GB processing charge", c.name, monthlyGB, region, rp.NATPerGB)})
			}
		}
		// Interface endpoints: hourly per AZ plus per GB, the GB tiers counted over the region's
		// endpoint volume; only where cheaper than the NAT's per-GB charge.
		if b := classBytes[cost.ClassAWSOther]; b > 0 {
			monthlyGB := gb(b) * factor
			azs := max(len(natAZs), 1)
			endpoint := monthHours*float64(azs)*opts.Prices.InterfaceEndpointHour + opts.Prices.InterfaceDataCost(monthlyGB)
			natCharge := monthlyGB * rp.NATPerGB
			why := fmt.Sprintf("%.2f GB a month to other AWS services cost $%.2f in NAT processing; one interface endpoint in %d AZ(s) costs $%.2f (hours and per-GB)", monthlyGB, natCharge, azs, endpoint)
			if have := endpointsFor(opts.Endpoints, "Interface", region, ""); len(have) > 0 {
				why += "; interface endpoints exist (" + strings.Join(have, ", ") + "): the traffic above is to services without one, or from VPCs they do not serve"
			}
			if endpoint < natCharge {
				r.Recommendations = append(r.Recommendations, RecommendationDoc{Kind: "interface_endpoint", Service: "other AWS services",
					MonthlyGB: round3(monthlyGB), MonthlyCostUSD: cost.Cents(endpoint), MonthlySavingUSD: cost.Cents(natCharge - endpoint),
					Why: why + "; AWS's ranges do not name the service, so choose the endpoint per service (pkt-dst-aws-service hints at it)"})
			} else {
				notes = append(notes, "no interface endpoint recommended: "+why)
			}
		}
	}
	sort.SliceStable(r.Recommendations, func(i, j int) bool {
		return r.Recommendations[i].MonthlySavingUSD > r.Recommendations[j].MonthlySavingUSD
	})
	if priced {
		var saving float64
		for _, rec := range r.Recommendations {
			saving += rec.MonthlySavingUSD
		}
		r.Total.MonthlySavingsUSD = ptr(cost.Cents(saving))
	}
	if len(natAZs) == 0 && len(gws) > 0 {
		notes = append(notes, "the NAT gateways' AZs are unknown (no az-id field, no AvailabilityZone given): cross-AZ charges were not computed")
	} else if len(gws) > 0 && len(addrAZ) == 0 {
		notes = append(notes, "the workloads' AZs are unknown (the input lacks az-id or flow-direction): cross-AZ charges were not computed")
	}
	for _, g := range r.NATGateways {
		if g.Regional {
			if regionalHour == 0 {
				notes = append(notes, "regional NAT gateways: the price table has no regional hourly price for "+region+"; the zonal one was taken per active AZ")
			} else {
				notes = append(notes, "regional NAT gateways are billed per active AZ: each of their interfaces is one AZ")
			}
			break
		}
	}
	notes = append(notes,
		"processed bytes count every byte once per direction: the records a NAT gateway logs with translated addresses (its private legs), never its four records of a conversation nor the instances' own copies",
		fmt.Sprintf("hours are started hours, as AWS bills them: those of the range asked for, or the hours from the first record's start to the last record's, a flow counted in the hour of its start (%.0f here)", hours),
		"inter-AZ transfer is billed in each direction: a GB that crosses AZs costs the inter-AZ price twice",
		"interface endpoint GB tiers count all interface endpoints of the region together")
	stale := opts.Prices.Stale(now())
	if stale {
		notes = append(notes, fmt.Sprintf("the price table of %s is more than a year old: check it, or get current prices with 'flowlens prices fetch' and pass --pricing", opts.Prices.Date))
	}
	r.Assumptions = AssumptionsDoc{PriceTableDate: opts.Prices.Date, PriceSource: opts.Prices.Source, PriceTableStale: stale, Region: region,
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
	if top > 0 && len(out) > top {
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
