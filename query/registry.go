package query

import (
	"fmt"
	"sort"
	"strings"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/query/sql"
)

// The SQL functions are a table. Each family's file (func_time.go, func_string.go, func_net.go,
// func_agg.go, and cast.go for the docs of CAST) registers its entries from an init function; the
// compiler, the planner of aggregates, the unknown-function error and the docs (WriteFunctionHelp,
// FunctionsMarkdown) read the table. It is read when a query is compiled and planned, never per row:
// an entry's compile function builds the same nodes a hand-written case would.
//
// Adding a scalar function is one entry (its node type and kernel beside it) and its examples in the
// family's test file; `go test ./query -run TestFunctionDocs -update` then regenerates the table of
// docs/sql.md.

// funcKind is what a registry entry is.
type funcKind uint8

const (
	scalarFunc    funcKind = iota // a function of a row (or of a group's keys and aggregates)
	aggregateFunc                 // an aggregate, computed by the engine as measures
	syntaxFunc                    // syntax that reads as a function (CAST): in the docs only
)

var funcKindNames = [...]string{"scalar", "aggregate", "syntax"}

func (k funcKind) String() string { return funcKindNames[k] }

// funcDef is one SQL function.
type funcDef struct {
	name    string
	aliases []string // other names of the same function (dow for day_of_week)
	kind    funcKind
	arity   int // the number of arguments (checked before compile is called)
	// maxArity, when not 0, is the largest number of arguments (arity is then the least); -1: any
	// number from arity on.
	maxArity int
	args     string // the arguments as shown to users: "unit varchar literal, ts timestamp"
	result   string // the result type as shown to users: "timestamp"
	doc      string // one line, no final period

	// compile builds the node of a scalar call with arity arguments; error messages name the
	// function as written (e.Name, which may be an alias).
	compile func(cp *compiler, e *sql.Call) (node, error)

	// agg maps an aggregate onto the engine's measures.
	agg *aggDef
}

// aggDef is what addAggregate needs of an aggregate. Its argument is a column (or from_unixtime of
// one, when timeArg), resolved to f before these are called.
type aggDef struct {
	star     func(s *aggregate.Spec) aggRef                    // f(*); nil: not allowed
	distinct func(s *aggregate.Spec, f flowlog.FieldID) aggRef // f(DISTINCT column); nil: not allowed
	timeArg  bool                                              // also of from_unixtime(column): a timestamp
	numeric  bool                                              // the column must be a number
	measure  func(s *aggregate.Spec, f flowlog.FieldID, isTime bool) aggRef
}

// signature is the function as shown to users: date_trunc(unit varchar literal, ts timestamp) →
// timestamp.
func (d *funcDef) signature() string {
	return d.name + "(" + d.args + ") → " + d.result
}

// names are the function's name and its aliases.
func (d *funcDef) names() []string {
	return append([]string{d.name}, d.aliases...)
}

var (
	funcByName = map[string]*funcDef{} // by name and alias
	funcDefs   []*funcDef              // in the order registered
)

// register adds entries to the registry; a name registered twice is a bug.
func register(defs ...*funcDef) {
	for _, d := range defs {
		for _, n := range d.names() {
			if funcByName[n] != nil {
				panic(fmt.Sprintf("query: SQL function %s registered twice", n))
			}
			funcByName[n] = d
		}
		funcDefs = append(funcDefs, d)
	}
}

// lookupFunc returns the scalar or aggregate function of a name (as the parser gives it: lower case).
func lookupFunc(name string) *funcDef {
	if d := funcByName[name]; d != nil && d.kind != syntaxFunc {
		return d
	}
	return nil
}

func isAggregate(name string) bool {
	d := lookupFunc(name)
	return d != nil && d.kind == aggregateFunc
}

// funcsOf returns the entries of a kind, sorted by name.
func funcsOf(kind funcKind) []*funcDef {
	var out []*funcDef
	for _, d := range funcDefs {
		if d.kind == kind {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// namesOf returns every name and alias of a kind, sorted.
func namesOf(kind funcKind) []string {
	var out []string
	for _, d := range funcsOf(kind) {
		out = append(out, d.names()...)
	}
	sort.Strings(out)
	return out
}

// functionList is what the unknown-function error lists: "scalar: contains, …; aggregate: avg, …;
// and CAST".
func functionList() string {
	return fmt.Sprintf("scalar: %s; aggregate: %s; and %s", strings.Join(namesOf(scalarFunc), ", "),
		strings.Join(namesOf(aggregateFunc), ", "), strings.Join(namesOf(syntaxFunc), ", "))
}

// distinctList names the aggregates that take DISTINCT: "count()".
func distinctList() string {
	var names []string
	for _, d := range funcsOf(aggregateFunc) {
		if d.agg.distinct != nil {
			names = append(names, d.name+"()")
		}
	}
	return strings.Join(names, " and ")
}

func (cp *compiler) call(e *sql.Call) (node, error) {
	if isAggregate(e.Name) {
		return nil, cp.errorf(e, "aggregate %s() is not allowed here", e.Name)
	}
	if e.Distinct || e.Star {
		return nil, cp.errorf(e, "%s() takes no DISTINCT or *", e.Name)
	}
	d := lookupFunc(e.Name)
	if d == nil {
		return nil, cp.errorf(e, "unknown function %s() (%s)", e.Name, functionList())
	}
	if e.Filter != nil {
		return nil, cp.errorf(e.Filter, "FILTER is allowed on aggregates only, not on %s()", e.Name)
	}
	if err := d.checkArity(cp, e); err != nil {
		return nil, err
	}
	return d.compile(cp, e)
}

// checkArity checks the number of arguments of a call.
func (d *funcDef) checkArity(cp *compiler, e *sql.Call) error {
	n := len(e.Args)
	switch {
	case d.maxArity == 0 && n != d.arity:
		return cp.errorf(e, "%s() takes %d argument(s), found %d", e.Name, d.arity, n)
	case d.maxArity < 0 && n < d.arity:
		return cp.errorf(e, "%s() takes at least %d argument(s), found %d", e.Name, d.arity, n)
	case d.maxArity > 0 && (n < d.arity || n > d.maxArity):
		return cp.errorf(e, "%s() takes %d to %d arguments, found %d", e.Name, d.arity, d.maxArity, n)
	}
	return nil
}

// strArg returns argument i of a call, which must be a string literal.
func (cp *compiler) strArg(e *sql.Call, i int) (string, error) {
	s, ok := e.Args[i].(*sql.StrLit)
	if !ok {
		return "", cp.errorf(e.Args[i], "%s() takes a string literal here", e.Name)
	}
	return s.V, nil
}

// arg compiles argument i of a call.
func (cp *compiler) arg(e *sql.Call, i int) (node, error) {
	return cp.compile(e.Args[i])
}
