package query_test

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/query"
)

// namedQueries are the Athena named queries that the AWS VPC console creates with a flow-log table,
// written in the SQL that flowlens runs (and Athena too: the columns are the Athena table's). Each one
// is checked below against a plain-Go computation over the decoded records.
var namedQueries = []struct{ name, sql string }{
	{"accepted traffic",
		"SELECT * FROM vpc_flow_logs WHERE action = 'ACCEPT' ORDER BY start DESC, bytes DESC LIMIT 100"},
	{"admin-port traffic",
		"SELECT srcaddr, dstaddr, dstport, sum(bytes) AS bytes, count(*) AS flows FROM vpc_flow_logs WHERE dstport IN (22, 3389, 5432, 3306, 1433, 1521, 6379, 27017, 9200, 8080, 8443) GROUP BY srcaddr, dstaddr, dstport ORDER BY bytes DESC LIMIT 50"},
	{"IPv4 traffic",
		"SELECT date_trunc('hour', from_unixtime(start)) AS hour, count(*) AS flows, sum(packets) AS packets, sum(bytes) AS bytes FROM vpc_flow_logs WHERE contains('0.0.0.0/0', srcaddr) GROUP BY 1 ORDER BY 1"},
	{"IPv6 traffic",
		"SELECT srcaddr, dstaddr, count(*) AS flows, sum(bytes) AS bytes FROM vpc_flow_logs WHERE NOT contains('0.0.0.0/0', srcaddr) GROUP BY srcaddr, dstaddr ORDER BY bytes DESC LIMIT 50"},
	{"rejected TCP traffic",
		"SELECT interface_id, srcaddr, dstport, count(*) AS flows, sum(packets) AS packets FROM vpc_flow_logs WHERE action = 'REJECT' AND protocol = 6 GROUP BY interface_id, srcaddr, dstport ORDER BY flows DESC, packets DESC LIMIT 100"},
	{"rejected traffic",
		"SELECT day_of_week(from_unixtime(start)) AS day, interface_id, srcaddr, dstaddr, dstport, protocol, action FROM vpc_flow_logs WHERE action = 'REJECT' ORDER BY start DESC, bytes DESC LIMIT 100"},
	{"SSH/RDP traffic",
		"SELECT from_unixtime(start) AS start_time, interface_id, srcaddr, dstaddr, srcport, dstport, action, bytes FROM vpc_flow_logs WHERE srcport IN (22, 3389) OR dstport IN (22, 3389) ORDER BY start_time DESC LIMIT 100"},
	{"top talkers (50 IPs)",
		"SELECT srcaddr, sum(bytes) AS bytes FROM vpc_flow_logs GROUP BY srcaddr ORDER BY bytes DESC LIMIT 50"},
	{"top talkers at packet level",
		"SELECT pkt_srcaddr, sum(packets) AS packets FROM vpc_flow_logs GROUP BY 1 ORDER BY 2 DESC LIMIT 50"},
	{"top talking instances",
		"SELECT instance_id, sum(bytes) AS bytes, count(*) AS flows FROM vpc_flow_logs WHERE instance_id IS NOT NULL GROUP BY instance_id ORDER BY bytes DESC LIMIT 10"},
	{"top talking subnets",
		"SELECT subnet_id, sum(bytes) AS bytes, count(DISTINCT interface_id) AS interfaces FROM vpc_flow_logs GROUP BY subnet_id ORDER BY bytes DESC LIMIT 10"},
	{"top TCP traffic (for a source IP address)",
		"SELECT dstaddr, sum(packets) AS packetcount, sum(bytes) AS bytes FROM vpc_flow_logs WHERE protocol = 6 AND srcaddr = '10.0.0.14' GROUP BY dstaddr ORDER BY packetcount DESC LIMIT 10"},
	{"total bytes transferred (50 src/dst pairs)",
		"SELECT srcaddr, dstaddr, sum(bytes) AS bytes FROM vpc_flow_logs GROUP BY srcaddr, dstaddr ORDER BY bytes DESC LIMIT 50"},
	{"total bytes transferred at packet level",
		"SELECT pkt_srcaddr, pkt_dstaddr, sum(bytes) AS bytes FROM vpc_flow_logs GROUP BY pkt_srcaddr, pkt_dstaddr ORDER BY bytes DESC LIMIT 50"},
	{"traffic from a source address",
		"SELECT * FROM vpc_flow_logs WHERE srcaddr = '10.0.200.220' ORDER BY start DESC LIMIT 100"},
	{"traffic to a destination address",
		"SELECT srcaddr, srcport, dstport, protocol, packets, bytes, start, action FROM vpc_flow_logs WHERE dstaddr = '2600:1f18:4000:a106:8e59:8410:0:12' LIMIT 1000"},
}

// namedRefs compute each named query's answer from the decoded records with maps and sorts.
var namedRefs = map[string]func(d *sqData) sqWant{
	"accepted traffic": func(d *sqData) sqWant {
		var rows []sqRow
		for i := range d.recs {
			r := &d.recs[i]
			if r.is(flowlog.FAction, "ACCEPT") {
				rows = append(rows, sqRow{out: d.star(r), keys: []any{r.cell(flowlog.FStart), r.cell(flowlog.FBytes)}})
			}
		}
		return sqWant{cols: d.starCols(), rows: sqSort(rows, []bool{true, true}, 100)}
	},
	"admin-port traffic": func(d *sqData) sqWant {
		admin := map[int64]bool{22: true, 3389: true, 5432: true, 3306: true, 1433: true, 1521: true, 6379: true, 27017: true, 9200: true, 8080: true, 8443: true}
		gs := sqGroupBy(d, func(r *sqRec) bool { return !r.null(flowlog.FDstPort) && admin[r.i(flowlog.FDstPort)] },
			func(r *sqRec) []any {
				return []any{r.cell(flowlog.FSrcAddr), r.cell(flowlog.FDstAddr), r.cell(flowlog.FDstPort)}
			})
		var rows []sqRow
		for _, g := range gs {
			b := sqSum(g.recs, flowlog.FBytes)
			rows = append(rows, sqRow{out: []any{g.key[0], g.key[1], g.key[2], b, int64(len(g.recs))}, keys: []any{b}})
		}
		return sqWant{cols: []string{"srcaddr", "dstaddr", "dstport", "bytes", "flows"}, rows: sqSort(rows, []bool{true}, 50)}
	},
	"IPv4 traffic": func(d *sqData) sqWant {
		gs := sqGroupBy(d, func(r *sqRec) bool { return !r.null(flowlog.FSrcAddr) && r.a(flowlog.FSrcAddr).Is4() },
			func(r *sqRec) []any {
				if r.null(flowlog.FStart) {
					return []any{nil}
				}
				s := r.i(flowlog.FStart)
				return []any{sqTS(s - s%3600)}
			})
		var rows []sqRow
		for _, g := range gs {
			rows = append(rows, sqRow{out: []any{g.key[0], int64(len(g.recs)), sqSum(g.recs, flowlog.FPackets), sqSum(g.recs, flowlog.FBytes)}, keys: []any{g.key[0]}})
		}
		return sqWant{cols: []string{"hour", "flows", "packets", "bytes"}, rows: sqSort(rows, []bool{false}, -1)}
	},
	"IPv6 traffic": func(d *sqData) sqWant {
		gs := sqGroupBy(d, func(r *sqRec) bool { return !r.null(flowlog.FSrcAddr) && r.a(flowlog.FSrcAddr).Is6() },
			func(r *sqRec) []any { return []any{r.cell(flowlog.FSrcAddr), r.cell(flowlog.FDstAddr)} })
		var rows []sqRow
		for _, g := range gs {
			b := sqSum(g.recs, flowlog.FBytes)
			rows = append(rows, sqRow{out: []any{g.key[0], g.key[1], int64(len(g.recs)), b}, keys: []any{b}})
		}
		return sqWant{cols: []string{"srcaddr", "dstaddr", "flows", "bytes"}, rows: sqSort(rows, []bool{true}, 50)}
	},
	"rejected TCP traffic": func(d *sqData) sqWant {
		gs := sqGroupBy(d, func(r *sqRec) bool { return r.is(flowlog.FAction, "REJECT") && r.isInt(flowlog.FProtocol, 6) },
			func(r *sqRec) []any {
				return []any{r.cell(flowlog.FInterfaceID), r.cell(flowlog.FSrcAddr), r.cell(flowlog.FDstPort)}
			})
		var rows []sqRow
		for _, g := range gs {
			n, p := int64(len(g.recs)), sqSum(g.recs, flowlog.FPackets)
			rows = append(rows, sqRow{out: []any{g.key[0], g.key[1], g.key[2], n, p}, keys: []any{n, p}})
		}
		return sqWant{cols: []string{"interface_id", "srcaddr", "dstport", "flows", "packets"}, rows: sqSort(rows, []bool{true, true}, 100)}
	},
	"rejected traffic": func(d *sqData) sqWant {
		var rows []sqRow
		for i := range d.recs {
			r := &d.recs[i]
			if !r.is(flowlog.FAction, "REJECT") {
				continue
			}
			out := []any{sqDayOfWeek(r, time.UTC), r.cell(flowlog.FInterfaceID), r.cell(flowlog.FSrcAddr), r.cell(flowlog.FDstAddr),
				r.cell(flowlog.FDstPort), r.cell(flowlog.FProtocol), r.cell(flowlog.FAction)}
			rows = append(rows, sqRow{out: out, keys: []any{r.cell(flowlog.FStart), r.cell(flowlog.FBytes)}})
		}
		return sqWant{cols: []string{"day", "interface_id", "srcaddr", "dstaddr", "dstport", "protocol", "action"}, rows: sqSort(rows, []bool{true, true}, 100)}
	},
	"SSH/RDP traffic": func(d *sqData) sqWant {
		var rows []sqRow
		for i := range d.recs {
			r := &d.recs[i]
			if !(r.isInt(flowlog.FSrcPort, 22) || r.isInt(flowlog.FSrcPort, 3389) || r.isInt(flowlog.FDstPort, 22) || r.isInt(flowlog.FDstPort, 3389)) {
				continue
			}
			var ts any
			if !r.null(flowlog.FStart) {
				ts = sqTS(r.i(flowlog.FStart))
			}
			out := []any{ts, r.cell(flowlog.FInterfaceID), r.cell(flowlog.FSrcAddr), r.cell(flowlog.FDstAddr), r.cell(flowlog.FSrcPort),
				r.cell(flowlog.FDstPort), r.cell(flowlog.FAction), r.cell(flowlog.FBytes)}
			rows = append(rows, sqRow{out: out, keys: []any{ts}})
		}
		return sqWant{cols: []string{"start_time", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "action", "bytes"}, rows: sqSort(rows, []bool{true}, 100)}
	},
	"top talkers (50 IPs)": func(d *sqData) sqWant {
		return sqTop(d, []flowlog.FieldID{flowlog.FSrcAddr}, flowlog.FBytes, []string{"srcaddr", "bytes"}, 50)
	},
	"top talkers at packet level": func(d *sqData) sqWant {
		return sqTop(d, []flowlog.FieldID{sqField("pkt_srcaddr")}, flowlog.FPackets, []string{"pkt_srcaddr", "packets"}, 50)
	},
	"top talking instances": func(d *sqData) sqWant {
		inst := sqField("instance_id")
		gs := sqGroupBy(d, func(r *sqRec) bool { return !r.null(inst) }, func(r *sqRec) []any { return []any{r.cell(inst)} })
		var rows []sqRow
		for _, g := range gs {
			b := sqSum(g.recs, flowlog.FBytes)
			rows = append(rows, sqRow{out: []any{g.key[0], b, int64(len(g.recs))}, keys: []any{b}})
		}
		return sqWant{cols: []string{"instance_id", "bytes", "flows"}, rows: sqSort(rows, []bool{true}, 10)}
	},
	"top talking subnets": func(d *sqData) sqWant {
		sub := sqField("subnet_id")
		gs := sqGroupBy(d, nil, func(r *sqRec) []any { return []any{r.cell(sub)} })
		var rows []sqRow
		for _, g := range gs {
			b := sqSum(g.recs, flowlog.FBytes)
			rows = append(rows, sqRow{out: []any{g.key[0], b, sqCountDistinct(g.recs, flowlog.FInterfaceID)}, keys: []any{b}})
		}
		return sqWant{cols: []string{"subnet_id", "bytes", "interfaces"}, rows: sqSort(rows, []bool{true}, 10)}
	},
	"top TCP traffic (for a source IP address)": func(d *sqData) sqWant {
		src := netip.MustParseAddr("10.0.0.14")
		gs := sqGroupBy(d, func(r *sqRec) bool {
			return r.isInt(flowlog.FProtocol, 6) && !r.null(flowlog.FSrcAddr) && r.a(flowlog.FSrcAddr) == src
		}, func(r *sqRec) []any { return []any{r.cell(flowlog.FDstAddr)} })
		var rows []sqRow
		for _, g := range gs {
			p := sqSum(g.recs, flowlog.FPackets)
			rows = append(rows, sqRow{out: []any{g.key[0], p, sqSum(g.recs, flowlog.FBytes)}, keys: []any{p}})
		}
		return sqWant{cols: []string{"dstaddr", "packetcount", "bytes"}, rows: sqSort(rows, []bool{true}, 10)}
	},
	"total bytes transferred (50 src/dst pairs)": func(d *sqData) sqWant {
		return sqTop(d, []flowlog.FieldID{flowlog.FSrcAddr, flowlog.FDstAddr}, flowlog.FBytes, []string{"srcaddr", "dstaddr", "bytes"}, 50)
	},
	"total bytes transferred at packet level": func(d *sqData) sqWant {
		return sqTop(d, []flowlog.FieldID{sqField("pkt_srcaddr"), sqField("pkt_dstaddr")}, flowlog.FBytes, []string{"pkt_srcaddr", "pkt_dstaddr", "bytes"}, 50)
	},
	"traffic from a source address": func(d *sqData) sqWant {
		src := netip.MustParseAddr("10.0.200.220")
		var rows []sqRow
		for i := range d.recs {
			r := &d.recs[i]
			if !r.null(flowlog.FSrcAddr) && r.a(flowlog.FSrcAddr) == src {
				rows = append(rows, sqRow{out: d.star(r), keys: []any{r.cell(flowlog.FStart)}})
			}
		}
		return sqWant{cols: d.starCols(), rows: sqSort(rows, []bool{true}, 100)}
	},
	"traffic to a destination address": func(d *sqData) sqWant {
		dst := netip.MustParseAddr("2600:1f18:4000:a106:8e59:8410:0:12")
		var rows []sqRow
		for i := range d.recs {
			r := &d.recs[i]
			if !r.null(flowlog.FDstAddr) && r.a(flowlog.FDstAddr) == dst {
				out := []any{r.cell(flowlog.FSrcAddr), r.cell(flowlog.FSrcPort), r.cell(flowlog.FDstPort), r.cell(flowlog.FProtocol),
					r.cell(flowlog.FPackets), r.cell(flowlog.FBytes), r.cell(flowlog.FStart), r.cell(flowlog.FAction)}
				rows = append(rows, sqRow{out: out})
			}
		}
		if len(rows) >= 1000 {
			panic("the LIMIT must exceed the matching rows for an unordered comparison")
		}
		// No ORDER BY: any order is right; compared as a multiset.
		return sqWant{cols: []string{"srcaddr", "srcport", "dstport", "protocol", "packets", "bytes", "start", "action"}, rows: sqSort(rows, nil, -1), unordered: true}
	},
}

// TestNamedQueries runs the console's named queries over generated data in the v2 and v5 layouts,
// with 1 and 3 workers, and compares every row and column with the reference computation.
func TestNamedQueries(t *testing.T) {
	sets := sqNamedData(t)
	seen := map[string]bool{}
	for _, nq := range namedQueries {
		seen[nq.name] = true
		ref := namedRefs[nq.name]
		if ref == nil {
			t.Errorf("%s: no reference computation", nq.name)
			continue
		}
		t.Run(nq.name, func(t *testing.T) {
			for _, d := range sets {
				want := ref(d)
				if d.name == "v5" && len(want.rows) == 0 {
					t.Errorf("%s: the reference result is empty: the query tests nothing", d.name)
				}
				for _, w := range []int{1, 3} {
					p, err := query.PlanSQL(nq.sql, time.UTC)
					if err != nil {
						t.Fatalf("PlanSQL: %v", err)
					}
					res, err := p.Run(context.Background(), d.sources, query.RunOptions{Decode: flowlog.Options{}, Workers: w})
					if err != nil {
						t.Fatalf("%s, %d workers: Run: %v", d.name, w, err)
					}
					names, rows := sqRead(t, res, time.UTC)
					res.Release()
					sqCompare(t, fmt.Sprintf("%s, %d workers", d.name, w), names, rows, want)
				}
			}
		})
	}
	for name := range namedRefs {
		if !seen[name] {
			t.Errorf("reference %q has no query", name)
		}
	}
}

// TestSQLStartRangeGenerated: a WHERE bound on start becomes the plan's range (which the engine
// applies before the filter, and the CLI uses to skip objects), and the answer equals that of the
// same condition written so that it is not pushed down, and the reference's.
func TestSQLStartRangeGenerated(t *testing.T) {
	sets := sqNamedData(t)
	from, to := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	const tail = " GROUP BY interface_id ORDER BY bytes DESC LIMIT 20"
	const head = "SELECT interface_id, count(*) AS flows, sum(bytes) AS bytes FROM vpc_flow_logs WHERE "
	cases := []struct {
		where            string
		from, to         time.Time
		lo, hi           int64 // start in [lo, hi)
		pushed, unpushed string
	}{
		{where: "start >= 1793512800 AND start < 1793523600", from: from, to: to, lo: from.Unix(), hi: to.Unix(),
			unpushed: "start + 0 >= 1793512800 AND start + 0 < 1793523600"},
		{where: "from_unixtime(start) BETWEEN TIMESTAMP '2026-11-01 06:00:00' AND TIMESTAMP '2026-11-01 09:00:00' AND action = 'ACCEPT'",
			from: from, to: to.Add(time.Second), lo: from.Unix(), hi: to.Unix() + 1,
			unpushed: "to_unixtime(from_unixtime(start)) BETWEEN 1793512800 AND 1793523600 AND action = 'ACCEPT'"},
		{where: "1793523600 > start AND dstport = 443 AND start > 1793512799", from: from, to: to, lo: from.Unix(), hi: to.Unix(),
			unpushed: "1793523600 > start + 0 AND dstport = 443 AND start - 0 > 1793512799"},
	}
	for _, c := range cases {
		t.Run(c.where, func(t *testing.T) {
			pp, err := query.PlanSQL(head+c.where+tail, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			if !pp.From.Equal(c.from) || !pp.To.Equal(c.to) {
				t.Errorf("range [%v, %v), want [%v, %v)", pp.From, pp.To, c.from, c.to)
			}
			up, err := query.PlanSQL(head+c.unpushed+tail, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			if !up.From.IsZero() || !up.To.IsZero() {
				t.Errorf("%s: range [%v, %v), want none", c.unpushed, up.From, up.To)
			}
			for _, d := range sets {
				accept := strings.Contains(c.where, "ACCEPT")
				https := strings.Contains(c.where, "443")
				gs := sqGroupBy(d, func(r *sqRec) bool {
					if r.null(flowlog.FStart) || r.i(flowlog.FStart) < c.lo || r.i(flowlog.FStart) >= c.hi {
						return false
					}
					return (!accept || r.is(flowlog.FAction, "ACCEPT")) && (!https || r.isInt(flowlog.FDstPort, 443))
				}, func(r *sqRec) []any { return []any{r.cell(flowlog.FInterfaceID)} })
				var rows []sqRow
				for _, g := range gs {
					b := sqSum(g.recs, flowlog.FBytes)
					rows = append(rows, sqRow{out: []any{g.key[0], int64(len(g.recs)), b}, keys: []any{b}})
				}
				want := sqWant{cols: []string{"interface_id", "flows", "bytes"}, rows: sqSort(rows, []bool{true}, 20)}
				if len(want.rows) == 0 {
					t.Fatalf("%s: empty reference", d.name)
				}
				for _, p := range []*query.Plan{pp, up} {
					res, err := p.Run(context.Background(), d.sources, query.RunOptions{Workers: 2})
					if err != nil {
						t.Fatal(err)
					}
					names, got := sqRead(t, res, time.UTC)
					res.Release()
					sqCompare(t, fmt.Sprintf("%s, range [%v, %v)", d.name, p.From, p.To), names, got, want)
				}
			}
		})
	}
}

// sqData is a generated data set and its records, decoded once.
type sqData struct {
	name    string
	layout  *flowlog.Layout
	sources []flowlog.Source
	recs    []sqRec
}

// sqNamedData generates the two data sets and decodes them for the reference. Both come from the same
// seed, so that the addresses the queries name exist in both.
func sqNamedData(t *testing.T) []*sqData {
	t.Helper()
	var out []*sqData
	for _, c := range []struct {
		name    string
		layout  *flowlog.Layout
		records int64
		objects int
		gzip    bool
	}{
		{"v2", flowlog.DefaultLayout, 70_000, 4, true},
		{"v5", flowlog.V5Layout, 45_000, 3, false},
	} {
		dir := t.TempDir()
		if _, err := synth.Generate(synth.Config{Dir: dir, Seed: 11, Records: c.records, Objects: c.objects, Fields: c.layout, Layout: "flat",
			Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Gzip: c.gzip, NATInstanceCopies: true}); err != nil {
			t.Fatal(err)
		}
		sources, err := flowlog.ExpandLocal([]string{dir})
		if err != nil {
			t.Fatal(err)
		}
		d := &sqData{name: c.name, layout: c.layout, sources: sources, recs: sqDecode(t, sources)}
		out = append(out, d)
	}
	return out
}

// sqRec is one decoded record with the fields of versions 2 to 5, as plain Go values.
type sqRec struct {
	nulls uint64 // bit f: field f is null (or absent from the layout)
	ints  [sqMaxField]int64
	strs  [sqMaxField]string
	addrs [4]netip.Addr // srcaddr, dstaddr, pkt_srcaddr, pkt_dstaddr
}

// sqMaxField bounds the fields a sqRec holds: those of versions 2 to 5 come first in flowlog.Fields.
const sqMaxField = 29

func sqField(column string) flowlog.FieldID {
	f, ok := flowlog.LookupField(column)
	if !ok || f >= sqMaxField {
		panic("no field " + column)
	}
	return f
}

func sqAddrSlot(f flowlog.FieldID) int {
	switch flowlog.Fields[f].Column {
	case "srcaddr":
		return 0
	case "dstaddr":
		return 1
	case "pkt_srcaddr":
		return 2
	case "pkt_dstaddr":
		return 3
	}
	panic("not an address field")
}

func (r *sqRec) null(f flowlog.FieldID) bool         { return r.nulls&(1<<f) != 0 }
func (r *sqRec) i(f flowlog.FieldID) int64           { return r.ints[f] }
func (r *sqRec) s(f flowlog.FieldID) string          { return r.strs[f] }
func (r *sqRec) a(f flowlog.FieldID) netip.Addr      { return r.addrs[sqAddrSlot(f)] }
func (r *sqRec) is(f flowlog.FieldID, s string) bool { return !r.null(f) && r.s(f) == s }
func (r *sqRec) isInt(f flowlog.FieldID, v int64) bool {
	return !r.null(f) && r.i(f) == v
}

// cell is field f as a result cell: nil, int64, string or netip.Addr.
func (r *sqRec) cell(f flowlog.FieldID) any {
	if r.null(f) {
		return nil
	}
	switch flowlog.Fields[f].Kind {
	case flowlog.KindString:
		return r.s(f)
	case flowlog.KindAddr:
		return r.a(f)
	}
	return r.i(f)
}

// star is the row of SELECT *: the layout's columns in its order.
func (d *sqData) star(r *sqRec) []any {
	out := make([]any, len(d.layout.IDs))
	for i, f := range d.layout.IDs {
		out[i] = r.cell(f)
	}
	return out
}

func (d *sqData) starCols() []string {
	var out []string
	for _, f := range d.layout.IDs {
		out = append(out, flowlog.Fields[f].Column)
	}
	return out
}

// sqDecode decodes the sources into records, leaving out NODATA and SKIPDATA lines (not table rows).
func sqDecode(t *testing.T, sources []flowlog.Source) []sqRec {
	t.Helper()
	var recs []sqRec
	intern := map[string]string{}
	_, failed, err := flowlog.DecodeSources(context.Background(), sources, flowlog.Options{}, func(rec arrow.RecordBatch) error {
		n := int(rec.NumRows())
		base := len(recs)
		recs = append(recs, make([]sqRec, n)...)
		for i := range recs[base:] {
			recs[base+i].nulls = 1<<sqMaxField - 1 // absent fields are null
		}
		keep := make([]bool, n)
		for i := range keep {
			keep[i] = true
		}
		for ci, fld := range rec.Schema().Fields() {
			f, ok := flowlog.LookupField(fld.Name)
			if !ok {
				return fmt.Errorf("unknown column %s", fld.Name)
			}
			col := rec.Column(ci)
			for i := 0; i < n; i++ {
				if col.IsNull(i) {
					continue
				}
				if f >= sqMaxField {
					return fmt.Errorf("field %s beyond version 5", fld.Name)
				}
				r := &recs[base+i]
				r.nulls &^= 1 << f
				switch c := col.(type) {
				case *array.Dictionary:
					s := c.Dictionary().(*array.String).Value(c.GetValueIndex(i))
					is, ok := intern[s]
					if !ok {
						is = strings.Clone(s)
						intern[is] = is
					}
					r.strs[f] = is
					if f == flowlog.FLogStatus && (s == "NODATA" || s == "SKIPDATA") {
						keep[i] = false
					}
				case *array.FixedSizeBinary:
					r.addrs[sqAddrSlot(f)] = netip.AddrFrom16([16]byte(c.Value(i))).Unmap()
				case *array.Uint16:
					r.ints[f] = int64(c.Value(i))
				case *array.Uint8:
					r.ints[f] = int64(c.Value(i))
				case *array.Int32:
					r.ints[f] = int64(c.Value(i))
				case *array.Int64:
					r.ints[f] = c.Value(i)
				default:
					return fmt.Errorf("column %s: unexpected type %T", fld.Name, col)
				}
			}
		}
		k := base
		for i := 0; i < n; i++ {
			if keep[i] {
				recs[k] = recs[base+i]
				k++
			}
		}
		recs = recs[:k]
		return nil
	})
	if err != nil || len(failed) > 0 {
		t.Fatalf("decode: %v %v", err, failed)
	}
	return recs
}

// sqTS is a timestamp cell, as Unix seconds.
type sqTS int64

func (s sqTS) String() string { return time.Unix(int64(s), 0).UTC().Format("2006-01-02 15:04:05Z") }

// sqZoned is a timestamp cell shown in a zone other than the query's.
type sqZoned struct {
	ts   sqTS
	zone string
}

// sqRow is a reference row: its output cells and its ORDER BY keys.
type sqRow struct {
	out  []any
	keys []any
}

type sqWant struct {
	cols      []string
	rows      [][]any
	unordered bool // no ORDER BY: compare as multisets
}

// sqCmp orders cells of one column: nulls after every value; addresses as netip orders them (IPv4
// before IPv6), false before true.
func sqCmp(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	switch x := a.(type) {
	case int64:
		return cmpOrdered(x, b.(int64))
	case float64:
		return cmpOrdered(x, b.(float64))
	case string:
		return strings.Compare(x, b.(string))
	case netip.Addr:
		return x.Compare(b.(netip.Addr))
	case sqTS:
		return cmpOrdered(x, b.(sqTS))
	case sqZoned:
		return cmpOrdered(x.ts, b.(sqZoned).ts)
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	}
	panic(fmt.Sprintf("cannot compare %T", a))
}

func cmpOrdered[T int64 | float64 | sqTS](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sqSort orders rows as the plan documents: by the ORDER BY keys (desc[i] for key i; nulls last
// either way), then by every output column ascending (nulls last); and keeps limit rows (-1: all).
func sqSort(rows []sqRow, desc []bool, limit int) [][]any {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		for k := range desc {
			c := sqCmp(a.keys[k], b.keys[k])
			if c == 0 {
				continue
			}
			if a.keys[k] == nil || b.keys[k] == nil {
				return b.keys[k] == nil
			}
			if desc[k] {
				return c > 0
			}
			return c < 0
		}
		for k := range a.out {
			if c := sqCmp(a.out[k], b.out[k]); c != 0 {
				return c < 0
			}
		}
		return false
	})
	if limit >= 0 && len(rows) > limit {
		rows = rows[:limit]
	}
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = r.out
	}
	return out
}

type sqGroup struct {
	key  []any
	recs []*sqRec
}

// sqGroupBy groups the records that keep accepts (all when nil) by key (at most 4 parts).
func sqGroupBy(d *sqData, keep func(*sqRec) bool, key func(*sqRec) []any) []*sqGroup {
	m := map[[4]any]*sqGroup{}
	var out []*sqGroup
	for i := range d.recs {
		r := &d.recs[i]
		if keep != nil && !keep(r) {
			continue
		}
		ks := key(r)
		var mk [4]any
		copy(mk[:], ks)
		g := m[mk]
		if g == nil {
			g = &sqGroup{key: ks}
			m[mk] = g
			out = append(out, g)
		}
		g.recs = append(g.recs, r)
	}
	return out
}

// sqSum is SQL's sum: nil when no value is not null.
func sqSum(rs []*sqRec, f flowlog.FieldID) any {
	var s int64
	n := 0
	for _, r := range rs {
		if !r.null(f) {
			s += r.i(f)
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return s
}

func sqCountDistinct(rs []*sqRec, f flowlog.FieldID) int64 {
	seen := map[any]bool{}
	for _, r := range rs {
		if c := r.cell(f); c != nil {
			seen[c] = true
		}
	}
	return int64(len(seen))
}

// sqTop is SELECT keys…, sum(m) GROUP BY keys ORDER BY sum DESC LIMIT n.
func sqTop(d *sqData, keys []flowlog.FieldID, m flowlog.FieldID, cols []string, n int) sqWant {
	gs := sqGroupBy(d, nil, func(r *sqRec) []any {
		var k []any
		for _, f := range keys {
			k = append(k, r.cell(f))
		}
		return k
	})
	var rows []sqRow
	for _, g := range gs {
		s := sqSum(g.recs, m)
		rows = append(rows, sqRow{out: append(append([]any(nil), g.key...), s), keys: []any{s}})
	}
	return sqWant{cols: cols, rows: sqSort(rows, []bool{true}, n)}
}

// sqDayOfWeek is Trino's day_of_week of start: ISO, Monday 1 to Sunday 7.
func sqDayOfWeek(r *sqRec, loc *time.Location) any {
	if r.null(flowlog.FStart) {
		return nil
	}
	wd := time.Unix(r.i(flowlog.FStart), 0).In(loc).Weekday()
	if wd == time.Sunday {
		return int64(7)
	}
	return int64(wd)
}

// sqRead turns a result into its column names and rows of cells: nil, int64, float64, string,
// netip.Addr (a 16-byte column marked flowlens.type=ip), sqTS (timestamp[s] in loc) or bool.
func sqRead(t *testing.T, res *query.Result, loc *time.Location) ([]string, [][]any) {
	t.Helper()
	if res.Schema == nil {
		t.Fatalf("result without a schema")
	}
	var names []string
	for _, f := range res.Schema.Fields() {
		names = append(names, f.Name)
	}
	var rows [][]any
	for _, b := range res.Batches {
		if !b.Schema().Equal(res.Schema) {
			t.Errorf("batch schema %s differs from the result's %s", b.Schema(), res.Schema)
		}
		n := int(b.NumRows())
		base := len(rows)
		for range n {
			rows = append(rows, make([]any, b.NumCols()))
		}
		for ci, col := range b.Columns() {
			fld := b.Schema().Field(ci)
			for i := 0; i < n; i++ {
				if col.IsNull(i) {
					continue
				}
				var v any
				switch c := col.(type) {
				case *array.Int64:
					v = c.Value(i)
				case *array.Float64:
					v = c.Value(i)
				case *array.String:
					v = c.Value(i)
				case *array.Boolean:
					v = c.Value(i)
				case *array.FixedSizeBinary:
					if typ, ok := fld.Metadata.GetValue("flowlens.type"); !ok || typ != "ip" || len(c.Value(i)) != 16 {
						t.Fatalf("column %s: a binary column that is not an address (%v)", fld.Name, fld.Metadata)
					}
					v = netip.AddrFrom16([16]byte(c.Value(i))).Unmap()
				case *array.Timestamp:
					tt := c.DataType().(*arrow.TimestampType)
					if tt.Unit != arrow.Second {
						t.Fatalf("column %s: type %s, want timestamp[s] in %s", fld.Name, tt, loc)
					}
					v = sqTS(c.Value(i))
					if tt.TimeZone != loc.String() { // at_timezone: another zone, said in the cell
						v = sqZoned{sqTS(c.Value(i)), tt.TimeZone}
					}
				default:
					t.Fatalf("column %s: unexpected array %T", fld.Name, col)
				}
				rows[base+i][ci] = v
			}
		}
	}
	if int64(len(rows)) != res.Rows {
		t.Errorf("Result.Rows %d, batches hold %d", res.Rows, len(rows))
	}
	return names, rows
}

func sqSame(a, b any) bool {
	if x, ok := a.(float64); ok {
		y, ok := b.(float64)
		return ok && (x == y || math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y)))
	}
	return a == b
}

func sqFormatRow(r []any) string {
	var b strings.Builder
	b.WriteString("(")
	for i, c := range r {
		if i > 0 {
			b.WriteString(", ")
		}
		switch c := c.(type) {
		case nil:
			b.WriteString("NULL")
		case string:
			fmt.Fprintf(&b, "%q", c)
		case float64:
			fmt.Fprintf(&b, "%gd", c)
		default:
			fmt.Fprintf(&b, "%v", c)
		}
	}
	b.WriteString(")")
	return b.String()
}

// sqCompare checks names and rows against want: in order, or as multisets when want is unordered.
func sqCompare(t *testing.T, what string, names []string, rows [][]any, want sqWant) {
	t.Helper()
	if strings.Join(names, ",") != strings.Join(want.cols, ",") {
		t.Errorf("%s: columns %v, want %v", what, names, want.cols)
		return
	}
	if want.unordered {
		rows = append([][]any(nil), rows...)
		sort.SliceStable(rows, func(i, j int) bool {
			for k := range rows[i] {
				if c := sqCmp(rows[i][k], rows[j][k]); c != 0 {
					return c < 0
				}
			}
			return false
		})
	}
	bad := 0
	for i := 0; i < max(len(rows), len(want.rows)); i++ {
		var g, w []any
		if i < len(rows) {
			g = rows[i]
		}
		if i < len(want.rows) {
			w = want.rows[i]
		}
		same := len(g) == len(w) && g != nil && w != nil
		for k := 0; same && k < len(g); k++ {
			same = sqSame(g[k], w[k])
		}
		if same {
			continue
		}
		if bad++; bad > 5 {
			t.Errorf("%s: …", what)
			break
		}
		gs, ws := "(missing)", "(missing)"
		if g != nil {
			gs = sqFormatRow(g)
		}
		if w != nil {
			ws = sqFormatRow(w)
		}
		t.Errorf("%s: row %d\n got  %s\n want %s", what, i, gs, ws)
	}
	if len(rows) != len(want.rows) {
		t.Errorf("%s: %d rows, want %d", what, len(rows), len(want.rows))
	}
}
