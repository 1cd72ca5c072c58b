package flowlog

import (
	"fmt"
	"strings"
)

// MaxKeptMalformed is how many malformed lines a Stats keeps with their text; all are counted.
const MaxKeptMalformed = 10

// ParseError is a malformed line: where it is, which field failed, and what was there.
type ParseError struct {
	Object string `json:"object"`
	Line   int64  `json:"line"`
	Field  string `json:"field,omitempty"` // AWS field name; empty when the line as a whole is wrong
	Value  string `json:"value,omitempty"` // the field's text
	Reason string `json:"reason,omitempty"`
	Text   string `json:"text"` // the line, cut to 200 bytes
}

func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Field != "" {
		fmt.Fprintf(&b, "cannot parse %s %q at %s:%d", e.Field, e.Value, e.Object, e.Line)
		if e.Reason != "" {
			b.WriteString(": ")
			b.WriteString(e.Reason)
		}
	} else {
		fmt.Fprintf(&b, "%s at %s:%d: %q", e.Reason, e.Object, e.Line, e.Text)
	}
	return b.String()
}

func clip(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// StreamError is an object that could not be read to its end: a truncated or corrupt gzip stream, a
// failed read. The records decoded before the fault are kept and counted.
type StreamError struct {
	Object      string
	RecordsRead int64 // records decoded from the object before the fault
	LinesRead   int64
	Err         error
}

func (e *StreamError) Error() string {
	return fmt.Sprintf("cannot read %s after %d records (line %d): %v", e.Object, e.RecordsRead, e.LinesRead, e.Err)
}

func (e *StreamError) Unwrap() error { return e.Err }

// Stats is the accounting of a decode: every line read lands in exactly one of Records, NoData,
// SkipData, Headers, Blank and Malformed, so Lines is always their sum.
type Stats struct {
	Objects       int64 `json:"objects"`
	ObjectsFailed int64 `json:"objects_failed"`
	BytesRead     int64 `json:"bytes_read"` // bytes of the objects as stored (compressed)
	BytesText     int64 `json:"bytes_text"` // bytes of text decoded (uncompressed)
	Lines         int64 `json:"lines"`
	Records       int64 `json:"records"` // log-status OK (or no log-status field)
	NoData        int64 `json:"nodata"`
	SkipData      int64 `json:"skipdata"`
	Headers       int64 `json:"headers"`
	Blank         int64 `json:"blank"`
	Malformed     int64 `json:"malformed"`
	// MillisTimes, MicrosTimes and NanosTimes count the start/end values given in milliseconds,
	// microseconds and nanoseconds, told apart by their magnitude and normalised to seconds.
	MillisTimes int64 `json:"millis_times"`
	MicrosTimes int64 `json:"micros_times"`
	NanosTimes  int64 `json:"nanos_times"`
	// RowsFromBadMember counts the rows (records, NODATA and SKIPDATA lines) from lines with bytes
	// in a gzip member whose trailer check (CRC-32 or length) failed: they are in the counts above
	// and were emitted, since a member's bytes are decoded before its trailer is read; the object
	// counts as failed (GzipMemberError).
	RowsFromBadMember int64 `json:"rows_from_bad_member"`
	// RowsSkipped counts the rows of Parquet row groups left unread because their start statistics
	// lie outside Options.StartRange (they are not lines read: Lines does not count them).
	RowsSkipped int64 `json:"rows_skipped"`

	// FirstMalformed holds the first MaxKeptMalformed malformed lines in input order.
	FirstMalformed []*ParseError `json:"first_malformed"`
}

// Balanced reports whether the accounting identity holds.
func (s *Stats) Balanced() bool {
	return s.Lines == s.Records+s.NoData+s.SkipData+s.Headers+s.Blank+s.Malformed
}

// Add merges o into s. Malformed lines kept are those of s first, then o's, up to the limit.
func (s *Stats) Add(o *Stats) {
	s.Objects += o.Objects
	s.ObjectsFailed += o.ObjectsFailed
	s.BytesRead += o.BytesRead
	s.BytesText += o.BytesText
	s.Lines += o.Lines
	s.Records += o.Records
	s.NoData += o.NoData
	s.SkipData += o.SkipData
	s.Headers += o.Headers
	s.Blank += o.Blank
	s.Malformed += o.Malformed
	s.MillisTimes += o.MillisTimes
	s.MicrosTimes += o.MicrosTimes
	s.NanosTimes += o.NanosTimes
	s.RowsSkipped += o.RowsSkipped
	s.RowsFromBadMember += o.RowsFromBadMember
	for _, e := range o.FirstMalformed {
		if len(s.FirstMalformed) >= MaxKeptMalformed {
			break
		}
		s.FirstMalformed = append(s.FirstMalformed, e)
	}
}

func (s *Stats) addMalformed(e *ParseError) {
	s.Malformed++
	if len(s.FirstMalformed) < MaxKeptMalformed {
		s.FirstMalformed = append(s.FirstMalformed, e)
	}
}
