package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/nat"
)

// Period is a second run set beside the report's: the period compared with (a run over Specs of
// the same options), or the history of the spike baseline (a run over HistorySpecs).
type Period struct {
	Result   *aggregate.Result
	Input    Input
	From, To time.Time // the range it was read with; zero when open
	Label    string    // how it was asked for: "--compare-period 7d", "--compare-to old/", …
	// Err says why the period could not be read; the rest is then empty and the report marks
	// the part that needed it as unavailable.
	Err string
}

// The statuses of a comparison.
const (
	CompareOK          = "ok"
	CompareUnavailable = "unavailable"
)

// The statuses of a key in a comparison.
const (
	KeyNew      = "new"      // in the report's period only
	KeyVanished = "vanished" // in the previous period only
	KeyChanged  = "changed"  // in both, with another measure (keys whose measures are the same are left out)
)

// ComparisonDoc is the report's period set against another (report --compare-to,
// --compare-period); docs/report-json.md.
type ComparisonDoc struct {
	Status string `json:"status"`
	// Reason says why the comparison is unavailable; left out when it is ok.
	Reason   string   `json:"reason,omitempty"`
	Label    string   `json:"label"`
	Previous RangeDoc `json:"previous_range"`
	// PreviousInput is the accounting of what the previous period's run read.
	PreviousInput *InputDoc   `json:"previous_input,omitempty"`
	Totals        TotalsDelta `json:"totals"`
	// Each list: the keys of either period whose measure changed, by the absolute change, largest
	// first (ties by key), top N; new and vanished keys marked in status.
	Interfaces    []DeltaDoc           `json:"interfaces"`
	Sources       []DeltaDoc           `json:"sources"`
	Destinations  []DeltaDoc           `json:"destinations"`
	Conversations []DeltaDoc           `json:"conversations"`
	Ports         []DeltaDoc           `json:"ports"`
	RejectReasons []DeltaDoc           `json:"reject_reasons"`
	Keys          map[string]KeyCounts `json:"keys"`
	// NAT compares the NAT reviews; absent when neither period has one.
	NAT *NATDelta `json:"nat,omitempty"`
}

// KeyCounts counts the keys of one list in each period, the new ones and the vanished ones.
type KeyCounts struct {
	Current  int `json:"current"`
	Previous int `json:"previous"`
	New      int `json:"new"`
	Vanished int `json:"vanished"`
}

// Change is one figure in both periods: change = current − previous; change_percent is the change
// as a percentage of previous, null when previous is 0.
type Change struct {
	Current       int64    `json:"current"`
	Previous      int64    `json:"previous"`
	Change        int64    `json:"change"`
	ChangePercent *float64 `json:"change_percent"`
}

// ChangeF is Change for amounts with a fraction (GB, dollars); each is null where unknown.
type ChangeF struct {
	Current       *float64 `json:"current"`
	Previous      *float64 `json:"previous"`
	Change        *float64 `json:"change"`
	ChangePercent *float64 `json:"change_percent"`
}

// TotalsDelta sets the totals of the two periods side by side.
type TotalsDelta struct {
	Bytes         Change `json:"bytes"`
	Packets       Change `json:"packets"`
	Flows         Change `json:"flows"`
	RejectedFlows Change `json:"rejected_flows"`
}

// KeyValue is one field of a key, named as the report's lists name it.
type KeyValue struct {
	Name  string
	Value any // *string or *int64: null when the key's value is missing
}

// DeltaDoc is one key of a list in both periods. Its JSON holds the key's fields first (as the
// report's list names them), then status, bytes, previous_bytes, change_bytes, flows,
// previous_flows, change_flows and change_percent (of the measure the list is sorted by).
type DeltaDoc struct {
	Key                               []KeyValue
	Status                            string
	Bytes, PreviousBytes, ChangeBytes int64
	Flows, PreviousFlows, ChangeFlows int64
	ChangePercent                     *float64
	sortKey                           []aggregate.Value
}

// MarshalJSON writes the key's fields, then the measures.
func (d DeltaDoc) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	put := func(name string, v any) error {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		x, err := json.Marshal(v)
		b.Write(x)
		return err
	}
	for _, kv := range d.Key {
		if err := put(kv.Name, kv.Value); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		n string
		v any
	}{{"status", d.Status}, {"bytes", d.Bytes}, {"previous_bytes", d.PreviousBytes}, {"change_bytes", d.ChangeBytes},
		{"flows", d.Flows}, {"previous_flows", d.PreviousFlows}, {"change_flows", d.ChangeFlows}, {"change_percent", d.ChangePercent}} {
		if err := put(f.n, f.v); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// NATDelta sets the NAT reviews of the two periods side by side.
type NATDelta struct {
	ProcessedGB    ChangeF            `json:"processed_gb"`
	NATCost        ChangeF            `json:"nat_cost"`
	MonthlyNATCost ChangeF            `json:"monthly_nat_cost_projected"`
	ByClass        map[string]ChangeF `json:"by_class"`
	Gateways       []GatewayDelta     `json:"gateways"`
}

// GatewayDelta is one NAT gateway interface in both periods, by the absolute change of its
// processed GB.
type GatewayDelta struct {
	InterfaceID string  `json:"interface_id"`
	Name        string  `json:"name,omitempty"`
	Status      string  `json:"status"`
	ProcessedGB ChangeF `json:"processed_gb"`
	NATCost     ChangeF `json:"nat_cost"`
}

func change(cur, prev int64) Change {
	c := Change{Current: cur, Previous: prev, Change: cur - prev}
	c.ChangePercent = percent(float64(cur-prev), float64(prev))
	return c
}

// percent is 100 × d / prev, rounded to 2 decimals; null when prev is 0.
func percent(d, prev float64) *float64 {
	if prev == 0 {
		return nil
	}
	x := math.Round(10000*d/prev) / 100
	return &x
}

func changeF(cur, prev *float64) ChangeF {
	c := ChangeF{Current: cur, Previous: prev}
	if cur != nil && prev != nil {
		d := math.Round((*cur-*prev)*1e6) / 1e6
		c.Change = &d
		c.ChangePercent = percent(*cur-*prev, *prev)
	}
	return c
}

func fptr(x float64) *float64 { return &x }

// keyed is one key of a list with its measures.
type keyed struct {
	key          []aggregate.Value
	bytes, flows int64
}

// dim is one list of the comparison: the field names of its key and its keyed measures.
type dim struct {
	names  []string
	fields []flowlog.FieldID
	byFlow bool // sorted by flows (reject reasons), else bytes
}

// keyedRows reads every group of t by the fields.
func keyedRows(t *aggregate.Table, fields []flowlog.FieldID) map[string]keyed {
	out := map[string]keyed{}
	if t == nil {
		return out
	}
	cols := make([]int, len(fields))
	for i, f := range fields {
		cols[i] = t.Col(f)
	}
	var id []byte
	for _, g := range t.Groups() {
		k := make([]aggregate.Value, len(fields))
		id = id[:0]
		for i, c := range cols {
			if c >= 0 {
				k[i] = t.Key(g, c)
			} else {
				k[i] = aggregate.Value{Null: true}
			}
			if k[i].Null {
				id = append(id, 0)
			} else {
				id = append(id, 1)
				id = append(id, k[i].String()...)
			}
			id = append(id, 0xff)
		}
		out[string(id)] = keyed{key: k, bytes: t.Value(g, aggregate.Bytes), flows: t.Value(g, aggregate.Flows)}
	}
	return out
}

// valueLess orders key values as the report's lists break ties: null first, then strings by
// their bytes, addresses by their 16 bytes, numbers by value.
func valueLess(a, b []aggregate.Value) bool {
	for i := range a {
		x, y := a[i], b[i]
		if x.Null != y.Null {
			return x.Null
		}
		if x.Null {
			continue
		}
		switch {
		case x.Str != y.Str:
			return x.Str < y.Str
		case x.Addr != y.Addr:
			return bytes.Compare(x.Addr[:], y.Addr[:]) < 0
		case x.Int != y.Int:
			return x.Int < y.Int
		}
	}
	return false
}

// compareKeys sets two periods' keyed measures side by side: every key whose measure changed, by
// the absolute change of bytes (or flows), largest first, ties by key; top n (0: all).
func compareKeys(d dim, cur, prev map[string]keyed, top int) ([]DeltaDoc, KeyCounts) {
	kc := KeyCounts{Current: len(cur), Previous: len(prev)}
	var out []DeltaDoc
	add := func(k []aggregate.Value, c, p keyed, status string) {
		dd := DeltaDoc{Status: status, Bytes: c.bytes, PreviousBytes: p.bytes, ChangeBytes: c.bytes - p.bytes,
			Flows: c.flows, PreviousFlows: p.flows, ChangeFlows: c.flows - p.flows, sortKey: k}
		if d.byFlow {
			dd.ChangePercent = percent(float64(dd.ChangeFlows), float64(p.flows))
		} else {
			dd.ChangePercent = percent(float64(dd.ChangeBytes), float64(p.bytes))
		}
		out = append(out, dd)
	}
	for id, c := range cur {
		p, ok := prev[id]
		switch {
		case !ok:
			kc.New++
			add(c.key, c, keyed{}, KeyNew)
		case p.bytes != c.bytes || p.flows != c.flows:
			add(c.key, c, p, KeyChanged)
		}
	}
	for id, p := range prev {
		if _, ok := cur[id]; !ok {
			kc.Vanished++
			add(p.key, keyed{}, p, KeyVanished)
		}
	}
	abs := func(x int64) int64 {
		if x < 0 {
			return -x
		}
		return x
	}
	measure := func(x DeltaDoc) (int64, int64) {
		if d.byFlow {
			return abs(x.ChangeFlows), abs(x.ChangeBytes)
		}
		return abs(x.ChangeBytes), abs(x.ChangeFlows)
	}
	sort.Slice(out, func(i, j int) bool {
		a1, a2 := measure(out[i])
		b1, b2 := measure(out[j])
		if a1 != b1 {
			return a1 > b1
		}
		if a2 != b2 {
			return a2 > b2
		}
		return valueLess(out[i].sortKey, out[j].sortKey)
	})
	if top > 0 && len(out) > top {
		out = out[:top]
	}
	for i := range out {
		for j, f := range d.fields {
			v := out[i].sortKey[j]
			var x any
			if flowlog.Fields[f].Kind == flowlog.KindString || flowlog.Fields[f].Kind == flowlog.KindAddr {
				x = valueStr(v)
			} else {
				x = valueInt(v)
			}
			out[i].Key = append(out[i].Key, KeyValue{Name: d.names[j], Value: x})
		}
	}
	if out == nil {
		out = []DeltaDoc{}
	}
	return out, kc
}

// The lists compared, and the tables they read.
var (
	dimInterfaces    = dim{names: []string{"interface_id"}, fields: []flowlog.FieldID{flowlog.FInterfaceID}}
	dimSources       = dim{names: []string{"srcaddr"}, fields: []flowlog.FieldID{flowlog.FSrcAddr}}
	dimDestinations  = dim{names: []string{"dstaddr"}, fields: []flowlog.FieldID{flowlog.FDstAddr}}
	dimConversations = dim{names: []string{"srcaddr", "dstaddr"}, fields: []flowlog.FieldID{flowlog.FSrcAddr, flowlog.FDstAddr}}
	dimPorts         = dim{names: []string{"dstport", "protocol"}, fields: []flowlog.FieldID{flowlog.FDstPort, flowlog.FProtocol}}
	dimReasons       = dim{names: []string{"reject_reason"}, fields: []flowlog.FieldID{fRejectReason}, byFlow: true}
)

// compareLists fills the lists of c from the builders of the two periods.
func compareLists(c *ComparisonDoc, cur, prev *builder, top int) {
	c.Keys = map[string]KeyCounts{}
	type list struct {
		name string
		d    dim
		t    func(b *builder) *aggregate.Table
		dst  *[]DeltaDoc
	}
	for _, l := range []list{
		{"interfaces", dimInterfaces, func(b *builder) *aggregate.Table { return b.interfaces() }, &c.Interfaces},
		{"sources", dimSources, func(b *builder) *aggregate.Table { return b.sources() }, &c.Sources},
		{"destinations", dimDestinations, func(b *builder) *aggregate.Table { return b.destinations() }, &c.Destinations},
		{"conversations", dimConversations, func(b *builder) *aggregate.Table { return b.res.Table(specConversations.Name) }, &c.Conversations},
		{"ports", dimPorts, func(b *builder) *aggregate.Table { return b.res.Table(specPorts.Name) }, &c.Ports},
		{"reject_reasons", dimReasons, func(b *builder) *aggregate.Table {
			if !b.res.Seen(fRejectReason) {
				return nil
			}
			return b.res.Table(specRejectReasons.Name)
		}, &c.RejectReasons},
	} {
		*l.dst, c.Keys[l.name] = compareKeys(l.d, keyedRows(l.t(cur), l.d.fields), keyedRows(l.t(prev), l.d.fields), top)
	}
}

// compareNAT sets two NAT reviews side by side (either may be nil).
func compareNAT(cur, prev *nat.Review, top int) *NATDelta {
	if cur == nil && prev == nil {
		return nil
	}
	total := func(r *nat.Review) (gb, cost, monthly *float64, class map[string]float64) {
		if r == nil {
			return fptr(0), fptr(0), fptr(0), map[string]float64{}
		}
		return fptr(r.Total.ProcessedGB), r.Total.NATCost, r.Total.MonthlyNATCost, r.Total.ByClass
	}
	cg, cc, cm, ccl := total(cur)
	pg, pc, pm, pcl := total(prev)
	d := &NATDelta{ProcessedGB: changeF(cg, pg), NATCost: changeF(cc, pc), MonthlyNATCost: changeF(cm, pm), ByClass: map[string]ChangeF{}, Gateways: []GatewayDelta{}}
	for _, k := range []string{"s3", "dynamodb", "aws_other", "internet"} {
		d.ByClass[k] = changeF(fptr(ccl[k]), fptr(pcl[k]))
	}
	gws := func(r *nat.Review) map[string]nat.GatewayDoc {
		m := map[string]nat.GatewayDoc{}
		if r != nil {
			for _, g := range r.NATGateways {
				m[g.InterfaceID] = g
			}
		}
		return m
	}
	cgw, pgw := gws(cur), gws(prev)
	zero := fptr(0)
	for id, g := range cgw {
		gd := GatewayDelta{InterfaceID: id, Name: g.Name, Status: KeyChanged}
		pcost := zero
		p, ok := pgw[id]
		if ok {
			pcost = p.NATCost
		} else {
			gd.Status = KeyNew
		}
		gd.ProcessedGB = changeF(fptr(g.ProcessedGB), fptr(p.ProcessedGB))
		gd.NATCost = changeF(g.NATCost, pcost)
		d.Gateways = append(d.Gateways, gd)
	}
	for id, p := range pgw {
		if _, ok := cgw[id]; !ok {
			d.Gateways = append(d.Gateways, GatewayDelta{InterfaceID: id, Name: p.Name, Status: KeyVanished,
				ProcessedGB: changeF(zero, fptr(p.ProcessedGB)), NATCost: changeF(zero, p.NATCost)})
		}
	}
	absC := func(c ChangeF) float64 {
		if c.Change == nil {
			return 0
		}
		return math.Abs(*c.Change)
	}
	sort.Slice(d.Gateways, func(i, j int) bool {
		a, b := absC(d.Gateways[i].ProcessedGB), absC(d.Gateways[j].ProcessedGB)
		if a != b {
			return a > b
		}
		return d.Gateways[i].InterfaceID < d.Gateways[j].InterfaceID
	})
	if top > 0 && len(d.Gateways) > top {
		d.Gateways = d.Gateways[:top]
	}
	return d
}

// buildComparison sets the report beside the period p.
func buildComparison(b *builder, p *Period) error {
	c := &ComparisonDoc{Status: CompareOK, Label: p.Label, Keys: map[string]KeyCounts{}}
	if !p.From.IsZero() {
		c.Previous.From = strp(p.From.In(b.loc).Format(time.RFC3339))
	}
	if !p.To.IsZero() {
		c.Previous.To = strp(p.To.In(b.loc).Format(time.RFC3339))
	}
	for _, l := range []*[]DeltaDoc{&c.Interfaces, &c.Sources, &c.Destinations, &c.Conversations, &c.Ports, &c.RejectReasons} {
		*l = []DeltaDoc{}
	}
	b.r.Comparison = c
	if p.Err != "" || p.Result == nil {
		c.Status, c.Reason = CompareUnavailable, p.Err
		if c.Reason == "" {
			c.Reason = "the previous period was not read"
		}
		b.r.Unavailable = append(b.r.Unavailable, "comparison: "+c.Reason)
		return nil
	}
	o := b.o
	o.From, o.To, o.Compare, o.Spikes = p.From, p.To, nil, nil
	prevRep, pb, err := build(p.Result, p.Input, o)
	if err != nil {
		return err
	}
	c.PreviousInput = &prevRep.Input
	cur, prev := b.r.Totals, prevRep.Totals
	c.Totals = TotalsDelta{Bytes: change(cur.Bytes, prev.Bytes), Packets: change(cur.Packets, prev.Packets),
		Flows: change(cur.Flows, prev.Flows), RejectedFlows: change(cur.RejectedFlows, prev.RejectedFlows)}
	compareLists(c, b, pb, b.top)
	c.NAT = compareNAT(b.r.NAT, prevRep.NAT, b.top)
	return nil
}

// changeText writes a change for people: "+1.2 MB (+25.00%)", "new", "−3 (−50.00%)".
func changeText(c Change) string {
	s := signed(c.Change, num)
	if c.ChangePercent != nil {
		s += fmt.Sprintf(" (%+.2f%%)", *c.ChangePercent)
	}
	return s
}

// signed writes n with its sign, through f for its magnitude.
func signed(n int64, f func(int64) string) string {
	switch {
	case n > 0:
		return "+" + f(n)
	case n < 0:
		return "−" + f(-n)
	}
	return "0"
}

func pctText(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%+.2f%%", *p)
}

func fText(x *float64, format string) string {
	if x == nil {
		return "unknown"
	}
	return fmt.Sprintf(format, *x)
}

// keyText writes a delta's key as the lists do: fields joined, null as "-".
func keyText(d DeltaDoc) string {
	var parts []string
	for _, kv := range d.Key {
		switch v := kv.Value.(type) {
		case *string:
			parts = append(parts, orDash(v))
		case *int64:
			if kv.Name == "protocol" {
				parts = append(parts, protoText(v))
			} else {
				parts = append(parts, intOrDash(v))
			}
		}
	}
	sep := " → "
	if len(d.Key) > 0 && d.Key[0].Name == "dstport" {
		sep = "/"
	}
	return strings.Join(parts, sep)
}

// comparisonLists are the comparison's lists with their titles, in order.
func (c *ComparisonDoc) lists() []struct {
	id, title string
	rows      []DeltaDoc
	byFlows   bool
} {
	return []struct {
		id, title string
		rows      []DeltaDoc
		byFlows   bool
	}{{"interfaces", "interfaces", c.Interfaces, false}, {"sources", "sources", c.Sources, false}, {"destinations", "destinations", c.Destinations, false},
		{"conversations", "conversations", c.Conversations, false}, {"ports", "destination ports", c.Ports, false}, {"reject_reasons", "reject reasons (by flows)", c.RejectReasons, true}}
}

func textComparison(r *Report, t *textOut) {
	c := r.Comparison
	if c == nil {
		return
	}
	t.flush()
	t.p("\nCOMPARED WITH %s (%s to %s)\n", c.Label, orDash(c.Previous.From), orDash(c.Previous.To))
	if c.Status != CompareOK {
		t.p("  unavailable: %s\n", c.Reason)
		return
	}
	tt := c.Totals
	t.p("  bytes %s → %s: %s\n", si(tt.Bytes.Previous), si(tt.Bytes.Current), changeText(tt.Bytes))
	t.p("  flows %s → %s: %s; rejected flows %s → %s: %s\n", num(tt.Flows.Previous), num(tt.Flows.Current), changeText(tt.Flows),
		num(tt.RejectedFlows.Previous), num(tt.RejectedFlows.Current), changeText(tt.RejectedFlows))
	if n := c.NAT; n != nil {
		t.p("  NAT processed GB %s → %s (%s); NAT cost %s → %s (%s)\n", fText(n.ProcessedGB.Previous, "%.3f"), fText(n.ProcessedGB.Current, "%.3f"),
			fText(n.ProcessedGB.Change, "%+.3f"), fText(n.NATCost.Previous, "$%.2f"), fText(n.NATCost.Current, "$%.2f"), fText(n.NATCost.Change, "%+.2f"))
	}
	for _, l := range c.lists() {
		k := c.Keys[l.id]
		t.table(fmt.Sprintf("  %s by change (%d new, %d vanished; %d keys now, %d before)", l.title, k.New, k.Vanished, k.Current, k.Previous),
			"key\tstatus\tbytes\tbefore\tchange\tflows\tbefore\tchange\t%\t")
		for _, d := range l.rows {
			t.row("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", keyText(d), d.Status, si(d.Bytes), si(d.PreviousBytes), signed(d.ChangeBytes, si),
				num(d.Flows), num(d.PreviousFlows), signed(d.ChangeFlows, num), pctText(d.ChangePercent))
		}
	}
	if n := c.NAT; n != nil && len(n.Gateways) > 0 {
		t.table("  NAT gateways by change", "interface\tstatus\tGB\tbefore\tchange\tcost\tbefore\tchange\t")
		for _, g := range n.Gateways {
			t.row("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", g.InterfaceID, g.Status, fText(g.ProcessedGB.Current, "%.3f"), fText(g.ProcessedGB.Previous, "%.3f"),
				fText(g.ProcessedGB.Change, "%+.3f"), fText(g.NATCost.Current, "$%.2f"), fText(g.NATCost.Previous, "$%.2f"), fText(g.NATCost.Change, "%+.2f"))
		}
	}
}
