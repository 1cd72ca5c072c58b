package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// The charts of the HTML page are SVG drawn here, in Go, into the page: no script, no request,
// printable, and styled by the page's CSS (colours are classes, so the dark theme applies to them).
// Every drawn data point is an element of class "mark" (one per hourly point, heatmap cell, bar or
// bar segment), which is what the browser tests count against the data.

// chartWidth is the width of the viewBox of a chart beside its table, wideWidth of one over the
// page's width (the hourly lines, the heatmap); the page scales them to their column.
const (
	chartWidth = 640
	wideWidth  = 960
)

type svgBuf struct{ strings.Builder }

func (s *svgBuf) f(format string, a ...any) { fmt.Fprintf(&s.Builder, format, a...) }

func esc(s string) string { return html.EscapeString(s) }

// fmtF writes a coordinate with at most one decimal.
func fmtF(x float64) string {
	s := fmt.Sprintf("%.1f", x)
	return strings.TrimSuffix(s, ".0")
}

// niceMax rounds v up to 1, 2, 2.5 or 5 times a power of ten, for an axis.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// clip shortens a label to n runes, with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// barItem is one bar of a bar chart.
type barItem struct {
	Label string
	Value float64
	Text  string // the value as written at the bar's end
	Title string // the tooltip: the exact figures
	Class string // extra classes of the bar (e.g. "up", "down", "new")
}

// barChart draws horizontal bars, largest first as given, one mark each.
func barChart(id, label string, items []barItem) template.HTML {
	if len(items) == 0 {
		return emptyChart(id, label)
	}
	const rowH, labelW, valueW = 22, 200, 80
	h := len(items)*rowH + 6
	var top float64
	for _, it := range items {
		top = math.Max(top, math.Abs(it.Value))
	}
	var s svgBuf
	s.f(`<svg id="%s" class="chart bars" viewBox="0 0 %d %d" role="img" aria-label="%s">`, esc(id), chartWidth, h, esc(label))
	span := float64(chartWidth - labelW - valueW)
	for i, it := range items {
		y := i*rowH + 3
		w := 0.0
		if top > 0 {
			w = span * math.Abs(it.Value) / top
		}
		s.f(`<text class="label" x="%d" y="%d" text-anchor="end">%s</text>`, labelW-6, y+15, esc(clip(it.Label, 30)))
		s.f(`<rect class="mark bar %s" x="%d" y="%d" width="%s" height="%d"><title>%s</title></rect>`,
			esc(it.Class), labelW, y+2, fmtF(w), rowH-6, esc(it.Title))
		s.f(`<text class="value" x="%s" y="%d">%s</text>`, fmtF(float64(labelW)+w+4), y+15, esc(it.Text))
	}
	s.f(`</svg>`)
	return template.HTML(s.String())
}

// divergingChart draws signed bars about a centre line (changes: growth right, decline left).
func divergingChart(id, label string, items []barItem) template.HTML {
	if len(items) == 0 {
		return emptyChart(id, label)
	}
	const rowH, labelW = 22, 200
	h := len(items)*rowH + 6
	var top float64
	for _, it := range items {
		top = math.Max(top, math.Abs(it.Value))
	}
	half := float64(chartWidth-labelW) / 2
	mid := float64(labelW) + half
	var s svgBuf
	s.f(`<svg id="%s" class="chart bars diverging" viewBox="0 0 %d %d" role="img" aria-label="%s">`, esc(id), chartWidth, h, esc(label))
	s.f(`<line class="axis" x1="%s" y1="0" x2="%s" y2="%d"/>`, fmtF(mid), fmtF(mid), h)
	for i, it := range items {
		y := i*rowH + 3
		w := 0.0
		if top > 0 {
			w = (half - 70) * math.Abs(it.Value) / top
		}
		x, tx, anchor := mid, mid+w+4, "start"
		if it.Value < 0 {
			x, tx, anchor = mid-w, mid-w-4, "end"
		}
		s.f(`<text class="label" x="%d" y="%d" text-anchor="end">%s</text>`, labelW-6, y+15, esc(clip(it.Label, 30)))
		s.f(`<rect class="mark bar %s" x="%s" y="%d" width="%s" height="%d"><title>%s</title></rect>`,
			esc(it.Class), fmtF(x), y+2, fmtF(w), rowH-6, esc(it.Title))
		s.f(`<text class="value" x="%s" y="%d" text-anchor="%s">%s</text>`, fmtF(tx), y+15, anchor, esc(it.Text))
	}
	s.f(`</svg>`)
	return template.HTML(s.String())
}

// stackSeg is one segment of a stacked bar.
type stackSeg struct {
	Class string
	Value float64
	Title string
}

// stackItem is one stacked bar.
type stackItem struct {
	Label string
	Segs  []stackSeg
	Text  string
}

// stackedChart draws horizontal stacked bars; every segment is a mark, zero-width ones included,
// so that a chart of N bars of K classes has N × K marks.
func stackedChart(id, label string, items []stackItem) template.HTML {
	if len(items) == 0 {
		return emptyChart(id, label)
	}
	const rowH, labelW, valueW = 26, 200, 90
	h := len(items)*rowH + 6
	var top float64
	for _, it := range items {
		var t float64
		for _, sg := range it.Segs {
			t += sg.Value
		}
		top = math.Max(top, t)
	}
	span := float64(wideWidth - labelW - valueW)
	var s svgBuf
	s.f(`<svg id="%s" class="chart bars stacked" viewBox="0 0 %d %d" role="img" aria-label="%s">`, esc(id), wideWidth, h, esc(label))
	for i, it := range items {
		y := i*rowH + 3
		x := float64(labelW)
		s.f(`<text class="label" x="%d" y="%d" text-anchor="end">%s</text>`, labelW-6, y+17, esc(clip(it.Label, 30)))
		for _, sg := range it.Segs {
			w := 0.0
			if top > 0 {
				w = span * sg.Value / top
			}
			s.f(`<rect class="mark seg %s" x="%s" y="%d" width="%s" height="%d"><title>%s</title></rect>`,
				esc(sg.Class), fmtF(x), y+2, fmtF(w), rowH-8, esc(sg.Title))
			x += w
		}
		s.f(`<text class="value" x="%s" y="%d">%s</text>`, fmtF(x+4), y+17, esc(it.Text))
	}
	s.f(`</svg>`)
	return template.HTML(s.String())
}

// linePoint is one point of a line: X in hours of the day (0–23), Y in bytes.
type linePoint struct {
	X, Y  float64
	Title string
	Spike bool // drawn with a ring: the hour is a spike of the series
}

// lineSeries is one line (a day of the hourly chart).
type lineSeries struct {
	Name   string
	Points []linePoint
}

// lineChart draws lines over the 24 hours of the day, one mark per point; spikes get a ring of
// class "spike" on top of their mark.
func lineChart(id, label string, series []lineSeries, yText func(float64) string) template.HTML {
	n := 0
	var top float64
	for _, sr := range series {
		for _, p := range sr.Points {
			top = math.Max(top, p.Y)
			n++
		}
	}
	if n == 0 {
		return emptyChart(id, label)
	}
	const h, ml, mr, mt, mb = 300, 64, 12, 12, 30
	top = niceMax(top)
	pw, ph := float64(wideWidth-ml-mr), float64(h-mt-mb)
	x := func(v float64) float64 { return ml + pw*v/23 }
	y := func(v float64) float64 { return mt + ph - ph*v/top }
	var s svgBuf
	s.f(`<svg id="%s" class="chart line" viewBox="0 0 %d %d" role="img" aria-label="%s">`, esc(id), wideWidth, h, esc(label))
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		s.f(`<line class="grid" x1="%d" y1="%s" x2="%d" y2="%s"/>`, ml, fmtF(y(v)), wideWidth-mr, fmtF(y(v)))
		s.f(`<text class="tick" x="%d" y="%s" text-anchor="end">%s</text>`, ml-6, fmtF(y(v)+4), esc(yText(v)))
	}
	for hr := 0; hr < 24; hr += 3 {
		s.f(`<text class="tick" x="%s" y="%d" text-anchor="middle">%02d:00</text>`, fmtF(x(float64(hr))), h-10, hr)
	}
	for i, sr := range series {
		cls := fmt.Sprintf("s%d", i%8)
		if len(sr.Points) > 1 {
			var pts []string
			for _, p := range sr.Points {
				pts = append(pts, fmtF(x(p.X))+","+fmtF(y(p.Y)))
			}
			s.f(`<polyline class="series %s" points="%s"><title>%s</title></polyline>`, cls, strings.Join(pts, " "), esc(sr.Name))
		}
		for _, p := range sr.Points {
			s.f(`<circle class="mark %s" cx="%s" cy="%s" r="3"><title>%s</title></circle>`, cls, fmtF(x(p.X)), fmtF(y(p.Y)), esc(p.Title))
		}
	}
	for _, sr := range series {
		for _, p := range sr.Points {
			if p.Spike {
				s.f(`<circle class="spike" cx="%s" cy="%s" r="7"><title>spike: %s</title></circle>`, fmtF(x(p.X)), fmtF(y(p.Y)), esc(p.Title))
			}
		}
	}
	s.f(`</svg>`)
	return template.HTML(s.String())
}

// heatCell is one cell of the heatmap.
type heatCell struct {
	Value float64
	Title string
	Spike bool
}

// heatmap draws days (rows) × the 24 hours of the day (columns), one mark per cell, its opacity
// the cell's share of the largest.
func heatmap(id, label string, days []string, cells [][24]heatCell) template.HTML {
	if len(days) == 0 {
		return emptyChart(id, label)
	}
	const labelW, cellH, headH = 84, 18, 18
	cw := float64(wideWidth-labelW) / 24
	h := headH + len(days)*cellH + 4
	var top float64
	for _, row := range cells {
		for _, c := range row {
			top = math.Max(top, c.Value)
		}
	}
	var s svgBuf
	s.f(`<svg id="%s" class="chart heatmap" viewBox="0 0 %d %d" role="img" aria-label="%s">`, esc(id), wideWidth, h, esc(label))
	for hr := 0; hr < 24; hr += 3 {
		s.f(`<text class="tick" x="%s" y="12" text-anchor="middle">%02d</text>`, fmtF(labelW+cw*(float64(hr)+0.5)), hr)
	}
	for d, day := range days {
		y := headH + d*cellH
		s.f(`<text class="label" x="%d" y="%d" text-anchor="end">%s</text>`, labelW-6, y+13, esc(day))
		for hr, c := range cells[d] {
			op := 0.0
			if top > 0 {
				op = c.Value / top
			}
			cls := "mark cell"
			if c.Value == 0 {
				cls += " zero"
			}
			if c.Spike {
				cls += " spiked"
			}
			s.f(`<rect class="%s" x="%s" y="%d" width="%s" height="%d" fill-opacity="%.3f"><title>%s</title></rect>`,
				cls, fmtF(labelW+cw*float64(hr)+1), y+1, fmtF(cw-2), cellH-2, 0.06+0.94*op, esc(c.Title))
		}
	}
	s.f(`</svg>`)
	return template.HTML(s.String())
}

func emptyChart(id, label string) template.HTML {
	return template.HTML(fmt.Sprintf(`<svg id="%s" class="chart empty" viewBox="0 0 %d 40" role="img" aria-label="%s"><text class="label" x="8" y="24">no data</text></svg>`,
		esc(id), chartWidth, esc(label)))
}
