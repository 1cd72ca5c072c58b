package report

import (
	"net/netip"
	"sort"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/enrich"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/nat"
	"github.com/flowlens/flowlens/output"
)

// ownersSection names what the other sections list, from the inventory of --enrich, says what the
// inventory held, and with --by-tag adds the traffic per tag value.
var ownersSection = section{
	name: "owners",
	specs: func(o Options) []aggregate.Spec {
		if o.Enrich == nil || o.ByTag == "" {
			return nil
		}
		f, ok := tagField(o.ByTag)
		if !ok {
			return nil
		}
		return []aggregate.Spec{{Name: "by_tag", Keys: []aggregate.Key{{Field: f}}, Measures: []aggregate.Measure{aggregate.Bytes, aggregate.Flows, aggregate.RejectFlows}}}
	},
	build: buildOwners,
	csv: func(r *Report) []output.CSVTable {
		if r.ByTag == nil {
			return nil
		}
		return []output.CSVTable{{Name: "by_tag", Rows: r.ByTag.Values}}
	},
	text: func(r *Report, t *textOut) {
		if r.ByTag != nil {
			t.table("BY TAG "+r.ByTag.Key, "value\tbytes\tflows\trejected\tNAT GB\tNAT cost\t")
			for _, d := range r.ByTag.Values {
				t.row("%s\t%s\t%s\t%s\t%.3f\t%s\t\n", d.Value, si(d.Bytes), num(d.Flows), num(d.RejectedFlows), d.NATGB, usd(d.NATCost))
			}
		}
		if e := r.Enrichment; e != nil {
			t.flush()
			t.p("\nINVENTORY %s\n  not in it: the interfaces of %d of %d rows; the source addresses of %d of %d records, the destination addresses of %d of %d\n",
				e.Summary, e.InterfacesMissing, e.InterfaceRows, e.SrcMissing, e.SrcRows, e.DstMissing, e.DstRows)
		}
	},
}

// EnrichmentDoc is what the inventory held, and the rows it did not name: counts of the decoded
// rows whose interface or address was looked up (null ones are not) and not found.
type EnrichmentDoc struct {
	Taken             string   `json:"taken"`
	Sources           []string `json:"sources"`
	Summary           string   `json:"summary"`
	InterfaceRows     int64    `json:"interface_rows"`
	InterfacesMissing int64    `json:"interfaces_not_found"`
	SrcRows           int64    `json:"src_rows"`
	SrcMissing        int64    `json:"src_not_found"`
	DstRows           int64    `json:"dst_rows"`
	DstMissing        int64    `json:"dst_not_found"`
}

// ByTagDoc is the traffic per value of one tag of the interfaces (the records' interface): bytes,
// flows and rejected flows; and the NAT gateway bytes each value's workloads made a gateway
// process (the workload's tag: its address's owner), with their processing cost.
type ByTagDoc struct {
	Key    string     `json:"key"`
	Values []TagValue `json:"values"`
	Notes  []string   `json:"notes"`
}

// TagValue is one value of the tag; "untagged" gathers interfaces without it and those the
// inventory does not hold.
type TagValue struct {
	Value         string   `json:"value"`
	Bytes         int64    `json:"bytes"`
	Flows         int64    `json:"flows"`
	RejectedFlows int64    `json:"rejected_flows"`
	NATBytes      int64    `json:"nat_bytes"`
	NATGB         float64  `json:"nat_gb"`
	NATCost       *float64 `json:"nat_processing_cost"`
}

// Untagged is the value of by_tag for interfaces without the tag.
const Untagged = "untagged"

func tagField(key string) (flowlog.FieldID, bool) {
	return flowlog.LookupField("tag_" + flowlog.TagColumnKey(key))
}

func buildOwners(b *builder) error {
	d := b.o.Enrich
	if d == nil {
		return nil
	}
	inv := d.Inventory()
	c := d.Counts()
	b.r.Enrichment = &EnrichmentDoc{Taken: inv.TakenText(), Sources: inv.Sources, Summary: inv.Summary(),
		InterfaceRows: c.InterfaceRows.Load(), InterfacesMissing: c.InterfaceMissing.Load(),
		SrcRows: c.SrcRows.Load(), SrcMissing: c.SrcMissing.Load(), DstRows: c.DstRows.Load(), DstMissing: c.DstMissing.Load()}
	for i := range b.r.Interfaces {
		x := &b.r.Interfaces[i]
		if x.InterfaceID == nil {
			continue
		}
		if o := inv.ByID(*x.InterfaceID); o != nil {
			x.Name, x.Type = nonEmpty(o.Name), nonEmpty(o.Type)
		}
	}
	addr := func(s *string) *enrich.Interface {
		if s == nil {
			return nil
		}
		a, err := netip.ParseAddr(*s)
		if err != nil {
			return nil
		}
		return inv.ByAddr(a)
	}
	for i := range b.r.Sources {
		if o := addr(b.r.Sources[i].SrcAddr); o != nil {
			b.r.Sources[i].Name, b.r.Sources[i].Type = nonEmpty(o.Name), nonEmpty(o.Type)
		}
	}
	for i := range b.r.Destinations {
		if o := addr(b.r.Destinations[i].DstAddr); o != nil {
			b.r.Destinations[i].Name, b.r.Destinations[i].Type = nonEmpty(o.Name), nonEmpty(o.Type)
		}
	}
	// The addresses not in the inventory, counted over every conversation (records with
	// log-status OK): exact, whatever the enriched columns read.
	if conv := b.res.Table(specConversations.Name); conv != nil && b.r.Enrichment.SrcRows == 0 && b.r.Enrichment.DstRows == 0 {
		e := b.r.Enrichment
		cs, cd := conv.Col(flowlog.FSrcAddr), conv.Col(flowlog.FDstAddr)
		for _, g := range conv.Groups() {
			n := conv.Value(g, aggregate.Flows)
			if k := conv.Key(g, cs); !k.Null {
				e.SrcRows += n
				if inv.ByAddr(k.IP()) == nil {
					e.SrcMissing += n
				}
			}
			if k := conv.Key(g, cd); !k.Null {
				e.DstRows += n
				if inv.ByAddr(k.IP()) == nil {
					e.DstMissing += n
				}
			}
		}
	}
	for i := range b.r.Conversations {
		if o := addr(b.r.Conversations[i].SrcAddr); o != nil {
			b.r.Conversations[i].SrcName = nonEmpty(o.Name)
		}
		if o := addr(b.r.Conversations[i].DstAddr); o != nil {
			b.r.Conversations[i].DstName = nonEmpty(o.Name)
		}
	}
	if b.o.ByTag == "" {
		return nil
	}
	return buildByTag(b, inv)
}

func buildByTag(b *builder, inv *enrich.Inventory) error {
	key := b.o.ByTag
	doc := &ByTagDoc{Key: key, Values: []TagValue{}, Notes: []string{
		"bytes, flows and rejected_flows are those of the records' interfaces that carry the tag (untagged: without it, or not in the inventory)",
		"nat_bytes are the bytes NAT gateways processed for the workloads (the private side of each translated record) whose interface carries the tag; nat_processing_cost is nat_gb × the NAT per-GB price (the gateways' hours are not shared out)",
	}}
	vals := map[string]*TagValue{}
	get := func(v string) *TagValue {
		if v == "" {
			v = Untagged
		}
		x := vals[v]
		if x == nil {
			x = &TagValue{Value: v}
			vals[v] = x
		}
		return x
	}
	f, _ := tagField(key)
	if t := b.res.Table("by_tag"); t != nil {
		c := t.Col(f)
		for _, g := range t.Groups() {
			k := t.Key(g, c)
			v := ""
			if !k.Null {
				v = k.Str
			}
			x := get(v)
			x.Bytes += t.Value(g, aggregate.Bytes)
			x.Flows += t.Value(g, aggregate.Flows)
			x.RejectedFlows += t.Value(g, aggregate.RejectFlows)
		}
	}
	// NAT: the workloads of the translated records of the gateways the review found.
	perGB := -1.0
	if b.o.NAT != nil && b.r.NAT != nil && b.o.NAT.Prices != nil {
		if rp, err := b.o.NAT.Prices.Region(b.r.NAT.Assumptions.Region); err == nil {
			perGB = rp.NATPerGB
		}
	}
	if b.r.NAT != nil {
		only := map[string]bool{}
		for _, g := range b.r.NAT.NATGateways {
			only[g.InterfaceID] = true
		}
		gws := nat.ReadGateways(b.res, only)
		if len(gws) == 0 && len(only) > 0 {
			doc.Notes = append(doc.Notes, "NAT bytes per tag need the pkt-srcaddr and pkt-dstaddr fields (which workload each translated record is for): without them they are 0")
		}
		for _, g := range gws {
			for _, fl := range g.Flows {
				v := ""
				if o := inv.ByAddr(fl.Workload); o != nil {
					v = o.Tags[key]
				}
				get(v).NATBytes += fl.Bytes
			}
		}
	} else {
		doc.Notes = append(doc.Notes, "no NAT gateway review: NAT bytes per tag are 0")
	}
	for _, x := range vals {
		x.NATGB = float64(x.NATBytes) / 1e9
		if perGB >= 0 {
			c := cents(x.NATGB * perGB)
			x.NATCost = &c
		}
		doc.Values = append(doc.Values, *x)
	}
	sort.Slice(doc.Values, func(i, j int) bool {
		a, c := doc.Values[i], doc.Values[j]
		if a.Bytes != c.Bytes {
			return a.Bytes > c.Bytes
		}
		return a.Value < c.Value
	})
	b.r.ByTag = doc
	return nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func cents(x float64) float64 {
	if x < 0 {
		return -cents(-x)
	}
	return float64(int64(x*100+0.5)) / 100
}

// named writes an id or address with its owner's name and type: "eni-0a1 (web-1, interface)".
func named(id, name, typ *string) string {
	s := orDash(id)
	switch {
	case name != nil && typ != nil && *typ != "interface":
		return s + " (" + *name + ", " + *typ + ")"
	case name != nil:
		return s + " (" + *name + ")"
	case typ != nil && *typ != "interface":
		return s + " (" + *typ + ")"
	}
	return s
}
