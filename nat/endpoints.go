package nat

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/cost"
	"github.com/flowlens/flowlens/flowlog"
)

// The group-bys of the existing VPC endpoints' traffic.
const (
	aggEndpointENI   = "endpoint_eni"    // the records of the interface endpoints' own interfaces
	aggEndpointGWOut = "endpoint_gw_out" // the egress records of every interface, by destination
	aggEndpointGWIn  = "endpoint_gw_in"  // the ingress records of every interface, by source
)

// EndpointDoc is an existing VPC endpoint (from an inventory) and the traffic the flow logs show
// through it.
type EndpointDoc struct {
	ID         string   `json:"id"`
	Name       string   `json:"name,omitempty"`
	Type       string   `json:"type"` // Interface, Gateway, GatewayLoadBalancer
	Service    string   `json:"service"`
	VPCID      string   `json:"vpc_id"`
	State      string   `json:"state,omitempty"`
	Interfaces []string `json:"interfaces,omitempty"`
	// Measured is false when the logs cannot tell the endpoint's traffic (Note says why); Bytes,
	// GB and Flows are then 0.
	Measured bool    `json:"measured"`
	Bytes    int64   `json:"bytes"`
	GB       float64 `json:"gb"`
	Flows    int64   `json:"flows"`
	How      string  `json:"how"`
	Note     string  `json:"note,omitempty"`
}

// endpointENIs are the interfaces of the interface (and Gateway Load Balancer) endpoints.
func endpointENIs(eps []Endpoint) []string {
	var ids []string
	for _, e := range eps {
		if !strings.EqualFold(e.Type, "Gateway") {
			ids = append(ids, e.ENIs...)
		}
	}
	sort.Strings(ids)
	return ids
}

func hasGatewayEndpoint(eps []Endpoint) bool {
	for _, e := range eps {
		if strings.EqualFold(e.Type, "Gateway") && endpointLive(e.State) {
			return true
		}
	}
	return false
}

// endpointLive reports whether an endpoint in state exists: every state but those of an endpoint
// gone or refused.
func endpointLive(state string) bool {
	switch strings.ToLower(state) {
	case "deleted", "deleting", "failed", "rejected", "expired":
		return false
	}
	return true
}

// EndpointSpecs are the group-bys that measure the traffic of the existing VPC endpoints of c (an
// inventory's): the records of the interface endpoints' interfaces; with a gateway endpoint, the
// egress records by interface and destination and the ingress records by interface and source.
// None without endpoints.
func EndpointSpecs(c Config) []aggregate.Spec {
	var specs []aggregate.Spec
	if ids := endpointENIs(c.Endpoints); len(ids) > 0 {
		specs = append(specs, aggregate.Spec{Name: aggEndpointENI, Keys: []aggregate.Key{{Field: flowlog.FInterfaceID}},
			Measures: []aggregate.Measure{aggregate.Bytes, aggregate.Flows}, Where: []aggregate.Cond{{Field: flowlog.FInterfaceID, In: ids}}})
	}
	if hasGatewayEndpoint(c.Endpoints) {
		specs = append(specs,
			aggregate.Spec{Name: aggEndpointGWOut, Keys: []aggregate.Key{{Field: flowlog.FInterfaceID}, {Field: flowlog.FDstAddr}},
				Measures: []aggregate.Measure{aggregate.Bytes, aggregate.Flows}, Where: []aggregate.Cond{{Field: fFlowDirection, In: []string{"egress"}}}},
			aggregate.Spec{Name: aggEndpointGWIn, Keys: []aggregate.Key{{Field: flowlog.FInterfaceID}, {Field: flowlog.FSrcAddr}},
				Measures: []aggregate.Measure{aggregate.Bytes, aggregate.Flows}, Where: []aggregate.Cond{{Field: fFlowDirection, In: []string{"ingress"}}}})
	}
	return specs
}

// buildEndpoints measures the traffic through the existing endpoints: an interface endpoint's is
// that of the records of its interfaces; a gateway endpoint's (S3, DynamoDB) that its VPC's
// interfaces sent to and received from the service in the region, less what the NAT gateways gws
// carried for them.
func buildEndpoints(res *aggregate.Result, opts Config, region string, gws []*Gateway) []EndpointDoc {
	if len(opts.Endpoints) == 0 {
		return nil
	}
	// The interface endpoints: their interfaces' records.
	perENI := map[string][2]int64{}
	if t := res.Table(aggEndpointENI); t != nil {
		c := t.Col(flowlog.FInterfaceID)
		for _, g := range t.Groups() {
			if k := t.Key(g, c); !k.Null {
				x := perENI[k.Str]
				perENI[k.Str] = [2]int64{x[0] + t.Value(g, aggregate.Bytes), x[1] + t.Value(g, aggregate.Flows)}
			}
		}
	}
	// The gateway endpoints: by VPC and service, the workloads' bytes and flows to and from the
	// service, less the NAT gateways' for the same workloads.
	type vs struct{ vpc, service string }
	gw := map[vs][2]int64{}
	unplaced := int64(0)
	natIfaces := map[string]bool{}
	for _, g := range opts.Gateways {
		natIfaces[g.InterfaceID] = true
	}
	for _, g := range gws {
		natIfaces[g.InterfaceID] = true
	}
	skip := map[string]bool{}
	for _, id := range endpointENIs(opts.Endpoints) {
		skip[id] = true
	}
	service := func(a netip.Addr) string {
		switch cls, _ := opts.Ranges.Classify(a, region); cls {
		case cost.ClassS3:
			return "s3"
		case cost.ClassDynamoDB:
			return "dynamodb"
		}
		return ""
	}
	for _, spec := range []struct {
		name string
		addr flowlog.FieldID
	}{{aggEndpointGWOut, flowlog.FDstAddr}, {aggEndpointGWIn, flowlog.FSrcAddr}} {
		t := res.Table(spec.name)
		if t == nil {
			continue
		}
		cIf, cAddr := t.Col(flowlog.FInterfaceID), t.Col(spec.addr)
		for _, g := range t.Groups() {
			ik, ak := t.Key(g, cIf), t.Key(g, cAddr)
			if ik.Null || ak.Null || natIfaces[ik.Str] || skip[ik.Str] {
				continue
			}
			svc := service(ak.IP().Unmap())
			if svc == "" {
				continue
			}
			vpc := ""
			if opts.InterfaceVPC != nil {
				vpc = opts.InterfaceVPC(ik.Str)
			}
			if vpc == "" {
				unplaced += t.Value(g, aggregate.Bytes)
				continue
			}
			x := gw[vs{vpc, svc}]
			gw[vs{vpc, svc}] = [2]int64{x[0] + t.Value(g, aggregate.Bytes), x[1] + t.Value(g, aggregate.Flows)}
		}
	}
	for _, g := range gws {
		for _, f := range g.Flows {
			if !f.Workload.IsValid() || !f.FarEnd.IsValid() || opts.AddrVPC == nil {
				continue
			}
			svc := service(f.FarEnd)
			vpc := opts.AddrVPC(f.Workload)
			if svc == "" || vpc == "" {
				continue
			}
			x := gw[vs{vpc, svc}]
			gw[vs{vpc, svc}] = [2]int64{max(x[0]-f.Bytes, 0), max(x[1]-f.Flows, 0)}
		}
	}
	hasDir := res.Seen(fFlowDirection)
	var out []EndpointDoc
	for _, e := range opts.Endpoints {
		d := EndpointDoc{ID: e.ID, Name: e.Name, Type: e.Type, Service: e.Service, VPCID: e.VPCID, State: e.State, Interfaces: e.ENIs}
		switch {
		case !endpointLive(e.State):
			d.How = "not measured"
			d.Note = "the endpoint is " + e.State
		case strings.EqualFold(e.Type, "Gateway"):
			svc := strings.TrimPrefix(e.Service, "com.amazonaws."+region+".")
			d.How = fmt.Sprintf("the records of the interfaces of %s (the inventory's) to and from %s of %s (AWS's ranges, the addresses of its prefix list), both directions, less the NAT gateways' translated records for the same workloads", e.VPCID, svc, region)
			switch {
			case svc == e.Service || svc != "s3" && svc != "dynamodb":
				d.How = "not measured"
				d.Note = "a gateway endpoint of another region or service than " + region + "'s S3 and DynamoDB"
			case !hasDir:
				d.How = "not measured"
				d.Note = "the input has no flow-direction field (version 5 and up): the workloads' bytes to and from the service cannot be counted once"
			default:
				x := gw[vs{e.VPCID, svc}]
				d.Measured, d.Bytes, d.Flows = true, x[0], x[1]
				d.Note = "the inventory does not hold route tables: every subnet of the VPC is taken to use the endpoint"
				if unplaced > 0 {
					d.Note += fmt.Sprintf("; %.3f GB to and from S3 and DynamoDB of interfaces not in the inventory are not attributed", gb(unplaced))
				}
			}
		default:
			d.How = fmt.Sprintf("the records of its %d interface(s), both directions (what the endpoint processed)", len(e.ENIs))
			if len(e.ENIs) == 0 {
				d.How = "not measured"
				d.Note = "its interfaces are not in the inventory (describe-vpc-endpoints NetworkInterfaceIds, describe-network-interfaces)"
				break
			}
			d.Measured = true
			for _, id := range e.ENIs {
				x := perENI[id]
				d.Bytes += x[0]
				d.Flows += x[1]
			}
			if d.Flows == 0 {
				d.Note = "no flow-log record of its interfaces: are its subnets' flow logs read?"
			}
		}
		d.GB = gb(d.Bytes)
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Bytes != out[j].Bytes {
			return out[i].Bytes > out[j].Bytes
		}
		return out[i].ID < out[j].ID
	})
	return out
}
