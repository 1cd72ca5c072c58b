package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/cost"
	"github.com/flowlens/flowlens/nat"
	"github.com/flowlens/flowlens/output"
	"github.com/flowlens/flowlens/report"
)

// costFlags are the cost command's own flags (the others are the report's).
type costFlags struct {
	estimate bool
	natGB    float64
	hours    float64
	azs      int
	natCount int
	natGBSet bool // --nat-gb was given
}

var costCmd = &command{
	name:  "cost",
	usage: "[flags] SOURCES… | --estimate --nat-gb N --hours H",
	short: "NAT gateway cost review: processed bytes, who sent them, where to, and what endpoints would save",
	long: `Reads flow logs (any source, as report does) and reviews each NAT gateway: the bytes it processed,
counted once per direction (the records its interface logs with translated addresses, never its four
records of a conversation nor the instances' copies), the workloads that sent them and the far ends
they went to, each classified as S3 or DynamoDB in the gateway's region, other AWS, or internet
(longest-prefix match against AWS's IP ranges), the cost for the period and a monthly projection,
and the recommendations: S3/DynamoDB gateway endpoints, interface endpoints where they beat the NAT's
per-GB charge, NAT gateways in the AZs that cross AZs; then the transfer section, the rest of the
data-transfer bill line by line (inter-AZ, inter-region, internet egress, transit gateway, NAT public
IPv4), each with its assumption, a line the input cannot tell marked so; with --cur FILE (a Cost and
Usage Report extract of the same period, CSV or Parquet, CUR 2.0 or legacy column names) each line
has the billed usage and cost of its usage types beside it, and the difference. Detecting gateways and pairing workloads with
far ends needs pkt-srcaddr and pkt-dstaddr; without them, gateways given with --nat or --nat-gateways
are still reviewed from their own addresses (workloads and far ends, not who talked to whom).

NAT gateways come from --nat (interface ids) or --nat-gateways (the JSON of aws ec2
describe-nat-gateways); without either they are detected from the records and marked as guessed.
Prices: an embedded, dated table; --pricing FILE overrides it (JSON, see docs/cost.md). AWS IP ranges:
an embedded subset; --ip-ranges FILE takes a fresh ip-ranges.json.

--estimate prices a NAT volume without logs: --nat-gb N --hours H [--nat-count K] [--region R].

Exit status: 0 when the review is complete; 1 when an object could not be read; 2 for a usage error;
3 when the price table has no prices for the region (the review is written with costs unknown: give
prices with --pricing, see 'flowlens prices fetch'); 4 when the NAT gateways cannot be known (the
input has no pkt-srcaddr/pkt-dstaddr fields and neither --nat nor --nat-gateways names them).

Examples:
  flowlens cost --region us-east-1 s3://central-logs/AWSLogs/
  flowlens cost --nat-gateways nat-gateways.json --from 2026-11-01 --to 2026-11-08 flows/
  flowlens cost --format json -o cost.json --nat eni-0a1b2c3d4e5f60718 flows/
  flowlens cost --format html -o cost.html flows/
  flowlens cost --from 2026-11-01 --to 2026-11-02 --cur cur-2026-11.csv.gz flows/
  flowlens cost --estimate --nat-gb 1000 --hours 730`,
	completions: map[string][]string{"format": {"auto", "table", "json", "csv", "html"}},
	flags: func(fs *pflag.FlagSet) func(context.Context, []string) int {
		var f reportFlags
		f.add(fs)
		var c costFlags
		fs.BoolVar(&c.estimate, "estimate", false, "price a NAT volume without logs (--nat-gb, --hours)")
		fs.Float64Var(&c.natGB, "nat-gb", 0, "with --estimate: GB processed by the NAT gateways")
		fs.Float64Var(&c.hours, "hours", 0, "with --estimate: hours (730 is one month)")
		fs.IntVar(&c.azs, "azs", 0, "with --estimate: AZs an interface endpoint would span (default: one per gateway)")
		fs.IntVar(&c.natCount, "nat-count", 1, "with --estimate: the number of NAT gateways")
		fs.MarkHidden("no-nat") // the report's; cost refuses it
		return func(ctx context.Context, args []string) int {
			c.natGBSet = fs.Changed("nat-gb")
			return runCost(ctx, &f, &c, args)
		}
	},
}

func runCost(ctx context.Context, f *reportFlags, c *costFlags, args []string) int {
	const name = "cost"
	if f.noNAT {
		return usageError(name, "--no-nat leaves the NAT section out of a report; cost is the NAT review")
	}
	if c.estimate && (f.scale.partial || f.scale.shard != "") {
		return usageError(name, "--estimate reads no logs: --shard and --partial do not apply")
	}
	if c.estimate {
		format, err := output.Pick(f.format, f.out, isTerminal(stdout), documentOutput)
		if err == nil && (format == output.CSV || format == output.HTML) {
			err = fmt.Errorf("--format %s: the estimate is written as table or json", format)
		}
		if err != nil {
			return usageError(name, "%v", err)
		}
		prices, err := nat.LoadPrices(f.pricing)
		if err != nil {
			return fail(name, err)
		}
		return runEstimate(f, c, prices, format)
	}
	if len(args) == 0 && merging == nil {
		return usageError(name, "no sources given (or --estimate)")
	}
	cfg, err := f.natConfig()
	if err != nil {
		return fail(name, err)
	}
	r := &reading{name: name, flags: &f.readFlags, choice: documentOutput, tables: true}
	r.read = func(ctx context.Context, rf readIn, w io.Writer, format output.Format) (readDone, error) {
		// The inventory's gateways and endpoints first: the group-bys depend on them.
		inv, byTag := f.enrichOptions(rf, &cfg)
		specs := append(append(nat.StandaloneSpecs(cfg.Gateways), nat.TransferSpecs(true)...), nat.EndpointSpecs(cfg)...)
		if byTag != "" {
			specs = append(specs, nat.ByTagSpecs(byTag)...)
		}
		_, res, st, failed, err := f.runEngine(ctx, rf, specs)
		if err != nil {
			return readDone{}, err
		}
		span := nat.SpanOf(res, rf.from, rf.to)
		review, err := nat.Build(res, cfg, span)
		if err != nil {
			return readDone{}, err
		}
		review.Transfer = nat.BuildTransfer(res, cfg, span, review)
		if byTag != "" {
			review.ByTag = nat.BuildByTag(res, inv.Inventory(), byTag, review, cfg.Prices)
		}
		d := readDone{stats: st, failed: failed}
		switch review.Status {
		case nat.StatusNoPrices:
			d.code = exitNoPrices
		case nat.StatusNoGateways:
			d.code = exitNoGateways
		}
		// What cannot be told is said first, on stderr too, even with --quiet: it is the answer.
		for _, m := range review.Missing {
			fmt.Fprintf(stderr, "flowlens cost: %s\n", m)
		}
		err = writeDocument(w, format, &f.readFlags, document{func() []output.CSVTable { return review.Tables("") }, review.WriteJSON, review.WriteTable,
			func(w io.Writer) error { return report.WriteReviewHTML(w, review) }})
		return d, err
	}
	return r.run(ctx, args)
}

// runEstimate is the what-if calculator.
func runEstimate(f *reportFlags, c *costFlags, prices *cost.Prices, format output.Format) int {
	const name = "cost"
	if !c.natGBSet || c.natGB < 0 || c.hours <= 0 {
		return usageError(name, "--estimate needs --nat-gb N (≥ 0) and --hours H (> 0)")
	}
	if f.cur != "" {
		return usageError(name, "--cur sets a bill beside the estimate of logs; --estimate reads none")
	}
	if f.natGateways != "" {
		return usageError(name, "--nat-gateways is the JSON file of aws ec2 describe-nat-gateways; with --estimate give the number of gateways with --nat-count")
	}
	if c.natCount < 1 {
		return usageError(name, "--nat-count must be at least 1")
	}
	gw := c.natCount
	est, err := cost.EstimateCost(cost.EstimateInput{NATGB: c.natGB, Hours: c.hours, Gateways: gw, Region: f.s3.region, AZs: c.azs}, prices)
	var missing *cost.MissingPriceError
	if errors.As(err, &missing) {
		fmt.Fprintf(stderr, "flowlens %s: %v\n", name, err)
		return exitNoPrices
	}
	if err != nil {
		return usageError(name, "%v", err)
	}
	w, done, err := openOutput(f.out)
	if err != nil {
		return fail(name, err)
	}
	if format == output.JSON {
		err = nat.WriteEstimateJSON(w, est, prices)
	} else {
		err = nat.WriteEstimateTable(w, est)
	}
	if err2 := done(err == nil); err == nil {
		err = err2
	}
	if err != nil {
		return fail(name, err)
	}
	return exitOK
}
