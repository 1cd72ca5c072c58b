package aggregate

import (
	"testing"
	"time"
)

// TestTruncate checks every key truncation against the time package, hour by hour over two years in
// zones with and without daylight saving time (and a half-hour offset). The start of an hour is the
// instant its minutes and seconds ago, which also holds in the repeated hour when clocks go back.
func TestTruncate(t *testing.T) {
	for _, name := range []string{"UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		z := newZoneCache(loc)
		for v := int64(1735689600 - 86400); v < 1735689600+2*365*86400; v += 3600 - 7 {
			tm := time.Unix(v, 0).In(loc)
			y, mo, d := tm.Date()
			day := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
			want := map[Trunc]int64{
				TruncNone:      v,
				TruncMinute:    v - v%60,
				TruncHour:      v - int64(tm.Minute()*60+tm.Second()),
				TruncDay:       day,
				TruncHourOfDay: int64(tm.Hour()),
				TruncDayOfWeek: int64((int(tm.Weekday())+6)%7 + 1),
			}
			for tr, w := range want {
				if got := z.truncate(tr, v); got != w {
					t.Fatalf("%s: truncate(%d, %s) = %d, want %d", name, tr, tm, got, w)
				}
			}
		}
	}
}
