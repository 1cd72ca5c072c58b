// Package synth writes realistic, deterministic synthetic VPC Flow Log objects for tests, benchmarks
// and demos, with a manifest of what it wrote (line counts and the true NAT gateway traffic).
//
// The population is fixed by the seed: thousands of interfaces and tens of thousands of peer
// addresses drawn with Zipf popularity, IPv4 and some IPv6, skewed ports (443, 80, 53, 22, 3389,
// ephemeral), TCP/UDP/ICMP, heavy-tailed byte counts, a diurnal curve, about 5 % REJECT and 1 %
// NODATA/SKIPDATA, and NAT gateway interfaces that log each conversation as the four records AWS
// documents (some of it to S3 and DynamoDB addresses).
package synth

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/flowlens/flowlens/flowlog"
)

// Config says what to generate.
type Config struct {
	Dir     string          // output directory
	Seed    uint64          // same seed, same bytes
	Records int64           // record lines in all (OK, NODATA and SKIPDATA), headers not counted
	Objects int             // number of objects
	Fields  *flowlog.Layout // flowlog.DefaultLayout or any layout (fields it lacks are left out)
	Layout  string          // flat, aws, aws-hourly, hive, hive-hourly
	Start   time.Time       // first object's window starts here (UTC)
	Days    int             // span of the objects' windows
	Gzip    bool            // gzip level 6 (the AWS delivery); false writes plain .log
	// NATInstanceCopies also writes the copies of NAT traffic that the workload's own interface logs.
	NATInstanceCopies bool
	Workers           int // objects written at once (GOMAXPROCS when 0)
	// Progress, when set, counts what is written as it is: for a progress line.
	Progress *Progress
	// Region is the region of the records and keys (us-east-1 when empty). The population and its
	// addresses do not change with it: S3 and DynamoDB addresses stay those of us-east-1, so
	// Manifest.NAT's classes hold for us-east-1 only.
	Region string
	// Spread is how the records' endpoints are drawn. "" (skewed) draws 3,000 interfaces and 30,000
	// internet peers by Zipf laws, as a workload with hot spots. "random" draws 2,000 interfaces
	// uniformly, each talking to 550 random private addresses of its own, so that 4 M records hold
	// about 1.8 M distinct conversations and 1.1 M distinct addresses: the worst case of a group-by.
	Spread string
	// Inventory also writes InventoryName: the world's interfaces, instances, subnets, VPCs and
	// NAT gateways as the aws ec2 describe-* commands print them (taken at Start), and
	// Manifest.Owners, what enrichment must find for each interface.
	Inventory bool
}

// Progress counts the objects and record lines written so far.
type Progress struct {
	Objects atomic.Int64
	Lines   atomic.Int64
}

// NATTruth is the NAT gateway traffic the generator wrote, as a cost review must find it.
type NATTruth struct {
	InterfaceID            string           `json:"interface_id"`
	PrivateIP              string           `json:"private_ip"`
	AZ                     string           `json:"az_id"`
	Conversations          int64            `json:"conversations"`
	BytesInFromSource      int64            `json:"bytes_in_from_source"`
	BytesInFromDestination int64            `json:"bytes_in_from_destination"`
	BytesByClass           map[string]int64 `json:"bytes_by_class"`
}

// Manifest describes what was written.
type Manifest struct {
	Seed     uint64      `json:"seed"`
	Fields   string      `json:"fields"`
	Layout   string      `json:"layout"`
	Objects  []string    `json:"objects"`
	Lines    int64       `json:"lines"`
	Headers  int64       `json:"headers"`
	Records  int64       `json:"records"`
	NoData   int64       `json:"nodata"`
	SkipData int64       `json:"skipdata"`
	Rejected int64       `json:"rejected"`
	Bytes    int64       `json:"bytes"` // sum of the bytes field over OK records
	Start    int64       `json:"start"` // window of the objects, Unix seconds
	End      int64       `json:"end"`
	NAT      []*NATTruth `json:"nat"`
	// Owners is, with Config.Inventory, the truth of every interface, by interface id.
	Owners map[string]OwnerTruth `json:"owners,omitempty"`
}

// ManifestName is the file the manifest is written to, in Config.Dir.
const ManifestName = "manifest.json"

// Generate writes the objects and the manifest.
func Generate(cfg Config) (*Manifest, error) {
	if cfg.Objects <= 0 || cfg.Records < 0 || cfg.Days <= 0 {
		return nil, fmt.Errorf("objects and days must be positive, records not negative")
	}
	if cfg.Fields == nil {
		cfg.Fields = flowlog.DefaultLayout
	}
	switch cfg.Layout {
	case "":
		cfg.Layout = "flat"
	case "flat", "aws", "aws-hourly", "hive", "hive-hourly":
	default:
		return nil, fmt.Errorf("unknown layout %q (flat, aws, aws-hourly, hive, hive-hourly)", cfg.Layout)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	cfg.Start = cfg.Start.UTC()
	switch cfg.Spread {
	case "", "skewed", "random":
	default:
		return nil, fmt.Errorf("unknown spread %q (skewed, random)", cfg.Spread)
	}
	w := newWorld(cfg.Seed, 3000, 30000)
	if cfg.Spread == "random" {
		w = newRandomWorld(cfg.Seed, 2000)
	}
	if cfg.Region != "" {
		w.region = cfg.Region
	}

	// Records per object follow the diurnal curve; largest remainders make the total exact.
	span := float64(cfg.Days) * 86400
	win := span / float64(cfg.Objects)
	weights := make([]float64, cfg.Objects)
	total := 0.0
	for i := range weights {
		mid := cfg.Start.Add(time.Duration((float64(i) + 0.5) * win * float64(time.Second)))
		h := float64(mid.Hour()) + float64(mid.Minute())/60
		weights[i] = 1 + 0.6*math.Sin(2*math.Pi*(h-9)/24)
		total += weights[i]
	}
	counts := make([]int64, cfg.Objects)
	var assigned int64
	type rem struct {
		i int
		f float64
	}
	rems := make([]rem, cfg.Objects)
	for i := range counts {
		exact := float64(cfg.Records) * weights[i] / total
		counts[i] = int64(exact)
		assigned += counts[i]
		rems[i] = rem{i, exact - float64(counts[i])}
	}
	for k := int64(0); k < cfg.Records-assigned; k++ {
		best := -1
		for j, r := range rems {
			if best < 0 || r.f > rems[best].f {
				best = j
			}
		}
		counts[rems[best].i]++
		rems[best].f = -1
	}

	m := &Manifest{Seed: cfg.Seed, Fields: cfg.Fields.String(), Layout: cfg.Layout,
		Start: cfg.Start.Unix(), End: cfg.Start.Unix() + int64(span)}
	results := make([]*objectResult, cfg.Objects)
	errs := make([]error, cfg.Objects)
	var wg sync.WaitGroup
	sem := make(chan struct{}, cfg.Workers)
	for i := 0; i < cfg.Objects; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			w0 := cfg.Start.Unix() + int64(float64(i)*win)
			w1 := cfg.Start.Unix() + int64(float64(i+1)*win)
			results[i], errs[i] = writeObject(cfg, w, i, counts[i], w0, w1)
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	for _, n := range w.nats {
		m.NAT = append(m.NAT, &NATTruth{InterfaceID: n.eni.id, PrivateIP: n.eni.v4.String(), AZ: n.eni.az,
			BytesByClass: map[string]int64{"s3": 0, "dynamodb": 0, "aws_other": 0, "internet": 0}})
	}
	for _, r := range results {
		m.Objects = append(m.Objects, r.name)
		m.Headers++
		m.Lines += 1 + r.records + r.nodata + r.skipdata
		m.Records += r.records
		m.NoData += r.nodata
		m.SkipData += r.skipdata
		m.Rejected += r.rejected
		m.Bytes += r.bytes
		for j, t := range r.nat {
			m.NAT[j].Conversations += t.Conversations
			m.NAT[j].BytesInFromSource += t.BytesInFromSource
			m.NAT[j].BytesInFromDestination += t.BytesInFromDestination
			for c, b := range t.BytesByClass {
				m.NAT[j].BytesByClass[c] += b
			}
		}
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	if cfg.Inventory {
		inv, owners := w.inventory(cfg.Start)
		if err := writeAtomic(filepath.Join(cfg.Dir, InventoryName), inv); err != nil {
			return nil, err
		}
		m.Owners = owners
	}
	js, _ := json.MarshalIndent(m, "", "  ")
	if err := writeAtomic(filepath.Join(cfg.Dir, ManifestName), append(js, '\n')); err != nil {
		return nil, err
	}
	return m, nil
}

// ObjectKey returns the key (path below Dir) of object i whose window ends at end.
func ObjectKey(layout, account, region string, i int, end time.Time, gz bool) string {
	end = end.UTC()
	t5 := end.Truncate(5 * time.Minute)
	name := fmt.Sprintf("%s_vpcflowlogs_%s_fl-0123456789abcdef0_%s_%08x.log", account, region,
		t5.Format("20060102T1504Z"), uint32(i)*2654435761)
	if gz {
		name += ".gz"
	}
	day := fmt.Sprintf("%04d/%02d/%02d", end.Year(), end.Month(), end.Day())
	hive := fmt.Sprintf("AWSLogs/aws-account-id=%s/aws-service=vpcflowlogs/aws-region=%s/year=%04d/month=%02d/day=%02d",
		account, region, end.Year(), end.Month(), end.Day())
	switch layout {
	case "aws":
		return fmt.Sprintf("AWSLogs/%s/vpcflowlogs/%s/%s/%s", account, region, day, name)
	case "aws-hourly":
		return fmt.Sprintf("AWSLogs/%s/vpcflowlogs/%s/%s/%02d/%s", account, region, day, end.Hour(), name)
	case "hive":
		return hive + "/" + name
	case "hive-hourly":
		return fmt.Sprintf("%s/hour=%02d/%s", hive, end.Hour(), name)
	}
	return name
}

type objectResult struct {
	name                                string
	records, nodata, skipdata, rejected int64
	bytes                               int64
	nat                                 []NATTruth
}

func writeObject(cfg Config, w *world, i int, n int64, w0, w1 int64) (*objectResult, error) {
	key := ObjectKey(cfg.Layout, w.account, w.region, i, time.Unix(w1-1, 0), cfg.Gzip)
	path := filepath.Join(cfg.Dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gen-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	res := &objectResult{name: key, nat: make([]NATTruth, len(w.nats))}
	for j := range res.nat {
		res.nat[j].BytesByClass = map[string]int64{}
	}
	var out interface {
		Write([]byte) (int, error)
		Close() error
	} = nopCloser{tmp}
	if cfg.Gzip {
		zw, _ := gzip.NewWriterLevel(tmp, 6)
		out = zw
	}
	g := &objGen{cfg: cfg, w: w, res: res, r: rand.New(rand.NewPCG(cfg.Seed, uint64(i)+1)), w0: w0, w1: w1}
	g.enZipf = rand.NewZipf(g.r, 1.1, 4, uint64(len(w.enis)-1))
	g.peerZipf = rand.NewZipf(g.r, 1.05, 8, uint64(len(w.peers)-1))
	g.prepare()
	buf := append([]byte(cfg.Fields.String()), '\n')
	var counted int64
	for k := int64(0); k < n; {
		k += g.flow(&buf, n-k)
		if len(buf) > 256<<10 {
			if _, err := out.Write(buf); err != nil {
				return nil, err
			}
			buf = buf[:0]
			if cfg.Progress != nil {
				cfg.Progress.Lines.Add(k - counted)
				counted = k
			}
		}
	}
	if cfg.Progress != nil {
		cfg.Progress.Lines.Add(n - counted)
		defer cfg.Progress.Objects.Add(1)
	}
	if _, err := out.Write(buf); err != nil {
		return nil, err
	}
	if err := out.Close(); err != nil {
		return nil, err
	}
	if cfg.Gzip {
		if err := tmp.Close(); err != nil {
			return nil, err
		}
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, err
	}
	return res, nil
}

type nopCloser struct{ f *os.File }

func (n nopCloser) Write(p []byte) (int, error) { return n.f.Write(p) }
func (n nopCloser) Close() error                { return n.f.Close() }

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// rec is one record before formatting; addresses and strings as they will be written.
type rec struct {
	eni              *eni
	src, dst         netip.Addr
	pktSrc, pktDst   netip.Addr
	srcPort, dstPort int
	proto            int
	packets, bytes   int64
	start, end       int64
	action           string
	status           string
	tcpFlags         int
	srcSvc, dstSvc   string
	path             int // traffic-path, 0 for "-"
	egress           bool
}

var (
	servicePorts = []struct {
		port, proto int
		weight      int
	}{{443, 6, 46}, {80, 6, 14}, {53, 17, 10}, {22, 6, 5}, {3389, 6, 3}, {5432, 6, 4}, {3306, 6, 4},
		{6379, 6, 3}, {8080, 6, 4}, {123, 17, 2}, {9092, 6, 2}, {0, 1, 3}}
	portCum = func() []int {
		var c []int
		t := 0
		for _, p := range servicePorts {
			t += p.weight
			c = append(c, t)
		}
		return c
	}()
)

type objGen struct {
	cfg      Config
	w        *world
	res      *objectResult
	r        *rand.Rand
	w0, w1   int64
	enZipf   *rand.Zipf
	peerZipf *rand.Zipf
	writers  []func(b []byte, x *rec) []byte
}

// flow appends the records of one flow (1 line, or 4–6 for a NAT conversation) and returns how many.
func (g *objGen) flow(buf *[]byte, left int64) int64 {
	r := g.r
	start := g.w0 + r.Int64N(max(g.w1-g.w0, 1))
	end := start + r.Int64N(61)
	ei := g.pickENI()
	e := &g.w.enis[ei]
	x := rec{eni: e, start: start, end: end, action: "ACCEPT", status: "OK"}
	roll := r.IntN(1000)
	natLines := int64(4)
	if g.cfg.NATInstanceCopies {
		natLines = 6
	}
	switch {
	case roll < 10: // NODATA / SKIPDATA
		if roll < 7 {
			x.status = "NODATA"
			g.res.nodata++
		} else {
			x.status = "SKIPDATA"
			g.res.skipdata++
		}
		*buf = g.format(*buf, &x)
		return 1
	case roll < 110 && left >= natLines && g.w.randomPeers == 0:
		return g.nat(buf, &x)
	}
	sp := servicePorts[searchCum(r.IntN(portCum[len(portCum)-1]))]
	x.proto = sp.proto
	var p peer
	switch {
	case g.w.randomPeers > 0:
		p = peer{addr: g.w.randomPeer(ei, r.IntN(g.w.randomPeers)), class: ClassInternet}
	case r.IntN(100) < 25: // east-west: the peer is another interface
		p = peer{addr: g.w.enis[g.pickENI()].v4, class: ClassInternet}
	default:
		p = g.w.peers[g.peerZipf.Uint64()]
	}
	local := e.v4
	if p.addr.Is6() {
		if e.v6.IsValid() {
			local = e.v6
		} else {
			p = peer{addr: g.w.enis[r.IntN(len(g.w.enis))].v4}
		}
	} else if e.v6.IsValid() && r.IntN(100) < 30 {
		local = e.v6
		p = peer{addr: randomIn(r, internetPrefixes[6])}
	}
	if x.proto == 1 && local.Is6() {
		x.proto = 58
	}
	eph := 32768 + r.IntN(28232)
	x.packets = 1 + int64(math.Floor(math.Pow(1-r.Float64(), -1/1.2)))
	if x.packets > 1_000_000 {
		x.packets = 1_000_000
	}
	x.bytes = x.packets * int64(40+r.IntN(1461))
	x.tcpFlags = []int{2, 18, 3, 19, 1, 0}[r.IntN(6)]
	reject := r.IntN(100) < 5
	if reject || r.IntN(2) == 0 { // ingress: the peer opens to a service port of the interface
		x.src, x.dst, x.srcPort, x.dstPort = p.addr, local, eph, sp.port
		if reject {
			x.dstPort = []int{22, 3389, 23, 445, 1433, 8080}[r.IntN(6)]
			x.proto, x.packets = 6, 1+int64(r.IntN(3))
			x.bytes = 40 * x.packets
			x.tcpFlags = 2
			x.action = "REJECT"
			g.res.rejected++
		}
	} else {
		x.src, x.dst, x.srcPort, x.dstPort = local, p.addr, eph, sp.port
		x.egress = true
		x.path = 1
		if !p.addr.IsPrivate() {
			x.path = 8
		}
	}
	if x.proto == 1 || x.proto == 58 {
		x.srcPort, x.dstPort = 0, 0
	}
	x.pktSrc, x.pktDst = x.src, x.dst
	g.res.records++
	g.res.bytes += x.bytes
	*buf = g.format(*buf, &x)
	return 1
}

// pickENI draws the index of an interface: by the Zipf law, or uniformly for Spread "random".
func (g *objGen) pickENI() int {
	if g.w.randomPeers > 0 {
		return g.r.IntN(len(g.w.enis))
	}
	return int(g.enZipf.Uint64())
}

func searchCum(v int) int {
	for i, c := range portCum {
		if v < c {
			return i
		}
	}
	return len(portCum) - 1
}

// nat appends one conversation through a NAT gateway: four records on its interface and, when
// configured, the workload interface's own two.
func (g *objGen) nat(buf *[]byte, base *rec) int64 {
	r := g.r
	ni := r.IntN(len(g.w.nats))
	n := &g.w.nats[ni].eni
	cls := Class(0)
	switch v := r.IntN(100); {
	case v < 40:
		cls = ClassS3
	case v < 50:
		cls = ClassDynamoDB
	case v < 65:
		cls = ClassAWSOther
	default:
		cls = ClassInternet
	}
	d := g.w.service[cls][r.IntN(len(g.w.service[cls]))].addr
	wl := base.eni
	up := 200 + int64(math.Floor(2000*math.Pow(1-r.Float64(), -1/1.3)))
	down := 500 + int64(math.Floor(8000*math.Pow(1-r.Float64(), -1/1.1)))
	if cls == ClassS3 && r.IntN(4) == 0 {
		up, down = down, up // an upload
	}
	eph, natPort := 32768+r.IntN(28232), 1024+r.IntN(64000)
	upPk, downPk := 1+up/1200, 1+down/1400
	svc := classService[cls]
	mk := func(src, dst, psrc, pdst netip.Addr, sp, dp int, pk, by int64, egress bool, path int) rec {
		x := *base
		x.eni = n
		x.src, x.dst, x.pktSrc, x.pktDst = src, dst, psrc, pdst
		x.srcPort, x.dstPort, x.proto = sp, dp, 6
		x.packets, x.bytes = pk, by
		x.egress, x.path = egress, path
		x.tcpFlags = 19
		x.srcSvc, x.dstSvc = "-", "-"
		if psrc == d {
			x.srcSvc = svc
		}
		if pdst == d {
			x.dstSvc = svc
		}
		return x
	}
	recs := []rec{
		mk(wl.v4, n.v4, wl.v4, d, eph, 443, upPk, up, false, 0),
		mk(n.v4, d, n.v4, d, natPort, 443, upPk, up, true, 8),
		mk(d, n.v4, d, n.v4, 443, natPort, downPk, down, false, 0),
		mk(n.v4, wl.v4, d, wl.v4, 443, eph, downPk, down, true, 1),
	}
	if g.cfg.NATInstanceCopies {
		a := mk(wl.v4, d, wl.v4, d, eph, 443, upPk, up, true, 1)
		b := mk(d, wl.v4, d, wl.v4, 443, eph, downPk, down, false, 0)
		a.eni, b.eni = wl, wl
		recs = append(recs, a, b)
	}
	for i := range recs {
		*buf = g.format(*buf, &recs[i])
		g.res.bytes += recs[i].bytes
	}
	g.res.records += int64(len(recs))
	t := &g.res.nat[ni]
	t.Conversations++
	t.BytesInFromSource += up
	t.BytesInFromDestination += down
	t.BytesByClass[ClassNames[cls]] += up + down
	return int64(len(recs))
}

// prepare chooses one formatter per field of the layout.
func (g *objGen) prepare() {
	w := g.w
	for _, id := range g.cfg.Fields.IDs {
		name := flowlog.Fields[id].Name
		var f func(b []byte, x *rec) []byte
		data := func(fn func(b []byte, x *rec) []byte) func(b []byte, x *rec) []byte {
			return func(b []byte, x *rec) []byte {
				if x.status != "OK" {
					return append(b, '-')
				}
				return fn(b, x)
			}
		}
		str := func(s func(x *rec) string) func(b []byte, x *rec) []byte {
			return func(b []byte, x *rec) []byte { return append(b, s(x)...) }
		}
		switch name {
		case "version":
			v := "2"
			if g.cfg.Fields.Len() != flowlog.DefaultLayout.Len() {
				v = "5"
			}
			f = str(func(*rec) string { return v })
		case "account-id":
			f = str(func(*rec) string { return w.account })
		case "interface-id":
			f = str(func(x *rec) string { return x.eni.id })
		case "srcaddr":
			f = data(func(b []byte, x *rec) []byte { return x.src.AppendTo(b) })
		case "dstaddr":
			f = data(func(b []byte, x *rec) []byte { return x.dst.AppendTo(b) })
		case "pkt-srcaddr":
			f = data(func(b []byte, x *rec) []byte { return x.pktSrc.AppendTo(b) })
		case "pkt-dstaddr":
			f = data(func(b []byte, x *rec) []byte { return x.pktDst.AppendTo(b) })
		case "srcport":
			f = data(func(b []byte, x *rec) []byte { return strconv.AppendInt(b, int64(x.srcPort), 10) })
		case "dstport":
			f = data(func(b []byte, x *rec) []byte { return strconv.AppendInt(b, int64(x.dstPort), 10) })
		case "protocol":
			f = data(func(b []byte, x *rec) []byte { return strconv.AppendInt(b, int64(x.proto), 10) })
		case "packets":
			f = data(func(b []byte, x *rec) []byte { return strconv.AppendInt(b, x.packets, 10) })
		case "bytes":
			f = data(func(b []byte, x *rec) []byte { return strconv.AppendInt(b, x.bytes, 10) })
		case "start":
			f = func(b []byte, x *rec) []byte { return strconv.AppendInt(b, x.start, 10) }
		case "end":
			f = func(b []byte, x *rec) []byte { return strconv.AppendInt(b, x.end, 10) }
		case "action":
			f = data(func(b []byte, x *rec) []byte { return append(b, x.action...) })
		case "log-status":
			f = str(func(x *rec) string { return x.status })
		case "vpc-id":
			f = str(func(x *rec) string { return x.eni.vpc })
		case "subnet-id":
			f = str(func(x *rec) string { return x.eni.subnet })
		case "instance-id":
			f = str(func(x *rec) string { return x.eni.instance })
		case "tcp-flags":
			f = data(func(b []byte, x *rec) []byte {
				if x.proto != 6 {
					return append(b, '0')
				}
				return strconv.AppendInt(b, int64(x.tcpFlags), 10)
			})
		case "type":
			f = data(func(b []byte, x *rec) []byte {
				if x.src.Is6() {
					return append(b, "IPv6"...)
				}
				return append(b, "IPv4"...)
			})
		case "region":
			f = str(func(*rec) string { return w.region })
		case "az-id":
			f = str(func(x *rec) string { return x.eni.az })
		case "pkt-src-aws-service":
			f = data(func(b []byte, x *rec) []byte { return appendDash(b, x.srcSvc) })
		case "pkt-dst-aws-service":
			f = data(func(b []byte, x *rec) []byte { return appendDash(b, x.dstSvc) })
		case "traffic-path":
			f = data(func(b []byte, x *rec) []byte {
				if x.path == 0 {
					return append(b, '-')
				}
				return strconv.AppendInt(b, int64(x.path), 10)
			})
		case "flow-direction":
			f = data(func(b []byte, x *rec) []byte {
				if x.egress {
					return append(b, "egress"...)
				}
				return append(b, "ingress"...)
			})
		case "reject-reason":
			// Block Public Access rejects a share of the rejected flows; the others have no reason.
			f = data(func(b []byte, x *rec) []byte {
				if x.action == "REJECT" && x.srcPort%4 == 0 {
					return append(b, "BPA"...)
				}
				return append(b, '-')
			})
		default:
			f = func(b []byte, _ *rec) []byte { return append(b, '-') }
		}
		g.writers = append(g.writers, f)
	}
}

func appendDash(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	return append(b, s...)
}

func (g *objGen) format(b []byte, x *rec) []byte {
	for i, f := range g.writers {
		if i > 0 {
			b = append(b, ' ')
		}
		b = f(b, x)
	}
	return append(b, '\n')
}
