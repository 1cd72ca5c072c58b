package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/nat"
	"github.com/flowlens/flowlens/report"
)

// genWorld writes generated v5 flow logs with the inventory of their world.
func genWorld(t *testing.T) (string, *synth.Manifest) {
	t.Helper()
	dir := t.TempDir()
	m, err := synth.Generate(synth.Config{Dir: dir, Seed: 7, Records: 30_000, Objects: 3, Fields: flowlog.V5Layout, Days: 1,
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Gzip: true, NATInstanceCopies: true, Inventory: true})
	if err != nil {
		t.Fatal(err)
	}
	return dir, m
}

// TestReportEnriched: the report names interfaces, sources and destinations as the generator's
// world says; by_tag adds up, per team, to the bytes of the interfaces the world gives that team
// (computed here from a plain group-by by interface and the manifest), and the NAT bytes per team
// to what the gateways processed.
func TestReportEnriched(t *testing.T) {
	dir, m := genWorld(t)
	inv := filepath.Join(dir, synth.InventoryName)
	var rep report.Report
	if err := json.Unmarshal([]byte(mustRun(t, "report", "-q", "--format", "json", "--top", "0", "--enrich", inv, "--by-tag", "team", dir)), &rep); err != nil {
		t.Fatal(err)
	}
	for _, d := range rep.Interfaces {
		o := m.Owners[*d.InterfaceID]
		if d.Name == nil || *d.Name != o.Name || d.Type == nil || *d.Type != o.Type {
			t.Fatalf("interface %s: name %v type %v, want %s %s", *d.InterfaceID, d.Name, d.Type, o.Name, o.Type)
		}
	}
	byAddr := map[string]synth.OwnerTruth{}
	for _, o := range m.Owners {
		for _, a := range o.Addrs {
			byAddr[a] = o
		}
	}
	for _, d := range rep.Sources {
		if o, ok := byAddr[*d.SrcAddr]; ok != (d.Name != nil) || ok && *d.Name != o.Name {
			t.Fatalf("source %s: name %v, want %q", *d.SrcAddr, d.Name, o.Name)
		}
	}
	for _, d := range rep.Conversations {
		if o, ok := byAddr[*d.DstAddr]; ok != (d.DstName != nil) || ok && *d.DstName != o.Name {
			t.Fatalf("conversation to %s: name %v, want %q", *d.DstAddr, d.DstName, o.Name)
		}
	}
	// Expected bytes per team: a group-by of the plain records by interface, mapped by the truth.
	want := map[string]int64{}
	for _, line := range strings.Split(strings.TrimSpace(mustRun(t, "sql", "-q", "--format", "jsonl",
		"SELECT interface_id, sum(bytes) AS b FROM t WHERE log_status = 'OK' GROUP BY 1", dir)), "\n") {
		var row struct {
			ID string `json:"interface_id"`
			B  int64  `json:"b"`
		}
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatal(err)
		}
		team := m.Owners[row.ID].Team
		if team == "" {
			team = report.Untagged
		}
		want[team] += row.B
	}
	if rep.ByTag == nil || rep.ByTag.Key != "team" || len(rep.ByTag.Values) != len(want) {
		t.Fatalf("by_tag %+v, want %v", rep.ByTag, want)
	}
	var natBytes, processed int64
	for _, v := range rep.ByTag.Values {
		if v.Bytes != want[v.Value] {
			t.Errorf("team %s: %d bytes, want %d", v.Value, v.Bytes, want[v.Value])
		}
		natBytes += v.NATBytes
	}
	if rep.NAT == nil || len(rep.NAT.NATGateways) != 2 {
		t.Fatalf("NAT review: %+v", rep.NAT)
	}
	for _, g := range rep.NAT.NATGateways {
		processed += g.BytesInFromSource + g.BytesInFromDestination
		if g.Guessed || g.GatewayID == "" || g.Name != m.Owners[g.InterfaceID].Name {
			t.Errorf("gateway %+v: want it from the inventory, named %s", g, m.Owners[g.InterfaceID].Name)
		}
	}
	if natBytes != processed {
		t.Errorf("NAT bytes per team add up to %d, the gateways processed %d", natBytes, processed)
	}
	if e := rep.Enrichment; e == nil || e.Taken != "2026-11-01T00:00:00Z" || e.InterfacesMissing != 0 || e.SrcRows == 0 {
		t.Errorf("enrichment %+v", rep.Enrichment)
	}
}

// TestCostEnrichedEndpoints: with an inventory the gateways are not guessed, workloads are named,
// and an S3 gateway endpoint that exists is not recommended again.
func TestCostEnrichedEndpoints(t *testing.T) {
	dir, m := genWorld(t)
	inv := filepath.Join(dir, synth.InventoryName)
	eps := filepath.Join(t.TempDir(), "endpoints.json")
	if err := os.WriteFile(eps, []byte(`{"VpcEndpoints": [{"VpcEndpointId": "vpce-0s3", "VpcEndpointType": "Gateway", "VpcId": "vpc-0a1b2c3d4e5f60718",
		"ServiceName": "com.amazonaws.us-east-1.s3", "State": "available", "NetworkInterfaceIds": []}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var plain, enriched nat.Review
	if err := json.Unmarshal([]byte(mustRun(t, "cost", "-q", "--format", "json", dir)), &plain); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(mustRun(t, "cost", "-q", "--format", "json", "--enrich", inv+","+eps, dir)), &enriched); err != nil {
		t.Fatal(err)
	}
	has := func(r nat.Review, kind, service string) bool {
		for _, x := range r.Recommendations {
			if x.Kind == kind && x.Service == service {
				return true
			}
		}
		return false
	}
	if !has(plain, "gateway_endpoint", "s3") || has(enriched, "gateway_endpoint", "s3") {
		t.Errorf("s3 gateway endpoint recommended: without inventory %v, with one that exists %v", has(plain, "gateway_endpoint", "s3"), has(enriched, "gateway_endpoint", "s3"))
	}
	if !strings.Contains(strings.Join(enriched.Assumptions.Notes, "\n"), "vpce-0s3") {
		t.Errorf("notes do not name the existing endpoint: %q", enriched.Assumptions.Notes)
	}
	if plain.Total.ProcessedGB != enriched.Total.ProcessedGB {
		t.Errorf("processed %v without inventory, %v with", plain.Total.ProcessedGB, enriched.Total.ProcessedGB)
	}
	named := 0
	for _, g := range enriched.NATGateways {
		if g.Guessed || g.Name != m.Owners[g.InterfaceID].Name {
			t.Errorf("gateway %s: guessed %v name %q", g.InterfaceID, g.Guessed, g.Name)
		}
		for _, s := range g.TopSources {
			if s.Name != "" {
				named++
			}
		}
	}
	if named == 0 {
		t.Error("no workload named")
	}
}
