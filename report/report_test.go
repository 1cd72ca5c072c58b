package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/report"
)

// genDir writes a generated data set into a temporary directory.
func genDir(t *testing.T, cfg synth.Config) (string, *synth.Manifest) {
	t.Helper()
	cfg.Dir = t.TempDir()
	m, err := synth.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Dir, m
}

// runReport runs the engine and the report the way the CLI does.
func runReport(t *testing.T, args []string, workers int, opts report.Options, dopts flowlog.Options) *report.Report {
	t.Helper()
	sources, err := flowlog.ExpandLocal(args)
	if err != nil {
		t.Fatal(err)
	}
	// The generated objects span hours, not AWS's 5 minutes, and are named by their end: to the
	// pruning, their records are up to a window late. A day of --late covers every case here.
	sources, skipped := flowlog.PruneByKey(sources, opts.From, opts.To, 24*time.Hour)
	e, err := aggregate.New(aggregate.Config{Specs: report.Specs(opts), From: opts.From, To: opts.To, Location: opts.Location})
	if err != nil {
		t.Fatal(err)
	}
	res, st, failed, err := aggregate.Run(context.Background(), e, sources, dopts, workers, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := report.Build(res, report.Input{Stats: st, Failed: failed, Skipped: skipped}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// The reference: a plain loop over every decoded record, with Go maps and string keys, and a
// sort for each top-N list. It shares nothing with the engine but the decoder.

type refAgg struct{ bytes, packets, flows, rej, rejPk, rejB, minStart, maxEnd int64 }

func (a *refAgg) add(b, p int64, rejected bool, start, end int64, hasStart, hasEnd bool) {
	a.bytes += b
	a.packets += p
	a.flows++
	if rejected {
		a.rej++
		a.rejPk += p
		a.rejB += b
	}
	if a.flows == 1 {
		a.minStart, a.maxEnd = math.MaxInt64, math.MinInt64
	}
	if hasStart && start < a.minStart {
		a.minStart = start
	}
	if hasEnd && end > a.maxEnd {
		a.maxEnd = end
	}
}

type refKey struct {
	null bool
	s    string // strings, and addresses as their 16 bytes
	n    int64
}

func (k refKey) less(o refKey) bool {
	if k.null != o.null {
		return k.null
	}
	if k.s != o.s {
		return k.s < o.s
	}
	return k.n < o.n
}

type refRow struct {
	iface, src, dst, port, proto, reason, hour refKey
	bytes, packets, start, end                 int64
	hasStart, hasEnd, rejected                 bool
}

func refRows(t *testing.T, args []string, opts report.Options) []refRow {
	t.Helper()
	sources, err := flowlog.ExpandLocal(args)
	if err != nil {
		t.Fatal(err)
	}
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	var rows []refRow
	_, _, err = flowlog.DecodeSources(context.Background(), sources, flowlog.Options{}, func(rec arrow.RecordBatch) error {
		col := func(name string) arrow.Array {
			idx := rec.Schema().FieldIndices(name)
			if len(idx) == 0 {
				return nil
			}
			return rec.Column(idx[0])
		}
		str := func(a arrow.Array, i int) refKey {
			if a == nil || a.IsNull(i) {
				return refKey{null: true}
			}
			d := a.(*array.Dictionary)
			return refKey{s: strings.Clone(d.Dictionary().(*array.String).Value(d.GetValueIndex(i)))}
		}
		addr := func(a arrow.Array, i int) refKey {
			if a == nil || a.IsNull(i) {
				return refKey{null: true}
			}
			return refKey{s: string(a.(*array.FixedSizeBinary).Value(i))}
		}
		num := func(a arrow.Array, i int) (int64, bool) {
			if a == nil || a.IsNull(i) {
				return 0, false
			}
			switch c := a.(type) {
			case *array.Uint16:
				return int64(c.Value(i)), true
			case *array.Uint8:
				return int64(c.Value(i)), true
			case *array.Int64:
				return c.Value(i), true
			}
			t.Fatalf("unexpected column type %T", a)
			return 0, false
		}
		numKey := func(a arrow.Array, i int) refKey {
			v, ok := num(a, i)
			return refKey{null: !ok, n: v}
		}
		status, iface, src, dst := col("log_status"), col("interface_id"), col("srcaddr"), col("dstaddr")
		port, proto, pk, by, st, en := col("dstport"), col("protocol"), col("packets"), col("bytes"), col("start"), col("end")
		action, reason := col("action"), col("reject_reason")
		for i := 0; i < int(rec.NumRows()); i++ {
			if s := str(status, i); !s.null && (s.s == "NODATA" || s.s == "SKIPDATA") {
				continue
			}
			r := refRow{iface: str(iface, i), src: addr(src, i), dst: addr(dst, i), port: numKey(port, i), proto: numKey(proto, i), reason: str(reason, i)}
			r.bytes, _ = num(by, i)
			r.packets, _ = num(pk, i)
			r.start, r.hasStart = num(st, i)
			r.end, r.hasEnd = num(en, i)
			if (!opts.From.IsZero() || !opts.To.IsZero()) && (!r.hasStart || (!opts.From.IsZero() && r.start < opts.From.Unix()) || (!opts.To.IsZero() && r.start >= opts.To.Unix())) {
				continue
			}
			a := str(action, i)
			r.rejected = !a.null && a.s == "REJECT"
			r.hour = refKey{null: true}
			if r.hasStart {
				lt := time.Unix(r.start, 0).In(loc)
				r.hour = refKey{n: time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), 0, 0, 0, loc).Unix()}
			}
			rows = append(rows, r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

type refGroup struct {
	keys []refKey
	agg  refAgg
}

func group(rows []refRow, keep func(refRow) bool, key func(refRow) []refKey) []*refGroup {
	m := map[string]*refGroup{}
	var out []*refGroup
	for _, r := range rows {
		if keep != nil && !keep(r) {
			continue
		}
		ks := key(r)
		id := fmt.Sprint(ks)
		g := m[id]
		if g == nil {
			g = &refGroup{keys: ks}
			m[id] = g
			out = append(out, g)
		}
		g.agg.add(r.bytes, r.packets, r.rejected, r.start, r.end, r.hasStart, r.hasEnd)
	}
	return out
}

func keyLess(a, b []refKey) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i].less(b[i])
		}
	}
	return false
}

// topBy sorts by the measures (descending), then by key, and keeps n.
func topBy(gs []*refGroup, n int, by ...func(*refAgg) int64) []*refGroup {
	sort.Slice(gs, func(i, j int) bool {
		for _, f := range by {
			if a, b := f(&gs[i].agg), f(&gs[j].agg); a != b {
				return a > b
			}
		}
		return keyLess(gs[i].keys, gs[j].keys)
	})
	if n > 0 && len(gs) > n {
		gs = gs[:n]
	}
	return gs
}

func byBytes(a *refAgg) int64 { return a.bytes }
func byFlows(a *refAgg) int64 { return a.flows }

func strOf(k refKey, addr bool) *string {
	if k.null {
		return nil
	}
	if addr {
		s := flowlog.AddrString([]byte(k.s))
		return &s
	}
	s := k.s
	return &s
}

func intOf(k refKey) *int64 {
	if k.null {
		return nil
	}
	v := k.n
	return &v
}

func timeOf(v int64, loc *time.Location) *string {
	if v == math.MaxInt64 || v == math.MinInt64 {
		return nil
	}
	s := time.Unix(v, 0).In(loc).Format(time.RFC3339)
	return &s
}

// checkReport compares every section of got with the reference computation over the same files.
func checkReport(t *testing.T, got *report.Report, args []string, opts report.Options) {
	t.Helper()
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	top := opts.Top
	rows := refRows(t, args, opts)
	same := func(section string, got, want any) {
		t.Helper()
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		if !bytes.Equal(g, w) {
			t.Errorf("%s differs from the reference:\ngot  %s\nwant %s", section, clipText(g), clipText(w))
		}
	}
	if got.Input.RecordsInRange != int64(len(rows)) {
		t.Errorf("records in range %d, reference %d", got.Input.RecordsInRange, len(rows))
	}

	all := group(rows, nil, func(refRow) []refKey { return nil })
	var tot refAgg
	if len(all) == 1 {
		tot = all[0].agg
	}
	same("totals", got.Totals, report.TotalsDoc{Bytes: tot.bytes, Packets: tot.packets, Flows: tot.flows, AcceptedFlows: tot.flows - tot.rej, RejectedFlows: tot.rej})
	if len(all) == 1 {
		same("input.first_start", got.Input.FirstStart, timeOf(tot.minStart, loc))
		same("input.last_end", got.Input.LastEnd, timeOf(tot.maxEnd, loc))
	}

	// Interfaces and their peak hours.
	peak := map[refKey]*refGroup{}
	for _, g := range group(rows, nil, func(r refRow) []refKey { return []refKey{r.iface, r.hour} }) {
		if g.keys[1].null {
			continue
		}
		p := peak[g.keys[0]]
		if p == nil || g.agg.bytes > p.agg.bytes || (g.agg.bytes == p.agg.bytes && g.keys[1].n < p.keys[1].n) {
			peak[g.keys[0]] = g
		}
	}
	ifaces := group(rows, nil, func(r refRow) []refKey { return []refKey{r.iface} })
	wantIf := []report.InterfaceDoc{}
	for _, g := range topBy(append([]*refGroup(nil), ifaces...), top, byBytes) {
		d := report.InterfaceDoc{InterfaceID: strOf(g.keys[0], false), Bytes: g.agg.bytes, Packets: g.agg.packets, Flows: g.agg.flows,
			AcceptedFlows: g.agg.flows - g.agg.rej, RejectedFlows: g.agg.rej, FirstSeen: timeOf(g.agg.minStart, loc), LastSeen: timeOf(g.agg.maxEnd, loc)}
		if p := peak[g.keys[0]]; p != nil {
			d.PeakHour = timeOf(p.keys[1].n, loc)
			d.PeakHourBytes = p.agg.bytes
		}
		wantIf = append(wantIf, d)
	}
	same("interfaces", got.Interfaces, wantIf)

	srcDocs := func(gs []*refGroup) []report.SourceDoc {
		out := []report.SourceDoc{}
		for _, g := range gs {
			out = append(out, report.SourceDoc{SrcAddr: strOf(g.keys[0], true), Bytes: g.agg.bytes, Packets: g.agg.packets, Flows: g.agg.flows})
		}
		return out
	}
	same("sources", got.Sources, srcDocs(topBy(group(rows, nil, func(r refRow) []refKey { return []refKey{r.src} }), top, byBytes)))
	wantDst := []report.DestDoc{}
	for _, g := range topBy(group(rows, nil, func(r refRow) []refKey { return []refKey{r.dst} }), top, byBytes) {
		wantDst = append(wantDst, report.DestDoc{DstAddr: strOf(g.keys[0], true), Bytes: g.agg.bytes, Packets: g.agg.packets, Flows: g.agg.flows})
	}
	same("destinations", got.Destinations, wantDst)
	wantConv := []report.ConvDoc{}
	for _, g := range topBy(group(rows, nil, func(r refRow) []refKey { return []refKey{r.src, r.dst} }), top, byBytes) {
		wantConv = append(wantConv, report.ConvDoc{SrcAddr: strOf(g.keys[0], true), DstAddr: strOf(g.keys[1], true), Bytes: g.agg.bytes, Packets: g.agg.packets, Flows: g.agg.flows})
	}
	same("conversations", got.Conversations, wantConv)

	// Hours: the hours with records, in order; the profile averages over the local dates covered.
	hours := group(rows, func(r refRow) bool { return r.hasStart }, func(r refRow) []refKey { return []refKey{r.hour} })
	sorted := append([]*refGroup(nil), hours...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].keys[0].n < sorted[j].keys[0].n })
	wantHourly := []report.HourDoc{}
	var prof [24]int64
	for _, g := range sorted {
		lt := time.Unix(g.keys[0].n, 0).In(loc)
		wantHourly = append(wantHourly, report.HourDoc{Hour: lt.Format(time.RFC3339), Bytes: g.agg.bytes, Packets: g.agg.packets, Flows: g.agg.flows})
		prof[lt.Hour()] += g.agg.bytes
	}
	same("hourly", got.Hourly, wantHourly)
	wantBusy := []report.HourDoc{}
	for _, g := range topBy(hours, top, byBytes) {
		wantBusy = append(wantBusy, report.HourDoc{Hour: *timeOf(g.keys[0].n, loc), Bytes: g.agg.bytes, Packets: g.agg.packets, Flows: g.agg.flows})
	}
	same("busiest_hours", got.BusiestHours, wantBusy)
	wantHOD := []report.HourOfDayDoc{}
	if len(sorted) > 0 {
		a := time.Unix(sorted[0].keys[0].n, 0).In(loc)
		z := time.Unix(sorted[len(sorted)-1].keys[0].n, 0).In(loc)
		days := 0
		for d := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, loc); !d.After(z); d = d.AddDate(0, 0, 1) {
			days++
		}
		if days > 1 {
			for h := 0; h < 24; h++ {
				wantHOD = append(wantHOD, report.HourOfDayDoc{Hour: h, MeanBytes: float64(prof[h]) / float64(days), Days: days})
			}
		}
	}
	same("hour_of_day", got.HourOfDay, wantHOD)

	// Rejects.
	rejected := func(r refRow) bool { return r.rejected }
	same("rejects totals", []int64{got.Rejects.Flows, got.Rejects.Packets, got.Rejects.Bytes}, []int64{tot.rej, tot.rejPk, tot.rejB})
	same("rejects.top_sources", got.Rejects.TopSources, srcDocs(topBy(group(rows, rejected, func(r refRow) []refKey { return []refKey{r.src} }), top, byBytes)))
	portDocs := func(gs []*refGroup) []report.PortDoc {
		out := []report.PortDoc{}
		for _, g := range gs {
			out = append(out, report.PortDoc{DstPort: intOf(g.keys[0]), Protocol: intOf(g.keys[1]), Bytes: g.agg.bytes, Packets: g.agg.packets, Flows: g.agg.flows})
		}
		return out
	}
	same("rejects.top_dstports", got.Rejects.TopDstPorts, portDocs(topBy(group(rows, rejected, func(r refRow) []refKey { return []refKey{r.port, r.proto} }), top, byBytes)))
	var ratio []*refGroup
	for _, g := range ifaces {
		if g.agg.rej > 0 {
			ratio = append(ratio, g)
		}
	}
	sort.Slice(ratio, func(i, j int) bool {
		a, b := ratio[i].agg, ratio[j].agg
		if x, y := float64(a.rej)/float64(a.flows), float64(b.rej)/float64(b.flows); x != y {
			return x > y
		}
		if a.rej != b.rej {
			return a.rej > b.rej
		}
		return keyLess(ratio[i].keys, ratio[j].keys)
	})
	if len(ratio) > top {
		ratio = ratio[:top]
	}
	wantRatio := []report.RejectRatioDoc{}
	for _, g := range ratio {
		wantRatio = append(wantRatio, report.RejectRatioDoc{InterfaceID: strOf(g.keys[0], false), Flows: g.agg.flows, RejectedFlows: g.agg.rej, RejectRatio: float64(g.agg.rej) / float64(g.agg.flows)})
	}
	same("rejects.interfaces_by_reject_ratio", got.Rejects.InterfacesByRejectRatio, wantRatio)
	if got.Rejects.Reasons == nil {
		t.Errorf("rejects.reasons is null")
	}
	if len(got.Rejects.Reasons) > 0 {
		wantReasons := []report.ReasonDoc{}
		for _, g := range topBy(group(rows, rejected, func(r refRow) []refKey { return []refKey{r.reason} }), top, byFlows, byBytes) {
			wantReasons = append(wantReasons, report.ReasonDoc{RejectReason: strOf(g.keys[0], false), Flows: g.agg.flows, Packets: g.agg.packets, Bytes: g.agg.bytes})
		}
		same("rejects.reasons", got.Rejects.Reasons, wantReasons)
	}

	same("ports", got.Ports, portDocs(topBy(group(rows, nil, func(r refRow) []refKey { return []refKey{r.port, r.proto} }), top, byBytes)))
	wantProto := []report.ProtocolDoc{}
	for _, g := range topBy(group(rows, nil, func(r refRow) []refKey { return []refKey{r.proto} }), top, byBytes) {
		d := report.ProtocolDoc{Protocol: intOf(g.keys[0]), Bytes: g.agg.bytes, Packets: g.agg.packets, Flows: g.agg.flows}
		if d.Protocol != nil {
			d.Name = report.ProtocolName(int(*d.Protocol))
		}
		wantProto = append(wantProto, d)
	}
	same("protocols", got.Protocols, wantProto)
}

func clipText(b []byte) string {
	if len(b) > 3000 {
		return string(b[:3000]) + "…"
	}
	return string(b)
}

func reportJSON(t *testing.T, r *report.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestReportDifferential checks every section of the report against the reference, on generated
// data in the default layout over two days (hour-of-day profile), and in a custom layout with IPv6,
// reject reasons and plain text; with a time range and a half-hour time zone; and checks that 1, 2
// and 5 workers give identical bytes.
func TestReportDifferential(t *testing.T) {
	v2dir, m := genDir(t, synth.Config{Seed: 7, Records: 120_000, Objects: 6, Fields: flowlog.DefaultLayout, Layout: "aws-hourly",
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 2, Gzip: true, NATInstanceCopies: true})
	custom := flowlog.MustLayout("version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status reject-reason type")
	cdir, _ := genDir(t, synth.Config{Seed: 3, Records: 60_000, Objects: 3, Fields: custom, Layout: "flat",
		Start: time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: false})
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	cases := []struct {
		name string
		args []string
		opts report.Options
	}{
		{"v2 two days", []string{v2dir}, report.Options{Top: 20}},
		{"v2 top 5 range", []string{v2dir}, report.Options{Top: 5, From: time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC), To: time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)}},
		{"v2 Kolkata", []string{v2dir}, report.Options{Top: 7, Location: kolkata}},
		{"custom with reasons", []string{cdir}, report.Options{Top: 20}},
		{"both", []string{v2dir, cdir}, report.Options{Top: 50}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var first []byte
			for _, w := range []int{1, 2, 5} {
				r := runReport(t, c.args, w, c.opts, flowlog.Options{})
				if w == 1 {
					checkReport(t, r, c.args, c.opts)
					first = reportJSON(t, r)
					continue
				}
				if got := reportJSON(t, r); !bytes.Equal(got, first) {
					t.Errorf("--workers %d gives a different report than --workers 1", w)
				}
			}
			// The same again with the objects split into blocks across workers (fewer objects than workers).
			if len(c.args) == 1 {
				r := runReport(t, c.args, 8, c.opts, flowlog.Options{BlockSize: 64 << 10})
				if got := reportJSON(t, r); !bytes.Equal(got, first) {
					t.Errorf("8 workers on small blocks give a different report")
				}
			}
		})
	}
	// The manifest's own counts agree with the report's input section.
	r := runReport(t, []string{v2dir}, 2, report.Options{Top: 3}, flowlog.Options{})
	if r.Input.Records != m.Records || r.Input.NoData != m.NoData || r.Input.SkipData != m.SkipData || r.Totals.RejectedFlows != m.Rejected {
		t.Errorf("input %+v, totals %+v; manifest records %d nodata %d skipdata %d rejected %d", r.Input, r.Totals, m.Records, m.NoData, m.SkipData, m.Rejected)
	}
	// The custom layout has reject reasons; the default does not and says so.
	rc := runReport(t, []string{cdir}, 2, report.Options{Top: 3}, flowlog.Options{})
	if len(rc.Rejects.Reasons) == 0 {
		t.Errorf("no reject reasons in a layout that has the field")
	}
	if len(r.Rejects.Reasons) != 0 || !strings.Contains(strings.Join(r.Unavailable, ";"), "reject-reason") {
		t.Errorf("reasons %v, unavailable %v", r.Rejects.Reasons, r.Unavailable)
	}
}

// TestReportPruning: with --from/--to, objects whose hourly key lies outside the range are not opened,
// and the report equals the one over every object.
func TestReportPruning(t *testing.T) {
	dir, _ := genDir(t, synth.Config{Seed: 5, Records: 40_000, Objects: 24, Fields: flowlog.DefaultLayout, Layout: "aws-hourly",
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true})
	opts := report.Options{Top: 10, From: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 1, 14, 0, 0, 0, time.UTC)}
	sources, _ := flowlog.ExpandLocal([]string{dir})
	if kept, skipped := flowlog.PruneByKey(sources, opts.From, opts.To, time.Hour); skipped != 24-5 || len(kept) != 5 {
		// Hours 10–13 hold the range; the object of hour 14 (named 14:55) may hold records up to an
		// hour late; the one of hour 9 (named 09:55, window to 10:00) cannot hold a record that
		// starts at 10:00 or later, nor can the one of hour 15 (15:55) a record before 14:00.
		t.Errorf("kept %d objects, skipped %d", len(kept), skipped)
	}
	pruned := runReport(t, []string{dir}, 2, opts, flowlog.Options{})
	if pruned.Input.ObjectsSkipped == 0 || pruned.Input.Objects+int64(pruned.Input.ObjectsSkipped) != 24 {
		t.Fatalf("objects %d, skipped %d", pruned.Input.Objects, pruned.Input.ObjectsSkipped)
	}
	// Without pruning (the objects listed one by one under names that say nothing about time).
	plain := t.TempDir()
	var args []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".gz") {
			dst := filepath.Join(plain, fmt.Sprintf("o%03d.log.gz", len(args)))
			b, _ := os.ReadFile(p)
			args = append(args, dst)
			return os.WriteFile(dst, b, 0o644)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	full := runReport(t, args, 2, opts, flowlog.Options{})
	checkReport(t, pruned, []string{dir}, opts)
	if full.Input.ObjectsSkipped != 0 {
		t.Fatalf("objects without layout were skipped")
	}
	pruned.Input, full.Input = report.InputDoc{}, report.InputDoc{}
	if a, b := reportJSON(t, pruned), reportJSON(t, full); !bytes.Equal(a, b) {
		t.Errorf("pruned report differs from the full one")
	}
}

// TestReportMemoryLimit: a budget too small for the conversations ends the run with an error that
// names the aggregation and the limit, instead of growing without bound.
func TestReportMemoryLimit(t *testing.T) {
	dir, _ := genDir(t, synth.Config{Seed: 9, Records: 50_000, Objects: 2, Fields: flowlog.DefaultLayout, Layout: "flat",
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true})
	sources, _ := flowlog.ExpandLocal([]string{dir})
	e, err := aggregate.New(aggregate.Config{Specs: report.Specs(report.Options{}), MemoryLimit: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, err = aggregate.Run(context.Background(), e, sources, flowlog.Options{}, 2, nil)
	var me *aggregate.MemoryError
	if !errors.As(err, &me) {
		t.Fatalf("want a MemoryError, got %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "4.0 MiB") || !strings.Contains(msg, "--memory-limit") || me.Aggregation == "" {
		t.Errorf("message %q", msg)
	}
	if e.Budget().Used() != 0 {
		t.Errorf("%d bytes still held after the failed run", e.Budget().Used())
	}
}
