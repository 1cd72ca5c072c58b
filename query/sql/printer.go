package sql

import (
	"strconv"
	"strings"
	"time"
)

// Precedence levels of the grammar, lowest first; Format adds parentheses only where a child binds
// less tightly than its place requires, so that the output parses back to the same tree.
const (
	precOr = iota + 1
	precAnd
	precNot
	precPredicate // comparisons, IN, BETWEEN, LIKE, IS NULL
	precConcat    // ||
	precAdd
	precMul
	precNeg
	precPrimary
)

// Format renders an expression as canonical SQL: keywords in upper case, names as parsed (quoted
// when they are not plain lower-case identifiers or are keywords), minimal parentheses. Parsing
// the result gives the same tree. The planner uses it for column headers, e.g. sum(packets),
// count(DISTINCT srcaddr), date_trunc('hour', from_unixtime(start)).
func Format(e Expr) string {
	var b strings.Builder
	format(&b, e, 0)
	return b.String()
}

// String renders the statement as canonical SQL on one line, with each expression as Format
// renders it.
func (s *Select) String() string {
	var b strings.Builder
	formatQuery(&b, s)
	return b.String()
}

func formatQuery(b *strings.Builder, s *Select) {
	for i, c := range s.With {
		if i == 0 {
			b.WriteString("WITH ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(quoteName(c.Name))
		if len(c.Columns) > 0 {
			b.WriteString(" (")
			for j, col := range c.Columns {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(quoteName(col))
			}
			b.WriteString(")")
		}
		b.WriteString(" AS (")
		formatQuery(b, c.Query)
		b.WriteString(")")
		if i == len(s.With)-1 {
			b.WriteString(" ")
		}
	}
	formatCore(b, s)
	for _, arm := range s.UnionAll {
		b.WriteString(" UNION ALL ")
		formatCore(b, arm)
	}
	for i, o := range s.OrderBy {
		if i == 0 {
			b.WriteString(" ORDER BY ")
		} else {
			b.WriteString(", ")
		}
		format(b, o.Expr, 0)
		if o.Desc {
			b.WriteString(" DESC")
		}
		switch o.Nulls {
		case NullsFirst:
			b.WriteString(" NULLS FIRST")
		case NullsLast:
			b.WriteString(" NULLS LAST")
		}
	}
	if s.Offset > 0 {
		b.WriteString(" OFFSET ")
		b.WriteString(strconv.FormatInt(s.Offset, 10))
	}
	if s.Limit >= 0 {
		b.WriteString(" LIMIT ")
		b.WriteString(strconv.FormatInt(s.Limit, 10))
	}
}

// formatCore writes SELECT … FROM … WHERE … GROUP BY … HAVING ….
func formatCore(b *strings.Builder, s *Select) {
	b.WriteString("SELECT ")
	if s.Distinct {
		b.WriteString("DISTINCT ")
	}
	for i, it := range s.Items {
		if i > 0 {
			b.WriteString(", ")
		}
		if it.Star || it.Expr == nil {
			b.WriteString("*")
			continue
		}
		format(b, it.Expr, 0)
		if it.Alias != "" {
			b.WriteString(" AS ")
			b.WriteString(quoteName(it.Alias))
		}
	}
	b.WriteString(" FROM ")
	switch {
	case s.FromSub != nil:
		b.WriteString("(")
		formatQuery(b, s.FromSub)
		b.WriteString(")")
	case s.FromPath:
		b.WriteString(quoteString(s.From))
	default:
		b.WriteString(quoteName(s.From))
	}
	if s.Where != nil {
		b.WriteString(" WHERE ")
		format(b, s.Where, 0)
	}
	for i, e := range s.GroupBy {
		if i == 0 {
			b.WriteString(" GROUP BY ")
		} else {
			b.WriteString(", ")
		}
		format(b, e, 0)
	}
	if s.Having != nil {
		b.WriteString(" HAVING ")
		format(b, s.Having, 0)
	}
}

// precedence returns how tightly e binds.
func precedence(e Expr) int {
	switch e := e.(type) {
	case *Binary:
		switch e.Op {
		case "OR":
			return precOr
		case "AND":
			return precAnd
		case "||":
			return precConcat
		case "+", "-":
			return precAdd
		case "*", "/", "%":
			return precMul
		}
		return precPredicate
	case *Unary:
		if e.Op == "NOT" {
			return precNot
		}
		return precNeg
	case *In, *Between, *Like, *IsNull:
		return precPredicate
	}
	return precPrimary
}

// format writes e, in parentheses when it binds less tightly than minPrec.
func format(b *strings.Builder, e Expr, minPrec int) {
	if precedence(e) < minPrec {
		b.WriteByte('(')
		defer b.WriteByte(')')
	}
	switch e := e.(type) {
	case *Column:
		b.WriteString(quoteName(e.Name))
	case *Star:
		b.WriteString("*")
	case *IntLit:
		b.WriteString(strconv.FormatInt(e.V, 10))
	case *FloatLit:
		s := strconv.FormatFloat(e.V, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eIN") { // keep it a decimal literal, not an integer
			s += ".0"
		}
		// 1e6 rather than 1e+06, as people write it.
		s = strings.NewReplacer("e+0", "e", "e+", "e", "e-0", "e-").Replace(s)
		b.WriteString(s)
	case *StrLit:
		b.WriteString(quoteString(e.V))
	case *TimestampLit:
		b.WriteString("TIMESTAMP ")
		b.WriteString(quoteString(e.V.UTC().Format("2006-01-02 15:04:05.999999999")))
	case *IntervalLit:
		formatInterval(b, e)
	case *NullLit:
		b.WriteString("NULL")
	case *BoolLit:
		if e.V {
			b.WriteString("TRUE")
		} else {
			b.WriteString("FALSE")
		}
	case *Unary:
		if e.Op == "NOT" {
			b.WriteString("NOT ")
			format(b, e.X, precNot)
			return
		}
		// -(-x), not --x, which would start a comment.
		var x strings.Builder
		format(&x, e.X, precNeg)
		b.WriteString(e.Op)
		if strings.HasPrefix(x.String(), "-") {
			b.WriteString("(" + x.String() + ")")
		} else {
			b.WriteString(x.String())
		}
	case *Binary:
		// Left-associative: a right child of the same level needs parentheses. Comparisons do
		// not chain, so both sides must bind tighter.
		p := precedence(e)
		l, r := p, p+1
		if p == precPredicate {
			l, r = precConcat, precConcat
		}
		format(b, e.L, l)
		b.WriteString(" " + e.Op + " ")
		format(b, e.R, r)
	case *In:
		format(b, e.X, precConcat)
		b.WriteString(not(e.Not) + " IN (")
		for i, x := range e.List {
			if i > 0 {
				b.WriteString(", ")
			}
			format(b, x, 0)
		}
		b.WriteString(")")
	case *Between:
		format(b, e.X, precConcat)
		b.WriteString(not(e.Not) + " BETWEEN ")
		format(b, e.Lo, precConcat)
		b.WriteString(" AND ")
		format(b, e.Hi, precConcat)
	case *Like:
		format(b, e.X, precConcat)
		b.WriteString(not(e.Not) + " LIKE ")
		format(b, e.Pattern, precConcat)
	case *IsNull:
		format(b, e.X, precConcat)
		b.WriteString(" IS" + not(e.Not) + " NULL")
	case *Call:
		if e.Bare && len(e.Args) == 0 {
			b.WriteString(e.Name)
			return
		}
		b.WriteString(e.Name + "(")
		if e.Star {
			b.WriteString("*")
		}
		if e.Distinct {
			b.WriteString("DISTINCT ")
		}
		for i, x := range e.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			format(b, x, 0)
		}
		b.WriteString(")")
		if e.Filter != nil {
			b.WriteString(" FILTER (WHERE ")
			format(b, e.Filter, 0)
			b.WriteString(")")
		}
	case *Case:
		b.WriteString("CASE")
		if e.Operand != nil {
			b.WriteString(" ")
			format(b, e.Operand, 0)
		}
		for _, w := range e.Whens {
			b.WriteString(" WHEN ")
			format(b, w.Cond, 0)
			b.WriteString(" THEN ")
			format(b, w.Then, 0)
		}
		if e.Else != nil {
			b.WriteString(" ELSE ")
			format(b, e.Else, 0)
		}
		b.WriteString(" END")
	case *Cast:
		b.WriteString("CAST(")
		format(b, e.X, 0)
		b.WriteString(" AS " + e.Type + ")")
	case nil:
		b.WriteString("<nil>")
	default:
		b.WriteString("<unknown>")
	}
}

func not(n bool) string {
	if n {
		return " NOT"
	}
	return ""
}

// formatInterval writes d in the largest unit that divides it.
func formatInterval(b *strings.Builder, e *IntervalLit) {
	if e.Months != 0 {
		n, unit := e.Months, "MONTH"
		if n%12 == 0 {
			n, unit = n/12, "YEAR"
		}
		b.WriteString("INTERVAL '" + strconv.FormatInt(n, 10) + "' " + unit)
		return
	}
	d := e.V
	n, unit := int64(d/time.Second), "SECOND"
	switch {
	case d%(24*time.Hour) == 0:
		n, unit = int64(d/(24*time.Hour)), "DAY"
	case d%time.Hour == 0:
		n, unit = int64(d/time.Hour), "HOUR"
	case d%time.Minute == 0:
		n, unit = int64(d/time.Minute), "MINUTE"
	}
	b.WriteString("INTERVAL '" + strconv.FormatInt(n, 10) + "' " + unit)
}

// quoteName writes a name bare when it reads back as itself (a lower-case identifier that is not
// reserved), and double-quoted otherwise.
func quoteName(s string) string {
	plain := s != "" && !isReserved(s) && !isDigit(s[0])
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = 'a' <= c && c <= 'z' || c == '_' || isDigit(c)
	}
	if plain {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
