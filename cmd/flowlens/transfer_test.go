package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/nat"
	"github.com/flowlens/flowlens/report"
)

// transferWorld writes a small hand-made log (us-east-1, 10:00 to 20:00 on 2026-11-01) and an
// ip-ranges.json that puts 198.51.100.0/24 in us-west-2 and 192.0.2.0/24 in us-east-2.
//
//	A 10.0.1.10 eni-a use1-az1   B 10.0.2.20 eni-b use1-az2   C 10.0.1.11 eni-c use1-az1
//	NAT 10.0.0.5 eni-nat use1-az1 (given with --nat)
func transferWorld(t *testing.T) (dir, ranges string) {
	t.Helper()
	dir = t.TempDir()
	start := time.Date(2026, 11, 1, 10, 5, 0, 0, time.UTC).Unix()
	var b strings.Builder
	b.WriteString("version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status region az-id flow-direction pkt-srcaddr pkt-dstaddr\n")
	rec := func(eni, src, dst string, bytes int64, az, dir, pktSrc, pktDst string) {
		fmt.Fprintf(&b, "5 %s %s %s 40000 443 6 1000 %d %d %d ACCEPT OK us-east-1 %s %s %s %s\n", eni, src, dst, bytes, start, start+60, az, dir, pktSrc, pktDst)
	}
	rec("eni-a", "10.0.1.10", "10.0.2.20", 3_000_000_000, "use1-az1", "egress", "10.0.1.10", "10.0.2.20")        // A→B, crosses
	rec("eni-b", "10.0.1.10", "10.0.2.20", 3_000_000_000, "use1-az2", "ingress", "10.0.1.10", "10.0.2.20")       // the same bytes at B: not counted again
	rec("eni-b", "10.0.2.20", "10.0.1.10", 1_000_000_000, "use1-az2", "egress", "10.0.2.20", "10.0.1.10")        // B→A, crosses
	rec("eni-a", "10.0.1.10", "10.0.1.11", 2_000_000_000, "use1-az1", "egress", "10.0.1.10", "10.0.1.11")        // A→C, same AZ
	rec("eni-c", "10.0.1.11", "10.0.1.10", 500, "use1-az1", "egress", "10.0.1.11", "10.0.1.10")                  // C's own egress: its AZ
	rec("eni-a", "10.0.1.10", "10.9.9.9", 700_000_000, "use1-az1", "egress", "10.0.1.10", "10.9.9.9")            // AZ unknown
	rec("eni-a", "10.0.1.10", "203.0.113.5", 150_000_000_000, "use1-az1", "egress", "10.0.1.10", "203.0.113.5")  // internet
	rec("eni-a", "10.0.1.10", "198.51.100.7", 10_000_000_000, "use1-az1", "egress", "10.0.1.10", "198.51.100.7") // us-west-2
	rec("eni-a", "10.0.1.10", "192.0.2.9", 4_000_000_000, "use1-az1", "egress", "10.0.1.10", "192.0.2.9")        // us-east-2
	// The NAT gateway: 2 GB uploaded (its translated private leg), and its public leg, which is not
	// internet egress again (A's record above has those bytes).
	rec("eni-nat", "10.0.1.10", "10.0.0.5", 2_000_000_000, "use1-az1", "ingress", "10.0.1.10", "203.0.113.5")
	rec("eni-nat", "10.0.0.5", "203.0.113.5", 2_000_000_000, "use1-az1", "egress", "10.0.0.5", "203.0.113.5")
	if err := os.WriteFile(filepath.Join(dir, "flows.log"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ranges = filepath.Join(t.TempDir(), "ip-ranges.json")
	if err := os.WriteFile(ranges, []byte(`{"syncToken": "1", "createDate": "2026-11-01-00-00-00", "prefixes": [
		{"ip_prefix": "198.51.100.0/24", "region": "us-west-2", "service": "AMAZON", "network_border_group": "us-west-2"},
		{"ip_prefix": "192.0.2.0/24", "region": "us-east-2", "service": "AMAZON", "network_border_group": "us-east-2"}], "ipv6_prefixes": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, ranges
}

// TestTransferHandComputed: every line of the transfer section against figures worked out by hand
// from the log above and the embedded price table (us-east-1, 10 hours):
//
//	nat_hours        10 h × $0.045                                                      = $0.45
//	nat_bytes        2 GB × $0.045                                                      = $0.09
//	inter_az         A→B 3 GB and B→A 1 GB cross (B's ingress copy and A→C do not; 0.7 GB to
//	                 10.9.9.9 has no AZ): billed out and in, 2 × 4 = 8 GB × $0.01         = $0.08
//	                 parts use1-az1 → use1-az2 6 GB $0.06, use1-az2 → use1-az1 2 GB $0.02
//	inter_region     10 GB to us-west-2 × $0.02 = $0.20, 4 GB to us-east-2 × $0.01 = $0.04 = $0.24
//	internet_egress  150 GB (the NAT's public leg left out); 10 h = 10/730 month:
//	                 free 100 × 10/730 = 1.369863 GB, paid 148.630137 GB;
//	                 first tier 10240 × 10/730 = 140.273973 GB × $0.09 = 12.624658,
//	                 then 8.356164 GB × $0.085 = 0.710274; 13.334932                    = $13.33
//	transit_gateway  not computed: no transit gateway fields
//	nat_public_ipv4  one address assumed (no inventory) × 10 h × $0.005                 = $0.05
//	total            0.45 + 0.09 + 0.08 + 0.24 + 13.33 + 0.05                           = $14.24
func TestTransferHandComputed(t *testing.T) {
	dir, ranges := transferWorld(t)
	code, out, errOut := flowlens(t, "cost", "-q", "--format", "json", "--nat", "eni-nat", "--ip-ranges", ranges,
		"--from", "2026-11-01T10:00:00Z", "--to", "2026-11-01T20:00:00Z", dir)
	if code != 0 {
		t.Fatalf("cost: exit %d: %s", code, errOut)
	}
	var rev nat.Review
	if err := json.Unmarshal([]byte(out), &rev); err != nil {
		t.Fatal(err)
	}
	tr := rev.Transfer
	if tr == nil {
		t.Fatal("no transfer section")
	}
	want := map[string]struct {
		qty, cost float64
		computed  bool
	}{
		nat.LineNATHours: {10, 0.45, true}, nat.LineNATBytes: {2, 0.09, true}, nat.LineInterAZ: {8, 0.08, true},
		nat.LineInterRegion: {14, 0.24, true}, nat.LineInternet: {150, 13.33, true}, nat.LineTransitGW: {0, 0, false},
		nat.LineNATPublicIPv4: {10, 0.05, true},
	}
	for _, l := range tr.Lines {
		w, ok := want[l.Kind]
		if !ok {
			t.Errorf("line %s not expected", l.Kind)
			continue
		}
		delete(want, l.Kind)
		if l.Computed != w.computed {
			t.Errorf("%s: computed %v (%s)", l.Kind, l.Computed, l.Missing)
			continue
		}
		if !w.computed {
			if l.Missing == "" || l.Cost != nil {
				t.Errorf("%s: not computed without saying why, or with a cost: %+v", l.Kind, l)
			}
			continue
		}
		if l.Quantity == nil || *l.Quantity != w.qty || l.Cost == nil || *l.Cost != w.cost {
			t.Errorf("%s: %v %s %v, want %v and $%v", l.Kind, fp(l.Quantity), l.Unit, fp(l.Cost), w.qty, w.cost)
		}
	}
	if len(want) > 0 {
		t.Errorf("lines missing: %v", want)
	}
	if tr.Total == nil || *tr.Total != 14.24 || tr.Complete {
		t.Errorf("total %v complete %v, want $14.24, not complete", fp(tr.Total), tr.Complete)
	}
	parts := map[string]float64{}
	for _, l := range tr.Lines {
		for _, p := range l.Parts {
			parts[p.Name] = *p.Cost
		}
		if l.Kind == nat.LineInterAZ && !strings.Contains(l.Assumption, "0.700 GB to private addresses whose AZ is unknown") {
			t.Errorf("inter_az does not say what it left out: %s", l.Assumption)
		}
	}
	for name, c := range map[string]float64{"use1-az1 → use1-az2": 0.06, "use1-az2 → use1-az1": 0.02,
		"USE1-USW2-AWS-Out-Bytes (us-east-1 to us-west-2)": 0.20, "USE1-USE2-AWS-Out-Bytes (us-east-1 to us-east-2)": 0.04} {
		if parts[name] != c {
			t.Errorf("part %s: $%v, want $%v", name, parts[name], c)
		}
	}
	// The same section in the report with --transfer, and in the text.
	var rep report.Report
	if err := json.Unmarshal([]byte(mustRun(t, "report", "-q", "--format", "json", "--transfer", "--nat", "eni-nat", "--ip-ranges", ranges,
		"--from", "2026-11-01T10:00:00Z", "--to", "2026-11-01T20:00:00Z", dir)), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Transfer == nil || rep.Transfer.Total == nil || *rep.Transfer.Total != 14.24 {
		t.Fatalf("report --transfer: %+v", rep.Transfer)
	}
	text := mustRun(t, "cost", "-q", "--format", "table", "--nat", "eni-nat", "--ip-ranges", ranges, "--from", "2026-11-01T10:00:00Z", "--to", "2026-11-01T20:00:00Z", dir)
	if !strings.Contains(text, "TOTAL $14.24") || !strings.Contains(text, "NOT COMPUTED: no transit gateway flow logs") {
		t.Errorf("text:\n%s", text)
	}
}

// A log without flow-direction (version 2): the traffic lines cannot be computed, say why, and the
// report is written all the same (exit 0).
func TestTransferV2(t *testing.T) {
	dir := t.TempDir()
	log := "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n" +
		"2 123456789012 eni-a 10.0.1.10 203.0.113.5 40000 443 6 10 5000 1793527500 1793527560 ACCEPT OK\n"
	if err := os.WriteFile(filepath.Join(dir, "v2.log"), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(mustRun(t, "report", "-q", "--format", "json", "--transfer", dir)), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Transfer == nil || rep.Transfer.Complete {
		t.Fatalf("transfer %+v", rep.Transfer)
	}
	for _, l := range rep.Transfer.Lines {
		if l.Computed || l.Missing == "" {
			t.Errorf("%s: computed %v, missing %q", l.Kind, l.Computed, l.Missing)
		}
		if (l.Kind == nat.LineInterAZ || l.Kind == nat.LineInternet) && !strings.Contains(l.Missing, "flow-direction") {
			t.Errorf("%s: %s", l.Kind, l.Missing)
		}
	}
}

func fp(x *float64) any {
	if x == nil {
		return nil
	}
	return *x
}
