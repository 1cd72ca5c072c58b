package query

// logicNode is AND or OR of its operands, with SQL's three-valued logic.
type logicNode struct {
	and  bool
	kids []node
	out  vec
}

func (n *logicNode) typ() typ { return tBool }

func (n *logicNode) eval(c *evalCtx, sel []int32) *vec {
	v := &n.out
	v.reset(tBool, len(sel))
	// Start from the identity (TRUE for AND, FALSE for OR, not null) and fold each operand in.
	id := b2i(n.and)
	for k := range v.i {
		v.i[k] = id
	}
	var nl []bool
	for _, kid := range n.kids {
		x := kid.eval(c, sel)
		for k := range v.i {
			xn := x.isNull(k)
			xv := x.i[k]
			cur := v.i[k]
			curNull := nl != nil && nl[k]
			if n.and {
				switch {
				case !xn && xv == 0 || !curNull && cur == 0: // FALSE wins
					v.i[k] = 0
					if curNull {
						nl[k] = false
					}
				case xn:
					if nl == nil {
						nl = v.nulls()
					}
					nl[k] = true
				}
			} else {
				switch {
				case !xn && xv == 1 || !curNull && cur == 1: // TRUE wins
					v.i[k] = 1
					if curNull {
						nl[k] = false
					}
				case xn:
					if nl == nil {
						nl = v.nulls()
					}
					nl[k] = true
				}
			}
		}
	}
	return v
}

// notNode is NOT x.
type notNode struct {
	x   node
	out vec
}

func (n *notNode) typ() typ { return tBool }

func (n *notNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, tBool, c, sel)
	for k := range v.i {
		v.i[k] = 1 - x.i[k]
	}
	return v
}

// isNullNode is x IS [NOT] NULL.
type isNullNode struct {
	x   node
	not bool
	out vec
}

func (n *isNullNode) typ() typ { return tBool }

func (n *isNullNode) eval(c *evalCtx, sel []int32) *vec {
	x := n.x.eval(c, sel)
	v := &n.out
	v.reset(tBool, len(sel))
	for k := range v.i {
		v.i[k] = b2i(x.isNull(k) != n.not)
	}
	return v
}
