package nat

import (
	"sort"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/cost"
	"github.com/flowlens/flowlens/enrich"
	"github.com/flowlens/flowlens/flowlog"
)

// aggByTag is the group-by of the by-tag section.
const aggByTag = "by_tag"

// ByTagDoc is the traffic per value of one tag of the interfaces (the records' interface): bytes,
// flows and rejected flows; and the NAT gateway bytes each value's workloads made a gateway
// process (the workload's tag: its address's owner), with their processing cost. The report's
// by_tag section and the cost review's (--by-tag).
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

// TagField is the enriched column of the interfaces' tag key (tag_team), when --tag-keys (or
// --by-tag) made it.
func TagField(key string) (flowlog.FieldID, bool) {
	return flowlog.LookupField("tag_" + flowlog.TagColumnKey(key))
}

// ByTagSpecs is the group-by of the by-tag section: the records by their interface's tag value.
// None when the tag has no column.
func ByTagSpecs(key string) []aggregate.Spec {
	f, ok := TagField(key)
	if key == "" || !ok {
		return nil
	}
	return []aggregate.Spec{{Name: aggByTag, Keys: []aggregate.Key{{Field: f}}, Measures: []aggregate.Measure{aggregate.Bytes, aggregate.Flows, aggregate.RejectFlows}}}
}

// BuildByTag reads the by-tag group-by (ByTagSpecs) of a run with the NAT review r (nil when there
// is none) and the prices of its region: the traffic per value of the tag key, largest first.
func BuildByTag(res *aggregate.Result, inv *enrich.Inventory, key string, r *Review, prices *cost.Prices) *ByTagDoc {
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
	f, _ := TagField(key)
	if t := res.Table(aggByTag); t != nil {
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
	if r != nil && prices != nil {
		if rp, err := prices.Region(r.Assumptions.Region); err == nil {
			perGB = rp.NATPerGB
		}
	}
	if r != nil && r.Status == StatusNoGateways {
		doc.Notes = append(doc.Notes, "the NAT gateways cannot be known (see the review): NAT bytes per tag are 0")
	}
	if r != nil {
		only := map[string]bool{}
		for _, g := range r.NATGateways {
			only[g.InterfaceID] = true
		}
		gws := ReadGateways(res, only)
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
			x.NATCost = ptr(cost.Cents(x.NATGB * perGB))
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
	return doc
}
