package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
)

var demoCmd = &command{
	name:  "demo",
	usage: "[flags]",
	short: "generate a day of flow logs in a temporary directory and report on it",
	long: `Runs the main job without an AWS account: writes a day of synthetic flow logs (gzip objects in the
AWS hourly key layout, the version 5 fields of AWS's custom-format example: pkt-* addresses, AZs,
flow direction, with NAT gateways, S3 and rejected traffic) into a temporary directory, runs
'flowlens report' over it, NAT gateway cost review included, and removes the directory (unless
--keep names one).
Every report flag applies.

Examples:
  flowlens demo
  flowlens demo --records 5000000 --format json -o demo-report.json
  flowlens demo --keep demo-data/day && flowlens report --from 2026-11-01T08 --to 2026-11-01T12 demo-data/day`,
	completions: map[string][]string{"format": {"auto", "table", "json", "csv", "html"}},
	flags: func(fs *pflag.FlagSet) func(context.Context, []string) int {
		var f reportFlags
		f.add(fs)
		f.addTrend(fs)
		records := fs.Int64("records", 1_000_000, "record lines to generate")
		keep := fs.String("keep", "", "generate into DIR and keep it")
		return func(ctx context.Context, args []string) int {
			if len(args) > 0 {
				return usageError("demo", "demo takes no sources (see 'flowlens report')")
			}
			dir := *keep
			if dir == "" {
				tmp, err := os.MkdirTemp("", "flowlens-demo-")
				if err != nil {
					return fail("demo", err)
				}
				defer os.RemoveAll(tmp)
				dir = tmp
			}
			began := time.Now()
			start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			prog := &synth.Progress{}
			stop := startGenProgress(prog, 24, *records, f.quiet)
			m, err := synth.Generate(synth.Config{Dir: dir, Seed: 1, Records: *records, Objects: 24, Fields: flowlog.V5Layout,
				Layout: "aws-hourly", Start: start, Days: 1, Gzip: true, NATInstanceCopies: true, Progress: prog})
			stop()
			if err != nil {
				return fail("demo", err)
			}
			if !f.quiet {
				fmt.Fprintf(stderr, "flowlens demo: generated %d objects, %d records in %.1fs; reporting\n",
					len(m.Objects), m.Records+m.NoData+m.SkipData, time.Since(began).Seconds())
			}
			return runReport(ctx, "demo", &f, fs, []string{dir})
		}
	},
}
