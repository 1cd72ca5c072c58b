package report

import (
	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/output"
)

// specConversations is traffic by (source, destination).
var specConversations = aggregate.Spec{Name: "conversations",
	Keys: []aggregate.Key{{Field: flowlog.FSrcAddr}, {Field: flowlog.FDstAddr}}, Measures: traffic}

// conversationsSection is the top sources, destinations and conversations by bytes.
var conversationsSection = section{
	name:  "conversations",
	specs: func(Options) []aggregate.Spec { return []aggregate.Spec{specConversations} },
	build: buildConversations,
	csv: func(r *Report) []output.CSVTable {
		return []output.CSVTable{{Name: "sources", Rows: r.Sources}, {Name: "destinations", Rows: r.Destinations}, {Name: "conversations", Rows: r.Conversations}}
	},
	text: func(r *Report, t *textOut) {
		t.table("TOP SOURCES (bytes out)", "srcaddr\tbytes\tpackets\tflows\t")
		for _, d := range r.Sources {
			t.row("%s\t%s\t%s\t%s\t\n", named(d.SrcAddr, d.Name, d.Type), si(d.Bytes), num(d.Packets), num(d.Flows))
		}
		t.table("TOP DESTINATIONS (bytes in)", "dstaddr\tbytes\tpackets\tflows\t")
		for _, d := range r.Destinations {
			t.row("%s\t%s\t%s\t%s\t\n", named(d.DstAddr, d.Name, d.Type), si(d.Bytes), num(d.Packets), num(d.Flows))
		}
		t.table("TOP CONVERSATIONS", "srcaddr\tdstaddr\tbytes\tpackets\tflows\t")
		for _, d := range r.Conversations {
			t.row("%s\t%s\t%s\t%s\t%s\t\n", named(d.SrcAddr, d.SrcName, nil), named(d.DstAddr, d.DstName, nil), si(d.Bytes), num(d.Packets), num(d.Flows))
		}
	},
}

// SourceDoc is one source address.
type SourceDoc struct {
	SrcAddr *string `json:"srcaddr"`
	Bytes   int64   `json:"bytes"`
	Packets int64   `json:"packets"`
	Flows   int64   `json:"flows"`
	Name    *string `json:"name,omitempty" csv:"optional"`           // --enrich: the owner of the address
	Type    *string `json:"interface_type,omitempty" csv:"optional"` // --enrich: its interface's type
}

// DestDoc is one destination address.
type DestDoc struct {
	DstAddr *string `json:"dstaddr"`
	Bytes   int64   `json:"bytes"`
	Packets int64   `json:"packets"`
	Flows   int64   `json:"flows"`
	Name    *string `json:"name,omitempty" csv:"optional"`
	Type    *string `json:"interface_type,omitempty" csv:"optional"`
}

// ConvDoc is one (source, destination) pair.
type ConvDoc struct {
	SrcAddr *string `json:"srcaddr"`
	DstAddr *string `json:"dstaddr"`
	Bytes   int64   `json:"bytes"`
	Packets int64   `json:"packets"`
	Flows   int64   `json:"flows"`
	SrcName *string `json:"src_name,omitempty" csv:"optional"` // --enrich
	DstName *string `json:"dst_name,omitempty" csv:"optional"`
}

func buildConversations(b *builder) error {
	// Sources and destinations are the conversations rolled up by one side: the same sums, without
	// two more address-keyed tables to probe per record (the report's costliest work after the
	// conversations themselves).
	conv := b.res.Table(specConversations.Name)
	var dst *aggregate.Table
	done := make(chan struct{})
	go func() {
		dst = conv.RollupBy("destinations", flowlog.FDstAddr)
		close(done)
	}()
	src := conv.RollupBy("sources", flowlog.FSrcAddr)
	b.rollups["sources"] = src
	b.r.Sources = addrDocs(src, flowlog.FSrcAddr, b.top, func(a *string, by, p, f int64) SourceDoc {
		return SourceDoc{SrcAddr: a, Bytes: by, Packets: p, Flows: f}
	})
	<-done
	b.rollups["destinations"] = dst
	b.r.Destinations = addrDocs(dst, flowlog.FDstAddr, b.top, func(a *string, by, p, f int64) DestDoc { return DestDoc{DstAddr: a, Bytes: by, Packets: p, Flows: f} })
	b.r.Conversations = []ConvDoc{}
	for _, g := range conv.Top(b.top, aggregate.Bytes) {
		b.r.Conversations = append(b.r.Conversations, ConvDoc{SrcAddr: valueStr(conv.KeyOf(g, flowlog.FSrcAddr)), DstAddr: valueStr(conv.KeyOf(g, flowlog.FDstAddr)),
			Bytes: conv.Value(g, aggregate.Bytes), Packets: conv.Value(g, aggregate.Packets), Flows: conv.Value(g, aggregate.Flows)})
	}
	return nil
}

// sources and destinations are the conversations rolled up by one side (made by the section).
func (b *builder) sources() *aggregate.Table {
	return b.rollup(specConversations, "sources", flowlog.FSrcAddr)
}

func (b *builder) destinations() *aggregate.Table {
	return b.rollup(specConversations, "destinations", flowlog.FDstAddr)
}

// addrDocs lists the top groups of a table keyed by the address field addr.
func addrDocs[T any](t *aggregate.Table, addr flowlog.FieldID, top int, mk func(a *string, b, p, f int64) T) []T {
	out := []T{}
	c := t.Col(addr)
	for _, g := range t.Top(top, aggregate.Bytes) {
		out = append(out, mk(valueStr(t.Key(g, c)), t.Value(g, aggregate.Bytes), t.Value(g, aggregate.Packets), t.Value(g, aggregate.Flows)))
	}
	return out
}
