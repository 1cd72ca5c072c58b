package flowlog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/output"
)

// decode runs the whole stream path over in (an object named t.log) and returns the JSON Lines of
// the records and the stats; see decodeNamed.
func decode(t testing.TB, in string, opts flowlog.Options) (string, *flowlog.Stats, error) {
	t.Helper()
	return decodeNamed(t, "t.log", []byte(in), opts)
}

// decodeNamed decodes in as the object name. It checks that no Arrow buffer leaks, that no batch
// exceeds opts.BatchRows, and that the accounting identity holds.
func decodeNamed(t testing.TB, name string, in []byte, opts flowlog.Options) (string, *flowlog.Stats, error) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	opts.Alloc = mem
	var out bytes.Buffer
	rw, _ := output.NewRowWriter(&out, output.JSONL)
	st, err := flowlog.DecodeStream(context.Background(), bytes.NewReader(in), name, opts, func(r arrow.RecordBatch) error {
		if opts.BatchRows > 0 && r.NumRows() > int64(opts.BatchRows) {
			t.Errorf("batch of %d rows, limit %d", r.NumRows(), opts.BatchRows)
		}
		return rw.Write(r)
	})
	rw.Flush()
	if !st.Balanced() {
		t.Fatalf("accounting does not balance: %+v", st)
	}
	return out.String(), st, err
}

func TestDecodeAWSExamples(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		got, _, err := decode(t, in, flowlog.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("decode(%q)\n got: %s\nwant: %s", in, got, want)
		}
	}
	f("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n",
		`{"version":2,"account_id":"123456789010","interface_id":"eni-1235b8ca123456789","srcaddr":"172.31.16.139","dstaddr":"172.31.16.21","srcport":20641,"dstport":22,"protocol":6,"packets":20,"bytes":4249,"start":1418530010,"end":1418530070,"action":"ACCEPT","log_status":"OK"}`+"\n")
	f("2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
		`{"version":2,"account_id":"123456789010","interface_id":"eni-1235b8ca123456789","srcaddr":null,"dstaddr":null,"srcport":null,"dstport":null,"protocol":null,"packets":null,"bytes":null,"start":1431280876,"end":1431280934,"action":null,"log_status":"NODATA"}`+"\n")
	f("2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK\n",
		`{"version":2,"account_id":"123456789010","interface_id":"eni-1235b8ca123456789","srcaddr":"2001:db8:1234:a100:8d6e:3477:df66:f105","dstaddr":"2001:db8:1234:a102:3304:8879:34cf:4071","srcport":34892,"dstport":22,"protocol":6,"packets":54,"bytes":8855,"start":1477913708,"end":1477913820,"action":"ACCEPT","log_status":"OK"}`+"\n")
	// The NAT gateway example: a header, then four records.
	f("instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr\n"+
		"- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5\n"+
		"- eni-1235b8ca123456789 10.0.0.220 203.0.113.5 10.0.0.220 203.0.113.5\n",
		`{"instance_id":null,"interface_id":"eni-1235b8ca123456789","srcaddr":"10.0.1.5","dstaddr":"10.0.0.220","pkt_srcaddr":"10.0.1.5","pkt_dstaddr":"203.0.113.5"}`+"\n"+
			`{"instance_id":null,"interface_id":"eni-1235b8ca123456789","srcaddr":"10.0.0.220","dstaddr":"203.0.113.5","pkt_srcaddr":"10.0.0.220","pkt_dstaddr":"203.0.113.5"}`+"\n")
	// Version 5 with service and path.
	f(flowlog.V5Layout.String()+"\n5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK\n",
		`{"version":5,"srcaddr":"10.0.0.71","dstaddr":"52.95.128.179","srcport":34210,"dstport":80,"protocol":6,"start":1616729292,"end":1616729349,"type":"IPv4","packets":7,"bytes":471,"account_id":"123456789012","vpc_id":"vpc-abcdefab012345678","subnet_id":"subnet-aaaaaaaa012345678","instance_id":"i-0c50d5961bcb2d47b","interface_id":"eni-1235b8ca123456789","region":"ap-southeast-2","az_id":"apse2-az3","sublocation_type":null,"sublocation_id":null,"action":"ACCEPT","tcp_flags":3,"pkt_srcaddr":"10.0.0.71","pkt_dstaddr":"52.95.128.179","pkt_src_aws_service":null,"pkt_dst_aws_service":"S3","traffic_path":8,"flow_direction":"egress","log_status":"OK"}`+"\n")
}

func TestDecodeTolerance(t *testing.T) {
	const rec = `{"version":2,"account_id":"1","interface_id":"eni-1","srcaddr":"10.0.0.1","dstaddr":"10.0.0.2","srcport":1,"dstport":443,"protocol":6,"packets":2,"bytes":100,"start":1600000000,"end":1600000060,"action":"ACCEPT","log_status":"OK"}` + "\n"
	const line = "2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 2 100 1600000000 1600000060 ACCEPT OK"
	f := func(name, in, want string, st flowlog.Stats) {
		t.Helper()
		got, gst, err := decode(t, in, flowlog.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got != want {
			t.Fatalf("%s:\n got: %s\nwant: %s", name, got, want)
		}
		if gst.Lines != st.Lines || gst.Records != st.Records || gst.Headers != st.Headers || gst.Blank != st.Blank ||
			gst.Malformed != st.Malformed || gst.MillisTimes != st.MillisTimes {
			t.Fatalf("%s: stats %+v, want %+v", name, *gst, st)
		}
	}
	f("runs of spaces", "2  1 eni-1   10.0.0.1 10.0.0.2 1 443 6 2 100 1600000000 1600000060 ACCEPT  OK \n", rec, flowlog.Stats{Lines: 1, Records: 1})
	f("CRLF", line+"\r\n"+line+"\r\n", rec+rec, flowlog.Stats{Lines: 2, Records: 2})
	f("blank lines", "\n"+line+"\n\n  \n\r\n"+line, rec+rec, flowlog.Stats{Lines: 6, Records: 2, Blank: 4})
	f("no final newline", line, rec, flowlog.Stats{Lines: 1, Records: 1})
	f("JSON-wrapped", `{"message":"`+line+`"}`+"\n", rec, flowlog.Stats{Lines: 1, Records: 1})
	f("JSON-wrapped with other keys", `{"timestamp": 1600000000000, "message" : "`+line+`", "x":1}`, rec, flowlog.Stats{Lines: 1, Records: 1})
	f("JSON-wrapped with escapes", `{"message":"`+strings.Replace(line, "eni-1", `eni-\u0031`, 1)+`"}`, rec, flowlog.Stats{Lines: 1, Records: 1})
	f("ISO timestamp prefix", "2020-09-13T12:26:40.000Z "+line+"\n", rec, flowlog.Stats{Lines: 1, Records: 1})
	f("repeated headers", flowlog.DefaultLayout.String()+"\n"+line+"\n"+flowlog.DefaultLayout.String()+"\n"+line+"\n", rec+rec, flowlog.Stats{Lines: 4, Records: 2, Headers: 2})
	f("milliseconds", strings.Replace(line, "1600000000 1600000060", "1600000000123 1600000060999", 1), rec, flowlog.Stats{Lines: 1, Records: 1, MillisTimes: 2})
	f("nine-digit seconds", strings.Replace(line, "1600000000 1600000060", "164000066 164000067", 1),
		strings.Replace(rec, `"start":1600000000,"end":1600000060`, `"start":164000066,"end":164000067`, 1), flowlog.Stats{Lines: 1, Records: 1})
	f("header in column names", strings.ReplaceAll(flowlog.DefaultLayout.String(), "-", "_")+"\n"+line, rec, flowlog.Stats{Lines: 2, Records: 1, Headers: 1})
}

func TestDecodeMalformed(t *testing.T) {
	const good = "2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 2 100 1600000000 1600000060 ACCEPT OK\n"
	f := func(line, wantErr string) {
		t.Helper()
		in := good + line + "\n" + good
		out, st, err := decode(t, in, flowlog.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if st.Records != 2 || st.Malformed != 1 || strings.Count(out, "\n") != 2 {
			t.Fatalf("%q: %d records, %d malformed, output %q", line, st.Records, st.Malformed, out)
		}
		if got := st.FirstMalformed[0].Error(); got != wantErr {
			t.Fatalf("%q:\n got error %s\nwant error %s", line, got, wantErr)
		}
		// Strict mode stops at it with the same error, after emitting the first line.
		out, st, err = decode(t, in, flowlog.Options{Strict: true})
		if err == nil || err.Error() != wantErr || st.Records != 1 || strings.Count(out, "\n") != 1 {
			t.Fatalf("strict %q: err %v, %d records", line, err, st.Records)
		}
	}
	f("2 1 eni-1 10.0.0.1 10.0.0.2 1 x7 6 2 100 1600000000 1600000060 ACCEPT OK", `cannot parse dstport "x7" at t.log:2: not a port number`)
	f("2 1 eni-1 10.0.0.1 10.0.0.2 1 70000 6 2 100 1600000000 1600000060 ACCEPT OK", `cannot parse dstport "70000" at t.log:2: not a port number`)
	f("2 1 eni-1 10.0.0.1 10.0.0.2 1 443 256 2 100 1600000000 1600000060 ACCEPT OK", `cannot parse protocol "256" at t.log:2: not a protocol number`)
	f("2 1 eni-1 10.0.0.300 10.0.0.2 1 443 6 2 100 1600000000 1600000060 ACCEPT OK", `cannot parse srcaddr "10.0.0.300" at t.log:2: not an IPv4 or IPv6 address`)
	f("2 1 eni-1 10.0.0.1 fe80::1%eth0 1 443 6 2 100 1600000000 1600000060 ACCEPT OK", `cannot parse dstaddr "fe80::1%eth0" at t.log:2: not an IPv4 or IPv6 address`)
	f("2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 -2 100 1600000000 1600000060 ACCEPT OK", `cannot parse packets "-2" at t.log:2: not a number`)
	f("2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 2 99999999999999999999 1600000000 1600000060 ACCEPT OK", `cannot parse bytes "99999999999999999999" at t.log:2: not a number`)
	f("2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 2 100 16000000x0 1600000060 ACCEPT OK", `cannot parse start "16000000x0" at t.log:2: not a Unix time`)
	f("2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 2 100 1600000000 ACCEPT OK", `line has 13 fields and no header precedes it: the default layout has 14 (give --fields) at t.log:2: "2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 2 100 1600000000 ACCEPT OK"`)
	f("Phony unsupported log format.", `line has 4 fields and no header precedes it: the default layout has 14 (give --fields) at t.log:2: "Phony unsupported log format."`)
	f(`{"msg":"x"}`, `JSON line without a "message" string at t.log:2: "{\"msg\":\"x\"}"`)
}

func TestMalformedKeepsFirstTen(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 25; i++ {
		b.WriteString("junk line\n")
	}
	_, st, err := decode(t, b.String(), flowlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Malformed != 25 || len(st.FirstMalformed) != flowlog.MaxKeptMalformed || st.FirstMalformed[9].Line != 10 {
		t.Fatalf("malformed %d kept %d", st.Malformed, len(st.FirstMalformed))
	}
}

func TestLayoutAfterHeaderMismatch(t *testing.T) {
	in := "instance-id interface-id srcaddr\n- eni-1 10.0.0.1\n- eni-1 10.0.0.1 10.0.0.2\n"
	out, st, err := decode(t, in, flowlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 1 || st.Malformed != 1 || st.FirstMalformed[0].Reason != "line has 4 fields, the layout has 3" {
		t.Fatalf("%+v %s", st, out)
	}
}

func TestParseLayout(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		l, err := flowlog.ParseLayout(in)
		got := ""
		if err != nil {
			got = "error: " + err.Error()
		} else {
			got = l.String()
		}
		if got != want {
			t.Fatalf("ParseLayout(%q) = %q, want %q", in, got, want)
		}
	}
	f("${version} ${srcaddr} ${log-status}", "version srcaddr log-status")
	f("version,srcaddr,log_status", "version srcaddr log-status")
	f("version srcaddr bogus", `error: unknown field "bogus" in field list (see 'flowlens help fields')`)
	f("version version", `error: field "version" appears twice`)
	f("", "error: empty field list")
}

func TestImplicitLayouts(t *testing.T) {
	for _, v := range []int{3, 4, 5, 7, 8, 9, 10, 11} {
		l := flowlog.AllFieldsLayout(v)
		toks := make([]string, l.Len())
		for i := range toks {
			toks[i] = "-"
		}
		toks[0] = "5"
		out, st, err := decode(t, strings.Join(toks, " ")+"\n", flowlog.Options{})
		if err != nil || st.Records != 1 || !strings.Contains(out, `"version":5`) {
			t.Fatalf("v%d (%d fields): %v %+v %s", v, l.Len(), err, st, out)
		}
	}
}

// TestDecodeNeed: with Options.Need the batches hold the needed fields (and log-status) with the
// values of a full decode. The fields not read get a structural check: a line whose unread field
// holds the wrong bytes (or too many) is malformed as in a full decode; one whose unread field holds
// the right bytes out of range (srcport 99999) is not, unless StrictFields asks for the full check.
func TestDecodeNeed(t *testing.T) {
	in := "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n" +
		"2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n" +
		"2 123456789010 eni-1 - - - - - - - 1431280876 1431280934 - NODATA\n" +
		"2 123456789010 eni-2 10.0.0.1 10.0.0.2 99999 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n" + // srcport out of range
		"x 123456789010 eni-2 10.0.0.1 10.0.0.2 1 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n" + // bad version
		"2 123456789010 eni-2 10.0.0.1 10.0.0.2 1 22 6 20 4249 1418530010 1418530070 ACCEPT OK extra\n" + // 15 fields
		"2 123456789010 eni-2 10.0.0.x 10.0.0.2 1 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n" + // bad srcaddr bytes
		"2 123456789010 eni-2 10.0.0.1 10.0.0.2 1 22 6 20 4249 14185300100000000000 1418530070 ACCEPT OK\n" + // 20-digit start
		"2 123456789010 eni-3 2001:db8::1 10.0.0.2 1 443 6 5 700 1418530010 1418530070 REJECT OK\n"
	need := []flowlog.FieldID{flowlog.FInterfaceID, flowlog.FDstPort, flowlog.FBytes}
	full, fst, err := decode(t, in, flowlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, gst, err := decode(t, in, flowlog.Options{Need: need})
	if err != nil {
		t.Fatal(err)
	}
	_, sst, err := decode(t, in, flowlog.Options{Need: need, StrictFields: true})
	if err != nil {
		t.Fatal(err)
	}
	if fst.Records != 2 || fst.Malformed != 5 || sst.Records != fst.Records || sst.Malformed != fst.Malformed || sst.NoData != 1 {
		t.Fatalf("strict: full %+v, strict need %+v", fst, sst)
	}
	if gst.Records != 3 || gst.Malformed != 4 || gst.NoData != 1 {
		t.Fatalf("structural check: %+v, want 3 records (srcport 99999 not checked) and 4 malformed", gst)
	}
	for i, e := range gst.FirstMalformed {
		if want := []string{":5:", ":6:", ":7:", ":8:"}[i]; !strings.Contains(e.Error(), want) {
			t.Errorf("malformed %d is %v, want line %s", i, e, want)
		}
	}
	// Project the full decode's rows onto the needed fields by hand, and add the row whose srcport
	// only the full decode refuses.
	var want strings.Builder
	for i, line := range strings.Split(strings.TrimSpace(full), "\n") {
		var row map[string]any
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			want.WriteString(`{"interface_id":"eni-2","dstport":22,"bytes":4249,"log_status":"OK"}` + "\n")
		}
		fmt.Fprintf(&want, `{"interface_id":%q,"dstport":%s,"bytes":%s,"log_status":%q}`+"\n",
			row["interface_id"], jsonNum(row["dstport"]), jsonNum(row["bytes"]), row["log_status"])
	}
	if got != want.String() {
		t.Errorf("need decode\n got: %s\nwant: %s", got, want.String())
	}
}

func jsonNum(v any) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(v)
}
