package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/report"
)

// writeLog writes version 2 flow-log lines (with their header) into dir/name.
func writeLog(t *testing.T, dir, name string, lines []string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	body := "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n" + strings.Join(lines, "\n") + "\n"
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// line is one v2 record.
func line(eni, src, dst string, dport, bytes int, start time.Time, action string) string {
	return fmt.Sprintf("2 123456789012 %s %s %s 40000 %d 6 1 %d %d %d %s OK", eni, src, dst, dport, bytes, start.Unix(), start.Unix()+30, action)
}

// runPeriod runs the engine over paths in [from, to) with specs, as the command does for a second
// period.
func runPeriod(t *testing.T, paths []string, from, to time.Time, specs []aggregate.Spec, label string) *report.Period {
	t.Helper()
	sources, err := flowlog.ExpandLocal(paths)
	if err != nil {
		t.Fatal(err)
	}
	e, err := aggregate.New(aggregate.Config{Specs: specs, From: from, To: to, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	res, st, failed, err := aggregate.Run(context.Background(), e, sources, flowlog.Options{}, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &report.Period{Result: res, Input: report.Input{Stats: st, Failed: failed}, From: from, To: to, Label: label}
}

// buildWith builds the report of cur with opts (Compare, Spikes set by the caller).
func buildWith(t *testing.T, cur *report.Period, opts report.Options) *report.Report {
	t.Helper()
	r, err := report.Build(cur.Result, cur.Input, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestComparisonHandWorked: two small periods whose deltas are worked out by hand.
//
//	previous: eni-a 10.0.0.1 → 10.0.0.9:443  1000 bytes
//	          eni-b 10.0.0.2 → 10.0.0.9:443   500 bytes
//	current:  eni-a 10.0.0.1 → 10.0.0.9:443  1500 bytes
//	          eni-c 10.0.0.3 → 10.0.0.9:22    200 bytes, REJECT
//
// Interfaces: eni-a +500 (+50%), eni-b −500 vanished (−100%), eni-c +200 new (no percent). eni-a
// and eni-b tie on |Δbytes| = 500; eni-b's flows changed by 1, eni-a's by 0, so eni-b comes first.
// Ports: 443/TCP has the same bytes (1500 against 1000 + 500) but one flow fewer; 22/TCP is new.
func TestComparisonHandWorked(t *testing.T) {
	dir := t.TempDir()
	d0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	d1 := d0.AddDate(0, 0, 7)
	prevLog := writeLog(t, dir, "prev.log", []string{
		line("eni-a", "10.0.0.1", "10.0.0.9", 443, 1000, d0, "ACCEPT"),
		line("eni-b", "10.0.0.2", "10.0.0.9", 443, 500, d0, "ACCEPT"),
	})
	curLog := writeLog(t, dir, "cur.log", []string{
		line("eni-a", "10.0.0.1", "10.0.0.9", 443, 1500, d1, "ACCEPT"),
		line("eni-c", "10.0.0.3", "10.0.0.9", 22, 200, d1, "REJECT"),
	})
	opts := report.Options{Top: 20, Location: time.UTC}
	cur := runPeriod(t, []string{curLog}, time.Time{}, time.Time{}, report.Specs(opts), "")
	opts.Compare = runPeriod(t, []string{prevLog}, time.Time{}, time.Time{}, report.Specs(opts), "--compare-to prev.log")
	c := buildWith(t, cur, opts).Comparison
	if c == nil || c.Status != report.CompareOK {
		t.Fatalf("comparison %+v", c)
	}
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", what, got, want)
		}
	}
	check("totals", mustJSON(t, c.Totals),
		`{"bytes":{"current":1700,"previous":1500,"change":200,"change_percent":13.33},`+
			`"packets":{"current":2,"previous":2,"change":0,"change_percent":0},`+
			`"flows":{"current":2,"previous":2,"change":0,"change_percent":0},`+
			`"rejected_flows":{"current":1,"previous":0,"change":1,"change_percent":null}}`)
	check("interfaces", mustJSON(t, c.Interfaces), `[`+
		`{"interface_id":"eni-b","status":"vanished","bytes":0,"previous_bytes":500,"change_bytes":-500,"flows":0,"previous_flows":1,"change_flows":-1,"change_percent":-100},`+
		`{"interface_id":"eni-a","status":"changed","bytes":1500,"previous_bytes":1000,"change_bytes":500,"flows":1,"previous_flows":1,"change_flows":0,"change_percent":50},`+
		`{"interface_id":"eni-c","status":"new","bytes":200,"previous_bytes":0,"change_bytes":200,"flows":1,"previous_flows":0,"change_flows":1,"change_percent":null}]`)
	check("sources", mustJSON(t, c.Sources), `[`+
		`{"srcaddr":"10.0.0.2","status":"vanished","bytes":0,"previous_bytes":500,"change_bytes":-500,"flows":0,"previous_flows":1,"change_flows":-1,"change_percent":-100},`+
		`{"srcaddr":"10.0.0.1","status":"changed","bytes":1500,"previous_bytes":1000,"change_bytes":500,"flows":1,"previous_flows":1,"change_flows":0,"change_percent":50},`+
		`{"srcaddr":"10.0.0.3","status":"new","bytes":200,"previous_bytes":0,"change_bytes":200,"flows":1,"previous_flows":0,"change_flows":1,"change_percent":null}]`)
	check("destinations", mustJSON(t, c.Destinations), `[`+
		`{"dstaddr":"10.0.0.9","status":"changed","bytes":1700,"previous_bytes":1500,"change_bytes":200,"flows":2,"previous_flows":2,"change_flows":0,"change_percent":13.33}]`)
	check("conversations", mustJSON(t, c.Conversations[2]),
		`{"srcaddr":"10.0.0.3","dstaddr":"10.0.0.9","status":"new","bytes":200,"previous_bytes":0,"change_bytes":200,"flows":1,"previous_flows":0,"change_flows":1,"change_percent":null}`)
	check("ports", mustJSON(t, c.Ports), `[`+
		`{"dstport":22,"protocol":6,"status":"new","bytes":200,"previous_bytes":0,"change_bytes":200,"flows":1,"previous_flows":0,"change_flows":1,"change_percent":null},`+
		`{"dstport":443,"protocol":6,"status":"changed","bytes":1500,"previous_bytes":1500,"change_bytes":0,"flows":1,"previous_flows":2,"change_flows":-1,"change_percent":0}]`)
	check("keys", mustJSON(t, c.Keys["interfaces"]), `{"current":2,"previous":2,"new":1,"vanished":1}`)
	check("conversation keys", mustJSON(t, c.Keys["conversations"]), `{"current":2,"previous":2,"new":1,"vanished":1}`)
	if len(c.RejectReasons) != 0 || c.NAT != nil {
		t.Errorf("reasons %v, nat %v: the input has neither", c.RejectReasons, c.NAT)
	}
	// --top cuts each list after the sort.
	opts.Top = 1
	if got := buildWith(t, cur, opts).Comparison.Interfaces; len(got) != 1 || *got[0].Key[0].Value.(*string) != "eni-b" {
		t.Errorf("--top 1: %s", mustJSON(t, got))
	}
	// A period that could not be read leaves the comparison unavailable, the report whole.
	opts.Compare = &report.Period{Label: "--compare-to gone/", Err: "--compare-to gone/ could not be read: no such file"}
	r := buildWith(t, cur, opts)
	if r.Comparison.Status != report.CompareUnavailable || r.Totals.Bytes != 1700 || !strings.Contains(strings.Join(r.Unavailable, ";"), "comparison: --compare-to gone/") {
		t.Errorf("unavailable comparison: %s, unavailable %v", mustJSON(t, r.Comparison), r.Unavailable)
	}
}

// TestSpikeVerdict: the rule on baselines worked by hand. [10 12 14 10 12 14 12]: mean 84/7 = 12,
// squared deviations 4+0+4+4+0+4+0 = 16, sample variance 16/6, s = 1.63299; at 3σ the threshold is
// 12 + 4.89898 = 16.89898: 17 is a spike, 16 is not.
func TestSpikeVerdict(t *testing.T) {
	base := []int64{10, 12, 14, 10, 12, 14, 12}
	for _, c := range []struct {
		x         int64
		baseline  []int64
		sigma     float64
		mean, sd  float64
		spike     bool
		reasoning string
	}{
		{17, base, 3, 12, math.Sqrt(16.0 / 6), true, "17 > 16.899"},
		{16, base, 3, 12, math.Sqrt(16.0 / 6), false, "16 < 16.899"},
		{16, base, 2, 12, math.Sqrt(16.0 / 6), true, "at 2σ the threshold is 15.266"},
		{5, []int64{0, 0, 0}, 3, 0, 0, false, "traffic where there was none is not a spike"},
		{6, []int64{5, 5}, 3, 5, 0, true, "a constant baseline: anything above it"},
		{5, []int64{5, 5}, 3, 5, 0, false, "equal to a constant baseline"},
		{100, []int64{0, 300}, 3, 150, math.Sqrt(45000), false, "n = 2: s = √((150² + 150²) / 1) = 212.13"},
	} {
		mean, sd, spike := report.SpikeVerdict(c.x, c.baseline, c.sigma)
		if math.Abs(mean-c.mean) > 1e-9 || math.Abs(sd-c.sd) > 1e-9 || spike != c.spike {
			t.Errorf("%d over %v at %gσ: mean %g sd %g spike %v; want %g %g %v (%s)", c.x, c.baseline, c.sigma, mean, sd, spike, c.mean, c.sd, c.spike, c.reasoning)
		}
	}
}

// TestSpikesFromRecords: eight days of records at 10:00; the eighth is reported, the seven before
// are its history. eni-a sends 10, 12, 14, 10, 12, 14, 12 kB on days 1–7 and 17 kB on day 8; eni-b
// sends 1 kB every day. Worked by hand:
//
//	eni-a: mean 12000, s = 1000·√(16/6) = 1632.99, threshold 16898.98; 17000 is a spike, 3.06σ
//	total: 11000, 13000, … mean 13000, the same s; 18000 is a spike, 3.06σ
//	eni-b: 1000 against a constant 1000: not a spike
//
// Every hour of day 8 has 7 days of history behind it: 24 hours judged. With --spike-days 8 none is.
func TestSpikesFromRecords(t *testing.T) {
	dir := t.TempDir()
	day1 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	kb := []int{10, 12, 14, 10, 12, 14, 12, 17}
	var lines []string
	for d, k := range kb {
		at := day1.AddDate(0, 0, d).Add(10*time.Hour + 5*time.Minute)
		lines = append(lines, line("eni-a", "10.0.0.1", "10.0.0.9", 443, 1000*k, at, "ACCEPT"), line("eni-b", "10.0.0.2", "10.0.0.9", 443, 1000, at, "ACCEPT"))
	}
	p := writeLog(t, dir, "flows.log", lines)
	day8, day9 := day1.AddDate(0, 0, 7), day1.AddDate(0, 0, 8)
	opts := report.Options{Top: 20, Location: time.UTC, From: day8, To: day9}
	cur := runPeriod(t, []string{p}, day8, day9, report.Specs(opts), "")
	hist := runPeriod(t, []string{p}, day1, day8, report.HistorySpecs(), "the 7 days before --from (--spike-history)")
	opts.Spikes = &report.SpikeOptions{Sigma: 3, Days: 7, History: hist}
	s := buildWith(t, cur, opts).Spikes
	want := `{"sigma":3,"min_days":7,"window_days":28,"baseline":["the report's period","the 7 days before --from (--spike-history)"],"hours":24,"judged_hours":24,"count":2,"list":[` +
		`{"series":"total","interface_id":null,"hour":"2026-11-08T10:00:00Z","bytes":18000,"baseline_days":7,"baseline_mean":13000,"baseline_stddev":1632.99,"threshold":17898.98,"sigmas":3.06,"excess_bytes":5000},` +
		`{"series":"interface","interface_id":"eni-a","hour":"2026-11-08T10:00:00Z","bytes":17000,"baseline_days":7,"baseline_mean":12000,"baseline_stddev":1632.99,"threshold":16898.98,"sigmas":3.06,"excess_bytes":5000}]}`
	if got := mustJSON(t, s); got != want {
		t.Errorf("spikes:\n got %s\nwant %s", got, want)
	}
	opts.Spikes.Days = 8
	if s := buildWith(t, cur, opts).Spikes; s.JudgedHours != 0 || s.Count != 0 || !strings.Contains(s.Note, "at least 8 earlier days") {
		t.Errorf("--spike-days 8: %s", mustJSON(t, s))
	}
	// Without the history the report's own day has no baseline.
	opts.Spikes = &report.SpikeOptions{Sigma: 3, Days: 7}
	if s := buildWith(t, cur, opts).Spikes; s.JudgedHours != 0 || s.Count != 0 {
		t.Errorf("no history: %s", mustJSON(t, s))
	}
	// A report over all eight days judges its eighth day's hours by its own first seven.
	all := runPeriod(t, []string{p}, day1, day9, report.Specs(report.Options{Location: time.UTC}), "")
	s = buildWith(t, all, report.Options{Top: 20, Location: time.UTC, From: day1, To: day9, Spikes: &report.SpikeOptions{Sigma: 3, Days: 7}}).Spikes
	if s.Hours != 8*24 || s.JudgedHours != 24 || s.Count != 2 || s.List[0].Hour != "2026-11-08T10:00:00Z" {
		t.Errorf("eight days: %s", mustJSON(t, s))
	}
}
