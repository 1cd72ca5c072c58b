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
