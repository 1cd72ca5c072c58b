package flowlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/parquet-go/parquet-go"
)

// IsParquetName reports whether an object name is a Parquet file: .parquet (AWS delivers
// .log.parquet).
func IsParquetName(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".parquet") }

// DecodeParquet decodes a Parquet flow-log file — as AWS delivers it (underscore column names,
// "-" or null for a missing value) or as flowlens writes it — into the same batches as the text
// decoder: the columns it knows by name, in file order (others are left out), with Options.Need.
// Each row counts as a line of the accounting (records, NODATA, SKIPDATA, or malformed, with its row
// number as the line).
func DecodeParquet(ctx context.Context, r io.ReaderAt, size int64, object string, opts Options, emit Emit) (*Stats, error) {
	opts = opts.withDefaults()
	st := &Stats{Objects: 1, BytesRead: size}
	f, err := parquet.OpenFile(r, size)
	if err != nil {
		st.ObjectsFailed = 1
		return st, &StreamError{Object: object, Err: fmt.Errorf("not a readable Parquet file: %w", err)}
	}
	cols := f.Schema().Columns()
	leafCol := make([]int, len(cols)) // Parquet leaf -> position in the layout, or -1
	var ids []FieldID
	for i, path := range cols {
		leafCol[i] = -1
		if len(path) != 1 {
			continue
		}
		if id, ok := LookupField(path[0]); ok {
			leafCol[i] = len(ids)
			ids = append(ids, id)
		}
	}
	layout, err := NewLayout(ids)
	if err != nil || len(ids) == 0 {
		st.ObjectsFailed = 1
		return st, &StreamError{Object: object, Err: fmt.Errorf("no flow-log columns in the Parquet schema %v", cols)}
	}
	d := NewDecoder(object, opts)
	defer d.Close()
	d.cur = layout
	d.setupColumns()
	d.rowsHint = min(opts.BatchRows, int(f.NumRows()))

	rd := parquet.NewReader(f)
	defer rd.Close()
	rows := make([]parquet.Row, 1024)
	var rowNo int64
	for {
		if err := ctx.Err(); err != nil {
			return d.finishStats(st), err
		}
		n, rerr := rd.ReadRows(rows)
		for _, row := range rows[:n] {
			rowNo++
			if perr := d.parquetRow(row, leafCol, rowNo); perr != nil {
				d.Flush()
				emitAll(d.Take(), emit)
				return d.finishStats(st), perr
			}
		}
		if err := emitAll(d.Take(), emit); err != nil {
			return d.finishStats(st), err
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			d.Flush()
			emitAll(d.Take(), emit)
			st = d.finishStats(st)
			st.ObjectsFailed = 1
			return st, &StreamError{Object: object, Err: rerr}
		}
	}
	d.Flush()
	err = emitAll(d.Take(), emit)
	return d.finishStats(st), err
}

// finishStats merges the decoder's accounting into st.
func (d *Decoder) finishStats(st *Stats) *Stats {
	s := *d.Stats()
	s.Objects, s.ObjectsFailed, s.BytesRead = st.Objects, st.ObjectsFailed, st.BytesRead
	return &s
}

// parquetRow decodes one Parquet row into row d.n; a value that does not fit its field makes the
// row malformed (an error only in strict mode).
func (d *Decoder) parquetRow(row parquet.Row, leafCol []int, rowNo int64) error {
	d.stats.Lines++
	if !d.started {
		d.startBatch()
	}
	n := d.n
	millis := d.stats.MillisTimes
	for _, v := range row {
		li := v.Column()
		if li < 0 || li >= len(leafCol) || leafCol[li] < 0 {
			continue
		}
		c := &d.cols[leafCol[li]]
		var text []byte
		isText := v.Kind() == parquet.ByteArray || v.Kind() == parquet.FixedLenByteArray
		if isText {
			text = v.ByteArray()
		}
		if v.IsNull() || (isText && len(text) == 1 && text[0] == '-') {
			bitutil.ClearBit(c.bits, n)
			c.nulls++
			continue
		}
		if !d.parquetValue(c, v, text, isText) {
			d.undoRow()
			d.stats.MillisTimes = millis
			shown := string(text)
			if !isText {
				shown = v.String()
			}
			d.malformed(rowNo, []byte("parquet row "+strconv.FormatInt(rowNo, 10)), Fields[c.field].Name, clip([]byte(shown), 64), kindProblem[c.kind])
			return d.strictErr()
		}
	}
	d.rowDone(d.rowStatus())
	return nil
}

func (d *Decoder) strictErr() error {
	if d.strict != nil {
		return d.strict
	}
	return nil
}

// parquetValue stores one non-null value into row d.n of c.
func (d *Decoder) parquetValue(c *column, v parquet.Value, text []byte, isText bool) bool {
	n := d.n
	if c.kind == KindString {
		if !c.skip {
			if !isText {
				text = []byte(v.String())
			}
			c.i32[n] = c.dict.intern(text)
		}
		return true
	}
	if c.kind == KindAddr {
		if !isText {
			return false
		}
		j, ok := scanAddr(text, 0, (*[16]byte)(c.addr[n*16:]))
		return ok && j == len(text)
	}
	var x int64
	switch {
	case isText:
		u, j := scanUint(text, 0)
		if j != len(text) || j == 0 || j > 19 || u > math.MaxInt64 {
			return false
		}
		x = int64(u)
	case v.Kind() == parquet.Int32:
		x = int64(v.Int32())
	case v.Kind() == parquet.Int64:
		x = v.Int64()
	default:
		return false
	}
	if x < 0 {
		return false
	}
	switch c.kind {
	case KindPort:
		if x > math.MaxUint16 {
			return false
		}
		c.u16[n] = uint16(x)
	case KindProto:
		if x > math.MaxUint8 {
			return false
		}
		c.u8[n] = uint8(x)
	case KindInt32:
		if x > math.MaxInt32 {
			return false
		}
		c.i32[n] = int32(x)
	case KindTime:
		if x >= millisFrom {
			x /= 1000
			d.stats.MillisTimes++
		}
		c.i64[n] = x
	default:
		c.i64[n] = x
	}
	return true
}

// readAllAt turns a stream into an io.ReaderAt (for a Parquet object that is not a local file).
func readAllAt(r io.Reader) (*bytes.Reader, int64, error) {
	b, err := io.ReadAll(r)
	return bytes.NewReader(b), int64(len(b)), err
}

// DecodeObject decodes one opened source: Parquet (by its name) or text, plain or gzip.
func DecodeObject(ctx context.Context, s Source, rc io.Reader, opts Options, emit Emit) (*Stats, error) {
	if !IsParquetName(s.Name) {
		return DecodeStream(ctx, rc, s.Name, opts, emit)
	}
	if ra, ok := rc.(io.ReaderAt); ok && s.Size >= 0 {
		return DecodeParquet(ctx, ra, s.Size, s.Name, opts, emit)
	}
	ra, size, err := readAllAt(rc)
	if err != nil {
		return &Stats{Objects: 1, ObjectsFailed: 1, BytesRead: size}, &StreamError{Object: s.Name, Err: err}
	}
	return DecodeParquet(ctx, ra, size, s.Name, opts, emit)
}
