package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/cost"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/query"
)

// costFlags are the cost command's own flags (the others are the report's).
type costFlags struct {
	estimate bool
	natGB    float64
	hours    float64
	azs      int
}

func init() {
	register(&command{
		name:  "cost",
		usage: "[flags] SOURCES… | --estimate --nat-gb N --hours H",
		short: "NAT gateway cost review: processed bytes, who sent them, where to, and what endpoints would save",
		long: `Reads flow logs (any source, as report does) and reviews each NAT gateway: the bytes it processed,
counted once per direction (the records its interface logs with translated addresses, never its four
records of a conversation nor the instances' copies), the workloads that sent them and the far ends
they went to, each classified as S3 or DynamoDB in the gateway's region, other AWS, or internet
(longest-prefix match against AWS's IP ranges), the cost for the period and a monthly projection,
and the recommendations: S3/DynamoDB gateway endpoints, interface endpoints where they beat the NAT's
per-GB charge, NAT gateways in the AZs that cross AZs. The input needs pkt-srcaddr and pkt-dstaddr.

NAT gateways come from --nat (interface ids) or --nat-gateways (the JSON of aws ec2
describe-nat-gateways); without either they are detected from the records and marked as guessed.
Prices: an embedded, dated table; --pricing FILE overrides it (JSON, see the README). AWS IP ranges:
an embedded subset; --ip-ranges FILE takes a fresh ip-ranges.json.

--estimate prices a NAT volume without logs: --nat-gb N --hours H [--nat-gateways K] [--region R].

Examples:
  flowlens cost --region us-east-1 s3://central-logs/AWSLogs/
  flowlens cost --nat-gateways nat-gateways.json --from 2026-11-01 --to 2026-11-08 flows/
  flowlens cost --format json -o cost.json --nat eni-0a1b2c3d4e5f60718 flows/
  flowlens cost --estimate --nat-gb 1000 --hours 730`,
		flags: func(fs *pflag.FlagSet) func(context.Context, []string) int {
			var f reportFlags
			f.add(fs)
			var c costFlags
			fs.BoolVar(&c.estimate, "estimate", false, "price a NAT volume without logs (--nat-gb, --hours)")
			fs.Float64Var(&c.natGB, "nat-gb", -1, "with --estimate: GB processed by the NAT gateways")
			fs.Float64Var(&c.hours, "hours", -1, "with --estimate: hours (730 is one month)")
			fs.IntVar(&c.azs, "azs", 0, "with --estimate: AZs an interface endpoint would span (default: one per gateway)")
			return func(ctx context.Context, args []string) int {
				return runCost(ctx, &f, &c, args)
			}
		},
	})
}

func runCost(ctx context.Context, f *reportFlags, c *costFlags, args []string) int {
	const name = "cost"
	format := f.format
	if format == "auto" {
		format = "json"
		if (f.out == "" || f.out == "-") && isTerminal(stdout) {
			format = "table"
		} else if f.out != "" && f.out != "-" && !strings.HasSuffix(strings.ToLower(f.out), ".json") {
			format = "table"
		}
	}
	if format != "table" && format != "json" {
		return usageError(name, "--format %q: want table or json", f.format)
	}
	if c.estimate {
		prices := cost.DefaultPrices()
		if f.pricing != "" {
			fh, err := os.Open(f.pricing)
			if err != nil {
				return fail(name, err)
			}
			prices, err = cost.LoadPrices(fh)
			fh.Close()
			if err != nil {
				return fail(name, fmt.Errorf("--pricing %s: %w", f.pricing, err))
			}
		}
		return runEstimate(f, c, prices, format)
	}
	if len(args) == 0 {
		return usageError(name, "no sources given (or --estimate)")
	}
	gateways, prices, ranges, err := f.costInputs()
	if err != nil {
		return fail(name, err)
	}
	rf, code := f.parse(name)
	if code != exitOK {
		return code
	}
	opts, loc, from, to, limit := rf.opts, rf.loc, rf.from, rf.to, rf.limit
	sources, _, err := expandSources(ctx, args, &f.s3, from, to, f.late)
	if err != nil {
		return fail(name, err)
	}
	e, err := aggregate.New(aggregate.Config{Specs: query.CostSpecs(gateways), From: from, To: to, Location: loc, MemoryLimit: limit})
	if err != nil {
		return fail(name, err)
	}
	prog := &aggregate.Progress{}
	stop := startProgress(prog, f.quiet)
	res, st, failed, err := aggregate.Run(ctx, e, sources, opts, f.decode.workers, prog)
	stop()
	if err != nil {
		return fail(name, err)
	}
	pktSrc, _ := flowlog.LookupField("pkt-srcaddr")
	pktDst, _ := flowlog.LookupField("pkt-dstaddr")
	copts := query.CostOptions{Gateways: gateways, Region: f.s3.region, Prices: prices, Ranges: ranges, Top: f.top,
		HasPktFields: res.Seen(pktSrc) && res.Seen(pktDst)}
	if span := res.Table("span"); span != nil {
		if g := span.Groups(); len(g) == 1 {
			copts.FirstStart, copts.LastEnd = span.Value(g[0], aggregate.MinStart), span.Value(g[0], aggregate.MaxEnd)
		}
	}
	review, err := query.BuildCostReview(res, copts)
	if err != nil {
		return fail(name, err)
	}
	if code := writeDoc(name, f.out, format, review.WriteJSON, review.WriteTable); code != exitOK {
		return code
	}
	if !f.quiet {
		printStats(stderr, st, failed)
	}
	if len(failed) > 0 {
		return exitFailure
	}
	return exitOK
}

// runEstimate is the what-if calculator.
func runEstimate(f *reportFlags, c *costFlags, prices *cost.Prices, format string) int {
	const name = "cost"
	if c.natGB < 0 || c.hours <= 0 {
		return usageError(name, "--estimate needs --nat-gb N (≥ 0) and --hours H (> 0)")
	}
	gw := 1
	if f.natGateways != "" {
		n, err := strconv.Atoi(f.natGateways)
		if err != nil || n < 1 {
			return usageError(name, "--nat-gateways with --estimate is a number of gateways, not %q", f.natGateways)
		}
		gw = n
	}
	est, err := cost.EstimateCost(cost.EstimateInput{NATGB: c.natGB, Hours: c.hours, Gateways: gw, Region: f.s3.region, AZs: c.azs}, prices)
	if err != nil {
		return usageError(name, "%v", err)
	}
	doc := estimateDoc(est, prices)
	return writeDoc(name, f.out, format, func(w io.Writer) error {
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}, func(w io.Writer) error { return writeEstimateTable(w, est) })
}

type estimateJSON struct {
	Region            string        `json:"region"`
	Hours             float64       `json:"hours"`
	NATGB             float64       `json:"nat_gb"`
	Gateways          int           `json:"nat_gateways"`
	NATHourlyCost     float64       `json:"nat_hourly_cost"`
	NATProcessingCost float64       `json:"nat_processing_cost"`
	NATTotal          float64       `json:"nat_total"`
	EndpointHourOnly  float64       `json:"endpoint_hour_only"`
	SavingVsHourOnly  float64       `json:"saving_vs_hour_only"`
	SavingPercent     float64       `json:"saving_percent"`
	Alternatives      []altJSON     `json:"alternatives"`
	Assumptions       []string      `json:"assumptions"`
	PriceTable        priceTableDoc `json:"price_table"`
}

type altJSON struct {
	Kind   string  `json:"kind"`
	Cost   float64 `json:"cost"`
	Saving float64 `json:"saving"`
}

type priceTableDoc struct {
	Date   string `json:"date"`
	Source string `json:"source"`
}

func estimateDoc(e *cost.Estimate, p *cost.Prices) estimateJSON {
	return estimateJSON{Region: e.Region, Hours: e.Hours, NATGB: e.NATGB, Gateways: e.Gateways,
		NATHourlyCost: e.NATHourlyCost, NATProcessingCost: e.NATProcessingCost, NATTotal: e.NATTotal,
		EndpointHourOnly: e.EndpointHourOnly, SavingVsHourOnly: e.SavingVsHourOnly, SavingPercent: e.SavingPercent,
		Alternatives: []altJSON{{e.GatewayEndpoint.Kind, e.GatewayEndpoint.Cost, e.GatewayEndpoint.Saving},
			{e.InterfaceEndpoint.Kind, e.InterfaceEndpoint.Cost, e.InterfaceEndpoint.Saving}},
		Assumptions: e.Assumptions, PriceTable: priceTableDoc{p.Date, p.Source}}
}

func writeEstimateTable(w io.Writer, e *cost.Estimate) error {
	var b strings.Builder
	fmt.Fprintf(&b, "NAT gateway estimate — %s, %d gateway(s), %s GB over %s hours\n", e.Region, e.Gateways, trim(e.NATGB), trim(e.Hours))
	fmt.Fprintf(&b, "  NAT hours       $%10.2f\n  NAT processing  $%10.2f\n  NAT total       $%10.2f\n", e.NATHourlyCost, e.NATProcessingCost, e.NATTotal)
	fmt.Fprintf(&b, "  one endpoint at the hourly price only: $%.2f; saving $%.2f (%.2f %%)\n", e.EndpointHourOnly, e.SavingVsHourOnly, e.SavingPercent)
	fmt.Fprintf(&b, "  gateway endpoint (S3, DynamoDB):   costs $%.2f, saves $%.2f\n", e.GatewayEndpoint.Cost, e.GatewayEndpoint.Saving)
	fmt.Fprintf(&b, "  interface endpoint (%d AZ):         costs $%.2f, saves $%.2f\n", e.AZs, e.InterfaceEndpoint.Cost, e.InterfaceEndpoint.Saving)
	b.WriteString("assumptions:\n")
	for _, a := range e.Assumptions {
		fmt.Fprintf(&b, "  %s\n", a)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func trim(x float64) string {
	if x == math.Trunc(x) {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

// writeDoc writes a document to -o (atomically) or stdout in the chosen format.
func writeDoc(name, out, format string, asJSON, asTable func(io.Writer) error) int {
	w, done, err := openOutput(out)
	if err != nil {
		return fail(name, err)
	}
	if format == "json" {
		err = asJSON(w)
	} else {
		err = asTable(w)
	}
	if err2 := done(err == nil); err == nil {
		err = err2
	}
	if err != nil {
		return fail(name, err)
	}
	return exitOK
}
