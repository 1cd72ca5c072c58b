// Command compare is the side-by-side benchmark of flowlens against DuckDB (the peer engine): the
// same questions over the same flow logs, as gzip text and as their Parquet conversion, with the
// same number of threads, answers checked equal, and gunzip alone over the same objects as the floor
// for text input. It writes bench/RESULTS.md (machine, versions, data sets, medians, ratios and the
// issue's targets); the harness writes the numbers, not a person.
//
//	go run ./bench/compare                       # the full run: 20 M records, v2 and v5, median of 5
//	go run ./bench/compare -records 2000000 -runs 1 -data /tmp/cmp -out /tmp/cmp/RESULTS.md
//
// It generates (once, cached under -data, via bench/harness) 8 objects × 2.5 M records in the
// default layout (v2) and the same records in the v5 custom layout, converts each once to Parquet
// (`flowlens convert --partition day`), and installs DuckDB once from the npm registry as the package
// @duckdb/node-api (the newest version offered) with the machine's node and npm into -duckdb-dir,
// outside the repository (default ${XDG_CACHE_HOME:-$HOME/.cache}/flowlens-bench/duckdb).
// duckdb.mjs, beside this file, runs statements in an in-memory DuckDB with `SET threads = N` and
// prints their results as JSON. DuckDB reads the text with read_csv (every column named and typed,
// '-' as null, log-status OK only, as flowlens's table holds) and the Parquet with read_parquet.
//
// The questions: top 20 interfaces by bytes, bytes per hour, reject totals, top 20 rejected
// sources and top 20 conversations (`flowlens sql --workers N` against one DuckDB statement), and
// the standard report (one `flowlens report --no-nat --format json` against the equivalent DuckDB
// statements run one after the other in one DuckDB process, each reading the files). With
// -flowlens-isal the report over gzip text also runs with that binary (an ISA-L build), so that one
// run measures the pure-Go and the ISA-L targets. The two sides
// run alternately, flowlens then DuckDB, -runs times; the medians are reported, with each side's
// peak RSS (the child process's rusage; for DuckDB the node process). Any difference between the
// answers stops the run with both answers printed, and nothing is written.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/flowlens/flowlens/bench/harness"
)

// options are the command-line flags.
type options struct {
	data, bin, out, duckDir string
	isalBin                 string // a second flowlens, built with ISA-L, for the report over text
	records                 int64
	objects, runs, workers  int
	layouts, only, inputs   string
}

// measured is one question over one input format: each side's runs.
type measured struct {
	question, input string
	inBytes         int64 // bytes of the input as stored (gzip or Parquet)
	fl, dk          []harness.Run
}

// layoutResult is everything measured over one data set.
type layoutResult struct {
	ds        *harness.DataSet
	pq        *harness.Parquet
	gunzip    []float64 // klauspost, -workers goroutines
	gunzipCPU []float64
	isal      []float64 // igzip processes, when measured
	isalCPU   []float64
	isalNote  string // why the ISA-L floor was not measured
	questions []*measured
}

func main() {
	var o options
	flag.StringVar(&o.data, "data", "bench/data", "directory of the cached data sets")
	flag.StringVar(&o.bin, "flowlens", "bin/flowlens", "the flowlens binary to measure")
	flag.StringVar(&o.isalBin, "flowlens-isal", "", "a flowlens binary built with ISA-L (-tags isal): also answers every question over gzip text, beside -flowlens")
	flag.Int64Var(&o.records, "records", 20_000_000, "records per data set")
	flag.IntVar(&o.objects, "objects", 8, "objects per data set")
	flag.IntVar(&o.runs, "runs", 5, "runs of each measurement (the median is reported)")
	flag.IntVar(&o.workers, "workers", 2, "threads of both engines (flowlens --workers, DuckDB SET threads) and gunzip goroutines")
	flag.StringVar(&o.layouts, "layouts", "v2,v5", "data sets to measure (v2, v5, v2-random)")
	flag.StringVar(&o.only, "only", "", "run only the questions whose name contains this (\"report\", \"interfaces\", …)")
	flag.StringVar(&o.inputs, "inputs", "text,parquet", "inputs to measure (text: the gzip text, parquet: its conversion)")
	flag.StringVar(&o.out, "out", "bench/RESULTS.md", "the results file (written atomically)")
	flag.StringVar(&o.duckDir, "duckdb-dir", defaultDuckDir(), "where DuckDB (npm @duckdb/node-api) is installed, outside the repository")
	flag.Parse()
	if o.runs < 1 || o.workers < 1 {
		fail(fmt.Errorf("-runs and -workers must be at least 1"))
	}

	env, err := environment(o)
	if err != nil {
		fail(err)
	}
	pkg, err := ensureDuckDB(o.duckDir)
	if err != nil {
		fail(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		fail(fmt.Errorf("node is not on PATH: %v", err))
	}
	script, err := scriptPath()
	if err != nil {
		fail(err)
	}
	d := &duck{node: node, script: script, dir: o.duckDir, threads: o.workers}
	_, v, err := d.run([]statement{{Name: "version", SQL: "SELECT 1"}})
	if err != nil {
		fail(err)
	}
	env.duckdb = fmt.Sprintf("DuckDB %s (npm %s %s)", v.Version, duckPackage, pkg)
	fmt.Fprintf(os.Stderr, "%s; %s; %s\n", env.flowlens, env.duckdb, env.node)

	var results []*layoutResult
	for _, name := range strings.Split(o.layouts, ",") {
		r, err := measureLayout(o, d, env, strings.TrimSpace(name))
		if err != nil {
			fail(err)
		}
		results = append(results, r)
	}
	if err := harness.WriteFileAtomic(o.out, []byte(render(o, env, results))); err != nil {
		fail(fmt.Errorf("writing %s: %w", o.out, err))
	}
	fmt.Fprintf(os.Stderr, "wrote %s\n", o.out)
}

// measureLayout prepares one data set and measures every question over it.
func measureLayout(o options, d *duck, env *environ, name string) (*layoutResult, error) {
	l := harness.Layouts[name]
	if l == nil {
		return nil, fmt.Errorf("-layouts: unknown data set %q (v2, v5, v2-random)", name)
	}
	ds, err := harness.Ensure(o.data, name, o.records, o.objects)
	if err != nil {
		return nil, fmt.Errorf("generating the %s data set under %s: %w", name, o.data, err)
	}
	pq, err := harness.EnsureParquet(o.bin, ds)
	if err != nil {
		return nil, fmt.Errorf("converting %s to Parquet: %w", ds.Dir, err)
	}
	res := &layoutResult{ds: ds, pq: pq}
	inputs := []struct {
		name, dir, src string
		bytes          int64
	}{
		{"gzip text", ds.Dir, textSource(ds.Dir, l), ds.Bytes},
		{"Parquet", pq.Dir, parquetSource(pq.Dir), pq.Bytes},
	}
	floorDone := false
	for _, in := range inputs {
		if !strings.Contains(o.inputs, strings.Fields(strings.ToLower(in.name))[len(strings.Fields(in.name))-1]) {
			continue
		}
		for _, q := range questions {
			if !strings.Contains(q.name, o.only) {
				continue
			}
			m := &measured{question: q.name, input: in.name, inBytes: in.bytes}
			// The ISA-L build answers the single questions over gzip text too, beside the same DuckDB runs.
			var qi *measured
			if o.isalBin != "" && in.name == "gzip text" {
				qi = &measured{question: q.name + ", ISA-L build", input: in.name, inBytes: in.bytes}
			}
			for i := 0; i < o.runs; i++ {
				fmt.Fprintf(os.Stderr, "%s, %s, %s: run %d of %d\n", name, in.name, q.name, i+1, o.runs)
				sqlRun := func(bin string) (harness.Run, error) {
					return harness.Exec(nil, bin, "sql", "--quiet", "--format", "csv", "--workers", fmt.Sprint(o.workers), q.flowlens, in.dir)
				}
				fr, err := sqlRun(o.bin)
				if err != nil {
					return nil, err
				}
				var ir harness.Run
				if qi != nil {
					if ir, err = sqlRun(o.isalBin); err != nil {
						return nil, err
					}
				}
				dr, dres, err := d.run([]statement{{Name: q.name, SQL: withSource(q.duck, in.src)}})
				if err != nil {
					return nil, err
				}
				ft, err := parseCSV(fr.Stdout, q.hourCol)
				if err != nil {
					return nil, fmt.Errorf("%s over %s: %w", q.name, in.dir, err)
				}
				dt, err := duckTable(dres.Results[0].Columns, dres.Results[0].Rows)
				if err != nil {
					return nil, fmt.Errorf("%s over %s: %w", q.name, in.dir, err)
				}
				if err := compare(fmt.Sprintf("%s, %s over %s", name, q.name, in.name), ft, dt, q.check); err != nil {
					return nil, err
				}
				m.fl, m.dk = append(m.fl, fr), append(m.dk, dr)
				if qi != nil {
					it, err := parseCSV(ir.Stdout, q.hourCol)
					if err != nil {
						return nil, fmt.Errorf("%s over %s (ISA-L build): %w", q.name, in.dir, err)
					}
					if err := compare(fmt.Sprintf("%s, %s over %s (ISA-L build)", name, q.name, in.name), it, dt, q.check); err != nil {
						return nil, err
					}
					qi.fl, qi.dk = append(qi.fl, ir), append(qi.dk, dr)
				}
			}
			res.questions = append(res.questions, m)
			if qi != nil {
				res.questions = append(res.questions, qi)
			}
		}
		if !strings.Contains(reportQuestion, o.only) {
			continue
		}
		m := &measured{question: reportQuestion, input: in.name, inBytes: in.bytes}
		var isal *measured // the ISA-L build's runs, beside the same DuckDB runs
		if o.isalBin != "" && in.name == "gzip text" {
			isal = &measured{question: reportISAL, input: in.name, inBytes: in.bytes}
		}
		stmts := reportStatements(in.src, false)
		once := &measured{question: reportLoadOnce, input: in.name, inBytes: in.bytes}
		onceStmts := reportStatements(in.src, true)
		for i := 0; i < o.runs; i++ {
			fmt.Fprintf(os.Stderr, "%s, %s, %s: run %d of %d\n", name, in.name, reportQuestion, i+1, o.runs)
			if in.name == "gzip text" {
				if err := res.floors(o, env); err != nil {
					return nil, err
				}
				floorDone = true
			}
			report := func(bin string) (harness.Run, error) {
				return harness.Exec(nil, bin, "report", "--no-nat", "--quiet", "--format", "json", "--top", fmt.Sprint(reportTop), "--workers", fmt.Sprint(o.workers), in.dir)
			}
			fr, err := report(o.bin)
			if err != nil {
				return nil, err
			}
			var ir harness.Run
			if isal != nil {
				if ir, err = report(o.isalBin); err != nil {
					return nil, err
				}
			}
			dr, dres, err := d.run(stmts)
			if err != nil {
				return nil, err
			}
			what := fmt.Sprintf("%s, %s over %s", name, reportQuestion, in.name)
			if err := compareReport(what, fr.Stdout, dres, in.name == "gzip text", ds.Records); err != nil {
				return nil, err
			}
			m.fl, m.dk = append(m.fl, fr), append(m.dk, dr)
			or, ores, err := d.run(onceStmts)
			if err != nil {
				return nil, err
			}
			ores.Results = ores.Results[1:] // the load answers nothing
			if err := compareReport(what+" (DuckDB loads once)", fr.Stdout, ores, in.name == "gzip text", ds.Records); err != nil {
				return nil, err
			}
			once.fl, once.dk = append(once.fl, fr), append(once.dk, or)
			if isal != nil {
				if err := compareReport(what+" (ISA-L build)", ir.Stdout, dres, true, ds.Records); err != nil {
					return nil, err
				}
				isal.fl, isal.dk = append(isal.fl, ir), append(isal.dk, dr)
			}
		}
		res.questions = append(res.questions, m, once)
		if isal != nil {
			res.questions = append(res.questions, isal)
		}
	}
	if !floorDone {
		for i := 0; i < o.runs; i++ {
			if err := res.floors(o, env); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

// floors times gunzip alone over the data set's objects: klauspost on -workers goroutines and,
// when an ISA-L build of flowlens is measured, igzip (ISA-L's command) as -workers processes.
func (r *layoutResult) floors(o options, env *environ) error {
	s, cpu, err := harness.Gunzip(r.ds.Files, o.workers)
	if err != nil {
		return err
	}
	r.gunzip = append(r.gunzip, s)
	r.gunzipCPU = append(r.gunzipCPU, cpu)
	if !strings.Contains(env.flowlens, "ISA-L") && env.flowlensISAL == "" {
		r.isalNote = "not measured: no flowlens binary built with ISA-L (`flowlens version`; -flowlens-isal)"
		return nil
	}
	igzip, err := exec.LookPath("igzip")
	if err != nil {
		r.isalNote = "not measured: the binary reports ISA-L but igzip (Debian package isal) is not on PATH"
		return nil
	}
	cpu0 := harness.CPUSeconds(syscall.RUSAGE_CHILDREN)
	s, err = igzipAll(igzip, r.ds.Files, o.workers)
	if err != nil {
		return err
	}
	r.isal = append(r.isal, s)
	r.isalCPU = append(r.isalCPU, harness.CPUSeconds(syscall.RUSAGE_CHILDREN)-cpu0)
	return nil
}

// igzipAll decompresses every file with `igzip -d -c` to /dev/null, n processes at a time.
func igzipAll(igzip string, files []string, n int) (float64, error) {
	began := time.Now()
	next := make(chan string, len(files))
	for _, f := range files {
		next <- f
	}
	close(next)
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			for f := range next {
				// Output to /dev/null: held in the harness it would also raise every later child's
				// peak RSS (see harness.Exec).
				cmd := exec.Command(igzip, "-d", "-c", f)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Run(); err != nil {
					errs <- fmt.Errorf("igzip -d -c %s: %v: %.200s", f, err, stderr.Bytes())
					return
				}
			}
			errs <- nil
		}()
	}
	var first error
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return time.Since(began).Seconds(), first
}

// compareReport checks flowlens's JSON report against DuckDB's statements, section by section,
// and that the report read every record of the data set.
func compareReport(what string, out []byte, dres *duckResult, text bool, records int64) error {
	fl, doc, err := reportTables(out)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if text && doc.Input.Lines-doc.Input.Headers != records {
		return fmt.Errorf("%s: flowlens's report read %d lines, want %d", what, doc.Input.Lines-doc.Input.Headers, records)
	}
	for i, s := range reportSections {
		r := dres.Results[i]
		dt, err := duckTable(r.Columns, r.Rows)
		if err != nil {
			return fmt.Errorf("%s, %s: %w", what, s.name, err)
		}
		if s.name == "interfaces_by_reject_ratio" {
			if err := withRatio(dt); err != nil {
				return fmt.Errorf("%s, %s: %w", what, s.name, err)
			}
		}
		ft := fl[s.name]
		if ft == nil {
			return fmt.Errorf("%s: no section %s in flowlens's report", what, s.name)
		}
		if err := compare(what+", "+s.name, ft, dt, s.check); err != nil {
			return err
		}
	}
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "compare:", err)
	os.Exit(1)
}
