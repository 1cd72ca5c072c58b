package query

import (
	"net/netip"
)

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
