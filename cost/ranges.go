package cost

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net/netip"
	"slices"
	"strings"
	"sync"
)

// Class is what the far end of a NAT conversation is, as far as the cost of reaching it goes.
type Class string

const (
	// ClassS3 is S3 in the NAT's own region: a gateway endpoint (free) would carry it instead of the NAT.
	ClassS3 Class = "s3"
	// ClassDynamoDB is DynamoDB in the NAT's own region: also reachable through a free gateway endpoint.
	ClassDynamoDB Class = "dynamodb"
	// ClassAWSOther is any other AWS address, including S3 and DynamoDB of other regions (gateway
	// endpoints work in their own region only): an interface endpoint may or may not be cheaper.
	ClassAWSOther Class = "aws_other"
	// ClassInternet is every address outside AWS's published ranges: only a NAT (or an internet
	// gateway) reaches it.
	ClassInternet Class = "internet"
)

// Service codes as AWS spells them in ip-ranges.json; Classify returns one of them (or "").
const (
	ServiceAmazon   = "AMAZON"
	ServiceS3       = "S3"
	ServiceDynamoDB = "DYNAMODB"
)

// ipranges.txt.gz is written by internal/genranges: a first line "createDate <date>", then one line
// "<prefix> <region> <service>" per AMAZON, S3 or DYNAMODB prefix of AWS's ip-ranges.json. It is the
// subset that Classify needs, about 40 KB instead of the 2.6 MB JSON, so the binary works offline.
//
//go:embed ipranges.txt.gz
var embeddedRanges []byte

// Ranges is a set of AWS address ranges indexed for longest-prefix matching.
//
// The index is, per address family, one map per prefix length from the masked address to the prefix's
// entry. Probing every length present, longest first, would cost 22 map lookups for an IPv4 internet
// address (30 for IPv6) in AWS's 2026 file, and this runs once per NAT flow record; so a coarse index
// first says which lengths can match at all: per IPv4 /16 block (a 65536-entry array) and per IPv6
// /32 block (a map), a bit set of the prefix lengths that cover or lie in that block. An internet
// address then usually costs one array load, an AWS address one probe per candidate length (one to
// three). Lookups allocate nothing. A Ranges is immutable once built and safe for concurrent use.
type Ranges struct {
	// Date is the createDate of the ip-ranges.json the ranges come from, e.g. "2026-08-22-15-17-05";
	// reports print it next to the classification so a reader knows how fresh it is.
	Date string

	v4 [33]map[uint32]int32 // per prefix length: masked address → index in entries
	v6 [129]map[key6]int32

	// v4blocks[a>>16] has bit l set if a prefix of length l covers or lies in a's /16.
	v4blocks []uint64
	// v6blocks[top 32 bits of a] has bit l (of 0..128) set if a prefix of length l ≥ 32 lies in or is
	// that /32; v6short lists the lengths < 32 present, longest first, probed for every address.
	v6blocks map[uint32]lenSet6
	v6short  []int

	entries []entry
	n4, n6  int // distinct prefixes per family
}

// lenSet6 is a set of IPv6 prefix lengths, 0 to 128.
type lenSet6 [3]uint64

// key6 is an IPv6 address (or masked prefix) as two integers, a comparable map key that needs no
// allocation to build.
type key6 struct{ hi, lo uint64 }

var (
	mask4 [33]uint32
	mask6 [129]key6
)

func init() {
	for l := 1; l <= 32; l++ {
		mask4[l] = ^uint32(0) << (32 - l)
	}
	for l := 1; l <= 128; l++ {
		var m key6
		if l >= 64 {
			m.hi = ^uint64(0)
			if l > 64 {
				m.lo = ^uint64(0) << (128 - l)
			}
		} else {
			m.hi = ^uint64(0) << (64 - l)
		}
		mask6[l] = m
	}
}

// svc is a set of the service codes listed for one prefix in one region.
type svc uint8

const (
	svcAmazon svc = 1 << iota
	svcS3
	svcDynamoDB
)

func parseService(s string) (svc, bool) {
	switch s {
	case ServiceAmazon:
		return svcAmazon, true
	case ServiceS3:
		return svcS3, true
	case ServiceDynamoDB:
		return svcDynamoDB, true
	}
	return 0, false
}

// entry is everything AWS lists for one prefix. AWS lists the same prefix several times, once per
// service (an S3 prefix is also an AMAZON prefix); in practice all under one region, but nothing in
// the format forbids several, so each region keeps its own service set.
type entry struct {
	regions []regionServices
	// other is the service code reported when the prefix is not S3 or DynamoDB of the caller's region:
	// the most specific one listed (S3, then DYNAMODB, then AMAZON).
	other string
}

type regionServices struct {
	region string
	svc    svc
}

// DefaultRanges returns the ranges embedded in the binary (see Ranges.Date for their age). They are
// decompressed and indexed on first use, once per process; every caller shares the result.
func DefaultRanges() *Ranges {
	defaultOnce.Do(func() {
		r, err := parseEmbedded(embeddedRanges)
		if err != nil {
			// The file is generated and tested; failing here means the build is broken.
			panic("cost: embedded ipranges.txt.gz: " + err.Error())
		}
		defaultRanges = r
	})
	return defaultRanges
}

var (
	defaultOnce   sync.Once
	defaultRanges *Ranges
)

func parseEmbedded(data []byte) (*Ranges, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	b := newBuilder()
	sc := bufio.NewScanner(zr)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if line == 1 {
			if len(f) != 2 || f[0] != "createDate" {
				return nil, fmt.Errorf("line 1: want \"createDate <date>\", got %q", sc.Text())
			}
			b.r.Date = f[1]
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("line %d: want \"<prefix> <region> <service>\", got %q", line, sc.Text())
		}
		if err := b.add(f[0], f[1], f[2]); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return b.finish()
}

// RangesFile is the part of AWS's ip-ranges.json that flowlens reads.
type RangesFile struct {
	CreateDate string `json:"createDate"`
	Prefixes   []struct {
		IPPrefix string `json:"ip_prefix"`
		Region   string `json:"region"`
		Service  string `json:"service"`
	} `json:"prefixes"`
	IPv6Prefixes []struct {
		IPv6Prefix string `json:"ipv6_prefix"`
		Region     string `json:"region"`
		Service    string `json:"service"`
	} `json:"ipv6_prefixes"`
}

// LoadRanges reads an ip-ranges.json as AWS publishes it (for --ip-ranges FILE, when the embedded copy
// is older than the flow logs). Like the embedded subset, it keeps only the AMAZON, S3 and DYNAMODB
// prefixes, so the same addresses classify the same way whichever source is used; the other service
// codes are all also listed under AMAZON. Unknown JSON fields are ignored, as AWS adds some from time
// to time; a file without createDate or without any of those prefixes is rejected as not an
// ip-ranges.json.
func LoadRanges(rd io.Reader) (*Ranges, error) {
	var doc RangesFile
	if err := json.NewDecoder(rd).Decode(&doc); err != nil {
		return nil, fmt.Errorf("cost: ip-ranges: %w", err)
	}
	if doc.CreateDate == "" {
		return nil, errors.New("cost: ip-ranges: no createDate: not an AWS ip-ranges.json?")
	}
	b := newBuilder()
	b.r.Date = doc.CreateDate
	for _, p := range doc.Prefixes {
		if _, ok := parseService(p.Service); ok {
			if err := b.add(p.IPPrefix, p.Region, p.Service); err != nil {
				return nil, fmt.Errorf("cost: ip-ranges: %w", err)
			}
		}
	}
	for _, p := range doc.IPv6Prefixes {
		if _, ok := parseService(p.Service); ok {
			if err := b.add(p.IPv6Prefix, p.Region, p.Service); err != nil {
				return nil, fmt.Errorf("cost: ip-ranges: %w", err)
			}
		}
	}
	if b.r.n4+b.r.n6 == 0 {
		return nil, errors.New("cost: ip-ranges: no AMAZON, S3 or DYNAMODB prefixes: not an AWS ip-ranges.json?")
	}
	return b.finish()
}

type builder struct{ r *Ranges }

func newBuilder() builder { return builder{r: &Ranges{}} }

func (b builder) add(prefix, region, service string) error {
	s, ok := parseService(service)
	if !ok {
		return fmt.Errorf("prefix %s: unexpected service %q", prefix, service)
	}
	p, err := netip.ParsePrefix(prefix)
	if err != nil {
		return err
	}
	if region == "" {
		return fmt.Errorf("prefix %s: empty region", prefix)
	}
	p = p.Masked() // tolerate host bits in a user's file: the prefix still means the masked range
	r := b.r
	var (
		idx int32
		ok2 bool
	)
	if p.Addr().Is4() {
		a := p.Addr().As4()
		k := binary.BigEndian.Uint32(a[:])
		m := r.v4[p.Bits()]
		if m == nil {
			m = make(map[uint32]int32)
			r.v4[p.Bits()] = m
		}
		if idx, ok2 = m[k]; !ok2 {
			idx = int32(len(r.entries))
			r.entries = append(r.entries, entry{})
			m[k] = idx
			r.n4++
		}
	} else {
		a := p.Addr().As16()
		k := key6{binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(a[8:])}
		m := r.v6[p.Bits()]
		if m == nil {
			m = make(map[key6]int32)
			r.v6[p.Bits()] = m
		}
		if idx, ok2 = m[k]; !ok2 {
			idx = int32(len(r.entries))
			r.entries = append(r.entries, entry{})
			m[k] = idx
			r.n6++
		}
	}
	e := &r.entries[idx]
	for i := range e.regions {
		if e.regions[i].region == region {
			e.regions[i].svc |= s
			return nil
		}
	}
	e.regions = append(e.regions, regionServices{region, s})
	return nil
}

func (b builder) finish() (*Ranges, error) {
	r := b.r
	r.v4blocks = make([]uint64, 1<<16)
	for l, m := range r.v4 {
		for k := range m {
			// A prefix shorter than /16 covers 2^(16-l) blocks, at most 65536 for a /0.
			first, n := k>>16, uint32(1)
			if l < 16 {
				n = 1 << (16 - l)
			}
			for blk := first; blk < first+n; blk++ {
				r.v4blocks[blk] |= 1 << l
			}
		}
	}
	r.v6blocks = make(map[uint32]lenSet6)
	for l := 128; l >= 0; l-- {
		if r.v6[l] == nil {
			continue
		}
		if l < 32 {
			r.v6short = append(r.v6short, l)
			continue
		}
		for k := range r.v6[l] {
			blk := uint32(k.hi >> 32)
			s := r.v6blocks[blk]
			s[l/64] |= 1 << (l % 64)
			r.v6blocks[blk] = s
		}
	}
	for i := range r.entries {
		e := &r.entries[i]
		var all svc
		for _, rs := range e.regions {
			all |= rs.svc
		}
		switch {
		case all&svcS3 != 0:
			e.other = ServiceS3
		case all&svcDynamoDB != 0:
			e.other = ServiceDynamoDB
		default:
			e.other = ServiceAmazon
		}
		// A stable order keeps results independent of the input's order.
		slices.SortFunc(e.regions, func(a, b regionServices) int { return strings.Compare(a.region, b.region) })
	}
	return r, nil
}

// Classify says what the address a is for a NAT gateway in region (e.g. "us-east-1"), and returns the
// service code of the longest prefix containing it ("" for ClassInternet).
//
// The longest matching prefix decides, because it is the most precise thing AWS says about the
// address: an AMAZON /24 carved out of an S3 /16 is not S3. At that length, S3 listed for region gives
// ClassS3 and DYNAMODB listed for region gives ClassDynamoDB, since AWS lists such prefixes under
// AMAZON too and the specific service is the one that matters; anything else that matches (S3 or
// DynamoDB of another region, or only AMAZON) is ClassAWSOther, with code S3, DYNAMODB or AMAZON.
// The region must be spelled as AWS does; an empty region matches no S3 or DynamoDB prefix.
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are looked up as IPv4, as flow logs may print them.
func (r *Ranges) Classify(a netip.Addr, region string) (Class, string) {
	e := r.lookup(a)
	if e == nil {
		return ClassInternet, ""
	}
	for _, rs := range e.regions {
		if rs.region == region && rs.svc&svcS3 != 0 {
			return ClassS3, ServiceS3
		}
	}
	for _, rs := range e.regions {
		if rs.region == region && rs.svc&svcDynamoDB != 0 {
			return ClassDynamoDB, ServiceDynamoDB
		}
	}
	return ClassAWSOther, e.other
}

// lookup returns the entry of the longest prefix containing a, or nil.
func (r *Ranges) lookup(a netip.Addr) *entry {
	a = a.Unmap()
	switch {
	case a.Is4():
		return r.lookup4(a)
	case a.Is6():
		return r.lookup6(a)
	}
	return nil
}

// lookup4 returns the entry of the longest IPv4 prefix containing a, or nil.
func (r *Ranges) lookup4(a netip.Addr) *entry {
	b := a.As4()
	x := binary.BigEndian.Uint32(b[:])
	for set := r.v4blocks[x>>16]; set != 0; {
		l := 63 - bits.LeadingZeros64(set) // longest candidate first
		if i, ok := r.v4[l][x&mask4[l]]; ok {
			return &r.entries[i]
		}
		set &^= 1 << l
	}
	return nil
}

// lookup6 returns the entry of the longest IPv6 prefix containing a, or nil.
func (r *Ranges) lookup6(a netip.Addr) *entry {
	b := a.As16()
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	if set, ok := r.v6blocks[uint32(hi>>32)]; ok {
		for w := len(set) - 1; w >= 0; w-- {
			for word := set[w]; word != 0; {
				bit := 63 - bits.LeadingZeros64(word)
				l := w*64 + bit
				m := mask6[l]
				if i, ok := r.v6[l][key6{hi & m.hi, lo & m.lo}]; ok {
					return &r.entries[i]
				}
				word &^= 1 << bit
			}
		}
	}
	for _, l := range r.v6short {
		m := mask6[l]
		if i, ok := r.v6[l][key6{hi & m.hi, lo & m.lo}]; ok {
			return &r.entries[i]
		}
	}
	return nil
}

// Region returns the region AWS lists for the longest prefix containing a ("GLOBAL" for its
// global services), or "" when a is not in AWS's ranges.
func (r *Ranges) Region(a netip.Addr) string {
	e := r.lookup(a)
	if e == nil || len(e.regions) == 0 {
		return ""
	}
	return e.regions[0].region
}
