package nat_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/nat"
)

func natRun(t *testing.T, dir string, workers int) []*nat.Gateway {
	t.Helper()
	e, err := aggregate.New(aggregate.Config{Specs: nat.Specs(nil)})
	if err != nil {
		t.Fatal(err)
	}
	src, err := flowlog.ExpandLocal([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	res, _, failed, err := aggregate.Run(context.Background(), e, src, flowlog.Options{}, workers, nil)
	if err != nil || len(failed) > 0 {
		t.Fatal(err, failed)
	}
	return nat.ReadGateways(res, nil)
}

// TestNATFourRecords: the example of docs/cost.md counts each byte once and attributes it to 10.0.1.5.
func TestNATFourRecords(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "nat.log"), []byte(`instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr bytes start end log-status
- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5 300 1700000000 1700000060 OK
- eni-1235b8ca123456789 10.0.0.220 203.0.113.5 10.0.0.220 203.0.113.5 300 1700000000 1700000060 OK
- eni-1235b8ca123456789 203.0.113.5 10.0.0.220 203.0.113.5 10.0.0.220 7000 1700000000 1700000060 OK
- eni-1235b8ca123456789 10.0.0.220 10.0.1.5 203.0.113.5 10.0.1.5 7000 1700000000 1700000060 OK
i-0123 eni-0aaaaaaaaaaaaaaaa 10.0.1.5 203.0.113.5 10.0.1.5 203.0.113.5 300 1700000000 1700000060 OK
i-0123 eni-0aaaaaaaaaaaaaaaa 203.0.113.5 10.0.1.5 203.0.113.5 10.0.1.5 7000 1700000000 1700000060 OK
`), 0o644)
	gws := natRun(t, dir, 1)
	if len(gws) != 1 {
		t.Fatalf("%d gateways, want 1 (the instance's interface translates nothing)", len(gws))
	}
	g := gws[0]
	if g.InterfaceID != "eni-1235b8ca123456789" || g.BytesInFromSource != 300 || g.BytesInFromDestination != 7000 || g.ProcessedBytes() != 7300 {
		t.Fatalf("gateway %+v", g)
	}
	if len(g.Addrs) != 1 || g.Addrs[0].String() != "10.0.0.220" || len(g.Flows) != 2 {
		t.Fatalf("addresses %v, flows %+v", g.Addrs, g.Flows)
	}
	for _, f := range g.Flows {
		if f.Workload.String() != "10.0.1.5" || f.FarEnd.String() != "203.0.113.5" {
			t.Errorf("flow %+v not attributed to 10.0.1.5 ↔ 203.0.113.5", f)
		}
	}
	if !g.Flows[1].Upload || g.Flows[0].Upload || g.Flows[0].Bytes != 7000 {
		t.Errorf("flows %+v", g.Flows)
	}
}

// TestNATGeneratorTruth: on generated v5 data the processed bytes per gateway and direction equal
// what the generator wrote, with and without the instance interfaces' copies, for any worker count.
func TestNATGeneratorTruth(t *testing.T) {
	for _, copies := range []bool{true, false} {
		dir := t.TempDir()
		m, err := synth.Generate(synth.Config{Dir: dir, Seed: 8, Records: 100_000, Objects: 4, Fields: flowlog.V5Layout,
			Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true, NATInstanceCopies: copies})
		if err != nil {
			t.Fatal(err)
		}
		for _, workers := range []int{1, 3} {
			gws := natRun(t, dir, workers)
			if len(gws) != len(m.NAT) {
				t.Fatalf("copies %v: %d gateways found, generator wrote %d", copies, len(gws), len(m.NAT))
			}
			for _, truth := range m.NAT {
				var g *nat.Gateway
				for _, x := range gws {
					if x.InterfaceID == truth.InterfaceID {
						g = x
					}
				}
				if g == nil {
					t.Fatalf("gateway %s not found", truth.InterfaceID)
				}
				if g.BytesInFromSource != truth.BytesInFromSource || g.BytesInFromDestination != truth.BytesInFromDestination {
					t.Errorf("copies %v, %d workers, %s: in from source %d (true %d), from destination %d (true %d)", copies, workers,
						g.InterfaceID, g.BytesInFromSource, truth.BytesInFromSource, g.BytesInFromDestination, truth.BytesInFromDestination)
				}
				if len(g.Addrs) != 1 || g.Addrs[0].String() != truth.PrivateIP {
					t.Errorf("%s: addresses %v, true %s", g.InterfaceID, g.Addrs, truth.PrivateIP)
				}
			}
		}
	}
}
