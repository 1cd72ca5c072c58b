package main

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/output"
)

var convertCmd = &command{
	name:  "convert",
	usage: "[flags] SOURCES… -o DIR",
	short: "write flow logs as a Hive-partitioned Parquet dataset for Athena, Spark, Trino, DuckDB",
	long: `Decodes flow-log objects (any source) and writes them as Parquet under DIR, partitioned by the day or
hour of each record's start (UTC): DIR/year=YYYY/month=MM/day=DD/[hour=HH/]part-XXXXXXXX.parquet. The
columns have the Athena names and the types of the AWS flow-log tables (addresses as text), every one
optional; row groups of up to 1 M rows; each file appears only when complete. One file per partition
and layout. DIR must not hold files of an earlier conversion.

Examples:
  flowlens convert -o dataset flows/
  flowlens convert --partition hour --compression snappy -o dataset s3://central-logs/AWSLogs/
  duckdb -c "SELECT interface_id, sum(bytes) FROM read_parquet('dataset/**/*.parquet', hive_partitioning=true) GROUP BY 1"`,
	flags: func(fs *pflag.FlagSet) func(context.Context, []string) int {
		var df decodeFlags
		df.add(fs)
		var sf s3Flags
		sf.add(fs)
		out := fs.StringP("output", "o", "", "output directory (required)")
		partition := fs.String("partition", "day", "day or hour")
		compression := fs.String("compression", "zstd", "zstd, gzip, snappy or none")
		quiet := fs.BoolP("quiet", "q", false, "no diagnostics but errors")
		return func(ctx context.Context, args []string) int {
			opts, err := df.options()
			if err != nil {
				return usageError("convert", "%v", err)
			}
			if *out == "" || len(args) == 0 {
				return usageError("convert", "give sources and the output directory with -o DIR")
			}
			if *partition != "day" && *partition != "hour" {
				return usageError("convert", "--partition %q: day or hour", *partition)
			}
			dw, err := output.NewDatasetWriter(*out, *partition == "hour", output.ParquetOptions{Compression: *compression})
			if err != nil {
				return usageError("convert", "--compression: %v", err)
			}
			sources, _, err := expandSources(ctx, args, &sf, time.Time{}, time.Time{}, 0)
			if err != nil {
				return fail("convert", err)
			}
			began := time.Now()
			st, failed, err := flowlog.DecodeSources(ctx, sources, opts, func(r arrow.RecordBatch) error { return dw.Write(r) })
			if err != nil {
				dw.Abort()
				return fail("convert", err)
			}
			paths, err := dw.Close()
			if err != nil {
				return fail("convert", err)
			}
			if !*quiet {
				printStats(stderr, st, failed)
				fmt.Fprintf(stderr, "flowlens convert: %d Parquet files under %s in %.1fs\n", len(paths), *out, time.Since(began).Seconds())
			}
			if len(failed) > 0 {
				return exitFailure
			}
			return exitOK
		}
	},
}
