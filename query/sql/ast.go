// Package sql parses the small SQL that flowlens accepts: one SELECT over one table of flow-log
// records whose columns are the Athena names (srcaddr, dstport, log_status, "end", …), as analysts
// write it against the Athena flow-log tables:
//
//	SELECT SUM(packets) AS packetcount, dstaddr
//	FROM vpc_flow_logs
//	WHERE dstport = 443 AND from_unixtime(start) >= TIMESTAMP '2024-05-01 00:00:00'
//	GROUP BY dstaddr
//	ORDER BY packetcount DESC
//	LIMIT 10
//
// Parse returns the syntax tree; it checks the grammar only. Which columns and functions exist, and
// what may be grouped or ordered, is the planner's business (package query), which reports its errors
// at the node's byte offset with ErrorAt.
package sql

import (
	"fmt"
	"strings"
	"time"
)

// Expr is an expression node. Pos is the byte offset of the node's first token in the query text.
type Expr interface {
	Pos() int
}

// Column is a column reference. Name is lower-cased unless it was double-quoted ("end" keeps its
// case as written, which for flow-log columns is lower case anyway). A qualified name (t.srcaddr)
// keeps only its last part.
type Column struct {
	At   int
	Name string
}

// Star is * as a select item, or inside count(*).
type Star struct{ At int }

// IntLit is an integer literal.
type IntLit struct {
	At int
	V  int64
}

// FloatLit is a decimal literal with a fraction or an exponent (1.5, 2e3).
type FloatLit struct {
	At int
	V  float64
}

// StrLit is a single-quoted string literal; two single quotes inside it stand for one quote.
type StrLit struct {
	At int
	V  string
}

// TimestampLit is TIMESTAMP '2024-05-01 00:00:00' (also with fractional seconds, or a date alone,
// or with a T separator and Z); the time is UTC.
type TimestampLit struct {
	At int
	V  time.Time
}

// IntervalLit is INTERVAL '7' DAY (units: SECOND, MINUTE, HOUR, DAY), or a year-month interval,
// INTERVAL '2' MONTH or INTERVAL '1' YEAR, which counts Months (V is then 0): a month is not a fixed
// number of seconds.
type IntervalLit struct {
	At     int
	V      time.Duration
	Months int64
}

// NullLit is NULL.
type NullLit struct{ At int }

// BoolLit is TRUE or FALSE.
type BoolLit struct {
	At int
	V  bool
}

// Unary is NOT x or -x. Op is "NOT" or "-".
type Unary struct {
	At int
	Op string
	X  Expr
}

// Binary is a binary operator. Op is one of AND OR = <> < <= > >= + - * / % || (!= is read as <>).
type Binary struct {
	At   int
	Op   string
	L, R Expr
}

// In is x [NOT] IN (a, b, …).
type In struct {
	At   int
	X    Expr
	List []Expr
	Not  bool
}

// Between is x [NOT] BETWEEN lo AND hi.
type Between struct {
	At     int
	X      Expr
	Lo, Hi Expr
	Not    bool
}

// Like is x [NOT] LIKE pattern.
type Like struct {
	At      int
	X       Expr
	Pattern Expr
	Not     bool
}

// IsNull is x IS [NOT] NULL.
type IsNull struct {
	At  int
	X   Expr
	Not bool
}

// Call is a function call: name(args), count(*) (Star set, no Args), count(DISTINCT x)
// (Distinct set), an aggregate with FILTER (WHERE cond) (Filter set). Name is lower-cased. The
// niladic keywords current_date, current_timestamp and localtimestamp are calls without arguments
// (Bare set: written without parentheses).
type Call struct {
	At       int
	Name     string
	Args     []Expr
	Distinct bool
	Star     bool
	Filter   Expr
	Bare     bool
}

// Case is CASE [operand] WHEN … THEN … [ELSE …] END: with an operand (simple CASE) each When is a
// value compared with it, without one (searched CASE) each When is a condition. Else is nil when
// absent (NULL).
type Case struct {
	At      int
	Operand Expr
	Whens   []When
	Else    Expr
}

// When is one WHEN … THEN … arm of a CASE.
type When struct {
	Cond, Then Expr
}

// Cast is CAST(x AS type); Type is lower-cased as written (varchar, bigint, integer, int, double,
// timestamp, date).
type Cast struct {
	At   int
	X    Expr
	Type string
}

func (e *Column) Pos() int       { return e.At }
func (e *Star) Pos() int         { return e.At }
func (e *IntLit) Pos() int       { return e.At }
func (e *FloatLit) Pos() int     { return e.At }
func (e *StrLit) Pos() int       { return e.At }
func (e *TimestampLit) Pos() int { return e.At }
func (e *IntervalLit) Pos() int  { return e.At }
func (e *NullLit) Pos() int      { return e.At }
func (e *BoolLit) Pos() int      { return e.At }
func (e *Unary) Pos() int        { return e.At }
func (e *Binary) Pos() int       { return e.At }
func (e *In) Pos() int           { return e.At }
func (e *Between) Pos() int      { return e.At }
func (e *Like) Pos() int         { return e.At }
func (e *IsNull) Pos() int       { return e.At }
func (e *Call) Pos() int         { return e.At }
func (e *Cast) Pos() int         { return e.At }
func (e *Case) Pos() int         { return e.At }

// Walk calls fn on e and every subexpression, parents first (a FILTER condition included).
func Walk(e Expr, fn func(Expr)) {
	if e == nil {
		return
	}
	fn(e)
	switch e := e.(type) {
	case *Unary:
		Walk(e.X, fn)
	case *Binary:
		Walk(e.L, fn)
		Walk(e.R, fn)
	case *In:
		Walk(e.X, fn)
		for _, x := range e.List {
			Walk(x, fn)
		}
	case *Between:
		Walk(e.X, fn)
		Walk(e.Lo, fn)
		Walk(e.Hi, fn)
	case *Like:
		Walk(e.X, fn)
		Walk(e.Pattern, fn)
	case *IsNull:
		Walk(e.X, fn)
	case *Call:
		for _, x := range e.Args {
			Walk(x, fn)
		}
		Walk(e.Filter, fn)
	case *Cast:
		Walk(e.X, fn)
	case *Case:
		Walk(e.Operand, fn)
		for _, w := range e.Whens {
			Walk(w.Cond, fn)
			Walk(w.Then, fn)
		}
		Walk(e.Else, fn)
	}
}

// SelectItem is one item of the select list: an expression with an optional alias, or * (Star).
// Alias is lower-cased unless it was double-quoted, like Column.Name, so that ORDER BY finds it.
type SelectItem struct {
	Expr  Expr // nil for *
	Alias string
	Star  bool
	At    int
}

// OrderItem is one ORDER BY item. An integer literal is an ordinal (1-based) of the select list;
// a bare column name may be an alias of the select list. Nulls is NULLS FIRST or NULLS LAST as
// written (NullsDefault: last, as Trino).
type OrderItem struct {
	Expr  Expr
	Desc  bool
	Nulls Nulls
}

// Nulls is where an ORDER BY item puts NULLs.
type Nulls uint8

const (
	NullsDefault Nulls = iota // not written: last
	NullsFirst
	NullsLast
)

// Select is a query: [WITH ctes] SELECT [DISTINCT] items FROM source [WHERE] [GROUP BY] [HAVING]
// [UNION ALL SELECT …]… [ORDER BY] [OFFSET] [LIMIT]. With UnionAll, ORDER BY, OFFSET and LIMIT apply
// to the union of this select and its arms.
type Select struct {
	With     []CTE
	Distinct bool
	Items    []SelectItem
	// From is the source: a single-quoted string ('s3://b/AWSLogs/', 'flows/*.log.gz') with
	// FromPath set, a subquery (FromSub), or a table name (vpc_flow_logs, "db"."table": the last
	// part) that names a CTE of an enclosing WITH or else stands for the sources given beside the
	// query.
	From     string
	FromPath bool
	FromSub  *Select
	FromAt   int
	Where    Expr      // nil when absent
	GroupBy  []Expr    // integer literals are ordinals of the select list
	Having   Expr      // nil when absent
	UnionAll []*Select // the further arms of a UNION ALL: no WITH, ORDER BY, OFFSET or LIMIT of their own
	OrderBy  []OrderItem
	Offset   int64 // 0 when absent
	Limit    int64 // -1 when absent
}

// CTE is one named query of a WITH clause: name [(columns)] AS (query).
type CTE struct {
	Name    string
	Columns []string // nil: the query's own output names
	Query   *Select
	At      int
}

// Error is a syntax or planning error at a byte offset of the query.
type Error struct {
	Query string
	At    int
	Msg   string
}

// ErrorAt returns an *Error at byte offset at of q.
func ErrorAt(q string, at int, format string, args ...any) *Error {
	return &Error{Query: q, At: at, Msg: fmt.Sprintf(format, args...)}
}

// Error says what is wrong and where: the message, the line and column, the query line and a caret
// under the offending token.
func (e *Error) Error() string {
	at := min(max(e.At, 0), len(e.Query))
	line, col := 1, 1
	ls := 0
	for i := 0; i < at; i++ {
		if e.Query[i] == '\n' {
			line++
			col = 1
			ls = i + 1
		} else {
			col++
		}
	}
	le := strings.IndexByte(e.Query[ls:], '\n')
	if le < 0 {
		le = len(e.Query)
	} else {
		le += ls
	}
	return fmt.Sprintf("%s at line %d, column %d:\n  %s\n  %s^", e.Msg, line, col, e.Query[ls:le], strings.Repeat(" ", col-1))
}
