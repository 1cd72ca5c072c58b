package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/nat"
	"github.com/flowlens/flowlens/report"
)

// TestCostByTag: cost --by-tag has the report's by_tag section, value for value (the report's is
// checked against the generator's truth by TestReportEnriched), NAT GB and cost per team included,
// and they add up to the review's processed bytes; in the table, CSV and HTML too.
func TestCostByTag(t *testing.T) {
	dir, _ := genWorld(t)
	inv := filepath.Join(dir, synth.InventoryName)
	var rev nat.Review
	if err := json.Unmarshal([]byte(mustRun(t, "cost", "-q", "--format", "json", "--enrich", inv, "--by-tag", "team", dir)), &rev); err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(mustRun(t, "report", "-q", "--format", "json", "--enrich", inv, "--by-tag", "team", dir)), &rep); err != nil {
		t.Fatal(err)
	}
	if rev.ByTag == nil || rep.ByTag == nil || len(rev.ByTag.Values) < 2 {
		t.Fatalf("cost by_tag %+v, report by_tag %+v", rev.ByTag, rep.ByTag)
	}
	if !reflect.DeepEqual(rev.ByTag, rep.ByTag) {
		t.Errorf("cost by_tag differs from the report's:\n%+v\n%+v", rev.ByTag, rep.ByTag)
	}
	var natBytes, processed int64
	for _, v := range rev.ByTag.Values {
		natBytes += v.NATBytes
		if v.NATBytes > 0 && v.NATCost == nil {
			t.Errorf("%s: NAT bytes without a cost", v.Value)
		}
	}
	for _, g := range rev.NATGateways {
		processed += g.BytesInFromSource + g.BytesInFromDestination
	}
	if natBytes == 0 || natBytes != processed {
		t.Errorf("NAT bytes per tag add up to %d, the gateways processed %d", natBytes, processed)
	}
	text := mustRun(t, "cost", "-q", "--format", "table", "--enrich", inv, "--by-tag", "team", dir)
	if !strings.Contains(text, "BY TAG team") || !strings.Contains(text, rev.ByTag.Values[0].Value) {
		t.Errorf("table lacks the by-tag section:\n%s", text)
	}
	csvDir := filepath.Join(t.TempDir(), "csv")
	mustRun(t, "cost", "-q", "--format", "csv", "-o", csvDir, "--enrich", inv, "--by-tag", "team", dir)
	b, err := os.ReadFile(filepath.Join(csvDir, "by_tag.csv"))
	if err != nil || !strings.HasPrefix(string(b), "value,bytes,flows,rejected_flows,nat_bytes,nat_gb,nat_processing_cost\n") {
		t.Errorf("by_tag.csv: %v\n%s", err, b)
	}
	html := mustRun(t, "cost", "-q", "--format", "html", "--enrich", inv, "--by-tag", "team", dir)
	if !strings.Contains(html, "By tag team") {
		t.Error("html lacks the by-tag section")
	}
	// Without an inventory --by-tag is refused, as on report.
	if code, _, errOut := flowlens(t, "cost", "-q", "--by-tag", "team", dir); code != 2 && code != 1 || !strings.Contains(errOut, "--by-tag needs an inventory") {
		t.Errorf("--by-tag without --enrich: exit %d: %s", code, errOut)
	}
}
