package pricelist

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeProduct is one product of the fake's catalog: the attributes its filters match (productFamily
// among them) and the PriceList entry it answers with, which may be malformed.
type fakeProduct struct {
	service string
	attrs   map[string]string
	entry   string
}

// fakeFilter is a filter as the SDK sends it.
type fakeFilter struct {
	Type, Field, Value string
}

// fakeRequest is what the fake saw of one GetProducts call.
type fakeRequest struct {
	ServiceCode   string
	Filters       []fakeFilter
	FormatVersion string
	NextToken     string
	MaxResults    int
	// From the Authorization header (SigV4): the access key and the credential scope's region and
	// service.
	AccessKey, SignRegion, SignService string
}

// fakeAPI is a Price List API on loopback: AWS JSON 1.1 (POST /, X-Amz-Target
// AWSPriceListService.GetProducts), TERM_MATCH filters on product attributes, pages of pageSize
// entries chained by NextToken, and AccessDeniedException when deny is set.
type fakeAPI struct {
	t        *testing.T
	catalog  []fakeProduct
	pageSize int
	deny     bool

	mu       sync.Mutex
	requests []fakeRequest
}

// newFakeAPI starts the fake on 127.0.0.1 and returns it with its URL.
func newFakeAPI(t *testing.T, catalog []fakeProduct, pageSize int) (*fakeAPI, string) {
	t.Helper()
	f := &fakeAPI{t: t, catalog: catalog, pageSize: pageSize}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(f)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return f, srv.URL
}

// seen returns the requests so far.
func (f *fakeAPI) seen() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.requests...)
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, typ, msg string) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", typ)
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"__type": typ, "Message": msg})
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		f.t.Errorf("fake Price List API: %s %s, want POST /", r.Method, r.URL.Path)
		fail(http.StatusNotFound, "UnknownOperationException", r.Method+" "+r.URL.Path)
		return
	}
	if target := r.Header.Get("X-Amz-Target"); target != "AWSPriceListService.GetProducts" {
		f.t.Errorf("fake Price List API: X-Amz-Target %q", target)
		fail(http.StatusBadRequest, "UnknownOperationException", "operation "+target)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		f.t.Errorf("fake Price List API: Content-Type %q", ct)
	}
	var req fakeRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		fail(http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	// Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261207/us-east-1/pricing/aws4_request, SignedHeaders=…
	if _, cred, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		cred, _, _ = strings.Cut(cred, ",")
		if parts := strings.Split(cred, "/"); len(parts) == 5 {
			req.AccessKey, req.SignRegion, req.SignService = parts[0], parts[2], parts[3]
		}
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()

	if req.AccessKey == "" {
		fail(http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	if f.deny {
		fail(http.StatusBadRequest, "AccessDeniedException",
			"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: pricing:GetProducts because no identity-based policy allows the pricing:GetProducts action")
		return
	}
	var match []string
	for _, p := range f.catalog {
		if p.service != req.ServiceCode {
			continue
		}
		ok := true
		for _, fl := range req.Filters {
			if fl.Type != "TERM_MATCH" {
				fail(http.StatusBadRequest, "ValidationException", "the fake knows TERM_MATCH only, not "+fl.Type)
				return
			}
			ok = ok && p.attrs[fl.Field] == fl.Value
		}
		if ok {
			match = append(match, p.entry)
		}
	}
	start := 0
	if req.NextToken != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(req.NextToken, "page-at-"))
		if err != nil || !strings.HasPrefix(req.NextToken, "page-at-") || n > len(match) {
			fail(http.StatusBadRequest, "InvalidNextTokenException", "The pagination token is invalid: "+req.NextToken)
			return
		}
		start = n
	}
	size := f.pageSize
	if req.MaxResults > 0 && req.MaxResults < size {
		size = req.MaxResults
	}
	end := min(start+size, len(match))
	resp := map[string]any{"FormatVersion": "aws_v1", "PriceList": append([]string{}, match[start:end]...)}
	if end < len(match) {
		resp["NextToken"] = fmt.Sprintf("page-at-%d", end)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(resp)
}

// nat is a NAT gateway product of the fake's catalog.
func nat(region, usage, unit, price string) fakeProduct {
	a := natAttrs(region, usage)
	a["productFamily"] = "NAT Gateway"
	return fakeProduct{"AmazonEC2", a, natEntry(region, usage, unit, price)}
}

// endpoint is an interface endpoint product of the fake's catalog.
func endpoint(region, usage, unit string, tiers [][3]string) fakeProduct {
	a := map[string]string{"usagetype": usage, "regionCode": region, "location": locations[region], "group": "VpcEndpoint", "operation": ""}
	e := priceEntry("AmazonVPC", "VpcEndpoint", a, unit, tiers)
	a["productFamily"] = "VpcEndpoint"
	return fakeProduct{"AmazonVPC", a, e}
}

// transfer is a data transfer product of the fake's catalog.
func transfer(transferType, from, to, usage string, tiers [][3]string) fakeProduct {
	toLocation := locations[to]
	if to == "" {
		toLocation = "External"
	}
	a := map[string]string{
		"usagetype": usage, "transferType": transferType, "fromRegionCode": from, "fromLocation": locations[from],
		"toRegionCode": to, "toLocation": toLocation, "operation": "",
	}
	e := priceEntry("AWSDataTransfer", "Data Transfer", a, "GB", tiers)
	a["productFamily"] = "Data Transfer"
	return fakeProduct{"AWSDataTransfer", a, e}
}

// catalog is the fake's price list: NAT gateways in six regions (us-east-1 without a usage type
// prefix, regional NAT gateways in us-east-1 and eu-central-1, ap-south-1 with an unreadable per-GB
// price, sa-east-1 with no per-GB price, GovCloud), a malformed entry, tiered interface endpoint
// prices in two regions and the data transfer products, with products the queries must not match
// in between.
func catalog() []fakeProduct {
	free := "0.0000000000"
	egress := [][3]string{{"0", "100", free}, {"100", "10240", "0.0900000000"}, {"10240", "51200", "0.0850000000"},
		{"51200", "153600", "0.0700000000"}, {"153600", "Inf", "0.0500000000"}}
	return []fakeProduct{
		nat("us-east-1", "NatGateway-Hours", "Hrs", "0.0450000000"),
		nat("us-east-1", "NatGateway-Bytes", "GB", "0.0450000000"),
		nat("us-east-2", "USE2-NatGateway-Hours", "Hrs", "0.0450000000"),
		// Truncated JSON: skipped with a warning.
		{"AmazonEC2", map[string]string{"productFamily": "NAT Gateway", "regionCode": "us-east-2"},
			`{"product":{"productFamily":"NAT Gateway","attributes":{"usagetype":"USE2-NatGateway-Bytes","regionCode":"us-east-2"`},
		nat("us-east-2", "USE2-NatGateway-Bytes", "GB", "0.0450000000"),
		nat("us-east-1", "RegionalNatGateway-Hours", "Hrs", "0.0450000000"),
		nat("us-east-1", "RegionalNatGateway-Bytes", "GB", "0.0450000000"),
		{"AmazonEC2", map[string]string{"productFamily": "Compute Instance", "regionCode": "us-east-1"},
			priceEntry("AmazonEC2", "Compute Instance", map[string]string{"usagetype": "BoxUsage:t3.micro", "regionCode": "us-east-1"},
				"Hrs", [][3]string{{"0", "Inf", "0.0104000000"}})},
		nat("eu-central-1", "EUC1-NatGateway-Hours", "Hrs", "0.0520000000"),
		nat("eu-central-1", "EUC1-NatGateway-Bytes", "GB", "0.0520000000"),
		nat("eu-central-1", "EUC1-RegionalNatGateway-Hours", "Hrs", "0.0520000000"),
		nat("eu-central-1", "EUC1-RegionalNatGateway-Bytes", "GB", "0.0600000000"), // differs from the zonal: a warning
		nat("ap-south-1", "APS3-NatGateway-Hours", "Hrs", "0.0560000000"),
		nat("ap-south-1", "APS3-NatGateway-Bytes", "GB", "n/a"),          // unreadable: skipped, and ap-south-1 left out
		nat("sa-east-1", "SAE1-NatGateway-Hours", "Hrs", "0.0930000000"), // no per-GB: left out
		nat("us-gov-west-1", "UGW1-NatGateway-Hours", "Hrs", "0.0540000000"),
		nat("us-gov-west-1", "UGW1-NatGateway-Bytes", "GB", "0.0540000000"),

		endpoint("us-east-1", "USE1-VpcEndpoint-Hours", "Hrs", [][3]string{{"0", "Inf", "0.0100000000"}}),
		endpoint("us-east-1", "USE1-VpcEndpoint-GWLBE-Hours", "Hrs", [][3]string{{"0", "Inf", "0.0100000000"}}),
		endpoint("us-east-1", "USE1-VpcEndpoint-Bytes", "GB",
			[][3]string{{"5000000", "Inf", "0.0040000000"}, {"0", "1000000", "0.0100000000"}, {"1000000", "5000000", "0.0060000000"}}),
		endpoint("eu-central-1", "EUC1-VpcEndpoint-Hours", "Hrs", [][3]string{{"0", "Inf", "0.0120000000"}}),
		endpoint("eu-central-1", "EUC1-VpcEndpoint-Bytes", "GB",
			[][3]string{{"0", "1000000", "0.0120000000"}, {"1000000", "5000000", "0.0072000000"}, {"5000000", "Inf", "0.0048000000"}}),

		transfer("IntraRegion", "us-east-1", "us-east-1", "USE1-DataTransfer-Regional-Bytes", [][3]string{{"0", "Inf", "0.0100000000"}}),
		transfer("IntraRegion", "eu-central-1", "eu-central-1", "EUC1-DataTransfer-Regional-Bytes", [][3]string{{"0", "Inf", "0.0100000000"}}),
		transfer("InterRegion Outbound", "us-east-1", "us-east-2", "USE1-USE2-AWS-Out-Bytes", [][3]string{{"0", "Inf", "0.0100000000"}}),
		transfer("AWS Outbound", "us-east-1", "", "USE1-DataTransfer-Out-Bytes", egress),
		transfer("AWS Outbound", "eu-central-1", "", "EUC1-DataTransfer-Out-Bytes", egress),
		transfer("AWS Inbound", "us-east-1", "", "USE1-DataTransfer-In-Bytes", [][3]string{{"0", "Inf", free}}),
	}
}
