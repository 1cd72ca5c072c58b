package flowlog

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"unsafe"
)

// scanUint reads the decimal digits at l[i:] and returns their value and where they end. More than
// 19 digits overflow: callers bound the length.
func scanUint(l []byte, i int) (uint64, int) {
	var v uint64
	j := i
	for ; j < len(l); j++ {
		c := l[j] - '0'
		if c > 9 {
			break
		}
		v = v*10 + uint64(c)
	}
	return v, j
}

// scanAddr parses the address at l[i:] into dst and returns where it ends. Dotted quads are read in
// place; anything else goes through parseAddr.
func scanAddr(l []byte, i int, dst *[16]byte) (int, bool) {
	var v uint32
	j := i
	for part := 0; part < 4; part++ {
		if j >= len(l) {
			return scanOther(l, i, dst)
		}
		o := uint32(l[j] - '0')
		if o > 9 {
			return scanOther(l, i, dst)
		}
		j++
		if j < len(l) && l[j]-'0' <= 9 {
			if o == 0 {
				return scanOther(l, i, dst) // a leading zero
			}
			o = o*10 + uint32(l[j]-'0')
			j++
			if j < len(l) && l[j]-'0' <= 9 {
				o = o*10 + uint32(l[j]-'0')
				j++
				if o > 255 {
					return scanOther(l, i, dst)
				}
			}
		}
		v = v<<8 | o
		if part < 3 {
			if j >= len(l) || l[j] != '.' {
				return scanOther(l, i, dst)
			}
			j++
		}
	}
	if j < len(l) && l[j] != ' ' {
		return scanOther(l, i, dst)
	}
	binary.BigEndian.PutUint64(dst[:8], 0)
	binary.BigEndian.PutUint64(dst[8:], 0xffff<<32|uint64(v))
	return j, true
}

// nextSpace returns the index of the first space at or after i, or len(l); eight bytes at a time.
func nextSpace(l []byte, i int) int {
	for i+8 <= len(l) {
		x := binary.LittleEndian.Uint64(l[i:]) ^ 0x2020202020202020
		if t := (x - 0x0101010101010101) &^ x & 0x8080808080808080; t != 0 {
			return i + bits.TrailingZeros64(t)/8
		}
		i += 8
	}
	for i < len(l) && l[i] != ' ' {
		i++
	}
	return i
}

func scanOther(l []byte, i int, dst *[16]byte) (int, bool) {
	j := nextSpace(l, i)
	return j, parseAddr(l[i:j], dst)
}

// parseAddr parses an IPv6 address into 16 bytes; scanAddr has already read dotted quads.
func parseAddr(b []byte, dst *[16]byte) bool {
	if len(b) < 2 || len(b) > 45 {
		return false
	}
	hasColon := false
	for _, c := range b {
		if c == ':' {
			hasColon = true
		} else if c == '%' {
			return false // zones never appear in flow logs
		}
	}
	if !hasColon {
		return false
	}
	// ParseAddr does not keep its argument once it holds no zone, so a view of b is safe here.
	a, err := netip.ParseAddr(unsafe.String(&b[0], len(b)))
	if err != nil || !a.Is6() {
		return false
	}
	*dst = a.As16()
	return true
}

// AddrString formats a 16-byte address column value as text: IPv4-mapped values as dotted quads.
func AddrString(b []byte) string {
	return AddrFrom(b).String()
}

// AddrFrom converts a 16-byte address column value to a netip.Addr, IPv4-mapped values unmapped.
func AddrFrom(b []byte) netip.Addr {
	return netip.AddrFrom16([16]byte(b)).Unmap()
}

// looksLikeISOTime reports whether tok is an ISO-8601 timestamp such as 2022-12-14T14:55:28.000Z,
// as CloudWatch exports put before each line.
func looksLikeISOTime(tok []byte) bool {
	if len(tok) < 19 || len(tok) > 35 || tok[4] != '-' || tok[7] != '-' || (tok[10] != 'T' && tok[10] != 't') || tok[13] != ':' {
		return false
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12} {
		if tok[i] < '0' || tok[i] > '9' {
			return false
		}
	}
	return true
}
