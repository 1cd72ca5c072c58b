package output

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowlens/flowlens/flowlog"
)

// RowWriter writes record batches as JSON Lines (column names as keys, integers as numbers, addresses
// as text, nulls as null) or as CSV with a header (nulls as empty fields). Columns that hold
// 16-byte addresses (flowlens.type=ip) are written as canonical address text.
type RowWriter struct {
	w       *bufio.Writer
	format  Format
	array   bool // JSON: the rows are elements of one array
	rows    int64
	schema  *arrow.Schema
	line    []byte
	wroteHd bool
}

// NewRowWriter returns a writer of rows to w.
func NewRowWriter(w io.Writer, format Format) (*RowWriter, error) {
	switch format {
	case JSONL, CSV:
	case JSON:
		return &RowWriter{w: bufio.NewWriterSize(w, 256<<10), format: JSONL, array: true}, nil
	default:
		return nil, fmt.Errorf("unknown row format %q (jsonl, json or csv)", format)
	}
	return &RowWriter{w: bufio.NewWriterSize(w, 256<<10), format: format}, nil
}

// Write writes every row of rec.
func (rw *RowWriter) Write(rec arrow.RecordBatch) error {
	schema := rec.Schema()
	if rw.format == CSV && (!rw.wroteHd || !schema.Equal(rw.schema)) {
		rw.line = rw.line[:0]
		for i, f := range schema.Fields() {
			if i > 0 {
				rw.line = append(rw.line, ',')
			}
			rw.line = appendCSV(rw.line, f.Name)
		}
		rw.line = append(rw.line, '\n')
		if _, err := rw.w.Write(rw.line); err != nil {
			return err
		}
		rw.wroteHd = true
	}
	rw.schema = schema
	cols := make([]cellWriter, rec.NumCols())
	keys := make([][]byte, rec.NumCols())
	for i, f := range schema.Fields() {
		cols[i] = newCellWriter(rec.Column(i), f)
		keys[i] = strconv.AppendQuote(nil, f.Name)
	}
	for r := 0; r < int(rec.NumRows()); r++ {
		b := rw.line[:0]
		if rw.array {
			if rw.rows == 0 {
				b = append(b, '[', '\n')
			} else {
				b = append(b, ',', '\n')
			}
		}
		rw.rows++
		if rw.format == JSONL {
			b = append(b, '{')
		}
		for i, c := range cols {
			if i > 0 {
				b = append(b, ',')
			}
			if rw.format == JSONL {
				b = append(b, keys[i]...)
				b = append(b, ':')
			}
			b = c(b, r, rw.format)
		}
		if rw.format == JSONL {
			b = append(b, '}')
		}
		if !rw.array {
			b = append(b, '\n')
		}
		rw.line = b
		if _, err := rw.w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// Flush writes buffered rows.
func (rw *RowWriter) Flush() error { return rw.w.Flush() }

// Close ends the output (the JSON array) and flushes it.
func (rw *RowWriter) Close() error {
	if rw.array {
		if rw.rows == 0 {
			rw.w.WriteString("[")
		}
		rw.w.WriteString("\n]\n")
	}
	return rw.w.Flush()
}

// cellWriter appends the text of row r of one column.
type cellWriter func(b []byte, r int, f Format) []byte

func null(b []byte, f Format) []byte {
	if f == JSONL {
		return append(b, "null"...)
	}
	return b
}

func newCellWriter(a arrow.Array, field arrow.Field) cellWriter {
	isIP := false
	if v, ok := field.Metadata.GetValue("flowlens.type"); ok && v == "ip" {
		isIP = true
	}
	switch c := a.(type) {
	case *array.Dictionary:
		dict, ok := c.Dictionary().(*array.String)
		if !ok {
			return func(b []byte, r int, f Format) []byte { return appendText(b, c.ValueStr(r), f) }
		}
		return func(b []byte, r int, f Format) []byte {
			if c.IsNull(r) {
				return null(b, f)
			}
			return appendText(b, dict.Value(c.GetValueIndex(r)), f)
		}
	case *array.FixedSizeBinary:
		return func(b []byte, r int, f Format) []byte {
			if c.IsNull(r) {
				return null(b, f)
			}
			if isIP && len(c.Value(r)) == 16 {
				return appendText(b, flowlog.AddrString(c.Value(r)), f)
			}
			return appendText(b, fmt.Sprintf("%x", c.Value(r)), f)
		}
	case *array.String:
		return func(b []byte, r int, f Format) []byte {
			if c.IsNull(r) {
				return null(b, f)
			}
			return appendText(b, c.Value(r), f)
		}
	case *array.Int64:
		return func(b []byte, r int, f Format) []byte {
			if c.IsNull(r) {
				return null(b, f)
			}
			return strconv.AppendInt(b, c.Value(r), 10)
		}
	case *array.Int32:
		return func(b []byte, r int, f Format) []byte {
			if c.IsNull(r) {
				return null(b, f)
			}
			return strconv.AppendInt(b, int64(c.Value(r)), 10)
		}
	case *array.Uint16:
		return func(b []byte, r int, f Format) []byte {
			if c.IsNull(r) {
				return null(b, f)
			}
			return strconv.AppendUint(b, uint64(c.Value(r)), 10)
		}
	case *array.Uint8:
		return func(b []byte, r int, f Format) []byte {
			if c.IsNull(r) {
				return null(b, f)
			}
			return strconv.AppendUint(b, uint64(c.Value(r)), 10)
		}
	case *array.Uint64:
		return func(b []byte, r int, f Format) []byte {
			if c.IsNull(r) {
				return null(b, f)
			}
			return strconv.AppendUint(b, c.Value(r), 10)
		}
	case *array.Boolean:
		return func(b []byte, r int, f Format) []byte {
			if c.IsNull(r) {
				return null(b, f)
			}
			return strconv.AppendBool(b, c.Value(r))
		}
	case *array.Timestamp:
		loc := time.UTC
		if tz := c.DataType().(*arrow.TimestampType).TimeZone; tz != "" {
			if l, err := time.LoadLocation(tz); err == nil {
				loc = l
			}
		}
		return func(b []byte, r int, f Format) []byte {
			if c.IsNull(r) {
				return null(b, f)
			}
			return appendText(b, formatTime(int64(c.Value(r)), loc), f)
		}
	case *array.Float64:
		return func(b []byte, r int, f Format) []byte {
			if c.IsNull(r) {
				return null(b, f)
			}
			return strconv.AppendFloat(b, c.Value(r), 'g', -1, 64)
		}
	default:
		return func(b []byte, r int, f Format) []byte {
			if a.IsNull(r) {
				return null(b, f)
			}
			return appendText(b, a.ValueStr(r), f)
		}
	}
}

func appendText(b []byte, s string, f Format) []byte {
	if f == JSONL {
		return appendJSONString(b, s)
	}
	return appendCSV(b, s)
}

// appendCSV quotes a field when it holds a comma, quote or line break (RFC 4180).
func appendCSV(b []byte, s string) []byte {
	need := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ',' || c == '"' || c == '\n' || c == '\r' {
			need = true
			break
		}
	}
	if !need {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// formatTime is a timestamp as Trino prints it, 2024-05-01 13:00:00.000, in loc: the form the SQL
// engine gives timestamps cast to varchar, so that a column reads the same in every format.
func formatTime(s int64, loc *time.Location) string {
	return time.Unix(s, 0).In(loc).Format("2006-01-02 15:04:05.000")
}
