package query

import (
	"net/netip"

	"github.com/flowlens/flowlens/query/sql"
)

// The network functions.
func init() {
	register(&funcDef{name: "contains", kind: scalarFunc, arity: 2, args: "network varchar literal, addr ipaddress",
		result: "boolean", doc: "whether addr lies in the network, an IPv4 or IPv6 CIDR: contains('10.0.0.0/8', srcaddr)",
		compile: compileContains})
}

func compileContains(cp *compiler, e *sql.Call) (node, error) {
	s, err := cp.strArg(e, 0)
	if err != nil {
		return nil, err
	}
	p, perr := netip.ParsePrefix(s)
	if perr != nil {
		return nil, cp.errorf(e.Args[0], "%q is not a network (10.0.0.0/8)", s)
	}
	x, err := cp.arg(e, 1)
	if err != nil {
		return nil, err
	}
	if x.typ() != tAddr {
		return nil, cp.errorf(e.Args[1], "contains() takes an address column, not a %s", x.typ())
	}
	return &containsNode{p: p.Masked(), x: x}, nil
}

// containsNode is contains('10.0.0.0/8', addr): whether the address lies in the network.
type containsNode struct {
	p   netip.Prefix
	x   node
	out vec
}

func (n *containsNode) typ() typ { return tBool }

func (n *containsNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, tBool, c, sel)
	for k := range v.i {
		v.i[k] = b2i(n.p.Contains(x.a[k]))
	}
	return v
}
