package pricelist

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/cost"
)

// isolateAWS makes the standard credential chain see only what the test gives it: the access key
// in the environment, no shared files of the machine, no instance metadata.
func isolateAWS(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "AKIDPRICELISTTEST",
		"AWS_SECRET_ACCESS_KEY":       "secret-for-the-fake",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_DEFAULT_PROFILE":         "",
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_ENDPOINT_URL":            "",
		"AWS_ENDPOINT_URL_PRICING":    "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	old := now
	now = func() time.Time { return time.Date(2026, 12, 7, 23, 30, 0, 0, time.FixedZone("UTC-5", -5*3600)) } // 2026-12-08 UTC
	t.Cleanup(func() { now = old })
}

func ptr(v float64) *float64 { return &v }

func fetchFake(t *testing.T, opts Options) (*File, *fakeAPI) {
	t.Helper()
	isolateAWS(t)
	api, url := newFakeAPI(t, catalog(), 3)
	opts.EndpointURL = url
	f, err := Fetch(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return f, api
}

// checkFile checks the fetched file against want, and its warnings as checkWarnings does.
func checkFile(t *testing.T, f, want *File, warnings ...string) {
	t.Helper()
	got := f.Warnings
	f.Warnings = nil
	if !reflect.DeepEqual(f, want) {
		a, _ := json.Marshal(f)
		b, _ := json.Marshal(want)
		t.Errorf("file\n%s\nwant\n%s", a, b)
	}
	checkWarnings(t, got, warnings...)
}

// checkWarnings checks that each warning contains its want, in order.
func checkWarnings(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d warnings, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
		return
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("warning %d: %q does not say %q", i, got[i], want[i])
		}
	}
}

var wantTiers = []Tier{{UpToGB: 1e6, PerGB: 0.01}, {UpToGB: 5e6, PerGB: 0.006}, {UpToGB: 0, PerGB: 0.004}}

func TestFetchAllRegions(t *testing.T) {
	f, api := fetchFake(t, Options{})
	want := &File{
		Date:   "2026-12-08",
		Source: "AWS Price List API (GetProducts), AmazonEC2 NAT Gateway, AmazonVPC VpcEndpoint, AWSDataTransfer; fetched 2026-12-08",
		Regions: map[string]Region{
			"us-east-1":     {NATHour: 0.045, NATPerGB: 0.045, RegionalNATHour: ptr(0.045)},
			"us-east-2":     {NATHour: 0.045, NATPerGB: 0.045},
			"eu-central-1":  {NATHour: 0.052, NATPerGB: 0.052, RegionalNATHour: ptr(0.052)},
			"us-gov-west-1": {NATHour: 0.054, NATPerGB: 0.054},
		},
		InterfaceEndpointHour:  ptr(0.01),
		InterfaceEndpointTiers: wantTiers,
		InterAZPerGB:           ptr(0.01),
		InternetEgressPerGB:    ptr(0.09),
		Skipped:                2,
	}
	checkFile(t, f, want,
		`AmazonEC2 NAT Gateway: page 2 entry 1 skipped: not a price list entry: unexpected end of JSON input: {"product":{"productFamily":"NAT Gateway"`,
		`AmazonEC2 NAT Gateway: page 5 entry 1 (usagetype APS3-NatGateway-Bytes, regionCode ap-south-1) skipped: price dimension`,
		"region ap-south-1: a NAT gateway hourly price (0.056) but no per-GB price; left out",
		"region eu-central-1: the regional NAT gateway per-GB price 0.06 differs from the zonal 0.052",
		"region sa-east-1: a NAT gateway hourly price (0.093) but no per-GB price; left out",
	)

	// One query for all NAT gateways, over 6 pages of 3, then one each for endpoints, inter-AZ and
	// egress, all signed for the Price List API in us-east-1 with the environment's key.
	var natPages []string
	for _, r := range api.seen() {
		if r.AccessKey != "AKIDPRICELISTTEST" || r.SignRegion != "us-east-1" || r.SignService != "pricing" {
			t.Errorf("signed with %s/%s/%s", r.AccessKey, r.SignRegion, r.SignService)
		}
		if r.FormatVersion != "aws_v1" || r.MaxResults != 100 {
			t.Errorf("FormatVersion %q, MaxResults %d", r.FormatVersion, r.MaxResults)
		}
		if r.ServiceCode == "AmazonEC2" {
			natPages = append(natPages, r.NextToken)
		}
	}
	if want := []string{"", "page-at-3", "page-at-6", "page-at-9", "page-at-12", "page-at-15"}; !slices.Equal(natPages, want) {
		t.Errorf("NAT gateway pages asked with NextToken %q, want %q", natPages, want)
	}
	checkQueries(t, api, []fakeRequest{
		{ServiceCode: "AmazonEC2", Filters: []fakeFilter{{"TERM_MATCH", "productFamily", "NAT Gateway"}}},
		{ServiceCode: "AmazonVPC", Filters: []fakeFilter{{"TERM_MATCH", "productFamily", "VpcEndpoint"}, {"TERM_MATCH", "regionCode", "us-east-1"}}},
		{ServiceCode: "AWSDataTransfer", Filters: []fakeFilter{{"TERM_MATCH", "transferType", "IntraRegion"}, {"TERM_MATCH", "fromRegionCode", "us-east-1"}}},
		{ServiceCode: "AWSDataTransfer", Filters: []fakeFilter{{"TERM_MATCH", "transferType", "AWS Outbound"},
			{"TERM_MATCH", "fromRegionCode", "us-east-1"}, {"TERM_MATCH", "toLocation", "External"}}},
	})
}

// checkQueries checks the service codes and filters of the first page of each query the fake saw.
func checkQueries(t *testing.T, api *fakeAPI, want []fakeRequest) {
	t.Helper()
	var got []fakeRequest
	for _, r := range api.seen() {
		if r.NextToken == "" {
			got = append(got, fakeRequest{ServiceCode: r.ServiceCode, Filters: r.Filters})
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("queries\n%+v\nwant\n%+v", got, want)
	}
}

func TestFetchRegions(t *testing.T) {
	f, api := fetchFake(t, Options{Regions: []string{"eu-central-1", " us-east-2", "mars-north-1", "eu-central-1", ""}})
	want := &File{
		Date: "2026-12-08",
		Source: "AWS Price List API (GetProducts), AmazonEC2 NAT Gateway, AmazonVPC VpcEndpoint, AWSDataTransfer; fetched 2026-12-08" +
			"; interface endpoint and data transfer prices of eu-central-1",
		Regions: map[string]Region{
			"eu-central-1": {NATHour: 0.052, NATPerGB: 0.052, RegionalNATHour: ptr(0.052)},
			"us-east-2":    {NATHour: 0.045, NATPerGB: 0.045},
		},
		InterfaceEndpointHour:  ptr(0.012),
		InterfaceEndpointTiers: []Tier{{UpToGB: 1e6, PerGB: 0.012}, {UpToGB: 5e6, PerGB: 0.0072}, {UpToGB: 0, PerGB: 0.0048}},
		InterAZPerGB:           ptr(0.01),
		InternetEgressPerGB:    ptr(0.09),
		Skipped:                1,
	}
	checkFile(t, f, want,
		"AmazonEC2 NAT Gateway: page 1 entry 2 skipped: not a price list entry",
		"region mars-north-1: the API has no NAT gateway prices for it; left out",
		"region eu-central-1: the regional NAT gateway per-GB price 0.06 differs",
	)
	nat := func(region string) fakeRequest {
		return fakeRequest{ServiceCode: "AmazonEC2", Filters: []fakeFilter{{"TERM_MATCH", "productFamily", "NAT Gateway"}, {"TERM_MATCH", "regionCode", region}}}
	}
	checkQueries(t, api, []fakeRequest{
		nat("eu-central-1"), nat("us-east-2"), nat("mars-north-1"),
		{ServiceCode: "AmazonVPC", Filters: []fakeFilter{{"TERM_MATCH", "productFamily", "VpcEndpoint"}, {"TERM_MATCH", "regionCode", "eu-central-1"}}},
		{ServiceCode: "AWSDataTransfer", Filters: []fakeFilter{{"TERM_MATCH", "transferType", "IntraRegion"}, {"TERM_MATCH", "fromRegionCode", "eu-central-1"}}},
		{ServiceCode: "AWSDataTransfer", Filters: []fakeFilter{{"TERM_MATCH", "transferType", "AWS Outbound"},
			{"TERM_MATCH", "fromRegionCode", "eu-central-1"}, {"TERM_MATCH", "toLocation", "External"}}},
	})
}

// wantJSON is the pricing file of TestFetchAllRegions.
const wantJSON = `{
  "date": "2026-12-08",
  "source": "AWS Price List API (GetProducts), AmazonEC2 NAT Gateway, AmazonVPC VpcEndpoint, AWSDataTransfer; fetched 2026-12-08",
  "regions": {
    "eu-central-1": {
      "nat_hour": 0.052,
      "nat_per_gb": 0.052,
      "regional_nat_hour": 0.052
    },
    "us-east-1": {
      "nat_hour": 0.045,
      "nat_per_gb": 0.045,
      "regional_nat_hour": 0.045
    },
    "us-east-2": {
      "nat_hour": 0.045,
      "nat_per_gb": 0.045
    },
    "us-gov-west-1": {
      "nat_hour": 0.054,
      "nat_per_gb": 0.054
    }
  },
  "interface_endpoint_hour": 0.01,
  "interface_endpoint_tiers": [
    {
      "up_to_gb": 1000000,
      "per_gb": 0.01
    },
    {
      "up_to_gb": 5000000,
      "per_gb": 0.006
    },
    {
      "up_to_gb": 0,
      "per_gb": 0.004
    }
  ],
  "inter_az_per_gb": 0.01,
  "internet_egress_per_gb": 0.09
}
`

func TestFileJSON(t *testing.T) {
	f, _ := fetchFake(t, Options{})
	var buf bytes.Buffer
	if err := f.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if buf.String() != wantJSON {
		t.Errorf("pricing file\n%s\nwant\n%s", buf.String(), wantJSON)
	}

	// The full schema, regional_nat_hour included, strictly.
	type region struct {
		NATHour         *float64 `json:"nat_hour"`
		NATPerGB        *float64 `json:"nat_per_gb"`
		RegionalNATHour *float64 `json:"regional_nat_hour"`
	}
	var full struct {
		Date                   string            `json:"date"`
		Source                 string            `json:"source"`
		Regions                map[string]region `json:"regions"`
		InterfaceEndpointHour  float64           `json:"interface_endpoint_hour"`
		InterfaceEndpointTiers []struct {
			UpToGB float64 `json:"up_to_gb"`
			PerGB  float64 `json:"per_gb"`
		} `json:"interface_endpoint_tiers"`
		InterAZPerGB        float64 `json:"inter_az_per_gb"`
		InternetEgressPerGB float64 `json:"internet_egress_per_gb"`
	}
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&full); err != nil {
		t.Fatal(err)
	}
	if r := full.Regions["us-east-1"]; r.RegionalNATHour == nil || *r.RegionalNATHour != 0.045 {
		t.Errorf("us-east-1: %+v", r)
	}
	if r := full.Regions["us-east-2"]; r.RegionalNATHour != nil || *r.NATHour != 0.045 || *r.NATPerGB != 0.045 {
		t.Errorf("us-east-2: %+v", r)
	}
	if len(full.InterfaceEndpointTiers) != 3 || full.InterfaceEndpointTiers[1].PerGB != 0.006 || full.InternetEgressPerGB != 0.09 {
		t.Errorf("decoded %+v", full)
	}

	// cost.LoadPrices of this tree does not know regional_nat_hour: without it the file loads, on
	// top of the default table.
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range doc["regions"].(map[string]any) {
		delete(r.(map[string]any), "regional_nat_hour")
	}
	stripped, _ := json.Marshal(doc)
	p, err := cost.LoadPrices(bytes.NewReader(stripped))
	if err != nil {
		t.Fatalf("cost.LoadPrices: %v\n%s", err, stripped)
	}
	checkLoaded(t, p)
	// A reader that knows regional_nat_hour loads the whole file; one that does not fails on it only.
	if p, err := cost.LoadPrices(bytes.NewReader(buf.Bytes())); err == nil {
		checkLoaded(t, p)
	} else if !strings.Contains(err.Error(), `unknown field "regional_nat_hour"`) {
		t.Errorf("cost.LoadPrices of the whole file: %v", err)
	}
}

func checkLoaded(t *testing.T, p *cost.Prices) {
	t.Helper()
	if p.Date != "2026-12-08" || !strings.HasPrefix(p.Source, "AWS Price List API") {
		t.Errorf("Date %q, Source %q", p.Date, p.Source)
	}
	for region, want := range map[string]float64{"us-east-1": 0.045, "us-east-2": 0.045, "eu-central-1": 0.052, "us-gov-west-1": 0.054} {
		if rp, err := p.Region(region); err != nil || rp.NATHour != want || rp.NATPerGB != want {
			t.Errorf("%s: %+v, %v; want %v", region, rp, err, want)
		}
	}
	wantTiers := []cost.Tier{{UpToGB: 1e6, PerGB: 0.01}, {UpToGB: 5e6, PerGB: 0.006}, {UpToGB: 0, PerGB: 0.004}}
	if p.InterfaceEndpointHour != 0.01 || !slices.Equal(p.InterfaceEndpointTiers, wantTiers) || p.InterAZPerGB != 0.01 || p.InternetEgressPerGB != 0.09 {
		t.Errorf("loaded %+v", p)
	}
}

func TestFetchAccessDenied(t *testing.T) {
	isolateAWS(t)
	api, url := newFakeAPI(t, catalog(), 3)
	api.deny = true
	_, err := Fetch(context.Background(), Options{EndpointURL: url})
	if err == nil {
		t.Fatal("no error")
	}
	for _, s := range []string{
		"AWS Price List API GetProducts", url, `AmazonEC2 productFamily="NAT Gateway"`,
		"standard AWS credential chain (EnvConfigCredentials)", "StatusCode: 400", "AccessDeniedException",
		"not authorized to perform: pricing:GetProducts", "the credentials need the IAM permission pricing:GetProducts",
	} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	if n := len(api.seen()); n != 1 {
		t.Errorf("%d requests: an access denial is not worth a retry", n)
	}
}

func TestFetchProfile(t *testing.T) {
	isolateAWS(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	creds := "[pricing-reader]\naws_access_key_id = AKIDFROMPROFILE\naws_secret_access_key = profile-secret\n"
	if err := os.WriteFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	api, url := newFakeAPI(t, catalog(), 50)
	f, err := Fetch(context.Background(), Options{Profile: "pricing-reader", EndpointURL: url, Region: "eu-central-1", Regions: []string{"us-east-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := f.Regions["us-east-1"]; r.NATHour != 0.045 || len(f.Regions) != 1 {
		t.Errorf("regions %+v", f.Regions)
	}
	for _, r := range api.seen() {
		if r.AccessKey != "AKIDFROMPROFILE" || r.SignRegion != "eu-central-1" {
			t.Errorf("signed by %s for %s, want AKIDFROMPROFILE for eu-central-1", r.AccessKey, r.SignRegion)
		}
	}

	_, err = Fetch(context.Background(), Options{Profile: "no-such-profile", EndpointURL: url})
	if err == nil || !strings.Contains(err.Error(), `profile "no-such-profile"`) || !strings.Contains(err.Error(), "Price List API") {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestFetchNothing(t *testing.T) {
	isolateAWS(t)
	_, url := newFakeAPI(t, catalog(), 3)
	_, err := Fetch(context.Background(), Options{EndpointURL: url, Regions: []string{"mars-north-1"}})
	if err == nil || !strings.Contains(err.Error(), "gave no NAT gateway prices") || !strings.Contains(err.Error(), "for mars-north-1") {
		t.Errorf("error %v", err)
	}
}

func TestFetchAPIRegion(t *testing.T) {
	isolateAWS(t)
	_, err := Fetch(context.Background(), Options{Region: "eu-west-1"})
	if err == nil || !strings.Contains(err.Error(), `no endpoint in "eu-west-1"`) || !strings.Contains(err.Error(), "us-east-1, eu-central-1, ap-south-1") {
		t.Errorf("error %v", err)
	}
}

// A catalog with NAT gateway prices only: conflicting duplicates, a region with regional prices
// only, a price in the wrong unit; the figures not found are left out of the file.
func TestFetchPartial(t *testing.T) {
	isolateAWS(t)
	_, url := newFakeAPI(t, []fakeProduct{
		nat("us-east-2", "USE2-NatGateway-Hours", "Hrs", "0.045"),
		nat("us-east-2", "USE2-NatGateway-Hours", "Hrs", "0.05"), // a second price: skipped
		nat("us-east-2", "USE2-NatGateway-Bytes", "GB", "0.045"),
		nat("us-east-2", "USE2-NatGateway-Bytes", "GB", "0.045"), // the same price again: fine
		nat("sa-east-1", "SAE1-RegionalNatGateway-Hours", "Hrs", "0.093"),
		nat("sa-east-1", "SAE1-RegionalNatGateway-Bytes", "GB", "0.093"),
		nat("ap-south-1", "APS3-NatGateway-Hours", "GB", "0.056"), // wrong unit: skipped
		nat("ap-south-1", "APS3-NatGateway-Bytes", "GB", "0.056"),
	}, 100)
	f, err := Fetch(context.Background(), Options{EndpointURL: url})
	if err != nil {
		t.Fatal(err)
	}
	checkWarnings(t, f.Warnings,
		"page 1 entry 2 (usagetype USE2-NatGateway-Hours, regionCode us-east-2) skipped: second price 0.05, the first was 0.045; kept the first",
		`page 1 entry 7 (usagetype APS3-NatGateway-Hours, regionCode ap-south-1) skipped: unit "GB", want hours`,
		"region ap-south-1: a NAT gateway per-GB price (0.056) but no hourly price; left out",
		"region sa-east-1: only regional NAT gateway prices, no zonal nat_hour and nat_per_gb; left out",
		"us-east-1: no interface endpoint hourly price (usagetype VpcEndpoint-Hours); left out",
		"us-east-1: no interface endpoint per-GB price (usagetype VpcEndpoint-Bytes); left out",
		"us-east-1: no inter-AZ price",
		"us-east-1: no internet egress price",
	)
	if f.Skipped != 2 {
		t.Errorf("Skipped %d, want 2", f.Skipped)
	}
	var buf bytes.Buffer
	if err := f.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	want := `{
  "date": "2026-12-08",
  "source": "AWS Price List API (GetProducts), AmazonEC2 NAT Gateway, AmazonVPC VpcEndpoint, AWSDataTransfer; fetched 2026-12-08",
  "regions": {
    "us-east-2": {
      "nat_hour": 0.045,
      "nat_per_gb": 0.045
    }
  }
}
`
	if buf.String() != want {
		t.Errorf("pricing file\n%s\nwant\n%s", buf.String(), want)
	}
}
