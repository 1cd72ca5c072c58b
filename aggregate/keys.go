package aggregate

import (
	"encoding/binary"
	"net/netip"

	"github.com/flowlens/flowlens/flowlog"
)

// Group keys are fixed-width rows of uint64 words, so that a hash table compares and hashes them
// without strings. Every part but an address takes one word holding value+1, 0 meaning null (values
// are never negative: the decoder reads unsigned numbers); a string is its run-wide id from Strings.
// An address takes two words, big-endian so that word order is byte order, and a key with addresses
// has one more word whose bit i says that address part i is null.
//
// Most flow-log addresses are IPv4, so a key whose addresses are all IPv4 (and not null) has a narrow
// form: each address is its 32 bits, two to a word, and there is no null word. A conversation key is
// then one word instead of five. Each worker keeps the narrow keys in a table of their own; no key has
// both forms, so the two tables never hold the same group.
type keyLayout struct {
	parts []Key
	kinds []flowlog.Kind
	offs  []int // first word of each part
	w     int   // words per key
	nullW int   // the null-bits word, or -1

	nw     int    // words of the narrow form; 0 when the key has no address
	noffs  []int  // word of each part in the narrow form
	nshift []uint // bit offset of an address in its narrow word (0 or 32)
}

// dictKey reports whether the key is one string column, whose batches are dictionary encoded.
func (kl *keyLayout) dictKey() bool {
	return len(kl.parts) == 1 && kl.kinds[0] == flowlog.KindString && kl.w == 1
}

// v4Mapped is the high word of ::ffff:a.b.c.d's low half; its high half is 0.
const v4Mapped = 0x0000ffff00000000

func newKeyLayout(keys []Key) keyLayout {
	kl := keyLayout{parts: keys, nullW: -1}
	naddr := 0
	for _, k := range keys {
		kind := flowlog.Fields[k.Field].Kind
		kl.kinds = append(kl.kinds, kind)
		kl.offs = append(kl.offs, kl.w)
		if kind == flowlog.KindAddr && k.Trunc == TruncNone {
			kl.w += 2
			naddr++
		} else {
			kl.w++
		}
	}
	if naddr > 0 {
		kl.nullW = kl.w
		kl.w++
		ai := 0
		for _, kind := range kl.kinds {
			if kind == flowlog.KindAddr {
				if ai%2 == 0 {
					kl.noffs = append(kl.noffs, kl.nw)
					kl.nshift = append(kl.nshift, 0)
					kl.nw++
				} else {
					kl.noffs = append(kl.noffs, kl.nw-1)
					kl.nshift = append(kl.nshift, 32)
				}
				ai++
				continue
			}
			kl.noffs = append(kl.noffs, kl.nw)
			kl.nshift = append(kl.nshift, 0)
			kl.nw++
		}
	}
	return kl
}

// widen writes the wide form of narrow key n into w.
func (kl *keyLayout) widen(n, w []uint64) {
	for i, kind := range kl.kinds {
		o := kl.offs[i]
		if kind == flowlog.KindAddr {
			w[o] = 0
			w[o+1] = v4Mapped | (n[kl.noffs[i]]>>kl.nshift[i])&0xffffffff
			continue
		}
		w[o] = n[kl.noffs[i]]
	}
	if kl.nullW >= 0 {
		w[kl.nullW] = 0
	}
}

// narrow writes the narrow form of wide key w into n and reports whether it has one.
func (kl *keyLayout) narrow(w, n []uint64) bool {
	if kl.nw == 0 || w[kl.nullW] != 0 {
		return false
	}
	clear(n[:kl.nw])
	for i, kind := range kl.kinds {
		o := kl.offs[i]
		if kind == flowlog.KindAddr {
			if w[o] != 0 || w[o+1]>>32 != v4Mapped>>32 {
				return false
			}
			n[kl.noffs[i]] |= (w[o+1] & 0xffffffff) << kl.nshift[i]
			continue
		}
		n[kl.noffs[i]] = w[o]
	}
	return true
}

// Value is one decoded part of a group key.
type Value struct {
	Kind flowlog.Kind
	Null bool
	Int  int64    // numbers and times; the hour's start (Unix s) or the day (days since 1970) when truncated
	Str  string   // strings
	Addr [16]byte // addresses, IPv4 mapped
}

// String formats the value as text: null is "-".
func (v Value) String() string {
	if v.Null {
		return "-"
	}
	switch v.Kind {
	case flowlog.KindString:
		return v.Str
	case flowlog.KindAddr:
		return flowlog.AddrString(v.Addr[:])
	}
	return itoa(v.Int)
}

// Addr returns an address value as a netip.Addr (IPv4 unmapped).
func (v Value) IP() netip.Addr { return netip.AddrFrom16(v.Addr).Unmap() }

// decode returns part i of the key words k.
func (kl *keyLayout) decode(k []uint64, i int, strs *Strings) Value {
	kind := kl.kinds[i]
	o := kl.offs[i]
	v := Value{Kind: kind}
	if kind == flowlog.KindAddr {
		ai := kl.addrIndex(i)
		if k[kl.nullW]&(1<<ai) != 0 {
			v.Null = true
			return v
		}
		binary.BigEndian.PutUint64(v.Addr[:8], k[o])
		binary.BigEndian.PutUint64(v.Addr[8:], k[o+1])
		return v
	}
	if k[o] == 0 {
		v.Null = true
		return v
	}
	if kind == flowlog.KindString {
		v.Str = strs.Value(k[o])
		return v
	}
	v.Int = int64(k[o] - 1)
	return v
}

// addrIndex is the null bit of address part i.
func (kl *keyLayout) addrIndex(i int) int {
	n := 0
	for j := 0; j < i; j++ {
		if kl.kinds[j] == flowlog.KindAddr {
			n++
		}
	}
	return n
}

// compare orders two keys part by part: null first, strings by text, the rest by value.
func (kl *keyLayout) compare(a, b []uint64, strs *Strings) int {
	for i, kind := range kl.kinds {
		o := kl.offs[i]
		if kind == flowlog.KindAddr {
			bit := uint64(1) << kl.addrIndex(i)
			an, bn := a[kl.nullW]&bit != 0, b[kl.nullW]&bit != 0
			if an != bn {
				if an {
					return -1
				}
				return 1
			}
			for j := o; j < o+2; j++ {
				if a[j] != b[j] {
					return cmpU64(a[j], b[j])
				}
			}
			continue
		}
		if a[o] == b[o] {
			continue
		}
		if kind == flowlog.KindString && a[o] != 0 && b[o] != 0 {
			sa, sb := strs.Value(a[o]), strs.Value(b[o])
			if sa < sb {
				return -1
			}
			if sa > sb {
				return 1
			}
			continue
		}
		return cmpU64(a[o], b[o])
	}
	return 0
}

func cmpU64(a, b uint64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// hashKey hashes the words of one key (a multiply-xorshift mix per word, murmur3's finaliser at the
// end): addresses differ only in their low word, so every word must reach every bit.
func hashKey(k []uint64) uint64 {
	h := uint64(0x9E3779B97F4A7C15)
	for _, w := range k {
		h ^= w
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 31
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	u := uint64(n)
	if neg {
		u = uint64(-n)
	}
	var b [20]byte
	i := len(b)
	for u > 0 {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
