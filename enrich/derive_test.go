package enrich

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
)

// Records of the v2 default format over the fixtures' interfaces: a known interface and a known
// address, one of each unknown, a NAT gateway's public address, and a NODATA record.
const deriveLines = `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 123456789012 eni-0web1primary0001 10.0.1.10 10.0.2.30 44321 5432 6 10 1000 1700000000 1700000060 ACCEPT OK
2 123456789012 eni-0web1second0002 10.0.2.20 10.0.1.11 443 51000 6 5 500 1700000000 1700000060 ACCEPT OK
2 123456789012 eni-0nat1nat1nat10004 203.0.113.10 8.8.8.8 1024 53 17 1 100 1700000000 1700000060 ACCEPT OK
2 123456789012 eni-0ffffffffffffff99 10.9.9.9 10.0.2.40 1 2 6 1 10 1700000000 1700000060 REJECT OK
2 123456789012 eni-0lambdalambdal0006 - - - - - - - 1700000000 1700000060 - NODATA
`

func decodeBatch(t *testing.T) arrow.RecordBatch {
	t.Helper()
	var out arrow.RecordBatch
	_, err := flowlog.DecodeStream(context.Background(), strings.NewReader(deriveLines), "t.log", flowlog.Options{}, func(r arrow.RecordBatch) error {
		if out != nil {
			t.Fatal("more than one batch")
		}
		r.Retain()
		out = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func strCol(t *testing.T, rec arrow.RecordBatch, name string) []string {
	t.Helper()
	idx := rec.Schema().FieldIndices(name)
	if len(idx) != 1 {
		t.Fatalf("no column %s in %s", name, rec.Schema())
	}
	d := rec.Column(idx[0]).(*array.Dictionary)
	dict := d.Dictionary().(*array.String)
	var out []string
	for r := 0; r < d.Len(); r++ {
		if d.IsNull(r) {
			out = append(out, "-")
			continue
		}
		out = append(out, dict.Value(d.GetValueIndex(r)))
	}
	return out
}

func TestDeriveColumns(t *testing.T) {
	inv := loadFixtures(t)
	d, err := NewDeriver(inv, []string{"team", "env"})
	if err != nil {
		t.Fatal(err)
	}
	rec := decodeBatch(t)
	defer rec.Release()
	out, err := d.New(d.Fields())(rec)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	// Expected values, row by row, from the fixtures (see wantIfaces).
	want := map[string][]string{
		"interface_type": {"interface", "interface", "nat_gateway", "-", "lambda"},
		"interface_name": {"web-1", "web-1", "prod-egress-a", "-", "AWS Lambda VPC ENI-orders-fn-6e1b2f3a-0c4d-4e5f-8a9b-0c1d2e3f4a5b"},
		"instance_id":    {"i-0web1web1web1web1", "i-0web1web1web1web1", "-", "-", "-"},
		"subnet_id":      {"subnet-0a1a1a1a1a1a1a1a1", "subnet-0a2a2a2a2a2a2a2a2", "subnet-0a0a0a0a0a0a0a0a0", "-", "subnet-0a2a2a2a2a2a2a2a2"},
		"vpc_id":         {"vpc-0aaa1111bbbb22223", "vpc-0aaa1111bbbb22223", "vpc-0aaa1111bbbb22223", "-", "vpc-0aaa1111bbbb22223"},
		"az_id":          {"use1-az1", "use1-az2", "use1-az1", "-", "use1-az2"},
		"src_name":       {"web-1", "web-1", "prod-egress-a", "-", "-"},
		"dst_name":       {"db-1", "web-1", "-", "AWS Lambda VPC ENI-orders-fn-6e1b2f3a-0c4d-4e5f-8a9b-0c1d2e3f4a5b", "-"},
		"src_vpc_id":     {"vpc-0aaa1111bbbb22223", "vpc-0aaa1111bbbb22223", "vpc-0aaa1111bbbb22223", "-", "-"},
		"dst_az_id":      {"use1-az2", "use1-az1", "-", "use1-az2", "-"},
		"src_az_id":      {"use1-az1", "use1-az2", "use1-az1", "-", "-"},
		"tag_team":       {"payments", "payments", "platform", "-", "data"},
		"tag_env":        {"prod", "prod", "prod", "-", "prod"},
		"src_tag_team":   {"payments", "payments", "platform", "-", "-"},
		"dst_tag_team":   {"data", "payments", "-", "data", "-"},
		"dst_tag_env":    {"prod", "prod", "-", "prod", "-"},
	}
	for col, w := range want {
		if got := strCol(t, out, col); strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("%s:\n got %q\nwant %q", col, got, w)
		}
	}
	c := d.Counts()
	// Rows with an interface: 5 (NODATA included), 1 unknown; addresses: 4 non-null each side.
	if got := [6]int64{c.InterfaceRows.Load(), c.InterfaceMissing.Load(), c.SrcRows.Load(), c.SrcMissing.Load(), c.DstRows.Load(), c.DstMissing.Load()}; got != [6]int64{5, 1, 4, 1, 4, 1} {
		t.Errorf("counts %v", got)
	}
	// A column the batch has is not replaced; a second batch of the same schema reuses the plan.
	out2, err := d.New([]flowlog.FieldID{flowlog.FInterfaceID, fInterfaceName})(rec)
	if err != nil {
		t.Fatal(err)
	}
	defer out2.Release()
	if out2.NumCols() != rec.NumCols()+1 {
		t.Errorf("%d columns, want %d", out2.NumCols(), rec.NumCols()+1)
	}
}

// Through the engine: a group-by of an enriched column decodes only what it needs and computes
// only the column read.
func TestDeriveEngine(t *testing.T) {
	inv := loadFixtures(t)
	d, err := NewDeriver(inv, []string{"team"})
	if err != nil {
		t.Fatal(err)
	}
	tagTeam, _ := flowlog.LookupField("tag_team")
	e, err := aggregate.New(aggregate.Config{Derive: d, Specs: []aggregate.Spec{{Name: "by_team", Keys: []aggregate.Key{{Field: tagTeam}},
		Measures: []aggregate.Measure{aggregate.Bytes, aggregate.Flows}}}})
	if err != nil {
		t.Fatal(err)
	}
	need := e.Need()
	var names []string
	for _, f := range need {
		names = append(names, flowlog.Fields[f].Column)
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "bytes,interface_id,log_status,tag_team" {
		t.Errorf("need %v", names)
	}
	if got := e.Derived(); len(got) != 1 || got[0] != tagTeam {
		t.Errorf("derived %v", got)
	}
	w := e.NewWorker()
	rec := decodeBatch(t)
	defer rec.Release()
	if err := w.Add(rec); err != nil {
		t.Fatal(err)
	}
	res, err := e.Merge([]*aggregate.Worker{w})
	if err != nil {
		t.Fatal(err)
	}
	tb := res.Table("by_team")
	got := map[string]int64{}
	for _, g := range tb.Groups() {
		got[tb.KeyOf(g, tagTeam).String()] = tb.Value(g, aggregate.Bytes)
	}
	// payments: 1000+500; platform: 100; unknown interface: null ("-"), 10 bytes. NODATA has no bytes.
	if len(got) != 3 || got["payments"] != 1500 || got["platform"] != 100 || got["-"] != 10 {
		t.Errorf("by team %v", got)
	}
	if d.Counts().SrcRows.Load() != 0 {
		t.Errorf("addresses looked up for a question that reads none")
	}
}
