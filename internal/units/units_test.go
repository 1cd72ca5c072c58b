package units

import "testing"

func TestUnits(t *testing.T) {
	f := func(got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	f(Decimal(999), "999 B")
	f(Decimal(1500), "1.5 kB")
	f(Decimal(2_000_000_000), "2.0 GB")
	f(Binary(1023), "1023 B")
	f(Binary(1536), "1.5 KiB")
	f(Binary(4<<20), "4.0 MiB")
	f(Binary(2<<30), "2.0 GiB")
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1048576": 1 << 20, "512MiB": 512 << 20, "4GiB": 4 << 30, "2G": 2 << 30,
		"500MB": 500e6, "1.5 GB": 1.5e9, "64k": 64 << 10} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "-1G", "0", "GiB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) took it", in)
		}
	}
}
