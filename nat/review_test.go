package nat_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/cost"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/nat"
)

// TestHours: NAT hours are started hours, as AWS bills them.
func TestHours(t *testing.T) {
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Unix()
	h := int64(3600)
	for _, c := range []struct {
		name string
		span nat.Span
		want float64
	}{
		{"a one-day range", nat.Span{From: day, To: day + 24*h, FirstStart: day + 10, LastStart: day + 24*h - 5}, 24},
		{"an 08:00-09:00 range", nat.Span{From: day + 8*h, To: day + 9*h, FirstStart: day + 8*h + 5, LastStart: day + 9*h - 30}, 1},
		{"records of 08:00-09:00", nat.Span{FirstStart: day + 8*h + 10, LastStart: day + 9*h - 60}, 1},
		{"records of a day", nat.Span{FirstStart: day, LastStart: day + 24*h - 1}, 24},
		{"records from 08:10 to 09:00:00", nat.Span{FirstStart: day + 8*h + 600, LastStart: day + 9*h}, 2},
		{"from given, records to 10:30", nat.Span{From: day + 8*h, FirstStart: day + 9*h, LastStart: day + 10*h + 1800}, 3},
		{"one instant", nat.Span{FirstStart: day + 100, LastStart: day + 100}, 1},
		{"no times", nat.Span{}, 0},
	} {
		if got := c.span.Hours(); got != c.want {
			t.Errorf("%s: %v hours, want %v", c.name, got, c.want)
		}
	}
}

// review runs the review's group-bys over the lines and builds it for the day of 2026-11-01.
func review(t *testing.T, lines string, cfg nat.Config) *nat.Review {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "flows.log"), []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := aggregate.New(aggregate.Config{Specs: nat.StandaloneSpecs(cfg.Gateways)})
	if err != nil {
		t.Fatal(err)
	}
	src, _ := flowlog.ExpandLocal([]string{dir})
	res, _, failed, err := aggregate.Run(context.Background(), e, src, flowlog.Options{}, 1, nil)
	if err != nil || len(failed) > 0 {
		t.Fatal(err, failed)
	}
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC) }
	r, err := nat.Build(res, cfg, nat.SpanOf(res, from, from.Add(24*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const natHeader = "interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr bytes start end region az-id flow-direction log-status\n"

// Two workloads in two other AZs send 300 GB and 100 GB to the internet through a NAT gateway in
// use1-az1, over one day.
const crossAZ = natHeader + `eni-0nat 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5 300000000000 1761991200 1761991260 us-east-1 use1-az1 ingress OK
eni-0nat 10.0.2.7 10.0.0.220 10.0.2.7 203.0.113.5 100000000000 1761991200 1761991260 us-east-1 use1-az1 ingress OK
eni-0w1 10.0.1.5 203.0.113.5 10.0.1.5 203.0.113.5 300000000000 1761991200 1761991260 us-east-1 use1-az2 egress OK
eni-0w2 10.0.2.7 203.0.113.5 10.0.2.7 203.0.113.5 100000000000 1761991200 1761991260 us-east-1 use1-az3 egress OK
`

// TestCrossAZ checks the review against figures computed by hand: inter-AZ transfer is billed in
// each direction, and a NAT gateway in each of the two other AZs pays for itself.
func TestCrossAZ(t *testing.T) {
	r := review(t, crossAZ, nat.Config{})
	if r.Status != nat.StatusOK || len(r.NATGateways) != 1 {
		t.Fatalf("status %s, %d gateways", r.Status, len(r.NATGateways))
	}
	g := r.NATGateways[0]
	eq := func(name string, got *float64, want float64) {
		t.Helper()
		if got == nil || *got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if g.Hours != 24 || g.ProcessedGB != 400 || g.CrossAZGB != 400 {
		t.Fatalf("hours %v, processed %v GB, cross-AZ %v GB", g.Hours, g.ProcessedGB, g.CrossAZGB)
	}
	eq("hours", g.NATHourlyCost, 1.08)                                     // 24 × 0.045
	eq("processing", g.NATProcessingCost, 18)                              // 400 × 0.045
	eq("cost", g.NATCost, 19.08)                                           //
	eq("cross-AZ", g.CrossAZCost, 8)                                       // 400 GB × 0.01 out + 0.01 in
	eq("monthly hours", g.MonthlyProjection.NATHourlyCost, 32.85)          // 730 × 0.045: the hourly rate × 730
	eq("monthly processing", g.MonthlyProjection.NATProcessingCost, 547.5) // 400 / 24 × 730 × 0.045
	if len(r.Recommendations) != 1 {
		t.Fatalf("recommendations %+v", r.Recommendations)
	}
	rec := r.Recommendations[0]
	// 12,166.667 GB a month × 0.02 = 243.33; two NAT gateways (az2, az3) × 730 × 0.045 = 65.70.
	if rec.Kind != "same_az_nat" || rec.MonthlyGB != 12166.666667 || rec.MonthlyCostUSD != 65.7 || rec.MonthlySavingUSD != 177.63 ||
		!strings.Contains(rec.Why, "2 other AZ(s)") {
		t.Errorf("same_az_nat %+v", rec)
	}
	if !strings.Contains(strings.Join(r.Assumptions.Notes, "\n"), "billed in each direction") || r.Assumptions.PriceTableStale {
		t.Errorf("notes %v, stale %v", r.Assumptions.Notes, r.Assumptions.PriceTableStale)
	}
}

// TestRegionalNAT: a regional NAT gateway (no subnet) is parsed, billed per active AZ at the
// regional hourly price, and gets no same-AZ advice.
func TestRegionalNAT(t *testing.T) {
	gws, err := nat.ParseDescribeNATGateways(strings.NewReader(`{"NatGateways":[{"NatGatewayId":"nat-0r1","VpcId":"vpc-1",
		"AvailabilityMode":"regional","Tags":[{"Key":"Name","Value":"egress"}],"NatGatewayAddresses":[
		{"NetworkInterfaceId":"eni-0nat","PrivateIp":"10.0.0.220","AvailabilityZoneId":"use1-az1"},
		{"NetworkInterfaceId":"eni-0nb","PrivateIp":"10.0.3.220","AvailabilityZoneId":"use1-az4"}]},
		{"NatGatewayId":"nat-0z","SubnetId":"subnet-1","AvailabilityZone":"us-east-1a","NatGatewayAddresses":[{"NetworkInterfaceId":"eni-0z","PrivateIp":"10.0.9.9"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(gws) != 3 || !gws[0].Regional || !gws[1].Regional || gws[2].Regional || gws[0].Name != "egress" || gws[1].AZ != "use1-az4" {
		t.Fatalf("parsed %+v", gws)
	}
	prices, err := cost.LoadPrices(strings.NewReader(`{"regions": {"us-east-1": {"regional_nat_hour": 0.05}}}`))
	if err != nil {
		t.Fatal(err)
	}
	r := review(t, crossAZ, nat.Config{Gateways: gws, Prices: prices})
	if len(r.NATGateways) != 1 {
		t.Fatalf("%d gateways", len(r.NATGateways))
	}
	g := r.NATGateways[0]
	if !g.Regional || g.GatewayID != "nat-0r1" || g.Name != "egress" || *g.NATHourlyCost != 1.2 /* 24 × 0.05 */ || *g.NATProcessingCost != 18 {
		t.Errorf("regional gateway %+v", g)
	}
	if len(r.Recommendations) != 0 {
		t.Errorf("advice for a regional NAT gateway: %+v", r.Recommendations)
	}
	if title := g.Title(); title != "nat-0r1 (egress) interface eni-0nat, regional" {
		t.Errorf("title %q", title)
	}
}

// TestMissingPrices: a region the table lacks gives a review with its bytes and null costs, and
// says which prices are missing and how to give them.
func TestMissingPrices(t *testing.T) {
	r := review(t, strings.ReplaceAll(crossAZ, "us-east-1", "me-central-1"), nat.Config{})
	if r.Status != nat.StatusNoPrices || len(r.Missing) != 1 || !strings.Contains(r.Missing[0], `"me-central-1"`) ||
		!strings.Contains(r.Missing[0], "flowlens prices fetch --region me-central-1") {
		t.Fatalf("status %s, missing %v", r.Status, r.Missing)
	}
	g := r.NATGateways[0]
	if g.ProcessedGB != 400 || g.NATCost != nil || g.NATHourlyCost != nil || g.CrossAZCost != nil || g.MonthlyProjection.NATCost != nil ||
		r.Total.NATCost != nil || r.Total.MonthlySavingsUSD != nil || len(r.Recommendations) != 0 {
		t.Errorf("costs of an unpriced region: %+v %+v", g, r.Total)
	}
	var b strings.Builder
	r.WriteTable(&b)
	if !strings.HasPrefix(b.String(), "CANNOT TELL: no NAT gateway prices") || !strings.Contains(b.String(), "cost for the 24 hours: unknown") || strings.Contains(b.String(), "$0.00") {
		t.Errorf("table:\n%s", b.String())
	}
}
