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
		return nat.Specs(o.NAT.Gateways)
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

func buildNAT(b *builder) error {
	if b.o.NAT == nil || b.r.Input.FirstStart == nil {
		return nil
	}
	// The span's first and last start hours are the hourly series' first and last hours.
	span := nat.Span{From: unix(b.o.From), To: unix(b.o.To)}
	hourly := b.rollup(specIfaceHour, "hourly", flowlog.FStart)
	c := hourly.Col(flowlog.FStart)
	for _, g := range hourly.Groups() {
		if h := hourly.Key(g, c); !h.Null {
			if span.FirstStart == 0 || h.Int < span.FirstStart {
				span.FirstStart = h.Int
			}
			span.LastStart = max(span.LastStart, h.Int)
		}
	}
	review, err := nat.Build(b.res, *b.o.NAT, span)
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

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
