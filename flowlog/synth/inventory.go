package synth

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// InventoryName is the file Config.Inventory writes in Config.Dir: the describe-* JSON of the
// generated world, for --enrich.
const InventoryName = "inventory.json"

// OwnerTruth is what an interface of the generated world is, as enrichment must find it.
type OwnerTruth struct {
	Type     string   `json:"type"`
	Name     string   `json:"name"`
	Instance string   `json:"instance_id,omitempty"`
	Subnet   string   `json:"subnet_id"`
	VPC      string   `json:"vpc_id"`
	AZID     string   `json:"az_id"`
	Team     string   `json:"team,omitempty"`
	Env      string   `json:"env,omitempty"`
	Addrs    []string `json:"addrs"`
}

// teams and envs are the tag values of the world's instances (by interface index).
var (
	teams = []string{"payments", "search", "data", "platform", "ml"}
	envs  = []string{"prod", "staging"}
)

// owners is the truth of every interface of w: instances are named app-NNNN and tagged team and
// env (every seventh interface has no team tag); requester-managed interfaces are Lambda
// functions named by their description; NAT gateways by their Name tag.
func (w *world) owners() map[string]OwnerTruth {
	m := map[string]OwnerTruth{}
	for i, e := range w.enis {
		o := OwnerTruth{Type: "interface", Subnet: e.subnet, VPC: e.vpc, AZID: e.az, Addrs: []string{e.v4.String()}}
		if e.v6.IsValid() {
			o.Addrs = append(o.Addrs, e.v6.String())
		}
		if e.instance == "-" {
			o.Type, o.Name = "lambda", fmt.Sprintf("AWS Lambda VPC ENI-fn-%04d", i)
			o.Env = "prod" // the VPC's env tag
		} else {
			o.Instance, o.Name, o.Env = e.instance, fmt.Sprintf("app-%04d", i), envs[i%len(envs)]
			if i%7 != 0 {
				o.Team = teams[i%len(teams)]
			}
		}
		m[e.id] = o
	}
	for i, n := range w.nats {
		m[n.eni.id] = OwnerTruth{Type: "nat_gateway", Name: fmt.Sprintf("egress-%c", 'a'+i), Subnet: n.eni.subnet, VPC: n.eni.vpc, AZID: n.eni.az,
			Team: "platform", Env: "prod", Addrs: []string{n.eni.v4.String()}}
	}
	return m
}

type invTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// inventory is the world as aws ec2 describe-network-interfaces, describe-instances,
// describe-subnets, describe-vpcs and describe-nat-gateways print it, in one document.
func (w *world) inventory(taken time.Time) ([]byte, map[string]OwnerTruth) {
	owners := w.owners()
	type privIP struct {
		Primary          bool   `json:"Primary"`
		PrivateIpAddress string `json:"PrivateIpAddress"`
	}
	type v6 struct {
		Ipv6Address string `json:"Ipv6Address"`
	}
	type attachment struct {
		DeviceIndex int    `json:"DeviceIndex"`
		InstanceId  string `json:"InstanceId,omitempty"`
		Status      string `json:"Status"`
	}
	type netIf struct {
		Attachment         *attachment `json:"Attachment,omitempty"`
		AvailabilityZone   string      `json:"AvailabilityZone"`
		Description        string      `json:"Description"`
		InterfaceType      string      `json:"InterfaceType"`
		Ipv6Addresses      []v6        `json:"Ipv6Addresses"`
		NetworkInterfaceId string      `json:"NetworkInterfaceId"`
		PrivateIpAddress   string      `json:"PrivateIpAddress"`
		PrivateIpAddresses []privIP    `json:"PrivateIpAddresses"`
		RequesterManaged   bool        `json:"RequesterManaged"`
		SubnetId           string      `json:"SubnetId"`
		TagSet             []invTag    `json:"TagSet"`
		VpcId              string      `json:"VpcId"`
	}
	type instIf struct {
		NetworkInterfaceId string   `json:"NetworkInterfaceId"`
		PrivateIpAddress   string   `json:"PrivateIpAddress"`
		PrivateIpAddresses []privIP `json:"PrivateIpAddresses"`
		SubnetId           string   `json:"SubnetId"`
		VpcId              string   `json:"VpcId"`
	}
	type inst struct {
		InstanceId        string   `json:"InstanceId"`
		PrivateIpAddress  string   `json:"PrivateIpAddress"`
		SubnetId          string   `json:"SubnetId"`
		VpcId             string   `json:"VpcId"`
		NetworkInterfaces []instIf `json:"NetworkInterfaces"`
		Tags              []invTag `json:"Tags"`
	}
	type reservation struct {
		ReservationId string `json:"ReservationId"`
		Instances     []inst `json:"Instances"`
	}
	type subnet struct {
		SubnetId           string   `json:"SubnetId"`
		VpcId              string   `json:"VpcId"`
		AvailabilityZoneId string   `json:"AvailabilityZoneId"`
		Tags               []invTag `json:"Tags"`
	}
	type vpc struct {
		VpcId string   `json:"VpcId"`
		Tags  []invTag `json:"Tags"`
	}
	type natAddr struct {
		NetworkInterfaceId string `json:"NetworkInterfaceId"`
		PrivateIp          string `json:"PrivateIp"`
		IsPrimary          bool   `json:"IsPrimary"`
	}
	type nat struct {
		NatGatewayId        string    `json:"NatGatewayId"`
		SubnetId            string    `json:"SubnetId"`
		VpcId               string    `json:"VpcId"`
		State               string    `json:"State"`
		NatGatewayAddresses []natAddr `json:"NatGatewayAddresses"`
		Tags                []invTag  `json:"Tags"`
	}
	var doc struct {
		TakenAt           string        `json:"flowlensTakenAt"`
		NetworkInterfaces []netIf       `json:"NetworkInterfaces"`
		Reservations      []reservation `json:"Reservations"`
		Subnets           []subnet      `json:"Subnets"`
		Vpcs              []vpc         `json:"Vpcs"`
		NatGateways       []nat         `json:"NatGateways"`
	}
	doc.TakenAt = taken.UTC().Format(time.RFC3339)
	subnets := map[string]subnet{}
	vpcs := map[string]bool{}
	for i, e := range w.enis {
		o := owners[e.id]
		n := netIf{AvailabilityZone: "", InterfaceType: o.Type, NetworkInterfaceId: e.id, PrivateIpAddress: e.v4.String(),
			PrivateIpAddresses: []privIP{{true, e.v4.String()}}, SubnetId: e.subnet, VpcId: e.vpc, TagSet: []invTag{}, Ipv6Addresses: []v6{}}
		if e.v6.IsValid() {
			n.Ipv6Addresses = append(n.Ipv6Addresses, v6{e.v6.String()})
		}
		if e.instance == "-" {
			n.Description, n.RequesterManaged = o.Name, true
		} else {
			n.Attachment = &attachment{DeviceIndex: 0, InstanceId: e.instance, Status: "attached"}
			tags := []invTag{{"Name", o.Name}, {"env", o.Env}}
			if o.Team != "" {
				tags = append(tags, invTag{"team", o.Team})
			}
			doc.Reservations = append(doc.Reservations, reservation{ReservationId: fmt.Sprintf("r-%017x", i+1), Instances: []inst{{
				InstanceId: e.instance, PrivateIpAddress: e.v4.String(), SubnetId: e.subnet, VpcId: e.vpc, Tags: tags,
				NetworkInterfaces: []instIf{{NetworkInterfaceId: e.id, PrivateIpAddress: e.v4.String(), PrivateIpAddresses: []privIP{{true, e.v4.String()}},
					SubnetId: e.subnet, VpcId: e.vpc}}}}})
		}
		doc.NetworkInterfaces = append(doc.NetworkInterfaces, n)
		subnets[e.subnet] = subnet{SubnetId: e.subnet, VpcId: e.vpc, AvailabilityZoneId: e.az, Tags: []invTag{}}
		vpcs[e.vpc] = true
	}
	for i, g := range w.nats {
		o := owners[g.eni.id]
		id := fmt.Sprintf("nat-%017x", i+1)
		doc.NetworkInterfaces = append(doc.NetworkInterfaces, netIf{InterfaceType: "nat_gateway", NetworkInterfaceId: g.eni.id,
			Description: "Interface for NAT Gateway " + id, PrivateIpAddress: g.eni.v4.String(), PrivateIpAddresses: []privIP{{true, g.eni.v4.String()}},
			RequesterManaged: true, SubnetId: g.eni.subnet, VpcId: g.eni.vpc, TagSet: []invTag{}, Ipv6Addresses: []v6{}})
		doc.NatGateways = append(doc.NatGateways, nat{NatGatewayId: id, SubnetId: g.eni.subnet, VpcId: g.eni.vpc, State: "available",
			NatGatewayAddresses: []natAddr{{g.eni.id, g.eni.v4.String(), true}}, Tags: []invTag{{"Name", o.Name}, {"team", o.Team}}})
		subnets[g.eni.subnet] = subnet{SubnetId: g.eni.subnet, VpcId: g.eni.vpc, AvailabilityZoneId: g.eni.az, Tags: []invTag{}}
	}
	var ids []string
	for id := range subnets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		doc.Subnets = append(doc.Subnets, subnets[id])
	}
	var vs []string
	for v := range vpcs {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	for _, v := range vs {
		doc.Vpcs = append(doc.Vpcs, vpc{VpcId: v, Tags: []invTag{{"env", "prod"}}})
	}
	js, _ := json.MarshalIndent(doc, "", " ")
	return append(js, '\n'), owners
}
