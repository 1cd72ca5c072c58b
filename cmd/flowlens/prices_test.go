package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/report"
)

// priceListAPI is a Price List API on loopback that answers every GetProducts query of a service
// with the entries given for it (one page), as AWS JSON 1.1. cost/pricelist's own tests check the
// filters, pages and errors; this one checks the command from the API to a priced report.
func priceListAPI(t *testing.T, entries map[string][]string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ ServiceCode string }
		if r.Header.Get("X-Amz-Target") != "AWSPriceListService.GetProducts" || json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(map[string]any{"FormatVersion": "aws_v1", "PriceList": entries[req.ServiceCode]})
	}))
	s.Listener.Close()
	s.Listener = l
	s.Start()
	t.Cleanup(s.Close)
	return s.URL
}

// priceItem is one PriceList entry: a product with attrs and a single OnDemand price.
func priceItem(service, family string, attrs map[string]string, unit, price string) string {
	b, _ := json.Marshal(map[string]any{
		"product":     map[string]any{"productFamily": family, "attributes": attrs, "sku": "SKU" + attrs["usagetype"]},
		"serviceCode": service,
		"terms": map[string]any{"OnDemand": map[string]any{"T": map[string]any{"priceDimensions": map[string]any{
			"D": map[string]any{"unit": unit, "beginRange": "0", "endRange": "Inf", "pricePerUnit": map[string]string{"USD": price}}}}}},
	})
	return string(b)
}

// TestPricesFetch: prices fetched for a region the embedded table lacks price its report.
func TestPricesFetch(t *testing.T) {
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_EC2_METADATA_DISABLED": "true"} {
		t.Setenv(k, v)
	}
	nat := func(usage, price string) string {
		return priceItem("AmazonEC2", "NAT Gateway", map[string]string{"usagetype": usage, "regionCode": "me-central-1", "operation": "NatGateway"},
			map[bool]string{true: "Hrs", false: "GB"}[strings.HasSuffix(usage, "Hours")], price)
	}
	url := priceListAPI(t, map[string][]string{
		"AmazonEC2": {nat("MEC1-NatGateway-Hours", "0.0550000000"), nat("MEC1-NatGateway-Bytes", "0.0550000000")},
		"AmazonVPC": {priceItem("AmazonVPC", "VpcEndpoint", map[string]string{"usagetype": "MEC1-VpcEndpoint-Hours", "regionCode": "me-central-1"}, "Hrs", "0.0120000000")},
	})
	dir := t.TempDir()
	file := filepath.Join(dir, "prices.json")
	code, _, errOut := flowlens(t, "prices", "fetch", "--endpoint-url", url, "--region", "me-central-1", "-o", file)
	if code != 0 || !strings.Contains(errOut, "1 regions priced") {
		t.Fatalf("prices fetch: exit %d: %s", code, errOut)
	}
	logs := filepath.Join(dir, "logs")
	if _, err := synth.Generate(synth.Config{Dir: logs, Seed: 7, Records: 10_000, Objects: 1, Fields: flowlog.V5Layout,
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true, Region: "me-central-1"}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := flowlens(t, "report", "--format", "json", "--pricing", file, logs)
	var rep report.Report
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.NAT == nil || rep.NAT.Status != "ok" || len(rep.NAT.NATGateways) == 0 {
		t.Fatalf("report --pricing: exit %d: %s", code, errOut)
	}
	g := rep.NAT.NATGateways[0]
	if g.NATHourlyCost == nil || *g.NATHourlyCost != 1.32 /* 24 × 0.055 */ || !strings.Contains(rep.NAT.Assumptions.PriceSource, "Price List API") {
		t.Errorf("priced from the fetched file: %v, %s", g.NATHourlyCost, rep.NAT.Assumptions.PriceSource)
	}
	if code, _, errOut := flowlens(t, "prices", "fetch", "--endpoint-url", url, "--region", "eu-mars-1"); code != 1 || !strings.Contains(errOut, "eu-mars-1") {
		t.Errorf("a region the API does not price: exit %d: %s", code, errOut)
	}
	if code, _, _ := flowlens(t, "prices", "get"); code != 2 {
		t.Errorf("prices get: exit %d", code)
	}
}
