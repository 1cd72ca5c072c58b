package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/flowlens/flowlens/bench/harness"
	"github.com/flowlens/flowlens/flowlog"
)

// duckPackage is the npm package of the peer engine.
const duckPackage = "@duckdb/node-api"

// defaultDuckDir is where DuckDB is installed when -duckdb-dir is not given:
// ${XDG_CACHE_HOME:-$HOME/.cache}/flowlens-bench/duckdb, outside the repository.
func defaultDuckDir() string {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return filepath.Join(os.TempDir(), "flowlens-bench", "duckdb")
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "flowlens-bench", "duckdb")
}

// ensureDuckDB installs @duckdb/node-api into dir with the machine's npm unless it is there
// already; a new install takes the newest version the registry offers. It returns the installed
// package's version.
func ensureDuckDB(dir string) (string, error) {
	manifest := filepath.Join(dir, "node_modules", "@duckdb", "node-api", "package.json")
	if v, err := packageVersion(manifest); err == nil {
		return v, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("installing %s: npm is not on PATH (install Node.js and npm)", duckPackage)
	}
	out, err := exec.Command(npm, "view", duckPackage, "version").Output()
	if err != nil {
		return "", fmt.Errorf("npm view %s version: %v", duckPackage, err)
	}
	version := strings.TrimSpace(string(out))
	fmt.Fprintf(os.Stderr, "installing %s@%s into %s (once)\n", duckPackage, version, dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating the DuckDB directory %s: %w", dir, err)
	}
	pj := filepath.Join(dir, "package.json")
	if _, err := os.Stat(pj); err != nil {
		if err := os.WriteFile(pj, []byte(`{"name": "flowlens-bench-duckdb", "private": true}`+"\n"), 0o644); err != nil {
			return "", fmt.Errorf("writing %s: %w", pj, err)
		}
	}
	cmd := exec.Command(npm, "install", "--no-audit", "--no-fund", duckPackage+"@"+version)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm install %s@%s in %s: %v", duckPackage, version, dir, err)
	}
	return packageVersion(manifest)
}

func packageVersion(manifest string) (string, error) {
	b, err := os.ReadFile(manifest)
	if err != nil {
		return "", err
	}
	var p struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(b, &p); err != nil || p.Version == "" {
		return "", fmt.Errorf("reading the version of %s: %v", manifest, err)
	}
	return p.Version, nil
}

// duck runs statements in DuckDB through the Node script.
type duck struct {
	node    string // node binary
	script  string // duckdb.mjs
	dir     string // npm prefix holding @duckdb/node-api
	threads int
}

// statement is one SQL statement for DuckDB.
type statement struct {
	Name string `json:"name"`
	SQL  string `json:"sql"`
}

// duckResult is what duckdb.mjs prints.
type duckResult struct {
	Version string `json:"version"`
	Package string `json:"package"`
	Results []struct {
		Name    string              `json:"name"`
		Columns []string            `json:"columns"`
		Rows    [][]json.RawMessage `json:"rows"`
		Seconds float64             `json:"seconds"`
	} `json:"results"`
}

// scriptPath finds duckdb.mjs beside this package's source: under the working directory (the
// module root, as `go run ./bench/compare` is run) or next to the executable.
func scriptPath() (string, error) {
	cands := []string{filepath.Join("bench", "compare", "duckdb.mjs")}
	if _, file, _, ok := runtime.Caller(0); ok {
		cands = append(cands, filepath.Join(filepath.Dir(file), "duckdb.mjs"))
	}
	for _, c := range cands {
		if _, err := os.Stat(c); err == nil {
			return filepath.Abs(c)
		}
	}
	return "", fmt.Errorf("cannot find duckdb.mjs (looked for %s): run from the module root", strings.Join(cands, ", "))
}

// run executes the statements in one node process, timed with its peak RSS.
func (d *duck) run(stmts []statement) (harness.Run, *duckResult, error) {
	spec, err := json.Marshal(map[string]any{"threads": d.threads, "statements": stmts})
	if err != nil {
		return harness.Run{}, nil, err
	}
	f, err := os.CreateTemp("", "flowlens-compare-*.json")
	if err != nil {
		return harness.Run{}, nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(spec); err != nil {
		f.Close()
		return harness.Run{}, nil, fmt.Errorf("writing the DuckDB spec %s: %w", f.Name(), err)
	}
	f.Close()
	r, err := harness.Exec(nil, d.node, d.script, d.dir, f.Name())
	if err != nil {
		return r, nil, fmt.Errorf("DuckDB (%s): %w", stmts[0].Name, err)
	}
	var res duckResult
	if err := json.Unmarshal(r.Stdout, &res); err != nil {
		return r, nil, fmt.Errorf("reading the output of duckdb.mjs for %s: %v: %.300s", stmts[0].Name, err, r.Stdout)
	}
	if len(res.Results) != len(stmts) {
		return r, nil, fmt.Errorf("duckdb.mjs gave %d results for %d statements", len(res.Results), len(stmts))
	}
	return r, &res, nil
}

// duckType is the DuckDB type of a flow-log field, the same as flowlens's column type (addresses
// are text, as the Athena schema and flowlens's output have them).
func duckType(k flowlog.Kind) string {
	switch k {
	case flowlog.KindPort:
		return "USMALLINT"
	case flowlog.KindProto:
		return "UTINYINT"
	case flowlog.KindInt32:
		return "INTEGER"
	case flowlog.KindInt64, flowlog.KindTime:
		return "BIGINT"
	default:
		return "VARCHAR"
	}
}

// sqlString quotes s as a SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// textSource is the DuckDB table expression for the gzip text objects of dir in layout l: every
// column named and typed explicitly, the header line skipped, '-' as null, and only the records
// with log-status OK (as flowlens's table holds).
func textSource(dir string, l *flowlog.Layout) string {
	cols := make([]string, len(l.IDs))
	for i, id := range l.IDs {
		f := flowlog.Fields[id]
		cols[i] = sqlString(f.Column) + ": " + sqlString(duckType(f.Kind))
	}
	return fmt.Sprintf("(SELECT * FROM read_csv(%s, delim=' ', header=true, nullstr='-', quote='', escape='', auto_detect=false, columns={%s}) WHERE log_status = 'OK')",
		sqlString(filepath.Join(dir, "*.log.gz")), strings.Join(cols, ", "))
}

// parquetSource is the DuckDB table expression for the Parquet dataset under dir, OK records only.
func parquetSource(dir string) string {
	return fmt.Sprintf("(SELECT * FROM read_parquet(%s, hive_partitioning=true) WHERE log_status = 'OK')",
		sqlString(filepath.Join(dir, "**", "*.parquet")))
}
