package output

import (
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	pqgzip "github.com/parquet-go/parquet-go/compress/gzip"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/compress/uncompressed"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/flowlens/flowlens/flowlog"
)

// ParquetWriter writes decoded flow-log batches as one Parquet file with the Athena column names and
// the types of the AWS flow-log tables: strings (addresses too, as text), int32 for ports, protocol and
// the small integers, int64 for counters and times; every column optional ("-" is null); ZSTD pages.
// A file has one schema: a batch of another layout is an error naming it.
type ParquetWriter struct {
	out  io.Writer
	opts ParquetOptions
	w    *parquet.Writer
	// Buffered is the number of rows written since the last row group was flushed.
	Buffered int64
	schema   *arrow.Schema
	leaf     []int // Arrow column of each Parquet leaf column (Parquet orders a group's fields by name)
	rows     []parquet.Row
	text     []byte
}

// ParquetOptions tune a ParquetWriter.
type ParquetOptions struct {
	// Compression is zstd (the default), gzip, snappy or none.
	Compression string
	// RowGroupRows is the most rows of a row group (DefaultRowGroupRows when 0).
	RowGroupRows int64
}

// DefaultRowGroupRows makes row groups of about 120 MB before compression (measured on the
// converted 20 M-record v2 data set: 121 MB per row group of 1,048,576 rows, 115 bytes a row), near
// the 128 MB that Athena and Spark read best.
const DefaultRowGroupRows = 1 << 20

// NewParquetWriter returns a writer of Parquet to w with ZSTD pages; the schema comes from the first
// batch.
func NewParquetWriter(w io.Writer) *ParquetWriter { return &ParquetWriter{out: w} }

// NewParquetWriterOptions is NewParquetWriter with options.
func NewParquetWriterOptions(w io.Writer, opts ParquetOptions) (*ParquetWriter, error) {
	if _, err := codec(opts.Compression); err != nil {
		return nil, err
	}
	return &ParquetWriter{out: w, opts: opts}, nil
}

func codec(name string) (compress.Codec, error) {
	switch name {
	case "", "zstd":
		return &zstd.Codec{}, nil
	case "gzip":
		return &pqgzip.Codec{}, nil
	case "snappy":
		return &snappy.Codec{}, nil
	case "none":
		return &uncompressed.Codec{}, nil
	}
	return nil, fmt.Errorf("unknown compression %q (zstd, gzip, snappy or none)", name)
}

// parquetNode is the Parquet type of a decoded column.
func parquetNode(f arrow.Field) parquet.Node {
	switch f.Type.ID() {
	case arrow.UINT16, arrow.UINT8, arrow.INT32:
		return parquet.Optional(parquet.Int(32))
	case arrow.INT64:
		return parquet.Optional(parquet.Int(64))
	case arrow.FLOAT64:
		return parquet.Optional(parquet.Leaf(parquet.DoubleType))
	case arrow.BOOL:
		return parquet.Optional(parquet.Leaf(parquet.BooleanType))
	case arrow.TIMESTAMP:
		return parquet.Optional(parquet.Timestamp(parquet.Millisecond))
	}
	// Strings and addresses, dictionary-encoded: flow-log strings repeat (interfaces, accounts,
	// actions), and so do addresses within a row group; a reader then decodes (and parses) each
	// distinct value once per row group.
	return parquet.Optional(parquet.Encoded(parquet.String(), &parquet.RLEDictionary))
}

// orderedGroup is a parquet.Group whose columns keep the order of the Arrow schema (a Group alone
// sorts them by name): the select list's order, the flow-log layout's order.
type orderedGroup struct {
	parquet.Group
	fields []parquet.Field
}

func (g orderedGroup) Fields() []parquet.Field { return g.fields }

func newOrderedGroup(schema *arrow.Schema) orderedGroup {
	g := orderedGroup{Group: parquet.Group{}}
	for _, f := range schema.Fields() {
		g.Group[f.Name] = parquetNode(f)
	}
	byName := map[string]parquet.Field{}
	for _, f := range g.Group.Fields() {
		byName[f.Name()] = f
	}
	for _, f := range schema.Fields() {
		g.fields = append(g.fields, byName[f.Name])
	}
	return g
}

func (pw *ParquetWriter) start(schema *arrow.Schema) error {
	ps := parquet.NewSchema("flow_logs", newOrderedGroup(schema))
	pw.leaf = pw.leaf[:0]
	for _, path := range ps.Columns() {
		idx := schema.FieldIndices(path[0])
		if len(idx) != 1 {
			return fmt.Errorf("BUG: parquet column %v has no Arrow column", path)
		}
		pw.leaf = append(pw.leaf, idx[0])
	}
	pw.schema = schema
	c, err := codec(pw.opts.Compression)
	if err != nil {
		return err
	}
	rows := pw.opts.RowGroupRows
	if rows <= 0 {
		rows = DefaultRowGroupRows
	}
	pw.w = parquet.NewWriter(pw.out, ps, parquet.Compression(c), parquet.MaxRowsPerRowGroup(rows))
	return nil
}

// Write appends the rows of rec.
func (pw *ParquetWriter) Write(rec arrow.RecordBatch) error { return pw.WriteRows(rec, nil) }

// Flush ends the current row group.
func (pw *ParquetWriter) Flush() error {
	pw.Buffered = 0
	if pw.w == nil {
		return nil
	}
	return pw.w.Flush()
}

// WriteRows appends the rows of rec listed in sel (all rows when sel is nil).
func (pw *ParquetWriter) WriteRows(rec arrow.RecordBatch, sel []int32) error {
	if pw.w == nil {
		if err := pw.start(rec.Schema()); err != nil {
			return err
		}
	} else if !rec.Schema().Equal(pw.schema) {
		return fmt.Errorf("a Parquet file holds one layout: the input changes from %q to %q (convert the layouts apart)",
			fieldNames(pw.schema), fieldNames(rec.Schema()))
	}
	n := int(rec.NumRows())
	if sel != nil {
		n = len(sel)
	}
	rowAt := func(k int) int {
		if sel != nil {
			return int(sel[k])
		}
		return k
	}
	for cap(pw.rows) < n {
		pw.rows = append(pw.rows[:cap(pw.rows)], nil)
	}
	rows := pw.rows[:n]
	for r := range rows {
		rows[r] = rows[r][:0]
	}
	// Address text for the whole batch: the values point into it until WriteRows copies them.
	pw.text = pw.text[:0]
	for li, ci := range pw.leaf {
		col := rec.Column(ci)
		for k := 0; k < n; k++ {
			r := rowAt(k)
			if col.IsNull(r) {
				rows[k] = append(rows[k], parquet.Value{}.Level(0, 0, li))
				continue
			}
			var v parquet.Value
			switch c := col.(type) {
			case *array.Uint16:
				v = parquet.Int32Value(int32(c.Value(r)))
			case *array.Uint8:
				v = parquet.Int32Value(int32(c.Value(r)))
			case *array.Int32:
				v = parquet.Int32Value(c.Value(r))
			case *array.Int64:
				v = parquet.Int64Value(c.Value(r))
			case *array.FixedSizeBinary:
				start := len(pw.text)
				pw.text = append(pw.text, flowlog.AddrString(c.Value(r))...)
				v = parquet.ByteArrayValue(pw.text[start:len(pw.text):len(pw.text)])
			case *array.Dictionary:
				s := c.Dictionary().(*array.String).Value(c.GetValueIndex(r))
				v = parquet.ByteArrayValue([]byte(s))
			case *array.String:
				v = parquet.ByteArrayValue([]byte(c.Value(r)))
			case *array.Float64:
				v = parquet.DoubleValue(c.Value(r))
			case *array.Boolean:
				v = parquet.BooleanValue(c.Value(r))
			case *array.Timestamp:
				v = parquet.Int64Value(int64(c.Value(r)) * 1000) // seconds -> milliseconds
			default:
				return fmt.Errorf("BUG: no Parquet conversion for %s", col.DataType())
			}
			rows[k] = append(rows[k], v.Level(0, 1, li))
		}
	}
	_, err := pw.w.WriteRows(rows)
	pw.Buffered += int64(n)
	if rg := pw.opts.RowGroupRows; (rg > 0 && pw.Buffered >= rg) || (rg <= 0 && pw.Buffered >= DefaultRowGroupRows) {
		pw.Buffered = 0 // the writer started a new row group
	}
	return err
}

// Close finishes the file. Without any batch there is no schema, and nothing is written.
func (pw *ParquetWriter) Close() error {
	if pw.w == nil {
		return nil
	}
	return pw.w.Close()
}

func fieldNames(s *arrow.Schema) string {
	out := ""
	for i, f := range s.Fields() {
		if i > 0 {
			out += " "
		}
		out += f.Name
	}
	return out
}

// ArrowWriter writes decoded batches as an Arrow IPC stream. Strings are written as plain utf8 (each
// batch of the decoder has its own dictionary, which a stream cannot replace); addresses stay 16-byte
// fixed_size_binary with the field metadata flowlens.type=ip. A stream has one schema: a batch of
// another layout is an error.
type ArrowWriter struct {
	out    io.Writer
	w      *ipc.Writer
	schema *arrow.Schema // of the batches in
	plain  *arrow.Schema // written
	mem    memory.Allocator
}

// NewArrowWriter returns a writer of an Arrow IPC stream to w.
func NewArrowWriter(w io.Writer) *ArrowWriter {
	return &ArrowWriter{out: w, mem: memory.DefaultAllocator}
}

// Write appends rec.
func (aw *ArrowWriter) Write(rec arrow.RecordBatch) error {
	if aw.w == nil {
		fields := make([]arrow.Field, len(rec.Schema().Fields()))
		for i, f := range rec.Schema().Fields() {
			if f.Type.ID() == arrow.DICTIONARY {
				f.Type = arrow.BinaryTypes.String
			}
			fields[i] = f
		}
		aw.schema = rec.Schema()
		aw.plain = arrow.NewSchema(fields, nil)
		aw.w = ipc.NewWriter(aw.out, ipc.WithSchema(aw.plain), ipc.WithAllocator(aw.mem))
	} else if !rec.Schema().Equal(aw.schema) {
		return fmt.Errorf("an Arrow stream holds one layout: the input changes from %q to %q", fieldNames(aw.schema), fieldNames(rec.Schema()))
	}
	cols := make([]arrow.Array, rec.NumCols())
	for i := range cols {
		c := rec.Column(i)
		if d, ok := c.(*array.Dictionary); ok {
			b := array.NewStringBuilder(aw.mem)
			dict := d.Dictionary().(*array.String)
			for r := 0; r < d.Len(); r++ {
				if d.IsNull(r) {
					b.AppendNull()
				} else {
					b.Append(dict.Value(d.GetValueIndex(r)))
				}
			}
			cols[i] = b.NewArray()
			b.Release()
			continue
		}
		c.Retain()
		cols[i] = c
	}
	out := array.NewRecordBatch(aw.plain, cols, rec.NumRows())
	for _, c := range cols {
		c.Release()
	}
	defer out.Release()
	return aw.w.Write(out)
}

// Close ends the stream.
func (aw *ArrowWriter) Close() error {
	if aw.w == nil {
		return nil
	}
	return aw.w.Close()
}
