package nat

import (
	"fmt"
	"io"
	"strings"

	"github.com/flowlens/flowlens/internal/units"
	"github.com/flowlens/flowlens/output"
)

// WriteJSON writes the review as one indented JSON document.
func (r *Review) WriteJSON(w io.Writer) error { return output.WriteJSON(w, r) }

// WriteTable writes the review as text for a reader who takes it to a meeting: what cannot be told
// first, then each gateway (by NAT gateway id and Name when known, its interface otherwise), the
// total, the recommendations and the assumptions. GB have two decimals; a cost that cannot be
// computed reads "unknown".
func (r *Review) WriteTable(w io.Writer) error {
	var b strings.Builder
	a := r.Assumptions
	for _, m := range r.Missing {
		fmt.Fprintf(&b, "CANNOT TELL: %s\n\n", m)
	}
	fmt.Fprintf(&b, "flowlens cost review — %s, prices of %s, %.0f hours covered (GB = 10^9 bytes)\n", a.Region, a.PriceTableDate, a.HoursCovered)
	if a.PriceTableStale {
		fmt.Fprintf(&b, "note: the price table of %s is more than a year old (flowlens prices fetch gets current prices)\n", a.PriceTableDate)
	}
	if len(r.NATGateways) == 0 && r.Status != StatusNoGateways {
		b.WriteString("\nno NAT gateway traffic found\n")
	}
	for _, g := range r.NATGateways {
		fmt.Fprintf(&b, "\nNAT GATEWAY %s  %s  %s\n", g.Title(), strings.Join(g.Addresses, ","), g.AZ)
		fmt.Fprintf(&b, "  processed %.2f GB (in from sources %s, in from destinations %s)\n", g.ProcessedGB, units.Decimal(g.BytesInFromSource), units.Decimal(g.BytesInFromDestination))
		fmt.Fprintf(&b, "  cost for the %.0f hours: %s (hours %s + processing %s)\n", g.Hours, usd(g.NATCost), usd(g.NATHourlyCost), usd(g.NATProcessingCost))
		fmt.Fprintf(&b, "  a 730-hour month, projected: %s (hours %s + processing %s)\n", usd(g.MonthlyProjection.NATCost), usd(g.MonthlyProjection.NATHourlyCost), usd(g.MonthlyProjection.NATProcessingCost))
		fmt.Fprintf(&b, "  by class: S3 %.2f GB, DynamoDB %.2f GB, other AWS %.2f GB, internet %.2f GB; cross-AZ %.2f GB (%s inter-AZ, both directions)\n",
			g.ByClass["s3"], g.ByClass["dynamodb"], g.ByClass["aws_other"], g.ByClass["internet"], g.CrossAZGB, usd(g.CrossAZCost))
		b.WriteString("  top sources:\n")
		for _, s := range g.TopSources {
			fmt.Fprintf(&b, "    %-40s %10s  up %10s  down %10s  %s\n", s.label(), units.Decimal(s.Bytes), units.Decimal(s.UploadBytes), units.Decimal(s.DownloadBytes), s.AZ)
		}
		b.WriteString("  top destinations:\n")
		for _, s := range g.TopDestinations {
			fmt.Fprintf(&b, "    %-40s %10s  up %10s  down %10s  %s\n", s.label(), units.Decimal(s.Bytes), units.Decimal(s.UploadBytes), units.Decimal(s.DownloadBytes), s.Where())
		}
	}
	fmt.Fprintf(&b, "\nTOTAL processed %.2f GB, NAT cost %s for the period, %s a month (projected)\n", r.Total.ProcessedGB, usd(r.Total.NATCost), usd(r.Total.MonthlyNATCost))
	b.WriteString("\nRECOMMENDATIONS (monthly, projected)\n")
	switch {
	case len(r.Recommendations) > 0:
		for _, rec := range r.Recommendations {
			fmt.Fprintf(&b, "  %-18s %-20s save $%.2f a month — %s\n", rec.Kind, rec.Service, rec.MonthlySavingUSD, rec.Why)
		}
	case r.Total.MonthlySavingsUSD == nil && len(r.NATGateways) > 0:
		b.WriteString("  unknown: without prices nothing can be compared\n")
	default:
		b.WriteString("  none\n")
	}
	if t := r.ByTag; t != nil {
		fmt.Fprintf(&b, "\nBY TAG %s (the records' interfaces; NAT: the workloads behind the gateways)\n", t.Key)
		fmt.Fprintf(&b, "  %-30s %12s %12s %12s %12s %10s\n", "value", "bytes", "flows", "rejected", "NAT GB", "NAT cost")
		for _, v := range t.Values {
			fmt.Fprintf(&b, "  %-30s %12s %12d %12d %12.3f %10s\n", v.Value, units.Decimal(v.Bytes), v.Flows, v.RejectedFlows, v.NATGB, usd(v.NATCost))
		}
		for _, n := range t.Notes {
			fmt.Fprintf(&b, "  %s\n", n)
		}
	}
	if len(r.Endpoints) > 0 {
		b.WriteString("\nEXISTING VPC ENDPOINTS (from the inventory; never recommended again)\n")
		for _, e := range r.Endpoints {
			name := e.ID
			if e.Name != "" {
				name += " (" + e.Name + ")"
			}
			traffic := "not measured"
			if e.Measured {
				traffic = fmt.Sprintf("%s in %d flows", units.Decimal(e.Bytes), e.Flows)
			}
			fmt.Fprintf(&b, "  %-40s %-8s %-36s %-22s %s\n", name, e.Type, e.Service, e.VPCID, traffic)
			fmt.Fprintf(&b, "      %s", e.How)
			if e.Note != "" {
				fmt.Fprintf(&b, "; %s", e.Note)
			}
			b.WriteByte('\n')
		}
	}
	b.WriteString("\nASSUMPTIONS\n")
	fmt.Fprintf(&b, "  prices: %s (%s); AWS IP ranges of %s\n", a.PriceTableDate, a.PriceSource, a.IPRangesDate)
	for _, n := range a.Notes {
		fmt.Fprintf(&b, "  %s\n", n)
	}
	if r.Transfer != nil {
		b.WriteByte('\n')
		r.Transfer.writeText(&b)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteTable writes the transfer section alone, as the report's text does.
func (d *TransferDoc) WriteTable(w io.Writer) error {
	var b strings.Builder
	d.writeText(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

func (d *TransferDoc) writeText(b *strings.Builder) {
	fmt.Fprintf(b, "TRANSFER — the data-transfer bill, %s, %.0f hours (estimates; a line that cannot be computed says why)\n", d.Region, d.Hours)
	for _, l := range d.Lines {
		q := "—"
		if l.Quantity != nil {
			q = fmt.Sprintf("%.3f %s", *l.Quantity, l.Unit)
		}
		fmt.Fprintf(b, "  %-16s %-36s %18s  %10s\n", l.Kind, l.UsageType, q, usd(l.Cost))
		if !l.Computed {
			fmt.Fprintf(b, "      NOT COMPUTED: %s\n", l.Missing)
		}
		for _, p := range l.Parts {
			fmt.Fprintf(b, "      %-50s %14.3f  %10s\n", p.Name, p.Quantity, usd(p.Cost))
		}
		if l.Assumption != "" {
			fmt.Fprintf(b, "      assumption: %s\n", l.Assumption)
		}
		if x := l.Billed; x != nil {
			fmt.Fprintf(b, "      BILLED %.3f %s  %s  (%d row(s))", x.Quantity, l.Unit, amountUSD(x.Cost), x.Rows)
			if x.DifferenceCost != nil {
				fmt.Fprintf(b, "; estimate − bill: %+.3f %s (%s), %s (%s)", *x.DifferenceQuantity, l.Unit, pctOr(x.DifferenceQuantityPercent),
					signedUSD(*x.DifferenceCost), pctOr(x.DifferencePercent))
			}
			b.WriteByte('\n')
			for _, u := range x.UsageTypes {
				fmt.Fprintf(b, "        %-50s %14.3f  %10s  %d row(s)\n", strings.TrimSpace(u.UsageType+" "+u.Product), u.Quantity, amountUSD(u.Cost), u.Rows)
			}
			if x.Note != "" {
				fmt.Fprintf(b, "        %s\n", x.Note)
			}
		}
	}
	complete := ""
	if !d.Complete {
		complete = " (the lines computed; some could not be)"
	}
	fmt.Fprintf(b, "  TOTAL %s%s\n", usd(d.Total), complete)
	for _, n := range d.Notes {
		fmt.Fprintf(b, "  %s\n", n)
	}
	if c := d.CUR; c != nil {
		fmt.Fprintf(b, "\nCOST AND USAGE REPORT %s (%s, %s): %d row(s), %d compared, over %s to %s\n", c.File, c.Schema, c.Format, c.Rows, c.Compared, orDash(c.From), orDash(c.To))
		if c.BilledCost != nil {
			fmt.Fprintf(b, "  the lines estimated and billed: estimate %s, bill %s, estimate − bill %s (%s)\n", usd(c.EstimateCost), usd(c.BilledCost), signedUSD(*c.DifferenceCost), pctOr(c.DifferencePercent))
		}
		for _, n := range c.Notes {
			fmt.Fprintf(b, "  %s\n", n)
		}
		if len(c.LeftOut) > 0 {
			b.WriteString("  rows not compared:\n")
			for i, x := range c.LeftOut {
				if i == 20 {
					fmt.Fprintf(b, "    … and %d more (all in the JSON and CSV forms)\n", len(c.LeftOut)-i)
					break
				}
				fmt.Fprintf(b, "    %-17s %-50s %5d row(s) %14.3f  %s\n", x.Reason, x.Key, x.Rows, x.Quantity, amountUSD(x.Cost))
			}
		}
	}
}

// pctOr writes a percentage, or "—" where there is none (a bill of 0).
func pctOr(x *float64) string {
	if x == nil {
		return "—"
	}
	return fmt.Sprintf("%+.2f%%", *x)
}

// amountUSD writes an amount: $0.42, -$1.00 (a credit).
func amountUSD(x float64) string {
	if x < 0 {
		return fmt.Sprintf("-$%.2f", -x)
	}
	return fmt.Sprintf("$%.2f", x)
}

// signedUSD writes an amount with its sign: +$0.10, -$0.98.
func signedUSD(x float64) string {
	if x < 0 {
		return fmt.Sprintf("-$%.2f", -x)
	}
	return fmt.Sprintf("+$%.2f", x)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// Title names a gateway for people: its NAT gateway id and Name tag when known, its interface
// otherwise, and whether it was guessed or is regional.
func (g *GatewayDoc) Title() string {
	t := g.InterfaceID
	if g.GatewayID != "" {
		t = g.GatewayID
		if g.Name != "" {
			t += " (" + g.Name + ")"
		}
		t += " interface " + g.InterfaceID
	}
	if g.Regional {
		t += ", regional"
	}
	if g.Guessed {
		t += " (guessed from the records)"
	}
	return t
}

// Where is a far end's class and service, each named once: "s3", "aws_other EC2", "internet".
func (e *EndDoc) Where() string {
	if e.Service == "" || strings.EqualFold(e.Service, e.Class) || strings.EqualFold(e.Service, "AMAZON") && e.Class == "aws_other" {
		return e.Class
	}
	return e.Class + " " + e.Service
}

// usd writes a cost, or "unknown" where it could not be computed.
func usd(x *float64) string {
	if x == nil {
		return "unknown"
	}
	return fmt.Sprintf("$%.2f", *x)
}

// label is the address, with its owner's name when known (--enrich).
func (e EndDoc) label() string {
	if e.Name == "" {
		return e.Address
	}
	return e.Address + " (" + e.Name + ")"
}
