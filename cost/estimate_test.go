package cost

import (
	"strings"
	"testing"
)

func TestEstimateCost(t *testing.T) {
	type want struct {
		natHours, natProc, natTotal, hourOnly, saving, pct float64
		gwSaving, ifCost, ifSaving                         float64
	}
	f := func(in EstimateInput, w want) {
		t.Helper()
		e, err := EstimateCost(in, nil)
		if err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
		got := want{e.NATHourlyCost, e.NATProcessingCost, e.NATTotal, e.EndpointHourOnly, e.SavingVsHourOnly,
			e.SavingPercent, e.GatewayEndpoint.Saving, e.InterfaceEndpoint.Cost, e.InterfaceEndpoint.Saving}
		if got != w {
			t.Errorf("%+v:\n got %+v\nwant %+v", in, got, w)
		}
		if e.GatewayEndpoint.Kind != KindGatewayEndpoint || e.GatewayEndpoint.Cost != 0 ||
			e.InterfaceEndpoint.Kind != KindInterfaceEndpoint {
			t.Errorf("%+v: alternatives %+v %+v", in, e.GatewayEndpoint, e.InterfaceEndpoint)
		}
	}
	// The worked check of docs/cost.md ("The estimate"): NAT 0.045 × 730 + 1000 × 0.045 = 77.85; endpoint 0.01 × 730 = 7.30;
	// saving 70.55 (90.62 %). Gateway endpoint saves the processing charge (45.00); an interface
	// endpoint costs 730 × 1 AZ × 0.01 + 1000 × 0.01 = 17.30 and saves 45.00 − 17.30 = 27.70.
	f(EstimateInput{NATGB: 1000, Hours: 730, Gateways: 1, Region: "us-east-1"},
		want{32.85, 45, 77.85, 7.3, 70.55, 90.62, 45, 17.3, 27.7})
	// The same with defaults: 1 gateway, us-east-1, AZs = gateways.
	f(EstimateInput{NATGB: 1000, Hours: 730},
		want{32.85, 45, 77.85, 7.3, 70.55, 90.62, 45, 17.3, 27.7})
	// eu-west-1 at 0.048: 35.04 + 48 = 83.04; 75.74 / 83.04 = 91.209 %.
	f(EstimateInput{NATGB: 1000, Hours: 730, Region: "eu-west-1"},
		want{35.04, 48, 83.04, 7.3, 75.74, 91.21, 48, 17.3, 30.7})
	// Two gateways, hence an endpoint in two AZs: 65.70 + 45 = 110.70; interface 14.60 + 10 = 24.60.
	f(EstimateInput{NATGB: 1000, Hours: 730, Gateways: 2},
		want{65.7, 45, 110.7, 7.3, 103.4, 93.41, 45, 24.6, 20.4})
	// Small volume, three AZs: the interface endpoint costs more than it saves.
	f(EstimateInput{NATGB: 100, Hours: 730, AZs: 3},
		want{32.85, 4.5, 37.35, 7.3, 30.05, 80.46, 4.5, 22.9, -18.4})
	// 1.5 PB: interface data crosses the 1 PB tier: 1e6 × 0.01 + 0.5e6 × 0.006 = 13,000 + 7.30 hours.
	f(EstimateInput{NATGB: 1.5e6, Hours: 730},
		want{32.85, 67500, 67532.85, 7.3, 67525.55, 99.99, 67500, 13007.3, 54492.7})
	// A week in sa-east-1 (0.093): 168 × 0.093 = 15.624; 250 × 0.093 = 23.25.
	f(EstimateInput{NATGB: 250, Hours: 168, Region: "sa-east-1"},
		want{15.62, 23.25, 38.87, 1.68, 37.19, 95.68, 23.25, 4.18, 19.07})
	// No traffic: the hours alone.
	f(EstimateInput{NATGB: 0, Hours: 730},
		want{32.85, 0, 32.85, 7.3, 25.55, 77.78, 0, 7.3, -7.3})
}

func TestEstimateAssumptions(t *testing.T) {
	e, err := EstimateCost(EstimateInput{NATGB: 1000, Hours: 730}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e.Region != "us-east-1" || e.Gateways != 1 || e.AZs != 1 || e.Hours != 730 || e.NATGB != 1000 {
		t.Errorf("inputs with defaults: %+v", e)
	}
	all := strings.Join(e.Assumptions, "\n")
	for _, s := range []string{
		"region not given: us-east-1 assumed",
		"table of 2025-06", "region us-east-1", "$0.045/hour", "$0.045/GB",
		"GB = 10^9 bytes",
		"730 hours = one month", "1.00 month",
		"gateway endpoint", "NAT gateway hours remain",
		"interface endpoint: one endpoint in 1 AZ(s)",
		"not included",
	} {
		if !strings.Contains(all, s) {
			t.Errorf("assumptions lack %q:\n%s", s, all)
		}
	}
	e, _ = EstimateCost(EstimateInput{NATGB: 1, Hours: 1, Region: "eu-west-1"}, nil)
	if strings.Contains(strings.Join(e.Assumptions, "\n"), "assumed") {
		t.Errorf("region given, yet assumed: %q", e.Assumptions)
	}
}

func TestEstimateErrors(t *testing.T) {
	f := func(in EstimateInput, wantErr string) {
		t.Helper()
		_, err := EstimateCost(in, DefaultPrices())
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%+v: error %v, want one containing %q", in, err, wantErr)
		}
	}
	f(EstimateInput{NATGB: 1000, Hours: 730, Region: "us-east-7"}, `"us-east-7"`)
	f(EstimateInput{NATGB: 1000, Hours: 730, Region: "us-east-7"}, "known: ap-east-1")
	f(EstimateInput{NATGB: -1, Hours: 730}, "GB")
	f(EstimateInput{NATGB: 1, Hours: 0}, "hours")
	f(EstimateInput{NATGB: 1, Hours: 730, Gateways: -1}, "gateways")
	f(EstimateInput{NATGB: 1, Hours: 730, AZs: -2}, "AZs")
}
