package flowlog

import (
	"net/netip"
	"testing"
)

// TestParse6: what parse6 accepts, netip.ParseAddr accepts with the same value; and it accepts the
// common forms (it is the fast path, not only a safe one).
func TestParse6(t *testing.T) {
	accept := []string{"2001:db8::1", "::", "::1", "1::", "a:b:c:d:e:f:0:1", "ABCD:EF01:2345:6789:abcd:ef01:2345:6789",
		"2600:1f18:4002:a101:a2c0:37f1:0:35", "0000:0000:0000:0000:0000:0000:0000:0001", "1:2:3:4:5:6:7::",
		"::2:3:4:5:6:7:8", "1:2:3::6:7:8", "fe80::", "1::8", "::ffff:a01:203"}
	reject := []string{"", ":", ":::", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "1::2::3", "12345::", "1:2:3:4:5:6:7",
		"1:2:3:4:5:6:7:8:9", ":1::", "1:", "1::2:", "::ffff:1.2.3.4", "fe80::1%eth0", "g::", "1:2:3:4:5:6:7:8 ", "-",
		"1.2.3.4", "::1:", "1:::2", "01234::"}
	check := func(s string, wantOK bool) {
		var got [16]byte
		ok := parse6([]byte(s), &got)
		if ok != wantOK {
			t.Errorf("parse6(%q) = %v, want %v", s, ok, wantOK)
		}
		if !ok {
			return
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			t.Errorf("parse6 accepts %q, netip does not: %v", s, err)
			return
		}
		if a.As16() != got {
			t.Errorf("parse6(%q) = %x, netip %x", s, got, a.As16())
		}
	}
	for _, s := range accept {
		check(s, true)
	}
	for _, s := range reject {
		check(s, false)
	}
}
