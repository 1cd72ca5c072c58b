package flowlog_test

import (
	"strings"
	"testing"

	"github.com/flowlens/flowlens/flowlog"
)

// faultLine is a v2 record that decodes to faultRec.
const (
	faultLine = "2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 2 100 1600000000 1600000060 ACCEPT OK"
	faultRec  = `{"version":2,"account_id":"1","interface_id":"eni-1","srcaddr":"10.0.0.1","dstaddr":"10.0.0.2","srcport":1,"dstport":443,"protocol":6,"packets":2,"bytes":100,"start":1600000000,"end":1600000060,"action":"ACCEPT","log_status":"OK"}` + "\n"
)

// TestTimeUnits: start and end in milliseconds, microseconds and nanoseconds are told apart by
// magnitude, brought to seconds and counted each in its unit; a magnitude in no unit is a malformed
// field. (Before: microseconds and nanoseconds were divided by 1000 once, to the year 58,800.)
func TestTimeUnits(t *testing.T) {
	times := func(s, e string) string {
		return strings.Replace(faultLine, "1600000000 1600000060", s+" "+e, 1) + "\n"
	}
	in := times("1600000000123", "1600000060999") + // milliseconds
		times("1600000000123456", "1600000060999999") + // microseconds
		times("1600000000123456789", "1600000060999999999") + // nanoseconds
		times("1600000000", "1600000060999999") + // seconds and microseconds
		times("16000000001234", "1600000060") + // 14 digits: no unit
		times("1600000060", "16000000001234567") // 17 digits: no unit
	for _, w := range []int{1, 2} {
		got, st, err := decode(t, in, flowlog.Options{Workers: w, BlockSize: 64})
		if err != nil {
			t.Fatal(err)
		}
		if got != strings.Repeat(faultRec, 4) {
			t.Fatalf("workers %d: got\n%s", w, got)
		}
		if st.Records != 4 || st.Malformed != 2 || st.MillisTimes != 2 || st.MicrosTimes != 3 || st.NanosTimes != 2 {
			t.Fatalf("workers %d: stats %+v", w, st)
		}
		e0, e1 := st.FirstMalformed[0], st.FirstMalformed[1]
		if e0.Line != 5 || e0.Field != "start" || e0.Value != "16000000001234" || e1.Line != 6 || e1.Field != "end" ||
			!strings.Contains(e0.Error(), `cannot parse start "16000000001234" at t.log:5: a Unix time of 14 digits is in no unit`) {
			t.Fatalf("workers %d: malformed %v, %v", w, e0, e1)
		}
	}
}
