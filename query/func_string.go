package query

import (
	"strings"
)

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
