package nat

import "github.com/flowlens/flowlens/output"

// gatewayEnd is a workload or far end of one gateway, a row of the sources and destinations tables.
type gatewayEnd struct {
	InterfaceID string `json:"interface_id"`
	EndDoc
}

// gatewayMonth is a gateway's monthly projection, a row of its own table.
type gatewayMonth struct {
	InterfaceID string `json:"interface_id"`
	ProjectionDoc
}

// gatewayClass is a gateway's processed GB by destination class.
type gatewayClass struct {
	InterfaceID string  `json:"interface_id"`
	S3          float64 `json:"s3_gb"`
	DynamoDB    float64 `json:"dynamodb_gb"`
	AWSOther    float64 `json:"aws_other_gb"`
	Internet    float64 `json:"internet_gb"`
}

// Tables are the review as tables for spreadsheets (cost --format csv), their names prefixed:
// gateways, their monthly projections, classes, sources and destinations, recommendations, totals
// and what is missing.
func (r *Review) Tables(prefix string) []output.CSVTable {
	var months []gatewayMonth
	var classes []gatewayClass
	var srcs, dsts []gatewayEnd
	for _, g := range r.NATGateways {
		months = append(months, gatewayMonth{g.InterfaceID, g.MonthlyProjection})
		classes = append(classes, gatewayClass{g.InterfaceID, g.ByClass["s3"], g.ByClass["dynamodb"], g.ByClass["aws_other"], g.ByClass["internet"]})
		for _, e := range g.TopSources {
			srcs = append(srcs, gatewayEnd{g.InterfaceID, e})
		}
		for _, e := range g.TopDestinations {
			dsts = append(dsts, gatewayEnd{g.InterfaceID, e})
		}
	}
	type line struct {
		Text string `json:"text"`
	}
	var missing, notes []line
	for _, m := range r.Missing {
		missing = append(missing, line{m})
	}
	for _, n := range r.Assumptions.Notes {
		notes = append(notes, line{n})
	}
	tables := []output.CSVTable{
		{Name: prefix + "gateways", Rows: r.NATGateways},
		{Name: prefix + "monthly_projection", Rows: months},
		{Name: prefix + "by_class", Rows: classes},
		{Name: prefix + "top_sources", Rows: srcs},
		{Name: prefix + "top_destinations", Rows: dsts},
		{Name: prefix + "recommendations", Rows: r.Recommendations},
		{Name: prefix + "existing_endpoints", Rows: r.Endpoints},
		{Name: prefix + "total", Rows: []TotalDoc{r.Total}},
		{Name: prefix + "assumptions", Rows: []AssumptionsDoc{r.Assumptions}},
		{Name: prefix + "notes", Rows: notes},
		{Name: prefix + "missing", Rows: missing},
	}
	if r.ByTag != nil {
		tables = append(tables, output.CSVTable{Name: prefix + "by_tag", Rows: r.ByTag.Values})
	}
	if r.Transfer != nil {
		tables = append(tables, r.Transfer.Tables(prefix)...)
	}
	return tables
}

// transferPartRow is a part of a line.
type transferPartRow struct {
	Kind string `json:"kind"`
	TransferPart
}

// Tables are the transfer section as tables: its lines (their parts left out) and the parts.
func (d *TransferDoc) Tables(prefix string) []output.CSVTable {
	var parts []transferPartRow
	for _, l := range d.Lines {
		for _, p := range l.Parts {
			parts = append(parts, transferPartRow{l.Kind, p})
		}
	}
	tables := []output.CSVTable{{Name: prefix + "transfer", Rows: d.Lines}, {Name: prefix + "transfer_parts", Rows: parts}}
	if d.CUR != nil {
		tables = append(tables, d.billedTables(prefix)...)
	}
	return tables
}

// billedRow is a line's estimate beside its bill (--cur).
type billedRow struct {
	Kind             string   `json:"kind"`
	UsageType        string   `json:"usage_type"`
	Unit             string   `json:"unit"`
	EstimateQuantity *float64 `json:"estimate_quantity"`
	EstimateCost     *float64 `json:"estimate_cost"`
	BilledQuantity   float64  `json:"billed_quantity"`
	BilledCost       float64  `json:"billed_cost"`
	BilledRows       int      `json:"billed_rows"`
	DiffQuantity     *float64 `json:"difference_quantity"`
	DiffQuantityPct  *float64 `json:"difference_quantity_percent"`
	DiffCost         *float64 `json:"difference_cost"`
	DiffCostPct      *float64 `json:"difference_cost_percent"`
	Note             string   `json:"note"`
}

// billedUsageRow is one usage type of a line's bill.
type billedUsageRow struct {
	Kind string `json:"kind"`
	BilledUsage
}

// billedTables are the reconciliation with the CUR: the lines beside their bills, the usage types
// billed, the rows left out, and the extract's summary.
func (d *TransferDoc) billedTables(prefix string) []output.CSVTable {
	var rows []billedRow
	var usage []billedUsageRow
	for _, l := range d.Lines {
		if l.Billed == nil {
			continue
		}
		x := l.Billed
		rows = append(rows, billedRow{l.Kind, l.UsageType, l.Unit, l.Quantity, l.Cost, x.Quantity, x.Cost, x.Rows,
			x.DifferenceQuantity, x.DifferenceQuantityPercent, x.DifferenceCost, x.DifferencePercent, x.Note})
		for _, u := range x.UsageTypes {
			usage = append(usage, billedUsageRow{l.Kind, u})
		}
	}
	type note struct {
		Text string `json:"text"`
	}
	var notes []note
	for _, n := range d.CUR.Notes {
		notes = append(notes, note{n})
	}
	return []output.CSVTable{
		{Name: prefix + "transfer_billed", Rows: rows},
		{Name: prefix + "transfer_billed_usage_types", Rows: usage},
		{Name: prefix + "transfer_cur", Rows: []CURDoc{*d.CUR}},
		{Name: prefix + "transfer_cur_left_out", Rows: d.CUR.LeftOut},
		{Name: prefix + "transfer_cur_notes", Rows: notes},
	}
}
