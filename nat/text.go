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

// WriteTable writes the review as text.
func (r *Review) WriteTable(w io.Writer) error {
	var b strings.Builder
	a := r.Assumptions
	fmt.Fprintf(&b, "flowlens cost review — %s, prices of %s, %.0f hours covered (GB = 10^9 bytes)\n", a.Region, a.PriceTableDate, a.HoursCovered)
	if len(r.NATGateways) == 0 {
		b.WriteString("\nno NAT gateway traffic found\n")
	}
	for _, g := range r.NATGateways {
		guessed := ""
		if g.Guessed {
			guessed = " (guessed from the records)"
		}
		fmt.Fprintf(&b, "\nNAT GATEWAY %s%s  %s  %s\n", g.InterfaceID, guessed, strings.Join(g.Addresses, ","), g.AZ)
		fmt.Fprintf(&b, "  processed %.3f GB (in from sources %s, in from destinations %s)\n", g.ProcessedGB, units.Decimal(g.BytesInFromSource), units.Decimal(g.BytesInFromDestination))
		fmt.Fprintf(&b, "  cost for the period $%.2f (hours $%.2f + processing $%.2f); %s: $%.2f\n", g.NATCost, g.NATHourlyCost, g.NATProcessingCost, g.MonthlyProjection.Label, g.MonthlyProjection.NATCost)
		fmt.Fprintf(&b, "  by class: S3 %.3f GB, DynamoDB %.3f GB, other AWS %.3f GB, internet %.3f GB; cross-AZ %.3f GB ($%.2f inter-AZ)\n",
			g.ByClass["s3"], g.ByClass["dynamodb"], g.ByClass["aws_other"], g.ByClass["internet"], g.CrossAZGB, g.CrossAZCost)
		b.WriteString("  top sources:\n")
		for _, s := range g.TopSources {
			fmt.Fprintf(&b, "    %-40s %10s  up %10s  down %10s  %s\n", s.Address, units.Decimal(s.Bytes), units.Decimal(s.UploadBytes), units.Decimal(s.DownloadBytes), s.AZ)
		}
		b.WriteString("  top destinations:\n")
		for _, s := range g.TopDestinations {
			fmt.Fprintf(&b, "    %-40s %10s  up %10s  down %10s  %s %s\n", s.Address, units.Decimal(s.Bytes), units.Decimal(s.UploadBytes), units.Decimal(s.DownloadBytes), s.Class, s.Service)
		}
	}
	fmt.Fprintf(&b, "\nTOTAL processed %.3f GB, NAT cost $%.2f for the period, $%.2f a month (projected)\n", r.Total.ProcessedGB, r.Total.NATCost, r.Total.MonthlyNATCost)
	b.WriteString("\nRECOMMENDATIONS (monthly, projected)\n")
	if len(r.Recommendations) == 0 {
		b.WriteString("  none\n")
	}
	for _, rec := range r.Recommendations {
		fmt.Fprintf(&b, "  %-18s %-20s save $%.2f a month — %s\n", rec.Kind, rec.Service, rec.MonthlySavingUSD, rec.Why)
	}
	b.WriteString("\nASSUMPTIONS\n")
	fmt.Fprintf(&b, "  prices: %s (%s); AWS IP ranges of %s\n", a.PriceTableDate, a.PriceSource, a.IPRangesDate)
	for _, n := range a.Notes {
		fmt.Fprintf(&b, "  %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
