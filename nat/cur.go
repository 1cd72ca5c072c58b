package nat

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// CUR is the rows of a Cost and Usage Report extract (--cur) that the transfer section sets beside
// its estimate: the columns it needs, from a CSV file (plain or gzip, as Data Exports deliver it)
// or a Parquet file, with the CUR 2.0 column names or the legacy CUR's (lineItem/UsageType).
type CUR struct {
	Path   string
	Format string // csv or parquet
	Schema string // "CUR 2.0" or "legacy CUR"
	Rows   []CURRow
}

// CURRow is one line item: its usage type, amount and unblended cost, and the hour (or day, or
// month) it covers.
type CURRow struct {
	Line         int // the CSV line (the header is line 1), or the Parquet row (1-based)
	UsageType    string
	LineItemType string // Usage, Tax, Credit, …; "" when the extract has no such column
	Product      string
	Region       string // product_region_code (or product_region); "" when absent
	ResourceID   string
	Amount, Cost float64
	// Start and End are the usage period; zero when the cell is empty.
	Start, End time.Time
}

// The columns read, each with its CUR 2.0 name first, then the legacy CUR's names (the CSV header
// and the snake-case names of its Parquet and Athena forms are the same as CUR 2.0's).
type curColumn struct {
	key      string
	names    []string
	required bool
}

const (
	curUsageType = iota
	curAmount
	curCost
	curStart
	curEnd
	curRegion
	curResource
	curItemType
	curProduct
	curColumns
)

var curCols = [curColumns]curColumn{
	curUsageType: {"usage type", []string{"line_item_usage_type", "lineItem/UsageType"}, true},
	curAmount:    {"usage amount", []string{"line_item_usage_amount", "lineItem/UsageAmount"}, true},
	curCost:      {"unblended cost", []string{"line_item_unblended_cost", "lineItem/UnblendedCost"}, true},
	curStart:     {"usage start", []string{"line_item_usage_start_date", "lineItem/UsageStartDate"}, true},
	curEnd:       {"usage end", []string{"line_item_usage_end_date", "lineItem/UsageEndDate"}, true},
	curRegion:    {"region", []string{"product_region_code", "product/regionCode", "product_region", "product/region"}, false},
	curResource:  {"resource", []string{"line_item_resource_id", "lineItem/ResourceId"}, false},
	curItemType:  {"line item type", []string{"line_item_line_item_type", "lineItem/LineItemType"}, false},
	curProduct:   {"product", []string{"line_item_product_code", "lineItem/ProductCode"}, false},
}

// curIndex finds the columns in a header: pos[c] is the index of column c in names, -1 when absent.
// A column given under two of its names takes the first name's (product_region_code before
// product_region). legacy says the names found are the legacy CUR's.
func curIndex(names []string) (pos [curColumns]int, legacy bool, err error) {
	lower := map[string]int{}
	for i, n := range names {
		n = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(n, "\ufeff")))
		if _, dup := lower[n]; !dup {
			lower[n] = i
		}
	}
	var missing []string
	for c, col := range curCols {
		pos[c] = -1
		for k, n := range col.names {
			if i, ok := lower[strings.ToLower(n)]; ok {
				pos[c] = i
				if strings.Contains(n, "/") && k > 0 {
					legacy = true
				}
				break
			}
		}
		if pos[c] < 0 && col.required {
			missing = append(missing, col.names[0]+" (legacy "+col.names[1]+")")
		}
	}
	if len(missing) > 0 {
		shown := names
		if len(shown) > 12 {
			shown = append(append([]string(nil), shown[:12]...), fmt.Sprintf("… %d more", len(names)-12))
		}
		return pos, legacy, fmt.Errorf("no %s column; the columns are %s", strings.Join(missing, ", no "), strings.Join(shown, ", "))
	}
	return pos, legacy, nil
}

// curTimeLayouts are the forms of the usage dates: CUR 2.0 and the legacy CUR write RFC 3339
// (2026-11-01T10:00:00Z); Athena and spreadsheets give "2026-11-01 10:00:00.000".
var curTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04", "2006-01-02"}

func parseCURTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range curTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date and time (want RFC 3339, 2026-11-01T10:00:00Z)", s)
}

func parseCURNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return x, nil
}

// LoadCUR reads a CUR extract: Parquet when its name ends in .parquet or it begins with PAR1, else
// CSV (gzip when it begins with gzip's magic bytes). Errors name the file, and the line and
// column of a bad cell.
func LoadCUR(path string) (*CUR, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--cur: %w", err)
	}
	defer f.Close()
	var magic [4]byte
	n, _ := io.ReadFull(f, magic[:])
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("--cur %s: %w", path, err)
	}
	var c *CUR
	if strings.HasSuffix(strings.ToLower(path), ".parquet") || n == 4 && string(magic[:]) == "PAR1" {
		st, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("--cur %s: %w", path, err)
		}
		c, err = readCURParquet(f, st.Size())
		if err != nil {
			return nil, fmt.Errorf("--cur %s: %w", path, err)
		}
	} else {
		var r io.Reader = bufio.NewReader(f)
		if n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
			zr, err := gzip.NewReader(r)
			if err != nil {
				return nil, fmt.Errorf("--cur %s: %w", path, err)
			}
			defer zr.Close()
			r = zr
		}
		c, err = readCURCSV(r)
		if err != nil {
			return nil, fmt.Errorf("--cur %s: %w", path, err)
		}
	}
	c.Path = path
	return c, nil
}

// readCURCSV reads a CSV extract; a bad cell is named by its line, column number and name.
func readCURCSV(r io.Reader) (*CUR, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("empty: no header line")
	}
	if err != nil {
		return nil, err
	}
	pos, legacy, err := curIndex(head)
	if err != nil {
		return nil, fmt.Errorf("line 1: %w", err)
	}
	head = append([]string(nil), head...)
	c := &CUR{Format: "csv", Schema: schemaName(legacy)}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err // csv.ParseError names the line and column
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		cell := func(col int) string {
			if pos[col] < 0 || pos[col] >= len(rec) {
				return ""
			}
			return rec[pos[col]]
		}
		bad := func(col int, err error) error {
			return fmt.Errorf("line %d, column %d (%s): %w", line, pos[col]+1, head[pos[col]], err)
		}
		if pos[curEnd] >= len(rec) {
			return nil, fmt.Errorf("line %d: %d fields, the header has %d", line, len(rec), len(head))
		}
		row := CURRow{Line: line, UsageType: strings.TrimSpace(cell(curUsageType)), LineItemType: strings.TrimSpace(cell(curItemType)),
			Product: strings.TrimSpace(cell(curProduct)), Region: strings.TrimSpace(cell(curRegion)), ResourceID: strings.TrimSpace(cell(curResource))}
		if row.Amount, err = parseCURNumber(cell(curAmount)); err != nil {
			return nil, bad(curAmount, err)
		}
		if row.Cost, err = parseCURNumber(cell(curCost)); err != nil {
			return nil, bad(curCost, err)
		}
		if row.Start, err = parseCURTime(cell(curStart)); err != nil {
			return nil, bad(curStart, err)
		}
		if row.End, err = parseCURTime(cell(curEnd)); err != nil {
			return nil, bad(curEnd, err)
		}
		c.Rows = append(c.Rows, row)
	}
	return c, nil
}

func schemaName(legacy bool) string {
	if legacy {
		return "legacy CUR"
	}
	return "CUR 2.0"
}

// readCURParquet reads a Parquet extract: the top-level columns by name (CUR 2.0's, or the legacy
// CUR's Parquet form, which has the same snake-case names); strings, numbers, and dates as
// timestamps or strings. A bad value is named by its row and column.
func readCURParquet(r io.ReaderAt, size int64) (*CUR, error) {
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("not a readable Parquet file: %w", err)
	}
	var names []string
	var leaves []parquet.LeafColumn
	for _, path := range f.Schema().Columns() {
		if len(path) != 1 {
			continue
		}
		leaf, ok := f.Schema().Lookup(path...)
		if !ok || leaf.MaxRepetitionLevel > 0 {
			continue
		}
		names = append(names, path[0])
		leaves = append(leaves, leaf)
	}
	pos, legacy, err := curIndex(names)
	if err != nil {
		return nil, err
	}
	var colOf [curColumns]int // leaf column index, -1 when absent
	for c := range colOf {
		colOf[c] = -1
		if pos[c] >= 0 {
			colOf[c] = leaves[pos[c]].ColumnIndex
		}
	}
	byLeaf := map[int]parquet.LeafColumn{}
	for _, l := range leaves {
		byLeaf[l.ColumnIndex] = l
	}
	c := &CUR{Format: "parquet", Schema: schemaName(legacy)}
	pr := parquet.NewReader(f)
	defer pr.Close()
	buf := make([]parquet.Row, 256)
	rowNum := 0
	for {
		n, err := pr.ReadRows(buf)
		for _, row := range buf[:n] {
			rowNum++
			var vals [curColumns]parquet.Value
			for _, v := range row {
				for k, ci := range colOf {
					if ci >= 0 && v.Column() == ci {
						vals[k] = v
					}
				}
			}
			bad := func(col int, err error) error {
				return fmt.Errorf("row %d, column %s: %w", rowNum, names[pos[col]], err)
			}
			out := CURRow{Line: rowNum}
			str := func(col int) string {
				if colOf[col] < 0 || vals[col].IsNull() || vals[col].Kind() != parquet.ByteArray {
					return ""
				}
				return strings.TrimSpace(string(vals[col].ByteArray()))
			}
			out.UsageType, out.LineItemType, out.Product, out.Region, out.ResourceID = str(curUsageType), str(curItemType), str(curProduct), str(curRegion), str(curResource)
			var e error
			if out.Amount, e = parquetNumber(vals[curAmount]); e != nil {
				return nil, bad(curAmount, e)
			}
			if out.Cost, e = parquetNumber(vals[curCost]); e != nil {
				return nil, bad(curCost, e)
			}
			if out.Start, e = parquetTime(vals[curStart], byLeaf[colOf[curStart]]); e != nil {
				return nil, bad(curStart, e)
			}
			if out.End, e = parquetTime(vals[curEnd], byLeaf[colOf[curEnd]]); e != nil {
				return nil, bad(curEnd, e)
			}
			c.Rows = append(c.Rows, out)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("after row %d: %w", rowNum, err)
		}
	}
	return c, nil
}

func parquetNumber(v parquet.Value) (float64, error) {
	if v.IsNull() {
		return 0, nil
	}
	switch v.Kind() {
	case parquet.Double:
		return v.Double(), nil
	case parquet.Float:
		return float64(v.Float()), nil
	case parquet.Int32:
		return float64(v.Int32()), nil
	case parquet.Int64:
		return float64(v.Int64()), nil
	case parquet.ByteArray:
		return parseCURNumber(string(v.ByteArray()))
	}
	return 0, fmt.Errorf("a %s value is not a number", v.Kind())
}

func parquetTime(v parquet.Value, leaf parquet.LeafColumn) (time.Time, error) {
	if v.IsNull() {
		return time.Time{}, nil
	}
	switch v.Kind() {
	case parquet.ByteArray:
		return parseCURTime(string(v.ByteArray()))
	case parquet.Int96:
		// Legacy Hive and Spark timestamps: nanoseconds of the day, then the Julian day.
		i := v.Int96()
		nanos := int64(uint64(i[1])<<32 | uint64(i[0]))
		return time.Unix((int64(i[2])-2440588)*86400, nanos).UTC(), nil
	case parquet.Int64:
		x := v.Int64()
		unit := time.Microsecond
		if leaf.Node != nil {
			if lt := leaf.Node.Type().LogicalType(); lt != nil {
				if ts, ok := lt.Value.(*format.TimestampType); ok && ts.Unit.Value != nil {
					unit = ts.Unit.Value.Duration()
				}
			} else if ct := leaf.Node.Type().ConvertedType(); ct != nil && *ct == deprecated.TimestampMillis {
				unit = time.Millisecond
			}
		}
		return time.Unix(0, 0).Add(time.Duration(x) * unit).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("a %s value is not a date and time", v.Kind())
}
