package output

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
)

// TableWriter writes batches as an aligned text table: numbers right-aligned, nulls as "-". It keeps
// the rows until Close, to size the columns.
type TableWriter struct {
	w      io.Writer
	names  []string
	right  []bool
	rows   [][]string
	schema *arrow.Schema
}

// NewTableWriter returns a table writer to w.
func NewTableWriter(w io.Writer) *TableWriter { return &TableWriter{w: w} }

// Write keeps the rows of rec.
func (t *TableWriter) Write(rec arrow.RecordBatch) error {
	if t.schema == nil {
		t.schema = rec.Schema()
		for _, f := range rec.Schema().Fields() {
			t.names = append(t.names, f.Name)
			switch f.Type.ID() {
			case arrow.INT64, arrow.INT32, arrow.UINT16, arrow.UINT8, arrow.FLOAT64:
				t.right = append(t.right, true)
			default:
				t.right = append(t.right, false)
			}
		}
	}
	cells := make([]cellWriter, rec.NumCols())
	for i := range cells {
		cells[i] = newCellWriter(rec.Column(i), rec.Schema().Field(i))
	}
	var buf []byte
	for r := 0; r < int(rec.NumRows()); r++ {
		row := make([]string, len(cells))
		for i, cw := range cells {
			if rec.Column(i).IsNull(r) {
				row[i] = "-"
				continue
			}
			buf = cw(buf[:0], r, CSV)
			s := string(buf)
			if strings.HasPrefix(s, `"`) { // CSV quoting is not wanted here
				if u, err := strconv.Unquote(strings.ReplaceAll(s, `""`, `\"`)); err == nil {
					s = u
				}
			}
			row[i] = s
		}
		t.rows = append(t.rows, row)
	}
	return nil
}

// Close writes the table.
func (t *TableWriter) Close() error {
	width := make([]int, len(t.names))
	for i, n := range t.names {
		width[i] = utf8.RuneCountInString(n)
	}
	for _, row := range t.rows {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if t.right[i] {
				b.WriteString(pad + c)
			} else if i < len(cells)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		b.WriteString("\n")
	}
	line(t.names)
	rule := make([]string, len(t.names))
	for i := range rule {
		rule[i] = strings.Repeat("-", width[i])
	}
	line(rule)
	for _, row := range t.rows {
		line(row)
	}
	fmt.Fprintf(&b, "(%d row%s)\n", len(t.rows), plural(len(t.rows)))
	_, err := io.WriteString(t.w, b.String())
	return err
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
