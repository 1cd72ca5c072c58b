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
		{Name: prefix + "total", Rows: []TotalDoc{r.Total}},
		{Name: prefix + "assumptions", Rows: []AssumptionsDoc{r.Assumptions}},
		{Name: prefix + "notes", Rows: notes},
		{Name: prefix + "missing", Rows: missing},
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
	return []output.CSVTable{{Name: prefix + "transfer", Rows: d.Lines}, {Name: prefix + "transfer_parts", Rows: parts}}
}
