package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
)

// genNAT writes days of generated v5 flow logs (pkt-* fields, NAT gateways, rejects) in the AWS
// hourly key layout.
func genNAT(t *testing.T, seed uint64, records int64, days int) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := synth.Generate(synth.Config{Dir: dir, Seed: seed, Records: records, Objects: 24 * days, Fields: flowlog.V5Layout,
		Layout: "aws-hourly", Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: days, Gzip: true, NATInstanceCopies: true}); err != nil {
		t.Fatal(err)
	}
	return dir
}

var islandRE = regexp.MustCompile(`(?s)<script type="application/json" id="report-data">(.*?)</script>`)

// dataIsland returns the JSON embedded in an HTML page.
func dataIsland(t *testing.T, page string) string {
	t.Helper()
	m := islandRE.FindAllStringSubmatch(page, -1)
	if len(m) != 1 {
		t.Fatalf("%d data islands in the page", len(m))
	}
	return m[0][1]
}

// TestHTMLDataIsland: the JSON in the page of report --format html (and of cost) is the output of
// --format json, byte for byte; -o FILE.html picks the page; the page asks for nothing at view
// time (no src, href or url() outside the page); --estimate refuses html.
func TestHTMLDataIsland(t *testing.T) {
	dir := genNAT(t, 3, 20_000, 2)
	for _, cmd := range [][]string{{"report", "--top", "5"}, {"cost", "--top", "5"}} {
		js := mustRun(t, append(cmd, "--format", "json", dir)...)
		page := mustRun(t, append(cmd, "--format", "html", dir)...)
		if got := dataIsland(t, page); got != js {
			t.Fatalf("%s: the data island differs from --format json:\n%.300s\n%.300s", cmd[0], got, js)
		}
		out := filepath.Join(t.TempDir(), cmd[0]+".html")
		mustRun(t, append(cmd, "-o", out, dir)...)
		b, err := os.ReadFile(out)
		if err != nil || string(b) != page {
			t.Fatalf("%s -o %s: not the page of --format html (%v)", cmd[0], out, err)
		}
		for _, bad := range []string{" src=", "<link", "url(", "@import", "http://", "https://"} {
			if strings.Contains(page, bad) {
				t.Errorf("%s: the page contains %q: it must not ask for anything when viewed", cmd[0], bad)
			}
		}
	}
	code, _, errOut := flowlens(t, "cost", "--estimate", "--nat-gb", "10", "--hours", "10", "--format", "html")
	if code != exitUsage || !strings.Contains(errOut, "table or json") {
		t.Fatalf("cost --estimate --format html: exit %d, %s", code, errOut)
	}
}

// writeEightDays writes eight days of records at 10:05 (version 2, one file, no key layout):
// eni-a sends 10, 12, 14, 10, 12, 14, 12 kB on days 1–7 and 17 kB on day 8, eni-b 1 kB a day. The
// eighth day's 10:00 is a spike of eni-a and of the total (report/trend_test.go works it out).
func writeEightDays(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
	day1 := time.Date(2026, 11, 1, 10, 5, 0, 0, time.UTC)
	for d, k := range []int{10, 12, 14, 10, 12, 14, 12, 17} {
		at := day1.AddDate(0, 0, d).Unix()
		fmt.Fprintf(&b, "2 123456789012 eni-a 10.0.0.1 10.0.0.9 40000 443 6 1 %d %d %d ACCEPT OK\n", 1000*k, at, at+30)
		fmt.Fprintf(&b, "2 123456789012 eni-b 10.0.0.2 10.0.0.9 40000 443 6 1 1000 %d %d ACCEPT OK\n", at, at+30)
	}
	writeFile(t, dir, "flows.log", b.String())
	return dir
}

// TestReportTrendFlags: --compare-period, --compare-to, the spike flags and --fail-on-spike through
// the command: exit statuses, what the JSON holds, usage errors.
func TestReportTrendFlags(t *testing.T) {
	dir := writeEightDays(t)
	day8 := []string{"--from", "2026-11-08", "--to", "2026-11-09"}
	var doc struct {
		Comparison *struct {
			Status   string                     `json:"status"`
			Label    string                     `json:"label"`
			Previous struct{ From, To *string } `json:"previous_range"`
			Totals   struct {
				Bytes struct{ Current, Previous, Change int64 } `json:"bytes"`
			} `json:"totals"`
		} `json:"comparison"`
		Spikes *struct {
			Count       int `json:"count"`
			JudgedHours int `json:"judged_hours"`
			List        []struct {
				Series string `json:"series"`
				Hour   string `json:"hour"`
			} `json:"list"`
		} `json:"spikes"`
	}
	read := func(out string) {
		t.Helper()
		doc.Comparison, doc.Spikes = nil, nil
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
	}
	// --fail-on-spike reads the history before --from, finds the two spikes and exits 5.
	code, out, errOut := flowlens(t, append(append([]string{"report", "--format", "json", "--fail-on-spike"}, day8...), dir)...)
	read(out)
	if code != exitSpike || doc.Spikes == nil || doc.Spikes.Count != 2 || doc.Spikes.JudgedHours != 24 || doc.Spikes.List[0].Hour != "2026-11-08T10:00:00Z" ||
		!strings.Contains(errOut, "2 spikes") {
		t.Fatalf("--fail-on-spike: exit %d, spikes %+v, stderr %s", code, doc.Spikes, errOut)
	}
	// Spikes asked for without the history: nothing to judge, said, exit 0; the same with a higher sigma.
	code, out, errOut = flowlens(t, append(append([]string{"report", "--format", "json", "--spike-sigma", "3"}, day8...), dir)...)
	read(out)
	if code != 0 || doc.Spikes == nil || doc.Spikes.JudgedHours != 0 || !strings.Contains(errOut, "no hour could be judged") {
		t.Fatalf("spikes without history: exit %d, %+v, %s", code, doc.Spikes, errOut)
	}
	code, out, _ = flowlens(t, append(append([]string{"report", "--format", "json", "--fail-on-spike", "--spike-sigma", "3.1"}, day8...), dir)...)
	read(out)
	if code != 0 || doc.Spikes.Count != 0 {
		t.Fatalf("--spike-sigma 3.1 (the spikes are 3.06σ): exit %d, %+v", code, doc.Spikes)
	}
	// --compare-period 7d: day 8 against day 1, with the same sources.
	code, out, errOut = flowlens(t, append(append([]string{"report", "--format", "json", "--compare-period", "7d"}, day8...), dir)...)
	read(out)
	if c := doc.Comparison; code != 0 || c == nil || c.Status != "ok" || c.Label != "--compare-period 7d" || c.Previous.From == nil || *c.Previous.From != "2026-11-01T00:00:00Z" ||
		c.Totals.Bytes.Current != 18000 || c.Totals.Bytes.Previous != 11000 || c.Totals.Bytes.Change != 7000 || doc.Spikes != nil {
		t.Fatalf("--compare-period 7d: exit %d, %+v, %s", code, c, errOut)
	}
	// The table form says it too.
	out = mustRun(t, append(append([]string{"report", "--format", "table", "--compare-period", "1d", "--spike-history", "--spike-days", "2"}, day8...), dir)...)
	if !strings.Contains(out, "COMPARED WITH --compare-period 1d") || !strings.Contains(out, "+5,000 (+38.46%)") || !strings.Contains(out, "SPIKES  ") {
		t.Fatalf("table:\n%s", out)
	}
	// --compare-to a source that cannot be read: the comparison is unavailable, the report whole.
	code, out, errOut = flowlens(t, "report", "--format", "json", "--compare-to", filepath.Join(dir, "gone"), dir)
	read(out)
	if code != 0 || doc.Comparison == nil || doc.Comparison.Status != "unavailable" || !strings.Contains(errOut, "comparison: --compare-to") {
		t.Fatalf("--compare-to gone: exit %d, %+v, %s", code, doc.Comparison, errOut)
	}
	f := func(errWant string, args ...string) {
		t.Helper()
		code, _, errOut := flowlens(t, append(append([]string{"report"}, args...), dir)...)
		if code != exitUsage || !strings.Contains(errOut, errWant) {
			t.Errorf("%v: exit %d, stderr %s", args, code, errOut)
		}
	}
	f("give both", "--compare-period", "7d", "--from", "2026-11-08")
	f("want a number of days", "--compare-period", "week", "--from", "2026-11-08", "--to", "2026-11-09")
	f("give one", "--compare-period", "7d", "--compare-to", dir, "--from", "2026-11-08", "--to", "2026-11-09")
	f("--spike-days must be", "--spike-days", "1")
	f("--spike-sigma must be", "--spike-sigma", "0")
	f("give --from", "--spike-history")
}
