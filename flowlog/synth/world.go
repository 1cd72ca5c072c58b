package synth

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
)

// Address ranges the generator draws from. The AWS ones are prefixes of us-east-1 in AWS's
// ip-ranges.json of 2026-08-22 (createDate 2026-08-22-15-17-05) whose longest match is the service named.
var (
	s3Prefixes       = []string{"52.216.0.0/15", "54.231.0.0/16", "2600:1ffa:8000::/40"}
	dynamodbPrefixes = []string{"52.94.0.0/22", "52.119.224.0/21", "3.218.180.0/22"}
	awsOtherPrefixes = []string{"3.80.0.0/12", "44.192.0.0/11", "2600:1f18::/33"}
	// Public ranges outside AWS: documentation and well-known networks.
	internetPrefixes = []string{"198.51.100.0/24", "203.0.113.0/24", "151.101.0.0/16", "140.82.112.0/20",
		"8.8.8.0/24", "185.199.108.0/22", "2a00:1450::/32", "2001:db8::/32"}
)

// Class is where the far end of a NAT conversation is.
type Class int

// Destination classes, as the cost review splits them.
const (
	ClassS3 Class = iota
	ClassDynamoDB
	ClassAWSOther
	ClassInternet
)

// ClassNames are the JSON names of the classes.
var ClassNames = [...]string{"s3", "dynamodb", "aws_other", "internet"}

var classService = [...]string{"S3", "DYNAMODB", "AMAZON", "-"}

type eni struct {
	id       string
	instance string // "-" for requester-managed
	vpc      string
	subnet   string
	az       string
	v4       netip.Addr
	v6       netip.Addr // invalid when the ENI has none
}

type peer struct {
	addr  netip.Addr
	class Class // ClassInternet for non-AWS
}

type natGW struct {
	eni eni
}

// world is the fixed population the records are drawn from; it depends on the seed only.
type world struct {
	enis    []eni
	peers   []peer
	nats    []natGW
	service [4][]peer // NAT destinations by class
	account string
	region  string
	// randomPeers, when positive, is the number of random private peers of each interface (Spread
	// "random"); peers is then unused.
	randomPeers int
	seed        uint64
}

var azs = []string{"use1-az1", "use1-az2", "use1-az4", "use1-az6"}

func newWorld(seed uint64, nENI, nPeers int) *world {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	w := &world{account: "123456789012", region: "us-east-1"}
	vpcs := []string{"vpc-0a1b2c3d4e5f60718", "vpc-0fedcba9876543210", "vpc-01234abcd5678ef90"}
	for i := 0; i < nENI; i++ {
		v := i % len(vpcs)
		sub := (i / len(vpcs)) % 8
		host := i/(len(vpcs)*8) + 10
		e := eni{
			id:       fmt.Sprintf("eni-%017x", r.Uint64()>>4),
			instance: fmt.Sprintf("i-%017x", r.Uint64()>>4),
			vpc:      vpcs[v],
			subnet:   fmt.Sprintf("subnet-%017x", uint64(v*8+sub+1)*0x1000003),
			az:       azs[sub%len(azs)],
			v4:       netip.AddrFrom4([4]byte{10, byte(v), byte(16*sub + host/250), byte(host%250 + 4)}),
		}
		if r.IntN(100) < 15 {
			e.v6 = netip.AddrFrom16([16]byte{0x26, 0x00, 0x1f, 0x18, 0x40, byte(v), 0xa1, byte(sub),
				byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()),
				byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)})
		}
		if r.IntN(100) < 4 {
			e.instance = "-" // Lambda, load balancer and endpoint interfaces
		}
		w.enis = append(w.enis, e)
	}
	for i := 0; i < 2; i++ {
		w.nats = append(w.nats, natGW{eni: eni{
			id: fmt.Sprintf("eni-0ad%014x", r.Uint64()>>8), instance: "-", vpc: vpcs[0],
			subnet: fmt.Sprintf("subnet-0ac%014x", uint64(i+1)), az: azs[i],
			v4: netip.AddrFrom4([4]byte{10, 0, byte(200 + i), 220}),
		}})
	}
	for i := 0; i < nPeers; i++ {
		w.peers = append(w.peers, peer{addr: randomIn(r, internetPrefixes[r.IntN(len(internetPrefixes))]), class: ClassInternet})
	}
	for c, prefixes := range [][]string{s3Prefixes, dynamodbPrefixes, awsOtherPrefixes, internetPrefixes} {
		for i := 0; i < 200; i++ {
			p := prefixes[r.IntN(len(prefixes))]
			a := randomIn(r, p)
			if a.Is6() {
				a = randomIn(r, prefixes[0]) // NAT gateways carry IPv4 only
			}
			w.service[c] = append(w.service[c], peer{addr: a, class: Class(c)})
		}
	}
	return w
}

// newRandomWorld is the population of Spread "random": n interfaces at random private addresses,
// each with 550 peers of its own at random private addresses. v4 only, and no NAT gateway
// traffic: its point is the number of distinct keys, not the cost review.
func newRandomWorld(seed uint64, n int) *world {
	w := newWorld(seed, n, 1)
	w.randomPeers = 550
	w.seed = seed
	r := rand.New(rand.NewPCG(seed, 0xadd7))
	for i := range w.enis {
		w.enis[i].v4 = randomPrivate(r.Uint64())
		w.enis[i].v6 = netip.Addr{}
	}
	return w
}

// randomPeer is peer k of interface i: the same address for the same (seed, i, k).
func (w *world) randomPeer(i, k int) netip.Addr {
	x := w.seed ^ uint64(i)<<20 ^ uint64(k)
	// splitmix64: a fixed, well-mixed function of the three.
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return randomPrivate(x ^ x>>31)
}

// randomPrivate maps 64 random bits to an address of 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16,
// in proportion to their sizes.
func randomPrivate(x uint64) netip.Addr {
	h := uint32(x)
	switch v := (x >> 32) % (1<<24 + 1<<20 + 1<<16); {
	case v < 1<<24:
		return netip.AddrFrom4([4]byte{10, byte(h >> 16), byte(h >> 8), byte(h)})
	case v < 1<<24+1<<20:
		return netip.AddrFrom4([4]byte{172, 16 | byte(h>>16)&15, byte(h >> 8), byte(h)})
	default:
		return netip.AddrFrom4([4]byte{192, 168, byte(h >> 8), byte(h)})
	}
}

// randomIn returns a random address inside prefix p.
func randomIn(r *rand.Rand, p string) netip.Addr {
	pfx := netip.MustParsePrefix(p)
	b := pfx.Addr().As16()
	bits := pfx.Bits()
	if pfx.Addr().Is4() {
		bits += 96
	}
	for i := bits; i < 128; i++ {
		if r.IntN(2) == 1 {
			b[i/8] |= 1 << (7 - i%8)
		}
	}
	a := netip.AddrFrom16(b)
	if pfx.Addr().Is4() {
		a = a.Unmap()
	}
	return a
}
