package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/nat"
	"github.com/flowlens/flowlens/report"
)

// TestCostEstimate reproduces the worked check of docs/cost.md ("The estimate") to the cent, and the alternatives beside it.
func TestCostEstimate(t *testing.T) {
	code, out, errOut := flowlens(t, "cost", "--estimate", "--nat-gb", "1000", "--hours", "730", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var e struct {
		NATTotal, EndpointHourOnly, SavingVsHourOnly, SavingPercent float64
		NATHourlyCost, NATProcessingCost                            float64
		Alternatives                                                []struct {
			Kind         string
			Cost, Saving float64
		}
	}
	d := json.NewDecoder(strings.NewReader(strings.NewReplacer("nat_total", "NATTotal", "endpoint_hour_only", "EndpointHourOnly",
		"saving_vs_hour_only", "SavingVsHourOnly", "saving_percent", "SavingPercent", "nat_hourly_cost", "NATHourlyCost",
		"nat_processing_cost", "NATProcessingCost").Replace(out)))
	if err := d.Decode(&e); err != nil {
		t.Fatal(err)
	}
	if e.NATHourlyCost != 32.85 || e.NATProcessingCost != 45 || e.NATTotal != 77.85 || e.EndpointHourOnly != 7.30 || e.SavingVsHourOnly != 70.55 || e.SavingPercent != 90.62 {
		t.Fatalf("worked check: %+v", e)
	}
	if len(e.Alternatives) != 2 || e.Alternatives[0].Kind != "gateway_endpoint" || e.Alternatives[0].Cost != 0 || e.Alternatives[0].Saving != 45 ||
		e.Alternatives[1].Kind != "interface_endpoint" || e.Alternatives[1].Cost != 17.30 || e.Alternatives[1].Saving != 27.70 {
		t.Fatalf("alternatives: %+v", e.Alternatives)
	}
	code, out, _ = flowlens(t, "cost", "--estimate", "--nat-gb", "1000", "--hours", "730", "--format", "table")
	if code != 0 || !strings.Contains(out, "77.85") || !strings.Contains(out, "90.62 %") {
		t.Fatalf("table: %s", out)
	}
	f := func(want int, errWant string, args ...string) {
		t.Helper()
		code, _, errOut := flowlens(t, args...)
		if code != want || !strings.Contains(errOut, errWant) {
			t.Fatalf("%v: exit %d (want %d): %s", args, code, want, errOut)
		}
	}
	f(2, "--estimate needs", "cost", "--estimate", "--hours", "730")
	f(2, "number of gateways", "cost", "--estimate", "--nat-gb", "1", "--hours", "1", "--nat-gateways", "x.json")
	f(3, "eu-mars-1", "cost", "--estimate", "--nat-gb", "1", "--hours", "1", "--region", "eu-mars-1")
	f(2, "--nat-count must be at least 1", "cost", "--estimate", "--nat-gb", "1", "--hours", "1", "--nat-count", "0")
	f(2, "--no-nat", "cost", "--no-nat", "flows/")
	// Two gateways: twice the hours, the same processing: 2 × 0.045 × 730 + 1000 × 0.045.
	code, out, _ = flowlens(t, "cost", "--estimate", "--nat-gb", "1000", "--hours", "730", "--nat-count", "2", "--format", "json")
	if code != 0 || !strings.Contains(out, `"nat_total": 110.7`) || !strings.Contains(out, `"nat_gateways": 2`) {
		t.Fatalf("--nat-count 2: exit %d\n%s", code, out)
	}
}

func costReview(t *testing.T, args ...string) *nat.Review {
	t.Helper()
	code, out, errOut := flowlens(t, append([]string{"cost", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r nat.Review
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// TestCostFourRecords: the NAT example of docs/cost.md ("Processed bytes") counts each byte once and attributes it to 10.0.1.5.
func TestCostFourRecords(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "nat.log", `instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr bytes start end region az-id flow-direction log-status
- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5 300 1700000000 1700000060 us-east-1 use1-az1 ingress OK
- eni-1235b8ca123456789 10.0.0.220 203.0.113.5 10.0.0.220 203.0.113.5 300 1700000000 1700000060 us-east-1 use1-az1 egress OK
- eni-1235b8ca123456789 203.0.113.5 10.0.0.220 203.0.113.5 10.0.0.220 7000 1700000000 1700000060 us-east-1 use1-az1 ingress OK
- eni-1235b8ca123456789 10.0.0.220 10.0.1.5 203.0.113.5 10.0.1.5 7000 1700000000 1700000060 us-east-1 use1-az1 egress OK
i-0123 eni-0aaaaaaaaaaaaaaaa 10.0.1.5 203.0.113.5 10.0.1.5 203.0.113.5 300 1700000000 1700000060 us-east-1 use1-az2 egress OK
i-0123 eni-0aaaaaaaaaaaaaaaa 203.0.113.5 10.0.1.5 203.0.113.5 10.0.1.5 7000 1700000000 1700000060 us-east-1 use1-az2 ingress OK
`)
	r := costReview(t, p)
	if len(r.NATGateways) != 1 {
		t.Fatalf("%d gateways", len(r.NATGateways))
	}
	g := r.NATGateways[0]
	if !g.Guessed || g.BytesInFromSource != 300 || g.BytesInFromDestination != 7000 || g.ProcessedGB != 0.0000073 || g.Hours != 1 {
		t.Fatalf("gateway %+v", g)
	}
	if len(g.TopSources) != 1 || g.TopSources[0].Address != "10.0.1.5" || g.TopSources[0].Bytes != 7300 ||
		len(g.TopDestinations) != 1 || g.TopDestinations[0].Address != "203.0.113.5" || g.TopDestinations[0].Class != "internet" {
		t.Fatalf("attribution: %+v %+v", g.TopSources, g.TopDestinations)
	}
	// The workload is in use1-az2, the gateway in use1-az1: all of it crosses AZs.
	if g.AZ != "use1-az1" || g.TopSources[0].AZ != "use1-az2" || g.CrossAZGB != 0.0000073 {
		t.Fatalf("AZs: gateway %s, workload %s, cross-AZ %v GB", g.AZ, g.TopSources[0].AZ, g.CrossAZGB)
	}
	if g.NATHourlyCost == nil || *g.NATHourlyCost != 0.05 || r.Assumptions.Region != "us-east-1" || r.Assumptions.GB != "1 GB = 10^9 bytes, as AWS bills" {
		t.Fatalf("cost %+v, assumptions %+v", g, r.Assumptions)
	}
	// Given as a describe-nat-gateways file: not guessed, with its AZ.
	nj := writeFile(t, dir, "nat.json", `{"NatGateways":[{"NatGatewayId":"nat-0abc","SubnetId":"subnet-1","AvailabilityZone":"us-east-1a",
		"NatGatewayAddresses":[{"NetworkInterfaceId":"eni-1235b8ca123456789","PrivateIp":"10.0.0.220","PublicIp":"198.51.100.1"}]}]}`)
	r = costReview(t, "--nat-gateways", nj, p)
	if len(r.NATGateways) != 1 || r.NATGateways[0].Guessed || r.NATGateways[0].GatewayID != "nat-0abc" || r.NATGateways[0].AZ != "use1-az1" /* the records' az-id before the AZ name given */ {
		t.Fatalf("given gateway: %+v", r.NATGateways)
	}
	r = costReview(t, "--nat", "eni-0000000000000000", p)
	if len(r.NATGateways) != 0 {
		t.Fatalf("--nat of another interface found %+v", r.NATGateways)
	}
}

// TestCostGeneratorTruth: on generated data the processed bytes per gateway and direction, and the
// split by destination class, are exactly what the generator wrote, with and without the instance
// interfaces' copies; the report's nat section says the same.
func TestCostGeneratorTruth(t *testing.T) {
	for _, copies := range []bool{true, false} {
		dir := t.TempDir()
		m, err := synth.Generate(synth.Config{Dir: dir, Seed: 12, Records: 80_000, Objects: 3, Fields: flowlog.V5Layout,
			Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true, NATInstanceCopies: copies})
		if err != nil {
			t.Fatal(err)
		}
		r := costReview(t, dir)
		code, out, _ := flowlens(t, "report", "--format", "json", dir)
		var rep report.Report
		if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.NAT == nil {
			t.Fatalf("report: exit %d, nat %v", code, rep.NAT)
		}
		if a, b := mustJSON(t, rep.NAT.NATGateways), mustJSON(t, r.NATGateways); a != b {
			t.Errorf("the report's nat section differs from flowlens cost")
		}
		if len(r.NATGateways) != len(m.NAT) {
			t.Fatalf("%d gateways, generator wrote %d", len(r.NATGateways), len(m.NAT))
		}
		for _, truth := range m.NAT {
			var g *nat.GatewayDoc
			for i := range r.NATGateways {
				if r.NATGateways[i].InterfaceID == truth.InterfaceID {
					g = &r.NATGateways[i]
				}
			}
			if g == nil {
				t.Fatalf("%s not found", truth.InterfaceID)
			}
			if g.BytesInFromSource != truth.BytesInFromSource || g.BytesInFromDestination != truth.BytesInFromDestination {
				t.Errorf("copies %v %s: from source %d (true %d), from destination %d (true %d)", copies, g.InterfaceID,
					g.BytesInFromSource, truth.BytesInFromSource, g.BytesInFromDestination, truth.BytesInFromDestination)
			}
			for class, b := range truth.BytesByClass {
				if want := float64(b) / 1e9; g.ByClass[class] != want {
					t.Errorf("copies %v %s: %s %v GB, true %v GB", copies, g.InterfaceID, class, g.ByClass[class], want)
				}
			}
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCostWithoutPktFields: on the default format (no pkt-* fields) the given gateways' records are
// split by the gateways' own addresses: the processed bytes and the class split are still exact.
func TestCostWithoutPktFields(t *testing.T) {
	dir := t.TempDir()
	m, err := synth.Generate(synth.Config{Dir: dir, Seed: 13, Records: 60_000, Objects: 2, Fields: flowlog.DefaultLayout,
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true, NATInstanceCopies: true})
	if err != nil {
		t.Fatal(err)
	}
	var js strings.Builder
	js.WriteString(`{"NatGateways":[`)
	var ids []string
	for i, n := range m.NAT {
		if i > 0 {
			js.WriteString(",")
		}
		js.WriteString(`{"NatGatewayId":"nat-` + n.InterfaceID[4:] + `","NatGatewayAddresses":[{"NetworkInterfaceId":"` + n.InterfaceID + `","PrivateIp":"` + n.PrivateIP + `"}]}`)
		ids = append(ids, n.InterfaceID)
	}
	js.WriteString(`]}`)
	nj := writeFile(t, t.TempDir(), "nat.json", js.String())
	// Without gateways named, nothing can be measured: the review says so first and exits 4.
	code, out, errOut := flowlens(t, "cost", "--format", "table", dir)
	if code != 4 || !strings.HasPrefix(out, "CANNOT TELL: the input has no pkt-srcaddr/pkt-dstaddr fields") ||
		!strings.Contains(out, "--nat ENI") || !strings.Contains(out, "--nat-gateways FILE") || !strings.Contains(out, "version 3 or later") ||
		zeroCost.MatchString(out) || !strings.Contains(errOut, "no pkt-srcaddr/pkt-dstaddr") {
		t.Fatalf("no pkt fields, no gateways: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = flowlens(t, "cost", "--format", "json", dir)
	var r nat.Review
	if code != 4 || json.Unmarshal([]byte(out), &r) != nil || r.Status != "no_gateways" || len(r.NATGateways) != 0 || r.Total.NATCost != nil {
		t.Fatalf("json: exit %d: %s", code, out)
	}
	for _, args := range [][]string{{"--nat-gateways", nj, "--region", "us-east-1"}, {"--nat", strings.Join(ids, ","), "--region", "us-east-1"}} {
		r := costReview(t, append(args, dir)...)
		if len(r.NATGateways) != len(m.NAT) {
			t.Fatalf("%v: %d gateways", args, len(r.NATGateways))
		}
		for i, truth := range m.NAT {
			g := r.NATGateways[i]
			if g.InterfaceID != truth.InterfaceID || g.BytesInFromSource != truth.BytesInFromSource || g.BytesInFromDestination != truth.BytesInFromDestination {
				t.Errorf("%v: %+v, truth %+v", args, g, truth)
			}
			for class, b := range truth.BytesByClass {
				if want := float64(b) / 1e9; g.ByClass[class] != want {
					t.Errorf("%v %s: %s %v GB, true %v GB", args, g.InterfaceID, class, g.ByClass[class], want)
				}
			}
			if len(g.TopSources) == 0 || len(g.TopDestinations) == 0 {
				t.Errorf("%v: no workloads or far ends", args)
			}
		}
	}
}

// zeroCost finds a cost of $0.00 (not a price such as $0.005/hour): a review that cannot know a
// cost must not show one.
var zeroCost = regexp.MustCompile(`\$0\.00\b`)

// TestEveryRegion: a region of the embedded table is priced (us-west-2); a region without prices
// (me-central-1) never fails the report, which names the missing prices, leaves the costs null,
// warns and exits 0, while cost, where the price is the point, exits 3.
func TestEveryRegion(t *testing.T) {
	for _, c := range []struct {
		region string
		priced bool
	}{{"us-west-2", true}, {"me-central-1", false}} {
		dir := t.TempDir()
		if _, err := synth.Generate(synth.Config{Dir: dir, Seed: 5, Records: 20_000, Objects: 2, Fields: flowlog.V5Layout, Layout: "aws",
			Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true, Region: c.region}); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := flowlens(t, "report", "--format", "json", dir)
		var rep report.Report
		if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.NAT == nil || len(rep.NAT.NATGateways) == 0 || rep.Totals.Bytes == 0 {
			t.Fatalf("%s: report exit %d: %s", c.region, code, errOut)
		}
		g := rep.NAT.NATGateways[0]
		if g.Region != c.region || g.Hours != 24 {
			t.Errorf("%s: region %s, %v hours", c.region, g.Region, g.Hours)
		}
		if c.priced {
			if rep.NAT.Status != "ok" || g.NATHourlyCost == nil || *g.NATHourlyCost != 1.08 || strings.Contains(errOut, "warning") {
				t.Errorf("%s: status %s, hourly %v, stderr %s", c.region, rep.NAT.Status, g.NATHourlyCost, errOut)
			}
			continue
		}
		if rep.NAT.Status != "no_prices" || g.NATCost != nil || rep.NAT.Total.NATCost != nil || g.ProcessedGB == 0 ||
			!strings.Contains(errOut, `warning: NAT section: no NAT gateway prices for region "me-central-1"`) {
			t.Errorf("%s: status %s, cost %v, stderr %s", c.region, rep.NAT.Status, g.NATCost, errOut)
		}
		code, out, _ = flowlens(t, "cost", "--format", "table", dir)
		if code != 3 || !strings.HasPrefix(out, "CANNOT TELL: no NAT gateway prices for region \"me-central-1\"") || zeroCost.MatchString(out) {
			t.Errorf("cost: exit %d\n%s", code, out)
		}
	}
}

// TestNATHoursInEveryZone: the NAT hours are UTC hours, as AWS bills them, whatever --tz the report
// is read in: half-hour zones included, the report's review says what cost says.
func TestNATHoursInEveryZone(t *testing.T) {
	dir := genFlows(t, 6, 20_000, 2, flowlog.V5Layout, 1)
	want := costReview(t, dir)
	for _, tz := range []string{"UTC", "Asia/Kolkata", "America/St_Johns", "Asia/Kathmandu", "Europe/Berlin"} {
		code, out, errOut := flowlens(t, "report", "--format", "json", "--tz", tz, dir)
		var rep report.Report
		if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.NAT == nil {
			t.Fatalf("%s: exit %d: %s", tz, code, errOut)
		}
		if rep.NAT.Assumptions.HoursCovered != 24 || *rep.NAT.Total.NATCost != *want.Total.NATCost {
			t.Errorf("--tz %s: %v hours, $%v; cost says %v hours, $%v", tz, rep.NAT.Assumptions.HoursCovered, *rep.NAT.Total.NATCost,
				want.Assumptions.HoursCovered, *want.Total.NATCost)
		}
	}
}
