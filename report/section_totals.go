package report

import (
	"time"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/output"
)

// specIfaceHour is the report's widest group-by: traffic and rejects by interface and hour. Totals,
// interfaces, their peak hours and the hourly series are roll-ups of it, so each record costs one
// probe for all of them.
var specIfaceHour = aggregate.Spec{
	Name: "interface_hour",
	Keys: []aggregate.Key{{Field: flowlog.FInterfaceID}, {Field: flowlog.FStart, Trunc: aggregate.TruncHour}},
	Measures: []aggregate.Measure{aggregate.Bytes, aggregate.Packets, aggregate.Flows, aggregate.RejectFlows,
		aggregate.RejectPackets, aggregate.RejectBytes, aggregate.MinStart, aggregate.MaxEnd},
}

// ifaceHourSpec is specIfaceHour as the options need it. The NAT hours are UTC hours, as AWS
// bills them; the hour keys are local hours, which bound them in a zone whose offset is whole
// hours. In a half-hour zone (India, Newfoundland, …) the group-by also keeps the latest start,
// an aggregate per record that the other zones do without.
func ifaceHourSpec(o Options) aggregate.Spec {
	if o.NAT == nil || !fractionalZone(o.Location, o.From, o.To) {
		return specIfaceHour
	}
	s := specIfaceHour
	s.Aggs = []aggregate.Agg{{Op: aggregate.AggMax, Field: flowlog.FStart}}
	return s
}

// fractionalZone reports whether loc's offset from UTC is not whole hours now or at from or to.
func fractionalZone(loc *time.Location, from, to time.Time) bool {
	if loc == nil {
		return false
	}
	for _, t := range []time.Time{time.Now(), from, to} {
		if t.IsZero() {
			continue
		}
		if _, off := t.In(loc).Zone(); off%3600 != 0 {
			return true
		}
	}
	return false
}

// traffic are the measures of most sections.
var traffic = []aggregate.Measure{aggregate.Bytes, aggregate.Packets, aggregate.Flows}

// totalsSection sums every record in range, and gives the input's time span.
var totalsSection = section{
	name:  "totals",
	specs: func(o Options) []aggregate.Spec { return []aggregate.Spec{ifaceHourSpec(o)} },
	build: buildTotals,
	csv: func(r *Report) []output.CSVTable {
		return []output.CSVTable{{Name: "totals", Rows: []TotalsDoc{r.Totals}}}
	},
	text: func(r *Report, t *textOut) {
		d := r.Totals
		t.p("\nTOTALS  %s, %s packets, %s flows (%s accepted, %s rejected)\n",
			si(d.Bytes), num(d.Packets), num(d.Flows), num(d.AcceptedFlows), num(d.RejectedFlows))
	},
}

// TotalsDoc sums every record in range.
type TotalsDoc struct {
	Bytes         int64 `json:"bytes"`
	Packets       int64 `json:"packets"`
	Flows         int64 `json:"flows"`
	AcceptedFlows int64 `json:"accepted_flows"`
	RejectedFlows int64 `json:"rejected_flows"`
}

// totals is the one-group roll-up of everything in range.
func (b *builder) totals() *aggregate.Table { return b.rollup(specIfaceHour, "totals") }

func buildTotals(b *builder) error {
	totals, r := b.totals(), b.r
	if g := totals.Groups(); len(g) == 1 {
		t := g[0]
		r.Totals = TotalsDoc{
			Bytes: totals.Value(t, aggregate.Bytes), Packets: totals.Value(t, aggregate.Packets),
			Flows: totals.Value(t, aggregate.Flows), RejectedFlows: totals.Value(t, aggregate.RejectFlows),
		}
		r.Totals.AcceptedFlows = r.Totals.Flows - r.Totals.RejectedFlows
		r.Input.FirstStart = unixTime(aggregate.MinStart, totals.Value(t, aggregate.MinStart), b.loc)
		r.Input.LastEnd = unixTime(aggregate.MaxEnd, totals.Value(t, aggregate.MaxEnd), b.loc)
	}
	return nil
}
