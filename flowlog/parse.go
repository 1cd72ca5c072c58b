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

// Byte classes of the structural check (tokenShape): a token's classes are ORed as it is scanned.
const (
	classDigit uint8 = 1 << iota // 0-9
	classHex                     // a-f A-F
	classPunct                   // . :
	classOther                   // anything else but a space
)

// byteClass maps a byte to its class; a space is 0, and ends the token.
var byteClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c == ' ':
		case c >= '0' && c <= '9':
			t[c] = classDigit
		case c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
			t[c] = classHex
		case c == '.' || c == ':':
			t[c] = classPunct
		default:
			t[c] = classOther
		}
	}
	return
}()

// tokenShape is what a field's token may hold when the caller does not read it: the classes it
// must not contain, and its longest length.
type tokenShape struct {
	deny uint8
	max  int
}

// shapes are the tokenShapes of the kinds (nil: not checked, as strings hold anything).
var shapes = [...]*tokenShape{
	KindAddr:  {deny: classOther, max: 45},
	KindPort:  {deny: classHex | classPunct | classOther, max: 5},
	KindProto: {deny: classHex | classPunct | classOther, max: 3},
	KindInt32: {deny: classHex | classPunct | classOther, max: 10},
	KindInt64: {deny: classHex | classPunct | classOther, max: 19},
	KindTime:  {deny: classHex | classPunct | classOther, max: 19},
}

// scanShape finds the end of the token at l[i:] and ORs the classes of its bytes.
func scanShape(l []byte, i int) (int, uint8) {
	var m uint8
	for ; i < len(l); i++ {
		c := byteClass[l[i]]
		if c == 0 {
			break
		}
		m |= c
	}
	return i, m
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
	if parse6(b, dst) {
		return true
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

// parse6 reads the common form of an IPv6 address, eight groups of one to four hex digits or fewer
// around one "::", into dst, several times faster than netip.ParseAddr. It reports false for
// anything else, valid or not (an IPv4 tail, a zone, a malformed address), which parseAddr then
// hands to netip.ParseAddr: what parse6 accepts, netip accepts with the same value (FuzzAddr and
// TestParse6 check it against netip).
func parse6(b []byte, dst *[16]byte) bool {
	var g [8]uint16
	n, ellipsis, p := 0, -1, 0
	if len(b) >= 2 && b[0] == ':' && b[1] == ':' {
		ellipsis, p = 0, 2
	}
	for p < len(b) {
		v, k := uint32(0), 0
		for ; p < len(b) && k <= 4; p, k = p+1, k+1 {
			d := uint32(hexValue[b[p]])
			if d > 15 {
				break
			}
			v = v<<4 | d
		}
		if k == 0 || k > 4 || n == 8 {
			return false
		}
		g[n] = uint16(v)
		n++
		if p == len(b) {
			break
		}
		if b[p] != ':' {
			return false
		}
		p++
		if p < len(b) && b[p] == ':' {
			if ellipsis >= 0 {
				return false
			}
			ellipsis = n
			p++
		} else if p == len(b) {
			return false // one trailing colon
		}
	}
	if ellipsis < 0 && n != 8 || ellipsis >= 0 && n > 7 {
		return false
	}
	*dst = [16]byte{}
	gap := 0
	if ellipsis >= 0 {
		gap = 8 - n
	}
	for k := 0; k < n; k++ {
		at := k
		if ellipsis >= 0 && k >= ellipsis {
			at += gap
		}
		binary.BigEndian.PutUint16(dst[2*at:], g[k])
	}
	return true
}

// hexValue is the value of a hex digit, 255 for any other byte.
var hexValue = func() (t [256]uint8) {
	for i := range t {
		t[i] = 255
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = uint8(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = uint8(c-'a') + 10
		t[c-'a'+'A'] = uint8(c-'a') + 10
	}
	return t
}()

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
