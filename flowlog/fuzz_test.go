package flowlog_test

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowlens/flowlens/flowlog"
)

// seeds are every test input: the peer vectors and the AWS examples.
func seeds(f *testing.F) {
	files, _ := filepath.Glob("../testdata/peer/*/*.log")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n"))
	f.Add([]byte("{\"message\":\"2 1 eni-1 - - - - - - - 1 2 - NODATA\"}\n2020-01-01T00:00:00Z 2 1 eni-1 ::1 ::2 1 2 6 1 1 1600000000000 1600000000001 REJECT OK"))
	f.Add([]byte("version account-id foo\n2 1 x\n\nversion version\n2 2\nversion account-id\n2 1\n"))
	f.Add([]byte("2 1 eni-1 ::1 ::2 1 2 6 1 1 1600000000123456 1600000000123456789 REJECT OK\n2 1 eni-1 ::1 ::2 1 2 6 1 1 16000000001234 1 REJECT OK\n"))
	f.Add([]byte("2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 2 100 1600000000 1600000060 ACCEPT OK\n" + strings.Repeat("y", 100) + "\n2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 2 100 1600000000 1600000060 ACCEPT OK"))
	f.Add([]byte(flowlog.V5Layout.String() + "\n5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK\n"))
}

// FuzzDecode: any input decodes without panic or leak, every line is accounted for, and the parallel
// path gives what the sequential one gives.
func FuzzDecode(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		if bytes.HasPrefix(in, []byte("PAR1")) || bytes.HasPrefix(in, []byte{0x1f, 0x8b}) {
			// Parquet or gzip, told by their first bytes: no panic, no leak, the accounting
			// balances (decodeReader checks), errors allowed.
			decodeReader(t, in, flowlog.Options{Workers: 1})
			return
		}
		lines := int64(bytes.Count(in, []byte{'\n'}))
		if len(in) > 0 && in[len(in)-1] != '\n' {
			lines++
		}
		want, st, err := decodeReader(t, in, flowlog.Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		if st.Lines != lines {
			t.Fatalf("%d lines counted, input has %d", st.Lines, lines)
		}
		if int64(strings.Count(want, "\n")) != st.Records+st.NoData+st.SkipData {
			t.Fatalf("%d rows emitted, %d counted", strings.Count(want, "\n"), st.Records+st.NoData+st.SkipData)
		}
		got, _, err := decodeReader(t, in, flowlog.Options{Workers: 2, BlockSize: 64})
		if err != nil || got != want {
			t.Fatalf("parallel decode differs: %v", err)
		}
		// A small line limit: lines longer than it are skipped by the line reader when they do not
		// fit a block (16 bytes), refused by the decoder when they do (64): the same either way,
		// and the line count holds.
		lim, lst, err := decodeReader(t, in, flowlog.Options{Workers: 1, BlockSize: 16, MaxLineBytes: 40})
		if err != nil || lst.Lines != lines {
			t.Fatalf("limit 40: %d lines counted, input has %d (%v)", lst.Lines, lines, err)
		}
		lim2, lst2, err := decodeReader(t, in, flowlog.Options{Workers: 2, BlockSize: 64, MaxLineBytes: 40})
		if err != nil || lim2 != lim || lst2.Lines != lst.Lines || lst2.Malformed != lst.Malformed || lst2.Records != lst.Records {
			t.Fatalf("limit 40: block sizes differ: %+v, %+v (%v)", lst, lst2, err)
		}
		for i := range lst.FirstMalformed {
			if *lst.FirstMalformed[i] != *lst2.FirstMalformed[i] {
				t.Fatalf("limit 40: malformed %d: %v vs %v", i, lst.FirstMalformed[i], lst2.FirstMalformed[i])
			}
		}
	})
}

// FuzzParseLayout: a layout that parses prints as a header that parses to the same layout.
func FuzzParseLayout(f *testing.F) {
	f.Add("version srcaddr dstaddr")
	f.Add("${version} ${account-id} ${log-status}")
	f.Add(flowlog.TransitGatewayLayout.String())
	f.Add("a,b,,c")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := flowlog.ParseLayout(s)
		if err != nil {
			return
		}
		l2, err := flowlog.ParseLayout(l.String())
		if err != nil || !l.Equal(l2) {
			t.Fatalf("%q: round trip gave %v, %v", s, l2, err)
		}
	})
}

// FuzzAddr: the address parser agrees with net/netip on what is an address and on its value.
func FuzzAddr(f *testing.F) {
	for _, s := range []string{"10.0.0.1", "255.255.255.255", "01.2.3.4", "1.2.3", "2001:db8::1", "::ffff:1.2.3.4", "fe80::1%eth0", "::", "1.2.3.4.5", "256.1.1.1", "a:b:c:d:e:f:0:1",
		"1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8::", "1::2::3", "12345::", "01234::", ":1::", "1::2:", "ABCD:EF01::9", "2600:1f18:4002:a101:a2c0:37f1:0:35"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsAny(s, " \n\r") {
			return
		}
		line := "2 1 eni-1 " + s + " 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK"
		out, st, _ := decodeReader(t, []byte(line), flowlog.Options{})
		a, err := netip.ParseAddr(s)
		valid := err == nil && a.Zone() == "" && s != "-"
		if s == "-" {
			return
		}
		if valid != (st.Records == 1) {
			t.Fatalf("%q: netip says valid=%v, decoder decoded %d records", s, valid, st.Records)
		}
		if valid && !strings.Contains(out, `"srcaddr":"`+a.Unmap().String()+`"`) {
			t.Fatalf("%q decoded as %s", s, out)
		}
	})
}
