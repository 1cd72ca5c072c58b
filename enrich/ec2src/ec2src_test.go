package ec2src

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/enrich"
	"github.com/flowlens/flowlens/enrich/ec2src/ec2fake"
)

var fixtures = []string{"describe-network-interfaces.json", "describe-instances.json", "describe-subnets.json", "describe-vpcs.json",
	"describe-vpc-endpoints.json", "describe-nat-gateways.json", "describe-transit-gateway-attachments.json"}

func fixturePaths() []string {
	var out []string
	for _, f := range fixtures {
		out = append(out, filepath.Join("..", "testdata", f))
	}
	return out
}

// fakeEnv points the SDK at test credentials and no shared files.
func fakeEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

var taken = time.Date(2026, 11, 3, 4, 5, 6, 0, time.UTC)

func fetch(t *testing.T, fake *ec2fake.Server) *Snapshot {
	t.Helper()
	s, err := Fetch(context.Background(), Options{Region: "us-east-1", EndpointURL: fake.URL, MaxBackoff: 10 * time.Millisecond,
		Now: func() time.Time { return taken }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFetchEqualsFiles: the fake EC2 endpoint serves the describe-* fixtures as the EC2 Query API
// does (XML, two items a page, DescribeNetworkInterfaces and DescribeInstances throttled once
// before their second page); the snapshot, read as an inventory, is the inventory of the files
// themselves, field for field; every request was signed, of API version 2016-11-15, a describe
// call with MaxResults 1000, and followed each NextToken to the end.
func TestFetchEqualsFiles(t *testing.T) {
	fakeEnv(t)
	fake, err := ec2fake.New(fixturePaths()...)
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	fake.Throttle["DescribeNetworkInterfaces"] = 1
	fake.Throttle["DescribeInstances"] = 1
	s := fetch(t, fake)
	if p := fake.Problems(); len(p) > 0 {
		t.Fatalf("requests as EC2 would not take them:\n%s", strings.Join(p, "\n"))
	}
	want, err := enrich.Load(fixturePaths()...)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	got := enrich.New()
	at, err := got.Add(&buf, "snapshot")
	if err != nil {
		t.Fatal(err)
	}
	got.Finish()
	if !at.Equal(taken) {
		t.Errorf("taken %v, want %v", at, taken)
	}
	if len(got.Interfaces) != len(want.Interfaces) || len(got.Interfaces) == 0 {
		t.Fatalf("%d interfaces, want %d", len(got.Interfaces), len(want.Interfaces))
	}
	for id, w := range want.Interfaces {
		if g := got.Interfaces[id]; !reflect.DeepEqual(g, w) {
			t.Errorf("interface %s:\n got %+v\nwant %+v", id, g, w)
		}
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{{"subnets", got.Subnets, want.Subnets}, {"VPCs", got.VPCs, want.VPCs}, {"endpoints", got.Endpoints, want.Endpoints},
		{"NAT gateways", got.NATGateways, want.NATGateways}, {"attachments", got.Attachments, want.Attachments}} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, c.got, c.want)
		}
	}
	// Every page of every call, the throttled ones once more.
	pages := map[string]int{}
	throttled := map[string]int{}
	for _, r := range fake.Requests() {
		if r.MaxResults != 1000 {
			t.Errorf("%s: MaxResults %d, want 1000", r.Action, r.MaxResults)
		}
		if r.Throttled {
			throttled[r.Action]++
		} else {
			pages[r.Action]++
		}
	}
	for _, c := range Calls {
		if pages[c.Action] != s.Pages[c.Key] || s.Pages[c.Key] < 1 {
			t.Errorf("%s: %d pages asked, %d read", c.Action, pages[c.Action], s.Pages[c.Key])
		}
	}
	if got, want := s.Summary(), "8 interfaces, 2 instances, 3 subnets, 2 VPCs, 2 VPC endpoints, 2 NAT gateways, 2 transit gateway attachments"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if throttled["DescribeNetworkInterfaces"] != 1 || throttled["DescribeInstances"] != 1 {
		t.Errorf("throttled %v", throttled)
	}
	if s.Pages["NetworkInterfaces"] < 2 {
		t.Errorf("the interfaces came in %d page(s): the test wants pagination", s.Pages["NetworkInterfaces"])
	}
}

// A call the caller may not make is an error that names it and the permission.
func TestFetchDenied(t *testing.T) {
	fakeEnv(t)
	fake, err := ec2fake.New(fixturePaths()...)
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	fake.Deny["DescribeSubnets"] = true
	_, err = Fetch(context.Background(), Options{Region: "us-east-1", EndpointURL: fake.URL, MaxBackoff: 10 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "DescribeSubnets") || !strings.Contains(err.Error(), "ec2:DescribeSubnets") || !strings.Contains(err.Error(), fake.URL) {
		t.Fatalf("error %v", err)
	}
	for _, r := range fake.Requests() {
		if r.Action == "DescribeVpcs" {
			t.Fatalf("went on after a failed call")
		}
	}
}

// Without a region there is nothing to ask.
func TestFetchNoRegion(t *testing.T) {
	fakeEnv(t)
	_, err := Fetch(context.Background(), Options{EndpointURL: "http://127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), "--region") {
		t.Fatalf("error %v", err)
	}
}

func TestSaveAndDefaultPath(t *testing.T) {
	fakeEnv(t)
	fake, err := ec2fake.New(fixturePaths()...)
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	s := fetch(t, fake)
	path := filepath.Join(t.TempDir(), "sub", "inv.json")
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	inv, err := enrich.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !inv.TakenFrom.Equal(taken) || len(inv.Interfaces) == 0 {
		t.Fatalf("taken %v, %d interfaces", inv.TakenFrom, len(inv.Interfaces))
	}
	t.Setenv("XDG_CACHE_HOME", "/cache")
	t.Setenv("HOME", "/home/x")
	p, err := DefaultCachePath("eu-west-1", "prod/admin", "http://127.0.0.1:4566")
	if err != nil || !strings.HasPrefix(p, "/cache/flowlens/enrich/") && !strings.Contains(p, "flowlens/enrich/") ||
		!strings.HasSuffix(p, "inventory-eu-west-1-prod_admin-127.0.0.1_4566.json") {
		t.Fatalf("%q %v", p, err)
	}
}
