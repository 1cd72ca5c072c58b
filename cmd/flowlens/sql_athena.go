package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/athena"
	"github.com/flowlens/flowlens/internal/units"
	"github.com/flowlens/flowlens/output"
)

// athenaFlags are sql's flags for running the query on Athena.
type athenaFlags struct {
	on             bool
	outputLocation string
	workgroup      string
	database       string
	catalog        string
}

func (a *athenaFlags) add(fs *pflag.FlagSet) {
	fs.BoolVar(&a.on, "athena", false, "run the query on Amazon Athena (an AWS account and a table over the data: see 'flowlens help athena-ddl')")
	fs.StringVar(&a.outputLocation, "output-location", "", "--athena: s3://BUCKET/PREFIX/ for Athena's result files (unless the workgroup sets one)")
	fs.StringVar(&a.workgroup, "workgroup", "", "--athena: the Athena workgroup (default: primary)")
	fs.StringVar(&a.database, "database", "", "--athena: the database of the query's tables (default: the query names it, FROM db.table)")
	fs.StringVar(&a.catalog, "catalog", "", "--athena: the data catalog (default: AwsDataCatalog)")
}

// athenaOnly are the flags that mean something with --athena only.
var athenaOnly = []string{"output-location", "workgroup", "database", "catalog"}

// athenaAlso are sql's other flags that apply to --athena: where the answer goes, and how to
// reach AWS.
var athenaAlso = []string{"athena", "format", "output", "quiet", "profile", "region", "endpoint-url", "tz"}

// refuse is a usage error for an --athena flag given without --athena.
func (a *athenaFlags) refuse(fs *pflag.FlagSet) int {
	for _, n := range athenaOnly {
		if fs.Changed(n) {
			return usageError("sql", "--%s applies to --athena only", n)
		}
	}
	return exitOK
}

// athenaPoll bounds the wait between two looks at a query's state (zero: the package's default);
// tests shorten it.
var athenaPoll [2]time.Duration

// runAthena runs q on Athena and writes its result as flowlens sql writes its own.
func runAthena(ctx context.Context, fs *pflag.FlagSet, f *queryFlags, a *athenaFlags, q string, rest []string) int {
	const name = "sql"
	if len(rest) > 0 {
		return usageError(name, "--athena reads the tables the query names (FROM vpc_flow_logs), not SOURCES: drop %s", strings.Join(rest, " "))
	}
	var bad string
	fs.Visit(func(fl *pflag.Flag) {
		if bad == "" && !slices.Contains(athenaOnly, fl.Name) && !slices.Contains(athenaAlso, fl.Name) {
			bad = fl.Name
		}
	})
	if bad != "" {
		return usageError(name, "--%s does not apply to --athena: Athena reads the table; put bounds and filters in the query", bad)
	}
	if f.tz != "UTC" {
		return usageError(name, "--tz %s: Athena computes dates and prints timestamps in UTC, so --athena takes --tz UTC only", f.tz)
	}
	if a.outputLocation != "" && !strings.HasPrefix(a.outputLocation, "s3://") {
		return usageError(name, "--output-location %q: want s3://BUCKET/PREFIX/", a.outputLocation)
	}
	format, err := output.Pick(f.format, f.out, isTerminal(stdout), sqlOutput)
	if err != nil {
		return usageError(name, "%v", err)
	}
	client, err := athena.NewClient(ctx, athena.ClientOptions{Profile: f.s3.profile, Region: f.s3.region, EndpointURL: f.s3.endpoint})
	if err != nil {
		return fail(name, err)
	}
	w, done, err := openOutput(f.out)
	if err != nil {
		return fail(name, err)
	}
	bw, err := output.New(w, format)
	if err != nil {
		done(false)
		return fail(name, err)
	}
	res, err := athena.Run(ctx, client, athena.QueryOptions{Query: q, OutputLocation: a.outputLocation, Workgroup: a.workgroup,
		Database: a.database, Catalog: a.catalog, PollMin: athenaPoll[0], PollMax: athenaPoll[1],
		Emit: func(r arrow.RecordBatch) error { return bw.Write(r) },
		Log: func(s string) {
			if !f.quiet {
				fmt.Fprintf(stderr, "flowlens sql: %s\n", s)
			}
		}})
	if err2 := bw.Close(); err == nil {
		err = err2
	}
	if err2 := done(err == nil); err == nil {
		err = err2
	}
	if err != nil {
		return fail(name, err)
	}
	if !f.quiet {
		fmt.Fprintf(stderr, "flowlens sql: Athena query %s: %d rows; %s scanned, %.1fs in the engine\n",
			res.ID, res.Rows, units.Decimal(res.ScannedBytes), res.EngineTime.Seconds())
		if len(res.Truncated) > 0 {
			fmt.Fprintf(stderr, "flowlens sql: warning: sub-second parts of %s dropped (timestamps are printed to the second)\n", strings.Join(res.Truncated, ", "))
		}
	}
	return exitOK
}
