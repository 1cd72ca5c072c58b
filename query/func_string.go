package query

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/flowlens/flowlens/query/sql"
)

// The string functions.
func init() {
	register(&funcDef{name: "split_part", kind: scalarFunc, arity: 3,
		args: "s varchar, delimiter varchar literal, index bigint literal", result: "varchar",
		doc: "field index (from 1) of s split on delimiter; NULL when s has fewer fields", compile: compileSplitPart})
}

func compileSplitPart(cp *compiler, e *sql.Call) (node, error) {
	x, err := cp.arg(e, 0)
	if err != nil {
		return nil, err
	}
	if x.typ() != tStr {
		return nil, cp.errorf(e.Args[0], "split_part() takes a varchar, not a %s", x.typ())
	}
	d, err := cp.strArg(e, 1)
	if err != nil {
		return nil, err
	}
	idx, ok := e.Args[2].(*sql.IntLit)
	if !ok || idx.V < 1 {
		return nil, cp.errorf(e.Args[2], "split_part() takes a field index from 1")
	}
	return &splitPartNode{x: x, delim: d, index: int(idx.V)}, nil
}

// splitPartNode is split_part(x, delimiter, index): the index-th field (from 1), or null.
type splitPartNode struct {
	x     node
	delim string
	index int
	out   vec
}

func (n *splitPartNode) typ() typ { return tStr }

func (n *splitPartNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, tStr, c, sel)
	for k := range v.s {
		v.s[k] = ""
		if x.isNull(k) {
			continue
		}
		s := x.s[k]
		part, ok := "", false
		for i := 1; ; i++ {
			j := strings.Index(s, n.delim)
			if n.delim == "" {
				j = -1
			}
			if i == n.index {
				part, ok = s, true
				if j >= 0 {
					part = s[:j]
				}
				break
			}
			if j < 0 {
				break
			}
			s = s[j+len(n.delim):]
		}
		if ok {
			v.s[k] = part
		} else {
			v.nulls()[k] = true
		}
	}
	return v
}

func init() {
	register(
		&funcDef{name: "length", kind: scalarFunc, arity: 1, args: "s varchar", result: "bigint",
			doc: "the number of characters of s", compile: compileStrFn(strLength)},
		&funcDef{name: "substr", aliases: []string{"substring"}, kind: scalarFunc, arity: 2, maxArity: 3,
			args: "s varchar, start bigint [, length bigint]", result: "varchar",
			doc: "the characters of s from start (from 1; negative: from the end), length of them or all the rest", compile: compileStrFn(strSubstr)},
		&funcDef{name: "concat", kind: scalarFunc, arity: 1, maxArity: -1, args: "s varchar, …", result: "varchar",
			doc: "its arguments one after the other; NULL when any is NULL (also the operator ||)", compile: compileStrFn(strConcat)},
		&funcDef{name: "strpos", kind: scalarFunc, arity: 2, args: "s varchar, sub varchar", result: "bigint",
			doc: "the position (from 1) of the first sub in s, 0 when there is none", compile: compileStrFn(strStrpos)},
		&funcDef{name: "replace", kind: scalarFunc, arity: 2, maxArity: 3, args: "s varchar, from varchar [, to varchar]", result: "varchar",
			doc: "s with every from replaced by to (removed when to is absent)", compile: compileStrFn(strReplace)},
		&funcDef{name: "trim", kind: scalarFunc, arity: 1, args: "s varchar", result: "varchar",
			doc: "s without leading and trailing white space", compile: compileStrFn(strTrim(strings.TrimSpace))},
		&funcDef{name: "ltrim", kind: scalarFunc, arity: 1, args: "s varchar", result: "varchar",
			doc: "s without leading white space", compile: compileStrFn(strTrim(func(s string) string { return strings.TrimLeftFunc(s, unicode.IsSpace) }))},
		&funcDef{name: "rtrim", kind: scalarFunc, arity: 1, args: "s varchar", result: "varchar",
			doc: "s without trailing white space", compile: compileStrFn(strTrim(func(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) }))},
		&funcDef{name: "regexp_like", kind: scalarFunc, arity: 2, args: "s varchar, pattern varchar literal", result: "boolean",
			doc: "whether the regular expression (RE2 syntax) matches somewhere in s", compile: compileRegexp(false)},
		&funcDef{name: "regexp_extract", kind: scalarFunc, arity: 2, maxArity: 3, args: "s varchar, pattern varchar literal [, group bigint literal]", result: "varchar",
			doc: "the first match of pattern in s, or its group; NULL when it does not match", compile: compileRegexp(true)},
	)
}

// strArgs compiles the arguments of a string function: a varchar, or an address, which reads as its
// text (Athena holds addresses as varchar: regexp_like(srcaddr, '^10\.')).
func (cp *compiler) strArgs(e *sql.Call, kinds string) ([]node, error) {
	ns, err := cp.args(e, 0)
	if err != nil {
		return nil, err
	}
	for i, n := range ns {
		want := tStr
		if kinds[min(i, len(kinds)-1)] == 'i' {
			want = tInt
		}
		switch t := n.typ(); {
		case t == want || t == tNull:
		case want == tStr && t == tAddr:
			ns[i] = &castNode{x: n, to: tStr}
		default:
			return nil, cp.errorf(e.Args[i], "%s() takes a %s here, not a %s", e.Name, want, t)
		}
	}
	return ns, nil
}

// strFn is a string function's kernel and its types: kinds has a letter per argument (s: varchar,
// i: bigint; the last repeats), t is the result type. row computes one row's value into v at k from
// the arguments' vectors at k (none NULL there).
type strFn struct {
	kinds string
	t     typ
	row   func(v *vec, k int, xs []*vec)
}

var (
	strLength = strFn{"s", tInt, func(v *vec, k int, xs []*vec) { v.i[k] = int64(utf8.RuneCountInString(xs[0].s[k])) }}
	strSubstr = strFn{"sii", tStr, func(v *vec, k int, xs []*vec) {
		n := int64(-1)
		if len(xs) == 3 {
			n = xs[2].i[k]
		}
		v.s[k] = substr(xs[0].s[k], xs[1].i[k], n)
	}}
	strConcat = strFn{"s", tStr, func(v *vec, k int, xs []*vec) {
		// One allocation per row, of the result: strings.Join of the parts.
		size := 0
		for _, x := range xs {
			size += len(x.s[k])
		}
		var b strings.Builder
		b.Grow(size)
		for _, x := range xs {
			b.WriteString(x.s[k])
		}
		v.s[k] = b.String()
	}}
	strStrpos = strFn{"ss", tInt, func(v *vec, k int, xs []*vec) {
		s := xs[0].s[k]
		i := strings.Index(s, xs[1].s[k])
		if i >= 0 {
			i = utf8.RuneCountInString(s[:i]) + 1
		} else {
			i = 0
		}
		v.i[k] = int64(i)
	}}
	strReplace = strFn{"sss", tStr, func(v *vec, k int, xs []*vec) {
		to := ""
		if len(xs) == 3 {
			to = xs[2].s[k]
		}
		v.s[k] = strings.ReplaceAll(xs[0].s[k], xs[1].s[k], to)
	}}
)

func strTrim(f func(string) string) strFn {
	return strFn{"s", tStr, func(v *vec, k int, xs []*vec) { v.s[k] = f(xs[0].s[k]) }}
}

// substr is Trino's substr in characters: from start (1-based; negative counts from the end; 0 gives
// ""), n characters (n < 0: all the rest).
func substr(s string, start, n int64) string {
	chars := int64(utf8.RuneCountInString(s))
	if start == 0 || start > chars || -start > chars {
		return ""
	}
	if start < 0 {
		start = chars + start + 1
	}
	if n == 0 {
		return ""
	}
	// Byte offsets of characters start-1 and start-1+n.
	from, to, i := len(s), len(s), int64(0)
	for off := range s {
		if i == start-1 {
			from = off
		}
		if n > 0 && i == start-1+n {
			to = off
			break
		}
		i++
	}
	if n < 0 || to < from {
		to = len(s)
	}
	return s[from:to]
}

func compileStrFn(f strFn) func(cp *compiler, e *sql.Call) (node, error) {
	return func(cp *compiler, e *sql.Call) (node, error) {
		xs, err := cp.strArgs(e, f.kinds)
		if err != nil {
			return nil, err
		}
		return &strNode{f: f, xs: xs}, nil
	}
}

// strNode evaluates a string function: NULL where any argument is.
type strNode struct {
	f   strFn
	xs  []node
	vs  []*vec
	out vec
}

func (n *strNode) typ() typ { return n.f.t }

func (n *strNode) eval(c *evalCtx, sel []int32) *vec {
	n.vs = n.vs[:0]
	for _, x := range n.xs {
		n.vs = append(n.vs, x.eval(c, sel))
	}
	v := &n.out
	v.reset(n.f.t, len(sel))
	orNulls(v, n.vs...)
	for k := range sel {
		if v.isNull(k) {
			if n.f.t == tStr {
				v.s[k] = ""
			}
			continue
		}
		n.f.row(v, k, n.vs)
	}
	return v
}

func compileRegexp(extract bool) func(cp *compiler, e *sql.Call) (node, error) {
	return func(cp *compiler, e *sql.Call) (node, error) {
		x, err := cp.arg(e, 0)
		if err != nil {
			return nil, err
		}
		switch x.typ() {
		case tStr, tNull:
		case tAddr:
			x = &castNode{x: x, to: tStr}
		default:
			return nil, cp.errorf(e.Args[0], "%s() takes a varchar, not a %s", e.Name, x.typ())
		}
		pat, err := cp.strArg(e, 1)
		if err != nil {
			return nil, err
		}
		re, err := regexp.Compile(pat)
		if err != nil {
			return nil, cp.errorf(e.Args[1], "%s(): bad regular expression %q: %v", e.Name, pat, err)
		}
		n := &regexpNode{x: x, re: re, extract: extract}
		if len(e.Args) == 3 {
			g, ok := e.Args[2].(*sql.IntLit)
			if !ok || g.V < 0 || g.V > int64(re.NumSubexp()) {
				return nil, cp.errorf(e.Args[2], "%s() takes a group number from 0 to %d (the pattern's groups)", e.Name, re.NumSubexp())
			}
			n.group = int(g.V)
		}
		if extract {
			return n, nil
		}
		return dictWrap(x, n), nil
	}
}

// regexpNode is regexp_like(x, re) (a boolean) or regexp_extract(x, re, group) (a varchar, NULL
// without a match). The match is RE2's, linear in the input.
type regexpNode struct {
	x       node
	re      *regexp.Regexp
	extract bool
	group   int
	out     vec
}

func (n *regexpNode) typ() typ {
	if n.extract {
		return tStr
	}
	return tBool
}

func (n *regexpNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, n.typ(), c, sel)
	for k := range sel {
		if x.isNull(k) {
			if n.extract {
				v.s[k] = ""
			}
			continue
		}
		if !n.extract {
			v.i[k] = b2i(n.re.MatchString(x.s[k]))
			continue
		}
		m := n.re.FindStringSubmatchIndex(x.s[k])
		if m == nil || m[2*n.group] < 0 {
			v.nulls()[k] = true
			v.s[k] = ""
			continue
		}
		v.s[k] = x.s[k][m[2*n.group]:m[2*n.group+1]]
	}
	return v
}
