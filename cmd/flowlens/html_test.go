package main

import (
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
