package query

import (
	"strings"
)

// likeNode is x [NOT] LIKE pattern, with % and _ (no escape character).
type likeNode struct {
	x   node
	not bool
	m   likeMatcher
	out vec
}

func (n *likeNode) typ() typ { return tBool }

func (n *likeNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, tBool, c, sel)
	for k := range v.i {
		if x.isNull(k) {
			continue
		}
		var ok bool
		if x.t == tAddr {
			c.buf = x.a[k].AppendTo(c.buf[:0])
			ok = n.m.match(string(c.buf)) // the conversion does not allocate when only compared
		} else {
			ok = n.m.match(x.s[k])
		}
		v.i[k] = b2i(ok != n.not)
	}
	return v
}

// likeMatcher matches a LIKE pattern; the usual shapes (prefix%, %suffix, %infix%, exact) without
// backtracking.
type likeMatcher struct {
	kind    byte // '=' exact, 'p' prefix, 's' suffix, 'i' infix, 'g' general
	lit     string
	pattern string
}

func newLikeMatcher(p string) likeMatcher {
	inner := strings.Trim(p, "%")
	if !strings.ContainsAny(inner, "%_") {
		pre, suf := strings.HasPrefix(p, "%"), strings.HasSuffix(p, "%")
		switch {
		case !pre && !suf:
			return likeMatcher{kind: '=', lit: inner}
		case !pre && suf:
			return likeMatcher{kind: 'p', lit: inner}
		case pre && !suf:
			return likeMatcher{kind: 's', lit: inner}
		default:
			return likeMatcher{kind: 'i', lit: inner}
		}
	}
	return likeMatcher{kind: 'g', pattern: p}
}

func (m *likeMatcher) match(s string) bool {
	switch m.kind {
	case '=':
		return s == m.lit
	case 'p':
		return strings.HasPrefix(s, m.lit)
	case 's':
		return strings.HasSuffix(s, m.lit)
	case 'i':
		return strings.Contains(s, m.lit)
	}
	return likeGeneral(m.pattern, s)
}

// likeGeneral matches % (any run) and _ (one character) with the classic greedy-with-backtrack scan.
func likeGeneral(p, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		if pi < len(p) && p[pi] == '%' {
			star, mark = pi, si
			pi++
			continue
		}
		if pi < len(p) && (p[pi] == '_' || p[pi] == s[si]) {
			if p[pi] == '_' {
				_, w := decodeRune(s[si:])
				si += w
			} else {
				si++
			}
			pi++
			continue
		}
		if star >= 0 {
			pi = star + 1
			mark++
			si = mark
			continue
		}
		return false
	}
	for pi < len(p) && p[pi] == '%' {
		pi++
	}
	return pi == len(p)
}

func decodeRune(s string) (rune, int) {
	for i, r := range s {
		if i > 0 {
			return r, i
		}
	}
	return 0, len(s)
}
