// Command reportbench measures the standard report end to end against the floor for gzip input:
// klauspost gunzip alone over the same objects, with the same number of goroutines; and the report
// with its NAT gateway analysis against the report without it (--no-nat).
//
// It generates (once, cached under -data) 8 objects × 2.5 M records in the default layout and the
// same records in the v5 custom layout, then runs, alternating so that machine drift hits both,
// gunzip alone and `flowlens report` (a child process, so that its peak RSS is its own), and prints
// medians: records/s, MB/s of compressed input, the report/gunzip ratio and peak RSS.
//
//	go run ./bench/reportbench -flowlens bin/flowlens
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"

	"github.com/flowlens/flowlens/bench/harness"
	"github.com/flowlens/flowlens/internal/s3test"
)

func main() {
	data := flag.String("data", "bench/data", "directory of the cached data sets")
	bin := flag.String("flowlens", "bin/flowlens", "the flowlens binary to measure")
	records := flag.Int64("records", 20_000_000, "records per data set")
	objects := flag.Int("objects", 8, "objects per data set")
	runs := flag.Int("runs", 5, "runs of each measurement (the median is reported)")
	workers := flag.Int("workers", runtime.GOMAXPROCS(0), "goroutines for both gunzip and flowlens")
	only := flag.String("layouts", "v2,v5", "data sets to measure")
	s3 := flag.Bool("s3", os.Getenv("FLOWLENS_VERSITYGW") != "", "also time the report over s3:// from versitygw on loopback (FLOWLENS_VERSITYGW)")
	flag.Parse()

	fmt.Printf("# flowlens report vs gunzip alone — %d cores (GOMAXPROCS %d), %s, %d records × %d objects, median of %d\n\n",
		runtime.NumCPU(), *workers, runtime.Version(), *records, *objects, *runs)
	fmt.Println("| data set | gzip MB | gunzip alone | flowlens report | report / gunzip | report peak RSS | report --no-nat | with / without NAT analysis |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, name := range strings.Split(*only, ",") {
		ds, err := harness.Ensure(*data, name, *records, *objects)
		if err != nil {
			fail(err)
		}
		dir, files, recs, size := ds.Dir, ds.Files, ds.Records, ds.Bytes
		var gz, rep, noNAT []float64
		var rss []int64
		for i := 0; i < *runs; i++ {
			gz = append(gz, gunzip(files, *workers))
			s, r := report(*bin, dir, *workers, recs)
			rep = append(rep, s)
			rss = append(rss, r)
			s, _ = reportWith(*bin, dir, *workers, recs, nil, "--no-nat")
			noNAT = append(noNAT, s)
		}
		g, r, n := median(gz), median(rep), median(noNAT)
		sort.Slice(rss, func(i, j int) bool { return rss[i] < rss[j] })
		fmt.Printf("| %s | %.0f | %.2f s · %.2f M rec/s · %.0f MB/s | %.2f s · %.2f M rec/s · %.0f MB/s | %.0f %% | %d MB | %.2f s | %.2f |\n",
			name, float64(size)/1e6, g, float64(recs)/g/1e6, float64(size)/g/1e6,
			r, float64(recs)/r/1e6, float64(size)/r/1e6, 100*g/r, rss[len(rss)/2]>>10, n, n/r)
		if *s3 {
			s3Rows = append(s3Rows, s3Compare(*bin, name, dir, recs, *workers, *runs))
		}
	}
	if len(s3Rows) > 0 {
		fmt.Println("\n| data set | report over local files | report over s3:// (versitygw, loopback) | s3 / local throughput |")
		fmt.Println("|---|---|---|---|")
		for _, r := range s3Rows {
			fmt.Println(r)
		}
	}
}

var s3Rows []string

// s3Compare uploads the data set to versitygw on loopback and times the report over s3:// against
// the report over the same files on disk, alternating.
func s3Compare(bin, name, dir string, recs int64, workers, runs int) string {
	srv, err := s3test.Start()
	if err != nil || srv == nil {
		fail(fmt.Errorf("cannot start versitygw (FLOWLENS_VERSITYGW): %v", err))
	}
	defer srv.Stop()
	if err := srv.Upload("bench", "", dir); err != nil {
		fail(err)
	}
	tmp, _ := os.MkdirTemp("", "reportbench-")
	defer os.RemoveAll(tmp)
	env := os.Environ()
	for k, v := range s3test.Env(tmp) {
		env = append(env, k+"="+v)
	}
	var local, remote []float64
	for i := 0; i < runs; i++ {
		s, _ := report(bin, dir, workers, recs)
		local = append(local, s)
		s, _ = reportWith(bin, "s3://bench/", workers, recs, env, "--endpoint-url", srv.URL)
		remote = append(remote, s)
	}
	l, r := median(local), median(remote)
	return fmt.Sprintf("| %s | %.2f s · %.2f M rec/s | %.2f s · %.2f M rec/s | %.2f |", name, l, float64(recs)/l/1e6, r, float64(recs)/r/1e6, l/r)
}

// gunzip decompresses every object with n goroutines (harness.Gunzip) and returns seconds.
func gunzip(files []string, n int) float64 {
	secs, _, err := harness.Gunzip(files, n)
	if err != nil {
		fail(err)
	}
	return secs
}

// report runs flowlens report over dir and returns its seconds and peak RSS in KiB.
func report(bin, dir string, workers int, wantLines int64) (float64, int64) {
	return reportWith(bin, dir, workers, wantLines, nil)
}

func reportWith(bin, src string, workers int, wantLines int64, env []string, extra ...string) (float64, int64) {
	args := append([]string{"report", "--quiet", "--format", "json", "--workers", fmt.Sprint(workers)}, extra...)
	r, err := harness.Exec(env, bin, append(args, src)...)
	if err != nil {
		fail(err)
	}
	var doc struct {
		Input struct {
			Lines   int64 `json:"lines"`
			Headers int64 `json:"headers"`
		} `json:"input"`
	}
	if err := json.Unmarshal(r.Stdout, &doc); err != nil || doc.Input.Lines-doc.Input.Headers != wantLines {
		fail(fmt.Errorf("%s report read %d lines, want %d (%v)", bin, doc.Input.Lines-doc.Input.Headers, wantLines, err))
	}
	return r.Seconds, r.RSS >> 10
}

func median(v []float64) float64 { return harness.Median(v) }

func fail(err error) {
	fmt.Fprintln(os.Stderr, "reportbench:", err)
	os.Exit(1)
}
