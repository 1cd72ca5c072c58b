package flowlog

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/klauspost/compress/gzip"
)

// DefaultBlockSize is the size of the blocks of whole lines read at a time.
const DefaultBlockSize = 4 << 20

var (
	gzipPool  sync.Pool // *gunzipReader (gunzip.go or gunzip_isal.go), reused with Reset
	bufioPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 256<<10) }}
)

// Emit receives decoded batches in input order. The batch is released when Emit returns: Retain it
// to keep it.
type Emit func(arrow.RecordBatch) error

// DecodeStream decodes one object, plain text, gzip or Parquet (detected from its first bytes;
// multi-member gzip is one stream), and calls emit for each batch in input order. With opts.Workers
// > 1 one goroutine decompresses and cuts blocks of whole lines while the workers decode them.
//
// The returned error is a *StreamError when the object cannot be read to its end (the records before
// the fault were emitted and are counted), a *ParseError in strict mode, or emit's error.
func DecodeStream(ctx context.Context, r io.Reader, object string, opts Options, emit Emit) (*Stats, error) {
	given := opts
	opts = opts.withDefaults()
	cr := &countingReader{r: r}
	br := bufioPool.Get().(*bufio.Reader)
	br.Reset(cr)
	defer func() { br.Reset(nil); bufioPool.Put(br) }()

	if magic, _ := br.Peek(4); string(magic) == parquetMagic {
		return decodeParquetStream(ctx, br, cr, object, given, emit)
	}
	var text io.Reader = br
	var zr *gunzipReader
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, _ = gzipPool.Get().(*gunzipReader)
		if zr == nil {
			zr = newGunzipReader()
		}
		if err := zr.Reset(br); err != nil {
			st := &Stats{Objects: 1, ObjectsFailed: 1, BytesRead: cr.n}
			return st, &StreamError{Object: object, Err: err}
		}
		defer gzipPool.Put(zr)
		text = zr
	}
	lr := &lineReader{r: text, max: opts.MaxLineBytes}
	if zr != nil {
		lr.mem = zr
	}
	var st *Stats
	var err error
	if opts.Workers <= 1 {
		st, err = decodeSequential(ctx, lr, object, opts, emit)
	} else {
		st, err = decodeParallel(ctx, lr, object, opts, emit)
	}
	st.Objects = 1
	st.BytesRead = cr.n
	if se, ok := err.(*StreamError); ok {
		st.ObjectsFailed = 1
		if zr != nil && errors.Is(se.Err, gzip.ErrChecksum) {
			// The member's bytes were decoded as they came: its rows are kept, and counted, so
			// that the totals say how much of them rests on data that failed its check.
			m, _ := zr.member()
			me := &GzipMemberError{Member: m, Err: se.Err}
			if lr.rowsMember == m {
				me.Rows = st.Records + st.NoData + st.SkipData - lr.rowsBefore
			}
			st.RowsFromBadMember = me.Rows
			se.Err = me
		}
		se.RecordsRead = st.Records
		se.LinesRead = st.Lines
	}
	return st, err
}

// GzipMemberError is a gzip member whose trailer check failed (its CRC-32, or its length): its
// bytes had been decoded before the trailer was read, so its rows are kept and counted (Rows, and
// Stats.RowsFromBadMember). The stream is not read past it, as gzip readers do.
type GzipMemberError struct {
	Member int   // from 1
	Rows   int64 // rows (records, NODATA and SKIPDATA lines) from lines with bytes in the member
	Err    error // gzip.ErrChecksum
}

func (e *GzipMemberError) Error() string {
	return "gzip CRC mismatch in member " + itoa(e.Member) + " (the " + strconv.FormatInt(e.Rows, 10) + " rows read from it are kept)"
}

func (e *GzipMemberError) Unwrap() error { return e.Err }

// parquetMagic begins (and ends) every Parquet file; no flow-log text line begins with it.
const parquetMagic = "PAR1"

// decodeParquetStream decodes a Parquet object that comes as a stream without a name that says so
// (standard input): its footer is at its end and it is read at random, so the stream is read into
// memory first, as DecodeObject reads a Parquet object that is not an io.ReaderAt. Memory rather
// than a temporary file: nothing to clean up after a crash, no disk that may be read-only or
// small, and the decoder then reads the column chunks in place; a Parquet flow-log object is
// compressed and its size is bounded by its delivery interval.
func decodeParquetStream(ctx context.Context, br *bufio.Reader, cr *countingReader, object string, opts Options, emit Emit) (*Stats, error) {
	b, err := io.ReadAll(br)
	if err != nil {
		return &Stats{Objects: 1, ObjectsFailed: 1, BytesRead: cr.n}, &StreamError{Object: object, Err: err}
	}
	return DecodeParquet(ctx, bytes.NewReader(b), int64(len(b)), object, opts, emit)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// lineReader cuts a stream into blocks of whole lines, carrying the partial last line over.
type lineReader struct {
	r     io.Reader
	max   int // Options.MaxLineBytes
	tail  []byte
	line  int64 // line number of the next block's first line, less one
	rerr  error // the reader's error, kept when it came with bytes that skipLong used
	err   error // the read error that ended the stream (nil at a clean EOF)
	done  bool
	bytes int64
	long  *longLine // set by next when the line after the block it returns was too long

	// Where gzip members begin, to count the rows of one whose check fails (GzipMemberError).
	// Only the member being read can fail: so only its start is followed.
	mem     interface{ member() (int, int64) } // the gzip reader; nil for plain text
	memSeen int                                // the member last seen
	pending bool                               // its first byte is not in a block yet
	pendAt  int64                              // the offset of its first byte in the text
	mark    memberMark                         // set by next: the line of the block where it begins

	// Set by the decode functions: the rows before the line where member rowsMember begins.
	rowsMember int
	rowsBefore int64
}

// memberMark is the line where a gzip member's first byte is (line 0: none).
type memberMark struct {
	member int
	line   int64
}

// longLine is a line longer than Options.MaxLineBytes, skipped by the line reader: it is counted
// as malformed after the lines of the block before it.
type longLine struct {
	line int64
	n    int64  // its bytes, without the newline
	head []byte // its first bytes, for the ParseError's text
}

// next fills buf (keeping its capacity, growing it up to the longest line allowed) with whole lines
// and returns them with the number of their first line. At the end of the stream the last line is
// returned even without its newline, except after a read error: then it is dropped as incomplete.
// A line longer than lr.max that does not fit in buf is skipped without being kept (lr.long says
// so): buf never grows past max(its capacity, lr.max+1), whatever the input.
func (lr *lineReader) next(buf []byte) (block []byte, first int64, partial []byte) {
	buf = append(buf[:0], lr.tail...)
	lr.tail = lr.tail[:0]
	lr.long = nil
	lr.mark = memberMark{}
	for {
		if len(buf) == cap(buf) {
			if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
				lr.tail = append(lr.tail, buf[i+1:]...)
				first = lr.line + 1
				return lr.cut(buf[:i+1]), first, nil
			}
			if len(buf) > lr.max {
				// buf is the beginning of one line, already too long: skip the rest of it.
				first = lr.line + 1
				lr.skipLong(buf)
				return buf[:0], first, nil
			}
			buf = slices.Grow(buf, min(2*cap(buf), lr.max+1)-len(buf))
		}
		n, err := lr.read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			lr.done = true
			if err != io.EOF {
				lr.err = err
				i := bytes.LastIndexByte(buf, '\n')
				partial = buf[i+1:]
				buf = buf[:i+1]
			}
			if len(buf) == 0 {
				return nil, lr.line + 1, partial
			}
			first = lr.line + 1
			return lr.cut(buf), first, partial
		}
	}
}

func (lr *lineReader) read(p []byte) (int, error) {
	if lr.rerr != nil {
		return 0, lr.rerr
	}
	n, err := lr.r.Read(p)
	if lr.mem != nil {
		// One read returns bytes of one member: a new one begins at the read's first byte.
		if m, at := lr.mem.member(); m != lr.memSeen {
			lr.memSeen, lr.pending, lr.pendAt = m, true, at
		}
	}
	return n, err
}

// skipLong reads past the end of the line that buf begins, using buf for the reads, and notes it in
// lr.long. The bytes after its newline become the tail. When the stream ends first, the line is its
// last (after a read error too: it is too long either way).
func (lr *lineReader) skipLong(buf []byte) {
	long := &longLine{n: int64(len(buf)), head: bytes.Clone(buf[:min(len(buf), 201)])}
	for {
		k, err := lr.read(buf[:cap(buf)])
		if i := bytes.IndexByte(buf[:k], '\n'); i >= 0 {
			long.n += int64(i)
			lr.bytes += long.n + 1
			lr.tail = append(lr.tail, buf[i+1:k]...)
			lr.rerr = err
			break
		}
		long.n += int64(k)
		if err != nil {
			lr.bytes += long.n
			lr.done = true
			if err != io.EOF {
				lr.err = err
			}
			break
		}
	}
	lr.line++
	long.line = lr.line
	lr.long = long
	if lr.pending && lr.pendAt < lr.bytes {
		lr.mark, lr.pending = memberMark{lr.memSeen, lr.line}, false
	}
}

var nl = []byte{'\n'}

// cut accounts for a block's lines and returns it.
func (lr *lineReader) cut(b []byte) []byte {
	if lr.pending && lr.pendAt < lr.bytes+int64(len(b)) {
		i := max(lr.pendAt-lr.bytes, 0)
		lr.mark, lr.pending = memberMark{lr.memSeen, lr.line + 1 + int64(bytes.Count(b[:i], nl))}, false
	}
	lines := int64(bytes.Count(b, nl))
	if len(b) > 0 && b[len(b)-1] != '\n' {
		lines++
	}
	lr.line += lines
	lr.bytes += int64(len(b))
	return b
}

func (lr *lineReader) streamError(object string) error {
	if lr.err == nil {
		return nil
	}
	return &StreamError{Object: object, Err: lr.err}
}

// notePartial counts the incomplete last line of a broken stream as malformed.
func notePartial(st *Stats, object string, line int64, partial []byte) {
	if len(bytes.TrimSpace(partial)) == 0 {
		return
	}
	st.Lines++
	st.addMalformed(&ParseError{Object: object, Line: line, Reason: "incomplete last line of a broken stream", Text: clip(partial, 200)})
}

func emitAll(recs []arrow.RecordBatch, emit Emit) error {
	var err error
	for _, r := range recs {
		if err == nil {
			err = emit(r)
		}
		r.Release()
	}
	return err
}

func decodeSequential(ctx context.Context, lr *lineReader, object string, opts Options, emit Emit) (*Stats, error) {
	d := NewDecoder(object, opts)
	defer d.Close()
	buf := make([]byte, 0, opts.BlockSize)
	for !lr.done {
		if err := ctx.Err(); err != nil {
			return d.Stats(), err
		}
		block, first, partial := lr.next(buf)
		long, mark := lr.long, lr.mark
		d.markLine, d.marked = mark.line, false
		if cap(block) > cap(buf) {
			buf = block[:0]
		}
		// Size new batches for what is coming: a full batch while blocks keep coming, else the lines left.
		d.rowsHint = opts.BatchRows
		if lr.done {
			d.rowsHint = max(int(lr.line-first+1), 1)
		}
		err := d.Decode(block, first)
		if err == nil && long != nil {
			err = d.tooLong(long)
		}
		if d.marked {
			lr.rowsMember, lr.rowsBefore = mark.member, d.markRows
		}
		if lr.done && err == nil {
			notePartial(d.Stats(), object, first+int64(bytes.Count(block, nl)), partial)
		}
		if lr.done || err != nil {
			d.Flush()
		}
		if err2 := emitAll(d.Take(), emit); err == nil {
			err = err2
		}
		if err != nil {
			d.Stats().BytesText = lr.bytes
			return d.Stats(), err
		}
	}
	st := d.Stats()
	st.BytesText = lr.bytes
	return st, lr.streamError(object)
}

type blockJob struct {
	buf   []byte
	first int64
	lines int // lines in buf: no batch of the block holds more rows
	long  *longLine
	mark  memberMark
	start *Layout
	res   chan blockResult
}

type blockResult struct {
	job     blockJob
	recs    []arrow.RecordBatch
	stats   Stats
	end     *Layout
	header  bool // the block holds a header: end is its layout, not the start it was given
	depends bool
	marked  bool  // the block holds the line of job.mark
	rows    int64 // then: the block's rows before it
	err     error
}

// decodeBlock decodes one block for the parallel path, starting from layout start.
func decodeBlock(d *Decoder, j blockJob) blockResult {
	d.stats = Stats{}
	d.layout = j.start
	d.sawHeader, d.dependsOnStart = false, false
	d.rowsHint = j.lines
	d.markLine, d.marked = j.mark.line, false
	err := d.Decode(j.buf, j.first)
	if err == nil && j.long != nil {
		err = d.tooLong(j.long)
	}
	d.Flush()
	d.rowsHint, d.markLine = 0, 0
	return blockResult{job: j, recs: d.Take(), stats: d.stats, end: d.layout, header: d.sawHeader, depends: d.dependsOnStart,
		marked: d.marked, rows: d.markRows, err: err}
}

// decodeParallel: one goroutine reads blocks, opts.Workers decode them, and this goroutine emits
// their batches in order. Workers decode optimistically with the layout last known when the block was
// cut; a block whose lines depended on a header that a worker had not seen yet is decoded again here.
func decodeParallel(ctx context.Context, lr *lineReader, object string, opts Options, emit Emit) (*Stats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	nbuf := 2*opts.Workers + 2
	free := make(chan []byte, nbuf)
	for i := 0; i < nbuf; i++ {
		free <- make([]byte, 0, opts.BlockSize)
	}
	jobs := make(chan blockJob, nbuf)
	order := make(chan chan blockResult, nbuf)
	var latest atomic.Pointer[Layout]
	var partial []byte
	var partialLine int64

	go func() { // the reader
		defer close(order)
		defer close(jobs)
		for !lr.done {
			var buf []byte
			select {
			case buf = <-free:
			case <-ctx.Done():
				return
			}
			block, first, p := lr.next(buf)
			if lr.done {
				partial = append(partial, p...)
				partialLine = first + int64(bytes.Count(block, nl))
			}
			if first == 1 && len(block) > 0 {
				// Most objects begin with their header: know it before any block is decoded.
				if h := leadingHeader(block); h != nil {
					latest.Store(h)
				}
			}
			j := blockJob{buf: block, first: first, lines: int(lr.line - first + 1), long: lr.long, mark: lr.mark, start: latest.Load(), res: make(chan blockResult, 1)}
			select {
			case jobs <- j:
				order <- j.res
			case <-ctx.Done():
				return
			}
		}
	}()

	var wg sync.WaitGroup
	for w := 0; w < opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := NewDecoder(object, opts)
			defer d.Close()
			for j := range jobs {
				j.res <- decodeBlock(d, j)
			}
		}()
	}

	var redo *Decoder
	defer func() {
		if redo != nil {
			redo.Close()
		}
	}()
	st := &Stats{}
	var prevEnd *Layout
	var err error
	for res := range order {
		r := <-res
		if err != nil { // draining after a failure
			emitAll(r.recs, func(arrow.RecordBatch) error { return nil })
			continue
		}
		if r.depends && !r.job.start.Equal(prevEnd) {
			emitAll(r.recs, func(arrow.RecordBatch) error { return nil })
			if redo == nil {
				redo = NewDecoder(object, opts)
			}
			j := r.job
			j.start = prevEnd
			r = decodeBlock(redo, j)
		}
		// A block without a header ends with the layout it began with in truth, prevEnd, whatever
		// start a worker guessed for it (a block of only a too-long or malformed line depends on none).
		if r.header && (r.end != nil || prevEnd != nil) {
			prevEnd = r.end
			latest.Store(prevEnd)
		}
		if r.marked { // lr's other fields belong to the reader goroutine: these two are the emitter's
			lr.rowsMember, lr.rowsBefore = r.job.mark.member, st.Records+st.NoData+st.SkipData+r.rows
		}
		st.Add(&r.stats)
		err = r.err
		if err2 := emitAll(r.recs, emit); err == nil {
			err = err2
		}
		if err == nil {
			err = ctx.Err()
		}
		free <- r.job.buf[:0]
		if err != nil {
			cancel()
		}
	}
	wg.Wait()
	if err != nil {
		return st, err
	}
	notePartial(st, object, partialLine, partial)
	st.BytesText = lr.bytes
	return st, lr.streamError(object)
}

// leadingHeader returns the layout of the header that begins block, or nil.
func leadingHeader(block []byte) *Layout {
	if i := bytes.IndexByte(block, '\n'); i >= 0 {
		block = block[:i]
	}
	d := &Decoder{}
	// Trimmed on both sides, as the decoder reads a line: a header with a leading space is a header.
	l := bytes.Trim(block, " \r")
	if len(l) == 0 || l[0] < 'a' || l[0] > 'z' || !d.isHeaderStart(l) {
		return nil
	}
	hl, _ := d.header(l, d.tokenize(l)) // nil for a bad header: the blocks after it are decoded again
	return hl
}
