package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/output"
	"github.com/flowlens/flowlens/query"
)

// queryFlags are the flags that sql and query share.
type queryFlags struct {
	readFlags
	explain bool
}

func (f *queryFlags) add(fs *pflag.FlagSet) {
	f.readFlags.add(fs, "date_trunc, hour(), day_of_week(), printed timestamps",
		"table, json, jsonl, csv, parquet or arrow (auto: by the -o extension, table on a terminal, else jsonl)", "the result")
	fs.BoolVar(&f.explain, "explain", false, "print the plan (and the SQL of a query command) to stderr before running")
	f.scale.add(fs)
}

var sqlCmd = &command{
	name:  "sql",
	usage: "[flags] 'SELECT …' [SOURCES…]",
	short: "run a SQL query (Athena's flow-log columns) over flow logs",
	long: `Runs one SELECT over the records of flow-log objects. The table's columns are the Athena names
(version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes,
start, "end", action, log_status, vpc_id, subnet_id, instance_id, tcp_flags, type, pkt_srcaddr,
pkt_dstaddr, region, az_id, sublocation_type, sublocation_id, pkt_src_aws_service,
pkt_dst_aws_service, flow_direction, traffic_path, …). FROM names the sources: a quoted path or URI
(FROM 's3://bucket/AWSLogs/'), or any table name (FROM vpc_flow_logs) for the SOURCES given after the
query. The table holds the records; NODATA and SKIPDATA lines are counted in the input accounting
(stderr), not in the table.

Supported: column references, literals (TIMESTAMP '…', DATE '…', INTERVAL '7' DAY), AND OR NOT,
= <> < <= > >=, IN, BETWEEN, LIKE, IS [NOT] NULL, + - * / % ||, CASE, CAST; the functions below;
aliases; SELECT DISTINCT, GROUP BY any expression, HAVING, ORDER BY (ordinals and aliases, NULLS
FIRST|LAST), OFFSET, LIMIT; WITH (used once or more), subqueries in FROM, UNION ALL. Anything else
(JOIN, window functions) is an error that points at the token. Bounds on start in the WHERE clause
(start >= N, from_unixtime(start) BETWEEN TIMESTAMP … AND …) also skip objects by their keys, as
--from/--to do.

The keys' partitions are columns: year, month, day, hour, date, "aws-account-id", "aws-region" (of a
converted dataset, AWS's Hive layout, or AWSLogs/ACCOUNT/vpcflowlogs/REGION/YYYY/MM/DD/); region and
account_id are the data's where the layout has them, else the key's. WHERE conditions on partition
columns alone skip the objects that fail them before reading.

--athena runs the same SQL text on Amazon Athena instead (it needs an AWS account, a table over the
data, e.g. from 'flowlens athena-ddl', and an S3 location for Athena's result files): the query starts
with StartQueryExecution in --workgroup (default primary) with --database, its state is polled with a
growing wait, its result is read page by page and written in the formats above (column types from
the result's metadata: integers, double, boolean and timestamp typed, other types as Athena's text).
Ctrl-C stops the query. The standard AWS credential chain, --profile, --region and --endpoint-url
apply; the reading flags (--from, --to, --shard, …) do not.

Examples:
  flowlens sql "SELECT srcaddr, sum(bytes) AS bytes FROM vpc_flow_logs GROUP BY srcaddr ORDER BY bytes DESC LIMIT 10" flows/
  flowlens sql "SELECT SUM(packets) AS packetcount, dstaddr FROM 'flows/' WHERE dstport = 443 GROUP BY dstaddr ORDER BY packetcount DESC LIMIT 10"
  flowlens sql --format csv -o rejects.csv "SELECT * FROM 's3://logs/AWSLogs/' WHERE action = 'REJECT' AND protocol = 6 LIMIT 100"
  flowlens sql "SELECT date_trunc('hour', from_unixtime(start)) AS hour, sum(bytes) FROM t GROUP BY 1 ORDER BY 1" dataset/
  flowlens sql "SELECT hour, count(*) FROM t WHERE year = '2026' AND month = '11' AND day = '01' GROUP BY 1 ORDER BY 1" dataset/
  flowlens sql "WITH r AS (SELECT srcaddr, count(*) AS n FROM t WHERE action = 'REJECT' GROUP BY 1) SELECT * FROM r WHERE n > 10 ORDER BY n DESC" flows/
  flowlens sql --athena --database flowlogs --output-location s3://athena-results/flowlens/ --region us-east-1 \
    "SELECT srcaddr, sum(bytes) AS bytes FROM vpc_flow_logs WHERE year = '2026' AND month = '11' GROUP BY srcaddr ORDER BY bytes DESC LIMIT 10"`,
	more:        query.WriteFunctionHelp,
	completions: map[string][]string{"format": {"auto", "table", "json", "jsonl", "csv", "parquet", "arrow"}},
	flags: func(fs *pflag.FlagSet) func(context.Context, []string) int {
		var f queryFlags
		f.add(fs)
		var af athenaFlags
		af.add(fs)
		return func(ctx context.Context, args []string) int {
			if len(args) == 0 {
				return usageError("sql", "no query given")
			}
			if af.on {
				return runAthena(ctx, fs, &f, &af, args[0], args[1:])
			}
			if code := af.refuse(fs); code != exitOK {
				return code
			}
			return runSQL(ctx, "sql", &f, args[0], args[1:])
		}
	},
}

var queryCmd = &command{
	name:  "query",
	usage: "[flags] SOURCES…",
	short: "ad-hoc group-by or filter over flow logs, with flags",
	long: `Answers a question with flags instead of SQL; the flags make one SELECT (--explain prints it) and
take the same expressions as flowlens sql. With --group-by, each group gets the --select measures
(default: sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows), ordered by the first
measure, largest first, and the first --limit groups (default 20; 0 for all). Without --group-by,
the records that pass --where are listed (--select picks columns, default all), up to --limit (default
all); --select with aggregates alone gives totals.

Examples:
  flowlens query --group-by srcaddr flows/
  flowlens query --where "dstport = 443" --group-by dstaddr --select "sum(packets) AS packetcount" --limit 10 flows/
  flowlens query --where "action = 'REJECT'" --group-by "srcaddr, dstport" --order-by "flows DESC" flows/
  flowlens query --group-by "date_trunc('hour', from_unixtime(start))" --order-by 1 --limit 0 --format csv flows/
  flowlens query --where "contains('10.0.0.0/8', srcaddr) AND NOT contains('10.0.0.0/8', dstaddr)" --select "srcaddr, dstaddr, bytes" --limit 50 flows/`,
	more:        query.WriteFunctionHelp,
	completions: map[string][]string{"format": {"auto", "table", "json", "jsonl", "csv", "parquet", "arrow"}},
	flags: func(fs *pflag.FlagSet) func(context.Context, []string) int {
		var f queryFlags
		f.add(fs)
		where := fs.String("where", "", "keep the records that meet this condition (SQL)")
		groupBy := fs.String("group-by", "", "group by these expressions, comma-separated")
		sel := fs.String("select", "", "measures (with --group-by) or columns to list, comma-separated SQL")
		orderBy := fs.String("order-by", "", "order by these expressions or output names (ASC/DESC), comma-separated")
		limit := fs.Int("limit", 0, "rows to keep, 0 for all (default: 20 with --group-by, all otherwise)")
		return func(ctx context.Context, args []string) int {
			if len(args) == 0 && merging == nil {
				return usageError("query", "no sources given")
			}
			l := *limit
			if !fs.Changed("limit") {
				l = -1 // the default of the query's shape
			}
			q := buildQuery(*where, *groupBy, *sel, *orderBy, l)
			return runSQL(ctx, "query", &f, q, args)
		}
	},
}

// buildQuery spells the query command's flags as one SELECT.
func buildQuery(where, groupBy, sel, orderBy string, limit int) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	grouped := strings.TrimSpace(groupBy) != ""
	switch {
	case grouped:
		if sel == "" {
			sel = "sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS flows"
		}
		b.WriteString(groupBy + ", " + sel)
	case sel != "":
		b.WriteString(sel)
	default:
		b.WriteString("*")
	}
	b.WriteString(" FROM flows")
	if strings.TrimSpace(where) != "" {
		b.WriteString(" WHERE " + where)
	}
	if grouped {
		b.WriteString(" GROUP BY " + groupBy)
		if orderBy == "" {
			// The first measure: the select list's item after the group keys.
			orderBy = fmt.Sprintf("%d DESC", len(splitTop(groupBy))+1)
		}
		if limit < 0 {
			limit = 20
		}
	}
	if orderBy != "" {
		b.WriteString(" ORDER BY " + orderBy)
	}
	if limit > 0 {
		fmt.Fprintf(&b, " LIMIT %d", limit)
	}
	return b.String()
}

// splitTop splits a comma-separated list at the commas outside parentheses and quotes.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	quote := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// sqlOutput: a query's result in any format; JSON Lines unless told otherwise.
var sqlOutput = output.Choice{Allowed: []output.Format{output.Table, output.JSON, output.JSONL, output.CSV, output.Parquet, output.Arrow},
	File: output.JSONL, Piped: output.JSONL}

// runSQL plans q, reads the sources and writes the result.
func runSQL(ctx context.Context, name string, f *queryFlags, q string, args []string) int {
	var plan *query.Plan
	r := &reading{name: name, flags: &f.readFlags, choice: sqlOutput}
	if name == "sql" {
		r.query = q
	}
	r.narrow = func(rf *runFlags, args []string) ([]string, int) {
		var err error
		if plan, err = query.PlanSQL(q, rf.loc); err != nil {
			if name == "query" {
				return nil, usageError(name, "%v\n(the flags made this query: %s)", err, q)
			}
			return nil, usageError(name, "%v", err)
		}
		plan.Narrow(rf.from, rf.to)
		rf.from, rf.to = plan.From, plan.To
		if src, isPath := plan.Source(); isPath {
			args = append([]string{src}, args...)
		}
		if len(args) == 0 && merging == nil {
			return nil, usageError(name, "no sources: give them after the query, or FROM 'path or s3:// URI'")
		}
		if ok, why := plan.Mergeable(); !ok && (f.scale.partial || merging != nil) {
			return nil, usageError(name, "--partial: %s does not merge across shards; run it in one process, or shard a group-by of columns", why)
		}
		if f.explain {
			if name == "query" {
				fmt.Fprintf(stderr, "sql: %s\n", q)
			}
			fmt.Fprint(stderr, plan.Explain())
		}
		return args, exitOK
	}
	r.read = func(ctx context.Context, in readIn, w io.Writer, format output.Format) (readDone, error) {
		bw, err := output.New(w, format)
		if err != nil {
			return readDone{}, err
		}
		ro := query.RunOptions{Decode: in.opts, Workers: f.decode.workers, MemoryLimit: in.limit, Progress: in.prog, Emit: bw.Write}
		if in.partial != nil {
			ro.Partial = func(res *aggregate.Result, st *flowlog.Stats, failed []flowlog.ObjectError) error {
				in.partial.noteEnrich(in.opts)
				if err := in.partial.write(res, failed); err != nil {
					return err
				}
				return &partialDone{stats: st, failed: failed}
			}
		}
		if merging != nil {
			ro.Merge = func(e *aggregate.Engine) (*aggregate.Result, *flowlog.Stats, []flowlog.ObjectError, error) {
				merging.addEnrich(in.opts)
				res, err := merging.merge(e)
				return res, merging.stats, merging.failed, err
			}
		}
		res, err := plan.Run(ctx, in.sources, ro)
		if pd := (*partialDone)(nil); errors.As(err, &pd) {
			bw.Close()
			return readDone{}, err
		}
		if err == nil && res.Rows == 0 && res.Schema != nil {
			err = query.WriteEmpty(bw, res.Schema)
		}
		if err2 := bw.Close(); err == nil {
			err = err2
		}
		if err != nil {
			return readDone{}, err
		}
		d := readDone{stats: res.Stats, failed: res.Failed}
		if res.Pruned > 0 {
			d.notes = append(d.notes, fmt.Sprintf("%d objects skipped by the partition values of their keys (WHERE on year, month, day, hour, date, \"aws-account-id\" or \"aws-region\")", res.Pruned))
		}
		if res.Stopped {
			d.notes = append(d.notes, fmt.Sprintf("stopped reading at LIMIT %d: the counts above cover what was read until then", res.Rows))
		}
		return d, nil
	}
	return r.run(ctx, args)
}
