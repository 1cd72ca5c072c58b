package report

import (
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

// traffic are the measures of most sections.
var traffic = []aggregate.Measure{aggregate.Bytes, aggregate.Packets, aggregate.Flows}

// totalsSection sums every record in range, and gives the input's time span.
var totalsSection = section{
	name:  "totals",
	specs: func(Options) []aggregate.Spec { return []aggregate.Spec{specIfaceHour} },
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
