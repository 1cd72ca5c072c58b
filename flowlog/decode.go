package flowlog

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// DefaultBatchRows is the number of rows in a full record batch.
const DefaultBatchRows = 65536

// Options configure decoding.
type Options struct {
	// Fields is the layout of lines that no header precedes. Nil means: 14 fields are the v2 default
	// layout, and a line with as many fields as every field up to some version (29 for v5, …) or as the
	// Transit Gateway layout (36) is read with that list.
	Fields *Layout
	// BatchRows is the most rows per record batch (DefaultBatchRows when 0; ParquetBatchRows
	// for Parquet).
	BatchRows int
	// Strict makes the first malformed line an error instead of a counted, reported line.
	Strict bool
	// Alloc allocates the batches' buffers (DefaultBufferPool when nil).
	Alloc memory.Allocator
	// Workers is how many goroutines decode one stream (1 when 0); another one decompresses.
	Workers int
	// BlockSize is the size of the blocks of whole lines handed to workers (DefaultBlockSize when 0).
	BlockSize int
	// Need lists the fields the caller reads; batches hold only those (and log-status). Nil means
	// every field of the layout. The other fields get a structural check, not a parse: each must be
	// "-" or a token of its kind's bytes no longer than its longest value (digits for numbers and
	// times, hex digits, '.' and ':' for addresses). So a line with a missing field, an extra one or
	// "x7" for a port is malformed whatever Need says; only a value of the right bytes out of its
	// range (port 99999, address 999.1.1.1) in a field the caller does not read is not. StrictFields
	// parses every field instead.
	Need []FieldID
	// StrictFields parses and range-checks every field of every line, read or not (what
	// --strict-fields asks for): slower, and the malformed count of a question never depends on
	// the fields it reads.
	StrictFields bool
	// MaxLineBytes is the longest line read (DefaultMaxLineBytes when 0): a longer one is one
	// malformed line, and DecodeStream skips its bytes without keeping them, so that an input
	// without newlines cannot make it buffer more than this per block.
	MaxLineBytes int
	// StartRange, when set, is the range of start times the caller keeps: a reader that knows where
	// values lie before reading them (Parquet row-group statistics) skips the parts in which no
	// record can start within it, and counts their rows in Stats.RowsSkipped.
	StartRange *StartRange
	// RowGroupShard, when set, reads only the row groups of a Parquet object that fall to shard
	// I of N (row group g of object o: (hash(o) + g) mod N = I-1), so that N processes split a few
	// large objects between them; the object itself (its count, size and skipped rows) is counted
	// by its first row group's shard alone. Text objects are not split.
	RowGroupShard *RowGroupShard
	// Derive, when set, adds computed columns (the enrichment of package enrich) to the batches
	// DecodeSources emits: all those it computes, from the fields decoded. The engine
	// (aggregate.Config.Derive) computes only those a question reads, and ignores this.
	Derive Deriver
}

// Deriver computes fields from decoded ones (package enrich implements it from an AWS inventory).
type Deriver interface {
	// Inputs reports whether the deriver computes field f, and the decoded fields that needs.
	Inputs(f FieldID) ([]FieldID, bool)
	// Fields lists every field it computes.
	Fields() []FieldID
	// New returns a computation of fields for one goroutine: it returns the batch with those of
	// fields it lacks appended (a new batch the caller releases), or rec itself retained.
	New(fields []FieldID) func(rec arrow.RecordBatch) (arrow.RecordBatch, error)
}

// RowGroupShard is shard I (1-based) of N of the row groups of Parquet objects.
type RowGroupShard struct{ I, N int }

// Mine reports whether part g (of the parts to read) of the object named name is this shard's.
func (r *RowGroupShard) Mine(name string, g int) bool {
	return r == nil || (shardHash(name)+uint64(g))%uint64(r.N) == uint64(r.I-1)
}

// shardHash is the hash that splits objects and row groups between shards: the first 8 bytes of
// the SHA-256 of the name, the same in every process.
func shardHash(name string) uint64 {
	h := sha256.Sum256([]byte(name))
	return binary.BigEndian.Uint64(h[:8])
}

// ShardOf is the shard (0-based, of n) of the object named name.
func ShardOf(name string, n int) int { return int(shardHash(name) % uint64(n)) }

// StartRange is [From, To) in Unix seconds; HasFrom or HasTo false means unbounded on that side.
type StartRange struct {
	From, To       int64
	HasFrom, HasTo bool
}

// excludes reports whether no start within [lo, hi] lies in the range.
func (r *StartRange) excludes(lo, hi int64) bool {
	return r.HasFrom && hi < r.From || r.HasTo && lo >= r.To
}

func (o Options) withDefaults() Options {
	if o.BatchRows <= 0 {
		o.BatchRows = DefaultBatchRows
	}
	if o.Alloc == nil {
		o.Alloc = DefaultBufferPool
	}
	if o.Workers <= 0 {
		o.Workers = 1
	}
	if o.BlockSize <= 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	return o
}

// DefaultMaxLineBytes is the longest line read by default: a flow-log record is a few hundred
// bytes, the longest layout with long tags a few kilobytes.
const DefaultMaxLineBytes = 1 << 20

// tooLong counts a line longer than Options.MaxLineBytes (n bytes, head its beginning) as
// malformed; in strict mode it returns the error.
func (d *Decoder) tooLong(l *longLine) error {
	if l.line == d.markLine {
		d.markHere()
	}
	d.stats.Lines++
	d.malformed(l.line, l.head, "", "", tooLongReason(l.n, d.opts.MaxLineBytes))
	if d.strict != nil {
		return d.strict
	}
	return nil
}

func tooLongReason(n int64, limit int) string {
	return "line too long: " + strconv.FormatInt(n, 10) + " bytes, the limit is " + sizeText(limit) + " (--max-line, Options.MaxLineBytes)"
}

// sizeText writes a size in MiB or KiB when it is a whole number of them.
func sizeText(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return itoa(n>>10) + " KiB"
	}
	return itoa(n) + " bytes"
}

// Decoder turns blocks of whole lines into Arrow record batches. It is the pure part of decoding: no
// I/O, no goroutines. One Decoder serves one goroutine; its buffers are reused from batch to batch.
type Decoder struct {
	opts   Options
	object string

	layout    *Layout       // set by the last header; nil before any
	cur       *Layout       // layout of the batch being built
	schema    *arrow.Schema // of the batches of cur: its fields, or those of them in Options.Need
	cols      []column
	n         int  // rows in the batch being built
	statusCol int  // position of log-status in the layout, or -1
	rowsHint  int  // when > 0, the rows a new batch makes room for at first (it grows as needed)
	capRows   int  // rows the batch being built has room for
	started   bool // the batch's buffers are allocated
	out       []arrow.RecordBatch

	// For optimistic parallel decoding: did a line of this block depend on the layout at its start?
	sawHeader      bool
	dependsOnStart bool

	// markLine is a line whose rows before it DecodeStream wants (where a gzip member begins):
	// Decode notes them in markRows, and sets marked, when it gets there.
	markLine int64
	markRows int64
	marked   bool

	stats   Stats
	toks    [maxFields + 1][2]int32
	scratch []byte
	strict  *ParseError
}

// NewDecoder returns a decoder for lines of the named object.
func NewDecoder(object string, opts Options) *Decoder {
	return &Decoder{opts: opts.withDefaults(), object: object}
}

// Stats returns the accounting so far.
func (d *Decoder) Stats() *Stats { return &d.stats }

// Take returns the finished batches and forgets them: the caller releases each.
func (d *Decoder) Take() []arrow.RecordBatch {
	out := d.out
	d.out = nil
	return out
}

func (d *Decoder) releaseOut() {
	for _, r := range d.out {
		r.Release()
	}
	d.out = d.out[:0]
}

// Decode decodes whole lines; a last line without a newline is decoded too. firstLine is the line
// number of the first line of block (1-based). In strict mode the first malformed line is returned as
// a *ParseError and decoding stops.
func (d *Decoder) Decode(block []byte, firstLine int64) error {
	line := firstLine
	for len(block) > 0 {
		var l []byte
		if nl := bytes.IndexByte(block, '\n'); nl >= 0 {
			l, block = block[:nl], block[nl+1:]
		} else {
			l, block = block, nil
		}
		if line == d.markLine {
			d.markHere()
		}
		d.decodeLine(l, line)
		if d.strict != nil {
			return d.strict
		}
		line++
	}
	return nil
}

func (d *Decoder) markHere() {
	d.markRows, d.marked = d.stats.Records+d.stats.NoData+d.stats.SkipData, true
}

// Flush finishes the batch being built, so that Take returns it.
func (d *Decoder) Flush() {
	if d.n == 0 {
		return
	}
	d.out = append(d.out, d.finishBatch())
}

func (d *Decoder) malformed(line int64, text []byte, field, value, reason string) {
	e := &ParseError{Object: d.object, Line: line, Field: field, Value: value, Reason: reason, Text: clip(text, 200)}
	d.stats.addMalformed(e)
	if d.opts.Strict {
		d.strict = e
	}
}

func (d *Decoder) decodeLine(l []byte, lineNo int64) {
	d.stats.Lines++
	orig := l
	if len(l) > d.opts.MaxLineBytes {
		// The same line as one too long for a block (lineReader.skipLong) gives the same error.
		d.malformed(lineNo, orig, "", "", tooLongReason(int64(len(l)), d.opts.MaxLineBytes))
		return
	}
	for len(l) > 0 && (l[len(l)-1] == '\r' || l[len(l)-1] == ' ') {
		l = l[:len(l)-1]
	}
	for len(l) > 0 && l[0] == ' ' {
		l = l[1:]
	}
	if len(l) == 0 {
		d.stats.Blank++
		return
	}
	if l[0] == '{' {
		msg, ok := d.unwrapJSON(l)
		if !ok {
			d.malformed(lineNo, orig, "", "", "JSON line without a \"message\" string")
			return
		}
		l = bytes.Trim(msg, " \r\n")
		if len(l) == 0 {
			d.stats.Blank++
			return
		}
	}
	if len(l) > 20 && l[4] == '-' && l[7] == '-' {
		if sp := bytes.IndexByte(l, ' '); sp > 0 && looksLikeISOTime(l[:sp]) {
			l = bytes.TrimLeft(l[sp:], " ") // a CloudWatch export's timestamp before the record
		}
	}
	if c := l[0]; c >= 'a' && c <= 'z' && d.isHeaderStart(l) {
		hl, bad := d.header(l, d.tokenize(l))
		if hl != nil {
			d.stats.Headers++
			d.layout = hl
			d.sawHeader = true
			return
		}
		if bad != "" {
			// A header that cannot be read: it is malformed, and so is every data line after it up
			// to the next good header, each saying why. Its layout is unknown: reading them with
			// the previous one or with Options.Fields would put values under the wrong names.
			d.malformed(lineNo, orig, "", "", bad)
			d.layout = faultLayout(d.object, lineNo, bad)
			d.sawHeader = true
			return
		}
	}
	if !d.sawHeader {
		d.dependsOnStart = true
	}

	layout := d.layout
	if layout != nil && layout.fault != "" {
		d.malformed(lineNo, orig, "", "", layout.fault)
		return
	}
	if layout == nil {
		layout = d.opts.Fields
	}
	if layout == nil {
		// No header and no --fields: the field count picks the layout. Try the last one first.
		layout = d.cur
		if layout == nil || !layoutByCount[layout.Len()].Equal(layout) || countFields(l) != layout.Len() {
			nt := countFields(l)
			layout = layoutByCount[nt]
			if layout == nil {
				d.malformed(lineNo, orig, "", "", "line has "+itoa(nt)+" fields and no header precedes it: the default layout has 14 (give --fields)")
				return
			}
		}
	}
	if layout != d.cur {
		d.Flush()
		d.cur = layout
		d.setupColumns()
	}
	if !d.started {
		d.startBatch()
	}
	times := d.saveTimes()
	if d.parseCols(l, d.cols) {
		d.rowDone(d.rowStatus())
		return
	}
	d.undoRow()
	d.restoreTimes(times)
	// The exact path finds what is wrong, field by field.
	toks := d.tokenize(l)
	if toks == nil {
		d.malformed(lineNo, orig, "", "", "too many fields")
		return
	}
	if len(toks) != layout.Len() {
		d.malformed(lineNo, orig, "", "", "line has "+itoa(len(toks))+" fields, the layout has "+itoa(layout.Len()))
		return
	}
	d.parseRow(l, toks, lineNo, orig)
}

// isHeaderStart reports whether the first token of l is a field name.
func (d *Decoder) isHeaderStart(l []byte) bool {
	sp := bytes.IndexByte(l, ' ')
	if sp < 0 {
		sp = len(l)
	}
	_, ok := fieldByName[unsafe.String(&l[0], sp)]
	return ok
}

// tokenize cuts l at runs of spaces into d.toks; nil when there are too many tokens.
func (d *Decoder) tokenize(l []byte) [][2]int32 {
	nt := 0
	for i := 0; i < len(l); {
		if l[i] == ' ' {
			i++
			continue
		}
		j := i + 1
		for j < len(l) && l[j] != ' ' {
			j++
		}
		if nt == len(d.toks) {
			return nil
		}
		d.toks[nt] = [2]int32{int32(i), int32(j)}
		nt++
		i = j + 1
	}
	return d.toks[:nt]
}

// countFields counts the runs of non-space bytes in l.
func countFields(l []byte) int {
	n := 0
	prev := byte(' ')
	for _, c := range l {
		if c != ' ' && prev == ' ' {
			n++
		}
		prev = c
	}
	return n
}

// parseCols decodes the fields of cols from l into row d.n in one pass over the bytes, each field
// parser cutting its token as it goes, and reports whether every field parsed and l is used up. The
// fast path gives it a whole line and every column; the exact path one token and its column, to name
// the field that fails. After false the caller undoes the row.
func (d *Decoder) parseCols(l []byte, cols []column) bool {
	n := d.n
	i := 0
	for f := range cols {
		for i < len(l) && l[i] == ' ' {
			i++
		}
		if i >= len(l) {
			return false
		}
		c := &cols[f]
		if l[i] == '-' && (i+1 == len(l) || l[i+1] == ' ') {
			bitutil.ClearBit(c.bits, n)
			c.nulls++
			i++
			continue
		}
		var j int
		var fok bool
		if sh := c.shape; sh != nil {
			// A field the caller does not read: only its shape is checked.
			var m uint8
			j, m = scanShape(l, i)
			if m&sh.deny != 0 || j-i > sh.max {
				return false
			}
			i = j
			continue
		}
		switch c.kind {
		case KindString:
			j = nextSpace(l, i)
			if !c.skip {
				c.i32[n] = c.dict.intern(l[i:j])
			}
			fok = true
		case KindAddr:
			j, fok = scanAddr(l, i, (*[16]byte)(c.addr[n*16:]))
		case KindTime:
			var v uint64
			v, j = scanUint(l, i)
			fok = j > i && j-i <= 19
			if v >= millisFrom {
				// Out of line: nearly every time is in seconds, and this case keeps the loop small.
				v, fok = d.toSeconds(v, fok)
			}
			c.i64[n] = int64(v)
		case KindInt32:
			var v uint64
			v, j = scanUint(l, i)
			c.i32[n] = int32(v)
			fok = j > i && j-i <= 10 && v <= math.MaxInt32
		case KindPort:
			var v uint64
			v, j = scanUint(l, i)
			c.u16[n] = uint16(v)
			fok = j > i && j-i <= 5 && v <= math.MaxUint16
		case KindProto:
			var v uint64
			v, j = scanUint(l, i)
			c.u8[n] = uint8(v)
			fok = j > i && j-i <= 3 && v <= math.MaxUint8
		case KindInt64:
			var v uint64
			v, j = scanUint(l, i)
			c.i64[n] = int64(v)
			fok = j > i && j-i <= 19 && v <= math.MaxInt64
		}
		if !fok || (j < len(l) && l[j] != ' ') {
			return false
		}
		i = j
	}
	for i < len(l) && l[i] == ' ' {
		i++
	}
	return i == len(l)
}

// rowStatus returns the dictionary index of row d.n's log-status, or -1 when it has none.
func (d *Decoder) rowStatus() int32 {
	if s := d.statusCol; s >= 0 && bitutil.BitIsSet(d.cols[s].bits, d.n) {
		return d.cols[s].i32[d.n]
	}
	return -1
}

// The units of start and end, told apart by magnitude. Seconds are taken as they are below
// millisFrom (as seconds that is after the year 5138), small values included. Above, each unit is
// read where it puts the time between 1973 and 2286 (12–13 digits for milliseconds, 15–16 for
// microseconds, 18–19 for nanoseconds); a value between those bands (14 or 17 digits) is in no
// unit and malformed.
const (
	millisFrom = 100_000_000_000 // 1e11
	millisTo   = 1e13
	microsFrom = 1e14
	microsTo   = 1e16
	nanosFrom  = 1e17
)

// toSeconds brings a start/end of at least millisFrom to seconds, counting its unit; ok is false
// (and nothing counted) when the value is in no unit or when it was not a number (ok false already).
func (d *Decoder) toSeconds(v uint64, ok bool) (uint64, bool) {
	if !ok {
		return v, false
	}
	switch {
	case v < millisTo:
		d.stats.MillisTimes++
		return v / 1e3, true
	case v < microsFrom:
		return v, false
	case v < microsTo:
		d.stats.MicrosTimes++
		return v / 1e6, true
	case v < nanosFrom:
		return v, false
	default:
		d.stats.NanosTimes++
		return v / 1e9, true
	}
}

// timeUnit returns the divisor that brings v to seconds (1 for seconds), or 0 when v is in no unit.
func timeUnit(v uint64) uint64 {
	switch {
	case v < millisFrom:
		return 1
	case v < millisTo:
		return 1e3
	case v < microsFrom:
		return 0
	case v < microsTo:
		return 1e6
	case v < nanosFrom:
		return 0
	case v < 1e19:
		return 1e9
	}
	return 0
}

// timeProblem says why tok is not a start/end: in no unit, or not a number.
func timeProblem(tok string) string {
	for i := 0; i < len(tok); i++ {
		if tok[i] < '0' || tok[i] > '9' {
			return kindProblem[KindTime]
		}
	}
	return "a Unix time of " + itoa(len(strings.TrimLeft(tok, "0"))) + " digits is in no unit: seconds have up to 11, " +
		"milliseconds 12-13, microseconds 15-16, nanoseconds 18-19"
}

// timeCounts are the counts of start/end units, saved before a row and put back when it fails.
type timeCounts [3]int64

func (d *Decoder) saveTimes() timeCounts {
	return timeCounts{d.stats.MillisTimes, d.stats.MicrosTimes, d.stats.NanosTimes}
}

func (d *Decoder) restoreTimes(t timeCounts) {
	d.stats.MillisTimes, d.stats.MicrosTimes, d.stats.NanosTimes = t[0], t[1], t[2]
}

// undoRow clears what a failed parse wrote into row d.n: nulls and the millisecond count.
func (d *Decoder) undoRow() {
	for i := range d.cols {
		c := &d.cols[i]
		if c.bits != nil && !bitutil.BitIsSet(c.bits, d.n) {
			bitutil.SetBit(c.bits, d.n)
			c.nulls--
		}
	}
}

// header returns the layout a header line sets, or nil when the line is not a header. A line whose
// first token is a field name and whose every token looks like one (lower-case letters, digits, '-'
// and '_', beginning with a letter) is a header: when it names a field that does not exist, or one
// twice, header returns nil and what is wrong with it. Data lines hold addresses, numbers or "-".
// Called for header lines only: the allocation is not per record.
func (d *Decoder) header(l []byte, toks [][2]int32) (*Layout, string) {
	if toks == nil {
		return nil, ""
	}
	ids := make([]FieldID, 0, len(toks))
	var unknown []byte
	nunknown := 0
	for _, t := range toks {
		tok := l[t[0]:t[1]]
		id, ok := fieldByName[unsafe.String(&tok[0], len(tok))]
		if !ok {
			if !nameLike(tok) {
				return nil, ""
			}
			if nunknown == 0 {
				unknown = tok
			}
			nunknown++
			continue
		}
		ids = append(ids, id)
	}
	if nunknown > 0 {
		bad := "unknown field " + strconv.Quote(clip(unknown, 64)) + " in the header"
		if nunknown > 1 {
			bad += " (and " + itoa(nunknown-1) + " more)"
		}
		return nil, bad
	}
	// Keep the same *Layout when a header repeats, so that batches are not cut at each repetition.
	if d.layout != nil && d.layout.fault == "" && sameIDs(d.layout.IDs, ids) {
		return d.layout, ""
	}
	if d.opts.Fields != nil && sameIDs(d.opts.Fields.IDs, ids) {
		return d.opts.Fields, ""
	}
	if d.cur != nil && sameIDs(d.cur.IDs, ids) {
		return d.cur, ""
	}
	nl, err := NewLayout(ids)
	if err != nil {
		return nil, err.Error() + " in the header" // a repeated name
	}
	return nl, ""
}

// nameLike reports whether tok could be a field name: a lower-case letter, then lower-case
// letters, digits, '-' and '_'.
func nameLike(tok []byte) bool {
	if len(tok) == 0 || tok[0] < 'a' || tok[0] > 'z' {
		return false
	}
	for _, c := range tok {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// faultLayout stands for the layout of a header that cannot be read (the one at object:line,
// with problem bad): the lines under it are malformed with its reason. Layouts travel between the
// parallel decoder's blocks by pointer and compare by text, so its text is unique to that header.
func faultLayout(object string, line int64, bad string) *Layout {
	at := object + ":" + strconv.FormatInt(line, 10)
	reason := "not read: the header above it (" + at + ") is malformed (" + bad + ")"
	return &Layout{text: "\x00" + at + " " + bad, fault: reason}
}

func sameIDs(a, b []FieldID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// unwrapJSON returns the "message" string of a JSON-wrapped line.
func (d *Decoder) unwrapJSON(l []byte) ([]byte, bool) {
	k := bytes.Index(l, []byte(`"message"`))
	if k < 0 {
		return nil, false
	}
	rest := bytes.TrimLeft(l[k+len(`"message"`):], " \t")
	if len(rest) == 0 || rest[0] != ':' {
		return nil, false
	}
	rest = bytes.TrimLeft(rest[1:], " \t")
	if len(rest) == 0 || rest[0] != '"' {
		return nil, false
	}
	for i := 1; i < len(rest); i++ {
		switch rest[i] {
		case '"':
			return rest[1:i], true
		case '\\':
			// Escapes are rare in flow logs: let encoding/json handle the whole string.
			var s string
			dec := json.NewDecoder(bytes.NewReader(rest))
			if err := dec.Decode(&s); err != nil {
				return nil, false
			}
			d.scratch = append(d.scratch[:0], s...)
			return d.scratch, true
		}
	}
	return nil, false
}

// column is one column of the batch being built, written in place in allocator-owned buffers.
type column struct {
	kind  Kind
	field FieldID
	skip  bool // checked but not kept (Options.Need)
	// shape, when set, replaces the parse of a field the caller does not read by a structural check
	// (Options.Need without StrictFields): the bytes a token may hold, and its longest length.
	shape *tokenShape
	valid *memory.Buffer
	data  *memory.Buffer
	bits  []byte
	nulls int
	i64   []int64
	i32   []int32
	u16   []uint16
	u8    []uint8
	addr  []byte
	dict  *internTable
}

func (d *Decoder) setupColumns() {
	d.releaseColumns()
	ids := d.cur.IDs
	d.statusCol = d.cur.Index(FLogStatus)
	if cap(d.cols) < len(ids) {
		d.cols = make([]column, len(ids))
	}
	d.cols = d.cols[:len(ids)]
	d.schema = d.cur.Schema()
	if d.opts.Need != nil {
		d.schema = d.cur.project(d.opts.Need)
	}
	for i, id := range ids {
		c := &d.cols[i]
		dict := c.dict
		*c = column{kind: Fields[id].Kind, field: id, skip: d.opts.Need != nil && !keeps(d.opts.Need, id)}
		if c.skip && !d.opts.StrictFields && id != FLogStatus {
			c.shape = shapes[c.kind]
		}
		if c.kind == KindString {
			if dict == nil {
				dict = newInternTable()
			}
			c.dict = dict
		}
	}
}

func kindWidth(k Kind) int {
	switch k {
	case KindAddr:
		return 16
	case KindPort:
		return 2
	case KindProto:
		return 1
	case KindInt32, KindString:
		return 4
	default:
		return 8
	}
}

// firstBatchRows is the room a batch starts with when the rows to come are unknown; it doubles as
// needed up to BatchRows, so that small inputs do not pay for 64 Ki-row buffers.
const firstBatchRows = 4096

func (d *Decoder) startBatch() {
	d.started = true
	rows := min(d.opts.BatchRows, firstBatchRows)
	if d.rowsHint > 0 {
		rows = min(d.opts.BatchRows, d.rowsHint)
	}
	for i := range d.cols {
		c := &d.cols[i]
		c.valid = memory.NewResizableBuffer(d.opts.Alloc)
		c.data = memory.NewResizableBuffer(d.opts.Alloc)
		c.nulls = 0
		if c.dict != nil {
			c.dict.reset()
		}
	}
	d.capRows = 0
	d.growBatch(rows)
}

// growBatch makes room for rows rows in every column, keeping what is written.
func (d *Decoder) growBatch(rows int) {
	old := d.capRows
	d.capRows = rows
	nb := int(bitutil.BytesForBits(int64(rows)))
	for i := range d.cols {
		c := &d.cols[i]
		c.valid.Resize(nb)
		c.bits = c.valid.Bytes()
		// Rows from old on start valid; the bits of rows before old are kept.
		whole := (old + 7) / 8 // first byte holding no row before old
		for j := old; j < min(rows, 8*whole); j++ {
			bitutil.SetBit(c.bits, j)
		}
		for k := whole; k < len(c.bits); k++ {
			c.bits[k] = 0xff
		}
		c.data.Resize(rows * kindWidth(c.kind))
		b := c.data.Bytes()
		switch c.kind {
		case KindAddr:
			c.addr = b
		case KindPort:
			c.u16 = arrow.Uint16Traits.CastFromBytes(b)
		case KindProto:
			c.u8 = b
		case KindInt32, KindString:
			c.i32 = arrow.Int32Traits.CastFromBytes(b)
		default:
			c.i64 = arrow.Int64Traits.CastFromBytes(b)
		}
	}
}

// rowDone counts a decoded row and makes room for the next, finishing the batch when it is full.
func (d *Decoder) rowDone(status int32) {
	d.countStatus(status)
	d.n++
	if d.n == d.capRows {
		if d.capRows < d.opts.BatchRows {
			d.growBatch(min(2*d.capRows, d.opts.BatchRows))
		} else {
			d.Flush()
		}
	}
}

// parseRow is the exact path: it decodes the tokens of a line one by one into row d.n and reports
// the first field that fails.
func (d *Decoder) parseRow(l []byte, toks [][2]int32, lineNo int64, orig []byte) {
	times := d.saveTimes()
	for f, t := range toks {
		tok := l[t[0]:t[1]]
		if !d.parseCols(tok, d.cols[f:f+1]) {
			d.restoreTimes(times)
			d.undoRow()
			c := &d.cols[f]
			d.malformed(lineNo, orig, Fields[c.field].Name, clip(tok, 64), problem(c.kind, tok))
			return
		}
	}
	d.rowDone(d.rowStatus())
}

// problem says why tok is not a value of kind k.
func problem(k Kind, tok []byte) string {
	if k == KindTime {
		return timeProblem(string(tok))
	}
	return kindProblem[k]
}

var kindProblem = [...]string{
	KindString: "not a string",
	KindAddr:   "not an IPv4 or IPv6 address",
	KindPort:   "not a port number",
	KindProto:  "not a protocol number",
	KindInt32:  "not a number",
	KindInt64:  "not a number",
	KindTime:   "not a Unix time",
}

func (d *Decoder) countStatus(idx int32) {
	if idx < 0 {
		d.stats.Records++
		return
	}
	switch string(d.cols[d.cur.Index(FLogStatus)].dict.value(idx)) {
	case "NODATA":
		d.stats.NoData++
	case "SKIPDATA":
		d.stats.SkipData++
	default:
		d.stats.Records++
	}
}

// finishBatch wraps the columns' buffers as an Arrow record batch.
func (d *Decoder) finishBatch() arrow.RecordBatch {
	n := d.n
	arrs := make([]arrow.Array, 0, len(d.cols))
	for i := range d.cols {
		c := &d.cols[i]
		if c.skip {
			c.valid.Release()
			c.data.Release()
			c.valid, c.data, c.bits = nil, nil, nil
			continue
		}
		valid := c.valid
		if c.nulls == 0 {
			valid.Release()
			valid = nil
		} else {
			valid.Resize(int(bitutil.BytesForBits(int64(n))))
		}
		c.data.Resize(n * kindWidth(c.kind))
		var data *array.Data
		if c.kind == KindString {
			dict := d.dictData(c.dict)
			data = array.NewDataWithDictionary(StringType, n, []*memory.Buffer{valid, c.data}, c.nulls, 0, dict)
			dict.Release()
		} else {
			data = array.NewData(c.kind.ArrowType(), n, []*memory.Buffer{valid, c.data}, nil, c.nulls, 0)
		}
		arrs = append(arrs, array.MakeFromData(data))
		data.Release()
		if valid != nil {
			valid.Release()
		}
		c.data.Release()
		c.valid, c.data, c.bits = nil, nil, nil
	}
	rec := array.NewRecordBatch(d.schema, arrs, int64(n))
	for _, a := range arrs {
		a.Release()
	}
	d.n = 0
	d.started = false
	return rec
}

// dictData copies an intern table into an Arrow string array's data.
func (d *Decoder) dictData(t *internTable) *array.Data {
	offs := memory.NewResizableBuffer(d.opts.Alloc)
	offs.Resize(4 * len(t.offsets))
	copy(arrow.Int32Traits.CastFromBytes(offs.Bytes()), t.offsets)
	vals := memory.NewResizableBuffer(d.opts.Alloc)
	vals.Resize(len(t.arena))
	copy(vals.Bytes(), t.arena)
	data := array.NewData(arrow.BinaryTypes.String, t.len(), []*memory.Buffer{nil, offs, vals}, nil, 0, 0)
	offs.Release()
	vals.Release()
	return data
}

// Close releases the buffers of a batch in progress and of batches not taken.
func (d *Decoder) Close() {
	d.releaseOut()
	d.releaseColumns()
	d.n = 0
}

func (d *Decoder) releaseColumns() {
	d.started = false
	for i := range d.cols {
		c := &d.cols[i]
		if c.valid != nil {
			c.valid.Release()
			c.valid = nil
		}
		if c.data != nil {
			c.data.Release()
			c.data = nil
		}
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	if n == 0 {
		return "0"
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// keeps reports whether the batches of a decode with need hold field id: log-status always, for
// the accounting of NODATA and SKIPDATA.
func keeps(need []FieldID, id FieldID) bool {
	if id == FLogStatus {
		return true
	}
	for _, n := range need {
		if n == id {
			return true
		}
	}
	return false
}

// unitIndex is the position of a divisor's unit in timeCounts.
func unitIndex(u uint64) int {
	switch u {
	case 1e3:
		return 0
	case 1e6:
		return 1
	}
	return 2
}
