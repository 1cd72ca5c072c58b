package cost

import (
	"fmt"
	"math"
)

// HoursPerMonth is AWS's billing month: 365 × 24 / 12 = 730 hours.
const HoursPerMonth = 730

// DefaultRegion is the region an estimate assumes when none is given; the assumption is stated in
// the estimate.
const DefaultRegion = "us-east-1"

// EstimateInput is a what-if, as given to `flowlens cost --estimate`: no flow logs, just volumes.
type EstimateInput struct {
	// NATGB is the volume processed by the NAT gateways, in GB (10^9 bytes), both directions.
	NATGB float64
	// Hours is the period the volume covers; 730 is one month. It must be > 0.
	Hours float64
	// Gateways is the number of NAT gateways running for Hours; 0 means 1.
	Gateways int
	// Region selects the NAT prices; "" means DefaultRegion.
	Region string
	// AZs is the number of AZs an interface endpoint would be deployed in; 0 means Gateways (one
	// NAT gateway per AZ is the usual layout, and an endpoint serves the same AZs).
	AZs int
}

// Estimate is the result of EstimateCost, in USD rounded to cents (SavingPercent to 0.01 %). It keeps
// the inputs, with defaults applied, so a report can print the whole working.
type Estimate struct {
	Region   string
	Hours    float64
	NATGB    float64
	Gateways int
	// AZs is the number of AZs priced for the interface endpoint.
	AZs int

	// NATHourlyCost = Hours × Gateways × NAT hourly price.
	NATHourlyCost float64
	// NATProcessingCost = NATGB × NAT per-GB price.
	NATProcessingCost float64
	// NATTotal = NATHourlyCost + NATProcessingCost.
	NATTotal float64

	// EndpointHourOnly is one endpoint at the interface hourly price for Hours, as the simple review
	// computes it: no per-GB charge, one AZ. It is kept to reproduce that arithmetic, not as advice.
	EndpointHourOnly float64
	// SavingVsHourOnly = NATTotal − EndpointHourOnly: the simple review's claim, which assumes the NAT
	// goes away entirely and the endpoint charges nothing per GB.
	SavingVsHourOnly float64
	// SavingPercent = SavingVsHourOnly / NATTotal × 100 (0 when NATTotal is 0).
	SavingPercent float64

	// GatewayEndpoint is the S3/DynamoDB gateway endpoint: free, saving the NAT processing charge.
	GatewayEndpoint Alternative
	// InterfaceEndpoint is an interface endpoint: Hours × AZs × hourly price + tiered per-GB charge,
	// saving the NAT processing charge minus its own cost (negative when it costs more).
	InterfaceEndpoint Alternative

	// Assumptions are the statements the figures rest on, in the order a report should print them.
	Assumptions []string
}

// Alternative is one way to carry the traffic without the NAT gateway.
type Alternative struct {
	// Kind is "gateway_endpoint" or "interface_endpoint".
	Kind string
	// Cost is what the alternative itself costs for the period.
	Cost float64
	// Saving is the NAT charge it removes minus Cost; negative means the alternative costs more.
	Saving float64
}

// Alternative kinds.
const (
	KindGatewayEndpoint   = "gateway_endpoint"
	KindInterfaceEndpoint = "interface_endpoint"
)

// EstimateCost prices a NAT gateway volume and its alternatives with the price table p (nil means
// DefaultPrices()).
//
// It reproduces the simple review's arithmetic exactly (NAT hours + processing against one endpoint's
// hours: for 1,000 GB over 730 h in us-east-1, $77.85 against $7.30, a saving of $70.55 or 90.62 %),
// and then gives the two honest comparisons. Both assume the NAT gateway stays, because it still
// serves the rest of the traffic (the internet, and services without endpoints), so only its
// processing charge can be saved: a gateway endpoint removes it for free (if all NATGB is S3 or
// DynamoDB of the same region); an interface endpoint removes it but charges per AZ-hour and per GB.
// Data transfer charges (internet egress, inter-AZ) are left out: they are paid with or without a NAT.
func EstimateCost(in EstimateInput, p *Prices) (*Estimate, error) {
	if p == nil {
		p = DefaultPrices()
	}
	switch {
	case math.IsNaN(in.NATGB) || math.IsInf(in.NATGB, 0) || in.NATGB < 0:
		return nil, fmt.Errorf("cost: estimate: NAT volume %v GB: must be a number ≥ 0", in.NATGB)
	case math.IsNaN(in.Hours) || math.IsInf(in.Hours, 0) || in.Hours <= 0:
		return nil, fmt.Errorf("cost: estimate: %v hours: must be a number > 0 (730 is one month)", in.Hours)
	case in.Gateways < 0:
		return nil, fmt.Errorf("cost: estimate: %d NAT gateways: must be ≥ 1", in.Gateways)
	case in.AZs < 0:
		return nil, fmt.Errorf("cost: estimate: %d AZs: must be ≥ 1", in.AZs)
	}
	var as []string
	region := in.Region
	if region == "" {
		region = DefaultRegion
		as = append(as, "region not given: "+DefaultRegion+" assumed")
	}
	rp, err := p.Region(region)
	if err != nil {
		return nil, err
	}
	gw := in.Gateways
	if gw == 0 {
		gw = 1
	}
	azs := in.AZs
	if azs == 0 {
		azs = gw
	}

	natHours := in.Hours * float64(gw) * rp.NATHour
	natProc := in.NATGB * rp.NATPerGB
	natTotal := natHours + natProc
	hourOnly := in.Hours * p.InterfaceEndpointHour
	savingHourOnly := natTotal - hourOnly
	var pct float64
	if natTotal > 0 {
		pct = savingHourOnly / natTotal * 100
	}
	ifCost := in.Hours*float64(azs)*p.InterfaceEndpointHour + p.InterfaceDataCost(in.NATGB)

	e := &Estimate{
		Region:            region,
		Hours:             in.Hours,
		NATGB:             in.NATGB,
		Gateways:          gw,
		AZs:               azs,
		NATHourlyCost:     Cents(natHours),
		NATProcessingCost: Cents(natProc),
		NATTotal:          Cents(natTotal),
		EndpointHourOnly:  Cents(hourOnly),
		SavingVsHourOnly:  Cents(savingHourOnly),
		SavingPercent:     Cents(pct), // two decimals, as for cents
		GatewayEndpoint:   Alternative{Kind: KindGatewayEndpoint, Cost: 0, Saving: Cents(natProc)},
		InterfaceEndpoint: Alternative{Kind: KindInterfaceEndpoint, Cost: Cents(ifCost), Saving: Cents(natProc - ifCost)},
	}

	as = append(as,
		fmt.Sprintf("prices: table of %s (%s), region %s: NAT gateway $%g/hour and $%g/GB processed; interface endpoint $%g per AZ-hour",
			p.Date, p.Source, region, rp.NATHour, rp.NATPerGB, p.InterfaceEndpointHour),
		"GB = 10^9 bytes, as AWS bills",
		fmt.Sprintf("730 hours = one month; the %g hours given are %.2f month(s), and every figure is for those hours, not projected",
			in.Hours, in.Hours/HoursPerMonth),
		fmt.Sprintf("NAT: %d gateway(s) × %g h × $%g + %g GB × $%g; data transfer (internet egress, inter-AZ) is not included, as it is charged with or without a NAT",
			gw, in.Hours, rp.NATHour, in.NATGB, rp.NATPerGB),
		fmt.Sprintf("hour-only comparison: one endpoint in one AZ × %g h × $%g, nothing per GB, NAT removed entirely: the simple review's arithmetic, which understates an interface endpoint's cost",
			in.Hours, p.InterfaceEndpointHour),
		fmt.Sprintf("gateway endpoint: all %g GB are S3 or DynamoDB in %s; the endpoint is free and removes the NAT processing charge; the NAT gateway hours remain, as it still serves other traffic",
			in.NATGB, region),
		fmt.Sprintf("interface endpoint: one endpoint in %d AZ(s) × %g h × $%g + %g GB at the tiered per-GB price; saving is the NAT processing charge minus that cost, the NAT gateway hours remain",
			azs, in.Hours, p.InterfaceEndpointHour, in.NATGB),
	)
	e.Assumptions = as
	return e, nil
}
