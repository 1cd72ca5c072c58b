package pricelist

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"strings"
)

// locations are the location attribute of the regions the tests use.
var locations = map[string]string{
	"us-east-1":     "US East (N. Virginia)",
	"us-east-2":     "US East (Ohio)",
	"eu-central-1":  "EU (Frankfurt)",
	"ap-south-1":    "Asia Pacific (Mumbai)",
	"sa-east-1":     "South America (Sao Paulo)",
	"us-gov-west-1": "AWS GovCloud (US-West)",
}

// priceEntry returns a PriceList entry as GetProducts sends it, a JSON document in a string: one
// product with attrs and one OnDemand term whose price dimensions are tiers of beginRange, endRange
// and USD price per unit.
func priceEntry(service, family string, attrs map[string]string, unit string, tiers [][3]string) string {
	h := fnv.New64a()
	fmt.Fprint(h, service, family, attrs)
	sku := strings.ToUpper(fmt.Sprintf("%016x", h.Sum64()))
	a := maps.Clone(attrs)
	a["servicecode"] = service
	dims := map[string]any{}
	for i, t := range tiers {
		rate := fmt.Sprintf("%s.JRTCKXETXF.%d", sku, i)
		dims[rate] = map[string]any{
			"unit": unit, "beginRange": t[0], "endRange": t[1], "pricePerUnit": map[string]string{"USD": t[2]},
			"description": fmt.Sprintf("$%s per %s (%s)", t[2], unit, a["usagetype"]), "appliesTo": []string{}, "rateCode": rate,
		}
	}
	doc := map[string]any{
		"product":     map[string]any{"productFamily": family, "attributes": a, "sku": sku},
		"serviceCode": service,
		"terms": map[string]any{"OnDemand": map[string]any{sku + ".JRTCKXETXF": map[string]any{
			"priceDimensions": dims, "sku": sku, "offerTermCode": "JRTCKXETXF",
			"effectiveDate": "2026-12-01T00:00:00Z", "termAttributes": map[string]string{},
		}}},
		"version":         "20261201000000",
		"publicationDate": "2026-12-01T00:00:00Z",
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// natAttrs are the attributes of a NAT gateway product.
func natAttrs(region, usage string) map[string]string {
	op, group := "NatGateway", "NGW:NatGateway"
	if strings.Contains(usage, "Regional") {
		op, group = "RegionalNatGateway", "NGW:RegionalNatGateway"
	}
	return map[string]string{
		"usagetype": usage, "regionCode": region, "location": locations[region], "locationType": "AWS Region",
		"group": group, "operation": op, "servicename": "Amazon Elastic Compute Cloud",
	}
}

// natEntry is a NAT gateway price with a single tier.
func natEntry(region, usage, unit, price string) string {
	return priceEntry("AmazonEC2", "NAT Gateway", natAttrs(region, usage), unit, [][3]string{{"0", "Inf", price}})
}
