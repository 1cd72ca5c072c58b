package aggregate_test

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/report"
)

// dumpResult writes every group of every table, keys decoded and measures, sorted: two results
// are equal when their dumps are.
func dumpResult(res *aggregate.Result) string {
	var out []string
	for _, t := range res.Tables {
		ms := append([]aggregate.Measure(nil), t.Spec.Measures...)
		for j := range t.Spec.Distinct {
			ms = append(ms, aggregate.Distinct(j))
		}
		for j := range t.Spec.Aggs {
			ms = append(ms, aggregate.AggMeasure(j))
		}
		vals := make([]aggregate.Value, len(t.Spec.Keys))
		sc := t.Scratch()
		for _, g := range t.Groups() {
			t.Keys(g, sc, vals)
			line := fmt.Sprintf("%s %v", t.Spec.Name, vals)
			for _, m := range ms {
				line += fmt.Sprintf(" %d", t.Value(g, m))
			}
			out = append(out, line)
		}
	}
	sort.Strings(out)
	return fmt.Sprintf("rows %d in %d out %d\n%s", res.Rows, res.InRange, res.OutOfRange, strings.Join(out, "\n"))
}

// TestStateMerge: the objects of a data set split into 1, 3 and 4 shards, each shard's state
// written and read back, merged, equal one run over them all: every group and measure, the
// distinct counts, the aggregates and the counts of rows.
func TestStateMerge(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Generate(synth.Config{Dir: dir, Seed: 6, Records: 60_000, Objects: 7, Fields: flowlog.V5Layout,
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true, NATInstanceCopies: true}); err != nil {
		t.Fatal(err)
	}
	field := func(n string) flowlog.FieldID {
		f, ok := flowlog.LookupField(n)
		if !ok {
			t.Fatal(n)
		}
		return f
	}
	specs := append(report.Specs(report.Options{}),
		aggregate.Spec{Name: "distinct", Keys: []aggregate.Key{{Field: flowlog.FDstPort}}, Measures: []aggregate.Measure{aggregate.Flows},
			Distinct: []flowlog.FieldID{flowlog.FSrcAddr, flowlog.FInterfaceID}, Aggs: []aggregate.Agg{{Op: aggregate.AggMax, Field: flowlog.FBytes}, {Op: aggregate.AggMin, Field: flowlog.FStart}}},
		aggregate.Spec{Name: "pairs", Keys: []aggregate.Key{{Field: flowlog.FInterfaceID}, {Field: field("pkt-srcaddr")}, {Field: flowlog.FDstAddr}},
			Measures: []aggregate.Measure{aggregate.Bytes, aggregate.MinStart, aggregate.MaxEnd}, Distinct: []flowlog.FieldID{field("vpc-id")}})
	sources, err := flowlog.ExpandLocal([]string{dir})
	if err != nil || len(sources) != 7 {
		t.Fatal(err, len(sources))
	}
	from := time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC)
	run := func(cfg aggregate.Config, src []flowlog.Source) (*aggregate.Engine, *aggregate.Result) {
		cfg.Specs, cfg.From = specs, from
		e, err := aggregate.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		res, _, _, err := aggregate.Run(context.Background(), e, src, flowlog.Options{Need: e.Need()}, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		return e, res
	}
	_, whole := run(aggregate.Config{}, sources)
	want := dumpResult(whole)
	for _, n := range []int{1, 3, 4} {
		var states [][]byte
		for s := 0; s < n; s++ {
			var part []flowlog.Source
			for k, src := range sources {
				if k%n == s {
					part = append(part, src)
				}
			}
			_, res := run(aggregate.Config{Partial: true}, part)
			var buf bytes.Buffer
			if err := res.WriteState(&buf, map[string]string{"shard": fmt.Sprint(s)}); err != nil {
				t.Fatal(err)
			}
			states = append(states, buf.Bytes())
		}
		e, err := aggregate.New(aggregate.Config{Specs: specs, From: from})
		if err != nil {
			t.Fatal(err)
		}
		var ws []*aggregate.Worker
		for s, st := range states {
			w, meta, err := e.LoadState(bytes.NewReader(st))
			if err != nil {
				t.Fatal(err)
			}
			if meta["shard"] != fmt.Sprint(s) {
				t.Fatalf("metadata %v", meta)
			}
			ws = append(ws, w)
		}
		merged, err := e.Merge(ws)
		if err != nil {
			t.Fatal(err)
		}
		if got := dumpResult(merged); got != want {
			t.Fatalf("%d shards merged differ from one run:\n%.2000s\nwant\n%.2000s", n, got, want)
		}
	}
	// A state of other group-bys is refused.
	_, res := run(aggregate.Config{Partial: true}, sources[:1])
	var buf bytes.Buffer
	res.WriteState(&buf, nil)
	other, _ := aggregate.New(aggregate.Config{Specs: specs[:2]})
	if _, _, err := other.LoadState(bytes.NewReader(buf.Bytes())); err == nil || !strings.Contains(err.Error(), "other group-bys") {
		t.Errorf("state of other group-bys: %v", err)
	}
	if _, _, err := other.LoadState(strings.NewReader("not arrow")); err == nil {
		t.Error("garbage loaded")
	}
}
