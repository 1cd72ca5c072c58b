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

// TestHeaderUnknownField: a header naming a field that does not exist is one malformed line that
// says so, and the data lines under it are malformed too, pointing at it, until the next good
// header. (Before: the header was a data line with the wrong field count, and the lines under it
// were read with the previous layout.)
func TestHeaderUnknownField(t *testing.T) {
	good := flowlog.DefaultLayout.String()
	bad := strings.Replace(good, "srcport", "foo", 1)
	in := good + "\n" + faultLine + "\n" + // lines 1-2
		bad + "\n" + faultLine + "\n\n" + faultLine + "\n" + // lines 3-6
		good + "\n" + faultLine + "\n" + // lines 7-8
		"version version\n1 2\n" // lines 9-10: a name twice
	for _, o := range []flowlog.Options{{Workers: 1}, {Workers: 3, BlockSize: 64}, {Fields: flowlog.DefaultLayout}} {
		got, st, err := decode(t, in, o)
		if err != nil {
			t.Fatal(err)
		}
		if got != faultRec+faultRec || st.Records != 2 || st.Headers != 2 || st.Blank != 1 || st.Malformed != 5 {
			t.Fatalf("%+v: got\n%s\nstats %+v", o, got, st)
		}
		want := []struct {
			line int64
			msg  string
		}{
			{3, `unknown field "foo" in the header at t.log:3: "version account-id`},
			{4, `not read: the header above it (t.log:3) is malformed (unknown field "foo" in the header) at t.log:4: "2 1 eni-1`},
			{6, `not read: the header above it (t.log:3) is malformed (unknown field "foo" in the header) at t.log:6: `},
			{9, `field "version" appears twice in the header at t.log:9: "version version"`},
			{10, `not read: the header above it (t.log:9) is malformed (field "version" appears twice in the header) at t.log:10: "1 2"`},
		}
		for i, w := range want {
			e := st.FirstMalformed[i]
			if e.Line != w.line || !strings.HasPrefix(e.Error(), w.msg) {
				t.Fatalf("%+v: malformed %d: %v, want line %d: %s", o, i, e, w.line, w.msg)
			}
		}
	}
	// In strict mode the header is the error.
	_, _, err := decode(t, bad+"\n"+faultLine+"\n", flowlog.Options{Strict: true})
	if err == nil || !strings.HasPrefix(err.Error(), `unknown field "foo" in the header at t.log:1`) {
		t.Fatalf("strict: %v", err)
	}
}
