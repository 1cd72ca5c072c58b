package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/aggregate"
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
}

// natConfig loads what a NAT review needs from the flags: gateways, prices, ranges.
func (f *reportFlags) natConfig() (nat.Config, error) {
	return nat.Load(nat.Inputs{NAT: f.nat, NATGateways: f.natGateways, Pricing: f.pricing, IPRanges: f.ipRanges,
		Region: f.s3.region, Top: f.top})
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
Exit status 0 only when every object was read fully; the report is written all the same and names
the objects that failed.

Examples:
  flowlens report flows/
  flowlens report --from 2026-11-01 --to 2026-11-02 --top 10 mirror/AWSLogs/
  flowlens report --format json -o report.json 'flows/*.log.gz'
  flowlens report --format html -o report.html flows/
  flowlens report --from 2026-11-01 --to 2026-11-08 --account 123456789012 s3://central-logs/
  zcat export.log.gz | flowlens report --tz Europe/Berlin -`,
	completions: map[string][]string{"format": {"auto", "table", "json", "csv", "html"}},
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
}

// checkTop checks --top; a non-zero code is a usage error already printed.
func (f *reportFlags) checkTop(name string) int {
	if f.top < 0 {
		return usageError(name, "--top must be 0 (all) or more")
	}
	return exitOK
}

// runReport reads the sources and writes the standard report.
func runReport(ctx context.Context, name string, f *reportFlags, args []string) int {
	if code := f.checkTop(name); code != exitOK {
		return code
	}
	cfg, err := f.natConfig()
	if err != nil {
		return fail(name, err)
	}
	r := &reading{name: name, flags: &f.readFlags, choice: documentOutput, tables: true}
	r.read = func(ctx context.Context, rf readIn, w io.Writer, format output.Format) (readDone, error) {
		opts := report.Options{Top: f.top, From: rf.from, To: rf.to, Location: rf.loc}
		if !f.noNAT {
			opts.NAT = &cfg
		}
		e, res, st, failed, err := f.runEngine(ctx, rf, report.Specs(opts))
		if err != nil {
			return readDone{}, err
		}
		rep, err := report.Build(res, report.Input{Stats: st, Failed: failed, Skipped: rf.skipped}, opts)
		if err != nil {
			return readDone{}, err
		}
		err = writeDocument(w, format, &f.readFlags, document{rep.Tables, rep.WriteJSON, rep.WriteTable, rep.WriteHTML})
		d := readDone{stats: st, failed: failed, notes: []string{fmt.Sprintf("aggregation state peaked at %s (limit %s)",
			aggregate.FormatBytes(e.Budget().Peak()), aggregate.FormatBytes(rf.limit))}}
		if rep.NAT != nil {
			for _, m := range rep.NAT.Missing {
				d.warnings = append(d.warnings, "NAT section: "+m)
			}
		}
		return d, err
	}
	return r.run(ctx, args)
}
