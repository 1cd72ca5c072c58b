package query

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowlens/flowlens/flowlog"
)

var _ = examples(map[string][]string{
	"lower": {"SELECT lower(action) FROM t WHERE lower(log_status) = 'ok'"},
	"upper": {"SELECT upper(interface_id), count(*) FROM t WHERE upper(action) = 'REJECT' GROUP BY interface_id"},
})

// TestCaseFunctions: lower and upper of each row, null for null, in a select list and a filter.
func TestCaseFunctions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "case.log")
	os.WriteFile(path, []byte(`version interface-id action log-status type
5 eni-AbC ACCEPT OK IPv4
5 eni-def REJECT OK -
5 - reject OK IPv6
`), 0o644)
	src, err := flowlog.ExpandLocal([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	p, err := PlanSQL("SELECT lower(interface_id) AS l, upper(interface_id) AS u, upper(type) AS ty FROM t WHERE lower(action) = 'reject' OR type = 'IPv4'", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(context.Background(), src, RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	var got []string
	for _, rec := range res.Batches {
		for r := 0; r < int(rec.NumRows()); r++ {
			var row []string
			for c := 0; c < int(rec.NumCols()); c++ {
				row = append(row, rec.Column(c).(*array.String).ValueStr(r))
			}
			got = append(got, strings.Join(row, " "))
		}
	}
	want := "eni-abc ENI-ABC IPV4|eni-def ENI-DEF (null)|(null) (null) IPV6"
	if g := strings.Join(got, "|"); g != want {
		t.Errorf("got  %s\nwant %s", g, want)
	}
	if _, err := PlanSQL("SELECT lower(bytes) FROM t", time.UTC); err == nil || !strings.Contains(err.Error(), "lower() takes a varchar, not a bigint") {
		t.Errorf("lower(bytes): %v", err)
	}
}
