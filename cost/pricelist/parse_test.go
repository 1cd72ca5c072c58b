package pricelist

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestParseEntry(t *testing.T) {
	p, err := parseEntry(natEntry("us-east-2", "USE2-NatGateway-Hours", "Hrs", "0.0450000000"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Family != "NAT Gateway" || p.Attributes["regionCode"] != "us-east-2" || p.Unit != "Hrs" {
		t.Errorf("family %q, attributes %v, unit %q", p.Family, p.Attributes, p.Unit)
	}
	if want := []priceTier{{0, math.Inf(1), 0.045}}; !slices.Equal(p.Tiers, want) {
		t.Errorf("tiers %v, want %v", p.Tiers, want)
	}
	if v, err := p.flat(unitHours); v != 0.045 || err != nil {
		t.Errorf("flat(hours) = %v, %v", v, err)
	}
	if _, err := p.flat(unitGB); err == nil || !strings.Contains(err.Error(), `unit "Hrs"`) {
		t.Errorf("flat(GB) of an hourly price: %v", err)
	}

	// Tiers come in map order; parseEntry sorts them.
	p, err = parseEntry(priceEntry("AmazonVPC", "VpcEndpoint", map[string]string{"usagetype": "USE1-VpcEndpoint-Bytes", "regionCode": "us-east-1"},
		"GB", [][3]string{{"5000000", "Inf", "0.004"}, {"0", "1000000", "0.01"}, {"1000000", "5000000", "0.006"}}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []priceTier{{0, 1e6, 0.01}, {1e6, 5e6, 0.006}, {5e6, math.Inf(1), 0.004}}; !slices.Equal(p.Tiers, want) {
		t.Errorf("tiers %v, want %v", p.Tiers, want)
	}
	if _, err := p.flat(unitGB); err == nil || !strings.Contains(err.Error(), "3 price tiers") {
		t.Errorf("flat of a tiered price: %v", err)
	}

	// The free tier first: firstPaid skips it.
	p, err = parseEntry(priceEntry("AWSDataTransfer", "Data Transfer", map[string]string{"usagetype": "USE1-DataTransfer-Out-Bytes"},
		"GB", [][3]string{{"0", "100", "0.0000000000"}, {"100", "10240", "0.0900000000"}, {"10240", "Inf", "0.085"}}))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := p.firstPaid(unitGB); v != 0.09 || err != nil {
		t.Errorf("firstPaid = %v, %v", v, err)
	}
}

func TestParseEntryErrors(t *testing.T) {
	attrs := map[string]string{"usagetype": "USE1-VpcEndpoint-Bytes", "regionCode": "us-east-1"}
	for _, tc := range []struct {
		name, entry, want string
	}{
		{"not JSON", `{"product": {"productFamily": "NAT Gateway"`, "not a price list entry"},
		{"a JSON string", `"NAT Gateway"`, "not a price list entry"},
		{"no product", `{"terms": {}}`, `no "product"`},
		{"no usagetype", `{"product": {"productFamily": "NAT Gateway", "attributes": {"regionCode": "us-east-1"}}}`, `no "usagetype"`},
		{"no terms", `{"product": {"productFamily": "NAT Gateway", "attributes": {"usagetype": "NatGateway-Hours"}}}`, "no OnDemand price dimension"},
		{"a price that is no number", natEntry("ap-south-1", "APS3-NatGateway-Bytes", "GB", "n/a"), `"n/a" is not a non-negative number`},
		{"a negative price", natEntry("ap-south-1", "APS3-NatGateway-Bytes", "GB", "-0.1"), `"-0.1" is not`},
		{"no USD", strings.Replace(natEntry("cn-north-1", "CNN1-NatGateway-Hours", "Hrs", "0.4"), `"USD"`, `"CNY"`, 1), "no USD price"},
		{"a gap between tiers", priceEntry("AmazonVPC", "VpcEndpoint", attrs, "GB", [][3]string{{"0", "1000000", "0.01"}, {"2000000", "Inf", "0.006"}}),
			"not contiguous"},
		{"overlapping tiers", priceEntry("AmazonVPC", "VpcEndpoint", attrs, "GB", [][3]string{{"0", "Inf", "0.01"}, {"0", "Inf", "0.006"}}),
			"not contiguous"},
		{"no Inf", priceEntry("AmazonVPC", "VpcEndpoint", attrs, "GB", [][3]string{{"0", "1000000", "0.01"}}), "ends at 1e+06, not Inf"},
		{"a bad endRange", priceEntry("AmazonVPC", "VpcEndpoint", attrs, "GB", [][3]string{{"0", "lots", "0.01"}}), `endRange: "lots"`},
	} {
		_, err := parseEntry(tc.entry)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one with %q", tc.name, err, tc.want)
		}
	}
}

func TestUsageIs(t *testing.T) {
	for _, tc := range []struct {
		usage, kind string
		want        bool
	}{
		{"NatGateway-Hours", "NatGateway-Hours", true},
		{"USE2-NatGateway-Hours", "NatGateway-Hours", true},
		{"USE2-RegionalNatGateway-Hours", "NatGateway-Hours", false},
		{"RegionalNatGateway-Hours", "NatGateway-Hours", false},
		{"RegionalNatGateway-Hours", "RegionalNatGateway-Hours", true},
		{"EUC1-RegionalNatGateway-Bytes", "RegionalNatGateway-Bytes", true},
		{"USE1-VpcEndpoint-GWLBE-Hours", "VpcEndpoint-Hours", false},
		{"USE2-NatGateway-Hours", "NatGateway-Bytes", false},
	} {
		if got := usageIs(tc.usage, tc.kind); got != tc.want {
			t.Errorf("usageIs(%q, %q) = %v", tc.usage, tc.kind, got)
		}
	}
}
