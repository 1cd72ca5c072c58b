// Command querybench times analysts' queries (flowlens sql) over the gzip text of a generated data
// set and over the same records converted to a Parquet dataset (flowlens convert), alternating runs
// so that machine drift hits both, and checks that both give the same answer. It prints medians:
// seconds, records/s, peak RSS and the Parquet speed-up.
//
//	go run ./bench/querybench -flowlens bin/flowlens
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/flowlens/flowlens/bench/harness"
)

// queries are what analysts ask of a day of flow logs.
var queries = []struct{ name, sql string }{
	{"top 20 interfaces by bytes", "SELECT interface_id, sum(bytes) AS bytes FROM t GROUP BY 1 ORDER BY 2 DESC LIMIT 20"},
	{"bytes per hour", "SELECT date_trunc('hour', from_unixtime(start)) AS hour, sum(bytes) AS bytes, count(*) AS flows FROM t GROUP BY 1 ORDER BY 1"},
	{"top rejected sources", "SELECT srcaddr, count(*) AS flows FROM t WHERE action = 'REJECT' GROUP BY 1 ORDER BY 2 DESC LIMIT 20"},
	{"HTTPS packets by destination", "SELECT SUM(packets) AS packetcount, dstaddr FROM t WHERE dstport = 443 GROUP BY dstaddr ORDER BY packetcount DESC LIMIT 10"},
	{"top 20 conversations", "SELECT srcaddr, dstaddr, sum(bytes) AS bytes FROM t GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 20"},
	{"totals", "SELECT count(*) AS flows, sum(bytes) AS bytes FROM t"},
}

func main() {
	data := flag.String("data", "bench/data", "directory of the cached data sets")
	bin := flag.String("flowlens", "bin/flowlens", "the flowlens binary to measure")
	records := flag.Int64("records", 20_000_000, "records per data set")
	objects := flag.Int("objects", 8, "objects per data set")
	runs := flag.Int("runs", 5, "runs of each measurement (the median is reported)")
	workers := flag.Int("workers", runtime.GOMAXPROCS(0), "goroutines")
	only := flag.String("layouts", "v2", "data sets to measure")
	match := flag.String("only", "", "run the queries whose name contains this")
	flag.Parse()

	fmt.Printf("# flowlens sql over gzip text vs over its Parquet conversion — %d cores (GOMAXPROCS %d), %s, %d records × %d objects, median of %d\n\n",
		runtime.NumCPU(), *workers, runtime.Version(), *records, *objects, *runs)
	for _, name := range strings.Split(*only, ",") {
		ds, err := harness.Ensure(*data, name, *records, *objects)
		if err != nil {
			fail(err)
		}
		p, err := harness.EnsureParquet(*bin, ds)
		if err != nil {
			fail(err)
		}
		pq, pqBytes := p.Dir, p.Bytes
		fmt.Printf("%s: %.0f MB of gzip text, %.0f MB of Parquet (zstd)\n\n", name, float64(ds.Bytes)/1e6, float64(pqBytes)/1e6)
		fmt.Println("| query | over gzip text | over Parquet | Parquet speed-up | peak RSS text / Parquet |")
		fmt.Println("|---|---|---|---|---|")
		var speedups []float64
		for _, q := range queries {
			if *match != "" && !strings.Contains(q.name, *match) {
				continue
			}
			args := func(src string) []string {
				return []string{"sql", "--quiet", "--format", "csv", "--workers", fmt.Sprint(*workers), q.sql, src}
			}
			var ts, ps []float64
			var tr, pr []int64
			var want []byte
			for i := 0; i < *runs; i++ {
				t, err := harness.Exec(nil, *bin, args(ds.Dir)...)
				if err != nil {
					fail(err)
				}
				p, err := harness.Exec(nil, *bin, args(pq)...)
				if err != nil {
					fail(err)
				}
				if !bytes.Equal(t.Stdout, p.Stdout) {
					fail(fmt.Errorf("%s: the answers over text and over Parquet differ:\n%s\n%s", q.name, t.Stdout, p.Stdout))
				}
				if want != nil && !bytes.Equal(want, t.Stdout) {
					fail(fmt.Errorf("%s: the answer changed between runs", q.name))
				}
				want = t.Stdout
				ts, ps = append(ts, t.Seconds), append(ps, p.Seconds)
				tr, pr = append(tr, t.RSS), append(pr, p.RSS)
			}
			t, p := harness.Median(ts), harness.Median(ps)
			speedups = append(speedups, t/p)
			rate := func(s float64) float64 { return float64(ds.Records) / s / 1e6 }
			fmt.Printf("| %s | %.2f s · %.2f M rec/s | %.2f s · %.2f M rec/s | %.1f× | %d / %d MB |\n",
				q.name, t, rate(t), p, rate(p), t/p, harness.MedianInt(tr)>>20, harness.MedianInt(pr)>>20)
		}
		if len(speedups) > 0 {
			fmt.Printf("\nmedian speed-up over the queries: %.1f×\n\n", harness.Median(speedups))
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "querybench:", err)
	os.Exit(1)
}
