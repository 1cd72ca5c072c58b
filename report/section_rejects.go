package report

import (
	"math/big"
	"sort"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/output"
)

var (
	fRejectReason, _ = flowlog.LookupField("reject-reason")
	rejectOnly       = []aggregate.Cond{{Field: flowlog.FAction, In: []string{"REJECT"}}}

	specRejectSources = aggregate.Spec{Name: "reject_sources", Keys: []aggregate.Key{{Field: flowlog.FSrcAddr}}, Measures: traffic, Where: rejectOnly}
	specRejectPorts   = aggregate.Spec{Name: "reject_ports", Keys: []aggregate.Key{{Field: flowlog.FDstPort}, {Field: flowlog.FProtocol}}, Measures: traffic, Where: rejectOnly}
	specRejectReasons = aggregate.Spec{Name: "reject_reasons", Keys: []aggregate.Key{{Field: fRejectReason}}, Measures: traffic, Where: rejectOnly}
)

const noteNoReasons = "rejects.reasons: the input has no reject-reason field"

// rejectsSection describes the REJECT records: their totals, top sources and destination ports,
// the interfaces with the largest share of rejected flows, and the reject reasons (v8 logs).
var rejectsSection = section{
	name: "rejects",
	specs: func(o Options) []aggregate.Spec {
		return []aggregate.Spec{ifaceHourSpec(o), specRejectSources, specRejectPorts, specRejectReasons}
	},
	build: buildRejects,
	csv: func(r *Report) []output.CSVTable {
		return []output.CSVTable{{Name: "rejects", Rows: []RejectsDoc{r.Rejects}}, {Name: "rejects_top_sources", Rows: r.Rejects.TopSources},
			{Name: "rejects_top_dstports", Rows: r.Rejects.TopDstPorts}, {Name: "rejects_interfaces_by_reject_ratio", Rows: r.Rejects.InterfacesByRejectRatio},
			{Name: "rejects_reasons", Rows: r.Rejects.Reasons}}
	},
	text: textRejects,
}

// RejectsDoc describes the REJECT records.
type RejectsDoc struct {
	Flows                   int64            `json:"flows"`
	Packets                 int64            `json:"packets"`
	Bytes                   int64            `json:"bytes"`
	TopSources              []SourceDoc      `json:"top_sources"`
	TopDstPorts             []PortDoc        `json:"top_dstports"`
	InterfacesByRejectRatio []RejectRatioDoc `json:"interfaces_by_reject_ratio"`
	Reasons                 []ReasonDoc      `json:"reasons"`
}

// RejectRatioDoc is an interface's share of rejected flows.
type RejectRatioDoc struct {
	InterfaceID   *string `json:"interface_id"`
	Flows         int64   `json:"flows"`
	RejectedFlows int64   `json:"rejected_flows"`
	RejectRatio   float64 `json:"reject_ratio"`
}

// ReasonDoc is one reject-reason value.
type ReasonDoc struct {
	RejectReason *string `json:"reject_reason"`
	Flows        int64   `json:"flows"`
	Packets      int64   `json:"packets"`
	Bytes        int64   `json:"bytes"`
}

func buildRejects(b *builder) error {
	r, res, top := b.r, b.res, b.top
	if totals := b.totals(); len(totals.Groups()) == 1 {
		t := totals.Groups()[0]
		r.Rejects.Flows = totals.Value(t, aggregate.RejectFlows)
		r.Rejects.Packets = totals.Value(t, aggregate.RejectPackets)
		r.Rejects.Bytes = totals.Value(t, aggregate.RejectBytes)
	}

	// Interfaces by reject ratio: compared as fractions, so that equal ratios tie exactly.
	ifaces := b.interfaces()
	r.Rejects.InterfacesByRejectRatio = []RejectRatioDoc{}
	var rejecting []aggregate.Group
	for _, g := range ifaces.Groups() {
		if ifaces.Value(g, aggregate.RejectFlows) > 0 {
			rejecting = append(rejecting, g)
		}
	}
	sort.Slice(rejecting, func(i, j int) bool {
		a, b := rejecting[i], rejecting[j]
		ra, fa := ifaces.Value(a, aggregate.RejectFlows), ifaces.Value(a, aggregate.Flows)
		rb, fb := ifaces.Value(b, aggregate.RejectFlows), ifaces.Value(b, aggregate.Flows)
		if c := new(big.Int).Mul(big.NewInt(ra), big.NewInt(fb)).Cmp(new(big.Int).Mul(big.NewInt(rb), big.NewInt(fa))); c != 0 {
			return c > 0
		}
		return ifaces.Less(a, b, []aggregate.Measure{aggregate.RejectFlows})
	})
	if top > 0 && len(rejecting) > top {
		rejecting = rejecting[:top]
	}
	for _, g := range rejecting {
		d := RejectRatioDoc{InterfaceID: valueStr(ifaces.KeyOf(g, flowlog.FInterfaceID)), Flows: ifaces.Value(g, aggregate.Flows), RejectedFlows: ifaces.Value(g, aggregate.RejectFlows)}
		d.RejectRatio = float64(d.RejectedFlows) / float64(d.Flows)
		r.Rejects.InterfacesByRejectRatio = append(r.Rejects.InterfacesByRejectRatio, d)
	}

	r.Rejects.TopSources = addrDocs(res.Table(specRejectSources.Name), flowlog.FSrcAddr, top, func(a *string, b, p, f int64) SourceDoc { return SourceDoc{SrcAddr: a, Bytes: b, Packets: p, Flows: f} })
	r.Rejects.TopDstPorts = portDocs(res.Table(specRejectPorts.Name), top)
	r.Rejects.Reasons = []ReasonDoc{}
	if res.Seen(fRejectReason) {
		rr := res.Table(specRejectReasons.Name)
		for _, g := range rr.Top(top, aggregate.Flows, aggregate.Bytes) {
			r.Rejects.Reasons = append(r.Rejects.Reasons, ReasonDoc{valueStr(rr.KeyOf(g, fRejectReason)),
				rr.Value(g, aggregate.Flows), rr.Value(g, aggregate.Packets), rr.Value(g, aggregate.Bytes)})
		}
	} else if res.Rows > 0 {
		r.Unavailable = append(r.Unavailable, noteNoReasons)
	}
	return nil
}

func textRejects(r *Report, t *textOut) {
	rj := r.Rejects
	t.flush()
	t.p("\nREJECTS  %s flows, %s packets, %s\n", num(rj.Flows), num(rj.Packets), si(rj.Bytes))
	t.table("  top rejected sources", "srcaddr\tflows\tpackets\tbytes\t")
	for _, d := range rj.TopSources {
		t.row("%s\t%s\t%s\t%s\t\n", orDash(d.SrcAddr), num(d.Flows), num(d.Packets), si(d.Bytes))
	}
	t.table("  top rejected destination ports", "dstport\tprotocol\tflows\tpackets\tbytes\t")
	for _, d := range rj.TopDstPorts {
		t.row("%s\t%s\t%s\t%s\t%s\t\n", intOrDash(d.DstPort), protoText(d.Protocol), num(d.Flows), num(d.Packets), si(d.Bytes))
	}
	t.table("  interfaces by reject ratio", "interface\tflows\trejected\tratio\t")
	for _, d := range rj.InterfacesByRejectRatio {
		t.row("%s\t%s\t%s\t%.1f%%\t\n", orDash(d.InterfaceID), num(d.Flows), num(d.RejectedFlows), 100*d.RejectRatio)
	}
	if len(rj.Reasons) > 0 {
		t.table("  reject reasons", "reject-reason\tflows\tpackets\tbytes\t")
		for _, d := range rj.Reasons {
			t.row("%s\t%s\t%s\t%s\t\n", orDash(d.RejectReason), num(d.Flows), num(d.Packets), si(d.Bytes))
		}
	}
}
