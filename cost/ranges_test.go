package cost

import (
	"net/netip"
	"os"
	"strings"
	"testing"
)

// testRangesJSON is a small ip-ranges.json in AWS's format, with the nestings that matter:
//   - an S3 /16 of us-east-1 inside an AMAZON /8-ish (/10) range, the S3 /16 also listed as AMAZON;
//   - an AMAZON-only /24 inside that S3 /16 (the longest prefix wins, so it is not S3);
//   - S3 of another region, DynamoDB in IPv4 and IPv6, an S3 IPv6 prefix;
//   - an EC2 prefix, which LoadRanges ignores (EC2 is also listed under AMAZON);
//   - a prefix with host bits set.
const testRangesJSON = `{
  "syncToken": "1",
  "createDate": "2026-01-02-03-04-05",
  "prefixes": [
    {"ip_prefix": "54.192.0.0/10", "region": "us-east-1", "service": "AMAZON", "network_border_group": "us-east-1"},
    {"ip_prefix": "54.231.0.0/16", "region": "us-east-1", "service": "AMAZON", "network_border_group": "us-east-1"},
    {"ip_prefix": "54.231.0.0/16", "region": "us-east-1", "service": "S3", "network_border_group": "us-east-1"},
    {"ip_prefix": "54.231.7.0/24", "region": "us-east-1", "service": "AMAZON", "network_border_group": "us-east-1"},
    {"ip_prefix": "52.218.0.0/17", "region": "eu-west-1", "service": "S3", "network_border_group": "eu-west-1"},
    {"ip_prefix": "52.94.0.0/22", "region": "us-east-1", "service": "DYNAMODB", "network_border_group": "us-east-1"},
    {"ip_prefix": "13.34.0.0/16", "region": "us-west-2", "service": "EC2", "network_border_group": "us-west-2"},
    {"ip_prefix": "15.177.1.7/24", "region": "GLOBAL", "service": "AMAZON", "network_border_group": "GLOBAL"}
  ],
  "ipv6_prefixes": [
    {"ipv6_prefix": "2600:1f00::/24", "region": "us-east-1", "service": "AMAZON", "network_border_group": "us-east-1"},
    {"ipv6_prefix": "2600:1f18:8000::/36", "region": "us-east-1", "service": "S3", "network_border_group": "us-east-1"},
    {"ipv6_prefix": "2600:1f19::/48", "region": "us-east-1", "service": "DYNAMODB", "network_border_group": "us-east-1"},
    {"ipv6_prefix": "2600:1f19::/64", "region": "us-east-1", "service": "AMAZON", "network_border_group": "us-east-1"}
  ]
}`

func loadTestRanges(t testing.TB) *Ranges {
	t.Helper()
	r, err := LoadRanges(strings.NewReader(testRangesJSON))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLoadRangesClassify(t *testing.T) {
	r := loadTestRanges(t)
	if r.Date != "2026-01-02-03-04-05" {
		t.Errorf("Date = %q", r.Date)
	}
	if r.n4 != 6 || r.n6 != 4 { // the two 54.231.0.0/16 lines are one prefix; EC2 is dropped
		t.Errorf("prefixes = %d IPv4, %d IPv6; want 6, 4", r.n4, r.n6)
	}
	f := func(addr, region string, wantClass Class, wantSvc string) {
		t.Helper()
		c, s := r.Classify(netip.MustParseAddr(addr), region)
		if c != wantClass || s != wantSvc {
			t.Errorf("Classify(%s, %q) = %s, %q; want %s, %q", addr, region, c, s, wantClass, wantSvc)
		}
	}
	// S3 /16 nested in an AMAZON /10: the S3 /16 is longer, and S3 beats AMAZON at equal length.
	f("54.231.1.1", "us-east-1", ClassS3, "S3")
	// The enclosing AMAZON /10 outside the S3 /16.
	f("54.200.1.1", "us-east-1", ClassAWSOther, "AMAZON")
	// An AMAZON /24 inside the S3 /16: the longest prefix says AMAZON, so not S3.
	f("54.231.7.9", "us-east-1", ClassAWSOther, "AMAZON")
	f("54.231.8.0", "us-east-1", ClassS3, "S3") // just past the /24
	// Region awareness: S3 of us-east-1 seen from another region, S3 of eu-west-1 from us-east-1.
	f("54.231.1.1", "eu-west-1", ClassAWSOther, "S3")
	f("52.218.1.1", "us-east-1", ClassAWSOther, "S3")
	f("52.218.1.1", "eu-west-1", ClassS3, "S3")
	f("54.231.1.1", "", ClassAWSOther, "S3") // no region: never same-region S3
	// DynamoDB.
	f("52.94.3.255", "us-east-1", ClassDynamoDB, "DYNAMODB")
	f("52.94.3.255", "us-west-2", ClassAWSOther, "DYNAMODB")
	// EC2-only prefixes are not loaded.
	f("13.34.1.1", "us-west-2", ClassInternet, "")
	// Host bits in the file's prefix are cleared.
	f("15.177.1.200", "us-east-1", ClassAWSOther, "AMAZON")
	// IPv6, same rules.
	f("2600:1f18:8000::1", "us-east-1", ClassS3, "S3")
	f("2600:1f18::1", "us-east-1", ClassAWSOther, "AMAZON")
	f("2600:1f19::1:2", "us-east-1", ClassAWSOther, "AMAZON") // AMAZON /64 inside DynamoDB /48
	f("2600:1f19:0:1::2", "us-east-1", ClassDynamoDB, "DYNAMODB")
	f("2600:1f19:0:1::2", "eu-west-1", ClassAWSOther, "DYNAMODB")
	f("2001:db8::1", "us-east-1", ClassInternet, "")
	// IPv4-mapped IPv6 is looked up as IPv4.
	f("::ffff:54.231.1.1", "us-east-1", ClassS3, "S3")
	f("::ffff:8.8.8.8", "us-east-1", ClassInternet, "")
	f("8.8.8.8", "us-east-1", ClassInternet, "")

	if c, s := r.Classify(netip.Addr{}, "us-east-1"); c != ClassInternet || s != "" {
		t.Errorf("Classify(zero Addr) = %s, %q", c, s)
	}
}

func TestLoadRangesErrors(t *testing.T) {
	for _, in := range []string{
		``,
		`{"prefixes": [{"ip_prefix": "1.0.0.0/8", "region": "us-east-1", "service": "AMAZON"}]}`, // no createDate
		`{"createDate": "x", "prefixes": [{"ip_prefix": "1.0.0.0/8", "region": "us-east-1", "service": "EC2"}]}`,
		`{"createDate": "x", "prefixes": [{"ip_prefix": "1.0.0.0/33", "region": "us-east-1", "service": "AMAZON"}]}`,
		`{"createDate": "x", "prefixes": [{"ip_prefix": "1.0.0.0/8", "region": "", "service": "AMAZON"}]}`,
		`{"createDate": "x", "prefixes": 1}`,
	} {
		if _, err := LoadRanges(strings.NewReader(in)); err == nil {
			t.Errorf("LoadRanges(%q): no error", in)
		}
	}
}

func TestDefaultRanges(t *testing.T) {
	r := DefaultRanges()
	if r != DefaultRanges() {
		t.Error("DefaultRanges not shared")
	}
	if r.Date != "2026-08-22-15-17-05" {
		t.Errorf("Date = %q", r.Date)
	}
	// Regenerating from AWS's file of that date gives these counts (distinct prefixes).
	if r.n4 < 5000 || r.n6 < 2000 {
		t.Errorf("only %d IPv4 and %d IPv6 prefixes", r.n4, r.n6)
	}
	f := func(addr, region string, wantClass Class, wantSvc string) {
		t.Helper()
		c, s := r.Classify(netip.MustParseAddr(addr), region)
		if c != wantClass || s != wantSvc {
			t.Errorf("Classify(%s, %q) = %s, %q; want %s, %q", addr, region, c, s, wantClass, wantSvc)
		}
	}
	f("52.216.8.12", "us-east-1", ClassS3, "S3") // 52.216.0.0/15 S3 us-east-1 (also AMAZON)
	f("52.216.8.12", "eu-west-1", ClassAWSOther, "S3")
	f("52.218.1.1", "eu-west-1", ClassS3, "S3")              // 52.218.0.0/17
	f("3.218.181.1", "us-east-1", ClassDynamoDB, "DYNAMODB") // 3.218.180.0/22 DYNAMODB inside AMAZON 3.208.0.0/12
	f("3.208.1.1", "us-east-1", ClassAWSOther, "AMAZON")     // 3.208.0.0/12 only
	f("44.192.134.241", "us-east-1", ClassS3, "S3")          // S3 /28 inside AMAZON 44.192.0.0/11
	f("44.192.134.239", "us-east-1", ClassAWSOther, "AMAZON")
	f("8.8.8.8", "us-east-1", ClassInternet, "")
	f("1.1.1.1", "us-east-1", ClassInternet, "")
	f("10.0.0.1", "us-east-1", ClassInternet, "") // private: never in ip-ranges
	f("::ffff:52.216.8.12", "us-east-1", ClassS3, "S3")
	// IPv6 S3 from the embedded data: 2600:1f60:8000::/39 is S3 in us-east-1.
	f("2600:1f60:8000::10", "us-east-1", ClassS3, "S3")
	f("2600:1f60:8000::10", "us-west-2", ClassAWSOther, "S3")
	f("2001:4860:4860::8888", "us-east-1", ClassInternet, "")

	// AWS's 2026-08-22 file lists DynamoDB for IPv4 only. Should a later file add IPv6 DynamoDB
	// prefixes, they must classify as such; check every one present.
	var v6ddb int
	for l, m := range r.v6 {
		for k, i := range m {
			e := r.entries[i]
			for _, rs := range e.regions {
				if rs.svc&svcDynamoDB == 0 {
					continue
				}
				v6ddb++
				a := addr6(k)
				if c, _ := r.Classify(a, rs.region); c != ClassDynamoDB && !longerPrefix6(r, a, l) {
					t.Errorf("%s/%d: DYNAMODB in %s classifies as %s", a, l, rs.region, c)
				}
			}
		}
	}
	t.Logf("embedded ranges %s: %d IPv4, %d IPv6 prefixes; %d IPv6 DynamoDB", r.Date, r.n4, r.n6, v6ddb)
}

// longerPrefix6 reports whether a longer prefix than l also contains a.
func longerPrefix6(r *Ranges, a netip.Addr, l int) bool {
	for l2 := range r.v6 {
		if l2 > l && r.v6[l2] != nil {
			p, _ := a.Prefix(l2)
			b := p.Addr().As16()
			var k key6
			for j := range 8 {
				k.hi = k.hi<<8 | uint64(b[j])
				k.lo = k.lo<<8 | uint64(b[8+j])
			}
			if _, ok := r.v6[l2][k]; ok {
				return true
			}
		}
	}
	return false
}

// TestEmbeddedMatchesJSON checks the embedded subset against a full ip-ranges.json: every address of
// every prefix start classifies the same with both. It needs the file: set FLOWLENS_IP_RANGES to its
// path to run it (after regenerating, for instance).
func TestEmbeddedMatchesJSON(t *testing.T) {
	path := os.Getenv("FLOWLENS_IP_RANGES")
	if path == "" {
		t.Skip("FLOWLENS_IP_RANGES not set")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	full, err := LoadRanges(f)
	if err != nil {
		t.Fatal(err)
	}
	emb := DefaultRanges()
	if full.Date != emb.Date || full.n4 != emb.n4 || full.n6 != emb.n6 {
		t.Fatalf("file %s %d/%d, embedded %s %d/%d: regenerate ipranges.txt.gz",
			full.Date, full.n4, full.n6, emb.Date, emb.n4, emb.n6)
	}
	var n int
	for l, m := range full.v4 {
		for k := range m {
			for _, x := range []uint32{k, k | ^mask4[l]} { // first and last address of the prefix
				a := netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)})
				for _, region := range []string{"us-east-1", "eu-west-1"} {
					c1, s1 := full.Classify(a, region)
					c2, s2 := emb.Classify(a, region)
					if c1 != c2 || s1 != s2 {
						t.Errorf("%s %s: file %s %s, embedded %s %s", a, region, c1, s1, c2, s2)
					}
					n++
				}
			}
		}
	}
	t.Logf("%d lookups agree", n)
}

func BenchmarkClassify(b *testing.B) {
	r := DefaultRanges()
	addrs := []netip.Addr{
		netip.MustParseAddr("52.216.8.12"),       // S3
		netip.MustParseAddr("3.208.1.1"),         // AMAZON
		netip.MustParseAddr("8.8.8.8"),           // internet: probes every length
		netip.MustParseAddr("140.82.112.3"),      // internet
		netip.MustParseAddr("2600:1f60:8000::1"), // S3 IPv6
		netip.MustParseAddr("2001:4860::8888"),   // internet IPv6
		netip.MustParseAddr("::ffff:3.5.1.1"),    // mapped S3
	}
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for i := 0; b.Loop(); i++ {
		if c, _ := r.Classify(addrs[i%len(addrs)], "us-east-1"); c == ClassS3 {
			n++
		}
	}
	_ = n
}

// slowLookup is the index without its coarse level: every length present, longest first.
func slowLookup(r *Ranges, a netip.Addr) *entry {
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		x := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		for l := 32; l >= 0; l-- {
			if i, ok := r.v4[l][x&mask4[l]]; ok {
				return &r.entries[i]
			}
		}
		return nil
	}
	for l := 128; l >= 0; l-- {
		p, _ := a.Prefix(l)
		b := p.Addr().As16()
		var k key6
		for j := range 8 {
			k.hi = k.hi<<8 | uint64(b[j])
			k.lo = k.lo<<8 | uint64(b[8+j])
		}
		if i, ok := r.v6[l][k]; ok {
			return &r.entries[i]
		}
	}
	return nil
}

// TestCoarseIndex checks the coarse per-block index against probing every length, at the first and
// last address of every prefix and just outside them, for the embedded ranges and for a file with
// prefixes shorter than the blocks (/0 to /31).
func TestCoarseIndex(t *testing.T) {
	short, err := LoadRanges(strings.NewReader(`{"createDate": "x",
		"prefixes": [
			{"ip_prefix": "0.0.0.0/0", "region": "GLOBAL", "service": "AMAZON"},
			{"ip_prefix": "96.0.0.0/3", "region": "us-east-1", "service": "S3"},
			{"ip_prefix": "100.64.0.0/15", "region": "us-east-1", "service": "DYNAMODB"},
			{"ip_prefix": "100.65.3.4/32", "region": "us-east-1", "service": "AMAZON"}],
		"ipv6_prefixes": [
			{"ipv6_prefix": "2000::/3", "region": "us-east-1", "service": "AMAZON"},
			{"ipv6_prefix": "2600::/12", "region": "us-east-1", "service": "S3"},
			{"ipv6_prefix": "2600:1f00::/24", "region": "us-east-1", "service": "DYNAMODB"},
			{"ipv6_prefix": "2600:1f00::/33", "region": "us-east-1", "service": "AMAZON"},
			{"ipv6_prefix": "2600:1f00::1/128", "region": "us-east-1", "service": "S3"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Ranges{DefaultRanges(), loadTestRanges(t), short} {
		var n int
		check := func(a netip.Addr) {
			n++
			if got, want := r.lookup(a), slowLookup(r, a); got != want {
				t.Errorf("%s (ranges %s): coarse index finds %v, full probe %v", a, r.Date, got, want)
			}
		}
		for l, m := range r.v4 {
			for k := range m {
				for _, x := range []uint32{k, k | ^mask4[l]} {
					for _, d := range []uint32{^uint32(0), 0, 1} { // x-1, x, x+1
						y := x + d
						check(netip.AddrFrom4([4]byte{byte(y >> 24), byte(y >> 16), byte(y >> 8), byte(y)}))
					}
				}
			}
		}
		for l, m := range r.v6 {
			for k := range m {
				first := k
				last := key6{k.hi | ^mask6[l].hi, k.lo | ^mask6[l].lo}
				for _, x := range []key6{first, last} {
					a := addr6(x)
					check(a)
					check(a.Prev())
					check(a.Next())
				}
			}
		}
		for _, s := range []string{"8.8.8.8", "255.255.255.255", "0.0.0.0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::1"} {
			check(netip.MustParseAddr(s))
		}
		t.Logf("ranges %s: %d addresses agree", r.Date, n)
	}
}

func addr6(k key6) netip.Addr {
	var b [16]byte
	for j := range 8 {
		b[j] = byte(k.hi >> (56 - 8*j))
		b[8+j] = byte(k.lo >> (56 - 8*j))
	}
	return netip.AddrFrom16(b)
}
