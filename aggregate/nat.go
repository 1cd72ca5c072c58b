package aggregate

import (
	"net/netip"
	"sort"

	"github.com/flowlens/flowlens/flowlog"
)

// The NAT gateway's view. One conversation through a NAT gateway is four records on its interface
// (FORMAT.md, COST.md):
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

// NATSpec is the group-by of translated records by interface and addresses: what NATGateways reads.
func NATSpec(name string) Spec {
	return Spec{
		Name: name,
		Keys: []Key{{Field: flowlog.FInterfaceID}, {Field: flowlog.FSrcAddr}, {Field: flowlog.FDstAddr},
			{Field: fPktSrcAddr}, {Field: fPktDstAddr}},
		Measures: []Measure{Bytes, Packets, Flows, MinStart, MaxEnd},
		Where:    []Cond{{Differ: [][2]flowlog.FieldID{{flowlog.FSrcAddr, fPktSrcAddr}, {flowlog.FDstAddr, fPktDstAddr}}}},
	}
}

// NATFlow is the traffic between one workload and one far end through one NAT address, one way.
type NATFlow struct {
	NATAddr  netip.Addr // the gateway's private address the leg used
	Workload netip.Addr // the instance behind the gateway
	FarEnd   netip.Addr // the host, AWS service or internet address
	Upload   bool       // workload → far end (received by the gateway from the workload)
	Bytes    int64
	Packets  int64
	Flows    int64
}

// NATGateway is what one NAT gateway interface processed.
type NATGateway struct {
	InterfaceID            string
	Addrs                  []netip.Addr // its private addresses seen in the records (up to 8)
	BytesInFromSource      int64        // received from the workloads (uploads)
	BytesInFromDestination int64        // received from the far ends (downloads)
	FirstStart, LastEnd    int64        // Unix seconds; 0 when unknown
	Flows                  []NATFlow    // by bytes, largest first
}

// ProcessedBytes is what AWS bills as processed: every byte once per direction.
func (g *NATGateway) ProcessedBytes() int64 { return g.BytesInFromSource + g.BytesInFromDestination }

// NATGateways reads a NATSpec table: one gateway per interface with translated records (only those
// of only, when given), in interface order. A record whose source and destination were both
// translated is counted as an upload.
func NATGateways(t *Table, only map[string]bool) []*NATGateway {
	byID := map[string]*NATGateway{}
	addrs := map[string]map[netip.Addr]bool{}
	for _, g := range t.Groups() {
		id := t.Key(g, 0)
		if id.Null || (only != nil && !only[id.Str]) {
			continue
		}
		src, dst, psrc, pdst := t.Key(g, 1), t.Key(g, 2), t.Key(g, 3), t.Key(g, 4)
		if src.Null || dst.Null || psrc.Null || pdst.Null {
			continue
		}
		gw := byID[id.Str]
		if gw == nil {
			gw = &NATGateway{InterfaceID: id.Str}
			byID[id.Str] = gw
			addrs[id.Str] = map[netip.Addr]bool{}
		}
		f := NATFlow{Bytes: t.Value(g, Bytes), Packets: t.Value(g, Packets), Flows: t.Value(g, Flows)}
		if dst.Addr != pdst.Addr {
			f.Upload, f.NATAddr, f.Workload, f.FarEnd = true, dst.IP(), src.IP(), pdst.IP()
			gw.BytesInFromSource += f.Bytes
		} else {
			f.NATAddr, f.Workload, f.FarEnd = src.IP(), dst.IP(), psrc.IP()
			gw.BytesInFromDestination += f.Bytes
		}
		addrs[id.Str][f.NATAddr] = true
		gw.Flows = append(gw.Flows, f)
		if s := t.Value(g, MinStart); s != initial(MinStart) && (gw.FirstStart == 0 || s < gw.FirstStart) {
			gw.FirstStart = s
		}
		if e := t.Value(g, MaxEnd); e != initial(MaxEnd) && e > gw.LastEnd {
			gw.LastEnd = e
		}
	}
	var out []*NATGateway
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
