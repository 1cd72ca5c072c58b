package enrich

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
)

// TestSynthTruth: the generator writes flow logs and the inventory of its world; every enriched
// column of every record is checked against the generator's own account of each interface
// (Manifest.Owners), the fill-in columns (vpc_id, …) with the log's fields left out.
func TestSynthTruth(t *testing.T) {
	dir := t.TempDir()
	m, err := synth.Generate(synth.Config{Dir: dir, Seed: 19, Records: 30_000, Objects: 3, Fields: flowlog.V5Layout, Days: 1,
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), NATInstanceCopies: true, Inventory: true})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := Load(filepath.Join(dir, synth.InventoryName))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC); !inv.TakenFrom.Equal(want) {
		t.Errorf("taken %v, want %v (flowlensTakenAt)", inv.TakenFrom, want)
	}
	d, err := NewDeriver(inv, []string{"team", "env"})
	if err != nil {
		t.Fatal(err)
	}
	byAddr := map[netip.Addr]synth.OwnerTruth{}
	for _, o := range m.Owners {
		for _, a := range o.Addrs {
			byAddr[netip.MustParseAddr(a)] = o
		}
	}
	var sources []flowlog.Source
	for _, o := range m.Objects {
		sources = append(sources, flowlog.Source{Name: filepath.Join(dir, o), Path: filepath.Join(dir, o)})
	}
	// Only these are decoded: vpc_id, subnet_id, instance_id and az_id come from the inventory.
	need := []flowlog.FieldID{flowlog.FInterfaceID, flowlog.FSrcAddr, flowlog.FDstAddr, flowlog.FLogStatus}
	rows, named := 0, 0
	_, failed, err := flowlog.DecodeSources(context.Background(), sources, flowlog.Options{Need: need, Derive: d}, func(rec arrow.RecordBatch) error {
		col := func(name string) func(r int) string {
			idx := rec.Schema().FieldIndices(name)
			if len(idx) != 1 {
				t.Fatalf("no column %s", name)
			}
			a := rec.Column(idx[0])
			if dd, ok := a.(*array.Dictionary); ok {
				dict := dd.Dictionary().(*array.String)
				return func(r int) string {
					if dd.IsNull(r) {
						return ""
					}
					return dict.Value(dd.GetValueIndex(r))
				}
			}
			fb := a.(*array.FixedSizeBinary)
			return func(r int) string {
				if fb.IsNull(r) {
					return ""
				}
				return netip.AddrFrom16([16]byte(fb.Value(r))).Unmap().String()
			}
		}
		eni, src, dst := col("interface_id"), col("srcaddr"), col("dstaddr")
		got := map[string]func(int) string{}
		for _, c := range []string{"interface_type", "interface_name", "instance_id", "subnet_id", "vpc_id", "az_id", "tag_team", "tag_env",
			"src_name", "dst_name", "src_vpc_id", "dst_vpc_id", "src_az_id", "dst_az_id", "src_tag_team", "dst_tag_team"} {
			got[c] = col(c)
		}
		for r := 0; r < int(rec.NumRows()); r++ {
			rows++
			o, ok := m.Owners[eni(r)]
			if !ok {
				t.Fatalf("row %d: interface %s not in the generator's world", r, eni(r))
			}
			want := map[string]string{"interface_type": o.Type, "interface_name": o.Name, "instance_id": o.Instance, "subnet_id": o.Subnet,
				"vpc_id": o.VPC, "az_id": o.AZID, "tag_team": o.Team, "tag_env": o.Env}
			for side, a := range map[string]string{"src": src(r), "dst": dst(r)} {
				w := synth.OwnerTruth{}
				if a != "" {
					w = byAddr[netip.MustParseAddr(a)]
				}
				if w.Name != "" {
					named++
				}
				want[side+"_name"], want[side+"_vpc_id"], want[side+"_az_id"], want[side+"_tag_team"] = w.Name, w.VPC, w.AZID, w.Team
			}
			for c, w := range want {
				if g := got[c](r); g != w {
					t.Fatalf("row %d (interface %s, %s → %s): %s = %q, want %q", r, eni(r), src(r), dst(r), c, g, w)
				}
			}
		}
		return nil
	})
	if err != nil || len(failed) > 0 {
		t.Fatal(err, failed)
	}
	if rows != int(m.Records+m.NoData+m.SkipData) || named < rows/2 {
		t.Fatalf("%d rows (manifest: %d), %d addresses named", rows, m.Records+m.NoData+m.SkipData, named)
	}
	if c := d.Counts(); c.InterfaceMissing.Load() != 0 || c.InterfaceRows.Load() != int64(rows) {
		t.Errorf("interfaces: %d of %d missing", c.InterfaceMissing.Load(), c.InterfaceRows.Load())
	}
}
