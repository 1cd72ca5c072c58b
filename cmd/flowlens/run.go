package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/internal/units"
	"github.com/flowlens/flowlens/output"
)

// reading is the one run sequence of the commands that read flow logs into an engine (report,
// cost, sql, query, demo): check the flags and pick the output format; expand the sources; open
// the output; read the sources with profiles and a progress line; commit the output (atomically) or
// drop it; print the input accounting; exit 0 only when every object was read fully.
type reading struct {
	name   string
	flags  *readFlags
	choice output.Choice
	// narrow, when set, runs once the flags are checked: sql plans its query, narrows the time
	// range to the query's bounds and adds the FROM source. A non-zero code is a usage error
	// already printed.
	narrow func(rf *runFlags, args []string) ([]string, int)
	// read runs the engine over the sources and writes its answer to w in format.
	read func(ctx context.Context, in readIn, w io.Writer, format output.Format) (readDone, error)
	// tables says that the command writes a document whose CSV form is a table per file: with
	// --format csv and no --section, -o names a directory and read gets a nil w.
	tables bool
	// query is sql's query (its argument), a part of the question a state file records.
	query string
}

// readIn is what a read gets: the checked flags, the sources, how many objects their keys left out
// of the time range, and the progress to count into.
type readIn struct {
	runFlags
	sources []flowlog.Source
	skipped int
	prog    *aggregate.Progress
	partial *partialOut // set with --partial: runEngine writes the state there and ends the read
}

// readDone is what a read leaves to report on stderr.
type readDone struct {
	stats    *flowlog.Stats
	failed   []flowlog.ObjectError
	warnings []string // printed first unless --quiet: an optional part that could not be computed
	notes    []string // printed after the accounting unless --quiet
	// code is the exit status when every object was read (exitOK when unset); a failed object
	// makes it exitFailure whatever it is.
	code int
}

func (r *reading) run(ctx context.Context, args []string) int {
	f, name := r.flags, r.name
	rf, code := f.parse(ctx, name)
	if code != exitOK {
		return code
	}
	format, err := output.Pick(f.format, f.out, isTerminal(stdout), r.choice)
	if err != nil {
		return usageError(name, "%v", err)
	}
	if f.scale.on {
		if code := f.scale.parse(name, f.out); code != exitOK {
			return code
		}
	}
	if r.narrow != nil {
		if args, code = r.narrow(&rf, args); code != exitOK {
			return code
		}
	}
	var sources []flowlog.Source
	var skipped int
	var partial *partialOut
	switch {
	case merging != nil:
		skipped = merging.skipped
	default:
		if sources, skipped, err = expandSources(ctx, args, &f.s3, rf.from, rf.to, f.late); err != nil {
			return fail(name, err)
		}
		listed := len(sources)
		var idx []int
		sources, idx = f.scale.keep(sources, &rf.opts)
		if f.scale.n > 0 && f.scale.i != 1 {
			skipped = 0 // shard 1 counts them, so that the merge counts them once
		}
		if f.scale.partial {
			partial = &partialOut{index: map[string]int{}, meta: partialMeta{Version: partialVersion, Command: name, Args: f.questionArgs(rf),
				Shard: max(f.scale.i, 1), Shards: max(f.scale.n, 1), Listed: listed, Skipped: skipped, Query: r.query}}
			partial.meta.Fingerprint = fingerprint(name, partial.meta.Args, r.query)
			for k, src := range sources {
				partial.index[src.Name] = idx[k]
			}
		}
	}
	switch {
	case merging != nil || f.quiet || len(sources) > 0:
	case skipped > 0 || !rf.from.IsZero() || !rf.to.IsZero():
		// Below an AWS key layout only the day folders of the range are listed, so the objects of
		// other days are neither read nor counted.
		fmt.Fprintf(stderr, "flowlens %s: warning: no objects in the range %s in %s (%d objects skipped by their keys: outside the range, --account or --region)\n",
			name, rangeText(rf.from, rf.to), strings.Join(args, " "), skipped)
	default:
		fmt.Fprintf(stderr, "flowlens %s: warning: no flow-log objects (.log, .log.gz, .gz, .txt, .parquet) in %s\n", name, strings.Join(args, " "))
	}
	var w io.Writer
	done := func(bool) error { return nil }
	if partial != nil {
		if w, done, err = openOutput(f.out); err != nil {
			return fail(name, err)
		}
		partial.w = w
	} else if r.tables && format == output.CSV && f.section == "" {
		if f.out == "" || f.out == "-" {
			return usageError(name, "--format csv writes a file per table: give -o DIR, or --section NAME for one table")
		}
		if err := os.MkdirAll(f.out, 0o755); err != nil {
			return fail(name, err)
		}
	} else if w, done, err = openOutput(f.out); err != nil {
		return fail(name, err)
	}
	stopProfile, err := f.startProfiles()
	if err != nil {
		done(false)
		return fail(name, err)
	}
	defer stopProfile()
	if os.Getenv("GOGC") == "" {
		// The heap is mostly the aggregation tables: large slices without pointers, which cost the
		// collector nothing to mark. Collecting at 25% growth instead of 100% keeps the process
		// close to what it holds, for the price of a few more cheap cycles.
		debug.SetGCPercent(25)
	}
	prog := &aggregate.Progress{}
	stopProgress := startProgress(prog, f.quiet)
	res, err := r.read(ctx, readIn{runFlags: rf, sources: sources, skipped: skipped, prog: prog, partial: partial}, w, format)
	stopProgress()
	if pd := (*partialDone)(nil); errors.As(err, &pd) {
		res, err = readDone{stats: pd.stats, failed: pd.failed, notes: []string{"wrote the aggregation state of shard " +
			fmt.Sprintf("%d/%d (%d objects) to %s: 'flowlens merge' combines the shards'", partial.meta.Shard, partial.meta.Shards, len(sources), f.out)}}, nil
	}
	if err2 := done(err == nil); err == nil {
		err = err2
	}
	if err != nil {
		return fail(name, err)
	}
	if !f.quiet {
		for _, w := range res.warnings {
			fmt.Fprintf(stderr, "flowlens %s: warning: %s\n", name, w)
		}
		printStats(stderr, res.stats, res.failed)
		if skipped > 0 {
			fmt.Fprintf(stderr, "flowlens: %d objects skipped: their keys lie outside the time range\n", skipped)
		}
		printEnrichNote(stderr, rf.opts)
		for _, n := range res.notes {
			fmt.Fprintf(stderr, "flowlens: %s\n", n)
		}
	} else {
		for _, fo := range res.failed {
			fmt.Fprintf(stderr, "flowlens %s: %v\n", name, fo.Err)
		}
	}
	if len(res.failed) > 0 {
		return exitFailure
	}
	return res.code
}

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
	section  string // --section of report and cost: one table of --format csv
	quiet    bool
	cpuProf  string
	memProf  string
	scale    scaleFlags     // --shard and --partial, of the commands that take them
	fs       *pflag.FlagSet // the command's flags, for the question a state file records
}

// add registers the flags; tzUse says what the time zone applies to, formats and outUse describe
// --format and -o.
func (f *readFlags) add(fs *pflag.FlagSet, tzUse, formats, outUse string) {
	f.fs = fs
	f.decode.add(fs)
	f.s3.add(fs)
	fs.StringVar(&f.from, "from", "", "only records that start at or after this time (2026-11-01, 2026-11-01T06, RFC 3339, today, yesterday, -24h, -7d)")
	fs.StringVar(&f.to, "to", "", "only records that start before this time (same forms; now)")
	fs.DurationVar(&f.late, "late", time.Hour, "also read objects whose key says they were written up to this long after --to")
	fs.StringVar(&f.tz, "tz", "UTC", "time zone of "+tzUse+" and --from/--to without an offset (IANA name)")
	fs.StringVar(&f.format, "format", "auto", formats)
	fs.StringVarP(&f.out, "output", "o", "", "write "+outUse+" to FILE (atomically) instead of stdout")
	fs.StringVar(&f.memLimit, "memory-limit", "", "memory for aggregation state, e.g. 4GiB (default: half of the machine's or container's memory)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no progress line and no diagnostics but errors")
	fs.StringVar(&f.cpuProf, "cpuprofile", "", "write a CPU profile (pprof) of the run to FILE")
	fs.StringVar(&f.memProf, "memprofile", "", "write a memory profile (pprof: allocations of the run, heap at its end) to FILE")
}

// runFlags are the reading flags of report and cost, checked.
type runFlags struct {
	opts     flowlog.Options
	loc      *time.Location
	from, to time.Time
	limit    int64
}

// parse checks the reading flags; a non-zero code is a usage error already printed.
func (f *readFlags) parse(ctx context.Context, name string) (runFlags, int) {
	var r runFlags
	var err error
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
	// Last: with --enrich-from-aws it calls the EC2 API, once every flag is known to be good.
	if r.opts, err = f.decode.options(ctx); err != nil {
		return r, optionsError(name, err)
	}
	return r, exitOK
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

// rangeText writes a time range for messages: [from, to), "…" for an open end.
func rangeText(from, to time.Time) string {
	f := func(t time.Time) string {
		if t.IsZero() {
			return "…"
		}
		return t.Format(time.RFC3339)
	}
	return "[" + f(from) + ", " + f(to) + ")"
}

// now is the clock of relative times; tests set it.
var now = time.Now

// parseTimeFlag reads 2026-11-01, 2026-11-01T06, 2026-11-01T06:30 or RFC 3339, and the relative
// times of daily jobs: now, today and yesterday (midnight in loc), and an offset from now, -24h,
// -90m, -7d or -2w (days and weeks are calendar days in loc). Times without an offset are in loc.
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
	n := now().In(loc)
	midnight := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	switch strings.ToLower(s) {
	case "now":
		return n, nil
	case "today":
		return midnight, nil
	case "yesterday":
		return midnight.AddDate(0, 0, -1), nil
	}
	if len(s) > 2 && s[0] == '-' {
		if k, err := strconv.Atoi(s[1 : len(s)-1]); err == nil && k >= 0 {
			switch s[len(s)-1] {
			case 'd':
				return n.AddDate(0, 0, -k), nil
			case 'w':
				return n.AddDate(0, 0, -7*k), nil
			}
		}
		if d, err := time.ParseDuration(s); err == nil {
			return n.Add(d), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read time %q: want 2026-11-01, 2026-11-01T06, 2026-11-01T06:30, RFC 3339, now, today, yesterday, or -24h, -90m, -7d, -2w", s)
}

// memoryLimit reads --memory-limit, or picks half of the memory the process may use.
func memoryLimit(s string) (int64, error) {
	if s == "" {
		return aggregate.DefaultMemoryLimit(), nil
	}
	n, err := units.ParseSize(s)
	if err != nil {
		return 0, err
	}
	if n < 1<<20 {
		return 0, fmt.Errorf("%q is less than 1 MiB", s)
	}
	return n, nil
}

// isTerminal reports whether w is a terminal (a tty: not a pipe, a file, or a device such as
// /dev/null, which a file mode's char-device bit does not tell apart).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// startProgress draws a progress line on stderr, when it is a terminal, until the returned func is
// called.
func startProgress(p *aggregate.Progress, quiet bool) func() {
	return startLine(quiet, func(elapsed time.Duration) string { return progressLine(p, elapsed) })
}

// startGenProgress draws the progress of generating objects (gen, demo) until the returned func is
// called.
func startGenProgress(p *synth.Progress, objects, lines int64, quiet bool) func() {
	return startLine(quiet, func(elapsed time.Duration) string {
		n := p.Lines.Load()
		line := fmt.Sprintf("generating: objects %d/%d · %d/%d lines", p.Objects.Load(), objects, n, lines)
		if s := elapsed.Seconds(); s > 0 && n > 0 {
			line += fmt.Sprintf(" · %.2fM lines/s", float64(n)/s/1e6)
			if n < lines {
				line += " · ETA " + time.Duration(float64(elapsed)*float64(lines-n)/float64(n)).Round(time.Second).String()
			}
		}
		return line
	})
}

// startLine redraws line() on stderr four times a second, when stderr is a terminal that can move
// its cursor (not TERM=dumb), until the returned func is called, which clears it.
func startLine(quiet bool, line func(elapsed time.Duration) string) func() {
	if quiet || !isTerminal(stderr) || os.Getenv("TERM") == "dumb" {
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
				fmt.Fprint(stderr, "\r\033[K"+line(time.Since(began)))
			}
		}
	}()
	return func() { close(done); <-stopped }
}

func progressLine(p *aggregate.Progress, elapsed time.Duration) string {
	objs, read, recs := p.Objects.Load(), p.BytesRead.Load(), p.Records.Load()
	s := elapsed.Seconds()
	line := fmt.Sprintf("objects %d/%d · %s", objs, p.TotalObject, units.Decimal(read))
	if p.TotalBytes > 0 {
		line += "/" + units.Decimal(p.TotalBytes)
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

// runEngine runs the aggregation engine over the sources with specs, within the flags' range,
// zone and memory limit.
func (f *readFlags) runEngine(ctx context.Context, in readIn, specs []aggregate.Spec) (*aggregate.Engine, *aggregate.Result, *flowlog.Stats, []flowlog.ObjectError, error) {
	e, err := aggregate.New(aggregate.Config{Specs: specs, From: in.from, To: in.to, Location: in.loc, MemoryLimit: in.limit, Partial: in.partial != nil,
		Derive: in.opts.Derive})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if merging != nil {
		merging.addEnrich(in.opts)
		res, err := merging.merge(e)
		return e, res, merging.stats, merging.failed, err
	}
	res, st, failed, err := aggregate.Run(ctx, e, in.sources, in.opts, f.decode.workers, in.prog)
	if err == nil && in.partial != nil {
		in.partial.noteEnrich(in.opts)
		if err = in.partial.write(res, failed); err == nil {
			err = &partialDone{stats: st, failed: failed}
		}
	}
	return e, res, st, failed, err
}
