package cost

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// Prices is a dated price table: what a NAT gateway and its alternatives cost in USD.
//
// Prices change and differ by region, so every figure flowlens prints is computed from a table whose
// Date and Source the report prints too, and a user can pass a newer table (LoadPrices) without a new
// binary. GB means 10^9 bytes throughout, as AWS bills.
type Prices struct {
	// Date is when the figures were taken, e.g. "2025-06".
	Date string
	// Source says where they come from.
	Source string
	// Regions holds the per-region NAT gateway prices, keyed by region code ("us-east-1").
	Regions map[string]RegionPrices
	// InterfaceEndpointHour is the price of one interface endpoint in one AZ for one hour: an
	// endpoint deployed in three AZs costs three times this.
	InterfaceEndpointHour float64
	// InterfaceEndpointTiers are the per-GB data processing prices of interface endpoints, in
	// ascending order of UpToGB; the last one has UpToGB 0 (no limit). AWS counts the volume of all
	// endpoints of a region together.
	InterfaceEndpointTiers []Tier
	// InterAZPerGB is charged in each direction when traffic crosses AZs, e.g. an instance using a
	// NAT gateway in another AZ.
	InterAZPerGB float64
	// InternetEgressPerGB is the first tier (first 10 TB a month) of data transfer out to the
	// internet. It is charged with or without a NAT gateway, so it never counts as a saving.
	InternetEgressPerGB float64

	// The transfer section's prices (0 or empty: not in the table, and the line that needs it is
	// left unpriced).

	// InternetEgressTiers are the monthly tiers of data transfer out to the internet, after the
	// free GB (UpToGB cumulative, counted after the free GB; the last 0, no limit). Empty: the
	// single InternetEgressPerGB.
	InternetEgressTiers []Tier
	// InternetEgressFreeGB is the monthly data transfer out to the internet that is free (100 GB,
	// summed over the account's regions).
	InternetEgressFreeGB float64
	// InterRegionPerGB is the per-GB price of data transfer from one region to another, for a pair
	// that InterRegionPairs does not name.
	InterRegionPerGB float64
	// InterRegionPairs are the per-GB prices of the pairs priced otherwise, keyed "FROM>TO"
	// ("us-east-1>us-east-2").
	InterRegionPairs map[string]float64
	// TransitGatewayPerGB is the data processing charge of a transit gateway per GB sent into it
	// by an attachment.
	TransitGatewayPerGB float64
	// PublicIPv4Hour is the hourly charge of a public IPv4 address in use (a NAT gateway's
	// elastic IP among them).
	PublicIPv4Hour float64
}

// InterRegion returns the per-GB price of transfer from region from to region to, and whether
// the table has one.
func (p *Prices) InterRegion(from, to string) (float64, bool) {
	if v, ok := p.InterRegionPairs[from+">"+to]; ok {
		return v, true
	}
	return p.InterRegionPerGB, p.InterRegionPerGB > 0
}

// InternetEgressCost prices gb GB of internet egress in a period that is months (730-hour months)
// long: the free GB and the tier limits are monthly, so both are scaled to the period. It returns
// the cost and the free GB of the period. Without tiers, the single first-tier price.
func (p *Prices) InternetEgressCost(gb, months float64) (cost, free float64) {
	free = p.InternetEgressFreeGB * months
	paid := gb - free
	if paid <= 0 {
		return 0, free
	}
	if len(p.InternetEgressTiers) == 0 {
		return paid * p.InternetEgressPerGB, free
	}
	var lo float64
	for _, t := range p.InternetEgressTiers {
		hi := t.UpToGB * months
		if t.UpToGB == 0 || paid <= hi {
			return cost + (paid-lo)*t.PerGB, free
		}
		cost += (hi - lo) * t.PerGB
		lo = hi
	}
	return cost, free
}

// RegionPrices are the NAT gateway prices of one region.
type RegionPrices struct {
	// NATHour is charged per NAT gateway for every started hour, with traffic or not.
	NATHour float64
	// NATPerGB is charged for every GB the NAT gateway processes, in either direction, on top of any
	// data transfer charge.
	NATPerGB float64
	// RegionalNATHour is the hourly charge of a regional NAT gateway (one per VPC, spanning AZs) for
	// each AZ it is active in; 0 when the table does not give it, and a review then takes NATHour
	// and says so. Its per-GB charge is NATPerGB.
	RegionalNATHour float64
}

// Tier is one step of a tiered per-GB price.
type Tier struct {
	// UpToGB is the cumulative volume, in GB, up to which PerGB applies; 0 means no limit.
	UpToGB float64
	// PerGB is the price of each GB in this tier.
	PerGB float64
}

// pb is one petabyte in GB. AWS's "first 1 PB" uses the same decimal units as its GB.
const pb = 1e6

// pricesJSON is the embedded price table, in the format of a --pricing file. Its figures come from
// AWS's published price tables as seen in 2024–2025 (NAT gateway and PrivateLink pricing, EC2 data
// transfer), dated 2025-06, the latest they are known to match: NAT gateway hour and per-GB prices,
// equal within each region, for the regions whose prices were checked; the endpoint, inter-AZ and
// egress figures are the us-east-1 ones, which hold for most regions. The other commercial regions
// (Regions) have no embedded price. `flowlens prices fetch -o cost/prices.json` replaces the whole
// table with the Price List API's current one, dated and sourced.
//
//go:embed prices.json
var pricesJSON []byte

// defaultPrices is pricesJSON read once; a broken embedded table is a build defect.
var defaultPrices = func() Prices {
	p, err := readPrices(&Prices{}, bytes.NewReader(pricesJSON))
	if err != nil {
		panic("cost: the embedded prices.json: " + err.Error())
	}
	return *p
}()

// DefaultPrices returns the embedded price table. Each call returns a new copy, which the caller may
// change.
func DefaultPrices() *Prices { return defaultPrices.clone() }

func (p *Prices) clone() *Prices {
	c := *p
	c.Regions = maps.Clone(p.Regions)
	c.InterfaceEndpointTiers = slices.Clone(p.InterfaceEndpointTiers)
	c.InternetEgressTiers = slices.Clone(p.InternetEgressTiers)
	c.InterRegionPairs = maps.Clone(p.InterRegionPairs)
	return &c
}

// LoadPrices reads a pricing file (--pricing FILE) and returns the default table with the file's
// values on top, so a file needs to give only what changed. The schema uses the field names of Prices
// in snake_case; every field is optional:
//
//	{
//	  "date": "2026-01",
//	  "source": "AWS pricing pages, January 2026",
//	  "regions": {
//	    "eu-west-1": {"nat_hour": 0.05, "nat_per_gb": 0.05, "regional_nat_hour": 0.05},
//	    "me-south-1": {"nat_hour": 0.054, "nat_per_gb": 0.054}
//	  },
//	  "interface_endpoint_hour": 0.011,
//	  "interface_endpoint_tiers": [
//	    {"up_to_gb": 1000000, "per_gb": 0.01},
//	    {"up_to_gb": 5000000, "per_gb": 0.006},
//	    {"up_to_gb": 0, "per_gb": 0.004}
//	  ],
//	  "inter_az_per_gb": 0.01,
//	  "internet_egress_per_gb": 0.09,
//	  "internet_egress_tiers": [
//	    {"up_to_gb": 10240, "per_gb": 0.09},
//	    {"up_to_gb": 51200, "per_gb": 0.085},
//	    {"up_to_gb": 153600, "per_gb": 0.07},
//	    {"up_to_gb": 0, "per_gb": 0.05}
//	  ],
//	  "internet_egress_free_gb": 100,
//	  "inter_region_per_gb": 0.02,
//	  "inter_region_pairs": {"us-east-1>us-east-2": 0.01},
//	  "transit_gateway_per_gb": 0.02,
//	  "public_ipv4_hour": 0.005
//	}
//
// A region already in the table may give one of its two prices; a new region must give both.
// "interface_endpoint_tiers" and "internet_egress_tiers", when present, replace the whole list: ascending up_to_gb, the last
// with 0 (no limit). Unknown fields and negative prices are errors, so a typo cannot silently leave a
// default in place. If the file changes prices but not "date", the report would show the default
// date; give a date.
func LoadPrices(r io.Reader) (*Prices, error) { return readPrices(DefaultPrices(), r) }

// readPrices reads a pricing file over a copy of base.
func readPrices(base *Prices, r io.Reader) (*Prices, error) {
	type regionJSON struct {
		NATHour         *float64 `json:"nat_hour"`
		NATPerGB        *float64 `json:"nat_per_gb"`
		RegionalNATHour *float64 `json:"regional_nat_hour"`
	}
	type tierJSON struct {
		UpToGB *float64 `json:"up_to_gb"`
		PerGB  *float64 `json:"per_gb"`
	}
	var f struct {
		Date                   *string               `json:"date"`
		Source                 *string               `json:"source"`
		Regions                map[string]regionJSON `json:"regions"`
		InterfaceEndpointHour  *float64              `json:"interface_endpoint_hour"`
		InterfaceEndpointTiers []tierJSON            `json:"interface_endpoint_tiers"`
		InterAZPerGB           *float64              `json:"inter_az_per_gb"`
		InternetEgressPerGB    *float64              `json:"internet_egress_per_gb"`
		InternetEgressTiers    []tierJSON            `json:"internet_egress_tiers"`
		InternetEgressFreeGB   *float64              `json:"internet_egress_free_gb"`
		InterRegionPerGB       *float64              `json:"inter_region_per_gb"`
		InterRegionPairs       map[string]*float64   `json:"inter_region_pairs"`
		TransitGatewayPerGB    *float64              `json:"transit_gateway_per_gb"`
		PublicIPv4Hour         *float64              `json:"public_ipv4_hour"`
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("cost: pricing file: %w", err)
	}
	p := base.clone()
	if p.Regions == nil {
		p.Regions = map[string]RegionPrices{}
	}
	var errs []error
	price := func(dst *float64, v *float64, name string) {
		if v == nil {
			return
		}
		if *v < 0 || math.IsNaN(*v) || math.IsInf(*v, 0) {
			errs = append(errs, fmt.Errorf("%s: %v is not a price", name, *v))
			return
		}
		*dst = *v
	}
	if f.Date != nil {
		p.Date = *f.Date
	}
	if f.Source != nil {
		p.Source = *f.Source
	}
	for _, name := range slices.Sorted(maps.Keys(f.Regions)) {
		v := f.Regions[name]
		rp, known := p.Regions[name]
		if !known && (v.NATHour == nil || v.NATPerGB == nil) {
			errs = append(errs, fmt.Errorf("regions.%s: a new region needs both nat_hour and nat_per_gb", name))
			continue
		}
		price(&rp.NATHour, v.NATHour, "regions."+name+".nat_hour")
		price(&rp.NATPerGB, v.NATPerGB, "regions."+name+".nat_per_gb")
		price(&rp.RegionalNATHour, v.RegionalNATHour, "regions."+name+".regional_nat_hour")
		p.Regions[name] = rp
	}
	price(&p.InterfaceEndpointHour, f.InterfaceEndpointHour, "interface_endpoint_hour")
	price(&p.InterAZPerGB, f.InterAZPerGB, "inter_az_per_gb")
	price(&p.InternetEgressPerGB, f.InternetEgressPerGB, "internet_egress_per_gb")
	price(&p.InternetEgressFreeGB, f.InternetEgressFreeGB, "internet_egress_free_gb")
	price(&p.InterRegionPerGB, f.InterRegionPerGB, "inter_region_per_gb")
	price(&p.TransitGatewayPerGB, f.TransitGatewayPerGB, "transit_gateway_per_gb")
	price(&p.PublicIPv4Hour, f.PublicIPv4Hour, "public_ipv4_hour")
	for _, pair := range slices.Sorted(maps.Keys(f.InterRegionPairs)) {
		from, to, ok := strings.Cut(pair, ">")
		if !ok || from == "" || to == "" || from == to {
			errs = append(errs, fmt.Errorf("inter_region_pairs: %q is not FROM>TO, two regions", pair))
			continue
		}
		if p.InterRegionPairs == nil {
			p.InterRegionPairs = map[string]float64{}
		}
		if f.InterRegionPairs[pair] == nil {
			errs = append(errs, fmt.Errorf("inter_region_pairs.%s: not a price", pair))
			continue
		}
		v := p.InterRegionPairs[pair]
		price(&v, f.InterRegionPairs[pair], "inter_region_pairs."+pair)
		p.InterRegionPairs[pair] = v
	}
	readTiers := func(in []tierJSON, field string) []Tier {
		tiers := make([]Tier, len(in))
		for i, t := range in {
			name := fmt.Sprintf("%s[%d]", field, i)
			if t.UpToGB == nil || t.PerGB == nil {
				errs = append(errs, fmt.Errorf("%s: needs up_to_gb and per_gb", name))
				continue
			}
			price(&tiers[i].UpToGB, t.UpToGB, name+".up_to_gb")
			price(&tiers[i].PerGB, t.PerGB, name+".per_gb")
		}
		if err := checkTiers(tiers); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
		}
		return tiers
	}
	if f.InterfaceEndpointTiers != nil {
		p.InterfaceEndpointTiers = readTiers(f.InterfaceEndpointTiers, "interface_endpoint_tiers")
	}
	if f.InternetEgressTiers != nil {
		p.InternetEgressTiers = readTiers(f.InternetEgressTiers, "internet_egress_tiers")
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("cost: pricing file: %w", err)
	}
	return p, nil
}

func checkTiers(tiers []Tier) error {
	if len(tiers) == 0 {
		return errors.New("empty")
	}
	for i, t := range tiers {
		last := i == len(tiers)-1
		switch {
		case last && t.UpToGB != 0:
			return errors.New("the last tier must have up_to_gb 0 (no limit)")
		case !last && t.UpToGB == 0:
			return fmt.Errorf("tier %d: only the last tier may have up_to_gb 0", i)
		case i > 0 && !last && t.UpToGB <= tiers[i-1].UpToGB:
			return fmt.Errorf("tier %d: up_to_gb %v is not above the previous %v", i, t.UpToGB, tiers[i-1].UpToGB)
		}
	}
	return nil
}

// Region returns the NAT prices of the region named. A region the table lacks is a *MissingPriceError
// rather than a guess, because NAT prices differ by up to a factor of two between regions.
func (p *Prices) Region(name string) (RegionPrices, error) {
	if rp, ok := p.Regions[name]; ok {
		return rp, nil
	}
	return RegionPrices{}, &MissingPriceError{Region: name, Date: p.Date, Known: slices.Sorted(maps.Keys(p.Regions))}
}

// MissingPriceError says that the price table has no NAT gateway prices for a region, and how to
// give them.
type MissingPriceError struct {
	Region string
	Date   string   // of the table
	Known  []string // the regions it has
}

func (e *MissingPriceError) Error() string {
	what := fmt.Sprintf("no NAT gateway prices for region %q in the price table of %s", e.Region, e.Date)
	switch part := Partition(e.Region); {
	case part == PartitionChina:
		what += " (an AWS China region: priced in CNY by its own operator, not in this table)"
	case part == PartitionGovCloud:
		what += " (an AWS GovCloud (US) region)"
	case !IsKnownRegion(e.Region):
		what += " (not a region flowlens knows: check the spelling)"
	}
	return what + "; get them with 'flowlens prices fetch --region " + e.Region + " -o prices.json' and pass --pricing prices.json, " +
		"or write a pricing file (docs/cost.md); the table prices these regions (known: " + strings.Join(e.Known, ", ") + ")"
}

// The AWS partitions: prices and IP ranges of one do not apply to another.
const (
	PartitionAWS      = "aws"
	PartitionGovCloud = "aws-us-gov"
	PartitionChina    = "aws-cn"
)

// Partition is the partition of a region code, by its prefix.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		return PartitionGovCloud
	case strings.HasPrefix(region, "cn-"):
		return PartitionChina
	}
	return PartitionAWS
}

// Regions are the AWS regions as of the end of 2025, by partition: the commercial ones, then
// GovCloud (US) and China. A region outside this list may be new; it is never refused, only priced
// from a pricing file.
var Regions = map[string][]string{
	PartitionAWS: {"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
		"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
		"ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1",
		"eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
		"il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2",
		"us-west-1", "us-west-2"},
	PartitionGovCloud: {"us-gov-east-1", "us-gov-west-1"},
	PartitionChina:    {"cn-north-1", "cn-northwest-1"},
}

// IsKnownRegion reports whether region is in Regions.
func IsKnownRegion(region string) bool {
	return slices.Contains(Regions[Partition(region)], region)
}

// Stale reports whether the table is older than a year on day now: prices change, and a review
// priced from an old table says so.
func (p *Prices) Stale(now time.Time) bool {
	d, err := time.Parse("2006-01", p.Date)
	if err != nil {
		if d, err = time.Parse("2006-01-02", p.Date); err != nil {
			return false
		}
	}
	return now.Sub(d) > 366*24*time.Hour
}

// InterfaceDataCost is the data processing charge of interface endpoints for gb GB in one region and
// month: each GB at the price of the tier it falls in, tiers counted cumulatively (the first 1 PB at
// $0.01, the next 4 PB at $0.006, the rest at $0.004 by default). The result is not rounded.
func (p *Prices) InterfaceDataCost(gb float64) float64 {
	if !(gb > 0) {
		return 0
	}
	var cost, lo float64
	for _, t := range p.InterfaceEndpointTiers {
		if t.UpToGB == 0 || gb <= t.UpToGB {
			return cost + (gb-lo)*t.PerGB
		}
		cost += (t.UpToGB - lo) * t.PerGB
		lo = t.UpToGB
	}
	return cost // a table without an unlimited last tier: nothing known to charge above it
}

// Cents rounds a dollar amount to the cent, half away from zero.
//
// Money is computed in float64 and rounded only at the edges, the figures handed to a report: a
// product such as 0.045 × 730 is not exact in binary (32.849999…), and rounding intermediate values
// would accumulate errors, while rounding the result once gives the figure a person computing by hand
// gets (77.85, not 77.84999999999999). An amount that is exactly a half cent in decimal (0.045 ×
// 0.1 = 0.0045) may round either way, as its binary value lies just above or below; a one-cent
// difference there is below anything an estimate can claim.
func Cents(x float64) float64 { return math.Round(x*100) / 100 }
