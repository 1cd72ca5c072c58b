// Package athena hands a flowlens dataset and flowlens's SQL to Amazon Athena: the CREATE EXTERNAL
// TABLE over a dataset that convert wrote, with partition projection and the column types of its
// Parquet files (DDL), and a query run through the Athena API whose result comes back as Arrow
// batches (Run).
package athena

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/flowlens/flowlens/flowlog"
)

// hiveDefault is the folder value of a null partition value.
const hiveDefault = "__HIVE_DEFAULT_PARTITION__"

// Column is a data column of a dataset: its name, the Athena type that reads its Parquet type, and
// where that type was first seen.
type Column struct {
	Name    string
	Type    string // Athena (Hive DDL) type: int, bigint, string, …
	Parquet string // the Parquet type it comes from: INT32, INT32 INT(16,false), BYTE_ARRAY STRING, …
	File    string // the first file that has the column, relative to the dataset
}

// Dataset is what athena-ddl reads of a Hive-partitioned Parquet dataset: its data columns, its
// partition columns in path order, and the values each partition column has.
type Dataset struct {
	Dir        string
	Columns    []Column
	Partitions []string            // folder names, in path order: account_id, region, year, …
	Values     map[string][]string // folder values of each partition column, sorted
	Files      int
	// Undated counts the files under __HIVE_DEFAULT_PARTITION__ time folders (rows without a
	// start): an integer projection of year, month, day or hour cannot reach them.
	Undated int
}

// AthenaType is the Athena type that reads a Parquet leaf column exactly: the physical type with
// its logical (or older converted) annotation. Athena's Parquet reader refuses a declared type
// that does not fit the file's (INT32 written, bigint declared is HIVE_BAD_DATA), so each
// physical type has one answer: INT32 is int, INT64 bigint; the narrower signed annotations are
// tinyint and smallint; an unsigned one needs the next wider signed type to hold every value
// (UINT_8 smallint, UINT_16 int, UINT_32 bigint), and UINT_64 has none. An error says why a column
// has no Athena type.
func AthenaType(e format.SchemaElement) (athenaType, parquetType string, err error) {
	pt, ok := e.Type.Get()
	if !ok {
		return "", "group", fmt.Errorf("a nested column (group): flowlens datasets have none, and athena-ddl declares flat columns only")
	}
	desc := pt.String()
	lt := e.LogicalType.Value
	if lt != nil {
		desc += " " + lt.String()
	} else if ct, ok := e.ConvertedType.Get(); ok {
		desc += " " + convertedName(ct)
	}
	ct, hasCT := e.ConvertedType.Get()
	decimal := func() (string, string, error) {
		p, s := e.Precision.V, e.Scale.V
		if d, ok := lt.(*format.DecimalType); ok {
			p, s = d.Precision, d.Scale
		}
		if p <= 0 || p > 38 || s < 0 || s > p {
			return "", desc, fmt.Errorf("decimal(%d,%d) is outside Athena's decimal (precision 1 to 38)", p, s)
		}
		return fmt.Sprintf("decimal(%d,%d)", p, s), desc, nil
	}
	if _, ok := lt.(*format.DecimalType); ok || (lt == nil && hasCT && ct == deprecated.Decimal) {
		return decimal()
	}
	switch pt {
	case format.Boolean:
		return "boolean", desc, nil
	case format.Int32:
		width, signed := 32, true
		switch t := lt.(type) {
		case *format.IntType:
			width, signed = int(t.BitWidth), t.IsSigned
		case *format.DateType:
			return "date", desc, nil
		case nil:
			if hasCT {
				switch ct {
				case deprecated.Int8:
					width = 8
				case deprecated.Int16:
					width = 16
				case deprecated.Int32:
				case deprecated.Uint8:
					width, signed = 8, false
				case deprecated.Uint16:
					width, signed = 16, false
				case deprecated.Uint32:
					width, signed = 32, false
				case deprecated.Date:
					return "date", desc, nil
				default:
					return "", desc, fmt.Errorf("INT32 annotated %s has no Athena type flowlens declares", convertedName(ct))
				}
			}
		default:
			return "", desc, fmt.Errorf("INT32 annotated %s has no Athena type flowlens declares", lt)
		}
		switch {
		case signed && width == 8:
			return "tinyint", desc, nil
		case signed && width == 16:
			return "smallint", desc, nil
		case signed:
			return "int", desc, nil
		case width == 8:
			return "smallint", desc, nil
		case width == 16:
			return "int", desc, nil
		default:
			return "bigint", desc, nil
		}
	case format.Int64:
		switch t := lt.(type) {
		case *format.IntType:
			if !t.IsSigned {
				return "", desc, fmt.Errorf("unsigned 64-bit integers have no Athena type that holds them all (bigint is signed)")
			}
			return "bigint", desc, nil
		case *format.TimestampType:
			if _, nanos := t.Unit.Value.(*format.NanoSeconds); nanos {
				return "", desc, fmt.Errorf("nanosecond timestamps: Athena's timestamp reads milliseconds and microseconds")
			}
			return "timestamp", desc, nil
		case nil:
			if hasCT {
				switch ct {
				case deprecated.Int64:
				case deprecated.TimestampMillis, deprecated.TimestampMicros:
					return "timestamp", desc, nil
				case deprecated.Uint64:
					return "", desc, fmt.Errorf("unsigned 64-bit integers have no Athena type that holds them all (bigint is signed)")
				default:
					return "", desc, fmt.Errorf("INT64 annotated %s has no Athena type flowlens declares", convertedName(ct))
				}
			}
			return "bigint", desc, nil
		default:
			return "", desc, fmt.Errorf("INT64 annotated %s has no Athena type flowlens declares", lt)
		}
	case format.Int96:
		return "timestamp", desc, nil
	case format.Float:
		return "float", desc, nil
	case format.Double:
		return "double", desc, nil
	case format.ByteArray:
		switch lt.(type) {
		case *format.StringType, *format.EnumType, *format.JsonType:
			return "string", desc, nil
		case nil:
			if !hasCT {
				return "binary", desc, nil
			}
			switch ct {
			case deprecated.UTF8, deprecated.Enum, deprecated.Json:
				return "string", desc, nil
			case deprecated.Bson:
				return "binary", desc, nil
			}
		case *format.BsonType:
			return "binary", desc, nil
		}
		return "", desc, fmt.Errorf("BYTE_ARRAY annotated %s has no Athena type flowlens declares", strings.TrimPrefix(desc, "BYTE_ARRAY "))
	case format.FixedLenByteArray:
		if lt == nil && !hasCT {
			return "binary", desc, nil
		}
		return "", desc, fmt.Errorf("FIXED_LEN_BYTE_ARRAY annotated %s has no Athena type flowlens declares", strings.TrimPrefix(desc, "FIXED_LEN_BYTE_ARRAY "))
	}
	return "", desc, fmt.Errorf("physical type %s has no Athena type", pt)
}

// convertedName spells a converted type (the annotation of files older than logical types).
func convertedName(ct deprecated.ConvertedType) string {
	names := []string{"UTF8", "MAP", "MAP_KEY_VALUE", "LIST", "ENUM", "DECIMAL", "DATE", "TIME_MILLIS", "TIME_MICROS",
		"TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8", "UINT_16", "UINT_32", "UINT_64", "INT_8", "INT_16", "INT_32",
		"INT_64", "JSON", "BSON", "INTERVAL"}
	if int(ct) >= 0 && int(ct) < len(names) {
		return names[ct]
	}
	return fmt.Sprintf("converted type %d", ct)
}

// skipName says whether a file or folder is not the dataset's: flowlens's own files
// (_flowlens_manifest.json), Spark's _SUCCESS, hidden and temporary files, as Athena skips them.
func skipName(name string) bool { return strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") }

// ReadDataset reads the layout of the dataset under dir: the partition folders of every Parquet
// file (the same names in the same order for all) and the schema of each file (a column of the
// same Athena type in all). It refuses a dataset whose files disagree on either, naming the files.
func ReadDataset(dir string) (*Dataset, error) {
	d := &Dataset{Dir: dir, Values: map[string][]string{}}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot read the dataset %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory: give the dataset's directory (what flowlens convert -o wrote)", dir)
	}
	var files []string
	err = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && skipName(e.Name()) {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".parquet") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot list the dataset %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s holds no Parquet file (*.parquet): convert flow logs into it first (flowlens convert -o %s …)", dir, dir)
	}
	slices.Sort(files)
	seen := map[string]map[string]bool{}
	byName := map[string]int{}
	var firstParts string
	for _, p := range files {
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		folders := strings.Split(rel, "/")
		folders = folders[:len(folders)-1]
		var names []string
		undated := false
		for _, f := range folders {
			name, val, ok := strings.Cut(f, "=")
			if !ok || name == "" {
				return nil, fmt.Errorf("%s: folder %q is not a Hive partition (NAME=VALUE): Athena reads every file under the table's location, so a dataset has its files in partition folders only", rel, f)
			}
			names = append(names, name)
			if seen[name] == nil {
				seen[name] = map[string]bool{}
			}
			seen[name][val] = true
			if val == hiveDefault && isTimePart(name) {
				undated = true
			}
		}
		if undated {
			d.Undated++
		}
		joined := strings.Join(names, "/")
		if d.Files == 0 {
			d.Partitions, firstParts = names, rel
		} else if joined != strings.Join(d.Partitions, "/") {
			return nil, fmt.Errorf("the files disagree on the partition folders: %s has %s, %s has %s; a table has one layout (convert each layout into a dataset of its own)",
				firstParts, describeParts(d.Partitions), rel, describeParts(names))
		}
		d.Files++
		if err := d.addSchema(p, rel, byName); err != nil {
			return nil, err
		}
	}
	for name, vals := range seen {
		for v := range vals {
			d.Values[name] = append(d.Values[name], v)
		}
		slices.Sort(d.Values[name])
	}
	// The flow-log columns in the order of the AWS documentation, then any other in the order seen.
	order := map[string]int{}
	for i, f := range flowlog.Fields {
		if _, ok := order[f.Column]; !ok {
			order[f.Column] = i
		}
	}
	rank := func(c Column) int {
		if i, ok := order[c.Name]; ok {
			return i
		}
		return len(flowlog.Fields) + byName[c.Name]
	}
	slices.SortStableFunc(d.Columns, func(a, b Column) int { return rank(a) - rank(b) })
	return d, nil
}

func describeParts(names []string) string {
	if len(names) == 0 {
		return "none (files at the top)"
	}
	return strings.Join(names, "/")
}

func isTimePart(name string) bool {
	return name == "year" || name == "month" || name == "day" || name == "hour"
}

// addSchema adds the columns of one Parquet file, checking those seen already.
func (d *Dataset) addSchema(path, rel string, byName map[string]int) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, err)
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return fmt.Errorf("%s is not a readable Parquet file: %w", path, err)
	}
	elems := pf.Metadata().Schema
	if len(elems) == 0 {
		return fmt.Errorf("%s: a Parquet file without a schema", path)
	}
	for i := 1; i < len(elems); i++ {
		e := elems[i]
		if n, _ := e.NumChildren.Get(); n > 0 {
			return fmt.Errorf("%s: column %q is nested (a group of %d): athena-ddl declares flat columns only", rel, e.Name, n)
		}
		if r, ok := e.RepetitionType.Get(); ok && r == format.Repeated {
			return fmt.Errorf("%s: column %q is repeated: athena-ddl declares flat columns only", rel, e.Name)
		}
		at, desc, err := AthenaType(e)
		if err != nil {
			return fmt.Errorf("%s: column %q (%s): %v", rel, e.Name, desc, err)
		}
		k, ok := byName[e.Name]
		if !ok {
			byName[e.Name] = len(d.Columns)
			d.Columns = append(d.Columns, Column{Name: e.Name, Type: at, Parquet: desc, File: rel})
			continue
		}
		if c := d.Columns[k]; c.Type != at {
			return fmt.Errorf("the files disagree on column %q: %s has %s (Athena %s), %s has %s (Athena %s); one table declares one type: convert them apart, or rewrite one",
				e.Name, c.File, c.Parquet, c.Type, rel, desc, at)
		}
	}
	return nil
}

// DDLOptions say what table to declare.
type DDLOptions struct {
	Table    string // [database.]name
	Location string // s3://bucket/prefix/ where the dataset is (or will be) copied
	// Injected lists the partition columns projected as injected (every query must name their
	// values in its WHERE clause) instead of enum (the values the dataset has).
	Injected []string
	// Years overrides the projected range of year (the dataset's years when zero).
	Years [2]int
}

var tableName = regexp.MustCompile(`^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?$`)

// quote spells a name between backquotes, as Athena's DDL takes any column name (end, date).
func quote(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// sqlString spells a string literal of TBLPROPERTIES.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "\\'") + "'" }

// DDL returns the CREATE EXTERNAL TABLE over d: its data columns with their Athena types (the
// partition columns are not among them: Athena refuses a name in both lists, and reads the folder's
// value, which convert makes the record's), PARTITIONED BY the folders as strings (flowlens's
// partition columns are varchar: WHERE month = '11' is the same SQL in both), STORED AS PARQUET,
// and partition projection: year, month, day and hour as integers (month, day and hour zero-padded
// to two digits), the other partition columns as enum of the dataset's values or injected.
// Notes for the user (what projection cannot reach) come back apart.
func (d *Dataset) DDL(o DDLOptions) (string, []string, error) {
	if !tableName.MatchString(o.Table) {
		return "", nil, fmt.Errorf("--table %q: want NAME or DATABASE.NAME of letters, digits and _", o.Table)
	}
	loc := o.Location
	if !strings.HasPrefix(loc, "s3://") || len(strings.TrimRight(strings.TrimPrefix(loc, "s3://"), "/")) == 0 {
		return "", nil, fmt.Errorf("--location %q: want the s3://bucket/prefix/ that holds the dataset", o.Location)
	}
	if strings.ContainsAny(loc, "'\\") {
		return "", nil, fmt.Errorf("--location %q: a quote or backslash has no place in an S3 location", o.Location)
	}
	loc = strings.TrimRight(loc, "/") + "/"
	for _, c := range o.Injected {
		if !slices.Contains(d.Partitions, c) {
			return "", nil, fmt.Errorf("--injected %s: the dataset's partition columns are %s", c, describeParts(d.Partitions))
		}
		if isTimePart(c) {
			return "", nil, fmt.Errorf("--injected %s: year, month, day and hour are projected as integers", c)
		}
	}
	var notes []string
	var b strings.Builder
	table := o.Table
	if db, name, ok := strings.Cut(table, "."); ok {
		table = quote(db) + "." + quote(name)
	} else {
		table = quote(table)
	}
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE IF NOT EXISTS %s (\n", table)
	var cols []string
	for _, c := range d.Columns {
		if slices.Contains(d.Partitions, c.Name) {
			continue
		}
		cols = append(cols, fmt.Sprintf("  %s %s", quote(c.Name), c.Type))
	}
	if len(cols) == 0 {
		return "", nil, fmt.Errorf("%s: no data column besides the partition columns", d.Dir)
	}
	b.WriteString(strings.Join(cols, ",\n") + "\n)\n")
	if len(d.Partitions) > 0 {
		var parts []string
		for _, p := range d.Partitions {
			parts = append(parts, fmt.Sprintf("  %s string", quote(p)))
		}
		b.WriteString("PARTITIONED BY (\n" + strings.Join(parts, ",\n") + "\n)\n")
	}
	b.WriteString("STORED AS PARQUET\n")
	fmt.Fprintf(&b, "LOCATION %s", sqlString(loc))
	if len(d.Partitions) == 0 {
		b.WriteString("\n")
		return b.String(), notes, nil
	}
	props := [][2]string{{"projection.enabled", "true"}}
	template := loc
	for _, p := range d.Partitions {
		template += p + "=${" + p + "}/"
		key := "projection." + p + "."
		var dated []int
		for _, v := range d.Values[p] {
			if n, err := strconv.Atoi(v); err == nil {
				dated = append(dated, n)
			}
		}
		switch p {
		case "year":
			lo, hi := 0, 0
			if len(dated) > 0 {
				lo, hi = slices.Min(dated), slices.Max(dated)
			}
			if o.Years[0] != 0 {
				lo, hi = o.Years[0], o.Years[1]
			}
			if lo == 0 {
				return "", nil, fmt.Errorf("%s: no file in a dated year= folder, so no year range to project: give --years FROM,TO", d.Dir)
			}
			props = append(props, [2]string{key + "type", "integer"}, [2]string{key + "range", fmt.Sprintf("%d,%d", lo, hi)})
			if len(dated) > 0 && o.Years[0] != 0 && (slices.Min(dated) < lo || slices.Max(dated) > hi) {
				notes = append(notes, fmt.Sprintf("the dataset has years %d to %d, outside --years %d,%d: those partitions are not projected", slices.Min(dated), slices.Max(dated), lo, hi))
			}
		case "month":
			props = append(props, [2]string{key + "type", "integer"}, [2]string{key + "range", "1,12"}, [2]string{key + "digits", "2"})
		case "day":
			props = append(props, [2]string{key + "type", "integer"}, [2]string{key + "range", "1,31"}, [2]string{key + "digits", "2"})
		case "hour":
			props = append(props, [2]string{key + "type", "integer"}, [2]string{key + "range", "0,23"}, [2]string{key + "digits", "2"})
		default:
			if slices.Contains(o.Injected, p) {
				props = append(props, [2]string{key + "type", "injected"})
				continue
			}
			for _, v := range d.Values[p] {
				if strings.ContainsAny(v, ",'\\") {
					return "", nil, fmt.Errorf("%s=%s: an enum value cannot hold a comma or a quote; give --injected %s", p, v, p)
				}
			}
			props = append(props, [2]string{key + "type", "enum"}, [2]string{key + "values", strings.Join(d.Values[p], ",")})
			if slices.Contains(d.Values[p], hiveDefault) {
				notes = append(notes, fmt.Sprintf("%s has rows without a value (%s): Athena reads that folder's name as the value, where flowlens reads NULL", p, hiveDefault))
			}
		}
	}
	props = append(props, [2]string{"storage.location.template", template})
	b.WriteString("\nTBLPROPERTIES (\n")
	for i, kv := range props {
		sep := ",\n"
		if i == len(props)-1 {
			sep = "\n"
		}
		fmt.Fprintf(&b, "  %s=%s%s", sqlString(kv[0]), sqlString(kv[1]), sep)
	}
	b.WriteString(")\n")
	if d.Undated > 0 {
		notes = append(notes, fmt.Sprintf("%d files lie under %s time folders (records without a start): the integer projection of year, month, day and hour does not reach them", d.Undated, hiveDefault))
	}
	return b.String(), notes, nil
}
