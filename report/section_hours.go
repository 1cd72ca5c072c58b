package report

import (
	"fmt"
	"time"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/output"
)

// hoursSection is the hourly series (the hours that have records, in order), the busiest hours
// and, when the records span more than one day, the hour-of-day profile: for each hour of the day,
// the bytes in that hour summed over the days covered (first to last local date, days without
// records included) and divided by their number.
var hoursSection = section{
	name:  "hours",
	specs: func(o Options) []aggregate.Spec { return []aggregate.Spec{ifaceHourSpec(o)} },
	build: buildHours,
	csv: func(r *Report) []output.CSVTable {
		return []output.CSVTable{{Name: "hourly", Rows: r.Hourly}, {Name: "busiest_hours", Rows: r.BusiestHours}, {Name: "hour_of_day", Rows: r.HourOfDay}}
	},
	text: func(r *Report, t *textOut) {
		t.table("BUSIEST HOURS", "hour\tbytes\tpackets\tflows\t")
		for _, d := range r.BusiestHours {
			t.row("%s\t%s\t%s\t%s\t\n", d.Hour, si(d.Bytes), num(d.Packets), num(d.Flows))
		}
		if len(r.HourOfDay) > 0 {
			t.table(fmt.Sprintf("HOUR OF DAY (mean bytes over %d days)", r.HourOfDay[0].Days), "hour\tmean bytes\t")
			for _, d := range r.HourOfDay {
				t.row("%02d\t%s\t\n", d.Hour, si(int64(d.MeanBytes+0.5)))
			}
		}
	},
}

// HourDoc is one hour.
type HourDoc struct {
	Hour    string `json:"hour"`
	Bytes   int64  `json:"bytes"`
	Packets int64  `json:"packets"`
	Flows   int64  `json:"flows"`
}

// HourOfDayDoc is the mean traffic of one hour of the day over the days covered.
type HourOfDayDoc struct {
	Hour      int     `json:"hour"`
	MeanBytes float64 `json:"mean_bytes"`
	Days      int     `json:"days"` // days averaged over: first to last local date of the records
}

func buildHours(b *builder) error {
	r, loc := b.r, b.loc
	t := b.rollup(specIfaceHour, "hourly", flowlog.FStart)
	c := t.Col(flowlog.FStart)
	r.Hourly, r.BusiestHours, r.HourOfDay = []HourDoc{}, []HourDoc{}, []HourOfDayDoc{}
	var profile [24]int64
	var first, last time.Time
	for _, g := range t.Top(0) { // key order: hours ascending, null first
		k := t.Key(g, c)
		if k.Null {
			continue
		}
		tm := time.Unix(k.Int, 0).In(loc)
		if first.IsZero() {
			first = tm
		}
		last = tm
		bytes := t.Value(g, aggregate.Bytes)
		r.Hourly = append(r.Hourly, HourDoc{tm.Format(time.RFC3339), bytes, t.Value(g, aggregate.Packets), t.Value(g, aggregate.Flows)})
		profile[tm.Hour()] += bytes
	}
	for _, g := range t.Top(b.top, aggregate.Bytes) {
		k := t.Key(g, c)
		if k.Null {
			continue
		}
		r.BusiestHours = append(r.BusiestHours, HourDoc{time.Unix(k.Int, 0).In(loc).Format(time.RFC3339),
			t.Value(g, aggregate.Bytes), t.Value(g, aggregate.Packets), t.Value(g, aggregate.Flows)})
	}
	if first.IsZero() {
		return nil
	}
	days := daysBetween(first, last) + 1
	if days < 2 {
		return nil
	}
	for h, bytes := range profile {
		r.HourOfDay = append(r.HourOfDay, HourOfDayDoc{Hour: h, MeanBytes: float64(bytes) / float64(days), Days: days})
	}
	return nil
}

// daysBetween counts the local dates from a's to b's.
func daysBetween(a, b time.Time) int {
	da := time.Date(a.Year(), a.Month(), a.Day(), 12, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 12, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}
