package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/flowlens/flowlens/nat"
	"github.com/flowlens/flowlens/output"
)

// The HTML page of a report or a cost review: one self-contained file (inline CSS, SVG charts drawn
// in Go, no script but the data island), readable offline and printable. The document's JSON, as
// --format json writes it byte for byte, is embedded as a data island (<script type="application/json"
// id="report-data">), so that the page and the JSON cannot disagree.

//go:embed assets/page.tmpl
var pageTemplate string

//go:embed assets/style.css
var pageCSS string

var pageTmpl = template.Must(template.New("page").Parse(pageTemplate))

// DataIslandID is the id of the page's <script type="application/json"> element holding the JSON.
const DataIslandID = "report-data"

type page struct {
	Generator string
	Title     string
	Meta      []string
	Cards     []card
	Sections  []pageSection
	Footer    string
	CSS       template.CSS
	DataID    string
	Data      template.JS // the JSON document, as written by WriteJSON (HTML-safe: <, > and & are escaped)
}

type card struct{ Label, Value, Sub, Class string }

type pageSection struct {
	ID, Title string
	Notes     []string
	Panels    []panel
}

type panel struct {
	Title  string
	Chart  template.HTML
	Legend []legendItem
	Table  *htable
	Wide   bool // the chart over the whole width, the table under it
}

type legendItem struct{ Class, Text string }

type htable struct {
	Head []hcell
	Rows [][]hcell
}

type hcell struct {
	Text, Class, Title string
	Num                bool
}

func th(names ...string) []hcell {
	out := make([]hcell, len(names))
	for i, n := range names {
		// A heading ending in "#" is a number column.
		out[i] = hcell{Text: strings.TrimSuffix(n, "#"), Num: strings.HasSuffix(n, "#")}
	}
	return out
}

func txt(s string) hcell      { return hcell{Text: s} }
func numCell(n int64) hcell   { return hcell{Text: num(n), Num: true} }
func numText(s string) hcell  { return hcell{Text: s, Num: true} }
func bytesCell(n int64) hcell { return hcell{Text: num(n), Num: true, Title: si(n)} }
func siCell(n int64) hcell    { return hcell{Text: si(n), Num: true, Title: num(n) + " bytes"} }
func wrapCell(s string) hcell { return hcell{Text: s, Class: "wrap"} }
func strOr(s *string, or string) string {
	if s == nil {
		return or
	}
	return *s
}

// writePage renders p with doc's JSON as its data island.
func writePage(w io.Writer, p *page, doc any) error {
	var js bytes.Buffer
	if err := output.WriteJSON(&js, doc); err != nil {
		return err
	}
	p.CSS = template.CSS(pageCSS)
	p.DataID = DataIslandID
	// WriteJSON escapes <, > and & (encoding/json's default), so the document cannot end the
	// script element; it is embedded as written, byte for byte.
	p.Data = template.JS(js.String())
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, p); err != nil {
		return fmt.Errorf("html page: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteHTML writes the report as one self-contained HTML page.
func (r *Report) WriteHTML(w io.Writer) error {
	p := &page{Generator: r.Generator, Title: "flowlens report", Footer: "flowlens report · schema_version " + fmt.Sprint(r.SchemaVersion) +
		" · the report's JSON is embedded in this page (script#" + DataIslandID + ")"}
	p.Meta = append(p.Meta, "Times in "+r.TimeZone+".")
	if r.Range.From != nil || r.Range.To != nil {
		p.Meta = append(p.Meta, "Range: "+strOr(r.Range.From, "…")+" to "+strOr(r.Range.To, "…")+".")
	}
	if r.Input.FirstStart != nil {
		p.Meta = append(p.Meta, "Records from "+*r.Input.FirstStart+" to "+strOr(r.Input.LastEnd, "-")+".")
	}
	p.Cards = r.cards()
	p.Sections = append(p.Sections, r.timeSection(), r.talkersSection(), r.portsSectionHTML(), r.rejectsSectionHTML())
	if r.NAT != nil {
		p.Sections = append(p.Sections, natSectionHTML(r.NAT, "nat"))
	}
	if r.ByTag != nil {
		p.Sections = append(p.Sections, byTagSectionHTML(r.ByTag))
	}
	if r.Transfer != nil {
		p.Sections = append(p.Sections, transferSectionHTML(r.Transfer))
	}
	if r.Comparison != nil {
		p.Sections = append(p.Sections, r.comparisonSectionHTML())
	}
	if r.Spikes != nil {
		p.Sections = append(p.Sections, r.spikesSectionHTML())
	}
	p.Sections = append(p.Sections, r.inputSectionHTML())
	return writePage(w, p, r)
}

func (r *Report) cards() []card {
	t := r.Totals
	cs := []card{
		{Label: "Bytes", Value: si(t.Bytes), Sub: num(t.Bytes) + " bytes"},
		{Label: "Packets", Value: num(t.Packets)},
		{Label: "Flows", Value: num(t.Flows), Sub: num(t.AcceptedFlows) + " accepted"},
		{Label: "Rejected flows", Value: num(t.RejectedFlows), Sub: pct(t.RejectedFlows, t.Flows) + " of flows"},
	}
	if n := r.NAT; n != nil {
		cs = append(cs, card{Label: "NAT processed", Value: fmt.Sprintf("%.3f GB", n.Total.ProcessedGB), Sub: fmt.Sprintf("%d gateway interface(s)", len(n.NATGateways))},
			card{Label: "NAT cost", Value: usd(n.Total.NATCost), Sub: "month projected " + usd(n.Total.MonthlyNATCost)})
	} else {
		cs = append(cs, card{Label: "NAT", Value: "—", Sub: "no NAT gateway reviewed"})
	}
	if c := r.Comparison; c != nil && c.Status == CompareOK {
		for i := range cs {
			switch cs[i].Label {
			case "Bytes":
				cs[i].Sub = "vs previous: " + signed(c.Totals.Bytes.Change, si) + " (" + pctText(c.Totals.Bytes.ChangePercent) + ")"
			case "Flows":
				cs[i].Sub = "vs previous: " + changeText(c.Totals.Flows)
			case "Rejected flows":
				cs[i].Sub = "vs previous: " + changeText(c.Totals.RejectedFlows)
			case "NAT cost":
				if c.NAT != nil {
					cs[i].Sub = "vs previous: " + fText(c.NAT.NATCost.Change, "%+.2f USD")
				}
			}
		}
	}
	if s := r.Spikes; s != nil {
		cd := card{Label: "Spikes", Value: num(int64(s.Count)), Sub: fmt.Sprintf("%d of %d hours judged", s.JudgedHours, s.Hours)}
		if s.Count > 0 {
			cd.Class = "alert"
		}
		cs = append(cs, cd)
	}
	return cs
}

func pct(a, b int64) string {
	if b == 0 {
		return "0%"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
}

func usd(x *float64) string {
	if x == nil {
		return "unknown"
	}
	return fmt.Sprintf("$%.2f", *x)
}

// timeSection: bytes per hour (a line per local date), the day × hour-of-day heatmap, the
// busiest hours.
func (r *Report) timeSection() pageSection {
	s := pageSection{ID: "time", Title: "Traffic over time"}
	spikeAt := map[string]bool{}  // hours with a spike of the total
	spikeAny := map[string]bool{} // hours with a spike of any series
	if r.Spikes != nil {
		for _, sp := range r.Spikes.List {
			spikeAny[sp.Hour] = true
			if sp.Series == SeriesTotal {
				spikeAt[sp.Hour] = true
			}
		}
	}
	var days []string
	byDay := map[string]*lineSeries{}
	var cells [][24]heatCell
	for _, h := range r.Hourly {
		tm, err := time.Parse(time.RFC3339, h.Hour)
		if err != nil {
			continue
		}
		day := tm.Format("2006-01-02")
		ls := byDay[day]
		if ls == nil {
			ls = &lineSeries{Name: day}
			byDay[day] = ls
			days = append(days, day)
			cells = append(cells, [24]heatCell{})
		}
		title := h.Hour + " · " + si(h.Bytes) + " (" + num(h.Bytes) + " bytes, " + num(h.Flows) + " flows)"
		ls.Points = append(ls.Points, linePoint{X: float64(tm.Hour()), Y: float64(h.Bytes), Title: title, Spike: spikeAt[h.Hour]})
		c := &cells[len(cells)-1][tm.Hour()]
		c.Value += float64(h.Bytes)
		c.Title = title
		c.Spike = c.Spike || spikeAny[h.Hour]
	}
	var series []lineSeries
	var legend []legendItem
	for i, d := range days {
		series = append(series, *byDay[d])
		legend = append(legend, legendItem{Class: fmt.Sprintf("s%d", i%8), Text: d})
	}
	for d := range cells {
		for hr := range cells[d] {
			if cells[d][hr].Title == "" {
				cells[d][hr].Title = fmt.Sprintf("%s %02d:00 · no records", days[d], hr)
			}
		}
	}
	title := "Bytes per hour"
	if len(days) > 1 {
		title += " (a line per day)"
	}
	if len(spikeAt) > 0 {
		legend = append(legend, legendItem{Class: "spike-legend", Text: "ringed: a spike of all traffic"})
	}
	if len(spikeAny) > 0 {
		s.Notes = append(s.Notes, "Hours outlined in the heatmap hold a spike of the Spikes list (of all traffic, an interface or a NAT gateway); spikes of all traffic are ringed on the hourly chart.")
	}
	s.Panels = append(s.Panels, panel{Title: title, Chart: lineChart("chart-hourly", "bytes per hour", series, func(v float64) string { return si(int64(v)) }), Legend: legend, Wide: true},
		panel{Title: "Day × hour of the day", Chart: heatmap("chart-heatmap", "bytes by day and hour of the day", days, cells), Wide: true})
	t := &htable{Head: th("hour", "bytes#", "", "packets#", "flows#")}
	for _, h := range r.BusiestHours {
		t.Rows = append(t.Rows, []hcell{txt(h.Hour), bytesCell(h.Bytes), numText(si(h.Bytes)), numCell(h.Packets), numCell(h.Flows)})
	}
	var bars []barItem
	for _, h := range r.BusiestHours {
		bars = append(bars, barItem{Label: h.Hour, Value: float64(h.Bytes), Text: si(h.Bytes), Title: num(h.Bytes) + " bytes"})
	}
	s.Panels = append(s.Panels, panel{Title: "Busiest hours", Chart: barChart("chart-busiest-hours", "busiest hours", bars), Table: t})
	return s
}

// talkersSection: the top interfaces, sources, destinations and conversations, a bar chart each with
// its table beside it.
func (r *Report) talkersSection() pageSection {
	s := pageSection{ID: "talkers", Title: "Top talkers"}
	{
		t := &htable{Head: th("interface", "bytes#", "", "packets#", "flows#", "rejected#", "peak hour")}
		var bars []barItem
		for _, d := range r.Interfaces {
			id := strOr(d.InterfaceID, "-")
			bars = append(bars, barItem{Label: id, Value: float64(d.Bytes), Text: si(d.Bytes), Title: id + ": " + num(d.Bytes) + " bytes"})
			t.Rows = append(t.Rows, []hcell{txt(id), bytesCell(d.Bytes), numText(si(d.Bytes)), numCell(d.Packets), numCell(d.Flows), numCell(d.RejectedFlows), txt(strOr(d.PeakHour, "-"))})
		}
		s.Panels = append(s.Panels, panel{Title: "Interfaces by bytes", Chart: barChart("chart-interfaces", "top interfaces", bars), Table: t})
	}
	addr := func(id, title, col string, n int, key func(i int) string, b, p, f func(i int) int64) panel {
		t := &htable{Head: th(col, "bytes#", "", "packets#", "flows#")}
		var bars []barItem
		for i := 0; i < n; i++ {
			k := key(i)
			bars = append(bars, barItem{Label: k, Value: float64(b(i)), Text: si(b(i)), Title: k + ": " + num(b(i)) + " bytes"})
			t.Rows = append(t.Rows, []hcell{txt(k), bytesCell(b(i)), numText(si(b(i))), numCell(p(i)), numCell(f(i))})
		}
		return panel{Title: title, Chart: barChart(id, title, bars), Table: t}
	}
	src, dst, conv := r.Sources, r.Destinations, r.Conversations
	s.Panels = append(s.Panels,
		addr("chart-sources", "Sources by bytes sent", "srcaddr", len(src), func(i int) string { return strOr(src[i].SrcAddr, "-") },
			func(i int) int64 { return src[i].Bytes }, func(i int) int64 { return src[i].Packets }, func(i int) int64 { return src[i].Flows }),
		addr("chart-destinations", "Destinations by bytes received", "dstaddr", len(dst), func(i int) string { return strOr(dst[i].DstAddr, "-") },
			func(i int) int64 { return dst[i].Bytes }, func(i int) int64 { return dst[i].Packets }, func(i int) int64 { return dst[i].Flows }),
		addr("chart-conversations", "Conversations by bytes", "srcaddr → dstaddr", len(conv), func(i int) string { return strOr(conv[i].SrcAddr, "-") + " → " + strOr(conv[i].DstAddr, "-") },
			func(i int) int64 { return conv[i].Bytes }, func(i int) int64 { return conv[i].Packets }, func(i int) int64 { return conv[i].Flows }))
	return s
}

func portText(p PortDoc) string { return intOrDash(p.DstPort) + "/" + protoText(p.Protocol) }

func (r *Report) portsSectionHTML() pageSection {
	s := pageSection{ID: "ports", Title: "Ports and protocols"}
	t := &htable{Head: th("dstport/protocol", "bytes#", "", "packets#", "flows#")}
	var bars []barItem
	for _, d := range r.Ports {
		k := portText(d)
		bars = append(bars, barItem{Label: k, Value: float64(d.Bytes), Text: si(d.Bytes), Title: k + ": " + num(d.Bytes) + " bytes"})
		t.Rows = append(t.Rows, []hcell{txt(k), bytesCell(d.Bytes), numText(si(d.Bytes)), numCell(d.Packets), numCell(d.Flows)})
	}
	s.Panels = append(s.Panels, panel{Title: "Destination ports by bytes", Chart: barChart("chart-ports", "top destination ports", bars), Table: t})
	pt := &htable{Head: th("protocol", "bytes#", "", "packets#", "flows#")}
	var pbars []barItem
	for _, d := range r.Protocols {
		k := protoText(d.Protocol)
		pbars = append(pbars, barItem{Label: k, Value: float64(d.Bytes), Text: si(d.Bytes), Title: k + ": " + num(d.Bytes) + " bytes"})
		pt.Rows = append(pt.Rows, []hcell{txt(k), bytesCell(d.Bytes), numText(si(d.Bytes)), numCell(d.Packets), numCell(d.Flows)})
	}
	s.Panels = append(s.Panels, panel{Title: "Protocols by bytes", Chart: barChart("chart-protocols", "protocols", pbars), Table: pt})
	return s
}

func (r *Report) rejectsSectionHTML() pageSection {
	rj := r.Rejects
	s := pageSection{ID: "rejects", Title: "Rejects", Notes: []string{fmt.Sprintf("%s rejected flows, %s packets, %s.", num(rj.Flows), num(rj.Packets), si(rj.Bytes))}}
	{
		t := &htable{Head: th("srcaddr", "flows#", "packets#", "bytes#")}
		var bars []barItem
		for _, d := range rj.TopSources {
			k := strOr(d.SrcAddr, "-")
			bars = append(bars, barItem{Label: k, Value: float64(d.Bytes), Text: si(d.Bytes), Title: k + ": " + num(d.Bytes) + " bytes, " + num(d.Flows) + " flows"})
			t.Rows = append(t.Rows, []hcell{txt(k), numCell(d.Flows), numCell(d.Packets), bytesCell(d.Bytes)})
		}
		s.Panels = append(s.Panels, panel{Title: "Rejected sources by bytes", Chart: barChart("chart-reject-sources", "rejected sources", bars), Table: t})
	}
	{
		t := &htable{Head: th("dstport/protocol", "flows#", "packets#", "bytes#")}
		var bars []barItem
		for _, d := range rj.TopDstPorts {
			k := portText(d)
			bars = append(bars, barItem{Label: k, Value: float64(d.Bytes), Text: si(d.Bytes), Title: k + ": " + num(d.Bytes) + " bytes, " + num(d.Flows) + " flows"})
			t.Rows = append(t.Rows, []hcell{txt(k), numCell(d.Flows), numCell(d.Packets), bytesCell(d.Bytes)})
		}
		s.Panels = append(s.Panels, panel{Title: "Rejected destination ports by bytes", Chart: barChart("chart-reject-ports", "rejected destination ports", bars), Table: t})
	}
	{
		t := &htable{Head: th("reject-reason", "flows#", "packets#", "bytes#")}
		var bars []barItem
		for _, d := range rj.Reasons {
			k := strOr(d.RejectReason, "-")
			bars = append(bars, barItem{Label: k, Value: float64(d.Flows), Text: num(d.Flows) + " flows", Title: k + ": " + num(d.Flows) + " flows"})
			t.Rows = append(t.Rows, []hcell{txt(k), numCell(d.Flows), numCell(d.Packets), bytesCell(d.Bytes)})
		}
		s.Panels = append(s.Panels, panel{Title: "Reject reasons by flows", Chart: barChart("chart-reject-reasons", "reject reasons", bars), Table: t})
	}
	{
		t := &htable{Head: th("interface", "flows#", "rejected#", "ratio#")}
		for _, d := range rj.InterfacesByRejectRatio {
			t.Rows = append(t.Rows, []hcell{txt(strOr(d.InterfaceID, "-")), numCell(d.Flows), numCell(d.RejectedFlows), numText(fmt.Sprintf("%.1f%%", 100*d.RejectRatio))})
		}
		s.Panels = append(s.Panels, panel{Title: "Interfaces by reject ratio", Table: t})
	}
	return s
}

var natClasses = []struct{ key, name string }{{"s3", "S3"}, {"dynamodb", "DynamoDB"}, {"aws_other", "other AWS"}, {"internet", "internet"}}

// natSectionHTML is the NAT gateway review: GB by destination class per gateway, costs,
// recommendations, and what it rests on.
func natSectionHTML(n *nat.Review, id string) pageSection {
	s := pageSection{ID: id, Title: "NAT gateways"}
	s.Notes = append(s.Notes, n.Missing...)
	if n.Status != nat.StatusOK {
		s.Notes = append(s.Notes, "status: "+n.Status)
	}
	var items []stackItem
	var legend []legendItem
	for _, c := range natClasses {
		legend = append(legend, legendItem{Class: "c-" + c.key, Text: c.name})
	}
	costs := &htable{Head: th("gateway", "AZ", "hours#", "processed GB#", "S3 GB#", "DynamoDB GB#", "other AWS GB#", "internet GB#", "NAT cost#", "month projected#", "cross-AZ GB#", "cross-AZ cost#")}
	for _, g := range n.NATGateways {
		label := gatewayLabel(g)
		it := stackItem{Label: label, Text: fmt.Sprintf("%.3f GB", g.ProcessedGB)}
		for _, c := range natClasses {
			v := g.ByClass[c.key]
			it.Segs = append(it.Segs, stackSeg{Class: "c-" + c.key, Value: v, Title: fmt.Sprintf("%s · %s: %.6f GB", label, c.name, v)})
		}
		items = append(items, it)
		az := g.AZ
		if az == "" {
			az = "-"
		}
		costs.Rows = append(costs.Rows, []hcell{txt(label), txt(az), numText(fmt.Sprintf("%.0f", g.Hours)), numText(fmt.Sprintf("%.6f", g.ProcessedGB)),
			numText(fmt.Sprintf("%.6f", g.ByClass["s3"])), numText(fmt.Sprintf("%.6f", g.ByClass["dynamodb"])), numText(fmt.Sprintf("%.6f", g.ByClass["aws_other"])),
			numText(fmt.Sprintf("%.6f", g.ByClass["internet"])), numText(usd(g.NATCost)), numText(usd(g.MonthlyProjection.NATCost)),
			numText(fmt.Sprintf("%.6f", g.CrossAZGB)), numText(usd(g.CrossAZCost))})
	}
	costs.Rows = append(costs.Rows, []hcell{{Text: "total", Class: "total"}, txt(""), txt(""), numText(fmt.Sprintf("%.6f", n.Total.ProcessedGB)),
		numText(fmt.Sprintf("%.6f", n.Total.ByClass["s3"])), numText(fmt.Sprintf("%.6f", n.Total.ByClass["dynamodb"])), numText(fmt.Sprintf("%.6f", n.Total.ByClass["aws_other"])),
		numText(fmt.Sprintf("%.6f", n.Total.ByClass["internet"])), numText(usd(n.Total.NATCost)), numText(usd(n.Total.MonthlyNATCost)), txt(""), txt("")})
	s.Panels = append(s.Panels, panel{Title: "Processed GB by destination class", Chart: stackedChart("chart-nat-classes", "NAT processed GB by destination class", items), Legend: legend, Wide: true},
		panel{Title: "Costs", Table: costs, Wide: true})
	rec := &htable{Head: th("change", "service", "month GB#", "month cost#", "month saving#", "why")}
	for _, x := range n.Recommendations {
		what := x.Kind
		if x.InterfaceID != "" {
			what += " (" + x.InterfaceID + ")"
		}
		rec.Rows = append(rec.Rows, []hcell{txt(what), txt(x.Service), numText(fmt.Sprintf("%.3f", x.MonthlyGB)), numText(fmt.Sprintf("$%.2f", x.MonthlyCostUSD)),
			numText(fmt.Sprintf("$%.2f", x.MonthlySavingUSD)), wrapCell(x.Why)})
	}
	s.Panels = append(s.Panels, panel{Title: "Recommendations (monthly savings " + usd(n.Total.MonthlySavingsUSD) + ")", Table: rec, Wide: true})
	if len(n.Endpoints) > 0 {
		ep := &htable{Head: th("endpoint", "type", "service", "VPC", "bytes#", "flows#", "how")}
		for _, e := range n.Endpoints {
			name := e.ID
			if e.Name != "" {
				name = e.Name + " · " + e.ID
			}
			bytes, flows := txt("not measured"), txt("")
			if e.Measured {
				bytes, flows = siCell(e.Bytes), numCell(e.Flows)
			}
			how := e.How
			if e.Note != "" {
				how += "; " + e.Note
			}
			ep.Rows = append(ep.Rows, []hcell{txt(name), txt(e.Type), txt(e.Service), txt(e.VPCID), bytes, flows, wrapCell(how)})
		}
		s.Panels = append(s.Panels, panel{Title: "Existing VPC endpoints (never recommended again)", Table: ep, Wide: true})
	}
	for _, g := range n.NATGateways {
		t := &htable{Head: th("far end", "class", "bytes#", "upload#", "download#")}
		for _, e := range g.TopDestinations {
			t.Rows = append(t.Rows, []hcell{txt(e.Address), txt(e.Class), bytesCell(e.Bytes), numCell(e.UploadBytes), numCell(e.DownloadBytes)})
		}
		w := &htable{Head: th("workload", "AZ", "bytes#", "upload#", "download#")}
		for _, e := range g.TopSources {
			az := e.AZ
			if az == "" {
				az = "-"
			}
			w.Rows = append(w.Rows, []hcell{txt(e.Address), txt(az), bytesCell(e.Bytes), numCell(e.UploadBytes), numCell(e.DownloadBytes)})
		}
		s.Panels = append(s.Panels, panel{Title: gatewayLabel(g) + ": far ends", Table: t}, panel{Title: gatewayLabel(g) + ": workloads", Table: w})
	}
	a := n.Assumptions
	at := &htable{Head: th("assumption", "value")}
	at.Rows = append(at.Rows, []hcell{txt("price table"), wrapCell(a.PriceTableDate + " (" + a.PriceSource + ")")}, []hcell{txt("region"), txt(a.Region)},
		[]hcell{txt("GB"), txt(a.GB)}, []hcell{txt("AWS IP ranges"), txt(a.IPRangesDate)}, []hcell{txt("hours covered"), txt(fmt.Sprintf("%.0f (month: %.0f)", a.HoursCovered, a.MonthHours))})
	for _, note := range a.Notes {
		at.Rows = append(at.Rows, []hcell{txt("note"), wrapCell(note)})
	}
	s.Panels = append(s.Panels, panel{Title: "Assumptions", Table: at, Wide: true})
	return s
}

// gatewayLabel names a NAT gateway as the people who run it do: its Name tag and id when given.
func gatewayLabel(g nat.GatewayDoc) string {
	l := g.InterfaceID
	if g.GatewayID != "" {
		l = g.GatewayID + " (" + g.InterfaceID + ")"
	}
	if g.Name != "" {
		l = g.Name + " · " + l
	}
	if g.Guessed {
		l += " (guessed)"
	}
	return l
}

func (r *Report) inputSectionHTML() pageSection {
	in := r.Input
	s := pageSection{ID: "input", Title: "Input accounting"}
	t := &htable{Head: th("what", "count#")}
	for _, row := range []struct {
		k string
		v int64
	}{{"objects", in.Objects}, {"objects failed", in.ObjectsFailed}, {"objects skipped by their key", int64(in.ObjectsSkipped)},
		{"Parquet rows skipped unread", in.RowsSkipped}, {"bytes read", in.BytesRead}, {"bytes of text", in.BytesText},
		{"lines", in.Lines}, {"records", in.Records}, {"NODATA", in.NoData}, {"SKIPDATA", in.SkipData}, {"headers", in.Headers},
		{"blank", in.Blank}, {"malformed", in.Malformed}, {"records in range", in.RecordsInRange}, {"records out of range", in.RecordsOutOfRange}} {
		t.Rows = append(t.Rows, []hcell{txt(row.k), numCell(row.v)})
	}
	s.Panels = append(s.Panels, panel{Title: "What was read", Table: t})
	f := &htable{Head: th("object", "error")}
	for _, o := range in.FailedObjects {
		f.Rows = append(f.Rows, []hcell{wrapCell(o.Object), wrapCell(o.Error)})
	}
	s.Panels = append(s.Panels, panel{Title: "Objects that could not be read fully", Table: f})
	if len(in.MalformedLines) > 0 {
		m := &htable{Head: th("malformed line")}
		for _, l := range in.MalformedLines {
			m.Rows = append(m.Rows, []hcell{wrapCell(l.Error())})
		}
		s.Panels = append(s.Panels, panel{Title: "First malformed lines", Table: m, Wide: true})
	}
	n := &htable{Head: th("note")}
	for _, x := range r.Notes {
		n.Rows = append(n.Rows, []hcell{wrapCell(x)})
	}
	for _, x := range r.Unavailable {
		n.Rows = append(n.Rows, []hcell{wrapCell("unavailable: " + x)})
	}
	s.Panels = append(s.Panels, panel{Title: "How the numbers count", Table: n, Wide: true})
	return s
}

// WriteReviewHTML writes a cost review (flowlens cost --format html) as one self-contained HTML
// page, the review's JSON as its data island.
func WriteReviewHTML(w io.Writer, n *nat.Review) error {
	p := &page{Generator: "flowlens cost", Title: "flowlens cost: NAT gateway review",
		Footer: "flowlens cost · the review's JSON is embedded in this page (script#" + DataIslandID + ")"}
	p.Meta = append(p.Meta, fmt.Sprintf("Region %s · %.0f hours covered · prices of %s.", n.Assumptions.Region, n.Assumptions.HoursCovered, n.Assumptions.PriceTableDate))
	p.Cards = []card{
		{Label: "NAT processed", Value: fmt.Sprintf("%.3f GB", n.Total.ProcessedGB), Sub: fmt.Sprintf("%d gateway interface(s)", len(n.NATGateways))},
		{Label: "NAT cost", Value: usd(n.Total.NATCost), Sub: "for the period"},
		{Label: "Month projected", Value: usd(n.Total.MonthlyNATCost)},
		{Label: "Monthly savings", Value: usd(n.Total.MonthlySavingsUSD), Sub: fmt.Sprintf("%d recommendation(s)", len(n.Recommendations))},
	}
	p.Sections = []pageSection{natSectionHTML(n, "nat")}
	if t := n.ByTag; t != nil {
		p.Sections = append(p.Sections, byTagSectionHTML(t))
	}
	if n.Transfer != nil {
		p.Cards = append(p.Cards, card{Label: "Transfer bill", Value: usd(n.Transfer.Total), Sub: transferSub(n.Transfer)})
		p.Sections = append(p.Sections, transferSectionHTML(n.Transfer))
	}
	return writePage(w, p, n)
}

// byTagSectionHTML is the traffic and NAT cost per value of a tag (--by-tag).
func byTagSectionHTML(d *nat.ByTagDoc) pageSection {
	s := pageSection{ID: "by-tag", Title: "By tag " + d.Key}
	t := &htable{Head: th("value", "bytes#", "flows#", "rejected#", "NAT GB#", "NAT cost#")}
	for _, v := range d.Values {
		t.Rows = append(t.Rows, []hcell{txt(v.Value), siCell(v.Bytes), numCell(v.Flows), numCell(v.RejectedFlows), numText(fmt.Sprintf("%.3f", v.NATGB)), numText(usd(v.NATCost))})
	}
	s.Panels = append(s.Panels, panel{Title: "Traffic and NAT cost per value of " + d.Key, Table: t, Wide: true})
	s.Notes = append(s.Notes, d.Notes...)
	return s
}

func transferSub(d *nat.TransferDoc) string {
	if d.Complete {
		return "every line computed"
	}
	return "the lines computed; some could not be"
}

// transferSectionHTML is the transfer section: a table of its lines, with the parts under each,
// and what each line rests on or why it could not be computed.
func transferSectionHTML(d *nat.TransferDoc) pageSection {
	s := pageSection{ID: "transfer", Title: "The data-transfer bill"}
	head := []string{"line", "usage type", "quantity#", "cost#"}
	if d.CUR != nil {
		head = append(head, "billed#", "billed cost#", "estimate − bill#", "%#")
	}
	t := &htable{Head: th(head...)}
	blank := func(row []hcell) []hcell {
		for len(row) < len(head) {
			row = append(row, txt(""))
		}
		return row
	}
	for _, l := range d.Lines {
		q := "—"
		if l.Quantity != nil {
			q = fmt.Sprintf("%.3f %s", *l.Quantity, l.Unit)
		}
		row := []hcell{txt(l.Kind), txt(l.UsageType), numText(q), numText(usd(l.Cost))}
		if b := l.Billed; b != nil {
			diff := "—"
			if b.DifferenceCost != nil {
				diff = fmt.Sprintf("%+.3f %s, %+.2f USD", *b.DifferenceQuantity, l.Unit, *b.DifferenceCost)
			}
			row = append(row, numText(fmt.Sprintf("%.3f %s", b.Quantity, l.Unit)), numText(fmt.Sprintf("$%.2f", b.Cost)), numText(diff), numText(pctText(b.DifferencePercent)))
		}
		t.Rows = append(t.Rows, blank(row))
		for _, p := range l.Parts {
			t.Rows = append(t.Rows, blank([]hcell{txt(""), txt(p.Name), numText(fmt.Sprintf("%.3f", p.Quantity)), numText(usd(p.Cost))}))
		}
		if l.Computed {
			s.Notes = append(s.Notes, l.Kind+": "+l.Assumption)
		} else {
			s.Notes = append(s.Notes, l.Kind+": not computed: "+l.Missing)
		}
		if l.Billed != nil && l.Billed.Note != "" {
			s.Notes = append(s.Notes, l.Kind+" against the bill: "+l.Billed.Note)
		}
	}
	total := []hcell{txt("total"), txt(""), txt(""), numText(usd(d.Total))}
	if c := d.CUR; c != nil && c.BilledCost != nil {
		total = append(total, txt(""), numText(usd(c.BilledCost)), numText(fmt.Sprintf("%+.2f USD (lines with both)", *c.DifferenceCost)), numText(pctText(c.DifferencePercent)))
	}
	t.Rows = append(t.Rows, blank(total))
	s.Panels = append(s.Panels, panel{Title: fmt.Sprintf("%s, %.0f hours", d.Region, d.Hours), Table: t})
	s.Notes = append(s.Notes, d.Notes...)
	if c := d.CUR; c != nil {
		u := &htable{Head: th("line", "usage type", "product", "quantity#", "cost#", "rows#")}
		for _, l := range d.Lines {
			if l.Billed == nil {
				continue
			}
			for _, x := range l.Billed.UsageTypes {
				u.Rows = append(u.Rows, []hcell{txt(l.Kind), txt(x.UsageType), txt(x.Product), numText(fmt.Sprintf("%.3f", x.Quantity)), numText(fmt.Sprintf("$%.2f", x.Cost)), numText(fmt.Sprint(x.Rows))})
			}
		}
		s.Panels = append(s.Panels, panel{Title: fmt.Sprintf("Billed, from %s (%s, %s): %d rows, %d compared", c.File, c.Schema, c.Format, c.Rows, c.Compared), Table: u})
		if len(c.LeftOut) > 0 {
			o := &htable{Head: th("reason", "usage type", "rows#", "quantity#", "cost#")}
			for _, x := range c.LeftOut {
				o.Rows = append(o.Rows, []hcell{txt(x.Reason), wrapCell(x.Key), numText(fmt.Sprint(x.Rows)), numText(fmt.Sprintf("%.3f", x.Quantity)), numText(fmt.Sprintf("$%.2f", x.Cost))})
			}
			s.Panels = append(s.Panels, panel{Title: "Rows of the report not compared", Table: o, Wide: true})
		}
		for _, n := range c.Notes {
			s.Notes = append(s.Notes, "Cost and Usage Report: "+n)
		}
	}
	return s
}

func (r *Report) comparisonSectionHTML() pageSection {
	c := r.Comparison
	s := pageSection{ID: "comparison", Title: "Compared with the previous period"}
	s.Notes = append(s.Notes, fmt.Sprintf("Compared with %s: %s to %s. Lists hold the keys whose traffic changed, by the absolute change, largest first.",
		c.Label, strOr(c.Previous.From, "…"), strOr(c.Previous.To, "…")))
	if c.Status != CompareOK {
		s.Notes = append(s.Notes, "Unavailable: "+c.Reason)
		return s
	}
	tt := &htable{Head: th("", "now#", "before#", "change#", "%#")}
	for _, row := range []struct {
		k string
		c Change
		f func(int64) string
	}{{"bytes", c.Totals.Bytes, num}, {"packets", c.Totals.Packets, num}, {"flows", c.Totals.Flows, num}, {"rejected flows", c.Totals.RejectedFlows, num}} {
		tt.Rows = append(tt.Rows, []hcell{txt(row.k), numText(row.f(row.c.Current)), numText(row.f(row.c.Previous)), changeCell(row.c.Change, signed(row.c.Change, row.f)), numText(pctText(row.c.ChangePercent))})
	}
	if n := c.NAT; n != nil {
		for _, row := range []struct {
			k, f string
			c    ChangeF
		}{{"NAT processed GB", "%.6f", n.ProcessedGB}, {"NAT cost (USD)", "%.2f", n.NATCost}, {"NAT month projected (USD)", "%.2f", n.MonthlyNATCost}} {
			ch := 0.0
			if row.c.Change != nil {
				ch = *row.c.Change
			}
			tt.Rows = append(tt.Rows, []hcell{txt(row.k), numText(fText(row.c.Current, row.f)), numText(fText(row.c.Previous, row.f)),
				changeCellF(ch, fText(row.c.Change, strings.Replace(row.f, "%", "%+", 1))), numText(pctText(row.c.ChangePercent))})
		}
	}
	s.Panels = append(s.Panels, panel{Title: "Totals", Table: tt})
	for _, l := range c.lists() {
		k := c.Keys[l.id]
		t := &htable{Head: th("key", "status", "now#", "before#", "change#", "%#")}
		var bars []barItem
		for _, d := range l.rows {
			key := keyText(d)
			v, now, before, chText := d.ChangeBytes, si(d.Bytes), si(d.PreviousBytes), signed(d.ChangeBytes, si)
			if l.byFlows {
				v, now, before, chText = d.ChangeFlows, num(d.Flows), num(d.PreviousFlows), signed(d.ChangeFlows, num)
			}
			cls := "up"
			if v < 0 {
				cls = "down"
			}
			if d.Status == KeyNew {
				cls += " new"
			}
			bars = append(bars, barItem{Label: key, Value: float64(v), Text: chText, Class: cls,
				Title: fmt.Sprintf("%s (%s): %s → %s, %s", key, d.Status, before, now, chText)})
			t.Rows = append(t.Rows, []hcell{txt(key), statusCell(d.Status), numText(now), numText(before), changeCell(v, chText), numText(pctText(d.ChangePercent))})
		}
		s.Panels = append(s.Panels, panel{Title: fmt.Sprintf("%s: %d new, %d vanished (%d keys now, %d before)", strings.ToUpper(l.title[:1])+l.title[1:], k.New, k.Vanished, k.Current, k.Previous),
			Chart: divergingChart("chart-cmp-"+strings.ReplaceAll(l.id, "_", "-"), "change of "+l.title, bars), Table: t})
	}
	if n := c.NAT; n != nil {
		t := &htable{Head: th("gateway", "status", "GB now#", "GB before#", "change#", "cost now#", "cost before#", "change#")}
		var bars []barItem
		for _, g := range n.Gateways {
			label := g.InterfaceID
			if g.Name != "" {
				label = g.Name + " · " + label
			}
			ch := 0.0
			if g.ProcessedGB.Change != nil {
				ch = *g.ProcessedGB.Change
			}
			cls := "up"
			if ch < 0 {
				cls = "down"
			}
			bars = append(bars, barItem{Label: label, Value: ch, Text: fText(g.ProcessedGB.Change, "%+.3f GB"), Class: cls, Title: label + " (" + g.Status + ")"})
			t.Rows = append(t.Rows, []hcell{txt(label), statusCell(g.Status), numText(fText(g.ProcessedGB.Current, "%.6f")), numText(fText(g.ProcessedGB.Previous, "%.6f")),
				changeCellF(ch, fText(g.ProcessedGB.Change, "%+.6f")), numText(fText(g.NATCost.Current, "$%.2f")), numText(fText(g.NATCost.Previous, "$%.2f")), numText(fText(g.NATCost.Change, "%+.2f"))})
		}
		s.Panels = append(s.Panels, panel{Title: "NAT gateways by change of processed GB", Chart: divergingChart("chart-cmp-nat", "change of NAT processed GB", bars), Table: t})
	}
	if in := c.PreviousInput; in != nil {
		t := &htable{Head: th("previous period", "count#")}
		t.Rows = append(t.Rows, []hcell{txt("objects"), numCell(in.Objects)}, []hcell{txt("objects failed"), numCell(in.ObjectsFailed)},
			[]hcell{txt("objects skipped by their key"), numCell(int64(in.ObjectsSkipped))}, []hcell{txt("records"), numCell(in.Records)},
			[]hcell{txt("records in range"), numCell(in.RecordsInRange)}, []hcell{txt("malformed"), numCell(in.Malformed)})
		for _, f := range in.FailedObjects {
			t.Rows = append(t.Rows, []hcell{wrapCell("FAILED " + f.Object), wrapCell(f.Error)})
		}
		s.Panels = append(s.Panels, panel{Title: "What the previous period's run read", Table: t})
	}
	return s
}

func statusCell(st string) hcell {
	switch st {
	case KeyNew:
		return hcell{Text: "new", Class: "badge-new"}
	case KeyVanished:
		return hcell{Text: "vanished", Class: "badge-vanished"}
	}
	return txt(st)
}

func changeCell(v int64, text string) hcell { return changeCellF(float64(v), text) }

func changeCellF(v float64, text string) hcell {
	c := hcell{Text: text, Num: true}
	switch {
	case v > 0:
		c.Class = "up"
	case v < 0:
		c.Class = "down"
	}
	return c
}

func (r *Report) spikesSectionHTML() pageSection {
	sp := r.Spikes
	s := pageSection{ID: "spikes", Title: fmt.Sprintf("Spikes (%d)", sp.Count)}
	s.Notes = append(s.Notes, fmt.Sprintf("An hour is a spike when its bytes exceed the mean of the same hour of the day on the preceding days (at least %d of the %d before it that were read: %s) by more than %g sample standard deviations. %d of the report's %d hours had enough days to be judged.",
		sp.MinDays, sp.WindowDays, strings.Join(sp.Baseline, ", "), sp.Sigma, sp.JudgedHours, sp.Hours))
	if sp.Note != "" {
		s.Notes = append(s.Notes, sp.Note)
	}
	if sp.Count > len(sp.List) {
		s.Notes = append(s.Notes, fmt.Sprintf("The %d largest of %d spikes, by bytes above the mean.", len(sp.List), sp.Count))
	}
	t := &htable{Head: th("series", "key", "hour", "bytes#", "baseline mean#", "stddev#", "threshold#", "days#", "above#")}
	for _, d := range sp.List {
		t.Rows = append(t.Rows, []hcell{{Text: d.Series, Class: "spike-text"}, txt(spikeKey(d)), txt(d.Hour), bytesCell(d.Bytes),
			numText(num(int64(d.BaselineMean + 0.5))), numText(num(int64(d.BaselineStddev + 0.5))), numText(num(int64(d.Threshold + 0.5))),
			numText(fmt.Sprint(d.BaselineDays)), numText(sigmasText(d))})
	}
	s.Panels = append(s.Panels, panel{Table: t, Wide: true})
	return s
}
