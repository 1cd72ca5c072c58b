package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/nat"
	"github.com/flowlens/flowlens/report"
)

// endpointWorld: one hour of a VPC (vpc-1, us-east-1) whose inventory has an interface endpoint of
// STS (vpce-if1, its interface eni-vpce1 at 10.0.1.50), an S3 gateway endpoint (vpce-gw1) and a
// deleted DynamoDB gateway endpoint (vpce-old); the workload A (eni-a, 10.0.1.10) and the NAT
// gateway eni-nat (10.0.0.5, given with --nat). The ranges put 52.216.0.0/15 in S3 and
// 3.218.180.0/22 in DynamoDB, both of us-east-1.
func endpointWorld(t *testing.T) (dir, inv, ranges string) {
	t.Helper()
	dir = t.TempDir()
	start := time.Date(2026, 11, 1, 10, 5, 0, 0, time.UTC).Unix()
	var b strings.Builder
	b.WriteString("version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status region az-id flow-direction pkt-srcaddr pkt-dstaddr\n")
	rec := func(eni, src, dst string, bytes int64, dir, pktSrc, pktDst string) {
		fmt.Fprintf(&b, "5 %s %s %s 40000 443 6 1000 %d %d %d ACCEPT OK us-east-1 use1-az1 %s %s %s\n", eni, src, dst, bytes, start, start+60, dir, pktSrc, pktDst)
	}
	rec("eni-a", "10.0.1.10", "52.216.1.1", 4_000_000_000, "egress", "10.0.1.10", "52.216.1.1")  // to S3, through the gateway endpoint
	rec("eni-a", "10.0.1.10", "52.216.1.2", 1_000_000_000, "egress", "10.0.1.10", "52.216.1.2")  // to S3, through the NAT gateway (below)
	rec("eni-a", "52.216.1.1", "10.0.1.10", 3_000_000_000, "ingress", "52.216.1.1", "10.0.1.10") // from S3, through the gateway endpoint
	rec("eni-nat", "10.0.1.10", "10.0.0.5", 1_000_000_000, "ingress", "10.0.1.10", "52.216.1.2") // the NAT's translated upload to S3
	rec("eni-a", "10.0.1.10", "3.218.180.9", 2_000_000_000, "egress", "10.0.1.10", "3.218.180.9")
	rec("eni-nat", "10.0.1.10", "10.0.0.5", 2_000_000_000, "ingress", "10.0.1.10", "3.218.180.9") // to DynamoDB through the NAT
	rec("eni-vpce1", "10.0.1.10", "10.0.1.50", 1000, "ingress", "10.0.1.10", "10.0.1.50")         // the STS endpoint's interface
	rec("eni-vpce1", "10.0.1.50", "10.0.1.10", 2000, "egress", "10.0.1.50", "10.0.1.10")
	if err := os.WriteFile(filepath.Join(dir, "flows.log"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	aux := t.TempDir()
	inv = filepath.Join(aux, "inventory.json")
	if err := os.WriteFile(inv, []byte(`{"NetworkInterfaces": [
		{"NetworkInterfaceId": "eni-a", "InterfaceType": "interface", "VpcId": "vpc-1", "SubnetId": "subnet-1", "PrivateIpAddress": "10.0.1.10", "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.10"}]},
		{"NetworkInterfaceId": "eni-nat", "InterfaceType": "nat_gateway", "VpcId": "vpc-1", "SubnetId": "subnet-0", "PrivateIpAddress": "10.0.0.5", "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.5"}]}]}
{"VpcEndpoints": [
		{"VpcEndpointId": "vpce-if1", "VpcEndpointType": "Interface", "VpcId": "vpc-1", "ServiceName": "com.amazonaws.us-east-1.sts", "State": "available", "NetworkInterfaceIds": ["eni-vpce1"], "Tags": [{"Key": "Name", "Value": "sts"}]},
		{"VpcEndpointId": "vpce-gw1", "VpcEndpointType": "Gateway", "VpcId": "vpc-1", "ServiceName": "com.amazonaws.us-east-1.s3", "State": "available"},
		{"VpcEndpointId": "vpce-old", "VpcEndpointType": "Gateway", "VpcId": "vpc-1", "ServiceName": "com.amazonaws.us-east-1.dynamodb", "State": "deleted"}]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ranges = filepath.Join(aux, "ip-ranges.json")
	if err := os.WriteFile(ranges, []byte(`{"syncToken": "1", "createDate": "2026-11-01-00-00-00", "prefixes": [
		{"ip_prefix": "52.216.0.0/15", "region": "us-east-1", "service": "AMAZON", "network_border_group": "us-east-1"},
		{"ip_prefix": "52.216.0.0/15", "region": "us-east-1", "service": "S3", "network_border_group": "us-east-1"},
		{"ip_prefix": "3.218.180.0/22", "region": "us-east-1", "service": "AMAZON", "network_border_group": "us-east-1"},
		{"ip_prefix": "3.218.180.0/22", "region": "us-east-1", "service": "DYNAMODB", "network_border_group": "us-east-1"}], "ipv6_prefixes": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, inv, ranges
}

// TestExistingEndpoints: the traffic through each existing endpoint, worked out by hand from the
// log above, and no existing endpoint recommended again:
//
//	vpce-if1 (Interface, STS)  the records of eni-vpce1: 1000 + 2000 = 3000 bytes, 2 flows
//	vpce-gw1 (Gateway, S3)     eni-a's records to and from S3: 4 GB + 1 GB out (2 flows), 3 GB in
//	                           (1 flow) = 8 GB, 3 flows; less the NAT's translated upload to S3
//	                           for 10.0.1.10 (1 GB, 1 flow) = 7 GB, 2 flows
//	vpce-old (Gateway, deleted) not measured
//
// The NAT carried 1 GB to S3: the S3 gateway endpoint exists, so it is not recommended (a note
// says why the traffic is still there); the DynamoDB one is deleted, so the 2 GB to DynamoDB
// through the NAT gets a gateway endpoint recommendation.
func TestExistingEndpoints(t *testing.T) {
	dir, inv, ranges := endpointWorld(t)
	args := []string{"-q", "--format", "json", "--nat", "eni-nat", "--enrich", inv, "--ip-ranges", ranges, "--from", "2026-11-01T10:00:00Z", "--to", "2026-11-01T11:00:00Z", dir}
	var rev nat.Review
	if err := json.Unmarshal([]byte(mustRun(t, append([]string{"cost"}, args...)...)), &rev); err != nil {
		t.Fatal(err)
	}
	check := func(label string, eps []nat.EndpointDoc) {
		t.Helper()
		want := []struct {
			id              string
			measured        bool
			bytes, flows    int64
			service, typ    string
			noteContains    string
			interfacesCount int
		}{
			{"vpce-gw1", true, 7_000_000_000, 2, "com.amazonaws.us-east-1.s3", "Gateway", "route tables", 0},
			{"vpce-if1", true, 3000, 2, "com.amazonaws.us-east-1.sts", "Interface", "", 1},
			{"vpce-old", false, 0, 0, "com.amazonaws.us-east-1.dynamodb", "Gateway", "deleted", 0},
		}
		if len(eps) != len(want) {
			t.Fatalf("%s: endpoints %+v", label, eps)
		}
		for i, w := range want {
			e := eps[i]
			if e.ID != w.id || e.Measured != w.measured || e.Bytes != w.bytes || e.Flows != w.flows || e.Service != w.service || e.Type != w.typ ||
				!strings.Contains(e.Note, w.noteContains) || len(e.Interfaces) != w.interfacesCount {
				t.Errorf("%s: endpoint %d: %+v, want %+v", label, i, e, w)
			}
		}
	}
	check("cost", rev.Endpoints)
	var kinds []string
	for _, r := range rev.Recommendations {
		kinds = append(kinds, r.Kind+":"+r.Service)
	}
	if strings.Join(kinds, ",") != "gateway_endpoint:dynamodb" {
		t.Errorf("recommendations %v, want the DynamoDB gateway endpoint alone", kinds)
	}
	if !strings.Contains(strings.Join(rev.Assumptions.Notes, "\n"), "S3 gateway endpoint exists (vpce-gw1") {
		t.Errorf("notes: %v", rev.Assumptions.Notes)
	}
	// The report's NAT section is the same review.
	var rep report.Report
	if err := json.Unmarshal([]byte(mustRun(t, append([]string{"report"}, args...)...)), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.NAT == nil {
		t.Fatal("report: no NAT section")
	}
	check("report", rep.NAT.Endpoints)
	text := mustRun(t, "cost", "-q", "--format", "table", "--nat", "eni-nat", "--enrich", inv, "--ip-ranges", ranges, "--from", "2026-11-01T10:00:00Z", "--to", "2026-11-01T11:00:00Z", dir)
	for _, want := range []string{"EXISTING VPC ENDPOINTS", "vpce-gw1", "7.0 GB in 2 flows", "vpce-if1 (sts)", "not measured"} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q:\n%s", want, text)
		}
	}
	html := mustRun(t, "cost", "-q", "--format", "html", "--nat", "eni-nat", "--enrich", inv, "--ip-ranges", ranges, "--from", "2026-11-01T10:00:00Z", "--to", "2026-11-01T11:00:00Z", dir)
	if !strings.Contains(html, "Existing VPC endpoints (never recommended again)") || !strings.Contains(html, "vpce-gw1") {
		t.Error("html lacks the existing endpoints")
	}
}
