package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// browserOut is where the browser test leaves its pages and screenshots for a person to look at:
// $FLOWLENS_BROWSER_OUT, else .cache/browser-test at the top of the repository (ignored by git).
func browserOut(t *testing.T) string {
	dir := os.Getenv("FLOWLENS_BROWSER_OUT")
	if dir == "" {
		abs, err := filepath.Abs("../../.cache/browser-test")
		if err != nil {
			t.Fatal(err)
		}
		dir = abs
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// expectedMarks is the number of marks each chart of a page must have, from the document's JSON:
// a point per hour with records, 24 heatmap cells per local date, a bar per entry of each top-N
// list, four class segments per NAT gateway.
func expectedMarks(t *testing.T, js string) map[string]int {
	t.Helper()
	var d struct {
		Hourly       []struct{ Hour string } `json:"hourly"`
		BusiestHours []any                   `json:"busiest_hours"`
		Interfaces   []any                   `json:"interfaces"`
		Sources      []any                   `json:"sources"`
		Destinations []any                   `json:"destinations"`
		Convs        []any                   `json:"conversations"`
		Ports        []any                   `json:"ports"`
		Protocols    []any                   `json:"protocols"`
		Rejects      struct {
			TopSources  []any `json:"top_sources"`
			TopDstPorts []any `json:"top_dstports"`
			Reasons     []any `json:"reasons"`
		} `json:"rejects"`
		NAT *struct {
			Gateways []any `json:"nat_gateways"`
		} `json:"nat"`
		Gateways   []any `json:"nat_gateways"` // a cost review
		Comparison *struct {
			Interfaces    []any `json:"interfaces"`
			Sources       []any `json:"sources"`
			Destinations  []any `json:"destinations"`
			Conversations []any `json:"conversations"`
			Ports         []any `json:"ports"`
			RejectReasons []any `json:"reject_reasons"`
			NAT           *struct {
				Gateways []any `json:"gateways"`
			} `json:"nat"`
		} `json:"comparison"`
	}
	if err := json.Unmarshal([]byte(js), &d); err != nil {
		t.Fatal(err)
	}
	if d.Hourly == nil { // a cost review
		return map[string]int{"chart-nat-classes": 4 * len(d.Gateways)}
	}
	days := map[string]bool{}
	for _, h := range d.Hourly {
		days[h.Hour[:10]] = true
	}
	m := map[string]int{
		"chart-hourly": len(d.Hourly), "chart-heatmap": 24 * len(days), "chart-busiest-hours": len(d.BusiestHours),
		"chart-interfaces": len(d.Interfaces), "chart-sources": len(d.Sources), "chart-destinations": len(d.Destinations),
		"chart-conversations": len(d.Convs), "chart-ports": len(d.Ports), "chart-protocols": len(d.Protocols),
		"chart-reject-sources": len(d.Rejects.TopSources), "chart-reject-ports": len(d.Rejects.TopDstPorts), "chart-reject-reasons": len(d.Rejects.Reasons),
	}
	if d.NAT != nil {
		m["chart-nat-classes"] = 4 * len(d.NAT.Gateways)
	}
	if c := d.Comparison; c != nil {
		m["chart-cmp-interfaces"], m["chart-cmp-sources"], m["chart-cmp-destinations"] = len(c.Interfaces), len(c.Sources), len(c.Destinations)
		m["chart-cmp-conversations"], m["chart-cmp-ports"], m["chart-cmp-reject-reasons"] = len(c.Conversations), len(c.Ports), len(c.RejectReasons)
		if c.NAT != nil {
			m["chart-cmp-nat"] = len(c.NAT.Gateways)
		}
	}
	return m
}

// pageState is what the test reads from a loaded page.
type pageState struct {
	Charts map[string]struct {
		Marks  int `json:"marks"`
		Spikes int `json:"spikes"`
	} `json:"charts"`
	Background  string `json:"bg"`
	BarFill     string `json:"barFill"`
	ScrollWidth int    `json:"scrollWidth"`
	Island      string `json:"island"`
	Parsed      bool   `json:"parsed"`
}

const pageStateJS = `(() => {
	const charts = {};
	document.querySelectorAll('svg.chart').forEach(s => {
		charts[s.id] = {marks: s.querySelectorAll('.mark').length, spikes: s.querySelectorAll('.spike').length};
	});
	const island = document.getElementById('report-data').textContent;
	let parsed = false;
	try { parsed = typeof JSON.parse(island) === 'object'; } catch (e) {}
	const bar = document.querySelector('svg .mark');
	return {charts, bg: getComputedStyle(document.body).backgroundColor, barFill: bar ? getComputedStyle(bar).fill : '',
		scrollWidth: document.documentElement.scrollWidth, island, parsed};
})()`

// luminance reads "rgb(r, g, b)" as a relative luminance in [0, 1].
func luminance(t *testing.T, css string) float64 {
	t.Helper()
	s := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(css, "rgba("), "rgb("), ")")
	parts := strings.Split(s, ",")
	if len(parts) < 3 {
		t.Fatalf("colour %q", css)
	}
	var v [3]float64
	for i := range v {
		x, err := strconv.ParseFloat(strings.TrimSpace(parts[i]), 64)
		if err != nil {
			t.Fatalf("colour %q", css)
		}
		v[i] = x / 255
	}
	return 0.2126*v[0] + 0.7152*v[1] + 0.0722*v[2]
}

// browserPage is a page the browser test loads and the JSON it must hold.
type browserPage struct {
	name, json string
	extra      func(t *testing.T, st pageState) // further checks of the light, desktop view
}

// checkInBrowser loads each page in headless Chromium at 1280 px in the light and the dark theme and
// at 390 px (a phone): no console error, no request but the page, every chart with as many marks as
// its data has points, the data island equal to the JSON, the themes applied, nothing wider than
// the screen; a screenshot of each view is written next to the page.
func checkInBrowser(t *testing.T, out string, pages []browserPage) {
	bin, err := findChromium()
	if err != nil {
		t.Skip("browser test skipped: " + err.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	b, err := startBrowser(ctx, bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	tb, err := b.newTab()
	if err != nil {
		t.Fatal(err)
	}
	// The canary: a page with a console error, an uncaught exception and a request that fails must
	// show all three, or the checks below prove nothing.
	canary := filepath.Join(out, "canary.html")
	if err := os.WriteFile(canary, []byte(`<!DOCTYPE html><title>canary</title><img src="http://127.0.0.1:9/missing.png">`+
		`<script>console.error("canary error"); throw new Error("canary exception");</script>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := tb.open("file://" + canary); err != nil {
		t.Fatal(err)
	}
	var ignored any
	tb.eval("1", &ignored)
	time.Sleep(200 * time.Millisecond) // the failed request's event may trail the load
	tb.eval("1", &ignored)
	if pr := strings.Join(tb.problems("file://"+canary), "\n"); !strings.Contains(pr, "canary error") || !strings.Contains(pr, "canary exception") ||
		!strings.Contains(pr, "request: http://127.0.0.1:9/missing.png") || !strings.Contains(pr, "failed request") {
		t.Fatalf("the canary page's problems were not all seen:\n%s", pr)
	}
	os.Remove(canary)
	for _, p := range pages {
		path := filepath.Join(out, p.name+".html")
		u := "file://" + path
		want := expectedMarks(t, p.json)
		var bgLight, fillLight string
		for _, v := range []struct {
			name   string
			width  int
			mobile bool
			scheme string
		}{{"light", 1280, false, "light"}, {"dark", 1280, false, "dark"}, {"phone", 390, true, "light"}} {
			what := p.name + " (" + v.name + ")"
			if err := tb.view(v.width, 900, v.mobile, v.scheme); err != nil {
				t.Fatal(err)
			}
			if err := tb.open(u); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			var st pageState
			if err := tb.eval(pageStateJS, &st); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			// Events arrive asynchronously: read the problems after the evaluation's round trip.
			if pr := tb.problems(u); len(pr) > 0 {
				t.Errorf("%s: %s", what, strings.Join(pr, "\n"))
			}
			if st.Island != p.json || !st.Parsed {
				t.Errorf("%s: the data island is not the JSON document (parsed: %v)", what, st.Parsed)
			}
			for id, n := range want {
				if c, ok := st.Charts[id]; !ok || c.Marks != n {
					t.Errorf("%s: chart %s has %d marks, want %d (present: %v)", what, id, c.Marks, n, ok)
				}
			}
			for id := range st.Charts {
				if _, ok := want[id]; !ok && !strings.HasPrefix(id, "chart-cmp-totals") {
					t.Errorf("%s: chart %s is not checked by the test", what, id)
				}
			}
			if st.ScrollWidth > v.width+1 {
				t.Errorf("%s: the page is %d px wide on a %d px screen", what, st.ScrollWidth, v.width)
			}
			lum := luminance(t, st.Background)
			switch v.name {
			case "light":
				bgLight, fillLight = st.Background, st.BarFill
				if lum < 0.8 {
					t.Errorf("%s: background %s is not light", what, st.Background)
				}
				if p.extra != nil {
					p.extra(t, st)
				}
			case "dark":
				if lum > 0.2 || st.Background == bgLight || st.BarFill == fillLight {
					t.Errorf("%s: the dark theme did not apply: background %s (light %s), marks %s (light %s)", what, st.Background, bgLight, st.BarFill, fillLight)
				}
			}
			shot := filepath.Join(out, fmt.Sprintf("%s-%s.png", p.name, v.name))
			if err := tb.screenshot(shot); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			t.Logf("screenshot: %s", shot)
		}
	}
}

// TestHTMLInBrowser: the pages of report --format html (a day, and two days with the NAT review)
// and of cost --format html, checked in headless Chromium (see checkInBrowser).
func TestHTMLInBrowser(t *testing.T) {
	if _, err := findChromium(); err != nil {
		t.Skip("browser test skipped: " + err.Error())
	}
	out := browserOut(t)
	dir := genNAT(t, 7, 30_000, 2)
	var pages []browserPage
	write := func(name string, args ...string) string {
		js := mustRun(t, append(args, "--format", "json")...)
		mustRun(t, append(args, "--format", "html", "-o", filepath.Join(out, name+".html"))...)
		return js
	}
	day := write("report-day", "report", "--top", "5", "--from", "2026-11-01", "--to", "2026-11-02", dir)
	pages = append(pages, browserPage{name: "report-day", json: day, extra: func(t *testing.T, st pageState) {
		// The data of a day: 24 hourly points, and N bars for top N.
		if st.Charts["chart-hourly"].Marks != 24 || st.Charts["chart-interfaces"].Marks != 5 || st.Charts["chart-heatmap"].Marks != 24 {
			t.Errorf("a day's report: %d hourly points, %d interface bars, %d heatmap cells; want 24, 5, 24",
				st.Charts["chart-hourly"].Marks, st.Charts["chart-interfaces"].Marks, st.Charts["chart-heatmap"].Marks)
		}
	}})
	pages = append(pages, browserPage{name: "report-2days", json: write("report-2days", "report", "--top", "8", dir), extra: func(t *testing.T, st pageState) {
		if st.Charts["chart-hourly"].Marks != 48 || st.Charts["chart-heatmap"].Marks != 48 || st.Charts["chart-nat-classes"].Marks == 0 {
			t.Errorf("two days: %d hourly points, %d heatmap cells, %d NAT segments; want 48, 48, > 0",
				st.Charts["chart-hourly"].Marks, st.Charts["chart-heatmap"].Marks, st.Charts["chart-nat-classes"].Marks)
		}
	}})
	pages = append(pages, browserPage{name: "cost", json: write("cost", "cost", "--top", "5", dir)})
	// The third day against the second, its spikes judged over the two days before it.
	dir3 := genNAT(t, 9, 45_000, 3)
	cmp := write("report-compare", "report", "--top", "6", "--from", "2026-11-03", "--to", "2026-11-04", "--compare-period", "1d",
		"--spike-history", "--spike-days", "2", "--spike-sigma", "1", dir3)
	var doc struct {
		Spikes struct {
			List []struct{ Series string } `json:"list"`
		} `json:"spikes"`
		Comparison struct{ Status string } `json:"comparison"`
	}
	if err := json.Unmarshal([]byte(cmp), &doc); err != nil {
		t.Fatal(err)
	}
	totalSpikes := 0
	for _, s := range doc.Spikes.List {
		if s.Series == "total" {
			totalSpikes++
		}
	}
	if doc.Comparison.Status != "ok" || len(doc.Spikes.List) == 0 {
		t.Fatalf("the comparison page's report: comparison %q, %d spikes listed", doc.Comparison.Status, len(doc.Spikes.List))
	}
	pages = append(pages, browserPage{name: "report-compare", json: cmp, extra: func(t *testing.T, st pageState) {
		// Spikes of the total are ringed on the hourly chart.
		if got := st.Charts["chart-hourly"].Spikes; got != totalSpikes {
			t.Errorf("the hourly chart rings %d spikes, the report lists %d of the total", got, totalSpikes)
		}
		if st.Charts["chart-cmp-interfaces"].Marks != 6 {
			t.Errorf("the interfaces' changes have %d bars, want 6 (--top 6)", st.Charts["chart-cmp-interfaces"].Marks)
		}
	}})
	checkInBrowser(t, out, pages)
}
