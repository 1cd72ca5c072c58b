package sql

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// tokKind is the kind of a lexical token.
type tokKind int

const (
	tEOF    tokKind = iota
	tErr            // a lexical error; text is the message
	tIdent          // unquoted identifier or keyword
	tQIdent         // "double-quoted identifier"; val is the unescaped name
	tStr            // 'string'; val is the unescaped value
	tInt
	tFloat
	tOp // operator or punctuation; text is the operator
)

// token is one lexical token. pos is its byte offset; text is the source text as written (so error
// messages quote what the user typed), except for tErr, where it is the message.
type token struct {
	kind tokKind
	pos  int
	text string
	val  string
}

// lex splits q into tokens. It never fails: a lexical error becomes a tErr token that ends the
// list, so that the parser reports an earlier syntax error first and the lexical one only when the
// parse reaches it.
func lex(q string) []token {
	var toks []token
	i := 0
	for {
		// Skip white space and comments.
		for i < len(q) {
			c := q[i]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
				i++
			} else if strings.HasPrefix(q[i:], "--") {
				n := strings.IndexByte(q[i:], '\n')
				if n < 0 {
					i = len(q)
				} else {
					i += n + 1
				}
			} else if strings.HasPrefix(q[i:], "/*") {
				n := strings.Index(q[i+2:], "*/")
				if n < 0 {
					return append(toks, token{kind: tErr, pos: i, text: "syntax error: unterminated comment"})
				}
				i += 2 + n + 2
			} else {
				break
			}
		}
		if i >= len(q) {
			return append(toks, token{kind: tEOF, pos: len(q)})
		}
		t, next := lexToken(q, i)
		toks = append(toks, t)
		if t.kind == tErr {
			return toks
		}
		i = next
	}
}

// lexToken reads the token starting at q[i], which is not white space, and returns it with the
// offset just after it.
func lexToken(q string, i int) (token, int) {
	c := q[i]
	switch {
	case isIdentStart(c):
		j := i + 1
		for j < len(q) && isIdentPart(q[j]) {
			j++
		}
		return token{kind: tIdent, pos: i, text: q[i:j]}, j
	case isDigit(c) || c == '.' && i+1 < len(q) && isDigit(q[i+1]):
		return lexNumber(q, i)
	case c == '\'' || c == '"':
		return lexQuoted(q, i)
	}
	for _, op := range []string{"<>", "!=", "<=", ">=", "||"} {
		if strings.HasPrefix(q[i:], op) {
			return token{kind: tOp, pos: i, text: op}, i + 2
		}
	}
	if strings.IndexByte("=<>+-*/%(),.;", c) >= 0 {
		return token{kind: tOp, pos: i, text: q[i : i+1]}, i + 1
	}
	_, size := utf8.DecodeRuneInString(q[i:])
	return token{kind: tErr, pos: i, text: fmt.Sprintf("syntax error: unexpected character %q", q[i:i+size])}, i + size
}

// lexNumber reads digits [. digits] [e [+-] digits]; a number with a fraction or an exponent is a
// tFloat. A number that runs into letters (12ab, 1e) is an error rather than two tokens, so that a
// typo is not read as a number with an alias.
func lexNumber(q string, i int) (token, int) {
	j := i
	for j < len(q) && isDigit(q[j]) {
		j++
	}
	kind := tInt
	if j < len(q) && q[j] == '.' {
		kind = tFloat
		j++
		for j < len(q) && isDigit(q[j]) {
			j++
		}
	}
	if j < len(q) && (q[j] == 'e' || q[j] == 'E') {
		k := j + 1
		if k < len(q) && (q[k] == '+' || q[k] == '-') {
			k++
		}
		if k < len(q) && isDigit(q[k]) {
			kind = tFloat
			j = k
			for j < len(q) && isDigit(q[j]) {
				j++
			}
		}
	}
	if j < len(q) && (isIdentPart(q[j]) || q[j] == '.') {
		k := j
		for k < len(q) && (isIdentPart(q[k]) || q[k] == '.') {
			k++
		}
		return token{kind: tErr, pos: i, text: fmt.Sprintf("syntax error: malformed number %q", q[i:k])}, k
	}
	return token{kind: kind, pos: i, text: q[i:j]}, j
}

// lexQuoted reads a 'string' or a "quoted identifier"; a doubled quote inside stands for one.
func lexQuoted(q string, i int) (token, int) {
	quote := q[i]
	var b strings.Builder
	j := i + 1
	for {
		n := strings.IndexByte(q[j:], quote)
		if n < 0 {
			if quote == '\'' {
				return token{kind: tErr, pos: i, text: "syntax error: unterminated string"}, len(q)
			}
			return token{kind: tErr, pos: i, text: "syntax error: unterminated quoted identifier"}, len(q)
		}
		b.WriteString(q[j : j+n])
		j += n + 1
		if j < len(q) && q[j] == quote {
			b.WriteByte(quote)
			j++
			continue
		}
		break
	}
	if quote == '\'' {
		return token{kind: tStr, pos: i, text: q[i:j], val: b.String()}, j
	}
	if b.Len() == 0 {
		return token{kind: tErr, pos: i, text: "syntax error: empty quoted identifier"}, j
	}
	return token{kind: tQIdent, pos: i, text: q[i:j], val: b.String()}, j
}

func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isIdentStart(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) }

// reserved are the words that are never a bare column name, function name or alias: the clause
// and operator keywords, and the keywords of unsupported SQL, so that those fail at their own
// token with a clear message instead of being read as an alias. TIMESTAMP, DATE and INTERVAL are
// not reserved: they start a literal only when a string follows, and are names otherwise; hour,
// day and start are ordinary names. END is reserved, as in Trino, so the column is written "end".
var reserved = map[string]bool{
	"ALL": true, "AND": true, "AS": true, "ASC": true, "BETWEEN": true, "BY": true, "CASE": true,
	"CAST": true, "CROSS": true, "DESC": true, "DISTINCT": true, "ELSE": true, "END": true,
	"ESCAPE": true, "EXCEPT": true, "EXISTS": true, "FALSE": true, "FROM": true, "FULL": true,
	"GROUP": true, "HAVING": true, "IN": true, "INNER": true, "INTERSECT": true, "IS": true,
	"JOIN": true, "LEFT": true, "LIKE": true, "LIMIT": true, "NATURAL": true, "NOT": true,
	"NULL": true, "OFFSET": true, "ON": true, "OR": true, "ORDER": true, "OUTER": true,
	"OVER": true, "RIGHT": true, "SELECT": true, "THEN": true, "TRUE": true, "UNION": true,
	"USING": true, "WHEN": true, "WHERE": true, "WITH": true,
}

func isReserved(word string) bool { return reserved[strings.ToUpper(word)] }
