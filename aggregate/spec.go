package aggregate

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowlens/flowlens/flowlog"
)

// Trunc derives a key from a time column.
type Trunc uint8

// Time truncations. Hours and days are those of the engine's time zone.
const (
	TruncNone      Trunc = iota
	TruncHour            // the start of the hour, as Unix seconds
	TruncDay             // the local date, as days since 1970-01-01
	TruncMinute          // the start of the minute, as Unix seconds
	TruncHourOfDay       // the local hour of the day, 0–23
	TruncDayOfWeek       // the local day of the week, 1 (Monday) to 7 (Sunday), as Trino's day_of_week
)

// Key is one part of a group key: a decoded column, or the hour or day of a time column.
type Key struct {
	Field flowlog.FieldID
	Trunc Trunc
}

func (k Key) String() string {
	n := flowlog.Fields[k.Field].Name
	switch k.Trunc {
	case TruncHour:
		return "hour(" + n + ")"
	case TruncDay:
		return "day(" + n + ")"
	case TruncMinute:
		return "minute(" + n + ")"
	case TruncHourOfDay:
		return "hour_of_day(" + n + ")"
	case TruncDayOfWeek:
		return "day_of_week(" + n + ")"
	}
	return n
}

// Measure is a value kept per group.
type Measure uint8

// Measures. Flows counts records; the Reject measures count records whose action is REJECT.
const (
	Bytes Measure = iota
	Packets
	Flows
	RejectFlows
	RejectPackets
	RejectBytes
	MinStart // earliest start, Unix seconds (math.MaxInt64 when no record had one)
	MaxEnd   // latest end, Unix seconds (math.MinInt64 when no record had one)
	numMeasures
)

var measureNames = [numMeasures]string{"bytes", "packets", "flows", "rejected_flows", "rejected_packets", "rejected_bytes", "min_start", "max_end"}

func (m Measure) String() string {
	if m < numMeasures {
		return measureNames[m]
	}
	if m >= aggBase {
		return fmt.Sprintf("agg#%d", int(m-aggBase))
	}
	return fmt.Sprintf("distinct#%d", int(m-numMeasures))
}

// maxDistinct and maxAggs bound Spec.Distinct and Spec.Aggs: their measures share the Measure space.
const (
	maxDistinct = 32
	aggBase     = numMeasures + maxDistinct
	maxAggs     = 255 - int(aggBase)
)

// Distinct returns the measure that holds the exact count of distinct values of Spec.Distinct[i].
func Distinct(i int) Measure { return numMeasures + Measure(i) }

// AggMeasure returns the measure that holds Spec.Aggs[i].
func AggMeasure(i int) Measure { return aggBase + Measure(i) }

// AggOp is an aggregate of a numeric or time column.
type AggOp uint8

// Aggregates. Null values are left out; AggCount counts the rows whose value is not null. Sum adds
// in 64 bits (bytes of a year of flow logs fit many times over). Min and max hold math.MaxInt64 and
// math.MinInt64 while no value has been seen.
const (
	AggSum AggOp = iota
	AggMin
	AggMax
	AggCount
	AggNulls // rows whose value is null: with Flows, the non-null count of a column the fast path sums
)

// Agg is one aggregate: Op over the values of Field.
type Agg struct {
	Op    AggOp
	Field flowlog.FieldID
}

// Filter is a condition on records that the engine cannot express as a Cond: the query layer
// compiles WHERE clauses into one. It is shared by the workers; each worker asks New for a
// Selector of its own.
type Filter interface {
	// Fields lists the fields the condition reads.
	Fields() []flowlog.FieldID
	// New returns a selector for one goroutine.
	New() Selector
}

// Selector evaluates a Filter on batches, with scratch of its own.
type Selector interface {
	// Select returns the rows of sel (ascending row numbers of rec) that meet the condition, in
	// order, written over out's storage. It must not keep rec, sel or out.
	Select(rec arrow.RecordBatch, sel, out []int32) []int32
}

// Cond keeps the rows whose string field holds one of In (a null never matches), or, when Differ is
// set, the rows in which some pair of address fields differs: {srcaddr, pkt-srcaddr} and {dstaddr,
// pkt-dstaddr} select the records that a NAT gateway's interface logs with translated addresses. A
// pair with a null or missing side does not differ.
type Cond struct {
	Field  flowlog.FieldID
	In     []string
	Differ [][2]flowlog.FieldID
}

// Spec is one group-by: rows that pass every Where condition are grouped by Keys, and each group
// keeps Measures and the exact number of distinct values of each Distinct field (nulls not counted).
// A key part whose column a batch lacks is null for that batch's rows.
type Spec struct {
	Name     string
	Keys     []Key
	Measures []Measure
	Where    []Cond
	Filter   Filter // nil: no condition beyond Where
	Distinct []flowlog.FieldID
	Aggs     []Agg
}

func (s *Spec) validate() error {
	if s.Name == "" {
		return fmt.Errorf("aggregation without a name")
	}
	for _, k := range s.Keys {
		if int(k.Field) >= len(flowlog.Fields) {
			return fmt.Errorf("aggregation %s: unknown key field %d", s.Name, k.Field)
		}
		if k.Trunc > TruncDayOfWeek {
			return fmt.Errorf("aggregation %s: unknown truncation %d", s.Name, k.Trunc)
		}
		if k.Trunc != TruncNone && flowlog.Fields[k.Field].Kind != flowlog.KindTime {
			return fmt.Errorf("aggregation %s: %s is not a time field", s.Name, k)
		}
	}
	for _, m := range s.Measures {
		if m >= numMeasures {
			return fmt.Errorf("aggregation %s: unknown measure %d", s.Name, m)
		}
	}
	if len(s.Distinct) > maxDistinct || len(s.Aggs) > maxAggs {
		return fmt.Errorf("aggregation %s: at most %d distinct counts and %d aggregates", s.Name, maxDistinct, maxAggs)
	}
	for _, a := range s.Aggs {
		if int(a.Field) >= len(flowlog.Fields) || a.Op > AggNulls {
			return fmt.Errorf("aggregation %s: bad aggregate %v", s.Name, a)
		}
		switch k := flowlog.Fields[a.Field].Kind; {
		case a.Op == AggCount || a.Op == AggNulls:
		case k == flowlog.KindString || k == flowlog.KindAddr:
			return fmt.Errorf("aggregation %s: cannot take sum, min or max of %s (not a number)", s.Name, flowlog.Fields[a.Field].Name)
		}
	}
	for _, c := range s.Where {
		if len(c.Differ) > 0 {
			if len(c.Differ) > 4 {
				return fmt.Errorf("aggregation %s: Differ takes at most 4 pairs", s.Name)
			}
			for _, p := range c.Differ {
				if flowlog.Fields[p[0]].Kind != flowlog.KindAddr || flowlog.Fields[p[1]].Kind != flowlog.KindAddr {
					return fmt.Errorf("aggregation %s: Differ compares address fields", s.Name)
				}
			}
			continue
		}
		if int(c.Field) >= len(flowlog.Fields) || flowlog.Fields[c.Field].Kind != flowlog.KindString {
			return fmt.Errorf("aggregation %s: a condition needs a string field", s.Name)
		}
	}
	return nil
}

// condKey identifies a Where list and filter, so that specs with the same conditions share a
// selection.
func condKey(cs []Cond, f Filter) string {
	var b strings.Builder
	if f != nil {
		fmt.Fprintf(&b, "filter %p;", f)
	}
	for _, c := range cs {
		fmt.Fprintf(&b, "%d:%q:%v;", c.Field, c.In, c.Differ)
	}
	return b.String()
}
