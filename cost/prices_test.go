package cost

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDefaultPrices(t *testing.T) {
	p := DefaultPrices()
	if p.Date != "2025-06" || p.Source == "" {
		t.Errorf("Date %q, Source %q", p.Date, p.Source)
	}
	want := map[string]float64{
		"us-east-1": 0.045, "us-east-2": 0.045, "us-west-1": 0.048, "us-west-2": 0.045, "eu-west-1": 0.048,
		"eu-west-2": 0.05, "eu-west-3": 0.05, "ca-central-1": 0.05, "eu-central-1": 0.052,
		"eu-north-1": 0.046, "ap-south-1": 0.056, "ap-southeast-1": 0.059, "ap-southeast-2": 0.059,
		"ap-northeast-2": 0.059, "ap-northeast-1": 0.062, "ap-northeast-3": 0.062, "ap-east-1": 0.065,
		"sa-east-1": 0.093,
	}
	if len(p.Regions) != len(want) {
		t.Errorf("%d regions, want %d", len(p.Regions), len(want))
	}
	for name, price := range want {
		rp, err := p.Region(name)
		if err != nil {
			t.Error(err)
			continue
		}
		if rp.NATHour != price || rp.NATPerGB != price {
			t.Errorf("%s: %+v, want %v for both", name, rp, price)
		}
	}
	if p.InterfaceEndpointHour != 0.01 || p.InterAZPerGB != 0.01 || p.InternetEgressPerGB != 0.09 {
		t.Errorf("endpoint hour %v, inter-AZ %v, egress %v", p.InterfaceEndpointHour, p.InterAZPerGB, p.InternetEgressPerGB)
	}
	// Each call is a copy: changing one does not change the next.
	p.Regions["us-east-1"] = RegionPrices{NATHour: 1, NATPerGB: 1}
	p.InterfaceEndpointTiers[0].PerGB = 1
	if q := DefaultPrices(); q.Regions["us-east-1"].NATHour != 0.045 || q.InterfaceEndpointTiers[0].PerGB != 0.01 {
		t.Error("DefaultPrices shares state between calls")
	}
}

func TestRegionUnknown(t *testing.T) {
	_, err := DefaultPrices().Region("mars-north-1")
	if err == nil {
		t.Fatal("no error")
	}
	for _, s := range []string{`"mars-north-1"`, "2025-06", "ap-east-1, ap-northeast-1", "us-east-1", "sa-east-1",
		"not a region flowlens knows", "flowlens prices fetch --region mars-north-1", "--pricing"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %s", err, s)
		}
	}
	var me *MissingPriceError
	if !errors.As(err, &me) || me.Region != "mars-north-1" {
		t.Errorf("not a *MissingPriceError: %T", err)
	}
	for region, want := range map[string]string{"cn-north-1": "AWS China", "us-gov-west-1": "GovCloud", "me-central-1": "prices fetch"} {
		_, err := DefaultPrices().Region(region)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "not a region flowlens knows") {
			t.Errorf("%s: %v", region, err)
		}
	}
}

// TestRegions: every region of the embedded table is a known commercial region, the partitions
// are told apart by prefix, and the list has no duplicates.
func TestRegions(t *testing.T) {
	p := DefaultPrices()
	for name := range p.Regions {
		if !IsKnownRegion(name) || Partition(name) != PartitionAWS {
			t.Errorf("%s: known %v, partition %s", name, IsKnownRegion(name), Partition(name))
		}
	}
	for part, names := range Regions {
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] || Partition(n) != part {
				t.Errorf("%s: duplicate or in partition %s, listed under %s", n, Partition(n), part)
			}
			seen[n] = true
		}
	}
	if len(Regions[PartitionAWS]) < 34 || !IsKnownRegion("us-west-2") || IsKnownRegion("us-west-9") {
		t.Errorf("commercial regions: %d", len(Regions[PartitionAWS]))
	}
}

func TestStale(t *testing.T) {
	p := DefaultPrices() // 2025-06
	if p.Stale(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)) || !p.Stale(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) {
		t.Error("2025-06 is stale after mid-2026 and not before")
	}
	p.Date = "2026-12-01"
	if p.Stale(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) {
		t.Error("a table of this month is not stale")
	}
	p.Date = "sometime"
	if p.Stale(time.Now()) {
		t.Error("an unreadable date is not called stale")
	}
}

func TestInterfaceDataCost(t *testing.T) {
	p := DefaultPrices()
	f := func(gb, want float64) {
		t.Helper()
		if got := Cents(p.InterfaceDataCost(gb)); got != want {
			t.Errorf("InterfaceDataCost(%v) = %v, want %v", gb, got, want)
		}
	}
	f(-5, 0)
	f(0, 0)
	f(1000, 10)
	f(1e6, 10000)               // exactly 1 PB: all in the first tier
	f(1e6+1, 10000.01)          // 1 GB over: one GB at $0.006 → 10000.006 → 10000.01
	f(1.5e6, 10000+0.5e6*0.006) // across the 1 PB boundary: 13000
	f(5e6, 10000+4e6*0.006)     // 34000
	f(6e6, 10000+24000+1e6*0.004)
	f(1e6+1000, 10006)
}

func TestCents(t *testing.T) {
	f := func(x, want float64) {
		t.Helper()
		if got := Cents(x); got != want {
			t.Errorf("Cents(%v) = %v, want %v", x, got, want)
		}
	}
	f(0.045*730, 32.85) // 32.849999999999994 in float64
	f(0.045*730+1000*0.045, 77.85)
	f(77.85-7.3, 70.55)
	f(-18.400000001, -18.4)
	f(0.126, 0.13)
	f(0, 0)
}

func TestLoadPrices(t *testing.T) {
	p, err := LoadPrices(strings.NewReader(`{
		"date": "2026-01",
		"regions": {
			"eu-west-1": {"nat_hour": 0.05},
			"me-south-1": {"nat_hour": 0.054, "nat_per_gb": 0.055},
			"us-east-2": {"regional_nat_hour": 0.05}
		},
		"interface_endpoint_tiers": [{"up_to_gb": 1000, "per_gb": 0.02}, {"up_to_gb": 0, "per_gb": 0.001}]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Date != "2026-01" || p.Source != defaultPrices.Source {
		t.Errorf("Date %q Source %q", p.Date, p.Source)
	}
	f := func(region string, want RegionPrices) {
		t.Helper()
		got, err := p.Region(region)
		if err != nil || got != want {
			t.Errorf("Region(%s) = %+v, %v; want %+v", region, got, err, want)
		}
	}
	f("eu-west-1", RegionPrices{NATHour: 0.05, NATPerGB: 0.048})   // one field overridden
	f("me-south-1", RegionPrices{NATHour: 0.054, NATPerGB: 0.055}) // new region
	f("us-east-1", RegionPrices{NATHour: 0.045, NATPerGB: 0.045})  // untouched
	f("us-east-2", RegionPrices{NATHour: 0.045, NATPerGB: 0.045, RegionalNATHour: 0.05})
	if p.InterfaceEndpointHour != 0.01 || p.InternetEgressPerGB != 0.09 {
		t.Error("defaults not kept")
	}
	if got := Cents(p.InterfaceDataCost(3000)); got != 22 { // 1000 × 0.02 + 2000 × 0.001
		t.Errorf("tiers from file: %v, want 22", got)
	}
	if DefaultPrices().Regions["eu-west-1"].NATHour != 0.048 {
		t.Error("LoadPrices changed the defaults")
	}

	// The override changes the estimate: 0.05 × 730 + 1000 × 0.048 = 84.50.
	e, err := EstimateCost(EstimateInput{NATGB: 1000, Hours: 730, Region: "eu-west-1"}, p)
	if err != nil || e.NATTotal != 84.5 {
		t.Errorf("estimate with overridden eu-west-1: %+v, %v", e, err)
	}

	empty, err := LoadPrices(strings.NewReader(`{}`))
	if err != nil || empty.Date != "2025-06" || len(empty.Regions) != len(defaultPrices.Regions) {
		t.Errorf("empty file: %+v, %v", empty, err)
	}
}

func TestLoadPricesErrors(t *testing.T) {
	for _, in := range []string{
		``,
		`[]`,
		`{"regoins": {}}`, // typo: unknown field
		`{"regions": {"eu-west-1": {"nat_hourly": 0.05}}}`,
		`{"regions": {"me-south-1": {"nat_hour": 0.054}}}`, // new region, one price
		`{"regions": {"eu-west-1": {"nat_hour": -1}}}`,
		`{"interface_endpoint_hour": -0.01}`,
		`{"interface_endpoint_tiers": []}`,
		`{"interface_endpoint_tiers": [{"up_to_gb": 1000, "per_gb": 0.01}]}`,                               // no unlimited tier
		`{"interface_endpoint_tiers": [{"up_to_gb": 0, "per_gb": 0.01}, {"up_to_gb": 0, "per_gb": 0.01}]}`, // unlimited not last
		`{"interface_endpoint_tiers": [{"up_to_gb": 10, "per_gb": 0.01}, {"up_to_gb": 5, "per_gb": 0.01}, {"up_to_gb": 0, "per_gb": 0}]}`, // not ascending
		`{"interface_endpoint_tiers": [{"per_gb": 0.01}]}`,
	} {
		if _, err := LoadPrices(strings.NewReader(in)); err == nil {
			t.Errorf("LoadPrices(%s): no error", in)
		}
	}
}

// TestPricesFile: the embedded table is a pricing file that LoadPrices reads, so that a fetched file
// (flowlens prices fetch -o cost/prices.json) can replace it whole.
func TestPricesFile(t *testing.T) {
	p, err := readPrices(&Prices{}, bytes.NewReader(pricesJSON))
	if err != nil || p.Date != "2025-06" || len(p.Regions) != 18 || len(p.InterfaceEndpointTiers) != 3 {
		t.Fatalf("embedded prices.json: %+v, %v", p, err)
	}
	if q, err := LoadPrices(bytes.NewReader(pricesJSON)); err != nil || q.Regions["us-west-2"] != p.Regions["us-west-2"] {
		t.Errorf("the embedded file as a --pricing file: %v", err)
	}
}
