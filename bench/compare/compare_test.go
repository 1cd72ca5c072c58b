package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func tab(cols string, rows ...string) *table {
	t := &table{cols: strings.Split(cols, ",")}
	for _, r := range rows {
		t.rows = append(t.rows, strings.Split(r, ","))
	}
	t.normalize()
	return t
}

// TestCompare: answers agree when equal, when tied rows come in another order, and when the rows
// tied on the last value of a full top-N list are different ones; they disagree on any other
// difference.
func TestCompare(t *testing.T) {
	top := check{keys: 1, order: 1, limit: 3}
	for _, c := range []struct {
		name   string
		fl, dk *table
		c      check
		ok     bool
	}{
		{"equal", tab("a,b", "x,3", "y,2"), tab("a,b", "x,3", "y,2"), check{keys: 1, order: -1}, true},
		{"row order matters by key", tab("a,b", "x,3", "y,2"), tab("a,b", "y,2", "x,3"), check{keys: 1, order: -1}, false},
		{"ties in another order", tab("k,v", "a,5", "b,5", "c,1"), tab("k,v", "b,5", "a,5", "c,1"), top, true},
		{"other keys tied at the end", tab("k,v", "a,5", "b,1", "c,1"), tab("k,v", "a,5", "b,1", "d,1"), top, true},
		{"tied key with other values", tab("k,v,w", "a,5,1", "b,1,2", "c,1,3"), tab("k,v,w", "a,5,1", "b,1,9", "d,1,3"), top, false},
		{"other key before the end", tab("k,v", "a,5", "b,2", "c,1"), tab("k,v", "z,5", "b,2", "c,1"), top, false},
		{"other value", tab("k,v", "a,5", "b,2", "c,1"), tab("k,v", "a,5", "b,3", "c,1"), top, false},
		{"fewer rows", tab("k,v", "a,5", "b,2"), tab("k,v", "a,5"), top, false},
		{"no rows", tab("k,v"), tab("k,v"), top, false},
		{"addresses canonical", tab("srcaddr,v", "2001:db8::1,5"), tab("srcaddr,v", "2001:0db8:0:0::1,5"), check{keys: 1, order: -1}, true},
	} {
		err := compare(c.name, c.fl, c.dk, c.c)
		if (err == nil) != c.ok {
			t.Errorf("%s: compare = %v, want ok %v", c.name, err, c.ok)
		}
	}
}

// TestParseCSV: flowlens's hour text becomes Unix seconds, as DuckDB's start - start % 3600.
func TestParseCSV(t *testing.T) {
	tb, err := parseCSV([]byte("hour,bytes\n2026-11-01 01:00:00.000,7\n"), 0)
	if err != nil || tb.rows[0][0] != "1793494800" || tb.rows[0][1] != "7" {
		t.Fatalf("parseCSV = %v, %v", tb, err)
	}
	dt, err := duckTable([]string{"hour", "bytes", "name"}, [][]json.RawMessage{{json.RawMessage(`1793494800`), json.RawMessage(`"7"`), json.RawMessage(`null`)}})
	if err != nil || !equalRows(dt.rows[0], []string{"1793494800", "7", ""}) {
		t.Fatalf("duckTable = %v, %v", dt, err)
	}
}
