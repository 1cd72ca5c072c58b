package query

import (
	"strings"

	"github.com/flowlens/flowlens/query/sql"
)

// lower and upper, as Presto has them: Athena queries compare strings case-sensitively, so users
// write lower(action) = 'reject' or upper(flow_direction) = 'EGRESS'.
func init() {
	register(&funcDef{name: "lower", kind: scalarFunc, arity: 1, args: "s varchar", result: "varchar",
		doc: "s in lower case", compile: compileCase(strings.ToLower)})
	register(&funcDef{name: "upper", kind: scalarFunc, arity: 1, args: "s varchar", result: "varchar",
		doc: "s in upper case", compile: compileCase(strings.ToUpper)})
}

func compileCase(to func(string) string) func(cp *compiler, e *sql.Call) (node, error) {
	return func(cp *compiler, e *sql.Call) (node, error) {
		x, err := cp.arg(e, 0)
		if err != nil {
			return nil, err
		}
		if x.typ() != tStr {
			return nil, cp.errorf(e.Args[0], "%s() takes a varchar, not a %s", e.Name, x.typ())
		}
		return &caseNode{x: x, to: to}, nil
	}
}

// caseNode is lower(x) or upper(x). strings.ToLower and ToUpper return their argument unchanged,
// without allocating, when there is nothing to change: the common case of flow-log values, which
// are lower-case ids or upper-case keywords already.
type caseNode struct {
	x   node
	to  func(string) string
	out vec
}

func (n *caseNode) typ() typ { return tStr }

func (n *caseNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, tStr, c, sel)
	for k := range v.s {
		v.s[k] = ""
		if !x.isNull(k) {
			v.s[k] = n.to(x.s[k])
		}
	}
	return v
}
