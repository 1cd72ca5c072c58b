// Package units writes byte counts for people: decimal units (1 GB = 10^9 bytes, as AWS bills
// traffic) and binary units (1 GiB = 2^30 bytes, as memory is sized).
package units

import (
	"fmt"
	"strings"
)

// Decimal writes n in decimal units: 512 B, 1.5 kB, 2.0 GB.
func Decimal(n int64) string { return format(n, 1000, "kMGTPE", "B") }

// Binary writes n in binary units: 512 B, 1.5 KiB, 2.0 GiB.
func Binary(n int64) string { return format(n, 1024, "KMGTPE", "iB") }

func format(n, unit int64, prefixes, suffix string) string {
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := unit, 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %c%s", float64(n)/float64(div), prefixes[exp], suffix)
}

// ParseSize reads a size as people write it: 500MB, 4GiB, 2G, 1048576 (K, M, G, T alone are
// binary, as memory is sized).
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if len(t) > len(u.suffix) && strings.EqualFold(t[len(t)-len(u.suffix):], u.suffix) {
			mult, t = u.mult, strings.TrimSpace(t[:len(t)-len(u.suffix)])
			break
		}
	}
	var v float64
	if _, err := fmt.Sscanf(t, "%g", &v); err != nil || v <= 0 {
		return 0, fmt.Errorf("cannot read size %q: want e.g. 512MiB, 4GiB or 2G", s)
	}
	return int64(v * float64(mult)), nil
}
