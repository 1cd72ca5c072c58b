package query_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/query"
)

// TestSQLTopGroups checks ORDER BY … LIMIT k over many groups against the same query without LIMIT,
// cut to k rows. With LIMIT the planner ranks the groups by the first ORDER BY key alone and
// materialises only those that can make the cut (when that key and HAVING read no group key); the
// data is made so that the cut falls among ties, among nulls and after HAVING.
func TestSQLTopGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var b strings.Builder
	b.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
	for i := range 4000 {
		src := fmt.Sprintf("10.0.%d.%d", rng.IntN(3), rng.IntN(200)) // about 600 sources
		dst := fmt.Sprintf("10.1.0.%d", rng.IntN(4))
		bytes := fmt.Sprint(rng.IntN(5) * 100) // few distinct values: sums tie
		if rng.IntN(10) == 0 || strings.HasSuffix(src, ".7") {
			bytes = "-" // some groups have no bytes at all: sum is NULL
		}
		action := "ACCEPT"
		if rng.IntN(4) == 0 {
			action = "REJECT"
		}
		start := 1764547200 + i*7
		fmt.Fprintf(&b, "2 123 eni-%d %s %s %d 443 6 %d %s %d %d %s OK\n",
			rng.IntN(50), src, dst, 1024+rng.IntN(3), 1+rng.IntN(3), bytes, start, start+60, action)
	}
	path := filepath.Join(t.TempDir(), "many.log")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := flowlog.ExpandLocal([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	queries := []struct {
		q     string
		limit int
	}{
		{"SELECT srcaddr, sum(bytes) AS b FROM t GROUP BY 1 ORDER BY 2 DESC", 5},
		{"SELECT srcaddr, sum(bytes) AS b FROM t GROUP BY 1 ORDER BY 2", 9},    // nulls last either way
		{"SELECT srcaddr, count(*) AS n FROM t GROUP BY 1 ORDER BY n DESC", 7}, // ties: the address decides
		{"SELECT srcaddr, dstaddr, count(*) FROM t GROUP BY 1, 2 ORDER BY 3 DESC, 1 DESC", 11},
		{"SELECT srcaddr, avg(bytes) FROM t GROUP BY 1 ORDER BY 2 DESC", 6},
		{"SELECT srcaddr, sum(bytes) FROM t GROUP BY 1 HAVING count(*) > 8 ORDER BY 2 DESC", 4},
		{"SELECT srcaddr, sum(bytes) FROM t GROUP BY 1 HAVING srcaddr > '10.0.1.0' ORDER BY 2 DESC", 4},
		{"SELECT srcaddr, max(packets) FROM t GROUP BY 1 ORDER BY max(packets) * 10 - count(*), srcaddr", 8},
		{"SELECT srcaddr, srcport, sum(packets) AS p FROM t WHERE action = 'REJECT' GROUP BY 1, 2 ORDER BY p DESC", 10},
		{"SELECT srcaddr, sum(bytes) FROM t GROUP BY 1 ORDER BY srcaddr DESC", 5}, // a key first: no ranking
		{"SELECT srcaddr, sum(bytes) AS b FROM t GROUP BY 1 ORDER BY b DESC", 0},
		{"SELECT srcaddr, count(*) FROM t GROUP BY 1 ORDER BY 2 DESC", 1000}, // more than the groups
	}
	for _, c := range queries {
		for _, w := range []int{1, 2, 3} {
			// 3 workers: the groups ranked 37 at a time (the candidates of each part carried on).
			part := 1 << 16
			if w == 3 {
				part = 37
			}
			restore := query.SetTopPart(part)
			_, all := sqRun(t, src, c.q, nil, w)
			if len(all) < 4*c.limit+64 && c.limit < 1000 {
				t.Fatalf("%s: %d groups, too few for the ranking to be used", c.q, len(all))
			}
			q := fmt.Sprintf("%s LIMIT %d", c.q, c.limit)
			_, got := sqRun(t, src, q, nil, w)
			restore()
			want := all[:min(c.limit, len(all))]
			if len(got) == 0 && len(want) == 0 {
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s (%d workers):\n got %v\nwant %v", q, w, got, want)
			}
		}
	}
}
