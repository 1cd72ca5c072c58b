package output

import (
	"encoding/csv"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
)

// CSVTable is one table of a document for spreadsheets: a name (its file name without .csv) and its
// rows, a slice of structs whose json field names are the columns.
type CSVTable struct {
	Name string
	Rows any
}

// WriteCSVRows writes rows (a slice of structs) as CSV: a header of the fields' json names, in field
// order, then one line per element. Strings, numbers, booleans and pointers to them are cells (a nil
// pointer an empty cell); fields that hold lists, maps or structs are left out, as their own tables
// carry them; the fields of an embedded struct are columns of the row. A field tagged
// `csv:"optional"` (what --enrich adds) is left out when it is empty in every row.
func WriteCSVRows(w io.Writer, rows any) error {
	v := reflect.ValueOf(rows)
	if v.Kind() != reflect.Slice {
		return fmt.Errorf("output: a table's rows are a slice, not %s", v.Kind())
	}
	type col struct {
		index []int
		name  string
	}
	var cols []col
	var fields func(t reflect.Type, index []int)
	fields = func(t reflect.Type, index []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			at := append(append([]int(nil), index...), i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				fields(f.Type, at) // an embedded struct's fields are the row's own
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" || !isCell(f.Type) {
				continue
			}
			if name == "" {
				name = f.Name
			}
			cols = append(cols, col{at, name})
		}
	}
	fields(v.Type().Elem(), nil)
	kept := cols[:0]
	for _, c := range cols {
		if v.Type().Elem().FieldByIndex(c.index).Tag.Get("csv") == "optional" {
			empty := true
			for r := 0; r < v.Len() && empty; r++ {
				empty = v.Index(r).FieldByIndex(c.index).IsZero()
			}
			if empty {
				continue
			}
		}
		kept = append(kept, c)
	}
	cols = kept
	cw := csv.NewWriter(w)
	rec := make([]string, len(cols))
	for i, c := range cols {
		rec[i] = c.name
	}
	if err := cw.Write(rec); err != nil {
		return err
	}
	for r := 0; r < v.Len(); r++ {
		row := v.Index(r)
		for i, c := range cols {
			rec[i] = cell(row.FieldByIndex(c.index))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func isCell(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64:
		return true
	}
	return false
}

func cell(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int64, reflect.Int32:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64)
	}
	return ""
}

// WriteCSVTables writes each table to DIR/NAME.csv, atomically, and returns the paths; with section
// set, only that table, to w.
func WriteCSVTables(tables []CSVTable, dir, section string, w io.Writer) ([]string, error) {
	if section != "" {
		var names []string
		for _, t := range tables {
			if t.Name == section {
				return nil, WriteCSVRows(w, t.Rows)
			}
			names = append(names, t.Name)
		}
		return nil, fmt.Errorf("--section %q: want one of %s", section, strings.Join(names, ", "))
	}
	var paths []string
	for _, t := range tables {
		path := filepath.Join(dir, t.Name+".csv")
		f, err := CreateAtomic(path)
		if err != nil {
			return paths, err
		}
		if err := WriteCSVRows(f, t.Rows); err != nil {
			f.Abort()
			return paths, fmt.Errorf("writing %s: %w", path, err)
		}
		if err := f.Commit(); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}
