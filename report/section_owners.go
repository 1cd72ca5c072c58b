package report

import (
	"net/netip"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/cost"
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
		if o.Enrich == nil {
			return nil
		}
		return nat.ByTagSpecs(o.ByTag)
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

// ByTagDoc is the traffic per value of one tag of the interfaces (nat.ByTagDoc, which the cost
// review shares).
type ByTagDoc = nat.ByTagDoc

// TagValue is one value of the tag.
type TagValue = nat.TagValue

// Untagged is the value of by_tag for interfaces without the tag.
const Untagged = nat.Untagged

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
	var prices *cost.Prices
	if b.o.NAT != nil {
		prices = b.o.NAT.Prices
	}
	b.r.ByTag = nat.BuildByTag(b.res, inv, b.o.ByTag, b.r.NAT, prices)
	return nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
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
