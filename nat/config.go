package nat

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/flowlens/flowlens/cost"
	"github.com/flowlens/flowlens/enrich"
)

// FromInventory sets the gateways and the existing endpoints from an inventory (--enrich): every
// interface of type nat_gateway is a gateway (no guessing), named by its gateway's Name tag, with
// its subnet, AZ id and private addresses; a gateway given with --nat or --nat-gateways stands.
func (c *Config) FromInventory(inv *enrich.Inventory) {
	c.Name = func(a netip.Addr) string {
		if i := inv.ByAddr(a); i != nil {
			return i.Name
		}
		return ""
	}
	c.AZ = func(a netip.Addr) string {
		if i := inv.ByAddr(a); i != nil {
			return i.AZID
		}
		return ""
	}
	c.PublicIPs = map[string]int{}
	for id, i := range inv.Interfaces {
		if i.Type == "nat_gateway" {
			n := 0
			for _, a := range i.PublicIPs {
				if a.Is4() {
					n++
				}
			}
			c.PublicIPs[id] = n
		}
	}
	c.AttachmentVPC = map[string]string{}
	for _, a := range inv.Attachments {
		if a.ResourceType == "vpc" || strings.HasPrefix(a.ResourceID, "vpc-") {
			c.AttachmentVPC[a.ID] = a.ResourceID
		}
	}
	c.InterfaceVPC = func(id string) string {
		if i := inv.ByID(id); i != nil {
			return i.VPCID
		}
		return ""
	}
	c.AddrVPC = func(a netip.Addr) string {
		if i := inv.ByAddr(a); i != nil {
			return i.VPCID
		}
		return ""
	}
	// An endpoint's interfaces: those describe-vpc-endpoints lists, and those describe-network-
	// interfaces says it owns.
	owned := map[string][]string{}
	for id, i := range inv.Interfaces {
		if i.Type == "vpc_endpoint" && strings.HasPrefix(i.OwnerID, "vpce-") {
			owned[i.OwnerID] = append(owned[i.OwnerID], id)
		}
	}
	for _, e := range inv.Endpoints {
		seen := map[string]bool{}
		var enis []string
		for _, id := range append(append([]string(nil), e.ENIs...), owned[e.ID]...) {
			if !seen[id] {
				seen[id] = true
				enis = append(enis, id)
			}
		}
		sort.Strings(enis)
		c.Endpoints = append(c.Endpoints, Endpoint{ID: e.ID, Type: e.Type, Service: e.Service, VPCID: e.VPCID, State: e.State, Name: e.Name, ENIs: enis})
	}
	if len(c.Gateways) > 0 {
		return
	}
	regional := map[string]bool{}
	for _, g := range inv.NATGateways {
		regional[g.ID] = g.Regional
	}
	var ids []string
	for id, i := range inv.Interfaces {
		if i.Type == "nat_gateway" {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		i := inv.Interfaces[id]
		g := GatewayInfo{InterfaceID: id, SubnetID: i.SubnetID, AZ: i.AZID, Regional: regional[i.OwnerID]}
		if strings.HasPrefix(i.OwnerID, "nat-") {
			g.GatewayID = i.OwnerID
			if i.Name != i.OwnerID && !strings.HasPrefix(i.Name, "Interface for NAT Gateway") {
				g.Name = i.Name
			}
		}
		for _, a := range i.Addrs {
			if a.Is4() {
				g.PrivateIPs = append(g.PrivateIPs, a.String())
			}
		}
		c.Gateways = append(c.Gateways, g)
	}
}

// GatewayInfo is what the user says of a NAT gateway interface (--nat, --nat-gateways).
type GatewayInfo struct {
	InterfaceID string
	GatewayID   string
	Name        string // the gateway's Name tag
	SubnetID    string
	AZ          string // AZ name or id of the interface, when known
	Regional    bool   // of a regional NAT gateway: no subnet, billed per active AZ
	PrivateIPs  []string
}

// ParseDescribeNATGateways reads the JSON that `aws ec2 describe-nat-gateways` prints: one entry
// per gateway interface, with its private addresses, subnet, AZ and Name tag where present. A
// regional NAT gateway (AvailabilityMode "regional", one per VPC, spanning AZs) has no subnet; each
// of its interfaces is one AZ.
func ParseDescribeNATGateways(r io.Reader) ([]GatewayInfo, error) {
	var doc struct {
		NatGateways []struct {
			NatGatewayId        string
			SubnetId            string
			VpcId               string
			AvailabilityZone    string
			AvailabilityMode    string
			Tags                []struct{ Key, Value string }
			NatGatewayAddresses []struct {
				NetworkInterfaceId string
				PrivateIp          string
				AvailabilityZone   string
				AvailabilityZoneId string
			}
		}
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("not the JSON of aws ec2 describe-nat-gateways: %w", err)
	}
	byENI := map[string]*GatewayInfo{}
	var out []GatewayInfo
	var order []string
	for _, g := range doc.NatGateways {
		name := ""
		for _, t := range g.Tags {
			if t.Key == "Name" {
				name = t.Value
			}
		}
		regional := strings.EqualFold(g.AvailabilityMode, "regional") || (g.SubnetId == "" && g.AvailabilityMode != "zonal" && g.VpcId != "")
		for _, a := range g.NatGatewayAddresses {
			if a.NetworkInterfaceId == "" {
				continue
			}
			n := byENI[a.NetworkInterfaceId]
			if n == nil {
				az := g.AvailabilityZone
				if a.AvailabilityZoneId != "" {
					az = a.AvailabilityZoneId
				} else if a.AvailabilityZone != "" {
					az = a.AvailabilityZone
				}
				n = &GatewayInfo{InterfaceID: a.NetworkInterfaceId, GatewayID: g.NatGatewayId, Name: name, SubnetID: g.SubnetId, AZ: az, Regional: regional}
				byENI[a.NetworkInterfaceId] = n
				order = append(order, a.NetworkInterfaceId)
			}
			if a.PrivateIp != "" {
				n.PrivateIPs = append(n.PrivateIPs, a.PrivateIp)
			}
		}
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("no NAT gateway interface (NatGateways[].NatGatewayAddresses[].NetworkInterfaceId) in the file")
	}
	for _, id := range order {
		out = append(out, *byENI[id])
	}
	return out, nil
}

// Inputs are the files and flags a review is configured from, as the cost and report commands
// take them: --nat, --nat-gateways, --pricing, --ip-ranges and --region.
type Inputs struct {
	NAT         []string // NAT gateway interface ids
	NATGateways string   // the JSON file of aws ec2 describe-nat-gateways
	Pricing     string   // a price table file; "" for the embedded one
	IPRanges    string   // an ip-ranges.json file; "" for the embedded subset
	Region      string
	Top         int
	CUR         string // a Cost and Usage Report extract (CSV or Parquet)
}

// Load reads what in names into a Config.
func Load(in Inputs) (Config, error) {
	c := Config{Region: in.Region, Top: in.Top}
	var err error
	if c.Prices, err = LoadPrices(in.Pricing); err != nil {
		return c, err
	}
	c.Ranges = cost.DefaultRanges()
	if in.IPRanges != "" {
		fh, err := os.Open(in.IPRanges)
		if err != nil {
			return c, err
		}
		c.Ranges, err = cost.LoadRanges(fh)
		fh.Close()
		if err != nil {
			return c, fmt.Errorf("--ip-ranges %s: %w", in.IPRanges, err)
		}
	}
	if in.NATGateways != "" {
		if _, err := strconv.Atoi(in.NATGateways); err == nil {
			return c, fmt.Errorf("--nat-gateways %s: give the JSON file of aws ec2 describe-nat-gateways (cost --estimate takes a number of gateways as --nat-count)", in.NATGateways)
		}
		fh, err := os.Open(in.NATGateways)
		if err != nil {
			return c, err
		}
		c.Gateways, err = ParseDescribeNATGateways(fh)
		fh.Close()
		if err != nil {
			return c, fmt.Errorf("--nat-gateways %s: %w", in.NATGateways, err)
		}
	}
	if in.CUR != "" {
		if c.CUR, err = LoadCUR(in.CUR); err != nil {
			return c, err
		}
	}
	for _, id := range in.NAT {
		if id = strings.TrimSpace(id); id != "" {
			c.Gateways = append(c.Gateways, GatewayInfo{InterfaceID: id})
		}
	}
	return c, nil
}

// LoadPrices reads the price table file path, or returns the embedded table for "".
func LoadPrices(path string) (*cost.Prices, error) {
	if path == "" {
		return cost.DefaultPrices(), nil
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	p, err := cost.LoadPrices(fh)
	if err != nil {
		return nil, fmt.Errorf("--pricing %s: %w", path, err)
	}
	return p, nil
}
