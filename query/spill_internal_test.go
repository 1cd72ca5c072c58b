package query

import (
	"fmt"
	"math"
	"net/netip"
	"os"
	"testing"
)

// TestRunRoundTrip writes rows of every column type as a run and reads them back: values, nulls,
// IPv4 against IPv4-mapped IPv6 (which sort apart), zones, empty strings, NaN, across blocks.
func TestRunRoundTrip(t *testing.T) {
	defer SetSpillDir(t.TempDir())()
	b := &memBudget{}
	types := []typ{tInt, tFloat, tStr, tAddr, tTime, tBool}
	src := []*vec{{t: tInt}, {t: tFloat}, {t: tStr}, {t: tAddr}, {t: tTime}, {t: tBool}}
	const n = 2*runBlockRows + 17
	addrs := []netip.Addr{{}, netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("::ffff:10.0.0.1"),
		netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("fe80::1%eth0")}
	for _, v := range src {
		v.reset(v.t, n)
	}
	for k := range n {
		src[0].i[k] = int64(k*7919%1000) - 500
		src[1].f[k] = float64(k) / 3
		if k%11 == 0 {
			src[1].f[k] = math.NaN()
		}
		src[2].s[k] = fmt.Sprintf("s%d", k%13)
		if k%5 == 0 {
			src[2].s[k] = ""
		}
		src[3].a[k] = addrs[k%len(addrs)]
		src[4].i[k] = 1793577599 + int64(k)
		src[5].i[k] = int64(k % 2)
		for c, v := range src {
			if (k+c)%9 == 0 {
				v.nulls()[k] = true
			}
		}
	}
	rs := newRowSet(types, b)
	idx := make([]int32, n)
	for k := range idx {
		idx[k] = int32(k)
	}
	rs.ensure(n, 1<<16, false)
	for c, v := range src {
		rs.appendCol(c, v, idx)
	}
	rs.commit(n)
	sh := newSortShared([]bool{false}, len(types)-1, -1, b)
	if err := sh.writeRun(rs, idx); err != nil {
		t.Fatal(err)
	}
	defer sh.spill.remove()
	run := sh.spill.runs[0]
	if run.rows != n {
		t.Fatalf("run of %d rows, want %d", run.rows, n)
	}
	rd, err := openRun(run, b)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.close()
	got := newRowSet(run.types, b)
	k := 0
	for {
		more, err := rd.next(got)
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
		for r := range got.n {
			for c, v := range src {
				g := got.v[c]
				same := g.isNull(r) == v.isNull(k)
				if same && !v.isNull(k) {
					switch v.t {
					case tFloat:
						same = math.Float64bits(g.f[r]) == math.Float64bits(v.f[k])
					case tStr:
						same = g.s[r] == v.s[k]
					case tAddr:
						same = g.a[r] == v.a[k]
					default:
						same = g.i[r] == v.i[k]
					}
				}
				if !same {
					t.Fatalf("row %d column %d (%s) differs after the round trip", k, c, v.t)
				}
			}
			k++
		}
	}
	if k != n {
		t.Fatalf("read %d rows back, want %d", k, n)
	}
	if err := sh.spill.remove(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(spillParent); len(ents) != 0 {
		t.Errorf("%d entries left in the spill directory", len(ents))
	}
}
