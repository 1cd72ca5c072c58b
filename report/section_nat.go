package report

import (
	"strings"
	"time"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/nat"
	"github.com/flowlens/flowlens/output"
)

// natSection is the NAT gateway cost review, as flowlens cost writes it, over the report's time
// span; present when Options.NAT is set and gateways were given or found in the records.
var natSection = section{
	name: "nat",
	specs: func(o Options) []aggregate.Spec {
		if o.NAT == nil {
			return nil
		}
		return append(nat.Specs(o.NAT.Gateways), nat.EndpointSpecs(*o.NAT)...)
	},
	build: buildNAT,
	csv: func(r *Report) []output.CSVTable {
		if r.NAT == nil {
			return nil
		}
		return r.NAT.Tables("nat_")
	},
	text: func(r *Report, t *textOut) {
		t.flush()
		if r.NAT != nil {
			t.p("\nNAT GATEWAYS\n")
			t.err = r.NAT.WriteTable(t.bw)
		}
	},
}

// transferSection is the data-transfer bill (--transfer), beside the NAT review when there is one.
var transferSection = section{
	name: "transfer",
	specs: func(o Options) []aggregate.Spec {
		if o.Transfer == nil {
			return nil
		}
		return nat.TransferSpecs(o.NAT != nil)
	},
	build: func(b *builder) error {
		if b.o.Transfer == nil || b.r.Input.FirstStart == nil {
			return nil
		}
		b.r.Transfer = nat.BuildTransfer(b.res, *b.o.Transfer, b.span(), b.r.NAT)
		return nil
	},
	csv: func(r *Report) []output.CSVTable {
		if r.Transfer == nil {
			return nil
		}
		return r.Transfer.Tables("")
	},
	text: func(r *Report, t *textOut) {
		t.flush()
		if r.Transfer != nil {
			t.p("\n")
			t.err = r.Transfer.WriteTable(t.bw)
		}
	},
}

func buildNAT(b *builder) error {
	if b.o.NAT == nil || b.r.Input.FirstStart == nil {
		return nil
	}
	review, err := nat.Build(b.res, *b.o.NAT, b.span())
	if err != nil {
		return err
	}
	switch {
	case review.Status == nat.StatusNoGateways:
		b.r.Unavailable = append(b.r.Unavailable, "nat: "+strings.Join(review.Missing, "; "))
	case len(review.NATGateways) > 0 || len(b.o.NAT.Gateways) > 0:
		b.r.NAT = review
	}
	return nil
}

// span is the time the NAT review and the transfer section cover.
func (b *builder) span() nat.Span {
	// The span's first start is the totals' (a raw time); its last start the latest start where the
	// group-by keeps it (half-hour zones), else the last hour key, which then is a UTC hour too.
	span := nat.Span{From: unix(b.o.From), To: unix(b.o.To)}
	totals := b.totals()
	if g := totals.Groups(); len(g) == 1 {
		span.FirstStart = totals.Value(g[0], aggregate.MinStart)
		if len(totals.Spec.Aggs) > 0 {
			span.LastStart = totals.Value(g[0], aggregate.AggMeasure(0))
		} else {
			hourly := b.rollup(specIfaceHour, "hourly", flowlog.FStart)
			c := hourly.Col(flowlog.FStart)
			for _, h := range hourly.Groups() {
				if k := hourly.Key(h, c); !k.Null {
					span.LastStart = max(span.LastStart, k.Int)
				}
			}
		}
		if aggregate.Unset(aggregate.MinStart, span.FirstStart) || span.LastStart <= 0 {
			span.FirstStart, span.LastStart = 0, 0
		}
	}
	return span
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
