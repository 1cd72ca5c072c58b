package output

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Writer is every output of record batches: Write each batch in turn, then Close, which writes what
// the format keeps to the end (a table's aligned rows, a JSON array's bracket, a Parquet footer). A
// Writer does not close the io.Writer under it.
type Writer interface {
	Write(arrow.RecordBatch) error
	Close() error
}

// Format names an output format, as the --format flag spells it.
type Format string

// The formats. JSONL, JSON and CSV have one line per row (RowWriter); Table aligns its columns
// (TableWriter); Parquet and Arrow (IPC stream) are binary; HTML is a page for documents only.
const (
	Table   Format = "table"
	JSON    Format = "json" // one array of the JSONL objects
	JSONL   Format = "jsonl"
	CSV     Format = "csv"
	Parquet Format = "parquet"
	Arrow   Format = "arrow"
	// HTML is a document's self-contained page (report, cost): no batch writer has it.
	HTML Format = "html"
)

// Binary reports whether f is not text: such a format is not written to a terminal.
func (f Format) Binary() bool { return f == Parquet || f == Arrow }

// New returns the Writer of format f to w.
func New(w io.Writer, f Format) (Writer, error) {
	switch f {
	case Table:
		return NewTableWriter(w), nil
	case Parquet:
		return NewParquetWriter(w), nil
	case Arrow:
		return NewArrowWriter(w), nil
	}
	return NewRowWriter(w, f)
}

// byExtension is the format a file's extension names.
var byExtension = map[string]Format{".json": JSON, ".jsonl": JSONL, ".ndjson": JSONL, ".csv": CSV,
	".parquet": Parquet, ".arrow": Arrow, ".arrows": Arrow, ".ipc": Arrow, ".txt": Table,
	".html": HTML, ".htm": HTML}

// Choice is what a command writes: the formats it has, and what "auto" means for it.
type Choice struct {
	Allowed []Format
	File    Format // auto, -o FILE whose extension names no allowed format
	Piped   Format // auto, stdout that is not a terminal
}

// Pick is the one output-format rule of every command. An explicit format must be one the command
// has. "auto" (or "") takes the extension of the -o FILE when it names an allowed format, else
// c.File; on stdout, a table on a terminal, else c.Piped. A binary format is refused for a terminal.
// path "" or "-" is stdout.
func Pick(flag, path string, terminal bool, c Choice) (Format, error) {
	stdout := path == "" || path == "-"
	f := Format(flag)
	switch {
	case flag == "auto" || flag == "":
		switch {
		case !stdout:
			f = c.File
			if e, ok := byExtension[strings.ToLower(filepath.Ext(path))]; ok && c.allows(e) {
				f = e
			}
		case terminal && c.allows(Table):
			f = Table
		default:
			f = c.Piped
		}
	case !c.allows(f):
		names := make([]string, len(c.Allowed))
		for i, a := range c.Allowed {
			names[i] = string(a)
		}
		want := names[0]
		if n := len(names); n > 1 {
			want = strings.Join(names[:n-1], ", ") + " or " + names[n-1]
		}
		return "", fmt.Errorf("--format %q: want %s", flag, want)
	}
	if f.Binary() && stdout && terminal {
		return "", fmt.Errorf("--format %s is binary: give -o FILE or redirect stdout", f)
	}
	return f, nil
}

func (c Choice) allows(f Format) bool {
	for _, a := range c.Allowed {
		if a == f {
			return true
		}
	}
	return false
}

// Open returns where a command's output goes: stdout for "" or "-"; a device or a pipe (/dev/null,
// /dev/stdout, a FIFO) as it is, never replaced; otherwise an AtomicFile. The returned func ends the
// output: done(true) commits the file, done(false) removes it.
func Open(path string, stdout io.Writer) (w io.Writer, done func(ok bool) error, err error) {
	if path == "" || path == "-" {
		return stdout, func(bool) error { return nil }, nil
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, nil, err
		}
		return f, func(bool) error { return f.Close() }, nil
	}
	f, err := CreateAtomic(path)
	if err != nil {
		return nil, nil, err
	}
	return f, func(ok bool) error {
		if !ok {
			f.Abort()
			return nil
		}
		return f.Commit()
	}, nil
}

// WriteJSON writes v as one indented JSON document and a newline: the form of every document
// flowlens writes (the report, the cost review, the estimate, the input accounting).
func WriteJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
