package flowlog_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/klauspost/compress/gzip"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/output"
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

// TestLongLine: a 5 MiB line between good lines is one malformed line, with its number and length,
// in plain text and gzip, with one worker and several, whatever the block size; the lines after it
// keep their numbers. (Before: it was decoded as a line of 1 field, without a word about its
// length, after buffering it whole.)
func TestLongLine(t *testing.T) {
	long := strings.Repeat("x", 5<<20)
	in := faultLine + "\n" + faultLine + "\n" + long + "\n" + faultLine + "\njunk\n" + faultLine
	for _, gz := range []bool{false, true} {
		data := []byte(in)
		if gz {
			data = gzipMembers(t, data, 1)
		}
		for _, o := range []flowlog.Options{{Workers: 1}, {Workers: 3}, {Workers: 1, BlockSize: 4096}, {Workers: 3, BlockSize: 64 << 10}} {
			got, st, err := decodeNamed(t, "t.log", data, o)
			if err != nil {
				t.Fatal(err)
			}
			if got != strings.Repeat(faultRec, 4) || st.Lines != 6 || st.Records != 4 || st.Malformed != 2 || st.BytesText != int64(len(in)) {
				t.Fatalf("gzip %v, %+v: stats %+v", gz, o, st)
			}
			e := st.FirstMalformed[0]
			if e.Line != 3 || !strings.HasPrefix(e.Error(), "line too long: 5242880 bytes, the limit is 1 MiB (--max-line, Options.MaxLineBytes) at t.log:3: \"xxx") ||
				len(e.Text) > 210 {
				t.Fatalf("gzip %v, %+v: %v", gz, o, e)
			}
			if e := st.FirstMalformed[1]; e.Line != 5 || e.Text != "junk" {
				t.Fatalf("gzip %v, %+v: the line after is %v", gz, o, e)
			}
		}
	}
	// The limit is an option; a line just at it is read.
	_, st, _ := decode(t, faultLine+"\n"+faultLine+" \n", flowlog.Options{MaxLineBytes: len(faultLine)})
	if st.Records != 1 || st.Malformed != 1 || !strings.HasPrefix(st.FirstMalformed[0].Reason, "line too long: 74 bytes, the limit is 73 bytes") {
		t.Fatalf("%+v %v", st, st.FirstMalformed)
	}
	// Strict mode stops at it.
	_, _, err := decode(t, faultLine+"\n"+long+"\n"+faultLine, flowlog.Options{Strict: true, BlockSize: 4096})
	if err == nil || !strings.HasPrefix(err.Error(), "line too long: 5242880 bytes") {
		t.Fatalf("strict: %v", err)
	}
}

// endless is a line of n bytes of 'x' then "\n" and a good line, made as it is read.
type endless struct{ n, off int64 }

func (e *endless) Read(p []byte) (int, error) {
	tail := "\n" + faultLine + "\n"
	total := e.n + int64(len(tail))
	if e.off >= total {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && e.off < total {
		if e.off < e.n {
			m := min(int64(len(p)-k), e.n-e.off)
			for i := range m {
				p[k+int(i)] = 'x'
			}
			k += int(m)
			e.off += m
			continue
		}
		c := copy(p[k:], tail[e.off-e.n:])
		k += c
		e.off += int64(c)
	}
	return k, nil
}

// TestLongLineBounded: a 256 MiB line is skipped without being buffered: the decode allocates far
// less than the line. (Before: each block buffer grew to 64 MiB, and the line was cut into 64 MiB
// pieces, each counted as a line, so the numbers after it were wrong.)
func TestLongLineBounded(t *testing.T) {
	for _, w := range []int{1, 2} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		st, err := flowlog.DecodeStream(context.Background(), &endless{n: 256 << 20}, "t.log", flowlog.Options{Workers: w}, func(arrow.RecordBatch) error { return nil })
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if st.Lines != 2 || st.Records != 1 || st.Malformed != 1 || st.FirstMalformed[0].Line != 1 ||
			!strings.HasPrefix(st.FirstMalformed[0].Reason, "line too long: 268435456 bytes") {
			t.Fatalf("workers %d: %+v %v", w, st, st.FirstMalformed)
		}
		if a := after.TotalAlloc - before.TotalAlloc; a > 64<<20 {
			t.Fatalf("workers %d: %d MiB allocated for a 256 MiB line", w, a>>20)
		}
	}
}

// TestParquetStdin: Parquet read as a stream with no name that says so (standard input: Source
// "-") is told by its magic bytes and decoded as Parquet, with one worker or several. (Before: it was
// read as text, 0 records and every line malformed.)
func TestParquetStdin(t *testing.T) {
	text := generated(t, 5000, 1, flowlog.V5Layout)
	want, wst, err := decode(t, string(text), flowlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var pq bytes.Buffer
	pw := output.NewParquetWriter(&pq)
	if _, err := flowlog.DecodeStream(context.Background(), bytes.NewReader(text), "x", flowlog.Options{}, pw.Write); err != nil || pw.Close() != nil {
		t.Fatal(err)
	}
	for _, w := range []int{1, 2} {
		var out bytes.Buffer
		rw, _ := output.NewRowWriter(&out, output.JSONL)
		st, failed, err := decodeSourcesFrom(t, flowlog.Source{Name: "-", Size: -1}, pq.Bytes(), flowlog.Options{Workers: w}, rw.Write)
		rw.Flush()
		if err != nil || len(failed) != 0 {
			t.Fatal(err, failed)
		}
		if out.String() != want || st.Records != wst.Records || st.Malformed != 0 || st.BytesRead != int64(pq.Len()) || !st.Balanced() {
			t.Fatalf("workers %d: %d bytes of records (want %d), stats %+v", w, out.Len(), len(want), st)
		}
	}
	// A stream cut short is a failed object, not text.
	_, st, err := decode(t, string(pq.Bytes()[:pq.Len()/2]), flowlog.Options{})
	var se *flowlog.StreamError
	if !errors.As(err, &se) || st.ObjectsFailed != 1 || st.Malformed != 0 || !strings.Contains(err.Error(), "Parquet") {
		t.Fatalf("cut Parquet: %v, %+v", err, st)
	}
}

// decodeSourcesFrom runs DecodeSources over one source whose content is in (opened as standard
// input would be: a plain reader, no file).
func decodeSourcesFrom(t *testing.T, s flowlog.Source, in []byte, opts flowlog.Options, emit flowlog.Emit) (*flowlog.Stats, []flowlog.ObjectError, error) {
	t.Helper()
	s.Opener = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(in)), nil }
	return flowlog.DecodeSources(context.Background(), []flowlog.Source{s}, opts, emit)
}

// TestGzipBadMember: a gzip member whose CRC check fails: its rows (from the line holding its first
// byte on) are kept, emitted and counted in RowsFromBadMember, and the object fails with "gzip CRC
// mismatch in member N", with either gzip backend, one worker or several, whatever the blocks.
// (Before: the rows were in the totals with nothing to tell them, the error a bare "gzip: invalid
// checksum".)
func TestGzipBadMember(t *testing.T) {
	in := generated(t, 30000, 1, flowlog.DefaultLayout)
	member := func(b []byte, bad bool) []byte {
		var w bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&w, 6)
		zw.Write(b)
		zw.Close()
		z := w.Bytes()
		if bad {
			z[len(z)-7] ^= 1 // the CRC-32 of the trailer
		}
		return z
	}
	rows := func(text []byte) int64 {
		_, st, _ := decodeReader(t, text, flowlog.Options{})
		return st.Records + st.NoData + st.SkipData
	}
	third := len(in) / 3
	for _, badM := range []int{1, 2} {
		var z []byte
		for m := 1; m <= 3; m++ {
			z = append(z, member(in[(m-1)*third:min(m*third, len(in))], m == badM)...)
		}
		// What is read: the text up to the bad member's end, less its incomplete last line.
		read := in[:badM*third]
		end := bytes.LastIndexByte(read, '\n') + 1
		from := bytes.LastIndexByte(in[:(badM-1)*third], '\n') + 1 // the line holding the member's first byte
		wantRows, wantAll := rows(in[from:end]), rows(in[:end])
		for _, o := range []flowlog.Options{{Workers: 1}, {Workers: 3}, {Workers: 1, BlockSize: 32 << 10}, {Workers: 3, BlockSize: 16 << 10}} {
			got, st, err := decodeReader(t, z, o)
			var me *flowlog.GzipMemberError
			var se *flowlog.StreamError
			if !errors.As(err, &se) || !errors.As(err, &me) || !errors.Is(err, gzip.ErrChecksum) || me.Member != badM || st.ObjectsFailed != 1 {
				t.Fatalf("bad member %d, %+v: error %v", badM, o, err)
			}
			if !strings.Contains(err.Error(), "gzip CRC mismatch in member "+strconv.Itoa(badM)+" (the "+strconv.FormatInt(wantRows, 10)+" rows read from it are kept)") {
				t.Fatalf("bad member %d, %+v: message %q", badM, o, err)
			}
			if st.RowsFromBadMember != wantRows || me.Rows != wantRows || st.Records+st.NoData+st.SkipData != wantAll ||
				int64(strings.Count(got, "\n")) != wantAll {
				t.Fatalf("bad member %d, %+v: %d rows from the bad member, want %d; %d rows, want %d", badM, o, st.RowsFromBadMember, wantRows, st.Records+st.NoData+st.SkipData, wantAll)
			}
		}
	}
	// The sum over objects adds them.
	var a, b flowlog.Stats
	a.RowsFromBadMember, b.RowsFromBadMember = 3, 4
	a.Add(&b)
	if a.RowsFromBadMember != 7 {
		t.Fatal("Stats.Add leaves out RowsFromBadMember")
	}
}
