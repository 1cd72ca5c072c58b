package report

import (
	"time"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/output"
)

// interfacesSection is the top interfaces by bytes, each with its busiest hour.
var interfacesSection = section{
	name:  "interfaces",
	specs: func(o Options) []aggregate.Spec { return []aggregate.Spec{ifaceHourSpec(o)} },
	build: buildInterfaces,
	csv:   func(r *Report) []output.CSVTable { return []output.CSVTable{{Name: "interfaces", Rows: r.Interfaces}} },
	text: func(r *Report, t *textOut) {
		t.table("TOP INTERFACES BY BYTES", "interface\tbytes\tpackets\tflows\taccepted\trejected\tfirst seen\tlast seen\tpeak hour\t")
		for _, d := range r.Interfaces {
			t.row("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", named(d.InterfaceID, d.Name, d.Type), si(d.Bytes), num(d.Packets), num(d.Flows),
				num(d.AcceptedFlows), num(d.RejectedFlows), orDash(d.FirstSeen), orDash(d.LastSeen), orDash(d.PeakHour))
		}
	},
}

// InterfaceDoc is one network interface.
type InterfaceDoc struct {
	InterfaceID   *string `json:"interface_id"`
	Name          *string `json:"name,omitempty" csv:"optional"`           // --enrich: the owner's name
	Type          *string `json:"interface_type,omitempty" csv:"optional"` // --enrich: nat_gateway, vpc_endpoint, …
	Bytes         int64   `json:"bytes"`
	Packets       int64   `json:"packets"`
	Flows         int64   `json:"flows"`
	AcceptedFlows int64   `json:"accepted_flows"`
	RejectedFlows int64   `json:"rejected_flows"`
	FirstSeen     *string `json:"first_seen"`
	LastSeen      *string `json:"last_seen"`
	PeakHour      *string `json:"peak_hour"`
	PeakHourBytes int64   `json:"peak_hour_bytes"`
}

// interfaces is the traffic of each interface over the whole range.
func (b *builder) interfaces() *aggregate.Table {
	return b.rollup(specIfaceHour, "interfaces", flowlog.FInterfaceID)
}

func buildInterfaces(b *builder) error {
	ih := b.res.Table(specIfaceHour.Name)
	// Each interface's peak hour: most bytes, the earliest of equals.
	type peak struct{ hour, bytes int64 }
	peaks := map[string]peak{}
	cID, cHour := ih.Col(flowlog.FInterfaceID), ih.Col(flowlog.FStart)
	for _, g := range ih.Groups() {
		id := ih.Key(g, cID)
		h := ih.Key(g, cHour)
		if h.Null {
			continue
		}
		bytes := ih.Value(g, aggregate.Bytes)
		p, ok := peaks[id.String()]
		if !ok || bytes > p.bytes || (bytes == p.bytes && h.Int < p.hour) {
			peaks[id.String()] = peak{h.Int, bytes}
		}
	}
	ifaces := b.interfaces()
	b.r.Interfaces = []InterfaceDoc{}
	for _, g := range ifaces.Top(b.top, aggregate.Bytes) {
		id := ifaces.KeyOf(g, flowlog.FInterfaceID)
		d := InterfaceDoc{
			InterfaceID: valueStr(id),
			Bytes:       ifaces.Value(g, aggregate.Bytes), Packets: ifaces.Value(g, aggregate.Packets),
			Flows: ifaces.Value(g, aggregate.Flows), RejectedFlows: ifaces.Value(g, aggregate.RejectFlows),
			FirstSeen: unixTime(aggregate.MinStart, ifaces.Value(g, aggregate.MinStart), b.loc),
			LastSeen:  unixTime(aggregate.MaxEnd, ifaces.Value(g, aggregate.MaxEnd), b.loc),
		}
		d.AcceptedFlows = d.Flows - d.RejectedFlows
		if p, ok := peaks[id.String()]; ok {
			d.PeakHour = strp(time.Unix(p.hour, 0).In(b.loc).Format(time.RFC3339))
			d.PeakHourBytes = p.bytes
		}
		b.r.Interfaces = append(b.r.Interfaces, d)
	}
	return nil
}
