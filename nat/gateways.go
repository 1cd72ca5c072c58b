package nat

import (
	"net/netip"
	"sort"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
)

// The NAT gateway's view. One conversation through a NAT gateway is four records on its interface
// (docs/cost.md):
//
//	srcaddr     dstaddr     pkt-srcaddr pkt-dstaddr
//	10.0.1.5    10.0.0.220  10.0.1.5    203.0.113.5   instance → NAT   private leg in  (translated)
//	10.0.0.220  203.0.113.5 10.0.0.220  203.0.113.5   NAT → host       public leg out
//	203.0.113.5 10.0.0.220  203.0.113.5 10.0.0.220    host → NAT       public leg in
//	10.0.0.220  10.0.1.5    203.0.113.5 10.0.1.5      NAT → instance   private leg out (translated)
//
// Each byte is there twice. The private legs are exactly the records whose addresses differ from the
// packet's: they carry every byte once per direction (the private leg out has the bytes of the public
// leg in), name the workload and the far end, and are never the copies the instance's own interface
// logs (whose addresses are the packet's). So the processed bytes of a NAT gateway are the bytes of its
// translated records.

var (
	fPktSrcAddr, _ = flowlog.LookupField("pkt-srcaddr")
	fPktDstAddr, _ = flowlog.LookupField("pkt-dstaddr")
)

// translatedSpec is the group-by of translated records by interface and addresses: what
// ReadGateways reads.
func translatedSpec() aggregate.Spec {
	return aggregate.Spec{
		Name: aggNAT,
		Keys: []aggregate.Key{{Field: flowlog.FInterfaceID}, {Field: flowlog.FSrcAddr}, {Field: flowlog.FDstAddr},
			{Field: fPktSrcAddr}, {Field: fPktDstAddr}},
		Measures: []aggregate.Measure{aggregate.Bytes, aggregate.Packets, aggregate.Flows, aggregate.MinStart, aggregate.MaxEnd},
		Where:    []aggregate.Cond{{Differ: [][2]flowlog.FieldID{{flowlog.FSrcAddr, fPktSrcAddr}, {flowlog.FDstAddr, fPktDstAddr}}}},
	}
}

// Flow is the traffic between one workload and one far end through one NAT address, one way.
type Flow struct {
	NATAddr  netip.Addr // the gateway's private address the leg used
	Workload netip.Addr // the instance behind the gateway
	FarEnd   netip.Addr // the host, AWS service or internet address
	Upload   bool       // workload → far end (received by the gateway from the workload)
	Bytes    int64
	Packets  int64
	Flows    int64
}

// Gateway is what one NAT gateway interface processed.
type Gateway struct {
	InterfaceID            string
	Addrs                  []netip.Addr // its private addresses seen in the records (up to 8)
	BytesInFromSource      int64        // received from the workloads (uploads)
	BytesInFromDestination int64        // received from the far ends (downloads)
	FirstStart, LastEnd    int64        // Unix seconds; 0 when unknown
	Flows                  []Flow       // by bytes, largest first
}

// ProcessedBytes is what AWS bills as processed: every byte once per direction.
func (g *Gateway) ProcessedBytes() int64 { return g.BytesInFromSource + g.BytesInFromDestination }

// ReadGateways reads the translated records of a run made with Specs: one gateway per interface
// with translated records (only those of only, when given), in interface order. A record whose
// source and destination were both translated is counted as an upload.
func ReadGateways(res *aggregate.Result, only map[string]bool) []*Gateway {
	t := res.Table(aggNAT)
	if t == nil {
		return nil
	}
	byID := map[string]*Gateway{}
	addrs := map[string]map[netip.Addr]bool{}
	cID, cSrc, cDst := t.Col(flowlog.FInterfaceID), t.Col(flowlog.FSrcAddr), t.Col(flowlog.FDstAddr)
	cPSrc, cPDst := t.Col(fPktSrcAddr), t.Col(fPktDstAddr)
	for _, g := range t.Groups() {
		id := t.Key(g, cID)
		if id.Null || (only != nil && !only[id.Str]) {
			continue
		}
		src, dst, psrc, pdst := t.Key(g, cSrc), t.Key(g, cDst), t.Key(g, cPSrc), t.Key(g, cPDst)
		if src.Null || dst.Null || psrc.Null || pdst.Null {
			continue
		}
		gw := byID[id.Str]
		if gw == nil {
			gw = &Gateway{InterfaceID: id.Str}
			byID[id.Str] = gw
			addrs[id.Str] = map[netip.Addr]bool{}
		}
		f := Flow{Bytes: t.Value(g, aggregate.Bytes), Packets: t.Value(g, aggregate.Packets), Flows: t.Value(g, aggregate.Flows)}
		if dst.Addr != pdst.Addr {
			f.Upload, f.NATAddr, f.Workload, f.FarEnd = true, dst.IP(), src.IP(), pdst.IP()
			gw.BytesInFromSource += f.Bytes
		} else {
			f.NATAddr, f.Workload, f.FarEnd = src.IP(), dst.IP(), psrc.IP()
			gw.BytesInFromDestination += f.Bytes
		}
		addrs[id.Str][f.NATAddr] = true
		gw.Flows = append(gw.Flows, f)
		if s := t.Value(g, aggregate.MinStart); !aggregate.Unset(aggregate.MinStart, s) && (gw.FirstStart == 0 || s < gw.FirstStart) {
			gw.FirstStart = s
		}
		if e := t.Value(g, aggregate.MaxEnd); !aggregate.Unset(aggregate.MaxEnd, e) && e > gw.LastEnd {
			gw.LastEnd = e
		}
	}
	var out []*Gateway
	for id, gw := range byID {
		for a := range addrs[id] {
			gw.Addrs = append(gw.Addrs, a)
		}
		sort.Slice(gw.Addrs, func(i, j int) bool { return gw.Addrs[i].Less(gw.Addrs[j]) })
		sort.Slice(gw.Flows, func(i, j int) bool {
			a, b := gw.Flows[i], gw.Flows[j]
			if a.Bytes != b.Bytes {
				return a.Bytes > b.Bytes
			}
			if a.Workload != b.Workload {
				return a.Workload.Less(b.Workload)
			}
			if a.FarEnd != b.FarEnd {
				return a.FarEnd.Less(b.FarEnd)
			}
			return a.Upload && !b.Upload
		})
		out = append(out, gw)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].InterfaceID < out[j].InterfaceID })
	return out
}

// plainGateways reads the given gateways' plain records (no pkt-* fields). The gateway's own
// addresses are those given, or else the address its records show most. A record it received
// (destination: the gateway) counts once: from a private source it is an upload from that workload,
// from a public one a download from that far end. The records it sent name the other side: to a
// public address the far end of an upload, to a private one the workload of a download. So the bytes,
// the workloads and the far ends are all known; which workload talked to which far end is not.
func plainGateways(t *aggregate.Table, given []GatewayInfo) []*Gateway {
	if t == nil {
		return nil
	}
	type rec struct {
		src, dst       netip.Addr
		bytes, packets int64
		flows          int64
	}
	byENI := map[string][]rec{}
	cID, cSrc, cDst := t.Col(flowlog.FInterfaceID), t.Col(flowlog.FSrcAddr), t.Col(flowlog.FDstAddr)
	for _, g := range t.Groups() {
		id, src, dst := t.Key(g, cID), t.Key(g, cSrc), t.Key(g, cDst)
		if id.Null || src.Null || dst.Null {
			continue
		}
		byENI[id.Str] = append(byENI[id.Str], rec{src.IP(), dst.IP(), t.Value(g, aggregate.Bytes), t.Value(g, aggregate.Packets), t.Value(g, aggregate.Flows)})
	}
	var out []*Gateway
	for _, info := range given {
		recs := byENI[info.InterfaceID]
		if len(recs) == 0 {
			continue
		}
		own := map[netip.Addr]bool{}
		for _, ip := range info.PrivateIPs {
			if a, err := netip.ParseAddr(ip); err == nil {
				own[a] = true
			}
		}
		if len(own) == 0 {
			seen := map[netip.Addr]int64{}
			for _, r := range recs {
				seen[r.src] += r.flows
				seen[r.dst] += r.flows
			}
			var best netip.Addr
			for a, n := range seen {
				if !best.IsValid() || n > seen[best] || (n == seen[best] && a.Less(best)) {
					best = a
				}
			}
			own[best] = true
		}
		gw := &Gateway{InterfaceID: info.InterfaceID}
		for a := range own {
			gw.Addrs = append(gw.Addrs, a)
		}
		sort.Slice(gw.Addrs, func(i, j int) bool { return gw.Addrs[i].Less(gw.Addrs[j]) })
		for _, r := range recs {
			f := Flow{Bytes: r.bytes, Packets: r.packets, Flows: r.flows}
			switch {
			case own[r.dst] && r.src.IsPrivate():
				f.NATAddr, f.Workload, f.Upload = r.dst, r.src, true
				gw.BytesInFromSource += r.bytes
			case own[r.dst]:
				f.NATAddr, f.FarEnd = r.dst, r.src
				gw.BytesInFromDestination += r.bytes
			case own[r.src] && r.dst.IsPrivate():
				f.NATAddr, f.Workload = r.src, r.dst
			case own[r.src]:
				f.NATAddr, f.FarEnd, f.Upload = r.src, r.dst, true
			default:
				continue
			}
			gw.Flows = append(gw.Flows, f)
		}
		out = append(out, gw)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].InterfaceID < out[j].InterfaceID })
	return out
}
