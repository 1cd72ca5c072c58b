package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
)

var genCmd = &command{
	name:  "gen",
	usage: "[flags] -o DIR",
	short: "write realistic synthetic flow-log objects (deterministic) and a manifest",
	long: `Writes gzip flow-log objects with a header line, as AWS delivers them to S3, and DIR/manifest.json with
what was written (line counts, the true NAT gateway traffic by destination class). The same seed
and flags give the same bytes.

--fields v2 writes the default format; v5 writes the custom layout of the AWS version 5 example
(with pkt-* addresses, AWS service names, traffic path and direction); any other value is a field list.
--layout flat puts the objects in DIR; aws, aws-hourly, hive and hive-hourly use the S3 key layouts
(AWSLogs/ACCOUNT/vpcflowlogs/REGION/YYYY/MM/DD[/HH]/…, or the Hive form).

Examples:
  flowlens gen -o sample
  flowlens gen --records 10000000 --objects 40 --layout aws --days 2 -o flows
  flowlens gen --fields v5 --no-nat-instance-copies -o nat-sample
  flowlens gen --fields v5 --region us-west-2 -o oregon`,
	completions: map[string][]string{"fields": {"v2", "v5"}, "layout": {"flat", "aws", "aws-hourly", "hive", "hive-hourly"}},
	flags: func(fs *pflag.FlagSet) func(context.Context, []string) int {
		out := fs.StringP("output", "o", "", "output directory (required)")
		seed := fs.Uint64("seed", 1, "random seed")
		records := fs.Int64("records", 100000, "record lines in all")
		objects := fs.Int("objects", 4, "number of objects")
		fields := fs.String("fields", "v2", "v2, v5, or a field list")
		layout := fs.String("layout", "flat", "flat, aws, aws-hourly, hive or hive-hourly")
		start := fs.String("start", "2026-11-01", "start of the first object's window (UTC date or RFC 3339 time)")
		days := fs.Int("days", 1, "days the objects span")
		plain := fs.Bool("plain", false, "write plain .log text instead of gzip")
		noCopies := fs.Bool("no-nat-instance-copies", false, "leave out the workload interface's copies of NAT traffic")
		region := fs.String("region", "us-east-1", "region of the records and object keys")
		inventory := fs.Bool("inventory", false, "also write inventory.json: the generated world as aws ec2 describe-* prints it, for --enrich")
		spread := fs.String("spread", "skewed", "how endpoints are drawn: skewed (hot interfaces and peers) or random (2,000 interfaces, random private peers: ~1.8 M conversations per 4 M records)")
		return func(_ context.Context, args []string) int {
			if *out == "" || len(args) > 0 {
				return usageError("gen", "give the output directory with -o DIR (and no other arguments)")
			}
			var l *flowlog.Layout
			switch *fields {
			case "v2", "default":
				l = flowlog.DefaultLayout
			case "v5":
				l = flowlog.V5Layout
			default:
				var err error
				if l, err = flowlog.ParseLayout(*fields); err != nil {
					return usageError("gen", "--fields: %v", err)
				}
			}
			t, err := time.Parse(time.RFC3339, *start)
			if err != nil {
				if t, err = time.Parse("2006-01-02", *start); err != nil {
					return usageError("gen", "--start %q: want a date (2026-11-01) or an RFC 3339 time", *start)
				}
			}
			began := time.Now()
			prog := &synth.Progress{}
			stop := startGenProgress(prog, int64(*objects), *records, false)
			m, err := synth.Generate(synth.Config{Dir: *out, Seed: *seed, Records: *records, Objects: *objects, Fields: l,
				Layout: *layout, Start: t, Days: *days, Gzip: !*plain, NATInstanceCopies: !*noCopies, Region: *region, Spread: *spread, Progress: prog, Inventory: *inventory})
			stop()
			if err != nil {
				return fail("gen", err)
			}
			fmt.Fprintf(stderr, "flowlens gen: wrote %d objects, %d records (%d NODATA, %d SKIPDATA) to %s in %.1fs\n",
				len(m.Objects), m.Records+m.NoData+m.SkipData, m.NoData, m.SkipData, *out, time.Since(began).Seconds())
			return exitOK
		}
	},
}
