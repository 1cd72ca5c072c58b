package query

import (
	"math/big"
	"sort"
	"time"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
)

// ReportSchemaVersion is the version of the JSON report's schema; it changes only when a field
// changes meaning or goes away (new fields may appear within a version).
const ReportSchemaVersion = 1

// The aggregations of the standard report. Totals, interfaces, hours and protocols are roll-ups of
// these, so each record costs five hash probes (and three more when rejected).
const (
	aggIfaceHour     = "interface_hour"
	aggConversations = "conversations"
	aggPorts         = "ports"
	aggRejectSources = "reject_sources"
	aggRejectPorts   = "reject_ports"
	aggRejectReasons = "reject_reasons"
)

var (
	fRejectReason, _ = flowlog.LookupField("reject-reason")
	fPktSrc, _       = flowlog.LookupField("pkt-srcaddr")
	fPktDst, _       = flowlog.LookupField("pkt-dstaddr")
	traffic          = []aggregate.Measure{aggregate.Bytes, aggregate.Packets, aggregate.Flows}
	rejectOnly       = []aggregate.Cond{{Field: flowlog.FAction, In: []string{"REJECT"}}}
)

// ReportSpecs returns the group-bys the standard report needs.
func ReportSpecs() []aggregate.Spec {
	return []aggregate.Spec{
		{Name: aggIfaceHour,
			Keys: []aggregate.Key{{Field: flowlog.FInterfaceID}, {Field: flowlog.FStart, Trunc: aggregate.TruncHour}},
			Measures: []aggregate.Measure{aggregate.Bytes, aggregate.Packets, aggregate.Flows, aggregate.RejectFlows,
				aggregate.RejectPackets, aggregate.RejectBytes, aggregate.MinStart, aggregate.MaxEnd}},
		{Name: aggConversations, Keys: []aggregate.Key{{Field: flowlog.FSrcAddr}, {Field: flowlog.FDstAddr}}, Measures: traffic},
		{Name: aggPorts, Keys: []aggregate.Key{{Field: flowlog.FDstPort}, {Field: flowlog.FProtocol}}, Measures: traffic},
		{Name: aggRejectSources, Keys: []aggregate.Key{{Field: flowlog.FSrcAddr}}, Measures: traffic, Where: rejectOnly},
		{Name: aggRejectPorts, Keys: []aggregate.Key{{Field: flowlog.FDstPort}, {Field: flowlog.FProtocol}}, Measures: traffic, Where: rejectOnly},
		{Name: aggRejectReasons, Keys: []aggregate.Key{{Field: fRejectReason}}, Measures: traffic, Where: rejectOnly},
	}
}

// ReportInput is what the run read, for the report's input section.
type ReportInput struct {
	Stats   *flowlog.Stats
	Failed  []flowlog.ObjectError
	Skipped int // objects left out by their key's time range
}

// ReportOptions shape the report.
type ReportOptions struct {
	Top      int
	From, To time.Time
	Location *time.Location
}

// Report is the standard report; its JSON form is the documented contract (schema_version 1).
type Report struct {
	SchemaVersion int            `json:"schema_version"`
	Generator     string         `json:"generator"`
	TimeZone      string         `json:"timezone"`
	Range         RangeDoc       `json:"range"`
	Notes         []string       `json:"notes"`
	Input         InputDoc       `json:"input"`
	Totals        TotalsDoc      `json:"totals"`
	Interfaces    []InterfaceDoc `json:"interfaces"`
	Sources       []SourceDoc    `json:"sources"`
	Destinations  []DestDoc      `json:"destinations"`
	Conversations []ConvDoc      `json:"conversations"`
	Hourly        []HourDoc      `json:"hourly"`
	BusiestHours  []HourDoc      `json:"busiest_hours"`
	HourOfDay     []HourOfDayDoc `json:"hour_of_day"`
	Rejects       RejectsDoc     `json:"rejects"`
	Ports         []PortDoc      `json:"ports"`
	Protocols     []ProtocolDoc  `json:"protocols"`
	Unavailable   []string       `json:"unavailable"`
	// NAT is the NAT gateway cost review (as flowlens cost writes it), when gateways were given or
	// found in the records; absent otherwise.
	NAT *CostReview `json:"nat,omitempty"`
}

// RangeDoc is the time range asked for; null ends are open.
type RangeDoc struct {
	From *string `json:"from"`
	To   *string `json:"to"`
}

// InputDoc is the accounting of what was read.
type InputDoc struct {
	Objects           int64                 `json:"objects"`
	ObjectsFailed     int64                 `json:"objects_failed"`
	ObjectsSkipped    int                   `json:"objects_skipped"`
	RowsSkipped       int64                 `json:"rows_skipped"`
	BytesRead         int64                 `json:"bytes_read"`
	BytesText         int64                 `json:"bytes_text"`
	Lines             int64                 `json:"lines"`
	Records           int64                 `json:"records"`
	NoData            int64                 `json:"nodata"`
	SkipData          int64                 `json:"skipdata"`
	Headers           int64                 `json:"headers"`
	Blank             int64                 `json:"blank"`
	Malformed         int64                 `json:"malformed"`
	MillisTimes       int64                 `json:"millis_times"`
	RecordsInRange    int64                 `json:"records_in_range"`
	RecordsOutOfRange int64                 `json:"records_out_of_range"`
	FirstStart        *string               `json:"first_start"`
	LastEnd           *string               `json:"last_end"`
	MalformedLines    []*flowlog.ParseError `json:"malformed_lines"`
	FailedObjects     []FailedDoc           `json:"failed_objects"`
}

// FailedDoc is an object that could not be read fully.
type FailedDoc struct {
	Object string `json:"object"`
	Error  string `json:"error"`
}

// TotalsDoc sums every record in range.
type TotalsDoc struct {
	Bytes         int64 `json:"bytes"`
	Packets       int64 `json:"packets"`
	Flows         int64 `json:"flows"`
	AcceptedFlows int64 `json:"accepted_flows"`
	RejectedFlows int64 `json:"rejected_flows"`
}

// InterfaceDoc is one network interface.
type InterfaceDoc struct {
	InterfaceID   *string `json:"interface_id"`
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

// SourceDoc is one source address.
type SourceDoc struct {
	SrcAddr *string `json:"srcaddr"`
	Bytes   int64   `json:"bytes"`
	Packets int64   `json:"packets"`
	Flows   int64   `json:"flows"`
}

// DestDoc is one destination address.
type DestDoc struct {
	DstAddr *string `json:"dstaddr"`
	Bytes   int64   `json:"bytes"`
	Packets int64   `json:"packets"`
	Flows   int64   `json:"flows"`
}

// ConvDoc is one (source, destination) pair.
type ConvDoc struct {
	SrcAddr *string `json:"srcaddr"`
	DstAddr *string `json:"dstaddr"`
	Bytes   int64   `json:"bytes"`
	Packets int64   `json:"packets"`
	Flows   int64   `json:"flows"`
}

// HourDoc is one hour.
type HourDoc struct {
	Hour    string `json:"hour"`
	Bytes   int64  `json:"bytes"`
	Packets int64  `json:"packets"`
	Flows   int64  `json:"flows"`
}

// HourOfDayDoc is the mean traffic of one hour of the day over the days covered.
type HourOfDayDoc struct {
	Hour      int     `json:"hour"`
	MeanBytes float64 `json:"mean_bytes"`
	Days      int     `json:"days"` // days averaged over: first to last local date of the records
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

// Report notes, stated in every report because they decide how to read its numbers.
const (
	NoteHour      = "A flow is counted in the hour of its start time."
	NotePerENI    = "Flows are counted per network interface as logged: a flow seen on two interfaces is two observations."
	NoteRecords   = "Traffic totals count records with log-status OK; NODATA and SKIPDATA lines are counted in input only."
	NoteAccepted  = "accepted_flows are the flows whose action is not REJECT."
	noteNoReasons = "rejects.reasons: the input has no reject-reason field"
)

// BuildReport turns a run's merged result into the report.
func BuildReport(res *aggregate.Result, in ReportInput, opts ReportOptions) *Report {
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	top := opts.Top
	r := &Report{
		SchemaVersion: ReportSchemaVersion,
		Generator:     "flowlens report",
		TimeZone:      loc.String(),
		Notes:         []string{NoteHour, NotePerENI, NoteRecords, NoteAccepted},
		Unavailable:   []string{},
	}
	if !opts.From.IsZero() {
		r.Range.From = strp(opts.From.In(loc).Format(time.RFC3339))
	}
	if !opts.To.IsZero() {
		r.Range.To = strp(opts.To.In(loc).Format(time.RFC3339))
	}
	st := in.Stats
	r.Input = InputDoc{
		Objects: st.Objects, ObjectsFailed: st.ObjectsFailed, ObjectsSkipped: in.Skipped, RowsSkipped: st.RowsSkipped,
		BytesRead: st.BytesRead, BytesText: st.BytesText, Lines: st.Lines, Records: st.Records,
		NoData: st.NoData, SkipData: st.SkipData, Headers: st.Headers, Blank: st.Blank,
		Malformed: st.Malformed, MillisTimes: st.MillisTimes,
		RecordsInRange: res.InRange, RecordsOutOfRange: res.OutOfRange,
		MalformedLines: st.FirstMalformed, FailedObjects: []FailedDoc{},
	}
	if r.Input.MalformedLines == nil {
		r.Input.MalformedLines = []*flowlog.ParseError{}
	}
	for _, f := range in.Failed {
		r.Input.FailedObjects = append(r.Input.FailedObjects, FailedDoc{Object: f.Object, Error: f.Err.Error()})
	}
	for _, need := range []struct {
		f    flowlog.FieldID
		what string
	}{
		{flowlog.FInterfaceID, "interfaces"}, {flowlog.FSrcAddr, "sources, conversations"},
		{flowlog.FDstAddr, "destinations, conversations"}, {flowlog.FDstPort, "ports"},
		{flowlog.FAction, "rejects"}, {flowlog.FBytes, "bytes"}, {flowlog.FStart, "hourly"},
	} {
		if res.Rows > 0 && !res.Seen(need.f) {
			r.Unavailable = append(r.Unavailable, need.what+": the input has no "+flowlog.Fields[need.f].Name+" field")
		}
	}

	ih := res.Table(aggIfaceHour)
	totals := ih.Rollup("totals")
	if g := totals.Groups(); len(g) == 1 {
		t := g[0]
		r.Totals = TotalsDoc{
			Bytes: totals.Value(t, aggregate.Bytes), Packets: totals.Value(t, aggregate.Packets),
			Flows: totals.Value(t, aggregate.Flows), RejectedFlows: totals.Value(t, aggregate.RejectFlows),
		}
		r.Totals.AcceptedFlows = r.Totals.Flows - r.Totals.RejectedFlows
		r.Rejects.Flows = r.Totals.RejectedFlows
		r.Rejects.Packets = totals.Value(t, aggregate.RejectPackets)
		r.Rejects.Bytes = totals.Value(t, aggregate.RejectBytes)
		r.Input.FirstStart = unixTime(totals.Value(t, aggregate.MinStart), loc)
		r.Input.LastEnd = unixTime(totals.Value(t, aggregate.MaxEnd), loc)
	}

	// Interfaces, with each one's peak hour (most bytes; the earliest of equals).
	type peak struct{ hour, bytes int64 }
	peaks := map[string]peak{}
	for _, g := range ih.Groups() {
		id := ih.Key(g, 0)
		h := ih.Key(g, 1)
		if h.Null {
			continue
		}
		b := ih.Value(g, aggregate.Bytes)
		p, ok := peaks[id.String()]
		if !ok || b > p.bytes || (b == p.bytes && h.Int < p.hour) {
			peaks[id.String()] = peak{h.Int, b}
		}
	}
	ifaces := ih.Rollup("interfaces", 0)
	r.Interfaces = []InterfaceDoc{}
	for _, g := range ifaces.Top(top, aggregate.Bytes) {
		d := InterfaceDoc{
			InterfaceID: valueStr(ifaces.Key(g, 0)),
			Bytes:       ifaces.Value(g, aggregate.Bytes), Packets: ifaces.Value(g, aggregate.Packets),
			Flows: ifaces.Value(g, aggregate.Flows), RejectedFlows: ifaces.Value(g, aggregate.RejectFlows),
			FirstSeen: unixTime(ifaces.Value(g, aggregate.MinStart), loc),
			LastSeen:  unixTime(ifaces.Value(g, aggregate.MaxEnd), loc),
		}
		d.AcceptedFlows = d.Flows - d.RejectedFlows
		if p, ok := peaks[ifaces.Key(g, 0).String()]; ok {
			d.PeakHour = strp(time.Unix(p.hour, 0).In(loc).Format(time.RFC3339))
			d.PeakHourBytes = p.bytes
		}
		r.Interfaces = append(r.Interfaces, d)
	}

	// Interfaces by reject ratio: compared as fractions, so that equal ratios tie exactly.
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
		d := RejectRatioDoc{InterfaceID: valueStr(ifaces.Key(g, 0)), Flows: ifaces.Value(g, aggregate.Flows), RejectedFlows: ifaces.Value(g, aggregate.RejectFlows)}
		d.RejectRatio = float64(d.RejectedFlows) / float64(d.Flows)
		r.Rejects.InterfacesByRejectRatio = append(r.Rejects.InterfacesByRejectRatio, d)
	}

	// Sources and destinations are the conversations rolled up by one side: the same sums, without
	// two more address-keyed tables to probe per record (the report's costliest work after the
	// conversations themselves).
	conv := res.Table(aggConversations)
	var dst *aggregate.Table
	done := make(chan struct{})
	go func() {
		dst = conv.Rollup("destinations", 1)
		close(done)
	}()
	r.Sources = addrDocs(conv.Rollup("sources", 0), top, func(a *string, b, p, f int64) SourceDoc { return SourceDoc{a, b, p, f} })
	<-done
	r.Destinations = addrDocs(dst, top, func(a *string, b, p, f int64) DestDoc { return DestDoc{a, b, p, f} })
	r.Conversations = []ConvDoc{}
	for _, g := range conv.Top(top, aggregate.Bytes) {
		r.Conversations = append(r.Conversations, ConvDoc{valueStr(conv.Key(g, 0)), valueStr(conv.Key(g, 1)),
			conv.Value(g, aggregate.Bytes), conv.Value(g, aggregate.Packets), conv.Value(g, aggregate.Flows)})
	}

	r.hours(ih.Rollup("hourly", 1), top, loc)

	r.Rejects.TopSources = addrDocs(res.Table(aggRejectSources), top, func(a *string, b, p, f int64) SourceDoc { return SourceDoc{a, b, p, f} })
	r.Rejects.TopDstPorts = portDocs(res.Table(aggRejectPorts), top)
	r.Rejects.Reasons = []ReasonDoc{}
	if res.Seen(fRejectReason) {
		rr := res.Table(aggRejectReasons)
		for _, g := range rr.Top(top, aggregate.Flows, aggregate.Bytes) {
			r.Rejects.Reasons = append(r.Rejects.Reasons, ReasonDoc{valueStr(rr.Key(g, 0)),
				rr.Value(g, aggregate.Flows), rr.Value(g, aggregate.Packets), rr.Value(g, aggregate.Bytes)})
		}
	} else if res.Rows > 0 {
		r.Unavailable = append(r.Unavailable, noteNoReasons)
	}
	ports := res.Table(aggPorts)
	r.Ports = portDocs(ports, top)
	protos := ports.Rollup("protocols", 1)
	r.Protocols = []ProtocolDoc{}
	for _, g := range protos.Top(top, aggregate.Bytes) {
		p := valueInt(protos.Key(g, 0))
		d := ProtocolDoc{Protocol: p, Bytes: protos.Value(g, aggregate.Bytes), Packets: protos.Value(g, aggregate.Packets), Flows: protos.Value(g, aggregate.Flows)}
		if p != nil {
			d.Name = ProtocolName(int(*p))
		}
		r.Protocols = append(r.Protocols, d)
	}
	return r
}

// AddNAT adds the NAT section when the result holds NAT gateway traffic (or gateways were given).
func (r *Report) AddNAT(res *aggregate.Result, opts CostOptions) error {
	if res.Table(aggNAT) == nil {
		return nil
	}
	opts.HasPktFields = res.Seen(fPktSrc) && res.Seen(fPktDst)
	if r.Input.FirstStart == nil {
		return nil
	}
	ih := res.Table(aggIfaceHour).Rollup("span")
	if g := ih.Groups(); len(g) == 1 {
		opts.FirstStart, opts.LastEnd = ih.Value(g[0], aggregate.MinStart), ih.Value(g[0], aggregate.MaxEnd)
	}
	review, err := BuildCostReview(res, opts)
	if err != nil {
		return err
	}
	if len(review.NATGateways) > 0 || len(opts.Gateways) > 0 {
		r.NAT = review
	}
	return nil
}

// hours fills the hourly series (the hours that have records, in order), the busiest hours and, when
// the records span more than one day, the hour-of-day profile: for each hour of the day, the bytes in
// that hour summed over the days covered (first to last local date, days without records included)
// and divided by their number.
func (r *Report) hours(t *aggregate.Table, top int, loc *time.Location) {
	r.Hourly, r.BusiestHours, r.HourOfDay = []HourDoc{}, []HourDoc{}, []HourOfDayDoc{}
	var profile [24]int64
	var first, last time.Time
	for _, g := range t.Top(0) { // key order: hours ascending, null first
		k := t.Key(g, 0)
		if k.Null {
			continue
		}
		tm := time.Unix(k.Int, 0).In(loc)
		if first.IsZero() {
			first = tm
		}
		last = tm
		b := t.Value(g, aggregate.Bytes)
		r.Hourly = append(r.Hourly, HourDoc{tm.Format(time.RFC3339), b, t.Value(g, aggregate.Packets), t.Value(g, aggregate.Flows)})
		profile[tm.Hour()] += b
	}
	for _, g := range t.Top(top, aggregate.Bytes) {
		k := t.Key(g, 0)
		if k.Null {
			continue
		}
		r.BusiestHours = append(r.BusiestHours, HourDoc{time.Unix(k.Int, 0).In(loc).Format(time.RFC3339),
			t.Value(g, aggregate.Bytes), t.Value(g, aggregate.Packets), t.Value(g, aggregate.Flows)})
	}
	if first.IsZero() {
		return
	}
	days := daysBetween(first, last) + 1
	if days < 2 {
		return
	}
	for h, b := range profile {
		r.HourOfDay = append(r.HourOfDay, HourOfDayDoc{Hour: h, MeanBytes: float64(b) / float64(days), Days: days})
	}
}

// daysBetween counts the local dates from a's to b's.
func daysBetween(a, b time.Time) int {
	da := time.Date(a.Year(), a.Month(), a.Day(), 12, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 12, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

func addrDocs[T any](t *aggregate.Table, top int, mk func(a *string, b, p, f int64) T) []T {
	out := []T{}
	for _, g := range t.Top(top, aggregate.Bytes) {
		out = append(out, mk(valueStr(t.Key(g, 0)), t.Value(g, aggregate.Bytes), t.Value(g, aggregate.Packets), t.Value(g, aggregate.Flows)))
	}
	return out
}

func portDocs(t *aggregate.Table, top int) []PortDoc {
	out := []PortDoc{}
	for _, g := range t.Top(top, aggregate.Bytes) {
		out = append(out, PortDoc{valueInt(t.Key(g, 0)), valueInt(t.Key(g, 1)),
			t.Value(g, aggregate.Bytes), t.Value(g, aggregate.Packets), t.Value(g, aggregate.Flows)})
	}
	return out
}

func strp(s string) *string { return &s }

func valueStr(v aggregate.Value) *string {
	if v.Null {
		return nil
	}
	return strp(v.String())
}

func valueInt(v aggregate.Value) *int64 {
	if v.Null {
		return nil
	}
	x := v.Int
	return &x
}

// unixTime formats a MinStart/MaxEnd measure; the extremes mean no record had the field.
func unixTime(v int64, loc *time.Location) *string {
	if v == int64(^uint64(0)>>1) || v == -int64(^uint64(0)>>1)-1 {
		return nil
	}
	return strp(time.Unix(v, 0).In(loc).Format(time.RFC3339))
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
