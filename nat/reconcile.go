package nat

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/flowlens/flowlens/cost"
)

// BilledDoc is what a CUR extract billed for one line of the transfer section in the logs'
// period, beside the line's estimate: the usage amount and unblended cost of the line items of the
// line's usage types, and the estimate's difference from them.
type BilledDoc struct {
	Quantity   float64       `json:"quantity"`
	Cost       float64       `json:"cost"` // rounded to the cent
	Rows       int           `json:"rows"`
	UsageTypes []BilledUsage `json:"usage_types"`
	// The differences are the estimate minus the bill, and their percentages of the bill; null
	// when the line was not computed (or the bill is 0, for a percentage).
	DifferenceQuantity        *float64 `json:"difference_quantity"`
	DifferenceQuantityPercent *float64 `json:"difference_quantity_percent"`
	DifferenceCost            *float64 `json:"difference_cost"`
	DifferencePercent         *float64 `json:"difference_cost_percent"`
	Note                      string   `json:"note,omitempty"`
}

// BilledUsage is one usage type (and product) of a line's bill.
type BilledUsage struct {
	UsageType string  `json:"usage_type"`
	Product   string  `json:"product,omitempty"`
	Quantity  float64 `json:"quantity"`
	Cost      float64 `json:"cost"`
	Rows      int     `json:"rows"`
}

// CURDoc is what the extract held: its rows, those compared, and those left out, counted by
// reason, never dropped silently.
type CURDoc struct {
	File     string `json:"file"`
	Format   string `json:"format"`
	Schema   string `json:"schema"`
	From     string `json:"from"` // the logs' period the rows are compared over
	To       string `json:"to"`
	Rows     int    `json:"rows"`
	Compared int    `json:"rows_compared"`
	// LeftOut gathers the rows not compared, by reason and usage type (or line item type).
	LeftOut []CURLeftOut `json:"left_out"`
	// Over the lines that have both an estimate and a bill: their sums and the difference.
	EstimateCost      *float64 `json:"estimate_cost"`
	BilledCost        *float64 `json:"billed_cost"`
	DifferenceCost    *float64 `json:"difference_cost"`
	DifferencePercent *float64 `json:"difference_cost_percent"`
	Notes             []string `json:"notes"`
}

// CURLeftOut counts the rows left out for one reason and key.
type CURLeftOut struct {
	Reason   string  `json:"reason"`
	Key      string  `json:"key"`
	Rows     int     `json:"rows"`
	Quantity float64 `json:"quantity"`
	Cost     float64 `json:"cost"`
}

// The reasons a CUR row is not compared.
const (
	CURNotUsage       = "not_usage"        // a line item type other than usage (Tax, Credit, discounts, fees)
	CUROtherUsageType = "other_usage_type" // no line of the transfer section estimates it
	CUROtherRegion    = "other_region"     // of another region than the review's
	CUROutsidePeriod  = "outside_period"   // its usage period is outside the logs'
	CURStraddles      = "straddles_period" // its usage period is partly outside the logs' (a daily or monthly row)
	CURNoDates        = "no_dates"         // no usage start or end
)

var curReasonText = map[string]string{
	CURNotUsage:       "of a line item type other than usage (tax, credits, discounts, fees: the estimate is of on-demand usage)",
	CUROtherUsageType: "of usage types no line estimates",
	CUROtherRegion:    "of other regions",
	CUROutsidePeriod:  "outside the logs' period",
	CURStraddles:      "partly outside the logs' period (daily or monthly rows: compare whole days or months of logs)",
	CURNoDates:        "without a usage start or end",
}

// usageLineItem are the line item types compared: usage, at whatever rate it was billed.
var usageLineItem = map[string]bool{"": true, "usage": true, "discountedusage": true, "savingsplancoveredusage": true}

var regionCodeRE = regexp.MustCompile(`^[A-Z]{2,4}[0-9]{0,2}$`)

var codeRegions = func() map[string]string {
	m := map[string]string{}
	for r, c := range regionCodes {
		m[c] = r
	}
	return m
}()

// isRegionCode reports whether s is a usage type's region prefix: a known one (USE1, EU, APN1), or
// one of their form.
func isRegionCode(s string) bool {
	if _, ok := codeRegions[s]; ok {
		return true
	}
	return s != "AWS" && regionCodeRE.MatchString(s)
}

// curLine reads a usage type: the line of the transfer section that estimates it ("" for none), and
// the region prefix it has ("" when unprefixed, as us-east-1's often are).
func curLine(usageType string) (kind, code string) {
	rest := usageType
	if a, b, ok := strings.Cut(usageType, "-"); ok && isRegionCode(a) {
		code, rest = a, b
	}
	if code != "" {
		if to, tail, ok := strings.Cut(rest, "-"); ok && isRegionCode(to) {
			if tail == "AWS-Out-Bytes" {
				return LineInterRegion, code
			}
			return "", code // AWS-In-Bytes: the receiving side, not billed
		}
	}
	switch rest {
	case "NatGateway-Hours", "RegionalNatGateway-Hours":
		return LineNATHours, code
	case "NatGateway-Bytes":
		return LineNATBytes, code
	case "DataTransfer-Regional-Bytes", "DataTransfer-xAZ-In-Bytes", "DataTransfer-xAZ-Out-Bytes":
		return LineInterAZ, code
	case "DataTransfer-Out-Bytes":
		return LineInternet, code
	case "TransitGateway-Bytes":
		return LineTransitGW, code
	case "PublicIPv4:InUseAddress":
		return LineNATPublicIPv4, code
	}
	return "", code
}

// Bounds are the hours the span covers, as Hours counts them: [lo, hi) in Unix seconds; 0, 0
// when unknown.
func (s Span) Bounds() (lo, hi int64) {
	lo, hi = s.From, s.To
	if lo == 0 && s.FirstStart > 0 {
		lo = s.FirstStart - s.FirstStart%3600
	}
	if hi == 0 && s.LastStart > 0 {
		hi = s.LastStart - s.LastStart%3600 + 3600
	}
	if lo == 0 || hi == 0 || hi <= lo {
		return 0, 0
	}
	return lo, hi
}

// reconcile sets the bill of c beside the lines of d, over the span's hours.
func (d *TransferDoc) reconcile(c *CUR, span Span) {
	doc := &CURDoc{File: c.Path, Format: c.Format, Schema: c.Schema, Rows: len(c.Rows), LeftOut: []CURLeftOut{}}
	d.CUR = doc
	lo, hi := span.Bounds()
	if lo == 0 {
		doc.Notes = append(doc.Notes, "the logs' period is unknown (no record with times, no --from/--to): no row could be compared")
	} else {
		doc.From, doc.To = time.Unix(lo, 0).UTC().Format(time.RFC3339), time.Unix(hi, 0).UTC().Format(time.RFC3339)
	}
	from, to := time.Unix(lo, 0), time.Unix(hi, 0)
	type key struct{ kind, usage, product string }
	billed := map[string]*BilledDoc{}
	usage := map[key]*BilledUsage{}
	left := map[[2]string]*CURLeftOut{}
	leave := func(reason, k string, r CURRow) {
		x := left[[2]string{reason, k}]
		if x == nil {
			x = &CURLeftOut{Reason: reason, Key: k}
			left[[2]string{reason, k}] = x
		}
		x.Rows++
		x.Quantity += r.Amount
		x.Cost += r.Cost
	}
	for _, r := range c.Rows {
		if !usageLineItem[strings.ToLower(r.LineItemType)] {
			leave(CURNotUsage, strings.TrimSpace(r.LineItemType+" "+r.UsageType), r)
			continue
		}
		kind, prefix := curLine(r.UsageType)
		if kind == "" {
			leave(CUROtherUsageType, r.UsageType, r)
			continue
		}
		region := r.Region
		if prefix != "" {
			region = codeRegions[prefix]
			if region == "" {
				region = prefix
			}
		} else if region == "" {
			region = cost.DefaultRegion // AWS leaves us-east-1's prefix out of many usage types
		}
		if region != d.Region {
			leave(CUROtherRegion, r.UsageType, r)
			continue
		}
		switch {
		case r.Start.IsZero() || r.End.IsZero():
			leave(CURNoDates, r.UsageType, r)
			continue
		case lo == 0 || !r.Start.Before(to) || !r.End.After(from):
			leave(CUROutsidePeriod, r.UsageType, r)
			continue
		case r.Start.Before(from) || r.End.After(to):
			leave(CURStraddles, r.UsageType, r)
			continue
		}
		doc.Compared++
		b := billed[kind]
		if b == nil {
			b = &BilledDoc{UsageTypes: []BilledUsage{}}
			billed[kind] = b
		}
		b.Quantity += r.Amount
		b.Cost += r.Cost
		b.Rows++
		k := key{kind, r.UsageType, r.Product}
		u := usage[k]
		if u == nil {
			u = &BilledUsage{UsageType: r.UsageType, Product: r.Product}
			usage[k] = u
		}
		u.Quantity += r.Amount
		u.Cost += r.Cost
		u.Rows++
	}
	for k, u := range usage {
		u.Quantity, u.Cost = round3(u.Quantity), cost.Cents(u.Cost)
		billed[k.kind].UsageTypes = append(billed[k.kind].UsageTypes, *u)
	}
	var est, bill float64
	both := false
	for i := range d.Lines {
		l := &d.Lines[i]
		b := billed[l.Kind]
		if b == nil {
			b = &BilledDoc{UsageTypes: []BilledUsage{}}
		}
		b.Quantity, b.Cost = round3(b.Quantity), cost.Cents(b.Cost)
		sort.Slice(b.UsageTypes, func(i, j int) bool {
			x, y := b.UsageTypes[i], b.UsageTypes[j]
			return x.UsageType < y.UsageType || x.UsageType == y.UsageType && x.Product < y.Product
		})
		switch {
		case !l.Computed || l.Quantity == nil || l.Cost == nil:
			b.Note = "the estimate was not computed (see missing): no difference"
		default:
			b.DifferenceQuantity = ptr(round3(*l.Quantity - b.Quantity))
			b.DifferenceCost = ptr(cost.Cents(*l.Cost - b.Cost))
			if b.Quantity != 0 {
				b.DifferenceQuantityPercent = ptr(round2(*b.DifferenceQuantity / b.Quantity * 100))
			}
			if b.Cost != 0 {
				b.DifferencePercent = ptr(round2(*b.DifferenceCost / b.Cost * 100))
			}
			if b.Rows == 0 {
				b.Note = "no line item of this usage type in the period"
			}
			est += *l.Cost
			bill += b.Cost
			both = true
		}
		switch l.Kind {
		case LineNATPublicIPv4:
			if b.Rows > 0 {
				b.Note = strings.TrimPrefix(b.Note+"; ", "; ") + "the bill's PublicIPv4:InUseAddress counts every public IPv4 address in use in the region, the estimate only the NAT gateways'"
			}
		case LineInternet, LineInterAZ, LineInterRegion:
			if b.Rows > 0 {
				b.Note = strings.TrimPrefix(b.Note+"; ", "; ") + "the bill counts every service's transfer of this usage type (its products are listed), the estimate only what the flow logs saw"
			}
		}
		l.Billed = b
	}
	if both {
		doc.EstimateCost, doc.BilledCost = ptr(cost.Cents(est)), ptr(cost.Cents(bill))
		doc.DifferenceCost = ptr(cost.Cents(est - bill))
		if bill != 0 {
			doc.DifferencePercent = ptr(round2(*doc.DifferenceCost / *doc.BilledCost * 100))
		}
	}
	for _, x := range left {
		x.Quantity, x.Cost = round3(x.Quantity), cost.Cents(x.Cost)
		doc.LeftOut = append(doc.LeftOut, *x)
	}
	order := map[string]int{CUROutsidePeriod: 0, CURStraddles: 1, CURNoDates: 2, CUROtherRegion: 3, CUROtherUsageType: 4, CURNotUsage: 5}
	sort.Slice(doc.LeftOut, func(i, j int) bool {
		x, y := doc.LeftOut[i], doc.LeftOut[j]
		if x.Reason != y.Reason {
			return order[x.Reason] < order[y.Reason]
		}
		if x.Rows != y.Rows {
			return x.Rows > y.Rows
		}
		return x.Key < y.Key
	})
	counts := map[string]int{}
	for _, x := range doc.LeftOut {
		counts[x.Reason] += x.Rows
	}
	for _, r := range []string{CUROutsidePeriod, CURStraddles, CURNoDates, CUROtherRegion, CUROtherUsageType, CURNotUsage} {
		if counts[r] > 0 {
			doc.Notes = append(doc.Notes, fmt.Sprintf("%d row(s) %s not compared", counts[r], curReasonText[r]))
		}
	}
	doc.Notes = append(doc.Notes,
		"rows compared: usage line items (Usage, DiscountedUsage, SavingsPlanCoveredUsage) of the usage types the lines estimate, of "+d.Region+" (usage types without a region prefix are taken for us-east-1's unless product_region_code says otherwise), whose usage period lies inside the logs'",
		"differences are the estimate minus the bill; percentages are of the bill; costs are the unblended cost, rounded to the cent",
		"inter_az: the bill's DataTransfer-Regional-Bytes has a line item for each direction, as the estimate counts each GB twice; inter_region: only the sending side's AWS-Out-Bytes are billed")
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }
