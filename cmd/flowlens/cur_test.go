package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/flowlens/flowlens/nat"
	"github.com/flowlens/flowlens/report"
)

const curFixture = "../../testdata/cur/cur2-2026-11-01.csv"

// curWant is the reconciliation of testdata/cur/cur2-2026-11-01.csv (a CUR 2.0 extract written by
// hand, 37 rows) against the transfer section of transferWorld (10:00 to 20:00 on 2026-11-01,
// us-east-1), whose estimates TestTransferHandComputed works out. Billed is the sum of the rows
// compared; the differences are the estimate minus the bill, the percentages of the bill:
//
//	line             estimate          billed rows (hourly, 10:00–20:00)                  bill            difference
//	nat_hours        10 h    $0.45     NatGateway-Hours 10 × (1 h, $0.045)                10 h    $0.45   0 h (0%), $0.00 (0%)
//	nat_bytes        2 GB    $0.09     NatGateway-Bytes 1.2 GB $0.054 + 1.0 GB $0.045     2.2 GB  $0.10   -0.2 GB (-9.09%), -$0.01 (-10%)
//	inter_az         8 GB    $0.08     USE1-DataTransfer-Regional-Bytes, out and in,
//	                                   2 × (4.5 GB, $0.045)                               9 GB    $0.09   -1 GB (-11.11%), -$0.01 (-11.11%)
//	inter_region     14 GB   $0.24     USE1-USW2-AWS-Out-Bytes 10 GB $0.20,
//	                                   USE1-USE2-AWS-Out-Bytes 4 GB $0.04                 14 GB   $0.24   0 GB (0%), $0.00 (0%)
//	internet_egress  150 GB  $13.33    DataTransfer-Out-Bytes (no prefix: us-east-1)
//	                                   60 GB $5.40 + 100 GB $9.00                         160 GB  $14.40  -10 GB (-6.25%), -$1.07 (-1.07/14.40 = -7.43%)
//	transit_gateway  not computed      USE1-TransitGateway-Bytes 5 GB $0.10               5 GB    $0.10   none (no estimate)
//	nat_public_ipv4  10 h    $0.05     USE1-PublicIPv4:InUseAddress 10 × (1 h, $0.005)    10 h    $0.05   0 h (0%), $0.00 (0%)
//
// Over the six lines with both: estimate $14.24, bill 0.45 + 0.10 + 0.09 + 0.24 + 14.40 + 0.05 =
// $15.33, difference -$1.09 (-1.09 / 15.33 = -7.11%). 29 rows compared; 8 left out, each counted
// under its reason: NatGateway-Hours of 20:00–21:00 (outside the period), a daily NatGateway-Bytes
// row (straddles it), EUC1-NatGateway-Hours (another region), USW2-USE1-AWS-In-Bytes,
// DataTransfer-In-Bytes and USE1-BoxUsage:t3.micro (usage types no line estimates), a Credit and a
// Tax row (not usage).
var curWant = map[string]struct {
	qty, cost          float64
	rows               int
	dQty, dQtyPct, dC  float64
	dCPct              float64
	noDiff, noCostPct  bool
	usageTypes         int
	quantityIsComputed bool
}{
	nat.LineNATHours:      {qty: 10, cost: 0.45, rows: 10, usageTypes: 1},
	nat.LineNATBytes:      {qty: 2.2, cost: 0.10, rows: 2, dQty: -0.2, dQtyPct: -9.09, dC: -0.01, dCPct: -10, usageTypes: 1},
	nat.LineInterAZ:       {qty: 9, cost: 0.09, rows: 2, dQty: -1, dQtyPct: -11.11, dC: -0.01, dCPct: -11.11, usageTypes: 1},
	nat.LineInterRegion:   {qty: 14, cost: 0.24, rows: 2, usageTypes: 2},
	nat.LineInternet:      {qty: 160, cost: 14.40, rows: 2, dQty: -10, dQtyPct: -6.25, dC: -1.07, dCPct: -7.43, usageTypes: 1},
	nat.LineTransitGW:     {qty: 5, cost: 0.10, rows: 1, noDiff: true, usageTypes: 1},
	nat.LineNATPublicIPv4: {qty: 10, cost: 0.05, rows: 10, usageTypes: 1},
}

var curLeftOutWant = map[string]int{nat.CUROutsidePeriod: 1, nat.CURStraddles: 1, nat.CUROtherRegion: 1, nat.CUROtherUsageType: 3, nat.CURNotUsage: 2}

func checkReconciled(t *testing.T, label string, tr *nat.TransferDoc) {
	t.Helper()
	if tr == nil || tr.CUR == nil {
		t.Fatalf("%s: no reconciliation: %+v", label, tr)
	}
	c := tr.CUR
	if c.Rows != 37 || c.Compared != 29 {
		t.Errorf("%s: %d rows, %d compared; want 37 and 29", label, c.Rows, c.Compared)
	}
	if c.From != "2026-11-01T10:00:00Z" || c.To != "2026-11-01T20:00:00Z" {
		t.Errorf("%s: period %s to %s", label, c.From, c.To)
	}
	left := map[string]int{}
	for _, x := range c.LeftOut {
		left[x.Reason] += x.Rows
	}
	for r, n := range curLeftOutWant {
		if left[r] != n {
			t.Errorf("%s: %d rows left out as %s, want %d (%+v)", label, left[r], r, n, c.LeftOut)
		}
	}
	if fp(c.EstimateCost) != 14.24 || fp(c.BilledCost) != 15.33 || fp(c.DifferenceCost) != -1.09 || fp(c.DifferencePercent) != -7.11 {
		t.Errorf("%s: totals estimate %v bill %v difference %v (%v%%), want 14.24, 15.33, -1.09, -7.11", label,
			fp(c.EstimateCost), fp(c.BilledCost), fp(c.DifferenceCost), fp(c.DifferencePercent))
	}
	for _, l := range tr.Lines {
		w, ok := curWant[l.Kind]
		b := l.Billed
		if !ok || b == nil {
			t.Errorf("%s: line %s: billed %+v", label, l.Kind, b)
			continue
		}
		if b.Quantity != w.qty || b.Cost != w.cost || b.Rows != w.rows || len(b.UsageTypes) != w.usageTypes {
			t.Errorf("%s: %s billed %v %s $%v in %d rows (%d usage types), want %v, $%v, %d rows, %d", label, l.Kind, b.Quantity, l.Unit, b.Cost, b.Rows, len(b.UsageTypes), w.qty, w.cost, w.rows, w.usageTypes)
		}
		if w.noDiff {
			if b.DifferenceCost != nil || b.DifferenceQuantity != nil || b.Note == "" {
				t.Errorf("%s: %s: a difference without an estimate: %+v", label, l.Kind, b)
			}
			continue
		}
		if fp(b.DifferenceQuantity) != w.dQty || fp(b.DifferenceQuantityPercent) != w.dQtyPct || fp(b.DifferenceCost) != w.dC || fp(b.DifferencePercent) != w.dCPct {
			t.Errorf("%s: %s: difference %v (%v%%), $%v (%v%%); want %v (%v%%), $%v (%v%%)", label, l.Kind,
				fp(b.DifferenceQuantity), fp(b.DifferenceQuantityPercent), fp(b.DifferenceCost), fp(b.DifferencePercent), w.dQty, w.dQtyPct, w.dC, w.dCPct)
		}
	}
}

// TestCURReconciled: the bill beside the estimate, to the cent, from the CUR 2.0 CSV, the same rows
// under the legacy CUR's column names, gzip-compressed, and as Parquet; in cost's JSON, the
// report's transfer section (--cur implies --transfer), the table, CSV and HTML.
func TestCURReconciled(t *testing.T) {
	dir, ranges := transferWorld(t)
	args := func(cur string, more ...string) []string {
		return append(append([]string{"-q", "--nat", "eni-nat", "--ip-ranges", ranges, "--from", "2026-11-01T10:00:00Z", "--to", "2026-11-01T20:00:00Z", "--cur", cur}, more...), dir)
	}
	costJSON := func(cur string) *nat.TransferDoc {
		t.Helper()
		code, out, errOut := flowlens(t, append([]string{"cost", "--format", "json"}, args(cur)...)...)
		if code != 0 {
			t.Fatalf("cost --cur %s: exit %d: %s", cur, code, errOut)
		}
		var rev nat.Review
		if err := json.Unmarshal([]byte(out), &rev); err != nil {
			t.Fatal(err)
		}
		return rev.Transfer
	}
	tr := costJSON(curFixture)
	checkReconciled(t, "CUR 2.0 CSV", tr)
	if tr.CUR.Schema != "CUR 2.0" || tr.CUR.Format != "csv" {
		t.Errorf("schema %q, format %q", tr.CUR.Schema, tr.CUR.Format)
	}

	src, err := os.ReadFile(curFixture)
	if err != nil {
		t.Fatal(err)
	}
	head, body, _ := strings.Cut(string(src), "\n")
	legacy := strings.NewReplacer("line_item_line_item_type", "lineItem/LineItemType", "line_item_product_code", "lineItem/ProductCode",
		"line_item_usage_type", "lineItem/UsageType", "line_item_resource_id", "lineItem/ResourceId", "line_item_usage_start_date", "lineItem/UsageStartDate",
		"line_item_usage_end_date", "lineItem/UsageEndDate", "line_item_usage_amount", "lineItem/UsageAmount", "line_item_unblended_cost", "lineItem/UnblendedCost",
		"product_region_code", "product/regionCode").Replace(head)
	tmp := t.TempDir()
	legacyPath := filepath.Join(tmp, "legacy.csv")
	if err := os.WriteFile(legacyPath, []byte(legacy+"\n"+body), 0o644); err != nil {
		t.Fatal(err)
	}
	tr = costJSON(legacyPath)
	checkReconciled(t, "legacy CUR CSV", tr)
	if tr.CUR.Schema != "legacy CUR" {
		t.Errorf("legacy schema %q", tr.CUR.Schema)
	}
	gz := filepath.Join(tmp, "cur.csv.gz")
	writeGzip(t, gz, src)
	checkReconciled(t, "gzip CSV", costJSON(gz))
	pq := filepath.Join(tmp, "cur.parquet")
	writeCURParquet(t, pq)
	tr = costJSON(pq)
	checkReconciled(t, "Parquet", tr)
	if tr.CUR.Format != "parquet" {
		t.Errorf("format %q", tr.CUR.Format)
	}

	// The report: --cur alone adds the transfer section with its bill.
	var rep report.Report
	if err := json.Unmarshal([]byte(mustRun(t, append([]string{"report", "--format", "json"}, args(curFixture)...)...)), &rep); err != nil {
		t.Fatal(err)
	}
	checkReconciled(t, "report", rep.Transfer)

	text := mustRun(t, append([]string{"cost", "--format", "table"}, args(curFixture)...)...)
	for _, want := range []string{"BILLED 160.000 GB  $14.40  (2 row(s)); estimate − bill: -10.000 GB (-6.25%), -$1.07 (-7.43%)",
		"estimate $14.24, bill $15.33, estimate − bill -$1.09 (-7.11%)", "1 row(s) outside the logs' period not compared",
		"other_usage_type", "USE1-BoxUsage:t3.micro"} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q:\n%s", want, text)
		}
	}
	csvDir := filepath.Join(tmp, "csv")
	mustRun(t, append([]string{"cost", "--format", "csv", "-o", csvDir}, args(curFixture)...)...)
	billed, err := os.ReadFile(filepath.Join(csvDir, "transfer_billed.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(billed), "internet_egress,USE1-DataTransfer-Out-Bytes,GB,150,13.33,160,14.4,2,-10,-6.25,-1.07,-7.43,") {
		t.Errorf("transfer_billed.csv:\n%s", billed)
	}
	for _, name := range []string{"transfer_billed_usage_types.csv", "transfer_cur.csv", "transfer_cur_left_out.csv", "transfer_cur_notes.csv"} {
		if _, err := os.Stat(filepath.Join(csvDir, name)); err != nil {
			t.Error(err)
		}
	}
	html := mustRun(t, append([]string{"cost", "--format", "html"}, args(curFixture)...)...)
	for _, want := range []string{"estimate − bill", "$14.40", "Rows of the report not compared", "-7.43%"} {
		if !strings.Contains(html, want) {
			t.Errorf("html lacks %q", want)
		}
	}
}

// TestCURErrors: a bad extract fails before any log is read, naming the file, the line and the
// column; --estimate refuses --cur.
func TestCURErrors(t *testing.T) {
	dir, _ := transferWorld(t)
	src, err := os.ReadFile(curFixture)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	lines := strings.Split(string(src), "\n")
	lines[4] = strings.Replace(lines[4], ",1,0.045,", ",one,0.045,", 1) // line 5: the amount
	bad := filepath.Join(tmp, "bad.csv")
	os.WriteFile(bad, []byte(strings.Join(lines, "\n")), 0o644)
	noCol := filepath.Join(tmp, "nocol.csv")
	os.WriteFile(noCol, []byte(strings.Replace(string(src), "line_item_unblended_cost", "cost", 1)), 0o644)
	badDate := filepath.Join(tmp, "date.csv")
	lines = strings.Split(string(src), "\n")
	lines[2] = strings.Replace(lines[2], "2026-11-01T11:00:00Z,2026-11-01T12:00:00Z", "11/01/2026 11:00,2026-11-01T12:00:00Z", 1)
	os.WriteFile(badDate, []byte(strings.Join(lines, "\n")), 0o644)
	for path, want := range map[string]string{
		bad:                              "--cur " + bad + `: line 5, column 10 (line_item_usage_amount): "one" is not a number`,
		noCol:                            "--cur " + noCol + ": line 1: no line_item_unblended_cost (legacy lineItem/UnblendedCost) column",
		badDate:                          "--cur " + badDate + `: line 3, column 8 (line_item_usage_start_date): "11/01/2026 11:00" is not a date`,
		filepath.Join(tmp, "absent.csv"): "absent.csv: no such file",
	} {
		code, _, errOut := flowlens(t, "cost", "-q", "--nat", "eni-nat", "--cur", path, dir)
		if code == 0 || !strings.Contains(errOut, want) {
			t.Errorf("--cur %s: exit %d, stderr %q; want %q", filepath.Base(path), code, errOut, want)
		}
	}
	if code, _, errOut := flowlens(t, "cost", "--estimate", "--nat-gb", "10", "--hours", "10", "--cur", curFixture); code != 2 || !strings.Contains(errOut, "--cur") {
		t.Errorf("--estimate --cur: exit %d: %s", code, errOut)
	}
}

// writeCURParquet writes the fixture's rows as a CUR 2.0 Parquet file: the dates as timestamps,
// the amounts as doubles, as Data Exports write them.
func writeCURParquet(t *testing.T, path string) {
	t.Helper()
	c, err := nat.LoadCUR(curFixture)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Type     string    `parquet:"line_item_line_item_type"`
		Product  string    `parquet:"line_item_product_code"`
		Usage    string    `parquet:"line_item_usage_type"`
		Resource string    `parquet:"line_item_resource_id"`
		Start    time.Time `parquet:"line_item_usage_start_date,timestamp(millisecond)"`
		End      time.Time `parquet:"line_item_usage_end_date,timestamp(millisecond)"`
		Amount   float64   `parquet:"line_item_usage_amount"`
		Cost     float64   `parquet:"line_item_unblended_cost"`
		Region   string    `parquet:"product_region_code"`
	}
	var rows []row
	for _, r := range c.Rows {
		rows = append(rows, row{r.LineItemType, r.Product, r.UsageType, r.ResourceID, r.Start, r.End, r.Amount, r.Cost, r.Region})
	}
	if err := parquet.WriteFile(path, rows); err != nil {
		t.Fatal(err)
	}
}

func writeGzip(t *testing.T, path string, data []byte) {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
