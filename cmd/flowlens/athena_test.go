package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
)

// convertedDataset generates one day of hourly AWS objects of a layout and region and converts
// them with the convert flags given.
func convertedDataset(t *testing.T, seed uint64, fields *flowlog.Layout, region string, flags ...string) string {
	t.Helper()
	src := t.TempDir()
	if _, err := synth.Generate(synth.Config{Dir: src, Seed: seed, Records: 4000, Objects: 4, Fields: fields, Layout: "aws-hourly",
		Region: region, Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: true}); err != nil {
		t.Fatal(err)
	}
	ds := filepath.Join(t.TempDir(), "ds")
	mustRun(t, append(append([]string{"convert", "-q"}, flags...), "-o", ds, src)...)
	return ds
}

// TestAthenaDDLGolden: the DDL over converted v2 and v5 datasets, hourly by account and region and
// daily without, is the golden one (checked by hand against the Parquet schema each file has: every
// int column is INT32, every bigint INT64, every string BYTE_ARRAY STRING; see TestAthenaDuckDB for
// the check by a reader).
func TestAthenaDDLGolden(t *testing.T) {
	cases := []struct {
		name   string
		fields *flowlog.Layout
		region string
		flags  []string
		ddl    []string
	}{
		{"v2-hourly-account-region", flowlog.DefaultLayout, "us-east-1", []string{"--partition", "hour", "--partition-by", "account,region"}, nil},
		{"v5-hourly-account-region", flowlog.V5Layout, "eu-west-1", []string{"--partition", "hour", "--partition-by", "account,region"}, nil},
		{"v5-hourly-injected", flowlog.V5Layout, "eu-west-1", []string{"--partition", "hour", "--partition-by", "account,region"}, []string{"--injected", "account_id,region", "--years", "2024,2030"}},
		{"v2-daily", flowlog.DefaultLayout, "us-east-1", nil, nil},
	}
	for i, c := range cases {
		ds := convertedDataset(t, uint64(41+i), c.fields, c.region, c.flags...)
		args := append(append([]string{"athena-ddl"}, c.ddl...), ds, "--table", "flowlogs.vpc_flow_logs", "--location", "s3://analytics/flowlogs/")
		code, out, errOut := flowlens(t, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.name, code, errOut)
		}
		golden(t, "athena-ddl-"+c.name+".sql", out)
	}
	code, _, errOut := flowlens(t, "athena-ddl", t.TempDir(), "--table", "t", "--location", "s3://b/")
	if code != 1 || !strings.Contains(errOut, "holds no Parquet file") {
		t.Errorf("empty dataset: exit %d: %s", code, errOut)
	}
	code, _, errOut = flowlens(t, "athena-ddl", t.TempDir(), "--location", "s3://b/")
	if code != 2 || !strings.Contains(errOut, "give --table NAME") {
		t.Errorf("no --table: exit %d: %s", code, errOut)
	}
}

// duckDir is where make test (and bench/compare) install @duckdb/node-api: outside the repository.
func duckDir() string {
	if d := os.Getenv("FLOWLENS_DUCKDB_DIR"); d != "" {
		return d
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "flowlens-bench", "duckdb")
}

// runDuck runs SQL statements in DuckDB (node, @duckdb/node-api, bench/compare/duckdb.mjs) and
// returns each one's rows, every value as text; it skips the test when node or the package is
// missing.
func runDuck(t *testing.T, stmts ...string) [][][]string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("DuckDB check skipped: node is not on PATH (install Node.js; make test then installs @duckdb/node-api)")
	}
	dir := duckDir()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api", "package.json")); err != nil {
		t.Skipf("DuckDB check skipped: @duckdb/node-api is not installed in %s (make test installs it when npm is on PATH)", dir)
	}
	type st struct {
		Name string `json:"name"`
		SQL  string `json:"sql"`
	}
	spec := struct {
		Threads    int  `json:"threads"`
		Statements []st `json:"statements"`
	}{Threads: 1}
	for i, s := range stmts {
		spec.Statements = append(spec.Statements, st{fmt.Sprint(i), s})
	}
	b, _ := json.Marshal(spec)
	specFile := filepath.Join(t.TempDir(), "spec.json")
	os.WriteFile(specFile, b, 0o644)
	script, _ := filepath.Abs(filepath.Join("..", "..", "bench", "compare", "duckdb.mjs"))
	out, err := exec.Command(node, script, dir, specFile).Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok {
			msg += ": " + string(ee.Stderr)
		}
		t.Fatalf("duckdb.mjs: %s", msg)
	}
	var res struct {
		Results []struct {
			Rows [][]json.RawMessage `json:"rows"`
		} `json:"results"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("duckdb.mjs output: %v: %.300s", err, out)
	}
	var all [][][]string
	for _, r := range res.Results {
		var rows [][]string
		for _, row := range r.Rows {
			var vals []string
			for _, v := range row {
				vals = append(vals, jsonText(v))
			}
			rows = append(rows, vals)
		}
		all = append(all, rows)
	}
	return all
}

// jsonText is a JSON value as text: a string without its quotes, null as NULL, numbers as written.
func jsonText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	if string(v) == "null" {
		return "NULL"
	}
	return string(v)
}

var ddlColumn = regexp.MustCompile("(?m)^  `([^`]+)` ([a-z]+(?:\\(\\d+,\\d+\\))?),?$")

// declared reads the columns of a DDL with their Athena types, data columns then partition columns.
func declared(ddl string) [][2]string {
	var out [][2]string
	for _, m := range ddlColumn.FindAllStringSubmatch(ddl, -1) {
		out = append(out, [2]string{m[1], m[2]})
	}
	return out
}

// duckType is the DuckDB type of an Athena type: the same width and signedness.
func duckType(athenaType string) string {
	switch athenaType {
	case "tinyint":
		return "TINYINT"
	case "smallint":
		return "SMALLINT"
	case "int":
		return "INTEGER"
	case "bigint":
		return "BIGINT"
	case "string":
		return "VARCHAR"
	case "boolean":
		return "BOOLEAN"
	case "float":
		return "FLOAT"
	case "double":
		return "DOUBLE"
	case "binary":
		return "BLOB"
	case "date":
		return "DATE"
	case "timestamp":
		return "TIMESTAMP"
	}
	return strings.ToUpper(athenaType) // decimal(p,s)
}

// duckSource is the dataset as DuckDB reads it with the DDL's declared types: read_parquet over
// the files with the partition folders as VARCHAR columns, each column cast to its declared type.
func duckSource(ds, ddl string) (from string, parts string) {
	var hive, sel []string
	for _, c := range declared(ddl) {
		sel = append(sel, fmt.Sprintf("CAST(%q AS %s) AS %q", c[0], duckType(c[1]), c[0]))
	}
	if _, p, ok := strings.Cut(ddl, "PARTITIONED BY ("); ok {
		p, _, _ = strings.Cut(p, ")")
		for _, c := range declared(p) {
			hive = append(hive, fmt.Sprintf("'%s': 'VARCHAR'", c[0]))
		}
	}
	read := fmt.Sprintf("read_parquet('%s/**/*.parquet', hive_partitioning = true, union_by_name = true, hive_types = {%s})",
		filepath.ToSlash(ds), strings.Join(hive, ", "))
	return "(SELECT " + strings.Join(sel, ", ") + " FROM " + read + ")", read
}

// TestAthenaDuckDB: DuckDB reads each converted dataset with the types its DDL declares. The types
// DuckDB finds in the files (DESCRIBE, no cast) are the declared ones column by column, partition
// columns included, so no declared type widens or narrows what a file holds (an int declared for an
// INT64 column, or a bigint for an INT32 one, fails here); and a query over the declared types gives
// the rows flowlens sql gives over the same dataset (computed by flowlens, not by hand: two readers
// of the files agree). The query keeps log_status = 'OK': flowlens's table leaves NODATA and
// SKIPDATA rows out (it counts them on stderr), a table of the files holds them. A null account
// (the __HIVE_DEFAULT_PARTITION__ folder) is NULL for flowlens and ” for DuckDB's hive reader. A hand-written file of unsigned columns (UINT_8, UINT_16, UINT_32 with their
// largest values) reads back whole in the wider declared types.
func TestAthenaDuckDB(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("DuckDB check skipped: node is not on PATH (install Node.js; make test then installs @duckdb/node-api)")
	}
	const q = `SELECT account_id, region, year, month, day, hour, count(*) AS flows, sum(bytes) AS bytes, sum(packets) AS packets,
sum(dstport) AS dstports, sum(protocol) AS protocols, min(start) AS first, max("end") AS last, count(DISTINCT srcaddr) AS sources
FROM %s WHERE log_status = 'OK' GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6`
	mixed := filepath.Join(t.TempDir(), "mixed")
	mustRun(t, "convert", "-q", "--partition", "hour", "--partition-by", "account,region", "-o", mixed, genPartitioned(t))
	for _, ds := range []string{
		convertedDataset(t, 51, flowlog.DefaultLayout, "us-east-1", "--partition", "hour", "--partition-by", "account,region"),
		convertedDataset(t, 52, flowlog.V5Layout, "eu-west-1", "--partition", "hour", "--partition-by", "account,region"),
		mixed,
	} {
		ddl := mustRun(t, "athena-ddl", "-q", ds, "--table", "t", "--location", "s3://b/p/")
		cols := declared(ddl)
		if len(cols) < 19 {
			t.Fatalf("%d columns read from the DDL:\n%s", len(cols), ddl)
		}
		from, read := duckSource(ds, ddl)
		res := runDuck(t, "DESCRIBE SELECT * FROM "+read, fmt.Sprintf(q, from))
		found := map[string]string{}
		for _, r := range res[0] {
			found[r[0]] = r[1]
		}
		for _, c := range cols {
			if found[c[0]] != duckType(c[1]) {
				t.Errorf("%s: column %s declared %s, DuckDB reads %s from the files", filepath.Base(ds), c[0], c[1], found[c[0]])
			}
		}
		// flowlens's partition columns are the folders too: year, month, day, hour as text.
		jl := mustRun(t, "sql", "-q", "--format", "csv", fmt.Sprintf(q, "t"), ds)
		var want [][]string
		for i, line := range strings.Split(strings.TrimSpace(jl), "\n") {
			if i > 0 {
				vals := strings.Split(line, ",")
				for k, v := range vals {
					if v == "" {
						vals[k] = "NULL"
					}
				}
				want = append(want, vals)
			}
		}
		got := res[1]
		for _, r := range got {
			if r[0] == "" {
				r[0] = "NULL"
			}
		}
		if len(got) != len(want) || len(got) < 10 {
			t.Fatalf("%s: DuckDB %d rows, flowlens %d", filepath.Base(ds), len(got), len(want))
		}
		for i := range want {
			if strings.Join(got[i], ",") != strings.Join(want[i], ",") {
				t.Errorf("%s row %d: DuckDB %v, flowlens %v", filepath.Base(ds), i, got[i], want[i])
			}
		}
	}

	// Unsigned columns, at their largest values.
	type unsigned struct {
		U8  uint8  `parquet:"u8"`
		U16 uint16 `parquet:"u16"`
		U32 uint32 `parquet:"u32"`
		I16 int16  `parquet:"i16"`
	}
	ds := t.TempDir()
	p := filepath.Join(ds, "year=2026", "month=11", "day=01", "part-0.parquet")
	os.MkdirAll(filepath.Dir(p), 0o755)
	f, _ := os.Create(p)
	w := parquet.NewGenericWriter[unsigned](f)
	if _, err := w.Write([]unsigned{{255, 65535, 4294967295, -32768}, {0, 443, 0, 32767}}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	f.Close()
	ddl := mustRun(t, "athena-ddl", "-q", ds, "--table", "t", "--location", "s3://b/p/")
	for _, want := range []string{"`u8` smallint", "`u16` int", "`u32` bigint", "`i16` smallint"} {
		if !strings.Contains(ddl, want) {
			t.Errorf("no %q in\n%s", want, ddl)
		}
	}
	cols := declared(ddl)
	_, read := duckSource(ds, ddl)
	var checks []string
	for _, c := range cols[:4] {
		checks = append(checks, fmt.Sprintf("count(*) FILTER (WHERE TRY_CAST(%q AS %s) IS NULL OR CAST(TRY_CAST(%q AS %s) AS BIGINT) <> CAST(%q AS BIGINT))",
			c[0], duckType(c[1]), c[0], duckType(c[1]), c[0]))
	}
	res := runDuck(t, "SELECT "+strings.Join(checks, ", ")+" FROM "+read, "SELECT max(u16), max(u32) FROM "+read)
	if strings.Join(res[0][0], ",") != "0,0,0,0" {
		t.Errorf("values lost in the declared types (u8, u16, u32, i16): %v", res[0][0])
	}
	if strings.Join(res[1][0], ",") != "65535,4294967295" {
		t.Errorf("DuckDB read %v", res[1][0])
	}
}
