package query

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/flowlens/flowlens/query/sql"
)

// CAST is syntax; its entry is for the docs and the unknown-function error.
func init() {
	register(&funcDef{name: "CAST", kind: syntaxFunc, args: "x AS type", result: "type",
		doc: "x as varchar, bigint (integer, int), double, timestamp (of Unix seconds), or date (as date(x)); an address as varchar only"})
}

// cast compiles CAST(x AS type), which the parser reads as syntax, not as a call.
func (cp *compiler) cast(e *sql.Cast) (node, error) {
	x, err := cp.compile(e.X)
	if err != nil {
		return nil, err
	}
	var to typ
	switch e.Type {
	case "varchar":
		to = tStr
	case "bigint", "integer", "int":
		to = tInt
	case "double":
		to = tFloat
	case "date":
		return cp.toDate(e, x)
	case "timestamp":
		if x.typ() != tInt && x.typ() != tTime {
			return nil, cp.errorf(e, "CAST to timestamp takes Unix seconds")
		}
		to = tTime
	default:
		return nil, cp.errorf(e, "CAST to %s is not supported (varchar, bigint, double, timestamp, date)", e.Type)
	}
	if x.typ() == tAddr && to != tStr {
		return nil, cp.errorf(e, "an address casts to varchar only")
	}
	return &castNode{x: x, to: to}, nil
}

// castNode converts between types: to varchar, bigint, double, timestamp.
type castNode struct {
	x   node
	to  typ
	out vec
}

func (n *castNode) typ() typ { return n.to }

func (n *castNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, n.to, c, sel)
	for k := 0; k < len(sel); k++ {
		if x.isNull(k) {
			continue
		}
		switch n.to {
		case tStr:
			switch x.t {
			case tStr:
				v.s[k] = x.s[k]
			case tAddr:
				v.s[k] = x.a[k].String()
			case tFloat:
				v.s[k] = strconv.FormatFloat(x.f[k], 'g', -1, 64)
			case tTime:
				v.s[k] = formatTime(x.i[k], zoneOf(c, x))
			case tBool:
				v.s[k] = strconv.FormatBool(x.i[k] == 1)
			default:
				v.s[k] = strconv.FormatInt(x.i[k], 10)
			}
		case tFloat:
			switch x.t {
			case tFloat:
				v.f[k] = x.f[k]
			case tStr:
				f, err := strconv.ParseFloat(strings.TrimSpace(x.s[k]), 64)
				if err != nil || math.IsInf(f, 0) || math.IsNaN(f) { // JSON holds neither
					v.nulls()[k] = true
					f = 0
				}
				v.f[k] = f
			default:
				v.f[k] = float64(x.i[k])
			}
		default: // bigint, timestamp from seconds
			switch x.t {
			case tFloat:
				// Outside int64 (and NaN) the conversion would wrap: NULL instead.
				r := math.Round(x.f[k])
				if !(r >= -9223372036854775808 && r < 9223372036854775808) {
					v.nulls()[k] = true
					continue
				}
				v.i[k] = int64(r)
			case tStr:
				i, err := strconv.ParseInt(strings.TrimSpace(x.s[k]), 10, 64)
				if err != nil {
					v.nulls()[k] = true
				}
				v.i[k] = i
			default:
				v.i[k] = x.i[k]
			}
		}
	}
	return v
}

// formatTime is a timestamp as Trino prints it: 2024-05-01 13:00:00.000 in the query's zone.
func formatTime(s int64, loc *time.Location) string {
	return time.Unix(s, 0).In(loc).Format("2006-01-02 15:04:05.000")
}
