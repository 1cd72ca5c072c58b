package query

import (
	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
)

// The aggregates: each maps onto the engine's measures of a group (addAggregate), and aggVec reads
// them back by the aggRef's fn.
func init() {
	register(
		&funcDef{name: "count", kind: aggregateFunc, arity: 1, args: "* | x column | DISTINCT x column", result: "bigint",
			doc: "the number of flows (*), of the flows where x is not NULL, or of the distinct values of x",
			agg: &aggDef{star: countStar, distinct: countDistinct, measure: countColumn}},
		&funcDef{name: "sum", kind: aggregateFunc, arity: 1, args: "x bigint column", result: "bigint",
			doc: "the sum of x; NULL when every x is NULL",
			agg: &aggDef{numeric: true, measure: sumColumn}},
		&funcDef{name: "avg", kind: aggregateFunc, arity: 1, args: "x bigint column", result: "double",
			doc: "the mean of the values of x that are not NULL",
			agg: &aggDef{numeric: true, measure: avgColumn}},
		&funcDef{name: "min", kind: aggregateFunc, arity: 1, args: "x bigint column | from_unixtime(t bigint column)",
			result: "bigint | timestamp", doc: "the smallest value of x, or the earliest time of t",
			agg: &aggDef{numeric: true, timeArg: true, measure: minMax(aggregate.AggMin, "min")}},
		&funcDef{name: "max", kind: aggregateFunc, arity: 1, args: "x bigint column | from_unixtime(t bigint column)",
			result: "bigint | timestamp", doc: "the largest value of x, or the latest time of t",
			agg: &aggDef{numeric: true, timeArg: true, measure: minMax(aggregate.AggMax, "max")}},
	)
}

// addAgg returns the measure of op over field f, adding it to the spec once.
func addAgg(s *aggregate.Spec, op aggregate.AggOp, f flowlog.FieldID) aggregate.Measure {
	for j, a := range s.Aggs {
		if a.Op == op && a.Field == f {
			return aggregate.AggMeasure(j)
		}
	}
	s.Aggs = append(s.Aggs, aggregate.Agg{Op: op, Field: f})
	return aggregate.AggMeasure(len(s.Aggs) - 1)
}

func countStar(s *aggregate.Spec) aggRef {
	s.Measures = appendMeasure(s.Measures, aggregate.Flows)
	return aggRef{fn: "count", t: tInt, measure: aggregate.Flows, count: noCount, nulls: noCount}
}

func countDistinct(s *aggregate.Spec, f flowlog.FieldID) aggRef {
	for j, d := range s.Distinct {
		if d == f {
			return aggRef{fn: "distinct", t: tInt, measure: aggregate.Distinct(j), count: noCount, nulls: noCount}
		}
	}
	s.Distinct = append(s.Distinct, f)
	return aggRef{fn: "distinct", t: tInt, measure: aggregate.Distinct(len(s.Distinct) - 1), count: noCount, nulls: noCount}
}

func countColumn(s *aggregate.Spec, f flowlog.FieldID, _ bool) aggRef {
	return aggRef{fn: "count", t: tInt, measure: addAgg(s, aggregate.AggCount, f), count: noCount, nulls: noCount}
}

func sumColumn(s *aggregate.Spec, f flowlog.FieldID, _ bool) aggRef {
	// Bytes and packets: the engine's own measures, on its fast path; the nulls are counted only
	// in batches that have any, to tell an all-null group (NULL) from a sum of 0.
	if f == flowlog.FBytes || f == flowlog.FPackets {
		m := aggregate.Bytes
		if f == flowlog.FPackets {
			m = aggregate.Packets
		}
		s.Measures = appendMeasure(appendMeasure(s.Measures, m), aggregate.Flows)
		return aggRef{fn: "sum", t: tInt, measure: m, count: noCount, nulls: addAgg(s, aggregate.AggNulls, f)}
	}
	return aggRef{fn: "sum", t: tInt, measure: addAgg(s, aggregate.AggSum, f), count: addAgg(s, aggregate.AggCount, f), nulls: noCount}
}

func avgColumn(s *aggregate.Spec, f flowlog.FieldID, _ bool) aggRef {
	return aggRef{fn: "avg", t: tFloat, measure: addAgg(s, aggregate.AggSum, f), count: addAgg(s, aggregate.AggCount, f), nulls: noCount}
}

// minMax is min or max (fn, as aggVec reads it): of a time column under from_unixtime, a timestamp.
func minMax(op aggregate.AggOp, fn string) func(s *aggregate.Spec, f flowlog.FieldID, isTime bool) aggRef {
	return func(s *aggregate.Spec, f flowlog.FieldID, isTime bool) aggRef {
		t := tInt
		if isTime {
			t = tTime
		}
		return aggRef{fn: fn, t: t, measure: addAgg(s, op, f), count: noCount, nulls: noCount}
	}
}
