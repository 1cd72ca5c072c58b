package query

import (
	"strings"

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
