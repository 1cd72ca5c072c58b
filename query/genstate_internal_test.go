package query

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
)

// TestGenStateRoundTrip: a general group-by's state decodes to a table whose answer is the one of
// the run that wrote it, and every truncation of it is an error, never a panic or a wrong table.
func TestGenStateRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.log")
	os.WriteFile(path, []byte("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"+
		"2 1 eni-a 10.0.0.1 10.0.0.2 1 443 6 2 100 1600000000 1600000060 ACCEPT OK\n"+
		"2 1 eni-a 10.0.0.3 2001:db8::1 1 443 6 2 250 1600000100 1600000160 REJECT OK\n"+
		"2 1 eni-b 10.0.0.1 10.0.0.9 1 53 17 1 60 1600003600 1600003660 ACCEPT OK\n"+
		"2 1 - - - - - - - - 1600003600 1600003660 - NODATA\n"), 0o644)
	sources, err := flowlog.ExpandLocal([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	q := "SELECT interface_id, approx_distinct(srcaddr) AS n, approx_percentile(bytes, 0.5) AS p, max_by(dstaddr, bytes) AS top, " +
		"count(DISTINCT dstport) AS ports, array_agg(protocol) AS protos, avg(bytes) AS a, sum(CASE WHEN action = 'REJECT' THEN bytes END) AS rej, " +
		"min(from_unixtime(start)) AS first FROM t GROUP BY 1 ORDER BY 1"
	plan, err := PlanSQL(q, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	want, err := plan.Run(context.Background(), sources, RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer want.Release()
	var blob []byte
	if _, err := plan.Run(context.Background(), sources, RunOptions{Workers: 1, Partial: func(res *aggregate.Result, _ *flowlog.Stats, _ []flowlog.ObjectError) error {
		blob = res.Blobs[0]
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	tab, err := plan.decodeState(blob)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := plan.finishTable(tab)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if got, w := recordText(rec), recordText(want.Batches[0]); got != w {
		t.Fatalf("decoded state answers\n%s\nwant\n%s", got, w)
	}
	// A shard that read nothing: a table of no groups, whose accumulators write no bytes.
	empty, err := PlanSQL("SELECT approx_distinct(srcaddr) AS n, count_if(action = 'REJECT') AS r, array_agg(protocol) AS p FROM t", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	var eb []byte
	if _, err := empty.Run(context.Background(), nil, RunOptions{Workers: 1, Partial: func(res *aggregate.Result, _ *flowlog.Stats, _ []flowlog.ObjectError) error {
		eb = res.Blobs[0]
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := empty.decodeState(eb); err != nil {
		t.Fatalf("the state of a shard that read nothing: %v", err)
	}
	for k := 0; k < len(blob); k++ {
		if _, err := plan.decodeState(blob[:k]); err == nil {
			t.Fatalf("a state cut at %d of %d bytes decoded", k, len(blob))
		}
	}
}

// recordText writes every value of rec, a row a line.
func recordText(rec interface {
	NumRows() int64
	NumCols() int64
	Column(int) arrow.Array
}) string {
	var b strings.Builder
	for r := 0; r < int(rec.NumRows()); r++ {
		for c := 0; c < int(rec.NumCols()); c++ {
			b.WriteString(rec.Column(c).ValueStr(r) + " ")
		}
		b.WriteByte('\n')
	}
	return b.String()
}
