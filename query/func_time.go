package query

import (
	"strings"
	"time"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/query/sql"
)

// The time functions: from_unixtime and to_unixtime relabel Unix seconds as a timestamp and back,
// date_trunc truncates a timestamp, and the parts (hour, day_of_week …) read a number from it, in
// the query's time zone.
func init() {
	register(
		&funcDef{name: "from_unixtime", kind: scalarFunc, arity: 1, args: "seconds bigint", result: "timestamp",
			doc: "the timestamp of Unix seconds: from_unixtime(start), from_unixtime(\"end\")", compile: compileFromUnixtime},
		&funcDef{name: "to_unixtime", kind: scalarFunc, arity: 1, args: "ts timestamp", result: "bigint",
			doc: "the Unix seconds of a timestamp", compile: compileToUnixtime},
		&funcDef{name: "date_trunc", kind: scalarFunc, arity: 2, args: "unit varchar literal, ts timestamp", result: "timestamp",
			doc:     "ts truncated to the unit: second, minute, hour, day, week (to Monday), month, quarter or year",
			compile: compileDateTrunc},
	)
	part := func(name string, aliases []string, doc string) *funcDef {
		return &funcDef{name: name, aliases: aliases, kind: scalarFunc, arity: 1, args: "ts timestamp", result: "bigint",
			doc: doc, compile: compileTimePart}
	}
	register(
		part("second", nil, "the second of the minute, 0-59"),
		part("minute", nil, "the minute of the hour, 0-59"),
		part("hour", nil, "the hour of the day, 0-23"),
		part("day", []string{"day_of_month"}, "the day of the month, 1-31"),
		part("day_of_week", []string{"dow"}, "the ISO day of the week: Monday 1 … Sunday 7"),
		part("day_of_year", []string{"doy"}, "the day of the year, 1-366"),
		part("week", []string{"week_of_year"}, "the ISO week of the year, 1-53"),
		part("month", nil, "the month, 1-12"),
		part("quarter", nil, "the quarter of the year, 1-4"),
		part("year", nil, "the year"),
	)
}

func compileFromUnixtime(cp *compiler, e *sql.Call) (node, error) {
	x, err := cp.arg(e, 0)
	if err != nil {
		return nil, err
	}
	if x.typ() != tInt {
		return nil, cp.errorf(e.Args[0], "from_unixtime() takes Unix seconds, not a %s", x.typ())
	}
	return &relabel{x: x, t: tTime}, nil
}

func compileToUnixtime(cp *compiler, e *sql.Call) (node, error) {
	x, err := cp.arg(e, 0)
	if err != nil {
		return nil, err
	}
	if x.typ() != tTime {
		return nil, cp.errorf(e.Args[0], "to_unixtime() takes a timestamp")
	}
	return &relabel{x: x, t: tInt}, nil
}

func compileDateTrunc(cp *compiler, e *sql.Call) (node, error) {
	unit, err := cp.strArg(e, 0)
	if err != nil {
		return nil, err
	}
	unit = strings.ToLower(unit)
	switch unit {
	case "second", "minute", "hour", "day", "week", "month", "quarter", "year":
	default:
		return nil, cp.errorf(e.Args[0], "date_trunc unit %q is not one of second, minute, hour, day, week, month, quarter, year", unit)
	}
	x, err := cp.arg(e, 1)
	if err != nil {
		return nil, err
	}
	if x.typ() != tTime {
		return nil, cp.errorf(e.Args[1], "date_trunc() takes a timestamp (from_unixtime(start)), not a %s", x.typ())
	}
	return &timeNode{x: x, unit: unit}, nil
}

// compileTimePart compiles hour(ts) and the other parts; the node's unit is the name as written
// (timePart and engineTrunc know the aliases).
func compileTimePart(cp *compiler, e *sql.Call) (node, error) {
	x, err := cp.arg(e, 0)
	if err != nil {
		return nil, err
	}
	if x.typ() != tTime {
		return nil, cp.errorf(e.Args[0], "%s() takes a timestamp (from_unixtime(start)), not a %s", e.Name, x.typ())
	}
	return &timeNode{x: x, unit: e.Name, part: true}, nil
}

// timeNode derives a value from a time: a truncation (a time) or a part (a number), in the query's
// time zone.
type timeNode struct {
	x    node
	unit string // a date_trunc unit, or the name of a part function as written (aliases included)
	part bool
	out  vec
}

func (n *timeNode) typ() typ {
	if n.part {
		return tInt
	}
	return tTime
}

func (n *timeNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, n.typ(), c, sel)
	tr, engine := engineTrunc(n.unit, n.part)
	loc := c.loc
	if x.loc != nil { // at_timezone: that zone's parts, not the engine's keys
		loc, engine = x.loc, false
		if !n.part {
			v.loc = x.loc
		}
	}
	for k := range v.i {
		if x.isNull(k) {
			continue
		}
		s := x.i[k]
		if engine {
			// The engine's own keys: GROUP BY date_trunc(…) and this expression agree, even in the
			// hour that repeats when clocks go back.
			v.i[k] = c.zone.Truncate(tr, s)
			if tr == aggregate.TruncDay {
				v.i[k] = time.Date(1970, 1, 1+int(v.i[k]), 0, 0, 0, 0, c.loc).Unix()
			}
			continue
		}
		t := time.Unix(s, 0).In(loc)
		if n.part {
			v.i[k] = timePart(t, n.unit)
		} else {
			v.i[k] = timeTrunc(t, n.unit).Unix()
		}
	}
	return v
}

// engineTrunc maps a date_trunc unit or a part function onto the engine's truncations.
func engineTrunc(unit string, part bool) (aggregate.Trunc, bool) {
	if part {
		switch unit {
		case "hour":
			return aggregate.TruncHourOfDay, true
		case "day_of_week", "dow":
			return aggregate.TruncDayOfWeek, true
		}
		return 0, false
	}
	switch unit {
	case "second":
		return aggregate.TruncNone, true
	case "minute":
		return aggregate.TruncMinute, true
	case "hour":
		return aggregate.TruncHour, true
	case "day":
		return aggregate.TruncDay, true
	}
	return 0, false
}

func timePart(t time.Time, unit string) int64 {
	switch unit {
	case "hour":
		return int64(t.Hour())
	case "minute":
		return int64(t.Minute())
	case "second":
		return int64(t.Second())
	case "day", "day_of_month":
		return int64(t.Day())
	case "day_of_week", "dow":
		return int64((int(t.Weekday())+6)%7 + 1) // ISO: Monday 1 … Sunday 7
	case "day_of_year", "doy":
		return int64(t.YearDay())
	case "month":
		return int64(t.Month())
	case "quarter":
		return int64((int(t.Month())-1)/3 + 1)
	case "week", "week_of_year":
		_, w := t.ISOWeek()
		return int64(w)
	}
	return int64(t.Year())
}

func timeTrunc(t time.Time, unit string) time.Time {
	y, mo, d := t.Date()
	switch unit {
	case "second":
		return t.Truncate(time.Second)
	case "minute":
		return time.Date(y, mo, d, t.Hour(), t.Minute(), 0, 0, t.Location())
	case "hour":
		return time.Date(y, mo, d, t.Hour(), 0, 0, 0, t.Location())
	case "day":
		return time.Date(y, mo, d, 0, 0, 0, 0, t.Location())
	case "week":
		wd := (int(t.Weekday()) + 6) % 7
		return time.Date(y, mo, d-wd, 0, 0, 0, 0, t.Location())
	case "month":
		return time.Date(y, mo, 1, 0, 0, 0, 0, t.Location())
	case "quarter":
		return time.Date(y, mo-(mo-1)%3, 1, 0, 0, 0, 0, t.Location())
	}
	return time.Date(y, 1, 1, 0, 0, 0, 0, t.Location())
}

// date(x) and CAST(x AS date): flowlens has no date type, so a date is the timestamp of its
// midnight, as DATE 'YYYY-MM-DD' is (Athena's tables over the classic key layout partition by a date:
// WHERE date = DATE('2026-11-01')).
func init() {
	register(&funcDef{name: "date", kind: scalarFunc, arity: 1, args: "x varchar | timestamp", result: "timestamp",
		doc: "the day of x as the timestamp of its midnight: of text 'YYYY-MM-DD' (UTC, as DATE 'YYYY-MM-DD'; NULL when it is not a date), or of a timestamp (in its zone; as CAST(x AS date))",
		compile: func(cp *compiler, e *sql.Call) (node, error) {
			x, err := cp.arg(e, 0)
			if err != nil {
				return nil, err
			}
			return cp.toDate(e.Args[0], x)
		}})
}

func (cp *compiler) toDate(at sql.Expr, x node) (node, error) {
	switch x.typ() {
	case tTime:
		return &timeNode{x: x, unit: "day"}, nil
	case tStr, tNull:
		return &dateNode{x: x}, nil
	}
	return nil, cp.errorf(at, "a date is made of a varchar 'YYYY-MM-DD' or a timestamp, not a %s", x.typ())
}

// dateNode reads text YYYY-MM-DD (a time of day after it is ignored) as the timestamp of its
// midnight, UTC.
type dateNode struct {
	x   node
	out vec
}

func (n *dateNode) typ() typ { return tTime }

func (n *dateNode) eval(c *evalCtx, sel []int32) *vec {
	x, v := unary(n.x, &n.out, tTime, c, sel)
	for k := range sel {
		if v.isNull(k) {
			continue
		}
		s := strings.TrimSpace(x.s[k])
		if len(s) > 10 && (s[10] == ' ' || s[10] == 'T') {
			s = s[:10]
		}
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			v.nulls()[k] = true
			continue
		}
		v.i[k] = d.Unix()
	}
	return v
}
