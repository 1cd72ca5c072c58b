package query

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/flowlens/flowlens/flowlog"
)

// ipMeta marks the 16-byte columns that hold addresses, so that every writer prints them as text.
var ipMeta = arrow.NewMetadata([]string{"flowlens.type"}, []string{"ip"})

// outField is the Arrow field of an output column of type t: bigint as int64, double as float64,
// varchar as a string, an address as 16 bytes (written as text), a timestamp as seconds in the
// query's zone, a boolean as a boolean.
func outField(name string, t typ, loc *time.Location) arrow.Field {
	f := arrow.Field{Name: name, Nullable: true}
	switch t {
	case tInt:
		f.Type = arrow.PrimitiveTypes.Int64
	case tFloat:
		f.Type = arrow.PrimitiveTypes.Float64
	case tStr:
		f.Type = arrow.BinaryTypes.String
	case tAddr:
		f.Type = flowlog.AddrType
		f.Metadata = ipMeta
	case tTime:
		f.Type = &arrow.TimestampType{Unit: arrow.Second, TimeZone: loc.String()}
	default: // boolean, and the type of a bare NULL
		f.Type = arrow.FixedWidthTypes.Boolean
	}
	return f
}

// vecArray builds the Arrow array of elements sel of v.
func vecArray(v *vec, sel []int32, dt arrow.DataType) arrow.Array {
	switch b := array.NewBuilder(memory.DefaultAllocator, dt).(type) {
	case *array.Int64Builder:
		return build(b, v, sel, func(k int32) int64 { return v.i[k] })
	case *array.Float64Builder:
		return build(b, v, sel, func(k int32) float64 { return v.f[k] })
	case *array.StringBuilder:
		return build(b, v, sel, func(k int32) string { return v.s[k] })
	case *array.TimestampBuilder:
		return build(b, v, sel, func(k int32) arrow.Timestamp { return arrow.Timestamp(v.i[k]) })
	case *array.BooleanBuilder:
		return build(b, v, sel, func(k int32) bool { return v.i[k] == 1 })
	case *array.FixedSizeBinaryBuilder:
		return build(b, v, sel, func(k int32) []byte { a := v.a[k].As16(); return a[:] })
	default:
		panic(fmt.Sprintf("BUG: no builder for %s", dt))
	}
}

// builder is the part of Arrow's typed builders that build uses.
type builder[T any] interface {
	array.Builder
	Append(T)
}

// build appends elements sel of v (value(k) for each) to b and returns the array.
func build[T any](b builder[T], v *vec, sel []int32, value func(int32) T) arrow.Array {
	defer b.Release()
	b.Reserve(len(sel))
	for _, k := range sel {
		if v.t == tNull || v.isNull(int(k)) {
			b.AppendNull()
		} else {
			b.Append(value(k))
		}
	}
	return b.NewArray()
}

func arrowRecord(s *arrow.Schema, cols []arrow.Array, n int64) arrow.RecordBatch {
	return array.NewRecordBatch(s, cols, n)
}
