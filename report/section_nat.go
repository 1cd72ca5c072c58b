package report

import (
	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/nat"
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
	var span nat.Span
	totals := b.totals()
	if g := totals.Groups(); len(g) == 1 {
		span = nat.Span{FirstStart: totals.Value(g[0], aggregate.MinStart), LastEnd: totals.Value(g[0], aggregate.MaxEnd)}
	}
	review, err := nat.Build(b.res, *b.o.NAT, span)
	if err != nil {
		return err
	}
	if len(review.NATGateways) > 0 || len(b.o.NAT.Gateways) > 0 {
		b.r.NAT = review
	}
	return nil
}
