package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/output"
)

// sourceKey is how the manifest names a source: a local file by its absolute path with symbolic
// links resolved, so that flows/a.log.gz and /data/flows/a.log.gz are one object; an s3:// object
// by its URI.
func sourceKey(src flowlog.Source) string {
	if src.Path == "" {
		return src.Name
	}
	p, err := filepath.Abs(src.Path)
	if err != nil {
		return src.Name
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	return p
}

// sourcePartitionKey is the key whose folders give an object's partition values: the local path, or
// the name (an s3:// URI).
func sourcePartitionKey(src flowlog.Source) string {
	if src.Path != "" {
		return src.Path
	}
	return src.Name
}

var convertCmd = &command{
	name:  "convert",
	usage: "[flags] SOURCES… -o DIR",
	short: "write flow logs as a Hive-partitioned Parquet dataset for Athena, Spark, Trino, DuckDB",
	long: `Decodes flow-log objects (any source) and writes them as Parquet under DIR, partitioned by the day or
hour of each record's start (UTC): DIR/year=YYYY/month=MM/day=DD/[hour=HH/]part-XXXXXXXX.parquet.
--partition-by account,region (either or both) puts the account's and region's folders first, as
Athena's partition projection reads best: DIR/account_id=…/region=…/year=…/month=…/day=…/[hour=…/].
A row's account and region are its record's (account-id, region) where the layout has the field,
else its object key's (AWSLogs/ACCOUNT/vpcflowlogs/REGION/…, or aws-account-id=/aws-region=), else
__HIVE_DEFAULT_PARTITION__: what flowlens sql reads for account_id and region. The files keep every
column of their layout; 'flowlens athena-ddl DIR' prints the table over the dataset. The
columns have the Athena names and the types of the AWS flow-log tables (addresses as text), every one
optional; row groups of up to 1 M rows; each file appears only when complete. Each run writes one file
per partition and layout, named with the run (part-RUN-XXXXXXXX.parquet).

DIR keeps _flowlens_manifest.json, the record of each source object converted (name, ETag or
modification time, size, rows) and of each run's files; readers of the dataset skip it. --mode says
what to do when DIR already holds a dataset: error (the default) refuses; append converts only the
objects not in the manifest, so re-running a day is idempotent (an object that changed since, or was
read only in part, is named and not converted again); overwrite replaces the dataset, removing the
earlier runs' files once the new ones are in place. One convert writes into DIR at a time
(_flowlens.lock). A progress line is drawn on a terminal.

Examples:
  flowlens convert -o dataset flows/
  flowlens convert --partition hour --compression snappy -o dataset s3://central-logs/AWSLogs/
  flowlens convert --partition hour --partition-by account,region -o dataset s3://central-logs/AWSLogs/
  flowlens convert --mode append -o dataset s3://central-logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/12/06/
  duckdb -c "SELECT interface_id, sum(bytes) FROM read_parquet('dataset/**/*.parquet', hive_partitioning=true) GROUP BY 1"`,
	completions: map[string][]string{"partition": {"day", "hour"}, "partition-by": {"account", "region", "account,region"}, "compression": {"zstd", "gzip", "snappy", "none"}, "mode": {"error", "overwrite", "append"}},
	flags: func(fs *pflag.FlagSet) func(context.Context, []string) int {
		var df decodeFlags
		df.add(fs)
		var sf s3Flags
		sf.add(fs)
		out := fs.StringP("output", "o", "", "output directory (required)")
		partition := fs.String("partition", "day", "day or hour")
		partitionBy := fs.String("partition-by", "", "also partition by account, region or account,region (folders account_id=…/region=… before the time's)")
		compression := fs.String("compression", "zstd", "zstd, gzip, snappy or none")
		quiet := fs.BoolP("quiet", "q", false, "no diagnostics but errors")
		mode := fs.String("mode", output.ModeError, "when DIR holds a dataset: error, overwrite (replace it) or append (add the objects not converted yet)")
		return func(ctx context.Context, args []string) int {
			if *out == "" || len(args) == 0 {
				return usageError("convert", "give sources and the output directory with -o DIR")
			}
			if *partition != "day" && *partition != "hour" {
				return usageError("convert", "--partition %q: day or hour", *partition)
			}
			by, err := output.ParsePartitionBy(*partitionBy)
			if err != nil {
				return usageError("convert", "%v", err)
			}
			dw, err := output.NewDatasetWriter(*out, *partition == "hour", output.ParquetOptions{Compression: *compression})
			if err != nil {
				return usageError("convert", "--compression: %v", err)
			}
			dw.By = by
			opts, err := df.options(ctx)
			if err != nil {
				return optionsError("convert", err)
			}
			sources, _, err := expandSources(ctx, args, &sf, time.Time{}, time.Time{}, 0)
			if err != nil {
				return fail("convert", err)
			}
			if *mode == output.ModeAppend {
				for _, src := range sources {
					if src.Name == "-" {
						return usageError("convert", "--mode append remembers the objects it converted by name, and standard input has none: convert files or s3:// objects")
					}
				}
			}
			ds, err := output.OpenDataset(*out, *mode, *partition, by, *compression)
			if err != nil {
				return fail("convert", err)
			}
			defer ds.Close()
			dw.RunID = ds.RunID
			began := time.Now()
			prog := &aggregate.Progress{TotalObject: int64(len(sources))}
			for _, src := range sources {
				prog.TotalBytes += max(src.Size, 0)
			}
			stopProgress := startProgress(prog, *quiet)
			st := &flowlog.Stats{}
			var failed []flowlog.ObjectError
			already := 0
			for _, src := range sources {
				key := sourceKey(src)
				done, err := ds.Manifest.Converted(key, src.Version, src.Size)
				if err != nil {
					failed = append(failed, flowlog.ObjectError{Object: src.Name, Err: err})
				}
				if done {
					already++
					prog.Objects.Add(1)
					continue
				}
				var rows int64
				if len(by) > 0 {
					// The key's account and region, for the rows whose layout lacks them: the
					// values flowlens sql reads for them (query.partitionSources does the same).
					src.Partition = flowlog.PartitionValues(sourcePartitionKey(src))
				}
				emit := flowlog.StampPartition(src, func(r arrow.RecordBatch) error {
					rows += r.NumRows()
					prog.Records.Add(r.NumRows())
					return dw.Write(r)
				})
				st1, failed1, err := flowlog.DecodeSources(ctx, []flowlog.Source{src}, opts, emit)
				if err != nil {
					stopProgress()
					dw.Abort()
					return fail("convert", err)
				}
				st.Add(st1)
				failed = append(failed, failed1...)
				// An object that gave no row (it could not be opened) is not recorded: a later append
				// tries it again. One that broke after some rows is recorded as partial: its rows are in.
				if len(failed1) == 0 || rows > 0 {
					ds.Add(output.ManifestObject{Object: key, Version: src.Version, Size: src.Size, Rows: rows, Partial: len(failed1) > 0})
				}
				prog.Objects.Add(1)
				prog.BytesRead.Add(st1.BytesRead)
			}
			stopProgress()
			paths, err := dw.Close()
			if err == nil {
				err = ds.Commit(paths)
			}
			if err != nil {
				return fail("convert", err)
			}
			if !*quiet {
				printStats(stderr, st, failed)
				printEnrichNote(stderr, opts)
				if already > 0 {
					fmt.Fprintf(stderr, "flowlens convert: %d objects already in the dataset, skipped\n", already)
				}
				fmt.Fprintf(stderr, "flowlens convert: %d Parquet files under %s in %.1fs\n", len(paths), *out, time.Since(began).Seconds())
			} else {
				for _, f := range failed {
					fmt.Fprintf(stderr, "flowlens convert: %v\n", f.Err)
				}
			}
			if len(failed) > 0 {
				return exitFailure
			}
			return exitOK
		}
	},
}
