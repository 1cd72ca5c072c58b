package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/athena"
	"github.com/flowlens/flowlens/output"
)

var athenaDDLCmd = &command{
	name:  "athena-ddl",
	usage: "[flags] DATASET --table NAME --location s3://BUCKET/PREFIX/",
	short: "print the Athena CREATE EXTERNAL TABLE (partition projection, exact types) of a dataset",
	long: `Reads the Parquet files of a dataset that flowlens convert wrote (their schemas and partition folders)
and prints the CREATE EXTERNAL TABLE … STORED AS PARQUET over its copy at --location, with partition
projection: no crawler, no MSCK REPAIR, no ALTER TABLE ADD PARTITION.

Column types are those that Athena's Parquet reader takes for each file's physical and logical type:
INT32 int, INT64 bigint, BYTE_ARRAY STRING string, an INT32 annotated INT(16,false) (UINT_16) int (a
smallint would wrap past 32767), and so on (docs/athena.md has the table). Files that disagree on a
column's type, or on the partition folders, are refused with both named. The partition columns are
the folders (account_id, region, year, month, day, hour), declared string as flowlens's partition
columns are varchar, and not repeated among the data columns (Athena reads the folder's value, which
convert made the record's). year, month, day and hour are projected as integers (month, day and hour
with two digits); account_id and region as enum of the values the dataset has (run again after an
append that adds accounts or regions), or with --injected as injected (every query then needs
WHERE account_id = '…'). Notes on what projection cannot reach go to stderr.

The same SQL then runs on either engine: flowlens sql over the dataset, or flowlens sql --athena
(see 'flowlens help sql') over the table. Creating the table needs an AWS account; athena-ddl
itself only reads the local files.

Examples:
  flowlens convert --partition hour --partition-by account,region -o dataset s3://central-logs/AWSLogs/
  aws s3 sync dataset/ s3://analytics/flowlogs/ --exclude '_flowlens*'
  flowlens athena-ddl dataset --table vpc_flow_logs --location s3://analytics/flowlogs/
  flowlens athena-ddl --injected account_id --years 2024,2030 dataset --table logs.vpc_flow_logs --location s3://analytics/flowlogs/`,
	flags: func(fs *pflag.FlagSet) func(context.Context, []string) int {
		table := fs.String("table", "", "[DATABASE.]NAME of the table (required)")
		location := fs.String("location", "", "s3://BUCKET/PREFIX/ where the dataset is copied (required)")
		injected := fs.StringSlice("injected", nil, "partition columns projected as injected instead of enum (account_id, region): queries must name their values")
		years := fs.String("years", "", "FROM,TO: the range of year to project (default: the dataset's years)")
		out := fs.StringP("output", "o", "", "write the DDL to FILE (atomically) instead of stdout")
		quiet := fs.BoolP("quiet", "q", false, "no notes on stderr")
		return func(ctx context.Context, args []string) int {
			if len(args) != 1 {
				return usageError("athena-ddl", "give one dataset directory (what flowlens convert -o wrote)")
			}
			if *table == "" || *location == "" {
				return usageError("athena-ddl", "give --table NAME and --location s3://BUCKET/PREFIX/")
			}
			o := athena.DDLOptions{Table: *table, Location: *location, Injected: *injected}
			if *years != "" {
				a, b, ok := strings.Cut(*years, ",")
				lo, err1 := strconv.Atoi(strings.TrimSpace(a))
				hi, err2 := strconv.Atoi(strings.TrimSpace(b))
				if !ok || err1 != nil || err2 != nil || lo < 1970 || hi < lo || hi > 9999 {
					return usageError("athena-ddl", "--years %q: want FROM,TO, e.g. 2024,2030", *years)
				}
				o.Years = [2]int{lo, hi}
			}
			ds, err := athena.ReadDataset(args[0])
			if err != nil {
				return fail("athena-ddl", err)
			}
			ddl, notes, err := ds.DDL(o)
			if err != nil {
				return fail("athena-ddl", err)
			}
			w, done, err := output.Open(*out, stdout)
			if err != nil {
				return fail("athena-ddl", err)
			}
			_, err = fmt.Fprint(w, ddl)
			if err2 := done(err == nil); err == nil {
				err = err2
			}
			if err != nil {
				return fail("athena-ddl", err)
			}
			if !*quiet {
				for _, n := range notes {
					fmt.Fprintf(stderr, "flowlens athena-ddl: note: %s\n", n)
				}
			}
			return exitOK
		}
	},
}
