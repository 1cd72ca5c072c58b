package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/flowlens/flowlens/internal/units"
	"github.com/flowlens/flowlens/output"
)

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error { return output.WriteJSON(w, r) }

// textOut is where the sections write their text: lines, and tables whose columns align within
// each table.
type textOut struct {
	bw  *bufio.Writer
	tw  *tabwriter.Writer
	err error // of a section that writes through another writer
}

// p writes a line (or part of one) outside any table.
func (t *textOut) p(format string, a ...any) { fmt.Fprintf(t.bw, format, a...) }

// flush ends the current table.
func (t *textOut) flush() { t.tw.Flush() }

// table ends the current table and starts one with a title line and a header row.
func (t *textOut) table(title, header string) {
	t.tw.Flush()
	if title != "" {
		t.p("\n%s\n", title)
	}
	fmt.Fprintln(t.tw, header)
}

// row writes a row of the current table, its cells ended by tabs.
func (t *textOut) row(format string, a ...any) { fmt.Fprintf(t.tw, format, a...) }

// WriteTable writes the report as text tables for a reader at a terminal.
func (r *Report) WriteTable(w io.Writer) error {
	bw := bufio.NewWriter(w)
	t := &textOut{bw: bw, tw: tabwriter.NewWriter(bw, 2, 8, 2, ' ', tabwriter.AlignRight)}
	t.p("flowlens report (times in %s)\n", r.TimeZone)
	if r.Range.From != nil || r.Range.To != nil {
		t.p("range: %s to %s\n", orDash(r.Range.From), orDash(r.Range.To))
	}
	for _, s := range sections {
		s.text(r, t)
		if t.err != nil {
			return t.err
		}
	}
	textComparison(r, t)
	textSpikes(r, t)
	t.flush()
	t.p("\n")
	for _, n := range r.Notes {
		t.p("note: %s\n", n)
	}
	for _, u := range r.Unavailable {
		t.p("unavailable: %s\n", u)
	}
	return bw.Flush()
}

func orDash(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

func intOrDash(v *int64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatInt(*v, 10)
}

func protoText(v *int64) string {
	if v == nil {
		return "-"
	}
	if n := ProtocolName(int(*v)); n != "" {
		return n
	}
	return strconv.FormatInt(*v, 10)
}

// num writes an integer with thousands separators.
func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// si writes a byte count in decimal units (1 GB = 10^9 bytes, as AWS bills).
func si(n int64) string { return units.Decimal(n) }
