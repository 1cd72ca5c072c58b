package nat

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/flowlens/flowlens/cost"
)

// GatewayInfo is what the user says of a NAT gateway (--nat, --nat-gateways).
type GatewayInfo struct {
	InterfaceID string
	GatewayID   string
	SubnetID    string
	AZ          string
	PrivateIPs  []string
}

// ParseDescribeNATGateways reads the JSON that `aws ec2 describe-nat-gateways` prints: one entry
// per gateway interface, with its private addresses and subnet (and AZ where present).
func ParseDescribeNATGateways(r io.Reader) ([]GatewayInfo, error) {
	var doc struct {
		NatGateways []struct {
			NatGatewayId        string
			SubnetId            string
			AvailabilityZone    string
			NatGatewayAddresses []struct {
				NetworkInterfaceId string
				PrivateIp          string
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
		for _, a := range g.NatGatewayAddresses {
			if a.NetworkInterfaceId == "" {
				continue
			}
			n := byENI[a.NetworkInterfaceId]
			if n == nil {
				n = &GatewayInfo{InterfaceID: a.NetworkInterfaceId, GatewayID: g.NatGatewayId, SubnetID: g.SubnetId, AZ: g.AvailabilityZone}
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
			return c, fmt.Errorf("--nat-gateways %s: give the JSON file of aws ec2 describe-nat-gateways (a number only with cost --estimate)", in.NATGateways)
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
