package query

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/flowlens/flowlens/query/sql"
)

// The date and time functions beyond the parts and date_trunc (func_time.go): the query's start time,
// date arithmetic, formatting and parsing, and zones. A timestamp is Unix seconds shown in a zone:
// the query's (--tz), or the one at_timezone gives it (vec.loc), which the functions over it then
// use. Units of a day and more count on the wall clock of that zone, units below a day in elapsed
// seconds, as Trino does for a timestamp with a time zone: date_add('day', 1, ts) across the night
// clocks go forward keeps the time of day, date_add('hour', 24, ts) does not.
func init() {
	register(
		&funcDef{name: "now", aliases: []string{"current_timestamp", "localtimestamp"}, kind: scalarFunc, arity: 0, args: "", result: "timestamp",
			doc: "the time the query started, the same in every row", compile: compileNow(false)},
		&funcDef{name: "current_date", kind: scalarFunc, arity: 0, args: "", result: "timestamp",
			doc: "midnight of the day the query started, in the query's zone (a timestamp: flowlens has no date type)", compile: compileNow(true)},
		&funcDef{name: "date_add", kind: scalarFunc, arity: 3, args: "unit varchar literal, n bigint, ts timestamp", result: "timestamp",
			doc: "ts plus n units: second, minute, hour, day, week, month, quarter or year (a month from the 31st ends on the month's last day)", compile: compileDateAdd},
		&funcDef{name: "date_diff", kind: scalarFunc, arity: 3, args: "unit varchar literal, ts1 timestamp, ts2 timestamp", result: "bigint",
			doc: "the whole units from ts1 to ts2 (negative when ts2 is earlier): second, minute, hour, day, week, month, quarter or year", compile: compileDateDiff},
		&funcDef{name: "date_format", kind: scalarFunc, arity: 2, args: "ts timestamp, format varchar literal", result: "varchar",
			doc: "ts as text in MySQL's format: %Y-%m-%d %H:%i:%s", compile: compileFormat(false)},
		&funcDef{name: "format_datetime", kind: scalarFunc, arity: 2, args: "ts timestamp, format varchar literal", result: "varchar",
			doc: "ts as text in Joda's format: yyyy-MM-dd HH:mm:ss", compile: compileFormat(true)},
		&funcDef{name: "to_iso8601", kind: scalarFunc, arity: 1, args: "ts timestamp", result: "varchar",
			doc: "ts in ISO 8601 with its zone's offset: 2026-11-01T06:00:00.000Z", compile: compileToISO},
		&funcDef{name: "from_iso8601_timestamp", kind: scalarFunc, arity: 1, args: "s varchar", result: "timestamp",
			doc: "the time an ISO 8601 text states (in the query's zone when it states none); NULL when s is not one", compile: compileFromISO},
		&funcDef{name: "at_timezone", kind: scalarFunc, arity: 2, args: "ts timestamp, zone varchar literal", result: "timestamp",
			doc: "the same instant shown, and taken apart by hour(), date_format() …, in zone: 'America/New_York', 'UTC', '+05:30'", compile: compileAtTimezone},
	)
}

// zoneOf is the zone of a timestamp vector.
func zoneOf(c *evalCtx, x *vec) *time.Location {
	if x.loc != nil {
		return x.loc
	}
	return c.loc
}

func compileNow(date bool) func(cp *compiler, e *sql.Call) (node, error) {
	return func(cp *compiler, e *sql.Call) (node, error) {
		t := cp.now.In(cp.loc)
		if date {
			y, m, d := t.Date()
			t = time.Date(y, m, d, 0, 0, 0, 0, cp.loc)
		}
		return &litNode{v: scalar{t: tTime, i: t.Unix()}}, nil
	}
}

// unitArg reads the unit of date_add and date_diff.
func (cp *compiler) unitArg(e *sql.Call) (string, error) {
	u, err := cp.strArg(e, 0)
	if err != nil {
		return "", err
	}
	u = strings.ToLower(u)
	if _, ok := unitSeconds[u]; !ok && u != "month" && u != "quarter" && u != "year" && u != "day" && u != "week" {
		return "", cp.errorf(e.Args[0], "%s() unit %q is not one of second, minute, hour, day, week, month, quarter, year", e.Name, u)
	}
	return u, nil
}

// unitSeconds are the units counted in elapsed seconds.
var unitSeconds = map[string]int64{"second": 1, "minute": 60, "hour": 3600}

// timeArg compiles argument i, which must be a timestamp.
func (cp *compiler) timeArg(e *sql.Call, i int) (node, error) {
	x, err := cp.arg(e, i)
	if err != nil {
		return nil, err
	}
	if x.typ() != tTime && x.typ() != tNull {
		return nil, cp.errorf(e.Args[i], "%s() takes a timestamp (from_unixtime(start)), not a %s", e.Name, x.typ())
	}
	return x, nil
}

func compileDateAdd(cp *compiler, e *sql.Call) (node, error) {
	unit, err := cp.unitArg(e)
	if err != nil {
		return nil, err
	}
	n, err := cp.arg(e, 1)
	if err != nil {
		return nil, err
	}
	if n.typ() != tInt && n.typ() != tNull {
		return nil, cp.errorf(e.Args[1], "date_add() adds a bigint number of units, not a %s", n.typ())
	}
	x, err := cp.timeArg(e, 2)
	if err != nil {
		return nil, err
	}
	return &dateAddNode{x: x, unit: unit, n: n}, nil
}

// dateAddNode is x plus (minus, with neg) n units: date_add, and a timestamp ± a year-month INTERVAL.
type dateAddNode struct {
	x, n node
	unit string
	neg  bool
	out  vec
}

func (n *dateAddNode) typ() typ { return tTime }

func (n *dateAddNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, tTime, c, sel)
	nv := n.n.eval(c, sel)
	orNulls(v, nv)
	v.loc = x.loc
	loc := zoneOf(c, x)
	for k := range sel {
		if v.isNull(k) {
			continue
		}
		d := nv.i[k]
		if n.neg {
			if d == math.MinInt64 {
				v.nulls()[k] = true
				continue
			}
			d = -d
		}
		r, ok := addUnits(x.i[k], n.unit, d, loc)
		if !ok {
			v.nulls()[k] = true
			continue
		}
		v.i[k] = r
	}
	return v
}

// maxUnits bounds what date_add adds: beyond it the year leaves what a timestamp prints (NULL).
const maxUnits = 1 << 40

// addUnits is s plus n units in loc; false beyond the timestamps flowlens prints.
func addUnits(s int64, unit string, n int64, loc *time.Location) (int64, bool) {
	if sec, ok := unitSeconds[unit]; ok {
		if n > maxUnits || n < -maxUnits {
			return 0, false
		}
		return s + n*sec, true
	}
	months := int64(0)
	days := int64(0)
	switch unit {
	case "day":
		days = n
	case "week":
		days = 7 * n
	case "month":
		months = n
	case "quarter":
		months = 3 * n
	default:
		months = 12 * n
	}
	if months > 12*100000 || months < -12*100000 || days > 366*100000 || days < -366*100000 {
		return 0, false
	}
	t := time.Unix(s, 0).In(loc)
	if days != 0 {
		return t.AddDate(0, 0, int(days)).Unix(), true
	}
	return addMonths(t, months).Unix(), true
}

// addMonths adds months on the wall clock, the day clamped to the end of a shorter month (January
// 31 plus a month is February 28 or 29), as Trino does.
func addMonths(t time.Time, months int64) time.Time {
	y, m, d := t.Date()
	total := int64(y)*12 + int64(m) - 1 + months
	ny, nm := total/12, total%12
	if nm < 0 {
		nm += 12
		ny--
	}
	last := time.Date(int(ny), time.Month(nm)+2, 0, 0, 0, 0, 0, time.UTC).Day()
	return time.Date(int(ny), time.Month(nm)+1, min(d, last), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

func compileDateDiff(cp *compiler, e *sql.Call) (node, error) {
	unit, err := cp.unitArg(e)
	if err != nil {
		return nil, err
	}
	a, err := cp.timeArg(e, 1)
	if err != nil {
		return nil, err
	}
	b, err := cp.timeArg(e, 2)
	if err != nil {
		return nil, err
	}
	return &dateDiffNode{a: a, b: b, unit: unit}, nil
}

// dateDiffNode is date_diff(unit, a, b): units below a day between the instants, a day and more
// between the wall-clock times in a's zone.
type dateDiffNode struct {
	a, b node
	unit string
	out  vec
}

func (n *dateDiffNode) typ() typ { return tInt }

func (n *dateDiffNode) eval(c *evalCtx, sel []int32) *vec {
	a, v := unary(n.a, &n.out, tInt, c, sel)
	b := n.b.eval(c, sel)
	orNulls(v, b)
	loc := zoneOf(c, a)
	for k := range sel {
		if v.isNull(k) {
			continue
		}
		v.i[k] = dateDiff(n.unit, a.i[k], b.i[k], loc)
	}
	return v
}

func dateDiff(unit string, a, b int64, loc *time.Location) int64 {
	if sec, ok := unitSeconds[unit]; ok {
		return (b - a) / sec
	}
	ta, tb := time.Unix(a, 0).In(loc), time.Unix(b, 0).In(loc)
	// The wall-clock times, as if in UTC.
	la := time.Date(ta.Year(), ta.Month(), ta.Day(), ta.Hour(), ta.Minute(), ta.Second(), 0, time.UTC)
	lb := time.Date(tb.Year(), tb.Month(), tb.Day(), tb.Hour(), tb.Minute(), tb.Second(), 0, time.UTC)
	switch unit {
	case "day":
		return (lb.Unix() - la.Unix()) / 86400
	case "week":
		return (lb.Unix() - la.Unix()) / (7 * 86400)
	}
	m := int64(lb.Year()-la.Year())*12 + int64(lb.Month()) - int64(la.Month())
	if m > 0 && addMonths(la, m).After(lb) {
		m--
	} else if m < 0 && addMonths(la, m).Before(lb) {
		m++
	}
	switch unit {
	case "quarter":
		return m / 3
	case "year":
		return m / 12
	}
	return m
}

// fmtOp is one step of a compiled format: a literal, or a field of the time.
type fmtOp struct {
	lit   string
	field func(b []byte, t time.Time) []byte
}

func compileFormat(joda bool) func(cp *compiler, e *sql.Call) (node, error) {
	return func(cp *compiler, e *sql.Call) (node, error) {
		x, err := cp.timeArg(e, 0)
		if err != nil {
			return nil, err
		}
		f, err := cp.strArg(e, 1)
		if err != nil {
			return nil, err
		}
		var ops []fmtOp
		if joda {
			ops, err = jodaFormat(f)
		} else {
			ops, err = mysqlFormat(f)
		}
		if err != nil {
			return nil, cp.errorf(e.Args[1], "%s(): %v", e.Name, err)
		}
		return &formatNode{x: x, ops: ops}, nil
	}
}

// formatNode writes each time by its format's steps into one buffer; the only allocation of a row
// is its result.
type formatNode struct {
	x   node
	ops []fmtOp
	buf []byte
	out vec
}

func (n *formatNode) typ() typ { return tStr }

func (n *formatNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, tStr, c, sel)
	loc := zoneOf(c, x)
	for k := range sel {
		v.s[k] = ""
		if v.isNull(k) {
			continue
		}
		t := time.Unix(x.i[k], 0).In(loc)
		b := n.buf[:0]
		for _, op := range n.ops {
			if op.field == nil {
				b = append(b, op.lit...)
			} else {
				b = op.field(b, t)
			}
		}
		n.buf = b
		v.s[k] = string(b)
	}
	return v
}

func pad(b []byte, v, width int) []byte {
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

func layoutField(layout string) func(b []byte, t time.Time) []byte {
	return func(b []byte, t time.Time) []byte { return t.AppendFormat(b, layout) }
}

func numField(width int, f func(t time.Time) int) func(b []byte, t time.Time) []byte {
	return func(b []byte, t time.Time) []byte { return pad(b, f(t), width) }
}

func hour12(t time.Time) int {
	if h := t.Hour() % 12; h != 0 {
		return h
	}
	return 12
}

func isoYear(t time.Time) int { y, _ := t.ISOWeek(); return y }
func isoWeek(t time.Time) int { _, w := t.ISOWeek(); return w }

// mysqlFields are the specifiers of date_format, as MySQL (and Trino) define them.
var mysqlFields = map[byte]func(b []byte, t time.Time) []byte{
	'a': layoutField("Mon"),
	'b': layoutField("Jan"),
	'c': numField(1, func(t time.Time) int { return int(t.Month()) }),
	'd': numField(2, func(t time.Time) int { return t.Day() }),
	'e': numField(1, func(t time.Time) int { return t.Day() }),
	'f': func(b []byte, t time.Time) []byte { return pad(b, t.Nanosecond()/1000, 6) },
	'H': numField(2, func(t time.Time) int { return t.Hour() }),
	'h': numField(2, hour12),
	'I': numField(2, hour12),
	'i': numField(2, func(t time.Time) int { return t.Minute() }),
	'j': numField(3, func(t time.Time) int { return t.YearDay() }),
	'k': numField(1, func(t time.Time) int { return t.Hour() }),
	'l': numField(1, hour12),
	'M': layoutField("January"),
	'm': numField(2, func(t time.Time) int { return int(t.Month()) }),
	'p': layoutField("PM"),
	'r': layoutField("03:04:05 PM"),
	'S': numField(2, func(t time.Time) int { return t.Second() }),
	's': numField(2, func(t time.Time) int { return t.Second() }),
	'T': layoutField("15:04:05"),
	'v': numField(2, isoWeek),
	'W': layoutField("Monday"),
	'w': numField(1, func(t time.Time) int { return int(t.Weekday()) }),
	'x': numField(4, isoYear),
	'Y': numField(4, func(t time.Time) int { return t.Year() }),
	'y': numField(2, func(t time.Time) int { return t.Year() % 100 }),
}

func mysqlFormat(f string) ([]fmtOp, error) {
	var ops []fmtOp
	lit := func(s string) {
		if n := len(ops); n > 0 && ops[n-1].field == nil {
			ops[n-1].lit += s
		} else {
			ops = append(ops, fmtOp{lit: s})
		}
	}
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			lit(f[i : i+1])
			continue
		}
		i++
		if f[i] == '%' {
			lit("%")
			continue
		}
		fn, ok := mysqlFields[f[i]]
		if !ok {
			return nil, fmt.Errorf("format specifier %%%c is not supported (%%Y %%m %%d %%H %%i %%s %%f %%a %%b %%W %%M %%j %%p %%T …)", f[i])
		}
		ops = append(ops, fmtOp{field: fn})
	}
	return ops, nil
}

// jodaFormat compiles a Joda pattern: letters repeated for width, 'quoted' text, anything else as it
// is.
func jodaFormat(f string) ([]fmtOp, error) {
	var ops []fmtOp
	lit := func(s string) {
		if n := len(ops); n > 0 && ops[n-1].field == nil {
			ops[n-1].lit += s
		} else {
			ops = append(ops, fmtOp{lit: s})
		}
	}
	for i := 0; i < len(f); {
		c := f[i]
		if c == '\'' {
			j := strings.IndexByte(f[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated quote in pattern %q", f)
			}
			if j == 0 {
				lit("'")
			} else {
				lit(f[i+1 : i+1+j])
			}
			i += j + 2
			continue
		}
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			lit(f[i : i+1])
			i++
			continue
		}
		n := 1
		for i+n < len(f) && f[i+n] == c {
			n++
		}
		i += n
		fn, err := jodaField(c, n)
		if err != nil {
			return nil, err
		}
		ops = append(ops, fmtOp{field: fn})
	}
	return ops, nil
}

func jodaField(c byte, n int) (func(b []byte, t time.Time) []byte, error) {
	switch c {
	case 'y', 'Y', 'u':
		if n == 2 {
			return numField(2, func(t time.Time) int { return t.Year() % 100 }), nil
		}
		return numField(n, func(t time.Time) int { return t.Year() }), nil
	case 'x':
		return numField(n, isoYear), nil
	case 'w':
		return numField(n, isoWeek), nil
	case 'M':
		switch {
		case n >= 4:
			return layoutField("January"), nil
		case n == 3:
			return layoutField("Jan"), nil
		}
		return numField(n, func(t time.Time) int { return int(t.Month()) }), nil
	case 'd':
		return numField(n, func(t time.Time) int { return t.Day() }), nil
	case 'D':
		return numField(n, func(t time.Time) int { return t.YearDay() }), nil
	case 'e':
		return numField(n, func(t time.Time) int { return (int(t.Weekday())+6)%7 + 1 }), nil
	case 'E':
		if n >= 4 {
			return layoutField("Monday"), nil
		}
		return layoutField("Mon"), nil
	case 'a':
		return layoutField("PM"), nil
	case 'H':
		return numField(n, func(t time.Time) int { return t.Hour() }), nil
	case 'k':
		return numField(n, func(t time.Time) int { return (t.Hour()+23)%24 + 1 }), nil
	case 'h':
		return numField(n, hour12), nil
	case 'K':
		return numField(n, func(t time.Time) int { return t.Hour() % 12 }), nil
	case 'm':
		return numField(n, func(t time.Time) int { return t.Minute() }), nil
	case 's':
		return numField(n, func(t time.Time) int { return t.Second() }), nil
	case 'S':
		return func(b []byte, t time.Time) []byte {
			frac := pad(nil, t.Nanosecond(), 9)
			for i := range n {
				if i < len(frac) {
					b = append(b, frac[i])
				} else {
					b = append(b, '0')
				}
			}
			return b
		}, nil
	case 'Z':
		switch n {
		case 1:
			return layoutField("-0700"), nil
		case 2:
			return layoutField("-07:00"), nil
		}
		return func(b []byte, t time.Time) []byte { return append(b, t.Location().String()...) }, nil
	case 'z':
		return layoutField("MST"), nil
	}
	return nil, fmt.Errorf("pattern letter %q is not supported (y M d H h m s S E a Z z D e w x k K)", c)
}

func compileToISO(cp *compiler, e *sql.Call) (node, error) {
	x, err := cp.timeArg(e, 0)
	if err != nil {
		return nil, err
	}
	return &formatNode{x: x, ops: []fmtOp{{field: layoutField("2006-01-02T15:04:05.000Z07:00")}}}, nil
}

func compileFromISO(cp *compiler, e *sql.Call) (node, error) {
	x, err := cp.arg(e, 0)
	if err != nil {
		return nil, err
	}
	if x.typ() != tStr && x.typ() != tNull {
		return nil, cp.errorf(e.Args[0], "from_iso8601_timestamp() takes a varchar, not a %s", x.typ())
	}
	return &fromISONode{x: x}, nil
}

// fromISONode parses ISO 8601 times: a date, a date and a time (T separated, to the minute, second
// or a fraction), with an offset (Z, +hh:mm, +hhmm, +hh) or without one (the query's zone).
type fromISONode struct {
	x   node
	out vec
}

func (n *fromISONode) typ() typ { return tTime }

var isoLayouts = []string{"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05Z07", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02", "2006-01", "2006"}

func (n *fromISONode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, tTime, c, sel)
	for k := range sel {
		if v.isNull(k) {
			continue
		}
		s := strings.TrimSpace(x.s[k])
		ok := false
		for _, l := range isoLayouts {
			// Parse accepts a fraction after the seconds though the layout has none.
			if t, err := time.ParseInLocation(l, s, c.loc); err == nil {
				v.i[k], ok = t.Unix(), true
				break
			}
		}
		if !ok {
			v.nulls()[k] = true
		}
	}
	return v
}

func compileAtTimezone(cp *compiler, e *sql.Call) (node, error) {
	x, err := cp.timeArg(e, 0)
	if err != nil {
		return nil, err
	}
	z, err := cp.strArg(e, 1)
	if err != nil {
		return nil, err
	}
	loc, err := loadZone(z)
	if err != nil {
		return nil, cp.errorf(e.Args[1], "at_timezone(): unknown time zone %q (an IANA name such as 'America/New_York', 'UTC' or an offset '+05:30')", z)
	}
	return &zoneNode{x: x, loc: loc}, nil
}

// loadZone reads a zone name or a fixed offset: +05:30, -08, +0100.
func loadZone(z string) (*time.Location, error) {
	if len(z) >= 3 && (z[0] == '+' || z[0] == '-') {
		for _, l := range []string{"-07:00", "-0700", "-07"} {
			if t, err := time.Parse(l, z); err == nil {
				_, off := t.Zone()
				return time.FixedZone(z, off), nil
			}
		}
	}
	return time.LoadLocation(z)
}

// staticZone is the zone at_timezone gives the values of n, as the compiler knows it: nil for the
// query's zone. Output columns take it from here when their values were copied out of the vectors.
func staticZone(n node) *time.Location {
	switch n := n.(type) {
	case *zoneNode:
		return n.loc
	case *timeNode:
		if !n.part {
			return staticZone(n.x)
		}
	case *dateAddNode:
		return staticZone(n.x)
	case *relabel:
		if n.t == tTime {
			return staticZone(n.x)
		}
	case *condNode:
		for _, v := range append(n.vals, n.els) {
			if v != nil && v.typ() == tTime {
				if z := staticZone(v); z != nil {
					return z
				}
			}
		}
	}
	return nil
}

// zoneNode is at_timezone(x, zone): x's instants in another zone.
type zoneNode struct {
	x   node
	loc *time.Location
	out vec
}

func (n *zoneNode) typ() typ { return tTime }

func (n *zoneNode) eval(c *evalCtx, sel []int32) *vec {
	x := n.x.eval(c, sel)
	n.out = *x
	n.out.t, n.out.loc = tTime, n.loc
	return &n.out
}
