package report

import (
	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/output"
)

// specPorts is traffic by destination port and protocol; protocols are its roll-up.
var specPorts = aggregate.Spec{Name: "ports",
	Keys: []aggregate.Key{{Field: flowlog.FDstPort}, {Field: flowlog.FProtocol}}, Measures: traffic}

// portsSection is the top destination ports and the protocols, by bytes.
var portsSection = section{
	name:  "ports",
	specs: func(Options) []aggregate.Spec { return []aggregate.Spec{specPorts} },
	build: buildPorts,
	csv: func(r *Report) []output.CSVTable {
		return []output.CSVTable{{Name: "ports", Rows: r.Ports}, {Name: "protocols", Rows: r.Protocols}}
	},
	text: func(r *Report, t *textOut) {
		t.table("TOP DESTINATION PORTS BY BYTES", "dstport\tprotocol\tbytes\tpackets\tflows\t")
		for _, d := range r.Ports {
			t.row("%s\t%s\t%s\t%s\t%s\t\n", intOrDash(d.DstPort), protoText(d.Protocol), si(d.Bytes), num(d.Packets), num(d.Flows))
		}
		t.table("PROTOCOLS", "protocol\tbytes\tpackets\tflows\t")
		for _, d := range r.Protocols {
			t.row("%s\t%s\t%s\t%s\t\n", protoText(d.Protocol), si(d.Bytes), num(d.Packets), num(d.Flows))
		}
	},
}

// PortDoc is one destination port and protocol.
type PortDoc struct {
	DstPort  *int64 `json:"dstport"`
	Protocol *int64 `json:"protocol"`
	Bytes    int64  `json:"bytes"`
	Packets  int64  `json:"packets"`
	Flows    int64  `json:"flows"`
}

// ProtocolDoc is one protocol.
type ProtocolDoc struct {
	Protocol *int64 `json:"protocol"`
	Name     string `json:"name"`
	Bytes    int64  `json:"bytes"`
	Packets  int64  `json:"packets"`
	Flows    int64  `json:"flows"`
}

func buildPorts(b *builder) error {
	ports := b.res.Table(specPorts.Name)
	b.r.Ports = portDocs(ports, b.top)
	protos := ports.RollupBy("protocols", flowlog.FProtocol)
	b.r.Protocols = []ProtocolDoc{}
	for _, g := range protos.Top(b.top, aggregate.Bytes) {
		p := valueInt(protos.KeyOf(g, flowlog.FProtocol))
		d := ProtocolDoc{Protocol: p, Bytes: protos.Value(g, aggregate.Bytes), Packets: protos.Value(g, aggregate.Packets), Flows: protos.Value(g, aggregate.Flows)}
		if p != nil {
			d.Name = ProtocolName(int(*p))
		}
		b.r.Protocols = append(b.r.Protocols, d)
	}
	return nil
}

// portDocs lists the top groups of a table keyed by destination port and protocol.
func portDocs(t *aggregate.Table, top int) []PortDoc {
	out := []PortDoc{}
	cPort, cProto := t.Col(flowlog.FDstPort), t.Col(flowlog.FProtocol)
	for _, g := range t.Top(top, aggregate.Bytes) {
		out = append(out, PortDoc{valueInt(t.Key(g, cPort)), valueInt(t.Key(g, cProto)),
			t.Value(g, aggregate.Bytes), t.Value(g, aggregate.Packets), t.Value(g, aggregate.Flows)})
	}
	return out
}

// ProtocolName names the common IANA protocol numbers.
func ProtocolName(p int) string {
	switch p {
	case 1:
		return "ICMP"
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	case 47:
		return "GRE"
	case 50:
		return "ESP"
	case 51:
		return "AH"
	case 58:
		return "ICMPv6"
	case 132:
		return "SCTP"
	}
	return ""
}
