// Package enrich turns network interfaces and addresses into their owners, from an AWS inventory:
// the JSON that aws ec2 describe-network-interfaces, describe-instances, describe-subnets,
// describe-vpcs, describe-vpc-endpoints, describe-nat-gateways and
// describe-transit-gateway-attachments print (any mix, any number of files, each document
// recognised by its top-level key; paginated outputs concatenated). The inventory is read, never changed, and is a snapshot: it says
// when it was taken.
//
// From it, Deriver computes the enrichment columns of flow-log records (interface_name,
// src_name, tag_team, …) after decoding, only for the columns a question reads (derive.go).
package enrich

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"strings"
	"time"
)

// Interface is one network interface and its owner.
type Interface struct {
	ID         string // eni-…
	Type       string // interface, nat_gateway, vpc_endpoint, lambda, network_load_balancer, transit_gateway, …
	Name       string // the owner's Name tag (instance, NAT gateway, endpoint, attachment), else the ENI's, else its description
	InstanceID string
	SubnetID   string
	VPCID      string
	AZID       string // the AZ id (use1-az1), not its name; "" when the inventory does not say
	AZ         string // the AZ name (us-east-1a), when given
	Desc       string
	Requester  bool              // requester-managed (created by an AWS service)
	OwnerID    string            // the resource behind the interface: i-…, nat-…, vpce-…, tgw-attach-…
	Tags       map[string]string // the owner's tags, then the ENI's, the subnet's and the VPC's for keys not yet set
	Addrs      []netip.Addr      // private IPv4 and IPv6 addresses, then public ones
	PublicIPs  []netip.Addr      // public IPv4 addresses associated with it

	ownTags   map[string]string // the ENI's TagSet
	ownerTags map[string]string // the instance's, NAT gateway's or endpoint's tags
}

// Endpoint is one VPC endpoint.
type Endpoint struct {
	ID       string
	Type     string // Interface, Gateway, GatewayLoadBalancer
	Service  string // com.amazonaws.us-east-1.s3
	VPCID    string
	State    string
	ENIs     []string
	SubnetID []string
	Name     string
}

// NATGateway is one NAT gateway.
type NATGateway struct {
	ID        string
	Name      string
	VPCID     string
	SubnetID  string
	Regional  bool
	State     string
	ENIs      []string
	PublicIPs []netip.Addr
	Tags      map[string]string
}

// Attachment is one transit gateway attachment.
type Attachment struct {
	ID           string
	TGWID        string
	ResourceType string // vpc, vpn, direct-connect-gateway, peering, connect
	ResourceID   string // vpc-… for a VPC attachment
	State        string
	Name         string
}

// Subnet is one subnet.
type Subnet struct {
	ID, VPCID, AZ, AZID, CIDR string
	Tags                      map[string]string
}

// VPC is one VPC.
type VPC struct {
	ID, CIDR string
	Tags     map[string]string
}

// Inventory is what the files said, resolved: every interface with its owner, and the owner of
// every address.
type Inventory struct {
	Interfaces  map[string]*Interface
	Subnets     map[string]*Subnet
	VPCs        map[string]*VPC
	Endpoints   []*Endpoint
	NATGateways []*NATGateway
	Attachments []*Attachment
	// TakenFrom and TakenTo bound when the snapshot was taken: the files' modification times, or
	// the flowlensTakenAt field of a document (written by gen --inventory).
	TakenFrom, TakenTo time.Time
	// Sources names what was read (files, or "AWS API").
	Sources []string

	addrs     map[netip.Addr]*Interface
	instances map[string]*instance
	docs      int
}

type instance struct {
	id, subnet, vpc, az, azID string
	tags                      map[string]string
	enis                      []instanceENI
	addrs                     []netip.Addr
}

type instanceENI struct {
	id, subnet, vpc, desc string
	addrs                 []netip.Addr
}

// New returns an empty inventory; Add fills it and Finish resolves it.
func New() *Inventory {
	return &Inventory{Interfaces: map[string]*Interface{}, Subnets: map[string]*Subnet{}, VPCs: map[string]*VPC{},
		addrs: map[netip.Addr]*Interface{}, instances: map[string]*instance{}}
}

// Load reads the files (each a describe-* JSON output, several documents one after another
// allowed) and resolves them. A file none of whose documents is a known describe-* output is an
// error that names it and the keys it has.
func Load(paths ...string) (*Inventory, error) {
	inv := New()
	for _, p := range paths {
		fh, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("inventory: %w", err)
		}
		st, err := fh.Stat()
		if err != nil {
			fh.Close()
			return nil, fmt.Errorf("inventory: %w", err)
		}
		taken, err := inv.Add(fh, p)
		fh.Close()
		if err != nil {
			return nil, err
		}
		if taken.IsZero() {
			taken = st.ModTime()
		}
		inv.taken(taken)
		inv.Sources = append(inv.Sources, p)
	}
	inv.Finish()
	return inv, nil
}

func (inv *Inventory) taken(t time.Time) {
	t = t.UTC().Truncate(time.Second)
	if inv.TakenFrom.IsZero() || t.Before(inv.TakenFrom) {
		inv.TakenFrom = t
	}
	if t.After(inv.TakenTo) {
		inv.TakenTo = t
	}
}

// TakenText says when the snapshot was taken: one time, or the range of the files' times.
func (inv *Inventory) TakenText() string {
	if inv.TakenFrom.IsZero() {
		return "unknown"
	}
	if inv.TakenFrom.Equal(inv.TakenTo) {
		return inv.TakenFrom.Format(time.RFC3339)
	}
	return inv.TakenFrom.Format(time.RFC3339) + " to " + inv.TakenTo.Format(time.RFC3339)
}

// TakenAtKey is the top-level field, in an inventory document, that says when it was taken
// (RFC 3339). flowlens gen --inventory writes it; without it a file's modification time is used.
const TakenAtKey = "flowlensTakenAt"

// known lists the top-level keys of the describe-* outputs read.
var known = []string{"NetworkInterfaces", "Reservations", "Subnets", "Vpcs", "VpcEndpoints", "NatGateways", "TransitGatewayAttachments"}

// Add reads one input (name for messages): one or more JSON documents, each a describe-* output
// (or an object holding several of their keys). It returns the
// latest flowlensTakenAt found (zero when none).
func (inv *Inventory) Add(r io.Reader, name string) (time.Time, error) {
	dec := json.NewDecoder(bufio.NewReader(r))
	var taken time.Time
	n := 0
	for {
		var doc map[string]json.RawMessage
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return taken, fmt.Errorf("inventory %s: document %d is not a JSON object of aws ec2 describe-*: %w", name, n+1, err)
		}
		n++
		found := false
		for _, k := range known {
			raw, ok := doc[k]
			if !ok {
				continue
			}
			found = true
			if err := inv.addKey(k, raw); err != nil {
				return taken, fmt.Errorf("inventory %s: document %d: %s: %w", name, n, k, err)
			}
		}
		if raw, ok := doc[TakenAtKey]; ok {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return taken, fmt.Errorf("inventory %s: %s: %w", name, TakenAtKey, err)
			}
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return taken, fmt.Errorf("inventory %s: %s %q: %w", name, TakenAtKey, s, err)
			}
			if t.After(taken) {
				taken = t
			}
		}
		if !found {
			var keys []string
			for k := range doc {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			return taken, fmt.Errorf("inventory %s: document %d has none of the keys of the describe-* outputs flowlens reads (%s); its keys: %s",
				name, n, strings.Join(known, ", "), strings.Join(keys, ", "))
		}
		inv.docs++
	}
	if n == 0 {
		return taken, fmt.Errorf("inventory %s: empty: want the JSON of aws ec2 describe-network-interfaces, describe-instances, …", name)
	}
	return taken, nil
}

type tag struct{ Key, Value string }

func tagMap(ts []tag) map[string]string {
	if len(ts) == 0 {
		return nil
	}
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		m[t.Key] = t.Value
	}
	return m
}

type privateAddr struct {
	PrivateIpAddress string
	Primary          bool
	Association      *struct{ PublicIp string }
}

type jsonENI struct {
	NetworkInterfaceId string
	InterfaceType      string
	Description        string
	SubnetId           string
	VpcId              string
	AvailabilityZone   string
	AvailabilityZoneId string
	RequesterManaged   bool
	PrivateIpAddress   string
	PrivateIpAddresses []privateAddr
	Ipv6Addresses      []struct{ Ipv6Address string }
	Association        *struct{ PublicIp string }
	Attachment         *struct{ InstanceId string }
	TagSet             []tag
	Tags               []tag // not in the API's answer; accepted for hand-written files
}

func (inv *Inventory) addKey(k string, raw json.RawMessage) error {
	switch k {
	case "NetworkInterfaces":
		var v []jsonENI
		if err := strictList(raw, &v); err != nil {
			return err
		}
		for _, e := range v {
			if e.NetworkInterfaceId == "" {
				return fmt.Errorf("an interface without NetworkInterfaceId")
			}
			i := inv.iface(e.NetworkInterfaceId)
			i.Type = first(e.InterfaceType, i.Type)
			i.Desc = first(e.Description, i.Desc)
			i.SubnetID = first(e.SubnetId, i.SubnetID)
			i.VPCID = first(e.VpcId, i.VPCID)
			i.AZ = first(e.AvailabilityZone, i.AZ)
			i.AZID = first(e.AvailabilityZoneId, i.AZID)
			i.Requester = i.Requester || e.RequesterManaged
			if e.Attachment != nil && e.Attachment.InstanceId != "" {
				i.InstanceID = e.Attachment.InstanceId
			}
			tags := e.TagSet
			if len(tags) == 0 {
				tags = e.Tags
			}
			i.ownTags = mergeTags(tagMap(tags), i.ownTags)
			addrs := []string{e.PrivateIpAddress}
			for _, p := range e.PrivateIpAddresses {
				addrs = append(addrs, p.PrivateIpAddress)
				if p.Association != nil {
					i.PublicIPs = appendAddr(i.PublicIPs, p.Association.PublicIp)
				}
			}
			for _, a := range e.Ipv6Addresses {
				addrs = append(addrs, a.Ipv6Address)
			}
			for _, a := range addrs {
				i.Addrs = appendAddr(i.Addrs, a)
			}
			if e.Association != nil {
				i.PublicIPs = appendAddr(i.PublicIPs, e.Association.PublicIp)
			}
		}
	case "Reservations":
		var v []struct {
			Instances []struct {
				InstanceId       string
				SubnetId         string
				VpcId            string
				PrivateIpAddress string
				Placement        *struct{ AvailabilityZone, AvailabilityZoneId string }
				Tags             []tag
				PublicIpAddress  string
				// Each attached interface, the primary one (device index 0) first in the API's answer.
				NetworkInterfaces []struct {
					NetworkInterfaceId string
					SubnetId           string
					VpcId              string
					Description        string
					PrivateIpAddress   string
					PrivateIpAddresses []privateAddr
					Ipv6Addresses      []struct{ Ipv6Address string }
				}
			}
		}
		if err := strictList(raw, &v); err != nil {
			return err
		}
		for _, r := range v {
			for _, x := range r.Instances {
				if x.InstanceId == "" {
					return fmt.Errorf("an instance without InstanceId")
				}
				in := &instance{id: x.InstanceId, subnet: x.SubnetId, vpc: x.VpcId, tags: tagMap(x.Tags)}
				if x.Placement != nil {
					in.az, in.azID = x.Placement.AvailabilityZone, x.Placement.AvailabilityZoneId
				}
				in.addrs = appendAddr(in.addrs, x.PrivateIpAddress)
				for _, n := range x.NetworkInterfaces {
					ie := instanceENI{id: n.NetworkInterfaceId, subnet: n.SubnetId, vpc: n.VpcId, desc: n.Description}
					ie.addrs = appendAddr(ie.addrs, n.PrivateIpAddress)
					for _, p := range n.PrivateIpAddresses {
						ie.addrs = appendAddr(ie.addrs, p.PrivateIpAddress)
					}
					for _, a := range n.Ipv6Addresses {
						ie.addrs = appendAddr(ie.addrs, a.Ipv6Address)
					}
					in.enis = append(in.enis, ie)
				}
				inv.instances[in.id] = in
			}
		}
	case "Subnets":
		var v []struct {
			SubnetId, VpcId, AvailabilityZone, AvailabilityZoneId, CidrBlock string
			Tags                                                             []tag
		}
		if err := strictList(raw, &v); err != nil {
			return err
		}
		for _, s := range v {
			inv.Subnets[s.SubnetId] = &Subnet{ID: s.SubnetId, VPCID: s.VpcId, AZ: s.AvailabilityZone, AZID: s.AvailabilityZoneId, CIDR: s.CidrBlock, Tags: tagMap(s.Tags)}
		}
	case "Vpcs":
		var v []struct {
			VpcId, CidrBlock string
			Tags             []tag
		}
		if err := strictList(raw, &v); err != nil {
			return err
		}
		for _, x := range v {
			inv.VPCs[x.VpcId] = &VPC{ID: x.VpcId, CIDR: x.CidrBlock, Tags: tagMap(x.Tags)}
		}
	case "VpcEndpoints":
		var v []struct {
			VpcEndpointId, VpcEndpointType, VpcId, ServiceName, State string
			NetworkInterfaceIds, SubnetIds                            []string
			Tags                                                      []tag
		}
		if err := strictList(raw, &v); err != nil {
			return err
		}
		for _, x := range v {
			tags := tagMap(x.Tags)
			inv.Endpoints = append(inv.Endpoints, &Endpoint{ID: x.VpcEndpointId, Type: x.VpcEndpointType, Service: x.ServiceName, VPCID: x.VpcId,
				State: x.State, ENIs: x.NetworkInterfaceIds, SubnetID: x.SubnetIds, Name: tags["Name"]})
			for _, id := range x.NetworkInterfaceIds {
				i := inv.iface(id)
				i.Type = first(i.Type, "vpc_endpoint")
				i.VPCID = first(i.VPCID, x.VpcId)
				i.OwnerID = x.VpcEndpointId
				i.ownerTags = copyTags(tags)
			}
		}
	case "NatGateways":
		var v []struct {
			NatGatewayId, SubnetId, VpcId, State, AvailabilityMode string
			Tags                                                   []tag
			NatGatewayAddresses                                    []struct {
				NetworkInterfaceId, PrivateIp, PublicIp string
				AvailabilityZone, AvailabilityZoneId    string
			}
		}
		if err := strictList(raw, &v); err != nil {
			return err
		}
		for _, x := range v {
			tags := tagMap(x.Tags)
			g := &NATGateway{ID: x.NatGatewayId, Name: tags["Name"], VPCID: x.VpcId, SubnetID: x.SubnetId, State: x.State, Tags: tags,
				Regional: strings.EqualFold(x.AvailabilityMode, "regional") || (x.SubnetId == "" && x.AvailabilityMode != "zonal" && x.VpcId != "")}
			for _, a := range x.NatGatewayAddresses {
				g.PublicIPs = appendAddr(g.PublicIPs, a.PublicIp)
				if a.NetworkInterfaceId == "" {
					continue
				}
				if !containsStr(g.ENIs, a.NetworkInterfaceId) {
					g.ENIs = append(g.ENIs, a.NetworkInterfaceId)
				}
				i := inv.iface(a.NetworkInterfaceId)
				i.Type = "nat_gateway"
				i.OwnerID = x.NatGatewayId
				i.VPCID = first(i.VPCID, x.VpcId)
				i.SubnetID = first(i.SubnetID, x.SubnetId)
				i.AZ = first(i.AZ, a.AvailabilityZone)
				i.AZID = first(i.AZID, a.AvailabilityZoneId)
				i.Requester = true
				i.ownerTags = copyTags(tags)
				i.Addrs = appendAddr(i.Addrs, a.PrivateIp)
				i.PublicIPs = appendAddr(i.PublicIPs, a.PublicIp)
			}
			inv.NATGateways = append(inv.NATGateways, g)
		}
	case "TransitGatewayAttachments":
		var v []struct {
			TransitGatewayAttachmentId, TransitGatewayId, ResourceType, ResourceId, State string
			Tags                                                                          []tag
		}
		if err := strictList(raw, &v); err != nil {
			return err
		}
		for _, x := range v {
			inv.Attachments = append(inv.Attachments, &Attachment{ID: x.TransitGatewayAttachmentId, TGWID: x.TransitGatewayId,
				ResourceType: x.ResourceType, ResourceID: x.ResourceId, State: x.State, Name: tagMap(x.Tags)["Name"]})
		}
	}
	return nil
}

// strictList decodes a JSON array (null is empty).
func strictList(raw json.RawMessage, v any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' && !bytes.Equal(raw, []byte("null")) {
		return fmt.Errorf("not a list")
	}
	return json.Unmarshal(raw, v)
}

func (inv *Inventory) iface(id string) *Interface {
	i := inv.Interfaces[id]
	if i == nil {
		i = &Interface{ID: id}
		inv.Interfaces[id] = i
	}
	return i
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func containsStr(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// appendAddr adds the address s (ignored when empty or not an address) unless it is there.
func appendAddr(l []netip.Addr, s string) []netip.Addr {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return l
	}
	a = a.Unmap()
	for _, x := range l {
		if x == a {
			return l
		}
	}
	return append(l, a)
}

// mergeTags returns a with the keys of b it lacks.
func mergeTags(a, b map[string]string) map[string]string {
	if len(b) == 0 {
		return a
	}
	if a == nil {
		a = map[string]string{}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			a[k] = v
		}
	}
	return a
}

// Finish resolves what the documents said of each other: the instances' names, tags and AZs onto
// their interfaces, subnets' VPCs and AZ ids, attachments' names onto transit gateway interfaces,
// and the owner of every address. Add after Finish needs Finish again.
func (inv *Inventory) Finish() {
	for _, in := range inv.instances {
		for k, ie := range in.enis {
			i := inv.iface(ie.id)
			if i.Type == "" {
				i.Type = "interface"
			}
			i.InstanceID = first(i.InstanceID, in.id)
			i.SubnetID = first(i.SubnetID, first(ie.subnet, in.subnet))
			i.VPCID = first(i.VPCID, first(ie.vpc, in.vpc))
			i.Desc = first(i.Desc, ie.desc)
			for _, a := range ie.addrs {
				i.Addrs = appendAddr(i.Addrs, a.String())
			}
			if k == 0 {
				for _, a := range in.addrs {
					i.Addrs = appendAddr(i.Addrs, a.String())
				}
			}
			if i.AZID == "" && ie.subnet == "" {
				i.AZID = in.azID
			}
			if i.AZ == "" {
				i.AZ = in.az
			}
		}
	}
	attach := map[string]*Attachment{}
	for _, a := range inv.Attachments {
		attach[a.ID] = a
	}
	inv.addrs = map[netip.Addr]*Interface{}
	ids := make([]string, 0, len(inv.Interfaces))
	for id := range inv.Interfaces {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		i := inv.Interfaces[id]
		if i.Type == "" {
			i.Type = "interface"
		}
		if in := inv.instances[i.InstanceID]; in != nil {
			i.OwnerID = first(i.OwnerID, in.id)
			i.ownerTags = copyTags(in.tags)
		}
		if i.Type == "transit_gateway" {
			// "Network Interface for Transit Gateway Attachment tgw-attach-…"
			for _, f := range strings.Fields(i.Desc) {
				if a := attach[f]; a != nil {
					i.OwnerID = a.ID
					if a.Name != "" && i.ownerTags["Name"] == "" {
						i.ownerTags = mergeTags(map[string]string{"Name": a.Name}, i.ownerTags)
					}
				}
			}
		}
		// The name: the owner's Name tag, else the ENI's, else its description, else the owner's id.
		i.Name = first(i.ownerTags["Name"], first(i.ownTags["Name"], first(i.Desc, i.OwnerID)))
		// The tags: the owner's, then the ENI's, the subnet's and the VPC's for the keys not yet
		// set (but never a subnet's or VPC's Name).
		i.Tags = mergeTags(copyTags(i.ownerTags), i.ownTags)
		if s := inv.Subnets[i.SubnetID]; s != nil {
			i.VPCID = first(i.VPCID, s.VPCID)
			i.AZID = first(i.AZID, s.AZID)
			i.AZ = first(i.AZ, s.AZ)
			i.Tags = mergeTags(i.Tags, withoutName(s.Tags))
		}
		if v := inv.VPCs[i.VPCID]; v != nil {
			i.Tags = mergeTags(i.Tags, withoutName(v.Tags))
		}
		for _, a := range i.Addrs {
			if _, dup := inv.addrs[a]; !dup {
				inv.addrs[a] = i
			}
		}
		for _, a := range i.PublicIPs {
			if _, dup := inv.addrs[a]; !dup {
				inv.addrs[a] = i
			}
		}
	}
}

func withoutName(m map[string]string) map[string]string {
	if _, ok := m["Name"]; !ok {
		return m
	}
	out := copyTags(m)
	delete(out, "Name")
	return out
}

func copyTags(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// ByAddr returns the interface that holds address a (private, or a public address associated
// with it), or nil.
func (inv *Inventory) ByAddr(a netip.Addr) *Interface {
	return inv.addrs[a.Unmap()]
}

// ByID returns the interface eni, or nil.
func (inv *Inventory) ByID(eni string) *Interface { return inv.Interfaces[eni] }

// Tag returns the interface's tag k, and whether it has it.
func (i *Interface) Tag(k string) (string, bool) {
	v, ok := i.Tags[k]
	return v, ok
}

// Summary says what the inventory holds, for notes.
func (inv *Inventory) Summary() string {
	return fmt.Sprintf("inventory taken %s: %d interfaces, %d addresses, %d subnets, %d VPCs, %d VPC endpoints, %d NAT gateways, %d transit gateway attachments",
		inv.TakenText(), len(inv.Interfaces), len(inv.addrs), len(inv.Subnets), len(inv.VPCs), len(inv.Endpoints), len(inv.NATGateways), len(inv.Attachments))
}
