package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/enrich"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/nat"
	"github.com/flowlens/flowlens/output"
	"github.com/flowlens/flowlens/report"
)

// reportFlags are the flags of the report (and demo) command.
type reportFlags struct {
	readFlags
	top int

	nat         []string
	natGateways string
	pricing     string
	ipRanges    string
	noNAT       bool
	transfer    bool // --transfer: the transfer section (report; cost always has it)
	cur         string
	byTag       string

	// report and demo only: the comparison and the spikes.
	compareTo     []string
	comparePeriod string
	spikeSigma    float64
	spikeDays     int
	spikeHistory  bool
	failOnSpike   bool
	spikesAsked   bool // a --spike-* flag or --fail-on-spike was given
}

// addTrend registers the flags of the comparison and the spikes (report and demo).
func (f *reportFlags) addTrend(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.compareTo, "compare-to", nil, "compare with the records of these SOURCES (repeat the flag for more; read whole, without --from/--to)")
	fs.StringVar(&f.comparePeriod, "compare-period", "", "compare with the same sources' period this much earlier: 1d, 7d or 28d (any Nd), --from/--to shifted back, with the same key pruning")
	fs.Float64Var(&f.spikeSigma, "spike-sigma", report.DefaultSpikeSigma, "spikes: hours above the same hour's mean by more than this many standard deviations")
	fs.IntVar(&f.spikeDays, "spike-days", report.DefaultSpikeDays, "spikes: an hour is judged when the same hour has at least this many earlier days of data (2 or more)")
	fs.BoolVar(&f.spikeHistory, "spike-history", false, "spikes: also read the --spike-days days before --from for the baseline (hourly bytes only)")
	fs.BoolVar(&f.failOnSpike, "fail-on-spike", false, "exit 5 when a spike is found (implies --spike-history when --from is given)")
}

// trendFlags checks the comparison and spike flags once the range is known; a non-zero code is a
// usage error already printed.
func (f *reportFlags) checkTrend(name string, fs *pflag.FlagSet, rf *runFlags) int {
	f.spikesAsked = fs.Changed("spike-sigma") || fs.Changed("spike-days") || f.spikeHistory || f.failOnSpike
	if f.failOnSpike && !rf.from.IsZero() {
		f.spikeHistory = true
	}
	switch {
	case len(f.compareTo) > 0 && f.comparePeriod != "":
		return usageError(name, "--compare-to and --compare-period: give one")
	case f.comparePeriod != "":
		if _, err := periodDays(f.comparePeriod); err != nil {
			return usageError(name, "--compare-period: %v", err)
		}
		if rf.from.IsZero() || rf.to.IsZero() {
			return usageError(name, "--compare-period shifts --from and --to back: give both")
		}
	}
	if f.spikesAsked {
		if !(f.spikeSigma > 0) {
			return usageError(name, "--spike-sigma must be more than 0")
		}
		if f.spikeDays < 2 || f.spikeDays > report.SpikeWindowDays {
			return usageError(name, "--spike-days must be from 2 to %d (a standard deviation needs two days; the baseline looks %d days back)", report.SpikeWindowDays, report.SpikeWindowDays)
		}
		if f.spikeHistory && rf.from.IsZero() {
			return usageError(name, "--spike-history reads the days before --from: give --from")
		}
	}
	return exitOK
}

// periodDays reads --compare-period: a whole number of days, "7d".
func periodDays(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
	if err != nil || !strings.HasSuffix(s, "d") || n < 1 {
		return 0, fmt.Errorf("%q: want a number of days such as 1d, 7d or 28d", s)
	}
	return n, nil
}

func (f *reportFlags) add(fs *pflag.FlagSet) {
	f.readFlags.add(fs, "hours, days", "table, json, csv (a CSV file per table into the directory -o) or html (one self-contained page); auto: table on a terminal, json otherwise, or as -o FILE's extension says (.json, .html)", "the report")
	fs.StringVar(&f.section, "section", "", "with --format csv: write only this table (interfaces, sources, conversations, hourly, ports, nat_gateways, …) to stdout or -o")
	fs.IntVar(&f.top, "top", 20, "rows in each top-N list, 0 for all")
	fs.StringSliceVar(&f.nat, "nat", nil, "NAT gateway interface ids (comma-separated or repeated); default: detected")
	fs.StringVar(&f.natGateways, "nat-gateways", "", "the JSON file of aws ec2 describe-nat-gateways (cost --estimate takes a number of gateways as --nat-count)")
	fs.StringVar(&f.pricing, "pricing", "", "price table FILE (JSON) overriding the embedded one")
	fs.StringVar(&f.ipRanges, "ip-ranges", "", "AWS ip-ranges.json FILE instead of the embedded subset")
	fs.BoolVar(&f.noNAT, "no-nat", false, "leave out the NAT gateway analysis (report)")
	fs.BoolVar(&f.transfer, "transfer", false, "add the transfer section: the data-transfer bill (inter-AZ, inter-region, internet egress, transit gateway, NAT public IPv4) beside the NAT's (report; cost always has it)")
	fs.StringVar(&f.cur, "cur", "", "a Cost and Usage Report extract FILE of the same period (CSV, gzip CSV or Parquet; CUR 2.0 or legacy column names): the transfer section sets the billed usage and cost beside each line (report: implies --transfer)")
	fs.StringVar(&f.byTag, "by-tag", "", "with --enrich: bytes, flows, rejected flows, NAT GB and NAT cost per value of this tag of the interfaces (and untagged)")
	f.scale.add(fs)
}

// enrichOptions returns the inventory's deriver and --by-tag, and gives the NAT review the
// inventory's gateways and endpoints.
func (f *reportFlags) enrichOptions(rf readIn, cfg *nat.Config) (*enrich.Deriver, string) {
	d, _ := rf.opts.Derive.(*enrich.Deriver)
	if d == nil {
		return nil, ""
	}
	cfg.FromInventory(d.Inventory())
	return d, f.byTag
}

// natConfig loads what a NAT review needs from the flags: gateways, prices, ranges.
func (f *reportFlags) natConfig() (nat.Config, error) {
	return nat.Load(nat.Inputs{NAT: f.nat, NATGateways: f.natGateways, Pricing: f.pricing, IPRanges: f.ipRanges,
		Region: f.s3.region, Top: f.top, CUR: f.cur})
}

// documentOutput: report and cost write one document: a table, JSON, or CSV (a file per table).
var documentOutput = output.Choice{Allowed: []output.Format{output.Table, output.JSON, output.CSV, output.HTML}, File: output.Table, Piped: output.JSON}

// document is a report or a review in each of its forms.
type document struct {
	tables                  func() []output.CSVTable
	asJSON, asTable, asHTML func(io.Writer) error
}

// writeDocument writes a report or a review in format: CSV tables into the directory -o (or one of
// them, --section, to w), else JSON, an HTML page or a text table to w.
func writeDocument(w io.Writer, format output.Format, f *readFlags, d document) error {
	switch format {
	case output.CSV:
		_, err := output.WriteCSVTables(d.tables(), f.out, f.section, w)
		return err
	case output.JSON:
		return d.asJSON(w)
	case output.HTML:
		return d.asHTML(w)
	}
	return d.asTable(w)
}

var reportCmd = &command{
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

The JSON form (--format json) is a versioned contract ("schema_version": 1), described in docs/report-json.md.
--format html writes one self-contained page (charts drawn as SVG, no request when viewed, light
and dark themes, printable) with that JSON embedded as <script type="application/json" id="report-data">.
--compare-to SOURCES or --compare-period 1d|7d|28d sets the report beside another period (deltas per
interface, address, conversation, port, reject reason and NAT gateway, new and vanished keys).
--spike-sigma, --spike-days, --spike-history and --fail-on-spike list the hours whose bytes (in all,
per interface, per NAT gateway) exceed the mean of the same hour on the earlier days by more than
--spike-sigma standard deviations (docs/html.md).

Exit status 0 only when every object was read fully; the report is written all the same and names
the objects that failed. 5 with --fail-on-spike when a spike was found.

Examples:
  flowlens report flows/
  flowlens report --from 2026-11-01 --to 2026-11-02 --top 10 mirror/AWSLogs/
  flowlens report --format json -o report.json 'flows/*.log.gz'
  flowlens report --format html -o report.html flows/
  flowlens report --from yesterday --to today --compare-period 7d flows/
  flowlens report --from -1d --to now --fail-on-spike s3://central-logs/AWSLogs/
  flowlens report --from 2026-11-01 --to 2026-11-08 --account 123456789012 s3://central-logs/
  zcat export.log.gz | flowlens report --tz Europe/Berlin -`,
	completions: map[string][]string{"format": {"auto", "table", "json", "csv", "html"}, "compare-period": {"1d", "7d", "28d"}},
	flags: func(fs *pflag.FlagSet) func(context.Context, []string) int {
		var f reportFlags
		f.add(fs)
		f.addTrend(fs)
		return func(ctx context.Context, args []string) int {
			if len(args) == 0 && merging == nil {
				return usageError("report", "no sources given")
			}
			return runReport(ctx, "report", &f, fs, args)
		}
	},
}

// checkTop checks --top; a non-zero code is a usage error already printed.
func (f *reportFlags) checkTop(name string) int {
	if f.top < 0 {
		return usageError(name, "--top must be 0 (all) or more")
	}
	return exitOK
}

// runReport reads the sources and writes the standard report; with --compare-to or
// --compare-period it reads the other period too, and with --spike-history the days before.
func runReport(ctx context.Context, name string, f *reportFlags, fs *pflag.FlagSet, args []string) int {
	if code := f.checkTop(name); code != exitOK {
		return code
	}
	cfg, err := f.natConfig()
	if err != nil {
		return fail(name, err)
	}
	r := &reading{name: name, flags: &f.readFlags, choice: documentOutput, tables: true}
	r.narrow = func(rf *runFlags, args []string) ([]string, int) { return args, f.checkTrend(name, fs, rf) }
	r.read = func(ctx context.Context, rf readIn, w io.Writer, format output.Format) (readDone, error) {
		opts := report.Options{Top: f.top, From: rf.from, To: rf.to, Location: rf.loc}
		if !f.noNAT {
			opts.NAT = &cfg
		}
		opts.Enrich, opts.ByTag = f.enrichOptions(rf, &cfg)
		if f.transfer || f.cur != "" {
			opts.Transfer = &cfg
		}
		e, res, st, failed, err := f.runEngine(ctx, rf, report.Specs(opts))
		if err != nil {
			return readDone{}, err
		}
		var d readDone
		if opts.Compare, err = f.readCompared(ctx, rf, args, opts, &d); err != nil {
			return readDone{}, err
		}
		if f.spikesAsked {
			opts.Spikes = &report.SpikeOptions{Sigma: f.spikeSigma, Days: f.spikeDays, CompareIsBaseline: f.comparePeriod != ""}
			if f.spikeHistory {
				if opts.Spikes.History, err = f.readHistory(ctx, rf, args, &d); err != nil {
					return readDone{}, err
				}
			}
		}
		rep, err := report.Build(res, report.Input{Stats: st, Failed: failed, Skipped: rf.skipped}, opts)
		if err != nil {
			return readDone{}, err
		}
		err = writeDocument(w, format, &f.readFlags, document{rep.Tables, rep.WriteJSON, rep.WriteTable, rep.WriteHTML})
		d.stats = st
		d.failed = append(failed, d.failed...)
		d.notes = append([]string{fmt.Sprintf("aggregation state peaked at %s (limit %s)",
			aggregate.FormatBytes(e.Budget().Peak()), aggregate.FormatBytes(rf.limit))}, d.notes...)
		if rep.NAT != nil {
			for _, m := range rep.NAT.Missing {
				d.warnings = append(d.warnings, "NAT section: "+m)
			}
		}
		if c := rep.Comparison; c != nil && c.Status != report.CompareOK {
			d.warnings = append(d.warnings, "comparison: "+c.Reason)
		}
		if s := rep.Spikes; s != nil {
			if s.Note != "" {
				d.warnings = append(d.warnings, "spikes: "+s.Note)
			}
			if s.Count > 0 {
				d.notes = append(d.notes, fmt.Sprintf("%d spikes (hours above their baseline by more than %gσ)", s.Count, s.Sigma))
				if f.failOnSpike {
					d.code = exitSpike
				}
			}
		}
		return d, err
	}
	return r.run(ctx, args)
}

// readPeriod runs the engine over other sources or another range for a part of the report that
// can do without it: what cannot be read is said in the Period (and as a warning), and only an
// interruption fails the report. Objects that fail are added to d.failed, so that the exit status
// says so.
func (f *reportFlags) readPeriod(ctx context.Context, rf readIn, args []string, from, to time.Time, label string, specs []aggregate.Spec, d *readDone) (*report.Period, error) {
	p := &report.Period{From: from, To: to, Label: label}
	sources, skipped, err := expandSources(ctx, args, &f.s3, from, to, f.late)
	if err == nil {
		in := rf
		in.from, in.to, in.sources, in.skipped, in.prog = from, to, sources, skipped, nil
		var st *flowlog.Stats
		var failed []flowlog.ObjectError
		_, p.Result, st, failed, err = f.runEngine(ctx, in, specs)
		p.Input = report.Input{Stats: st, Failed: failed, Skipped: skipped}
		d.failed = append(d.failed, failed...)
		if err == nil && len(sources) == 0 {
			d.warnings = append(d.warnings, fmt.Sprintf("%s: no objects in %s for %s", label, strings.Join(args, " "), rangeText(from, to)))
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		p.Result, p.Err = nil, fmt.Sprintf("%s could not be read: %v", label, err)
	}
	return p, nil
}

// readCompared reads the period to compare with, if any.
func (f *reportFlags) readCompared(ctx context.Context, rf readIn, args []string, opts report.Options, d *readDone) (*report.Period, error) {
	specs := report.Specs(opts)
	switch {
	case len(f.compareTo) > 0:
		return f.readPeriod(ctx, rf, f.compareTo, time.Time{}, time.Time{}, "--compare-to "+strings.Join(f.compareTo, " "), specs, d)
	case f.comparePeriod != "":
		n, _ := periodDays(f.comparePeriod)
		return f.readPeriod(ctx, rf, args, rf.from.In(rf.loc).AddDate(0, 0, -n), rf.to.In(rf.loc).AddDate(0, 0, -n), "--compare-period "+f.comparePeriod, specs, d)
	}
	return nil, nil
}

// readHistory reads the --spike-days days before --from, by interface and hour, for the spikes'
// baseline.
func (f *reportFlags) readHistory(ctx context.Context, rf readIn, args []string, d *readDone) (*report.Period, error) {
	from := rf.from.In(rf.loc).AddDate(0, 0, -f.spikeDays)
	return f.readPeriod(ctx, rf, args, from, rf.from, fmt.Sprintf("the %d days before --from (--spike-history)", f.spikeDays), report.HistorySpecs(), d)
}
