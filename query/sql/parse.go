package sql

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxDepth bounds the nesting of parentheses, calls and unary operators, so that a hostile query
// cannot exhaust the stack; real queries nest a handful of levels.
const maxDepth = 200

// Parse parses one SELECT statement (an optional trailing semicolon and comments allowed). It
// checks the grammar only; errors are *Error at the offending token.
func Parse(q string) (*Select, error) {
	p := &parser{q: q, toks: lex(q)}
	s, err := p.parseSelect()
	if err != nil {
		return nil, err
	}
	return s, nil
}

// parser is a recursive-descent parser over the token list; tok is the current token.
type parser struct {
	q     string
	toks  []token
	i     int
	depth int
}

func (p *parser) tok() token { return p.toks[p.i] }

// peek returns the token after the current one (the last token, EOF or an error, repeats).
func (p *parser) peek() token { return p.toks[min(p.i+1, len(p.toks)-1)] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

// isKw reports whether t is the unquoted keyword kw (upper case).
func isKw(t token, kw string) bool { return t.kind == tIdent && strings.EqualFold(t.text, kw) }

func isOp(t token, op string) bool { return t.kind == tOp && t.text == op }

// acceptKw consumes the current token if it is the keyword kw.
func (p *parser) acceptKw(kw string) bool {
	if isKw(p.tok(), kw) {
		p.next()
		return true
	}
	return false
}

func (p *parser) acceptOp(op string) bool {
	if isOp(p.tok(), op) {
		p.next()
		return true
	}
	return false
}

// fail returns an error at token t. A lexical error token reports its own message instead, since
// it is the reason the parse could not go on.
func (p *parser) fail(t token, format string, args ...any) *Error {
	if t.kind == tErr {
		return ErrorAt(p.q, t.pos, "%s", t.text)
	}
	return ErrorAt(p.q, t.pos, format, args...)
}

// expected returns the error "expected what, found <current token>".
func (p *parser) expected(what string) *Error {
	t := p.tok()
	if t.kind == tEOF {
		return p.fail(t, "syntax error: unexpected end of query, expected %s", what)
	}
	return p.fail(t, "syntax error: expected %s, found %s", what, quoteTok(t))
}

// quoteTok renders a token for a message, shortened so that a long string literal does not swamp
// the message.
func quoteTok(t token) string {
	s := t.text
	if len(s) > 40 {
		n := 37
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "..."
	}
	return strconv.Quote(s)
}

func (p *parser) expectKw(kw string) error {
	if !p.acceptKw(kw) {
		return p.expected(kw)
	}
	return nil
}

func (p *parser) expectOp(op string) error {
	if !p.acceptOp(op) {
		return p.expected(strconv.Quote(op))
	}
	return nil
}

func (p *parser) parseSelect() (*Select, error) {
	s, err := p.parseQuery()
	if err != nil {
		return nil, err
	}
	return s, p.parseEnd()
}

// parseQuery parses [WITH …] select [UNION ALL select]… [ORDER BY …] [OFFSET n] [LIMIT n].
func (p *parser) parseQuery() (*Select, error) {
	var with []CTE
	if p.acceptKw("WITH") {
		if isKw(p.tok(), "RECURSIVE") {
			return nil, p.fail(p.tok(), "WITH RECURSIVE is not supported")
		}
		for {
			c, err := p.parseCTE()
			if err != nil {
				return nil, err
			}
			for _, o := range with {
				if o.Name == c.Name {
					return nil, ErrorAt(p.q, c.At, "WITH names %q twice", c.Name)
				}
			}
			with = append(with, c)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	s, err := p.parseCore()
	if err != nil {
		return nil, err
	}
	s.With = with
	for isKw(p.tok(), "UNION") {
		t := p.next()
		if !p.acceptKw("ALL") {
			return nil, p.fail(t, "UNION without ALL (which removes duplicates) is not supported: write UNION ALL, or SELECT DISTINCT over it")
		}
		arm, err := p.parseCore()
		if err != nil {
			return nil, err
		}
		s.UnionAll = append(s.UnionAll, arm)
	}
	if p.acceptKw("ORDER") {
		if err := p.expectKw("BY"); err != nil {
			return nil, err
		}
		for {
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			o := OrderItem{Expr: e}
			if p.acceptKw("DESC") {
				o.Desc = true
			} else {
				p.acceptKw("ASC")
			}
			if p.acceptKw("NULLS") {
				switch {
				case p.acceptKw("FIRST"):
					o.Nulls = NullsFirst
				case p.acceptKw("LAST"):
					o.Nulls = NullsLast
				default:
					return nil, p.expected("FIRST or LAST after NULLS")
				}
			}
			s.OrderBy = append(s.OrderBy, o)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if p.acceptKw("OFFSET") {
		n, err := p.count("OFFSET")
		if err != nil {
			return nil, err
		}
		s.Offset = n
		if !p.acceptKw("ROWS") {
			p.acceptKw("ROW")
		}
	}
	if p.acceptKw("LIMIT") {
		if !p.acceptKw("ALL") {
			n, err := p.count("LIMIT")
			if err != nil {
				return nil, err
			}
			s.Limit = n
		}
	}
	return s, nil
}

// count parses the non-negative integer after LIMIT or OFFSET.
func (p *parser) count(kw string) (int64, error) {
	t := p.tok()
	if t.kind != tInt {
		return 0, p.expected("a non-negative integer after " + kw)
	}
	n, err := p.parseInt(t)
	if err != nil {
		return 0, err
	}
	p.next()
	return n, nil
}

// parseCTE parses name [(columns)] AS (query).
func (p *parser) parseCTE() (CTE, error) {
	if err := p.enter(); err != nil {
		return CTE{}, err
	}
	defer func() { p.depth-- }()
	at := p.tok().pos
	name, ok := p.acceptName()
	if !ok {
		return CTE{}, p.expected("the name of a WITH query")
	}
	c := CTE{Name: name, At: at}
	if p.acceptOp("(") {
		for {
			col, ok := p.acceptName()
			if !ok {
				return CTE{}, p.expected("a column name")
			}
			c.Columns = append(c.Columns, col)
			if !p.acceptOp(",") {
				break
			}
		}
		if err := p.expectOp(")"); err != nil {
			return CTE{}, err
		}
	}
	if err := p.expectKw("AS"); err != nil {
		return CTE{}, err
	}
	if err := p.expectOp("("); err != nil {
		return CTE{}, err
	}
	q, err := p.parseQuery()
	if err != nil {
		return CTE{}, err
	}
	if err := p.expectOp(")"); err != nil {
		return CTE{}, err
	}
	c.Query = q
	return c, nil
}

// parseCore parses SELECT [DISTINCT] items FROM source [WHERE] [GROUP BY] [HAVING].
func (p *parser) parseCore() (*Select, error) {
	if err := p.expectKw("SELECT"); err != nil {
		return nil, err
	}
	s := &Select{Limit: -1}
	s.Distinct = p.acceptKw("DISTINCT")
	if !s.Distinct {
		p.acceptKw("ALL")
	}
	for {
		item, err := p.parseItem()
		if err != nil {
			return nil, err
		}
		s.Items = append(s.Items, item)
		if !p.acceptOp(",") {
			break
		}
	}
	if err := p.expectKw("FROM"); err != nil {
		return nil, err
	}
	if err := p.parseSource(s); err != nil {
		return nil, err
	}
	var err error
	if p.acceptKw("WHERE") {
		if s.Where, err = p.parseExpr(); err != nil {
			return nil, err
		}
	}
	if p.acceptKw("GROUP") {
		if err := p.expectKw("BY"); err != nil {
			return nil, err
		}
		if s.GroupBy, err = p.parseList(); err != nil {
			return nil, err
		}
	}
	if p.acceptKw("HAVING") {
		if s.Having, err = p.parseExpr(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// parseEnd accepts the end of the statement: an optional semicolon, then nothing.
func (p *parser) parseEnd() error {
	t := p.tok()
	for _, kw := range []string{"INTERSECT", "EXCEPT"} {
		if isKw(t, kw) {
			return p.fail(t, "%s is not supported", kw)
		}
	}
	if p.acceptOp(";") {
		if t := p.tok(); t.kind != tEOF {
			return p.fail(t, "only one statement is allowed, found %s after the semicolon", quoteTok(t))
		}
		return nil
	}
	if t.kind != tEOF {
		return p.expected("end of query")
	}
	return nil
}

// parseItem parses * or expr [[AS] alias].
func (p *parser) parseItem() (SelectItem, error) {
	t := p.tok()
	if isOp(t, "*") {
		p.next()
		return SelectItem{Star: true, At: t.pos}, nil
	}
	e, err := p.parseExpr()
	if err != nil {
		return SelectItem{}, err
	}
	item := SelectItem{Expr: e, At: e.Pos()}
	if p.acceptKw("AS") {
		alias, ok := p.acceptName()
		if !ok {
			return SelectItem{}, p.expected("an alias")
		}
		item.Alias = alias
	} else if alias, ok := p.acceptName(); ok {
		item.Alias = alias
	}
	return item, nil
}

// acceptName consumes an identifier that is not a reserved word, or a quoted identifier, and
// returns it as a name: unquoted names are lower-cased, as Athena does, so that ORDER BY bytes
// finds the alias Bytes.
func (p *parser) acceptName() (string, bool) {
	t := p.tok()
	switch {
	case t.kind == tQIdent:
		p.next()
		return t.val, true
	case t.kind == tIdent && !isReserved(t.text):
		p.next()
		return strings.ToLower(t.text), true
	}
	return "", false
}

// parseSource parses the FROM source: a quoted path or a qualified table name, then an optional
// alias, which is ignored because there is only one table.
func (p *parser) parseSource(s *Select) error {
	t := p.tok()
	s.FromAt = t.pos
	switch {
	case t.kind == tStr:
		p.next()
		s.From, s.FromPath = t.val, true
	case isOp(t, "(") && (isKw(p.peek(), "SELECT") || isKw(p.peek(), "WITH")):
		p.next()
		if err := p.enter(); err != nil {
			return err
		}
		defer func() { p.depth-- }()
		sub, err := p.parseQuery()
		if err != nil {
			return err
		}
		if err := p.expectOp(")"); err != nil {
			return err
		}
		s.FromSub = sub
	default:
		name, ok := p.acceptName()
		if !ok {
			return p.expected("a table name or a quoted path")
		}
		for p.acceptOp(".") {
			if name, ok = p.acceptName(); !ok {
				return p.expected("a table name after \".\"")
			}
		}
		s.From = name
	}
	if p.acceptKw("AS") {
		if _, ok := p.acceptName(); !ok {
			return p.expected("a table alias")
		}
	} else {
		p.acceptName()
	}
	t = p.tok()
	for _, kw := range []string{"JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL"} {
		if isKw(t, kw) {
			return p.fail(t, "JOIN is not supported")
		}
	}
	if isOp(t, ",") {
		return p.fail(t, "JOIN is not supported (only one table may follow FROM)")
	}
	return nil
}

// parseList parses expr {, expr}.
func (p *parser) parseList() ([]Expr, error) {
	var list []Expr
	for {
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		list = append(list, e)
		if !p.acceptOp(",") {
			return list, nil
		}
	}
}

// enter counts one level of nesting; every recursive descent into a sub-expression goes through it.
func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.fail(p.tok(), "syntax error: expression nested too deeply")
	}
	return nil
}

// parseExpr parses a full expression (the OR level).
func (p *parser) parseExpr() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.acceptKw("OR") {
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &Binary{At: l.Pos(), Op: "OR", L: l, R: r}
	}
	return l, nil
}

func (p *parser) parseAnd() (Expr, error) {
	l, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for p.acceptKw("AND") {
		r, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		l = &Binary{At: l.Pos(), Op: "AND", L: l, R: r}
	}
	return l, nil
}

func (p *parser) parseNot() (Expr, error) {
	t := p.tok()
	if !isKw(t, "NOT") {
		return p.parsePredicate()
	}
	p.next()
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	x, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	return &Unary{At: t.pos, Op: "NOT", X: x}, nil
}

// comparisons maps the comparison operators to their Binary.Op.
var comparisons = map[string]string{"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

// parsePredicate parses an additive expression followed by at most one comparison, IN, BETWEEN,
// LIKE or IS NULL. As in Trino, predicates do not chain: a = b = c is an error.
func (p *parser) parsePredicate() (Expr, error) {
	x, err := p.parseConcat()
	if err != nil {
		return nil, err
	}
	t := p.tok()
	if op, ok := comparisons[t.text]; ok && t.kind == tOp {
		p.next()
		r, err := p.parseConcat()
		if err != nil {
			return nil, err
		}
		return &Binary{At: x.Pos(), Op: op, L: x, R: r}, nil
	}
	if isKw(t, "IS") {
		p.next()
		not := p.acceptKw("NOT")
		if err := p.expectKw("NULL"); err != nil {
			return nil, err
		}
		return &IsNull{At: x.Pos(), X: x, Not: not}, nil
	}
	not := false
	if isKw(t, "NOT") {
		if n := p.peek(); !isKw(n, "IN") && !isKw(n, "BETWEEN") && !isKw(n, "LIKE") {
			p.next()
			return nil, p.expected("IN, BETWEEN or LIKE after NOT")
		}
		p.next()
		not = true
	}
	switch {
	case p.acceptKw("IN"):
		if isOp(p.tok(), "(") && isKw(p.peek(), "SELECT") {
			return nil, p.fail(p.peek(), "subqueries are supported in FROM only")
		}
		if err := p.expectOp("("); err != nil {
			return nil, err
		}
		list, err := p.parseList()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		return &In{At: x.Pos(), X: x, List: list, Not: not}, nil
	case p.acceptKw("BETWEEN"):
		lo, err := p.parseConcat()
		if err != nil {
			return nil, err
		}
		if err := p.expectKw("AND"); err != nil {
			return nil, err
		}
		hi, err := p.parseConcat()
		if err != nil {
			return nil, err
		}
		return &Between{At: x.Pos(), X: x, Lo: lo, Hi: hi, Not: not}, nil
	case p.acceptKw("LIKE"):
		pat, err := p.parseConcat()
		if err != nil {
			return nil, err
		}
		return &Like{At: x.Pos(), X: x, Pattern: pat, Not: not}, nil
	}
	return x, nil
}

// parseConcat parses a || b || …, which binds less tightly than + and -, as in Trino.
func (p *parser) parseConcat() (Expr, error) {
	l, err := p.parseAdditive()
	if err != nil {
		return nil, err
	}
	for t := p.tok(); isOp(t, "||"); t = p.tok() {
		p.next()
		r, err := p.parseAdditive()
		if err != nil {
			return nil, err
		}
		l = &Binary{At: l.Pos(), Op: "||", L: l, R: r}
	}
	return l, nil
}

func (p *parser) parseAdditive() (Expr, error) {
	l, err := p.parseMul()
	if err != nil {
		return nil, err
	}
	for t := p.tok(); isOp(t, "+") || isOp(t, "-"); t = p.tok() {
		p.next()
		r, err := p.parseMul()
		if err != nil {
			return nil, err
		}
		l = &Binary{At: l.Pos(), Op: t.text, L: l, R: r}
	}
	return l, nil
}

func (p *parser) parseMul() (Expr, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for t := p.tok(); isOp(t, "*") || isOp(t, "/") || isOp(t, "%"); t = p.tok() {
		p.next()
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = &Binary{At: l.Pos(), Op: t.text, L: l, R: r}
	}
	return l, nil
}

func (p *parser) parseUnary() (Expr, error) {
	t := p.tok()
	if !isOp(t, "-") {
		return p.parsePrimary()
	}
	p.next()
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	return &Unary{At: t.pos, Op: "-", X: x}, nil
}

func (p *parser) parsePrimary() (Expr, error) {
	t := p.tok()
	switch t.kind {
	case tInt:
		n, err := p.parseInt(t)
		if err != nil {
			return nil, err
		}
		p.next()
		return &IntLit{At: t.pos, V: n}, nil
	case tFloat:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, p.fail(t, "syntax error: number %s is out of range", t.text)
		}
		p.next()
		return &FloatLit{At: t.pos, V: f}, nil
	case tStr:
		p.next()
		return &StrLit{At: t.pos, V: t.val}, nil
	case tQIdent:
		return p.parseColumn()
	case tOp:
		if t.text != "(" {
			break
		}
		if isKw(p.peek(), "SELECT") {
			return nil, p.fail(p.peek(), "subqueries are supported in FROM only")
		}
		p.next()
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		return e, nil
	case tIdent:
		return p.parseWord()
	}
	return nil, p.expected("an expression")
}

// parseWord parses a primary that starts with an unquoted word: a keyword literal, a typed
// literal, CAST, a call or a column.
func (p *parser) parseWord() (Expr, error) {
	t := p.tok()
	word := strings.ToUpper(t.text)
	if p.peek().kind == tStr {
		switch word {
		case "TIMESTAMP", "DATE":
			return p.parseTimestamp()
		case "INTERVAL":
			return p.parseInterval()
		}
	}
	switch word {
	case "NULL":
		p.next()
		return &NullLit{At: t.pos}, nil
	case "TRUE", "FALSE":
		p.next()
		return &BoolLit{At: t.pos, V: word == "TRUE"}, nil
	case "CAST":
		return p.parseCast()
	case "CASE":
		return p.parseCase()
	case "CURRENT_DATE", "CURRENT_TIMESTAMP", "LOCALTIMESTAMP":
		if !isOp(p.peek(), "(") {
			p.next()
			return &Call{At: t.pos, Name: strings.ToLower(word), Bare: true}, nil
		}
	case "EXISTS":
		return nil, p.fail(t, "subqueries are supported in FROM only")
	case "END":
		return nil, p.fail(t, "syntax error: END is a keyword; write the column as \"end\"")
	}
	if isReserved(word) {
		return nil, p.expected("an expression")
	}
	if isOp(p.peek(), "(") {
		return p.parseCall()
	}
	return p.parseColumn()
}

// parseColumn parses name {. name} and keeps the last part.
func (p *parser) parseColumn() (Expr, error) {
	at := p.tok().pos
	name, ok := p.acceptName()
	if !ok {
		return nil, p.expected("a column name")
	}
	for p.acceptOp(".") {
		if name, ok = p.acceptName(); !ok {
			return nil, p.expected("a column name after \".\"")
		}
	}
	return &Column{At: at, Name: name}, nil
}

// parseCall parses name(args), count(*) and agg(DISTINCT args).
func (p *parser) parseCall() (Expr, error) {
	t := p.next()
	p.next() // (
	c := &Call{At: t.pos, Name: strings.ToLower(t.text)}
	if star := p.tok(); isOp(star, "*") {
		if c.Name != "count" {
			return nil, p.fail(star, "syntax error: * is only allowed in count(*), not in %s()", c.Name)
		}
		p.next()
		c.Star = true
	} else {
		c.Distinct = p.acceptKw("DISTINCT")
		if c.Distinct || !isOp(p.tok(), ")") {
			args, err := p.parseList()
			if err != nil {
				return nil, err
			}
			c.Args = args
		}
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	if f := p.tok(); isKw(f, "FILTER") && isOp(p.peek(), "(") {
		p.next()
		p.next()
		if err := p.expectKw("WHERE"); err != nil {
			return nil, err
		}
		cond, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		c.Filter = cond
	}
	if over := p.tok(); isKw(over, "OVER") {
		return nil, p.fail(over, "window functions (OVER) are not supported")
	}
	return c, nil
}

// parseCase parses CASE [operand] WHEN x THEN y … [ELSE z] END.
func (p *parser) parseCase() (Expr, error) {
	t := p.next()
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	c := &Case{At: t.pos}
	if !isKw(p.tok(), "WHEN") {
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		c.Operand = x
	}
	for p.acceptKw("WHEN") {
		cond, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if err := p.expectKw("THEN"); err != nil {
			return nil, err
		}
		then, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		c.Whens = append(c.Whens, When{Cond: cond, Then: then})
	}
	if len(c.Whens) == 0 {
		return nil, p.expected("WHEN")
	}
	if p.acceptKw("ELSE") {
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		c.Else = e
	}
	if err := p.expectKw("END"); err != nil {
		return nil, err
	}
	return c, nil
}

// castTypes are the types CAST accepts.
var castTypes = map[string]bool{"varchar": true, "bigint": true, "integer": true, "int": true, "double": true, "timestamp": true, "date": true}

func (p *parser) parseCast() (Expr, error) {
	t := p.next()
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	x, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if err := p.expectKw("AS"); err != nil {
		return nil, err
	}
	typ := p.tok()
	if typ.kind != tIdent || !castTypes[strings.ToLower(typ.text)] {
		return nil, p.expected("a type (varchar, bigint, integer, int, double, timestamp or date)")
	}
	p.next()
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	return &Cast{At: t.pos, X: x, Type: strings.ToLower(typ.text)}, nil
}

// parseInt converts an integer token, which the lexer has checked holds only digits.
func (p *parser) parseInt(t token) (int64, error) {
	n, err := strconv.ParseInt(t.text, 10, 64)
	if err != nil {
		return 0, p.fail(t, "syntax error: integer %s is out of range", t.text)
	}
	return n, nil
}

// parseTimestamp parses TIMESTAMP 'yyyy-mm-dd[ hh:mm:ss[.fff]]' (T separator and Z suffix
// allowed) and DATE 'yyyy-mm-dd'; both are UTC.
func (p *parser) parseTimestamp() (Expr, error) {
	kw := p.next()
	s := p.next()
	if strings.EqualFold(kw.text, "DATE") {
		v, err := time.Parse(time.DateOnly, s.val)
		if err != nil {
			return nil, ErrorAt(p.q, s.pos, "syntax error: bad date %s, expected 'yyyy-mm-dd'", s.text)
		}
		return &TimestampLit{At: kw.pos, V: v}, nil
	}
	v, ok := parseTime(s.val)
	if !ok {
		return nil, ErrorAt(p.q, s.pos, "syntax error: bad timestamp %s, expected 'yyyy-mm-dd hh:mm:ss'", s.text)
	}
	return &TimestampLit{At: kw.pos, V: v}, nil
}

// parseTime reads the timestamp forms Athena users write: a date alone, or a date and a time
// with optional fractional seconds, separated by a space or T, optionally ending in Z.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSuffix(s, "Z")
	if len(s) > 10 && s[10] == 'T' {
		s = s[:10] + " " + s[11:]
	}
	// time.Parse accepts fractional seconds after the seconds field even though the layout has
	// none, and parses a zone-less time as UTC.
	for _, layout := range []string{time.DateOnly, time.DateTime, "2006-01-02 15:04"} {
		if v, err := time.Parse(layout, s); err == nil {
			return v, true
		}
	}
	return time.Time{}, false
}

// intervalUnits are the units of INTERVAL literals.
var intervalUnits = map[string]time.Duration{"SECOND": time.Second, "MINUTE": time.Minute, "HOUR": time.Hour, "DAY": 24 * time.Hour}

// intervalMonths are the units of year-month INTERVAL literals, in months.
var intervalMonths = map[string]int64{"MONTH": 1, "YEAR": 12}

// parseInterval parses INTERVAL 'n' unit, n an integer, possibly negative.
func (p *parser) parseInterval() (Expr, error) {
	kw := p.next()
	s := p.next()
	n, err := strconv.ParseInt(strings.TrimSpace(s.val), 10, 64)
	if err != nil {
		return nil, ErrorAt(p.q, s.pos, "syntax error: bad interval %s, expected a whole number such as '7'", s.text)
	}
	u := p.tok()
	if m, ok := intervalMonths[strings.ToUpper(u.text)]; ok && u.kind == tIdent {
		if n > math.MaxInt32 || n < math.MinInt32 {
			return nil, ErrorAt(p.q, s.pos, "syntax error: interval %s %s is out of range", s.text, strings.ToUpper(u.text))
		}
		p.next()
		return &IntervalLit{At: kw.pos, Months: n * m}, nil
	}
	unit, ok := intervalUnits[strings.ToUpper(u.text)]
	if u.kind != tIdent || !ok {
		return nil, p.expected("YEAR, MONTH, DAY, HOUR, MINUTE or SECOND")
	}
	if n > math.MaxInt64/int64(unit) || n < math.MinInt64/int64(unit) {
		return nil, ErrorAt(p.q, s.pos, "syntax error: interval %s %s is out of range", s.text, strings.ToUpper(u.text))
	}
	p.next()
	return &IntervalLit{At: kw.pos, V: time.Duration(n) * unit}, nil
}
