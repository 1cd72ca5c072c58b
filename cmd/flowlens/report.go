package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/cost"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/query"
)

// readFlags are the flags of every command that reads flow logs into the engine: report, cost,
// demo, sql and query.
type readFlags struct {
	decode   decodeFlags
	s3       s3Flags
	from, to string
	late     time.Duration
	tz       string
	format   string
	out      string
	memLimit string
	quiet    bool
	cpuProf  string
	memProf  string
}

// add registers the flags; tzUse says what the time zone applies to, formats and outUse describe
// --format and -o.
func (f *readFlags) add(fs *pflag.FlagSet, tzUse, formats, outUse string) {
	f.decode.add(fs)
	f.s3.add(fs)
	fs.StringVar(&f.from, "from", "", "only records that start at or after this time (2026-11-01, 2026-11-01T06, RFC 3339)")
	fs.StringVar(&f.to, "to", "", "only records that start before this time")
	fs.DurationVar(&f.late, "late", time.Hour, "also read objects whose key says they were written up to this long after --to")
	fs.StringVar(&f.tz, "tz", "UTC", "time zone of "+tzUse+" and --from/--to without an offset (IANA name)")
	fs.StringVar(&f.format, "format", "auto", formats)
	fs.StringVarP(&f.out, "output", "o", "", "write "+outUse+" to FILE (atomically) instead of stdout")
	fs.StringVar(&f.memLimit, "memory-limit", "", "memory for aggregation state, e.g. 4GiB (default: half of the machine's or container's memory)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no progress line and no diagnostics but errors")
	fs.StringVar(&f.cpuProf, "cpuprofile", "", "write a CPU profile (pprof) of the run to FILE")
	fs.StringVar(&f.memProf, "memprofile", "", "write a memory profile (pprof: allocations of the run, heap at its end) to FILE")
}

// reportFlags are the flags of the report (and demo) command.
type reportFlags struct {
	readFlags
	top int

	nat         []string
	natGateways string
	pricing     string
	ipRanges    string
	noNAT       bool
}

func (f *reportFlags) add(fs *pflag.FlagSet) {
	f.readFlags.add(fs, "hours, days", "table or json (auto: table on a terminal, json otherwise or for -o *.json)", "the report")
	fs.IntVar(&f.top, "top", 20, "rows in each top-N list")
	fs.StringSliceVar(&f.nat, "nat", nil, "NAT gateway interface ids (comma-separated or repeated); default: detected")
	fs.StringVar(&f.natGateways, "nat-gateways", "", "the JSON of aws ec2 describe-nat-gateways (cost --estimate: a number of gateways)")
	fs.StringVar(&f.pricing, "pricing", "", "price table FILE (JSON) overriding the embedded one")
	fs.StringVar(&f.ipRanges, "ip-ranges", "", "AWS ip-ranges.json FILE instead of the embedded subset")
	fs.BoolVar(&f.noNAT, "no-nat", false, "leave out the NAT gateway analysis (report)")
}

// costInputs loads what a NAT review needs from the flags: gateways, prices, ranges.
func (f *reportFlags) costInputs() ([]query.NATGatewayInfo, *cost.Prices, *cost.Ranges, error) {
	prices := cost.DefaultPrices()
	if f.pricing != "" {
		fh, err := os.Open(f.pricing)
		if err != nil {
			return nil, nil, nil, err
		}
		prices, err = cost.LoadPrices(fh)
		fh.Close()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("--pricing %s: %w", f.pricing, err)
		}
	}
	ranges := cost.DefaultRanges()
	if f.ipRanges != "" {
		fh, err := os.Open(f.ipRanges)
		if err != nil {
			return nil, nil, nil, err
		}
		ranges, err = cost.LoadRanges(fh)
		fh.Close()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("--ip-ranges %s: %w", f.ipRanges, err)
		}
	}
	var gateways []query.NATGatewayInfo
	if f.natGateways != "" {
		if _, err := strconv.Atoi(f.natGateways); err == nil {
			return nil, nil, nil, fmt.Errorf("--nat-gateways %s: give the JSON file of aws ec2 describe-nat-gateways (a number only with cost --estimate)", f.natGateways)
		}
		fh, err := os.Open(f.natGateways)
		if err != nil {
			return nil, nil, nil, err
		}
		gateways, err = query.ParseDescribeNATGateways(fh)
		fh.Close()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("--nat-gateways %s: %w", f.natGateways, err)
		}
	}
	for _, id := range f.nat {
		if id = strings.TrimSpace(id); id != "" {
			gateways = append(gateways, query.NATGatewayInfo{InterfaceID: id})
		}
	}
	return gateways, prices, ranges, nil
}

func init() {
	register(&command{
		name:  "report",
		usage: "[flags] SOURCES…",
		short: "the standard report: top interfaces, addresses, conversations, peak hours, rejects, ports",
		long: `Reads flow-log objects (files, directories walked recursively, globs, - for stdin, or s3://bucket/prefix;
plain or gzip) and reports who sent how much, when the peaks were and what was rejected. Buckets and
directories mirrored from S3 keep the AWS key layouts (AWSLogs/ACCOUNT/vpcflowlogs/REGION/YYYY/MM/DD[/HH]/,
or the Hive form): with --from/--to only the day folders of the range are listed, objects whose key or
file name lies outside the range are skipped unread, and the records read are still filtered by their
own start time. --account and --region keep the logs of those accounts and region. S3 access uses the
standard AWS credential chain (--profile), --endpoint-url for S3-compatible stores, --no-sign-request
for public buckets.

A flow is counted in the hour of its start. Flows are counted per interface as logged: a flow that
two interfaces log is two observations. Traffic counts records with log-status OK.

The JSON form (--format json) is a versioned contract ("schema_version": 1), described in the README.
Exit status 0 only when every object was read fully; the report is written all the same and names
the objects that failed.

Examples:
  flowlens report flows/
  flowlens report --from 2026-11-01 --to 2026-11-02 --top 10 mirror/AWSLogs/
  flowlens report --format json -o report.json 'flows/*.log.gz'
  flowlens report --from 2026-11-01 --to 2026-11-08 --account 123456789012 s3://central-logs/
  zcat export.log.gz | flowlens report --tz Europe/Berlin -`,
		flags: func(fs *pflag.FlagSet) func(context.Context, []string) int {
			var f reportFlags
			f.add(fs)
			return func(ctx context.Context, args []string) int {
				if len(args) == 0 {
					return usageError("report", "no sources given")
				}
				return runReport(ctx, "report", &f, args)
			}
		},
	})
}

// runFlags are the reading flags of report and cost, checked.
type runFlags struct {
	opts     flowlog.Options
	loc      *time.Location
	from, to time.Time
	limit    int64
}

// parse checks the reading flags; a non-zero code is a usage error already printed.
func (f *readFlags) parse(name string) (runFlags, int) {
	var r runFlags
	var err error
	if r.opts, err = f.decode.options(); err != nil {
		return r, usageError(name, "%v", err)
	}
	if r.loc, err = time.LoadLocation(f.tz); err != nil {
		return r, usageError(name, "--tz %q: %v", f.tz, err)
	}
	if r.from, err = parseTimeFlag(f.from, r.loc); err != nil {
		return r, usageError(name, "--from: %v", err)
	}
	if r.to, err = parseTimeFlag(f.to, r.loc); err != nil {
		return r, usageError(name, "--to: %v", err)
	}
	if !r.from.IsZero() && !r.to.IsZero() && !r.from.Before(r.to) {
		return r, usageError(name, "--from must be before --to")
	}
	if r.limit, err = memoryLimit(f.memLimit); err != nil {
		return r, usageError(name, "--memory-limit: %v", err)
	}
	return r, exitOK
}

// parse checks the flags that report and cost share; a non-zero code is a usage error already printed.
func (f *reportFlags) parse(name string) (runFlags, int) {
	r, code := f.readFlags.parse(name)
	if code != exitOK {
		return r, code
	}
	if f.top < 1 {
		return r, usageError(name, "--top must be at least 1")
	}
	return r, exitOK
}

// runReport reads the sources and writes the standard report.
func runReport(ctx context.Context, name string, f *reportFlags, args []string) int {
	rf, code := f.parse(name)
	if code != exitOK {
		return code
	}
	opts, loc, from, to, limit := rf.opts, rf.loc, rf.from, rf.to, rf.limit
	format := f.format
	switch format {
	case "auto":
		format = "json"
		if (f.out == "" || f.out == "-") && isTerminal(stdout) {
			format = "table"
		} else if f.out != "" && f.out != "-" && !strings.EqualFold(filepath.Ext(f.out), ".json") {
			format = "table"
		}
	case "table", "json":
	default:
		return usageError(name, "--format %q: want table or json", f.format)
	}

	sources, skipped, err := expandSources(ctx, args, &f.s3, from, to, f.late)
	if err != nil {
		return fail(name, err)
	}
	if len(sources) == 0 && skipped == 0 && !f.quiet {
		fmt.Fprintf(stderr, "flowlens %s: warning: no flow-log objects (.log, .log.gz, .gz, .txt) in %s\n", name, strings.Join(args, " "))
	}

	gateways, prices, ranges, err := f.costInputs()
	if err != nil {
		return fail(name, err)
	}
	specs := query.ReportSpecs()
	if !f.noNAT {
		specs = append(specs, query.NATSpecs(gateways)...)
	}
	e, err := aggregate.New(aggregate.Config{Specs: specs, From: from, To: to, Location: loc, MemoryLimit: limit})
	if err != nil {
		return fail(name, err)
	}
	stopProfile, err := f.startProfiles()
	if err != nil {
		return fail(name, err)
	}
	defer stopProfile()
	// The heap is mostly the aggregation tables: large slices without pointers, which cost the
	// collector nothing to mark. Collecting at 25% growth instead of 100% keeps the process close to
	// what it holds, for the price of a few more cheap cycles.
	debug.SetGCPercent(25)
	prog := &aggregate.Progress{}
	stopProgress := startProgress(prog, f.quiet)
	res, st, failed, err := aggregate.Run(ctx, e, sources, opts, f.decode.workers, prog)
	stopProgress()
	if err != nil {
		return fail(name, err)
	}
	rep := query.BuildReport(res, query.ReportInput{Stats: st, Failed: failed, Skipped: skipped},
		query.ReportOptions{Top: f.top, From: from, To: to, Location: loc})
	if !f.noNAT {
		if err := rep.AddNAT(res, query.CostOptions{Gateways: gateways, Region: f.s3.region, Prices: prices, Ranges: ranges, Top: f.top}); err != nil {
			return fail(name, err)
		}
	}

	w, done, err := openOutput(f.out)
	if err != nil {
		return fail(name, err)
	}
	if format == "json" {
		err = rep.WriteJSON(w)
	} else {
		err = rep.WriteTable(w)
	}
	if err2 := done(err == nil); err == nil {
		err = err2
	}
	if err != nil {
		return fail(name, err)
	}
	if !f.quiet {
		printStats(stderr, st, failed)
		if skipped > 0 {
			fmt.Fprintf(stderr, "flowlens: %d objects skipped: their keys lie outside --from/--to\n", skipped)
		}
		fmt.Fprintf(stderr, "flowlens: aggregation state peaked at %s (limit %s)\n", aggregate.FormatBytes(e.Budget().Peak()), aggregate.FormatBytes(limit))
	} else {
		for _, fo := range failed {
			fmt.Fprintf(stderr, "flowlens %s: %v\n", name, fo.Err)
		}
	}
	if len(failed) > 0 {
		return exitFailure
	}
	return exitOK
}

// startProfiles writes a CPU profile to f.cpuProf until the returned func is called, which also
// writes the memory profile to f.memProf (either is skipped when its path is empty).
func (f *readFlags) startProfiles() (func(), error) {
	stop := func() {}
	if f.cpuProf != "" {
		pf, err := os.Create(f.cpuProf)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			pf.Close()
			return nil, err
		}
		stop = func() { pprof.StopCPUProfile(); pf.Close() }
	}
	if f.memProf == "" {
		return stop, nil
	}
	runtime.MemProfileRate = 64 << 10 // large allocations are what matter here; keep the cost low
	return func() {
		stop()
		mf, err := os.Create(f.memProf)
		if err != nil {
			fmt.Fprintf(os.Stderr, "flowlens: memory profile: %v\n", err)
			return
		}
		defer mf.Close()
		if err := pprof.Lookup("allocs").WriteTo(mf, 0); err != nil {
			fmt.Fprintf(os.Stderr, "flowlens: memory profile: %v\n", err)
		}
	}, nil
}

// parseTimeFlag reads 2026-11-01, 2026-11-01T06, 2026-11-01T06:30 or RFC 3339; times without an
// offset are in loc.
func parseTimeFlag(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02", "2006-01-02T15", "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read time %q: want 2026-11-01, 2026-11-01T06, 2026-11-01T06:30 or RFC 3339", s)
}

// memoryLimit reads --memory-limit, or picks half of the memory the process may use.
func memoryLimit(s string) (int64, error) {
	if s == "" {
		return defaultMemoryLimit(), nil
	}
	n, err := parseSize(s)
	if err != nil {
		return 0, err
	}
	if n < 1<<20 {
		return 0, fmt.Errorf("%q is less than 1 MiB", s)
	}
	return n, nil
}

// parseSize reads 500MB, 4GiB, 2G, 1048576.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if len(t) > len(u.suffix) && strings.EqualFold(t[len(t)-len(u.suffix):], u.suffix) {
			mult, t = u.mult, strings.TrimSpace(t[:len(t)-len(u.suffix)])
			break
		}
	}
	var v float64
	if _, err := fmt.Sscanf(t, "%g", &v); err != nil || v <= 0 {
		return 0, fmt.Errorf("cannot read size %q: want e.g. 512MiB, 4GiB or 2G", s)
	}
	return int64(v * float64(mult)), nil
}

// defaultMemoryLimit is half of the container's memory limit (cgroup v2 or v1) or of the machine's
// memory, 4 GiB when neither is known.
func defaultMemoryLimit() int64 {
	var total int64
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if b, err := os.ReadFile(p); err == nil {
			var v int64
			if _, err := fmt.Sscanf(strings.TrimSpace(string(b)), "%d", &v); err == nil && v > 0 && v < 1<<50 {
				total = v
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			var kb int64
			if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kb); err == nil {
				if m := kb << 10; total == 0 || m < total {
					total = m
				}
				break
			}
		}
	}
	if total == 0 {
		return 4 << 30
	}
	return total / 2
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// startProgress draws a progress line on stderr, when it is a terminal, until the returned func is
// called.
func startProgress(p *aggregate.Progress, quiet bool) func() {
	if quiet || !isTerminal(stderr) {
		return func() {}
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	began := time.Now()
	go func() {
		defer close(stopped)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(stderr, "\r\033[K")
				return
			case <-t.C:
				fmt.Fprint(stderr, "\r\033[K"+progressLine(p, time.Since(began)))
			}
		}
	}()
	return func() { close(done); <-stopped }
}

func progressLine(p *aggregate.Progress, elapsed time.Duration) string {
	objs, read, recs := p.Objects.Load(), p.BytesRead.Load(), p.Records.Load()
	s := elapsed.Seconds()
	line := fmt.Sprintf("objects %d/%d · %s", objs, p.TotalObject, query.SI(read))
	if p.TotalBytes > 0 {
		line += "/" + query.SI(p.TotalBytes)
	}
	if s > 0 {
		line += fmt.Sprintf(" · %.2fM records/s", float64(recs)/s/1e6)
	}
	if p.TotalBytes > 0 && read > 0 && read < p.TotalBytes {
		eta := time.Duration(float64(elapsed) * float64(p.TotalBytes-read) / float64(read)).Round(time.Second)
		line += " · ETA " + eta.String()
	}
	return line
}
