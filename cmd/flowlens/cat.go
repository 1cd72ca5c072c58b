package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/internal/units"
	"github.com/flowlens/flowlens/output"
)

// decodeFlags are the flags of every command that reads flow logs.
type decodeFlags struct {
	fields  string
	strict  bool
	strictF bool
	workers int
	maxLine string
	enrich  enrichFlags
}

func (d *decodeFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&d.fields, "fields", "", "layout of lines without a header: '${version} ${srcaddr} …' or 'version srcaddr …'")
	fs.BoolVar(&d.strict, "strict", false, "fail on the first malformed line instead of counting and reporting it")
	fs.BoolVar(&d.strictF, "strict-fields", false, "parse and range-check every field of every line, also those the question does not read (they get a check of their bytes and length otherwise)")
	fs.IntVarP(&d.workers, "workers", "w", runtime.GOMAXPROCS(0), "decoding goroutines")
	fs.StringVar(&d.maxLine, "max-line", "1MiB", "longest line read: a longer one is one malformed line")
	d.enrich.add(fs)
}

// options checks the flags and loads the inventory (fetching it with --enrich-from-aws, which
// takes ctx); an error that is not the flags' is an *enrichFailed.
func (d *decodeFlags) options(ctx context.Context) (flowlog.Options, error) {
	o := flowlog.Options{Strict: d.strict, StrictFields: d.strictF, Workers: d.workers}
	n, err := units.ParseSize(d.maxLine)
	if err != nil || n < 1024 || n > 1<<30 {
		return o, fmt.Errorf("--max-line %q: want a size from 1KiB to 1GiB", d.maxLine)
	}
	o.MaxLineBytes = int(n)
	if d.fields != "" {
		l, err := flowlog.ParseLayout(d.fields)
		if err != nil {
			return o, fmt.Errorf("--fields: %w", err)
		}
		o.Fields = l
	}
	// Each worker holds batches of its own (about 4 MiB): more than a few per CPU buy nothing and
	// would hold memory that no limit accounts for.
	if most := maxWorkers(); d.workers < 1 || d.workers > most {
		return o, fmt.Errorf("--workers %d: want 1 to %d (4 per CPU on this machine)", d.workers, most)
	}
	drv, err := d.enrich.deriver(ctx)
	if err != nil {
		return o, err
	}
	if drv != nil {
		o.Derive = drv
	}
	return o, nil
}

// maxWorkers is the most decoding goroutines a run may have.
func maxWorkers() int { return max(4*runtime.NumCPU(), 4) }

// openOutput returns stdout, or an atomic file for -o (output.Open).
func openOutput(path string) (io.Writer, func(ok bool) error, error) {
	return output.Open(path, stdout)
}

var catCmd = &command{
	name:  "cat",
	usage: "[flags] SOURCES…",
	short: "print every decoded record as JSON Lines, JSON, CSV, Parquet or Arrow",
	long: `Decodes flow-log objects (plain or gzip text; files, directories, globs, - for stdin, or s3:// URIs) and prints
each record: JSON Lines (or one JSON array) with the Athena column names as keys, integers as numbers, addresses as text
and "-" as null; or CSV with a header. NODATA and SKIPDATA records are printed too (their log_status
says so); headers, blank and malformed lines are not. The accounting of every line read goes to
stderr, and to --stats-json as JSON. Exit status 1 when an object could not be read to its end.

Examples:
  flowlens cat 123456789012_vpcflowlogs_us-east-1_fl-0a_20250101T0000Z_1a2b.log.gz
  flowlens cat --format csv -o flows.csv logs/
  flowlens cat --format parquet -o flows.parquet logs/2026-11-01/
  zcat cloudwatch-export.gz | flowlens cat --fields '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}' -
  flowlens cat --stats-json stats.json logs/ > /dev/null
  flowlens cat --profile audit s3://central-logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/01/`,
	completions: map[string][]string{"format": {"jsonl", "json", "csv", "parquet", "arrow"}},
	flags: func(fs *pflag.FlagSet) func(context.Context, []string) int {
		var df decodeFlags
		df.add(fs)
		var sf s3Flags
		sf.add(fs)
		format := fs.String("format", "jsonl", "output format: jsonl, json (one array), csv, parquet or arrow (IPC stream)")
		out := fs.StringP("output", "o", "", "write to FILE (atomically) instead of stdout")
		statsJSON := fs.String("stats-json", "", "also write the input accounting as JSON to FILE")
		return func(ctx context.Context, args []string) int {
			if len(args) == 0 {
				return usageError("cat", "no sources given")
			}
			opts, err := df.options(ctx)
			if err != nil {
				return optionsError("cat", err)
			}
			sources, _, err := expandSources(ctx, args, &sf, time.Time{}, time.Time{}, 0)
			if err != nil {
				return fail("cat", err)
			}
			fm, err := output.Pick(*format, *out, isTerminal(stdout), catOutput)
			if err != nil {
				return usageError("cat", "%v", err)
			}
			w, done, err := openOutput(*out)
			if err != nil {
				return fail("cat", err)
			}
			bw, err := output.New(w, fm)
			if err != nil {
				done(false)
				return fail("cat", err)
			}
			st, failed, err := flowlog.DecodeSources(ctx, sources, opts, func(r arrow.RecordBatch) error { return bw.Write(r) })
			if err2 := bw.Close(); err == nil {
				err = err2
			}
			if err2 := done(err == nil); err == nil {
				err = err2
			}
			printStats(stderr, st, failed)
			printEnrichNote(stderr, opts)
			if *statsJSON != "" {
				if err2 := writeStatsJSON(*statsJSON, st, failed); err2 != nil {
					fmt.Fprintf(stderr, "flowlens cat: %v\n", err2)
					return exitFailure
				}
			}
			if err != nil {
				return fail("cat", err)
			}
			if len(failed) > 0 {
				return exitFailure
			}
			return exitOK
		}
	},
}

// catOutput: cat writes records, never a table; jsonl is its flag's default.
var catOutput = output.Choice{Allowed: []output.Format{output.JSONL, output.JSON, output.CSV, output.Parquet, output.Arrow},
	File: output.JSONL, Piped: output.JSONL}

// statsDoc is the JSON form of the input accounting.
type statsDoc struct {
	*flowlog.Stats
	Failed []failedDoc `json:"failed_objects"`
}

type failedDoc struct {
	Object string `json:"object"`
	Error  string `json:"error"`
}

func writeStatsJSON(path string, st *flowlog.Stats, failed []flowlog.ObjectError) error {
	doc := statsDoc{Stats: st, Failed: []failedDoc{}}
	if doc.FirstMalformed == nil {
		doc.FirstMalformed = []*flowlog.ParseError{}
	}
	for _, f := range failed {
		doc.Failed = append(doc.Failed, failedDoc{f.Object, f.Err.Error()})
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	// As -o: stdout for "-", a device or a pipe written as it is, a file replaced atomically.
	w, done, err := output.Open(path, os.Stdout)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	if err2 := done(err == nil); err == nil {
		err = err2
	}
	return err
}

func printStats(w io.Writer, st *flowlog.Stats, failed []flowlog.ObjectError) {
	fmt.Fprintf(w, "flowlens: %d objects (%d failed), %s read, %s of text; %d lines: %d records, %d NODATA, %d SKIPDATA, %d headers, %d blank, %d malformed",
		st.Objects, st.ObjectsFailed, units.Decimal(st.BytesRead), units.Decimal(st.BytesText), st.Lines, st.Records, st.NoData, st.SkipData, st.Headers, st.Blank, st.Malformed)
	if st.MillisTimes+st.MicrosTimes+st.NanosTimes > 0 {
		fmt.Fprintf(w, "; %d millisecond, %d microsecond and %d nanosecond times normalised to seconds", st.MillisTimes, st.MicrosTimes, st.NanosTimes)
	}
	if st.RowsFromBadMember > 0 {
		fmt.Fprintf(w, "; %d rows from a gzip member whose CRC check failed (kept)", st.RowsFromBadMember)
	}
	if st.RowsSkipped > 0 {
		fmt.Fprintf(w, "; %d Parquet rows skipped unread (row groups outside the time range)", st.RowsSkipped)
	}
	fmt.Fprintln(w)
	for _, e := range st.FirstMalformed {
		fmt.Fprintf(w, "  malformed: %v\n", e)
	}
	if st.Malformed > int64(len(st.FirstMalformed)) {
		fmt.Fprintf(w, "  … and %d more malformed lines\n", st.Malformed-int64(len(st.FirstMalformed)))
	}
	for _, f := range failed {
		fmt.Fprintf(w, "  failed: %v\n", f.Err)
	}
}
