package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/flowlens/flowlens/bench/harness"
)

// environ is the machine and the versions, for the results.
type environ struct {
	cores                     int
	cpu, memory               string
	goVersion, flowlens, node string
	flowlensISAL              string // `flowlens version` of -flowlens-isal, if given
	duckdb                    string
	loadStart                 string
}

// loadAvg is the first three fields of /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}

// environment reads the machine (/proc/cpuinfo, /proc/meminfo) and the versions of the tools.
func environment(o options) (*environ, error) {
	e := &environ{cores: runtime.NumCPU(), cpu: "unknown", memory: "unknown", goVersion: runtime.Version(), loadStart: loadAvg()}
	if v := procField("/proc/cpuinfo", "model name"); v != "" {
		e.cpu = v
	}
	if v := procField("/proc/meminfo", "MemTotal"); v != "" {
		var kb int64
		if _, err := fmt.Sscanf(v, "%d kB", &kb); err == nil {
			e.memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	out, err := exec.Command(o.bin, "version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s version: %v (build it: go build -o bin/flowlens ./cmd/flowlens)", o.bin, err)
	}
	e.flowlens = strings.TrimSpace(string(out))
	if o.isalBin != "" {
		out, err := exec.Command(o.isalBin, "version").Output()
		if err != nil {
			return nil, fmt.Errorf("%s version: %v (build it: make build, with libisal-dev installed)", o.isalBin, err)
		}
		e.flowlensISAL = strings.TrimSpace(string(out))
		if !strings.Contains(e.flowlensISAL, "ISA-L") {
			return nil, fmt.Errorf("-flowlens-isal %s is not an ISA-L build: %s", o.isalBin, e.flowlensISAL)
		}
	}
	out, err = exec.Command("node", "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("node --version: %v (install Node.js)", err)
	}
	e.node = "node " + strings.TrimSpace(string(out))
	return e, nil
}

// procField returns the value of the first "key: value" line of a /proc file with that key.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// medians of one measured question.
type medians struct {
	fl, dk       float64 // seconds
	flRSS, dkRSS int64   // bytes
	flCPU, dkCPU float64 // user + system seconds
}

func (m *measured) medians() medians {
	var fs, ds, fc, dc []float64
	var fr, dr []int64
	for i := range m.fl {
		fs, ds = append(fs, m.fl[i].Seconds), append(ds, m.dk[i].Seconds)
		fc, dc = append(fc, m.fl[i].CPU), append(dc, m.dk[i].CPU)
		fr, dr = append(fr, m.fl[i].RSS), append(dr, m.dk[i].RSS)
	}
	return medians{harness.Median(fs), harness.Median(ds), harness.MedianInt(fr), harness.MedianInt(dr), harness.Median(fc), harness.Median(dc)}
}

// render writes the results as Markdown.
func render(o options, e *environ, rs []*layoutResult) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# flowlens against DuckDB\n\n")
	p("Written by `go run ./bench/compare %s` on %s; do not edit by hand, run it again. ",
		strings.Join(os.Args[1:], " "), time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	runs := fmt.Sprintf("median of %d runs each", o.runs)
	if o.runs == 1 {
		runs = "one run each (no median)"
	}
	p("Both engines run with %d threads (`flowlens --workers %d`, DuckDB `SET threads = %d`), alternately "+
		"(flowlens, then DuckDB), %s; every answer of each run was checked equal on both sides. "+
		"Times are wall-clock seconds of the child process, start-up included (for DuckDB, the node process that "+
		"loads it); CPU is the child's user and system seconds, which other processes on a shared machine disturb less than "+
		"the wall clock; peak RSS is the child's rusage. Records/s counts every record line of the data set "+
		"(NODATA and SKIPDATA included); MB/s is of the input as stored (gzip or Parquet).\n\n", o.workers, o.workers, o.workers, runs)

	p("## Machine\n\n- %d cores: %s\n- memory: %s\n- load average (1, 5, 15 min) at the start: %s; at the end: %s "+
		"(other processes on the machine compete with both engines alike)\n- the harness's own peak RSS: %d MB "+
		"(Linux starts a child's peak RSS at its parent's, so no peak RSS below this can be measured)\n\n",
		e.cores, e.cpu, e.memory, e.loadStart, loadAvg(), harness.HarnessPeakRSS()>>20)
	p("## Versions\n\n- Go (harness): %s\n- flowlens: `%s`\n", e.goVersion, e.flowlens)
	if e.flowlensISAL != "" {
		p("- flowlens, ISA-L build (the report over gzip text, `%s`): `%s`\n", reportISAL, e.flowlensISAL)
	}
	p("- %s\n- %s\n\n", e.duckdb, e.node)

	p("## Data sets\n\n")
	p("Generated by flowlog/synth (seed 1, one day, %d objects); Parquet by `flowlens convert --partition day` (zstd).\n\n", o.objects)
	p("| data set | records | gzip MB | Parquet MB |\n|---|---|---|---|\n")
	for _, r := range rs {
		p("| %s | %s | %.0f | %.0f |\n", layoutName(r.ds.Name), thousands(r.ds.Records), mb(r.ds.Bytes), mb(r.pq.Bytes))
	}
	p("\n")

	p("## DuckDB's side\n\n")
	p("Text: `read_csv('DIR/*.log.gz', delim=' ', header=true, nullstr='-', quote='', escape='', auto_detect=false, " +
		"columns={…every field of the layout, typed as flowlens types it: VARCHAR, USMALLINT ports, UTINYINT protocol, " +
		"INTEGER, BIGINT counters and times…})`, records with `log_status = 'OK'` only (flowlens's table holds those). " +
		"Parquet: `read_parquet('DIR/**/*.parquet', hive_partitioning=true)`, the same filter. " +
		"The single questions are one statement each (the SQL below, `t` being that table expression). " +
		"The standard report is `flowlens report --no-nat --format json --top 20` against these DuckDB statements, " +
		"run one after the other in one process, each reading the files: ")
	var names []string
	for _, s := range reportSections {
		names = append(names, s.name)
	}
	p("%s (totals with the reject totals and the time span; interfaces with each one's peak hour, first and last seen). ", strings.Join(names, ", "))
	p("That row keeps DuckDB re-reading the files for every statement; the row \"%s\" is DuckDB used as its users would: "+
		"`CREATE TEMP TABLE %s AS SELECT %s FROM …` once, then the same statements over that table, the load counted in its time.\n\n",
		reportLoadOnce, loadOnceTable, loadOnceColumns)
	p("| question | flowlens sql |\n|---|---|\n")
	for _, q := range questions {
		p("| %s | `%s` |\n", q.name, q.flowlens)
	}
	p("\n")

	for _, r := range rs {
		g := harness.Median(r.gunzip)
		p("## %s\n\n", layoutName(r.ds.Name))
		gc := harness.Median(r.gunzipCPU)
		p("Floor for text input, gunzip alone over the same objects (klauspost/compress, %d goroutines): %s; %.2f s of CPU.\n", o.workers, rate(g, r.ds.Records, r.ds.Bytes), gc)
		if len(r.isal) > 0 {
			p("ISA-L gunzip alone (igzip, %d processes): %s; %.2f s of CPU.\n", o.workers, rate(harness.Median(r.isal), r.ds.Records, r.ds.Bytes), harness.Median(r.isalCPU))
		} else {
			p("ISA-L gunzip floor: %s.\n", r.isalNote)
		}
		p("\n| question | input | flowlens | DuckDB | flowlens / DuckDB throughput | CPU s flowlens / DuckDB | flowlens / gunzip (wall; CPU) | peak RSS flowlens / DuckDB |\n|---|---|---|---|---|---|---|---|\n")
		for _, m := range r.questions {
			md := m.medians()
			floor := "—"
			if m.input == "gzip text" {
				floor = fmt.Sprintf("%.0f %%; %.0f %%", 100*g/md.fl, 100*gc/md.flCPU)
				if strings.HasSuffix(m.question, "ISA-L build") && len(r.isal) > 0 {
					floor += fmt.Sprintf(" (of igzip: %.0f %%; %.0f %%)", 100*harness.Median(r.isal)/md.fl, 100*harness.Median(r.isalCPU)/md.flCPU)
				}
			}
			p("| %s | %s | %s | %s | %.2f× | %.2f / %.2f (%.2f×) | %s | %d / %d MB (%.2f) |\n", m.question, m.input,
				rate(md.fl, r.ds.Records, m.inBytes), rate(md.dk, r.ds.Records, m.inBytes),
				md.dk/md.fl, md.flCPU, md.dkCPU, md.dkCPU/md.flCPU, floor, md.flRSS>>20, md.dkRSS>>20, float64(md.flRSS)/float64(md.dkRSS))
		}
		p("\n")
	}

	p("## Against the targets\n\n")
	p("The targets of the performance work (docs/performance.md): pure Go, top 20 interfaces and conversations ≥ 1.5× DuckDB, " +
		"the standard report ≥ 2× DuckDB loading once, single small questions ≥ 85 %% of klauspost gunzip alone; ISA-L build, " +
		"single questions ≥ 3× DuckDB, the report ≥ 3× DuckDB loading once, single small questions ≥ 40 %% of igzip alone; " +
		"Parquet, every question ≥ 1.3× DuckDB; peak RSS ≤ ½ of DuckDB's everywhere. The gunzip floors are timed apart from " +
		"the questions, not alternately with them: read their ratios with the load average above in mind.\n\n")
	small := []string{"top 20 interfaces by bytes", "bytes per hour", "reject totals"}
	for _, r := range rs {
		ln := layoutName(r.ds.Name)
		ratio := func(q, in string) (float64, bool) {
			m := find(r, q, in)
			if m == nil {
				return 0, false
			}
			md := m.medians()
			return md.dk / md.fl, true
		}
		cpuRatio := func(q, in string) string {
			if m := find(r, q, in); m != nil && m.medians().flCPU > 0 {
				md := m.medians()
				return fmt.Sprintf(" (CPU time: %.2f×)", md.dkCPU/md.flCPU)
			}
			return ""
		}
		line := func(what string, v float64, ok bool, min float64, unit string, extra ...string) {
			if !ok {
				return
			}
			x := strings.Join(extra, "")
			if unit == "%" {
				p("- %s, %s: %.0f %%%s — %s.\n", ln, what, 100*v, x, met(v >= min))
				return
			}
			p("- %s, %s: %.2f×%s — %s.\n", ln, what, v, x, met(v >= min))
		}
		for _, q := range []string{"top 20 interfaces by bytes", "top 20 conversations"} {
			v, ok := ratio(q, "gzip text")
			line("pure Go, "+q+" over gzip text ≥ 1.5× DuckDB", v, ok, 1.5, "×", cpuRatio(q, "gzip text"))
		}
		if m, once := find(r, reportQuestion, "gzip text"), find(r, reportLoadOnce, "gzip text"); m != nil && once != nil {
			line("pure Go, standard report over gzip text ≥ 2× DuckDB loading once", once.medians().dk/m.medians().fl, true, 2, "×",
				fmt.Sprintf(" (CPU time: %.2f×)", once.medians().dkCPU/m.medians().flCPU))
		}
		g := harness.Median(r.gunzip)
		for _, q := range small {
			if m := find(r, q, "gzip text"); m != nil && g > 0 {
				line("pure Go, "+q+" ≥ 85 % of klauspost gunzip alone", g/m.medians().fl, true, 0.85, "%",
					fmt.Sprintf(" (CPU time: %.0f %%)", 100*harness.Median(r.gunzipCPU)/m.medians().flCPU))
			}
		}
		for _, q := range []string{"top 20 interfaces by bytes", "bytes per hour", "reject totals", "top 20 rejected sources", "top 20 conversations"} {
			v, ok := ratio(q+", ISA-L build", "gzip text")
			line("ISA-L build, "+q+" ≥ 3× DuckDB", v, ok, 3, "×", cpuRatio(q+", ISA-L build", "gzip text"))
		}
		if m, once := find(r, reportISAL, "gzip text"), find(r, reportLoadOnce, "gzip text"); m != nil && once != nil {
			line("ISA-L build, standard report ≥ 3× DuckDB loading once", once.medians().dk/m.medians().fl, true, 3, "×",
				fmt.Sprintf(" (CPU time: %.2f×)", once.medians().dkCPU/m.medians().flCPU))
		}
		if len(r.isal) > 0 {
			ig := harness.Median(r.isal)
			for _, q := range small {
				if m := find(r, q+", ISA-L build", "gzip text"); m != nil {
					line("ISA-L build, "+q+" ≥ 40 % of igzip alone", ig/m.medians().fl, true, 0.4, "%",
						fmt.Sprintf(" (CPU time: %.0f %%)", 100*harness.Median(r.isalCPU)/m.medians().flCPU))
				}
			}
		}
		for _, m := range r.questions {
			if m.input == "Parquet" {
				md := m.medians()
				line("Parquet, "+m.question+" ≥ 1.3× DuckDB", md.dk/md.fl, true, 1.3, "×", fmt.Sprintf(" (CPU time: %.2f×)", md.dkCPU/md.flCPU))
			}
		}
		var over []string
		for _, m := range r.questions {
			md := m.medians()
			if 2*md.flRSS > md.dkRSS {
				over = append(over, fmt.Sprintf("%s over %s %d / %d MB", m.question, m.input, md.flRSS>>20, md.dkRSS>>20))
			}
		}
		if len(r.questions) > 0 {
			p("- %s, peak RSS ≤ ½ of DuckDB's: %d of %d measurements", ln, len(r.questions)-len(over), len(r.questions))
			if len(over) > 0 {
				p("; not met by %s", strings.Join(over, ", "))
			}
			p(".\n")
		}
	}
	if e.flowlensISAL == "" {
		p("- ISA-L targets: not measured (give an ISA-L build with -flowlens-isal).\n")
	}
	return b.String()
}

func find(r *layoutResult, question, input string) *measured {
	for _, m := range r.questions {
		if m.question == question && m.input == input {
			return m
		}
	}
	return nil
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}

func rate(s float64, records, bytes int64) string {
	return fmt.Sprintf("%.2f s · %.2f M rec/s · %.0f MB/s", s, float64(records)/s/1e6, float64(bytes)/s/1e6)
}

func mb(n int64) float64 { return float64(n) / 1e6 }

func layoutName(n string) string {
	switch n {
	case "v2":
		return "v2 (default layout, 14 fields)"
	case "v5":
		return "v5 (custom layout, 29 fields)"
	case "v2-random":
		return "v2-random (default layout, random private peers: the many-groups case)"
	}
	return n
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
