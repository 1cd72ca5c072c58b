package query

import (
	"time"

	"github.com/flowlens/flowlens/aggregate"
)

// timeNode derives a value from a time: a truncation (a time) or a part (a number), in the query's
// time zone.
type timeNode struct {
	x    node
	unit string // date_trunc units, or hour, minute, day, day_of_week, day_of_year, month, year
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
		t := time.Unix(s, 0).In(c.loc)
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

var timeParts = map[string]bool{"hour": true, "minute": true, "second": true, "day": true, "day_of_month": true,
	"day_of_week": true, "dow": true, "day_of_year": true, "doy": true, "month": true, "quarter": true,
	"year": true, "week": true, "week_of_year": true}
