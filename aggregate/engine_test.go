package aggregate_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
)

// A small hand-written input: IPv4 and IPv6, nulls, NODATA, rejects, two days, three objects.
var objects = []string{
	`version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 111 eni-a 10.0.0.1 10.0.0.2 1000 443 6 10 1000 1762000000 1762000050 ACCEPT OK
2 111 eni-a 10.0.0.1 10.0.0.3 1001 443 6 5 500 1762000100 1762000150 ACCEPT OK
2 111 eni-b 2001:db8::1 10.0.0.2 1002 22 6 1 40 1762003700 1762003710 REJECT OK
2 111 eni-b - - - - - - - 1762003700 1762003760 - NODATA
2 111 - 10.0.0.9 2001:db8::2 1003 53 17 2 120 1762090000 1762090010 ACCEPT OK
`,
	`version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 222 eni-a 10.0.0.1 10.0.0.2 1000 443 6 7 700 1762000200 1762000260 ACCEPT OK
2 222 eni-c 10.0.0.4 10.0.0.1 1005 22 6 3 180 1762003600 1762003660 REJECT OK
2 222 eni-c 10.0.0.4 10.0.0.1 1006 22 6 3 180 1762090000 1762090060 REJECT OK
`,
	`version interface-id srcaddr dstaddr dstport protocol packets bytes start end action log-status
2 eni-a 2001:db8::1 2001:db8::2 443 6 4 400 1762090001 1762090099 ACCEPT OK
2 eni-d 10.0.0.5 - 80 6 1 60 1762090002 1762090003 ACCEPT OK
2 eni-d 10.0.0.5 10.0.0.7 80 6 - - 1762090004 - ACCEPT OK
`,
}

func writeObjects(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for i, o := range objects {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("o%d.log", i)), []byte(o), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func run(t *testing.T, cfg aggregate.Config, workers int, dir string) *aggregate.Result {
	t.Helper()
	e, err := aggregate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	src, err := flowlog.ExpandLocal([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	res, st, failed, err := aggregate.Run(context.Background(), e, src, flowlog.Options{}, workers, nil)
	if err != nil || len(failed) > 0 {
		t.Fatal(err, failed)
	}
	if st.Records != 10 || st.NoData != 1 {
		t.Fatalf("stats %+v", st)
	}
	return res
}

// dump writes every group of a table in the table's total order, one line each.
func dump(t *aggregate.Table, by ...aggregate.Measure) string {
	var b strings.Builder
	for _, g := range t.Top(0, by...) {
		for i := range t.Spec.Keys {
			fmt.Fprintf(&b, "%s ", t.Key(g, i))
		}
		for _, m := range t.Spec.Measures {
			fmt.Fprintf(&b, "%s=%d ", m, t.Value(g, m))
		}
		for j := range t.Spec.Distinct {
			fmt.Fprintf(&b, "distinct=%d ", t.Value(g, aggregate.Distinct(j)))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestEngineGroups(t *testing.T) {
	dir := writeObjects(t)
	all := []aggregate.Measure{aggregate.Bytes, aggregate.Packets, aggregate.Flows, aggregate.RejectFlows,
		aggregate.RejectPackets, aggregate.RejectBytes, aggregate.MinStart, aggregate.MaxEnd}
	specs := []aggregate.Spec{
		{Name: "iface", Keys: []aggregate.Key{{Field: flowlog.FInterfaceID}}, Measures: all,
			Distinct: []flowlog.FieldID{flowlog.FDstAddr, flowlog.FAccountID}},
		{Name: "conv", Keys: []aggregate.Key{{Field: flowlog.FSrcAddr}, {Field: flowlog.FDstAddr}},
			Measures: []aggregate.Measure{aggregate.Bytes, aggregate.Flows}, Distinct: []flowlog.FieldID{flowlog.FDstPort}},
		{Name: "day", Keys: []aggregate.Key{{Field: flowlog.FStart, Trunc: aggregate.TruncDay}, {Field: flowlog.FVersion}},
			Measures: []aggregate.Measure{aggregate.Bytes, aggregate.Flows}},
		{Name: "rejected ports", Keys: []aggregate.Key{{Field: flowlog.FDstPort}, {Field: flowlog.FProtocol}},
			Measures: []aggregate.Measure{aggregate.Flows, aggregate.Bytes},
			Where:    []aggregate.Cond{{Field: flowlog.FAction, In: []string{"REJECT"}}}},
		{Name: "total", Measures: all},
	}
	want := map[string]string{
		// 1762000000 is 2025-11-01T12:26:40Z; day 20393 is 2025-11-01.
		"iface": `eni-a bytes=2600 packets=26 flows=4 rejected_flows=0 rejected_packets=0 rejected_bytes=0 min_start=1762000000 max_end=1762090099 distinct=3 distinct=2 
eni-c bytes=360 packets=6 flows=2 rejected_flows=2 rejected_packets=6 rejected_bytes=360 min_start=1762003600 max_end=1762090060 distinct=1 distinct=1 
- bytes=120 packets=2 flows=1 rejected_flows=0 rejected_packets=0 rejected_bytes=0 min_start=1762090000 max_end=1762090010 distinct=1 distinct=1 
eni-d bytes=60 packets=1 flows=2 rejected_flows=0 rejected_packets=0 rejected_bytes=0 min_start=1762090002 max_end=1762090003 distinct=1 distinct=0 
eni-b bytes=40 packets=1 flows=1 rejected_flows=1 rejected_packets=1 rejected_bytes=40 min_start=1762003700 max_end=1762003710 distinct=1 distinct=1 
`,
		"conv": `10.0.0.1 10.0.0.2 bytes=1700 flows=2 distinct=1 
10.0.0.1 10.0.0.3 bytes=500 flows=1 distinct=1 
2001:db8::1 2001:db8::2 bytes=400 flows=1 distinct=1 
10.0.0.4 10.0.0.1 bytes=360 flows=2 distinct=1 
10.0.0.9 2001:db8::2 bytes=120 flows=1 distinct=1 
10.0.0.5 - bytes=60 flows=1 distinct=1 
2001:db8::1 10.0.0.2 bytes=40 flows=1 distinct=1 
10.0.0.5 10.0.0.7 bytes=0 flows=1 distinct=1 
`,
		"day": `20393 2 bytes=2420 flows=5 
20394 2 bytes=760 flows=5 
`,
		"rejected ports": `22 6 flows=3 bytes=400 
`,
		"total": `bytes=3180 packets=36 flows=10 rejected_flows=3 rejected_packets=7 rejected_bytes=400 min_start=1762000000 max_end=1762090099 
`,
	}
	var first map[string]string
	for _, w := range []int{1, 2, 3, 7} {
		res := run(t, aggregate.Config{Specs: specs}, w, dir)
		got := map[string]string{}
		for _, tb := range res.Tables {
			got[tb.Spec.Name] = dump(tb, aggregate.Bytes)
		}
		if w == 1 {
			first = got
			for name, wnt := range want {
				if got[name] != wnt {
					t.Errorf("%s:\n got: %s\nwant: %s", name, got[name], wnt)
				}
			}
			continue
		}
		for name := range want {
			if got[name] != first[name] {
				t.Errorf("%s with %d workers:\n%s\nwith 1:\n%s", name, w, got[name], first[name])
			}
		}
	}
}

// TestEngineRangeAndZone: the range filters records by start; hours and days follow the zone.
func TestEngineRangeAndZone(t *testing.T) {
	dir := writeObjects(t)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	specs := []aggregate.Spec{
		{Name: "hour", Keys: []aggregate.Key{{Field: flowlog.FStart, Trunc: aggregate.TruncHour}}, Measures: []aggregate.Measure{aggregate.Flows}},
		{Name: "day", Keys: []aggregate.Key{{Field: flowlog.FStart, Trunc: aggregate.TruncDay}}, Measures: []aggregate.Measure{aggregate.Flows}},
	}
	res := run(t, aggregate.Config{Specs: specs, From: time.Unix(1762000100, 0), To: time.Unix(1762090001, 0), Location: ny}, 2, dir)
	if res.InRange != 6 || res.OutOfRange != 4 {
		t.Fatalf("in range %d, outside %d", res.InRange, res.OutOfRange)
	}
	var hours []string
	h := res.Table("hour")
	for _, g := range h.Top(0) {
		hours = append(hours, fmt.Sprintf("%s=%d", time.Unix(h.Key(g, 0).Int, 0).In(ny).Format(time.RFC3339), h.Value(g, aggregate.Flows)))
	}
	// 1762000100 is 08:28:20 EDT (-04:00) on 2025-11-01; 1762090000 is 08:26:40 EST (-05:00) on 11-02,
	// after the change to winter time.
	if got := strings.Join(hours, " "); got != "2025-11-01T08:00:00-04:00=2 2025-11-01T09:00:00-04:00=2 2025-11-02T08:00:00-05:00=2" {
		t.Errorf("hours %s", got)
	}
	d := res.Table("day")
	var days []string
	for _, g := range d.Top(0) {
		days = append(days, fmt.Sprintf("%d=%d", d.Key(g, 0).Int, d.Value(g, aggregate.Flows)))
	}
	if got := strings.Join(days, " "); got != "20393=4 20394=2" {
		t.Errorf("days %s", got)
	}
}

// TestTopTies: equal measures are ordered by key, so top-K never depends on scheduling.
func TestTopTies(t *testing.T) {
	var b strings.Builder
	b.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
	// Written in reverse, so that input order is not key order.
	for i := 299; i >= 0; i-- {
		fmt.Fprintf(&b, "2 1 eni-%03d 10.0.%d.%d 10.1.0.1 1 2 6 1 100 1762000000 1762000001 ACCEPT OK\n", i, i/250, i%250)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ties.log"), []byte(b.String()), 0o644)
	specs := []aggregate.Spec{{Name: "src", Keys: []aggregate.Key{{Field: flowlog.FSrcAddr}}, Measures: []aggregate.Measure{aggregate.Bytes}},
		{Name: "iface", Keys: []aggregate.Key{{Field: flowlog.FInterfaceID}}, Measures: []aggregate.Measure{aggregate.Bytes}}}
	e, _ := aggregate.New(aggregate.Config{Specs: specs})
	src, _ := flowlog.ExpandLocal([]string{dir})
	res, _, _, err := aggregate.Run(context.Background(), e, src, flowlog.Options{BlockSize: 512}, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	top := res.Table("src").Top(5, aggregate.Bytes)
	var got []string
	for _, g := range top {
		got = append(got, res.Table("src").Key(g, 0).String())
	}
	if strings.Join(got, " ") != "10.0.0.0 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4" {
		t.Errorf("top 5 sources by bytes (all equal): %v", got)
	}
	it := res.Table("iface")
	top = it.Top(3, aggregate.Bytes)
	got = got[:0]
	for _, g := range top {
		got = append(got, it.Key(g, 0).String())
	}
	if strings.Join(got, " ") != "eni-000 eni-001 eni-002" {
		t.Errorf("top 3 interfaces: %v", got)
	}
}

// TestRollup: bytes per hour rolled up from (interface, hour) equal bytes per hour aggregated directly.
func TestRollup(t *testing.T) {
	dir := writeObjects(t)
	m := []aggregate.Measure{aggregate.Bytes, aggregate.Flows, aggregate.MinStart}
	specs := []aggregate.Spec{
		{Name: "ih", Keys: []aggregate.Key{{Field: flowlog.FInterfaceID}, {Field: flowlog.FStart, Trunc: aggregate.TruncHour}}, Measures: m},
		{Name: "h", Keys: []aggregate.Key{{Field: flowlog.FStart, Trunc: aggregate.TruncHour}}, Measures: m},
		{Name: "conv", Keys: []aggregate.Key{{Field: flowlog.FSrcAddr}, {Field: flowlog.FDstAddr}}, Measures: m},
		{Name: "dst", Keys: []aggregate.Key{{Field: flowlog.FDstAddr}}, Measures: m},
		{Name: "src", Keys: []aggregate.Key{{Field: flowlog.FSrcAddr}}, Measures: m},
	}
	res := run(t, aggregate.Config{Specs: specs}, 2, dir)
	if a, b := dump(res.Table("ih").Rollup("h", 1)), dump(res.Table("h")); a != b {
		t.Errorf("rollup:\n%s\ndirect:\n%s", a, b)
	}
	// The report's sources and destinations are these two rollups.
	if a, b := dump(res.Table("conv").Rollup("dst", 1)), dump(res.Table("dst")); a != b {
		t.Errorf("rollup of addresses:\n%s\ndirect:\n%s", a, b)
	}
	if a, b := dump(res.Table("conv").Rollup("src", 0)), dump(res.Table("src")); a != b {
		t.Errorf("rollup of sources:\n%s\ndirect:\n%s", a, b)
	}
}

// TestSpecErrors: bad specs are refused with a message naming them.
func TestSpecErrors(t *testing.T) {
	f := func(s aggregate.Spec, want string) {
		t.Helper()
		_, err := aggregate.New(aggregate.Config{Specs: []aggregate.Spec{s}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("spec %+v: error %v, want %q", s, err, want)
		}
	}
	f(aggregate.Spec{}, "without a name")
	f(aggregate.Spec{Name: "x", Keys: []aggregate.Key{{Field: flowlog.FBytes, Trunc: aggregate.TruncHour}}}, "not a time field")
	f(aggregate.Spec{Name: "x", Where: []aggregate.Cond{{Field: flowlog.FBytes}}}, "string field")
}

// TestStringKeysBudget: the bytes of string key values count against the memory limit, so that
// millions of long keys stop the run at the limit, not far beyond it.
func TestStringKeysBudget(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("version interface-id srcaddr dstaddr bytes log-status\n")
	pad := strings.Repeat("x", 2000)
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&b, "2 eni-%s%06d 10.0.0.1 10.0.0.2 100 OK\n", pad, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "long.log"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	src, _ := flowlog.ExpandLocal([]string{dir})
	run := func(limit int64) (*aggregate.Engine, error) {
		e, err := aggregate.New(aggregate.Config{MemoryLimit: limit, Specs: []aggregate.Spec{{Name: "by_eni",
			Keys: []aggregate.Key{{Field: flowlog.FInterfaceID}}, Measures: []aggregate.Measure{aggregate.Bytes}}}})
		if err != nil {
			t.Fatal(err)
		}
		_, _, _, err = aggregate.Run(context.Background(), e, src, flowlog.Options{}, 1, nil)
		return e, err
	}
	e, err := run(4 << 20) // the tables of 5,000 groups fit; their 10 MB of key values do not
	var me *aggregate.MemoryError
	if !errors.As(err, &me) || me.Aggregation != "string key values" || e.Budget().Peak() > 5<<20 {
		t.Fatalf("want a MemoryError for the key values within the limit: %v, peak %d", err, e.Budget().Peak())
	}
	if e.Budget().Used() != 0 {
		t.Errorf("%d bytes still held after the failed run", e.Budget().Used())
	}
	if e, err := run(64 << 20); err != nil || e.Budget().Peak() < 10e6 {
		t.Errorf("within a larger limit: %v, peak %d", err, e.Budget().Peak())
	}
}
