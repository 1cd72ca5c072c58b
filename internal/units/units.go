// Package units writes byte counts for people: decimal units (1 GB = 10^9 bytes, as AWS bills
// traffic) and binary units (1 GiB = 2^30 bytes, as memory is sized).
package units

import "fmt"

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
