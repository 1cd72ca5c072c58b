package query

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flowlens/flowlens/query/sql"
)

// funcExamples are queries that exercise the registry's functions, by name: every name and alias of
// every entry needs at least one, each must plan, and each must call the function by that name. The
// families' test files (func_time_test.go …) add theirs with examples.
var funcExamples = map[string][]string{}

// examples adds queries to funcExamples; its result only lets a test file call it from a var.
func examples(m map[string][]string) bool {
	for name, qs := range m {
		funcExamples[name] = append(funcExamples[name], qs...)
	}
	return true
}

// TestFunctionRegistry: every entry has a signature and a one-line doc, the kernel its kind needs,
// and example queries that plan and call it, under each of its names.
func TestFunctionRegistry(t *testing.T) {
	if len(funcDefs) == 0 {
		t.Fatal("no functions registered")
	}
	for _, d := range funcDefs {
		t.Run(d.name, func(t *testing.T) {
			if d.args == "" && (d.arity > 0 || d.maxArity != 0) || d.result == "" {
				t.Errorf("%s: no signature (args %q, result %q)", d.name, d.args, d.result)
			}
			if d.doc == "" || strings.ContainsAny(d.doc, "\n") || strings.HasSuffix(d.doc, ".") {
				t.Errorf("%s: doc %q, want one line without a final period", d.name, d.doc)
			}
			switch d.kind {
			case scalarFunc:
				if d.compile == nil || d.agg != nil || d.arity < 0 {
					t.Errorf("%s: a scalar needs a compile function and no aggDef", d.name)
				}
			case aggregateFunc:
				if d.agg == nil || d.compile != nil {
					t.Errorf("%s: an aggregate needs an aggDef and no compile function", d.name)
				}
			case syntaxFunc:
				if d.compile != nil || d.agg != nil {
					t.Errorf("%s: syntax has no kernel here", d.name)
				}
			}
			for _, name := range d.names() {
				qs := funcExamples[name]
				if len(qs) == 0 {
					t.Errorf("%s: no example query (add one to the family's test file)", name)
				}
				for _, q := range qs {
					if _, err := PlanSQL(q, time.UTC); err != nil {
						t.Errorf("%s: %v", name, err)
					}
					if !callsFunc(t, q, d.kind, name) {
						t.Errorf("%s: example %q does not call it", name, q)
					}
				}
			}
		})
	}
	for name := range funcExamples {
		if funcByName[name] == nil {
			t.Errorf("examples of %s, which is not registered", name)
		}
	}
}

// callsFunc says whether q calls the function name (CAST for syntax).
func callsFunc(t *testing.T, q string, kind funcKind, name string) bool {
	stmt, err := sql.Parse(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var es []sql.Expr
	for _, it := range stmt.Items {
		es = append(es, it.Expr)
	}
	es = append(es, stmt.Where, stmt.Having)
	es = append(es, stmt.GroupBy...)
	for _, o := range stmt.OrderBy {
		es = append(es, o.Expr)
	}
	found := false
	for _, e := range es {
		sql.Walk(e, func(x sql.Expr) {
			switch x := x.(type) {
			case *sql.Call:
				found = found || x.Name == name
			case *sql.Cast:
				found = found || kind == syntaxFunc && name == "CAST"
			}
		})
	}
	return found
}

// TestUnknownFunctionLists: the unknown-function error names every function and alias, sorted
// within its kind, at the call.
func TestUnknownFunctionLists(t *testing.T) {
	q := "SELECT no_such_function(action) FROM t"
	_, err := PlanSQL(q, time.UTC)
	var se *sql.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v, want a *sql.Error", err)
	}
	if se.At != strings.Index(q, "no_such_function") {
		t.Errorf("at %d, want %d", se.At, strings.Index(q, "no_such_function"))
	}
	for _, kind := range []funcKind{scalarFunc, aggregateFunc} {
		names := namesOf(kind)
		if !sort.StringsAreSorted(names) {
			t.Errorf("%s names not sorted: %v", kind, names)
		}
		want := kind.String() + ": " + strings.Join(names, ", ") + ";"
		if !strings.Contains(se.Msg, want) {
			t.Errorf("message %q, want it to contain %q", se.Msg, want)
		}
	}
	for _, name := range []string{"second", "quarter", "week", "week_of_year", "day_of_year", "doy", "dow", "contains", "count"} {
		if !strings.Contains(se.Msg, " "+name+",") && !strings.Contains(se.Msg, " "+name+";") {
			t.Errorf("message %q does not list %s", se.Msg, name)
		}
	}
	if !strings.HasPrefix(se.Msg, "unknown function no_such_function() (scalar: ") || !strings.HasSuffix(se.Msg, "; and CAST)") {
		t.Errorf("message %q", se.Msg)
	}
}

// TestFunctionHelp: a line per entry, under its kind's heading.
func TestFunctionHelp(t *testing.T) {
	var b bytes.Buffer
	if err := WriteFunctionHelp(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, sec := range funcSections {
		head := strings.Index(out, sec.title+":\n")
		if head < 0 {
			t.Fatalf("no %q heading in\n%s", sec.title, out)
		}
		for _, d := range funcsOf(sec.kind) {
			i := strings.Index(out, "  "+d.signature()+" ")
			if i < head {
				t.Errorf("%s: no line under %s in\n%s", d.name, sec.title, out)
				continue
			}
			line := out[i : i+strings.Index(out[i:], "\n")]
			if !strings.HasSuffix(line, "  "+d.docLine()) {
				t.Errorf("%s: line %q, want its doc at the end", d.name, line)
			}
		}
	}
	if n, want := strings.Count(out, "\n"), len(funcDefs)+2*len(funcSections)-1; n != want {
		t.Errorf("%d lines, want %d:\n%s", n, want, out)
	}
}

var update = flag.Bool("update", false, "rewrite the generated table of functions in ../docs/sql.md")

const (
	funcDocsBegin = "<!-- BEGIN FUNCTIONS (generated by `go test ./query -run TestFunctionDocs -update`; do not edit) -->"
	funcDocsEnd   = "<!-- END FUNCTIONS -->"
)

// TestFunctionDocs: the table of functions in docs/sql.md is FunctionsMarkdown (with -update: make it
// so).
func TestFunctionDocs(t *testing.T) {
	path := filepath.Join("..", "docs", "sql.md")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s does not exist", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	begin := strings.Index(doc, funcDocsBegin+"\n")
	end := strings.Index(doc, "\n"+funcDocsEnd)
	if begin < 0 || end < begin+len(funcDocsBegin) {
		t.Fatalf("%s has no lines %q … %q", path, funcDocsBegin, funcDocsEnd)
	}
	inner := begin + len(funcDocsBegin) + 1 // the block's first line
	got, want := doc[inner:end+1], FunctionsMarkdown()
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(doc[:inner]+want+doc[end+1:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the functions of %s are out of date: run go test ./query -run TestFunctionDocs -update\ngot:\n%s\nwant:\n%s", path, got, want)
}
