package pricelist

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/aws/aws-sdk-go-v2/service/pricing/types"
	"github.com/aws/smithy-go"
)

// APIRegions are the regions whose endpoints serve the Price List API. They all answer with the
// prices of every region.
var APIRegions = []string{"us-east-1", "eu-central-1", "ap-south-1"}

// DefaultAPIRegion is the Price List API endpoint Fetch calls when Options.Region is empty.
const DefaultAPIRegion = "us-east-1"

// BaseRegion is the region whose interface endpoint, inter-AZ and internet egress prices make the
// table's single figures when Options.Regions is empty.
const BaseRegion = "us-east-1"

// Options say which Price List API endpoint to call, with which credentials, and which regions to
// price.
type Options struct {
	// Region is the region of the Price List API endpoint, one of APIRegions; "" means
	// DefaultAPIRegion. It is not a region to price (see Regions).
	Region string
	// Profile is a profile of the shared AWS config and credentials files; "" means the standard
	// credential chain's default (AWS_PROFILE, environment variables, SSO, container and instance
	// roles).
	Profile string
	// EndpointURL replaces the API endpoint, for tests and proxies: "http://127.0.0.1:8080".
	EndpointURL string
	// Regions are the region codes to price ("eu-west-1"). Empty means every region the API returns
	// NAT gateway prices for. The first one, or BaseRegion when empty, gives the interface endpoint,
	// inter-AZ and internet egress prices.
	Regions []string
}

// File is a price table in the format of flowlens's --pricing file (cost.LoadPrices reads it).
// Encode writes it; a figure the API did not give is left out, so the reader keeps its default.
type File struct {
	// Date is the day of the fetch, "2026-12-07" (UTC).
	Date string `json:"date,omitempty"`
	// Source names the API, the products read and the day.
	Source string `json:"source,omitempty"`
	// Regions holds the NAT gateway prices by region code; only regions with both zonal prices.
	Regions map[string]Region `json:"regions,omitempty"`
	// InterfaceEndpointHour is the price of an interface endpoint in one AZ for one hour.
	InterfaceEndpointHour *float64 `json:"interface_endpoint_hour,omitempty"`
	// InterfaceEndpointTiers are the tiered per-GB prices of interface endpoints; the last has
	// UpToGB 0 (no limit).
	InterfaceEndpointTiers []Tier `json:"interface_endpoint_tiers,omitempty"`
	// InterAZPerGB is the per-GB price of traffic between AZs of a region, in one direction.
	InterAZPerGB *float64 `json:"inter_az_per_gb,omitempty"`
	// InternetEgressPerGB is the first paid tier of data transfer out to the internet.
	InternetEgressPerGB *float64 `json:"internet_egress_per_gb,omitempty"`
	// The transfer section's prices, in the schema of a pricing file; Fetch does not ask for them
	// (yet), so they are left out and a reader keeps its defaults.
	InternetEgressTiers  []Tier             `json:"internet_egress_tiers,omitempty"`
	InternetEgressFreeGB *float64           `json:"internet_egress_free_gb,omitempty"`
	InterRegionPerGB     *float64           `json:"inter_region_per_gb,omitempty"`
	InterRegionPairs     map[string]float64 `json:"inter_region_pairs,omitempty"`
	TransitGatewayPerGB  *float64           `json:"transit_gateway_per_gb,omitempty"`
	PublicIPv4Hour       *float64           `json:"public_ipv4_hour,omitempty"`

	// Warnings say what was skipped or left out, and why: entries that could not be read, regions
	// with only one of the two NAT gateway prices, regions asked for and not found. They are not
	// part of the file.
	Warnings []string `json:"-"`
	// Skipped counts the PriceList entries that could not be read; each has a warning.
	Skipped int `json:"-"`
}

// Region is the NAT gateway prices of one region.
type Region struct {
	// NATHour is the price of a zonal NAT gateway for one hour.
	NATHour float64 `json:"nat_hour"`
	// NATPerGB is the price of each GB a NAT gateway processes (zonal and regional alike).
	NATPerGB float64 `json:"nat_per_gb"`
	// RegionalNATHour is the price of a regional NAT gateway per active AZ and hour, when the
	// region has regional NAT gateways.
	RegionalNATHour *float64 `json:"regional_nat_hour,omitempty"`
}

// Tier is one step of the tiered interface endpoint per-GB price.
type Tier struct {
	// UpToGB is the cumulative volume in GB up to which PerGB applies; 0 means no limit.
	UpToGB float64 `json:"up_to_gb"`
	// PerGB is the price of each GB in the tier.
	PerGB float64 `json:"per_gb"`
}

// Encode writes f as a pricing file: indented JSON and a final newline.
func (f *File) Encode(w io.Writer) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("pricelist: encoding the price file: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// now is the clock of the fetch date; tests replace it.
var now = time.Now

// Fetch asks the AWS Price List API (GetProducts, every page) for the current NAT gateway, interface
// endpoint and data transfer prices and returns them as a pricing file. Credentials come from the
// standard AWS chain (opts.Profile selects a profile). Entries it cannot read are skipped with a
// warning in File.Warnings; it fails when the API fails or when no region has both NAT gateway
// prices.
func Fetch(ctx context.Context, opts Options) (*File, error) {
	apiRegion := cmp.Or(opts.Region, DefaultAPIRegion)
	if opts.EndpointURL == "" && !slices.Contains(APIRegions, apiRegion) {
		return nil, fmt.Errorf("pricelist: the AWS Price List API has no endpoint in %q; it is served in %s (the regions to price are Options.Regions)",
			apiRegion, strings.Join(APIRegions, ", "))
	}
	var regions []string
	for _, r := range opts.Regions {
		if r = strings.TrimSpace(r); r != "" && !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	chain := "the standard AWS credential chain"
	if opts.Profile != "" {
		chain = fmt.Sprintf("the standard AWS credential chain with profile %q", opts.Profile)
	}
	lo := []func(*config.LoadOptions) error{config.WithRegion(apiRegion)}
	if opts.Profile != "" {
		lo = append(lo, config.WithSharedConfigProfile(opts.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return nil, fmt.Errorf("pricelist: loading the AWS configuration for the Price List API (%s): %w", chain, err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("pricelist: no credentials for the AWS Price List API from %s: %w", chain, err)
	}
	if creds.Source != "" {
		chain += " (" + creds.Source + ")"
	}
	f := &fetcher{
		client: pricing.NewFromConfig(cfg, func(o *pricing.Options) {
			if opts.EndpointURL != "" {
				o.BaseEndpoint = aws.String(opts.EndpointURL)
			}
		}),
		endpoint: cmp.Or(opts.EndpointURL, "region "+apiRegion),
		chain:    chain,
		file:     &File{Date: now().UTC().Format(time.DateOnly)},
	}
	if err := f.fetch(ctx, regions); err != nil {
		return nil, err
	}
	return f.file, nil
}

// fetcher runs the queries of one Fetch and fills its file.
type fetcher struct {
	client   pricing.GetProductsAPIClient
	endpoint string // the API endpoint, for errors
	chain    string // where the credentials came from, for errors
	file     *File
}

// query is one GetProducts query: a service code and TERM_MATCH filters, field then value.
type query struct {
	service string
	what    string // what is asked, for warnings: "NAT Gateway"
	filters [][2]string
}

func (q query) String() string {
	var b strings.Builder
	b.WriteString(q.service)
	for _, f := range q.filters {
		fmt.Fprintf(&b, " %s=%q", f[0], f[1])
	}
	return b.String()
}

func (f *fetcher) fetch(ctx context.Context, regions []string) error {
	base := BaseRegion
	if len(regions) > 0 {
		base = regions[0]
	}
	if err := f.nat(ctx, regions); err != nil {
		return err
	}
	if err := f.endpoints(ctx, base); err != nil {
		return err
	}
	if err := f.transfer(ctx, base); err != nil {
		return err
	}
	f.file.Source = "AWS Price List API (GetProducts), AmazonEC2 NAT Gateway, AmazonVPC VpcEndpoint, AWSDataTransfer; fetched " + f.file.Date
	if base != BaseRegion {
		f.file.Source += "; interface endpoint and data transfer prices of " + base
	}
	return nil
}

// natPrices are the NAT gateway prices seen for one region.
type natPrices struct {
	hour, perGB, regionalHour, regionalPerGB *float64
}

// nat fills the file's regions: one query per region asked, or one for all.
func (f *fetcher) nat(ctx context.Context, regions []string) error {
	seen := map[string]*natPrices{}
	handle := func(p product) error {
		region := p.Attributes["regionCode"]
		if region == "" {
			return errors.New(`no "regionCode" attribute`)
		}
		if p.Family != "NAT Gateway" || len(regions) > 0 && !slices.Contains(regions, region) {
			return nil // not asked for
		}
		np := seen[region]
		if np == nil {
			np = &natPrices{}
			seen[region] = np
		}
		usage := p.Attributes["usagetype"]
		switch {
		case usageIs(usage, "NatGateway-Hours"):
			return setPrice(&np.hour, p, unitHours)
		case usageIs(usage, "NatGateway-Bytes"):
			return setPrice(&np.perGB, p, unitGB)
		case usageIs(usage, "RegionalNatGateway-Hours"):
			return setPrice(&np.regionalHour, p, unitHours)
		case usageIs(usage, "RegionalNatGateway-Bytes"):
			return setPrice(&np.regionalPerGB, p, unitGB)
		}
		return nil // another NAT gateway usage type: not a price the file carries
	}
	if len(regions) == 0 {
		q := query{service: "AmazonEC2", what: "NAT Gateway", filters: [][2]string{{"productFamily", "NAT Gateway"}}}
		if err := f.query(ctx, q, handle); err != nil {
			return err
		}
	}
	for _, r := range regions {
		q := query{service: "AmazonEC2", what: "NAT Gateway", filters: [][2]string{{"productFamily", "NAT Gateway"}, {"regionCode", r}}}
		if err := f.query(ctx, q, handle); err != nil {
			return err
		}
	}
	for _, r := range regions {
		if seen[r] == nil {
			f.warnf("region %s: the API has no NAT gateway prices for it; left out", r)
		}
	}
	f.file.Regions = map[string]Region{}
	for _, r := range slices.Sorted(maps.Keys(seen)) {
		np := seen[r]
		switch {
		case np.hour == nil && np.perGB == nil:
			f.warnf("region %s: only regional NAT gateway prices, no zonal nat_hour and nat_per_gb; left out", r)
			continue
		case np.hour == nil:
			f.warnf("region %s: a NAT gateway per-GB price (%v) but no hourly price; left out (a region needs both)", r, *np.perGB)
			continue
		case np.perGB == nil:
			f.warnf("region %s: a NAT gateway hourly price (%v) but no per-GB price; left out (a region needs both)", r, *np.hour)
			continue
		}
		rp := Region{NATHour: *np.hour, NATPerGB: *np.perGB, RegionalNATHour: np.regionalHour}
		if np.regionalPerGB != nil && *np.regionalPerGB != *np.perGB {
			f.warnf("region %s: the regional NAT gateway per-GB price %v differs from the zonal %v; the file gives the zonal one", r, *np.regionalPerGB, *np.perGB)
		}
		f.file.Regions[r] = rp
	}
	if len(f.file.Regions) == 0 {
		asked := "any region"
		if len(regions) > 0 {
			asked = strings.Join(regions, ", ")
		}
		msg := fmt.Sprintf("pricelist: the AWS Price List API at %s gave no NAT gateway prices (AmazonEC2, productFamily \"NAT Gateway\") for %s", f.endpoint, asked)
		if len(f.file.Warnings) > 0 {
			msg += ": " + strings.Join(f.file.Warnings, "; ")
		}
		return errors.New(msg)
	}
	return nil
}

// endpoints sets the interface endpoint prices from the base region's.
func (f *fetcher) endpoints(ctx context.Context, base string) error {
	var hour *float64
	var tiers []Tier
	q := query{service: "AmazonVPC", what: "VpcEndpoint", filters: [][2]string{{"productFamily", "VpcEndpoint"}, {"regionCode", base}}}
	err := f.query(ctx, q, func(p product) error {
		if p.Family != "VpcEndpoint" || p.Attributes["regionCode"] != base {
			return nil
		}
		usage := p.Attributes["usagetype"]
		switch {
		case usageIs(usage, "VpcEndpoint-Hours"):
			return setPrice(&hour, p, unitHours)
		case usageIs(usage, "VpcEndpoint-Bytes"):
			if !unitIs(p.Unit, unitGB) {
				return fmt.Errorf("unit %q, want GB", p.Unit)
			}
			t := make([]Tier, len(p.Tiers))
			for i, pt := range p.Tiers {
				t[i] = Tier{UpToGB: pt.End, PerGB: pt.PerUnit}
				if math.IsInf(pt.End, 1) {
					t[i].UpToGB = 0
				}
			}
			if tiers != nil && !slices.Equal(tiers, t) {
				return fmt.Errorf("second per-GB price %v, the first was %v; kept the first", t, tiers)
			}
			tiers = t
		}
		return nil
	})
	if err != nil {
		return err
	}
	f.file.InterfaceEndpointHour = hour
	f.file.InterfaceEndpointTiers = tiers
	if hour == nil {
		f.warnf("%s: no interface endpoint hourly price (usagetype VpcEndpoint-Hours); left out", base)
	}
	if tiers == nil {
		f.warnf("%s: no interface endpoint per-GB price (usagetype VpcEndpoint-Bytes); left out", base)
	}
	return nil
}

// transfer sets the inter-AZ and internet egress prices from the base region's.
func (f *fetcher) transfer(ctx context.Context, base string) error {
	var interAZ, egress *float64
	firstPaid := func(dst **float64, p product) error {
		v, err := p.firstPaid(unitGB)
		if err != nil {
			return err
		}
		if *dst != nil && **dst != v {
			return fmt.Errorf("second price %v, the first was %v; kept the first", v, **dst)
		}
		*dst = &v
		return nil
	}
	q := query{service: "AWSDataTransfer", what: "IntraRegion", filters: [][2]string{{"transferType", "IntraRegion"}, {"fromRegionCode", base}}}
	err := f.query(ctx, q, func(p product) error {
		a := p.Attributes
		if a["transferType"] != "IntraRegion" || a["fromRegionCode"] != base || !usageIs(a["usagetype"], "DataTransfer-Regional-Bytes") {
			return nil
		}
		return firstPaid(&interAZ, p)
	})
	if err != nil {
		return err
	}
	q = query{service: "AWSDataTransfer", what: "AWS Outbound", filters: [][2]string{{"transferType", "AWS Outbound"}, {"fromRegionCode", base}, {"toLocation", "External"}}}
	err = f.query(ctx, q, func(p product) error {
		a := p.Attributes
		if a["transferType"] != "AWS Outbound" || a["fromRegionCode"] != base || a["toLocation"] != "External" || !usageIs(a["usagetype"], "DataTransfer-Out-Bytes") {
			return nil
		}
		return firstPaid(&egress, p)
	})
	if err != nil {
		return err
	}
	f.file.InterAZPerGB, f.file.InternetEgressPerGB = interAZ, egress
	if interAZ == nil {
		f.warnf("%s: no inter-AZ price (AWSDataTransfer IntraRegion, usagetype DataTransfer-Regional-Bytes); left out", base)
	}
	if egress == nil {
		f.warnf("%s: no internet egress price (AWSDataTransfer AWS Outbound to External, usagetype DataTransfer-Out-Bytes); left out", base)
	}
	return nil
}

// setPrice sets *dst to p's single price in unit, or fails when p has no such price or *dst already
// holds another one.
func setPrice(dst **float64, p product, unit string) error {
	v, err := p.flat(unit)
	if err != nil {
		return err
	}
	if *dst != nil && **dst != v {
		return fmt.Errorf("second price %v, the first was %v; kept the first", v, **dst)
	}
	*dst = &v
	return nil
}

// pageSize is the most GetProducts returns in one page.
const pageSize = 100

// query runs q through every page and hands each entry to handle. An entry that does not parse, or
// that handle rejects, is skipped with a warning.
func (f *fetcher) query(ctx context.Context, q query, handle func(product) error) error {
	in := &pricing.GetProductsInput{
		ServiceCode:   aws.String(q.service),
		FormatVersion: aws.String("aws_v1"),
		MaxResults:    aws.Int32(pageSize),
	}
	for _, fl := range q.filters {
		in.Filters = append(in.Filters, types.Filter{Type: types.FilterTypeTermMatch, Field: aws.String(fl[0]), Value: aws.String(fl[1])})
	}
	pg := pricing.NewGetProductsPaginator(f.client, in)
	for page := 1; pg.HasMorePages(); page++ {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return f.apiError(q, page, err)
		}
		for i, s := range out.PriceList {
			p, err := parseEntry(s)
			if err == nil {
				err = handle(p)
			}
			if err != nil {
				f.file.Skipped++
				what := ""
				if u := p.Attributes["usagetype"]; u != "" {
					what = fmt.Sprintf(" (usagetype %s, regionCode %s)", u, p.Attributes["regionCode"])
				}
				f.warnf("%s %s: page %d entry %d%s skipped: %v: %s", q.service, q.what, page, i+1, what, err, abbrev(s, 160))
			}
		}
	}
	return nil
}

// apiError says which call failed, where and with which credentials.
func (f *fetcher) apiError(q query, page int, err error) error {
	hint := ""
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch code := ae.ErrorCode(); {
		case strings.Contains(code, "AccessDenied"):
			hint = "; the credentials need the IAM permission pricing:GetProducts"
		case code == "UnrecognizedClientException" || code == "InvalidClientTokenId" || code == "InvalidSignatureException" ||
			code == "ExpiredTokenException" || code == "SignatureDoesNotMatch" || code == "MissingAuthenticationTokenException":
			hint = "; the credentials were not accepted: check the access key, the session token or the profile"
		}
	}
	return fmt.Errorf("pricelist: the AWS Price List API GetProducts at %s (%s, page %d) failed, with credentials from %s: %w%s",
		f.endpoint, q, page, f.chain, err, hint)
}

func (f *fetcher) warnf(format string, args ...any) {
	f.file.Warnings = append(f.file.Warnings, fmt.Sprintf(format, args...))
}

// abbrev shortens s to at most n runes for a message.
func abbrev(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
