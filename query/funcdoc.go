package query

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// The docs of the SQL functions, made from the registry: the help text of the CLI and the table of
// docs/sql.md (TestFunctionDocs keeps that table equal to FunctionsMarkdown).

var funcSections = []struct {
	kind  funcKind
	title string
}{
	{scalarFunc, "Scalar functions"},
	{aggregateFunc, "Aggregate functions"},
	{syntaxFunc, "Syntax"},
}

// docLine is an entry's doc with its aliases: "…; also dow".
func (d *funcDef) docLine() string {
	if len(d.aliases) == 0 {
		return d.doc
	}
	return d.doc + "; also " + strings.Join(d.aliases, ", ")
}

// WriteFunctionHelp writes the SQL functions as plain text, grouped by kind: one line per function,
// its signature then its doc.
func WriteFunctionHelp(w io.Writer) error {
	width := 0
	for _, d := range funcDefs {
		width = max(width, utf8.RuneCountInString(d.signature()))
	}
	var b strings.Builder
	for i, sec := range funcSections {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s:\n", sec.title)
		for _, d := range funcsOf(sec.kind) {
			sig := d.signature()
			fmt.Fprintf(&b, "  %s%s  %s\n", sig, strings.Repeat(" ", width-utf8.RuneCountInString(sig)), d.docLine())
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// FunctionsMarkdown returns the SQL functions as a Markdown table: scalars, aggregates, then syntax,
// each sorted by name.
func FunctionsMarkdown() string {
	var b strings.Builder
	b.WriteString("| Function | Kind | Signature | Description |\n")
	b.WriteString("|---|---|---|---|\n")
	for _, sec := range funcSections {
		for _, d := range funcsOf(sec.kind) {
			var names []string
			for _, n := range d.names() {
				names = append(names, "`"+n+"`")
			}
			fmt.Fprintf(&b, "| %s | %s | `%s` | %s |\n", strings.Join(names, ", "), d.kind,
				mdCell(d.signature()), mdCell(d.doc))
		}
	}
	return b.String()
}

// mdCell escapes what would end a cell of a Markdown table.
func mdCell(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}
