package enrich

import (
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var fixtures = []string{"describe-network-interfaces.json", "describe-instances.json", "describe-subnets.json", "describe-vpcs.json",
	"describe-vpc-endpoints.json", "describe-nat-gateways.json", "describe-transit-gateway-attachments.json"}

func fixturePaths(names ...string) []string {
	var out []string
	for _, n := range names {
		out = append(out, filepath.Join("testdata", n))
	}
	return out
}

func loadFixtures(t *testing.T) *Inventory {
	t.Helper()
	inv, err := Load(fixturePaths(fixtures...)...)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// want is what each interface of the fixtures resolves to, worked out by hand from the files.
type want struct {
	typ, name, instance, subnet, vpc, azID, owner string
	requester                                     bool
	tags                                          map[string]string
	addrs                                         []string
}

var wantIfaces = map[string]want{
	// The instance's Name tag; its tags; the subnet's AZ id; both private addresses and the IPv6 one.
	"eni-0web1primary0001": {"interface", "web-1", "i-0web1web1web1web1", "subnet-0a1a1a1a1a1a1a1a1", "vpc-0aaa1111bbbb22223", "use1-az1", "i-0web1web1web1web1", false,
		map[string]string{"Name": "web-1", "team": "payments", "env": "prod"}, []string{"10.0.1.10", "10.0.1.11", "2600:1f18:aaaa:100::10"}},
	// A secondary ENI in another subnet: the instance's Name and team win over the ENI's own tags.
	"eni-0web1second0002": {"interface", "web-1", "i-0web1web1web1web1", "subnet-0a2a2a2a2a2a2a2a2", "vpc-0aaa1111bbbb22223", "use1-az2", "i-0web1web1web1web1", false,
		map[string]string{"Name": "web-1", "team": "payments", "env": "prod"}, []string{"10.0.2.20"}},
	// The ENI's team tag where the instance has none.
	"eni-0db1db1db1db10003": {"interface", "db-1", "i-0db1db1db1db1db1d", "subnet-0a2a2a2a2a2a2a2a2", "vpc-0aaa1111bbbb22223", "use1-az2", "i-0db1db1db1db1db1d", false,
		map[string]string{"Name": "db-1", "team": "data", "env": "prod"}, []string{"10.0.2.30"}},
	// Requester-managed NAT gateway interface: the gateway's Name and tags, two private addresses and its public one.
	"eni-0nat1nat1nat10004": {"nat_gateway", "prod-egress-a", "", "subnet-0a0a0a0a0a0a0a0a0", "vpc-0aaa1111bbbb22223", "use1-az1", "nat-0zonal1zonal1zonal", true,
		map[string]string{"Name": "prod-egress-a", "team": "platform", "env": "prod"}, []string{"10.0.0.50", "10.0.0.51"}},
	"eni-0vpce1vpce1vp0005": {"vpc_endpoint", "sts-endpoint", "", "subnet-0a1a1a1a1a1a1a1a1", "vpc-0aaa1111bbbb22223", "use1-az1", "vpce-0sts0sts0sts0sts0", true,
		map[string]string{"Name": "sts-endpoint", "env": "prod"}, []string{"10.0.1.100"}},
	// No tag: the description; team from the subnet, env from the VPC.
	"eni-0lambdalambdal0006": {"lambda", "AWS Lambda VPC ENI-orders-fn-6e1b2f3a-0c4d-4e5f-8a9b-0c1d2e3f4a5b", "", "subnet-0a2a2a2a2a2a2a2a2", "vpc-0aaa1111bbbb22223", "use1-az2", "", true,
		map[string]string{"team": "data", "env": "prod"}, []string{"10.0.2.40"}},
	// The attachment's Name, found through the description.
	"eni-0tgw0tgw0tgw0tg0007": {"transit_gateway", "prod-attachment", "", "subnet-0a0a0a0a0a0a0a0a0", "vpc-0aaa1111bbbb22223", "use1-az1", "tgw-attach-0prod0prod0prod0", true,
		map[string]string{"Name": "prod-attachment", "env": "prod"}, []string{"10.0.0.60"}},
	// Nothing names it.
	"eni-0spare0spare0s0008": {"interface", "", "", "subnet-0a1a1a1a1a1a1a1a1", "vpc-0aaa1111bbbb22223", "use1-az1", "", false,
		map[string]string{"env": "prod"}, []string{"10.0.1.200"}},
	// Regional NAT gateway interfaces: only in describe-nat-gateways; AZ id per address, no subnet.
	"eni-0rnat1rnat1rn0009": {"nat_gateway", "nat-0regional0regional", "", "", "vpc-0bbb3333cccc44445", "use1-az1", "nat-0regional0regional", true,
		map[string]string{"team": "platform"}, []string{"10.1.0.5"}},
	"eni-0rnat2rnat2rn0010": {"nat_gateway", "nat-0regional0regional", "", "", "vpc-0bbb3333cccc44445", "use1-az2", "nat-0regional0regional", true,
		map[string]string{"team": "platform"}, []string{"10.1.1.5"}},
}

func checkInventory(t *testing.T, inv *Inventory) {
	t.Helper()
	if len(inv.Interfaces) != len(wantIfaces) {
		var ids []string
		for id := range inv.Interfaces {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		t.Fatalf("%d interfaces, want %d: %v", len(inv.Interfaces), len(wantIfaces), ids)
	}
	for id, w := range wantIfaces {
		i := inv.ByID(id)
		if i == nil {
			t.Errorf("%s: missing", id)
			continue
		}
		got := want{i.Type, i.Name, i.InstanceID, i.SubnetID, i.VPCID, i.AZID, i.OwnerID, i.Requester, i.Tags, nil}
		for _, a := range i.Addrs {
			got.addrs = append(got.addrs, a.String())
		}
		if len(got.tags) == 0 {
			got.tags = map[string]string{}
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s:\n got %+v\nwant %+v", id, got, w)
		}
	}
	for addr, eni := range map[string]string{"10.0.1.11": "eni-0web1primary0001", "2600:1f18:aaaa:100::10": "eni-0web1primary0001",
		"203.0.113.10": "eni-0nat1nat1nat10004", "198.51.100.22": "eni-0rnat2rnat2rn0010", "10.0.2.40": "eni-0lambdalambdal0006",
		"::ffff:10.0.2.30": "eni-0db1db1db1db10003"} {
		i := inv.ByAddr(netip.MustParseAddr(addr))
		if i == nil || i.ID != eni {
			t.Errorf("ByAddr(%s) = %v, want %s", addr, i, eni)
		}
	}
	if i := inv.ByAddr(netip.MustParseAddr("10.9.9.9")); i != nil {
		t.Errorf("ByAddr(10.9.9.9) = %s, want none", i.ID)
	}
	if len(inv.NATGateways) != 2 || inv.NATGateways[0].Regional || !inv.NATGateways[1].Regional {
		t.Errorf("NAT gateways: %+v", inv.NATGateways)
	}
	if len(inv.Endpoints) != 2 || inv.Endpoints[1].Service != "com.amazonaws.us-east-1.s3" || inv.Endpoints[1].Type != "Gateway" {
		t.Errorf("endpoints: %+v", inv.Endpoints)
	}
	if len(inv.Attachments) != 2 || inv.Attachments[0].ResourceID != "vpc-0aaa1111bbbb22223" {
		t.Errorf("attachments: %+v", inv.Attachments)
	}
	if len(inv.Subnets) != 3 || len(inv.VPCs) != 2 {
		t.Errorf("%d subnets, %d VPCs", len(inv.Subnets), len(inv.VPCs))
	}
}

func TestLoadFixtures(t *testing.T) {
	checkInventory(t, loadFixtures(t))
}

// The files' order does not matter.
func TestLoadOrder(t *testing.T) {
	rev := slices.Clone(fixtures)
	slices.Reverse(rev)
	inv, err := Load(fixturePaths(rev...)...)
	if err != nil {
		t.Fatal(err)
	}
	checkInventory(t, inv)
}

// Without describe-network-interfaces, the instances' own interface lists still name their ENIs.
func TestInstancesOnly(t *testing.T) {
	inv, err := Load(fixturePaths("describe-instances.json", "describe-subnets.json")...)
	if err != nil {
		t.Fatal(err)
	}
	i := inv.ByID("eni-0web1second0002")
	if i == nil || i.Name != "web-1" || i.AZID != "use1-az2" || i.InstanceID != "i-0web1web1web1web1" || i.Type != "interface" {
		t.Fatalf("%+v", i)
	}
	if o := inv.ByAddr(netip.MustParseAddr("10.0.1.11")); o == nil || o.ID != "eni-0web1primary0001" {
		t.Fatalf("10.0.1.11: %+v", o)
	}
}

func TestTakenAt(t *testing.T) {
	inv := New()
	taken, err := inv.Add(strings.NewReader(`{"flowlensTakenAt": "2026-11-02T03:04:05Z", "Vpcs": []}`), "cache")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC); !taken.Equal(want) {
		t.Fatalf("taken %v, want %v", taken, want)
	}
	inv.taken(taken)
	inv.taken(taken.Add(time.Hour))
	if got := inv.TakenText(); got != "2026-11-02T03:04:05Z to 2026-11-02T04:04:05Z" {
		t.Fatalf("TakenText %q", got)
	}
}

func TestAddErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"Buckets": []}`, "inventory f.json: document 1 has none of the keys"},
		{`{"Vpcs": []} {"Vpcs": [}`, "inventory f.json: document 2 is not a JSON object"},
		{``, "inventory f.json: empty"},
		{`{"NetworkInterfaces": {"a": 1}}`, "document 1: NetworkInterfaces: not a list"},
		{`{"NetworkInterfaces": [{"Description": "x"}]}`, "an interface without NetworkInterfaceId"},
		{`{"flowlensTakenAt": "yesterday", "Vpcs": []}`, `flowlensTakenAt "yesterday"`},
	} {
		_, err := New().Add(strings.NewReader(c.in), "f.json")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.in, err, c.want)
		}
	}
	if _, err := Load("testdata/missing.json"); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}
