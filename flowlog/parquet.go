package flowlog

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"
)

// IsParquetName reports whether an object name is a Parquet file: .parquet (AWS delivers
// .log.parquet).
func IsParquetName(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".parquet") }

// parquetFileOptions make opening a file one read of its tail: the leading magic is not read (the
// footer's is checked), page indexes and bloom filters are never used. Over S3 every read is a
// request.
var parquetFileOptions = []parquet.FileOption{
	parquet.SkipMagicBytes(true),
	parquet.SkipPageIndex(true),
	parquet.SkipBloomFilters(true),
	parquet.OptimisticRead(true),
	parquet.ReadBufferSize(64 << 10),
}

// coalesceGap is the largest hole between two column chunks that one read spans rather than
// splitting it in two: a ranged GET costs about as much time as a few hundred kilobytes of transfer.
const coalesceGap = 256 << 10

// DecodeParquet decodes a Parquet flow-log file — as AWS delivers it (underscore column names,
// "-" or null for a missing value) or as flowlens writes it — into the same batches as the text
// decoder: the columns it knows by name, in file order (others are left out), with Options.Need.
// Each row counts as a line of the accounting (records, NODATA, SKIPDATA, or malformed, with its row
// number as the line).
//
// It reads column by column and only the column chunks that Options.Need names (and log-status):
// from r, each row group's chunks are fetched in a few large reads, so that over S3 only the footer
// and those chunks are transferred. A value of a column that Need leaves out is not read, so it is
// neither checked nor, for start and end, counted as milliseconds. With Options.Workers > 1 row
// groups are decoded concurrently; emit is still called from this goroutine, in row-group order.
func DecodeParquet(ctx context.Context, r io.ReaderAt, size int64, object string, opts Options, emit Emit) (*Stats, error) {
	po, st, err := OpenParquet(r, size, object, opts)
	if err != nil {
		return st, err
	}
	return po.decode(ctx, emit)
}

// decode is DecodeParquet once the object is open.
func (po *ParquetObject) decode(ctx context.Context, emit Emit) (*Stats, error) {
	st := po.st
	if po.opts.Workers > 1 && po.Parts()-len(po.skip) > 1 {
		return decodeParquetParallel(ctx, po, emit, &st)
	}
	pr := newParquetReader(po.r, po.f, po.plan, po.object, po.opts)
	defer pr.close()
	pr.d.rowsHint = min(po.opts.BatchRows, int(po.f.NumRows()))
	drain := func() error { return emitAll(pr.d.Take(), emit) }
	var err error
	for i := range po.Parts() {
		if !po.skip[i] {
			if err = pr.rowGroup(ctx, i, po.first[i], drain); err != nil {
				break
			}
		}
	}
	if err == nil {
		pr.d.Flush()
		err = drain()
	}
	return parquetResult(&st, &pr.d.stats, err)
}

// ParquetBatchRows is the number of rows in a full batch decoded from Parquet. Half the text
// decoder's: a Parquet row costs little to decode, so the batches waiting between the decoders and
// the aggregators are most of a query's memory (measured over 20 M records, top 20 rejected sources:
// peak RSS 64 -> 53 MB, as fast), while text gains nothing from smaller batches.
const ParquetBatchRows = 32768

// ParquetObject is a Parquet object opened for decoding its row groups independently: each row
// group is a part that any goroutine may decode, in any order, into batches of its own. A run that
// aggregates does so, each of its workers decoding a row group and aggregating it itself, with no
// batch handed between goroutines and none waiting to be emitted in order.
type ParquetObject struct {
	r      io.ReaderAt
	f      *parquet.File
	plan   *parquetPlan
	skip   map[int]bool
	first  []int64 // the file's rows before each row group
	object string
	opts   Options
	st     Stats // the object's own counts: Objects, BytesRead, RowsSkipped

	mu   sync.Mutex
	free []*parquetReader // readers not in use, their buffers kept for the next part
}

// OpenParquet reads the footer of a Parquet object and plans its decoding as DecodeParquet does
// (Options.Need, Options.StartRange). When it fails, the stats count the object as failed and the
// error is a *StreamError.
func OpenParquet(r io.ReaderAt, size int64, object string, opts Options) (*ParquetObject, *Stats, error) {
	if opts.BatchRows <= 0 {
		opts.BatchRows = ParquetBatchRows
	}
	opts = opts.withDefaults()
	st := &Stats{Objects: 1, BytesRead: size}
	f, err := parquet.OpenFile(r, size, parquetFileOptions...)
	if err != nil {
		st.ObjectsFailed = 1
		return nil, st, &StreamError{Object: object, Err: fmt.Errorf("not a readable Parquet file: %w", err)}
	}
	p, err := planParquet(f, opts.Need)
	if err != nil {
		st.ObjectsFailed = 1
		return nil, st, &StreamError{Object: object, Err: err}
	}
	po := &ParquetObject{r: r, f: f, plan: p, object: object, opts: opts}
	po.skip, st.RowsSkipped = prunedRowGroups(f, opts.StartRange)
	var rows int64
	for _, rg := range f.RowGroups() {
		po.first = append(po.first, rows)
		rows += rg.NumRows()
	}
	po.st = *st
	return po, st, nil
}

// OpenParquetSource opens a Parquet source for decoding by parts: at random when rc is an
// io.ReaderAt of known size (a local file, an S3 object read with ranged GETs), else read into
// memory first.
func OpenParquetSource(s Source, rc io.Reader, opts Options) (*ParquetObject, *Stats, error) {
	if ra, ok := rc.(io.ReaderAt); ok && s.Size >= 0 {
		return OpenParquet(ra, s.Size, s.Name, opts)
	}
	ra, size, err := readAllAt(rc)
	if err != nil {
		return nil, &Stats{Objects: 1, ObjectsFailed: 1, BytesRead: size}, &StreamError{Object: s.Name, Err: err}
	}
	return OpenParquet(ra, size, s.Name, opts)
}

// Parts is the number of row groups: DecodePart takes 0 to Parts()-1.
func (po *ParquetObject) Parts() int { return len(po.first) }

// DecodePart decodes row group i into emit, from the calling goroutine; a row group that the time
// range prunes gives nothing. Its stats count the row group's rows alone (lines, records,
// malformed, numbered by their row in the file); Result adds them up. Faults are as DecodeParquet's:
// *StreamError for damaged data (the rows before it in the row group are emitted), *ParseError for
// a strict-mode malformed row, or emit's error.
func (po *ParquetObject) DecodePart(ctx context.Context, i int, emit Emit) (*Stats, error) {
	if po.skip[i] {
		return &Stats{}, nil
	}
	pr := po.reader()
	defer po.put(pr)
	pr.startPart(po.f.RowGroups()[i].NumRows())
	drain := func() error { return emitAll(pr.d.Take(), emit) }
	err := pr.rowGroup(ctx, i, po.first[i], drain)
	if err == nil {
		pr.d.Flush()
		err = drain()
	} else {
		pr.d.releaseColumns() // the rows of a batch cut short
		pr.d.n = 0
	}
	st := pr.d.stats
	return &st, err
}

// Result adds the parts' stats, in row-group order (so that the malformed rows kept are the first
// ones of the file), to the object's own. When err is a *StreamError the object counts as failed
// and the error says how many records and lines were read.
func (po *ParquetObject) Result(parts []*Stats, err error) (*Stats, error) {
	total := &Stats{}
	for _, s := range parts {
		if s != nil {
			total.Add(s)
		}
	}
	st := po.st
	return parquetResult(&st, total, err)
}

// Close releases the readers' buffers; no part may be under way.
func (po *ParquetObject) Close() {
	po.mu.Lock()
	defer po.mu.Unlock()
	for _, pr := range po.free {
		pr.close()
	}
	po.free = nil
}

func (po *ParquetObject) reader() *parquetReader {
	po.mu.Lock()
	defer po.mu.Unlock()
	if n := len(po.free); n > 0 {
		pr := po.free[n-1]
		po.free = po.free[:n-1]
		return pr
	}
	return newParquetReader(po.r, po.f, po.plan, po.object, po.opts)
}

func (po *ParquetObject) put(pr *parquetReader) {
	po.mu.Lock()
	po.free = append(po.free, pr)
	po.mu.Unlock()
}

// parquetResult completes the accounting of a decode that ended with err.
func parquetResult(st *Stats, ds *Stats, err error) (*Stats, error) {
	s := *ds
	s.Objects, s.ObjectsFailed, s.BytesRead, s.RowsSkipped = st.Objects, st.ObjectsFailed, st.BytesRead, st.RowsSkipped
	var se *StreamError
	if errors.As(err, &se) {
		s.ObjectsFailed = 1
		se.RecordsRead, se.LinesRead = s.Records, s.Lines
	}
	return &s, err
}

// decodeParquetParallel decodes up to opts.Workers row groups at once, each worker with its own
// Decoder, and emits their batches here in row-group order. A worker starts a row group only while
// fewer than Workers row groups wait to be emitted, so memory stays bounded. The accounting is merged
// in row-group order, so the malformed rows kept are the first ones of the file; the first fault in
// file order ends the decode as it would sequentially (the row groups after it that were under way
// are dropped).
func decodeParquetParallel(ctx context.Context, po *ParquetObject, emit Emit, st *Stats) (*Stats, error) {
	opts, skip, first := po.opts, po.skip, po.first
	rgs := po.f.RowGroups()
	workers := min(opts.Workers, len(rgs))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type result struct {
		out   chan arrow.RecordBatch
		stats Stats
		err   error
	}
	res := make([]result, len(rgs))
	for i, rg := range rgs {
		hint := max(1, min(opts.BatchRows, int(rg.NumRows())))
		// Room for every batch of the row group: a worker never waits for the emitter.
		res[i].out = make(chan arrow.RecordBatch, int(rg.NumRows())/hint+2)
	}

	var failedAt atomic.Int64 // the first row group that failed
	failedAt.Store(math.MaxInt64)
	tokens := make(chan struct{}, workers)
	for range workers {
		tokens <- struct{}{}
	}
	jobs := make(chan int)
	go func() {
		defer close(jobs)
		for i := range rgs {
			select {
			case <-tokens:
			case <-ctx.Done():
			}
			if err := ctx.Err(); err != nil || int64(i) > failedAt.Load() {
				for ; i < len(rgs); i++ {
					res[i].err = cmp.Or(err, errNotRead)
					close(res[i].out)
				}
				return
			}
			if skip[i] { // the emitter gives the token back when it passes the row group
				close(res[i].out)
				continue
			}
			jobs <- i
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr := newParquetReader(po.r, po.f, po.plan, po.object, opts)
			defer pr.close()
			for i := range jobs {
				out := res[i].out
				drain := func() error {
					for _, b := range pr.d.Take() {
						out <- b
					}
					return nil
				}
				pr.startPart(rgs[i].NumRows())
				err := pr.rowGroup(ctx, i, first[i], drain)
				if err == nil {
					pr.d.Flush()
					drain()
				} else {
					pr.d.releaseColumns() // the rows of a batch cut short by a cancellation
					pr.d.n = 0
					for old := failedAt.Load(); int64(i) < old && !failedAt.CompareAndSwap(old, int64(i)); old = failedAt.Load() {
					}
				}
				res[i].stats, res[i].err = pr.d.stats, err
				close(out)
			}
		}()
	}

	total := &Stats{}
	var err error
	for i := range rgs {
		stop := err != nil
		for b := range res[i].out {
			if err == nil {
				err = emit(b)
			}
			b.Release()
		}
		select {
		case tokens <- struct{}{}:
		default:
		}
		if stop {
			continue
		}
		total.Add(&res[i].stats)
		if err == nil {
			err = res[i].err
		}
		if err != nil {
			cancel() // the row groups after this one are not wanted
		}
	}
	wg.Wait()
	return parquetResult(st, total, err)
}

// prunedRowGroups lists the row groups whose start statistics show that no record in them starts
// within r, and counts their rows. Without statistics (or without a start column) nothing is skipped.
func prunedRowGroups(f *parquet.File, r *StartRange) (map[int]bool, int64) {
	if r == nil || !r.HasFrom && !r.HasTo {
		return nil, 0
	}
	leaf := -1
	for i, path := range f.Schema().Columns() {
		if len(path) == 1 {
			if id, ok := LookupField(path[0]); ok && id == FStart {
				leaf = i
			}
		}
	}
	if leaf < 0 {
		return nil, 0
	}
	skip := map[int]bool{}
	var rows int64
	for i, rg := range f.Metadata().RowGroups {
		if leaf >= len(rg.Columns) {
			continue
		}
		m := &rg.Columns[leaf].MetaData
		if m.Type != format.Int64 {
			continue
		}
		lo, hi, ok := int64Stats(&m.Statistics)
		// Milliseconds are read as seconds: compare in the unit the values will have.
		if !ok || lo >= millisFrom || hi >= millisFrom {
			continue
		}
		if m.Statistics.NullCount >= m.NumValues || r.excludes(lo, hi) {
			skip[i] = true
			rows += rg.NumRows
		}
	}
	return skip, rows
}

// int64Stats reads the min and max of an INT64 column chunk's statistics.
func int64Stats(s *format.Statistics) (lo, hi int64, ok bool) {
	mn, mx := s.MinValue, s.MaxValue
	if len(mn) != 8 || len(mx) != 8 {
		mn, mx = s.Min, s.Max // the older fields: signed order, which is INT64's
	}
	if len(mn) != 8 || len(mx) != 8 {
		return 0, 0, false
	}
	return int64(binary.LittleEndian.Uint64(mn)), int64(binary.LittleEndian.Uint64(mx)), true
}

// errNotRead marks the row groups after a fault; the emitter stops at the fault, never reaching them.
var errNotRead = errors.New("not read")

// parquetPlan is what a file's schema says to read: the layout of the batches and, for each column
// of it that is read, the Parquet leaf column.
type parquetPlan struct {
	layout *Layout
	cols   []parquetColumn
}

type parquetColumn struct {
	pos    int // in the layout
	leaf   int
	maxDef byte
	name   string
}

// planParquet matches a file's top-level columns by name. A repeated column is not a flow-log field.
// With Need, the layout holds only the needed columns (their schema is the projection of the
// whole layout), so that the others are neither read nor given buffers.
func planParquet(f *parquet.File, need []FieldID) (*parquetPlan, error) {
	var ids []FieldID
	var cols []parquetColumn
	for _, path := range f.Schema().Columns() {
		if len(path) != 1 {
			continue
		}
		id, ok := LookupField(path[0])
		if !ok {
			continue
		}
		leaf, _ := f.Schema().Lookup(path...)
		if leaf.MaxRepetitionLevel > 0 {
			continue
		}
		ids = append(ids, id)
		cols = append(cols, parquetColumn{leaf: leaf.ColumnIndex, maxDef: byte(leaf.MaxDefinitionLevel), name: path[0]})
	}
	full, err := NewLayout(ids)
	if err != nil || len(ids) == 0 {
		return nil, fmt.Errorf("no flow-log columns in the Parquet schema %v", f.Schema().Columns())
	}
	p := &parquetPlan{layout: full}
	var kept []FieldID
	for i, id := range ids {
		if need == nil || keeps(need, id) {
			c := cols[i]
			c.pos = len(kept)
			kept = append(kept, id)
			p.cols = append(p.cols, c)
		}
	}
	if need != nil && len(kept) > 0 {
		if p.layout, err = NewLayout(kept); err != nil {
			return nil, err
		}
	} else if need != nil {
		p.cols = nil // nothing to read: rows without columns
	}
	return p, nil
}

// parquetReader decodes row groups of one file into its Decoder; one serves one goroutine.
type parquetReader struct {
	d      *Decoder
	f      *parquet.File
	plan   *parquetPlan
	object string
	src    spanReader
	cur    []parquetCursor
	gen    int // batches started: a dictionary's mapping to intern indices holds for one

	bad     []parquetBad // malformed rows of the segment, by column then row
	badRow  []bool       // by row of the segment
	hits    []parquetHit
	counts  []int64 // rows per log-status value
	scratch []byte
}

type parquetBad struct {
	row   int // in the segment
	col   int // in the layout
	shown string
}

// parquetHit is a value out of its field's range: its row in the page run and its value index.
type parquetHit struct{ row, val int32 }

func newParquetReader(r io.ReaderAt, f *parquet.File, p *parquetPlan, object string, opts Options) *parquetReader {
	d := NewDecoder(object, opts)
	d.cur = p.layout
	d.setupColumns()
	pr := &parquetReader{d: d, f: f, plan: p, object: object, src: spanReader{r: r}}
	pr.cur = make([]parquetCursor, len(p.cols))
	for i := range pr.cur {
		pr.cur[i].parquetColumn = p.cols[i]
	}
	return pr
}

// startPart readies the reader for a row group of its own, counted apart: a fault of the one
// before (a strict-mode malformed row) is not this one's.
func (pr *parquetReader) startPart(rows int64) {
	pr.d.stats = Stats{}
	pr.d.strict = nil
	pr.d.rowsHint = min(pr.d.opts.BatchRows, int(rows))
}

func (pr *parquetReader) close() {
	pr.closePages()
	pr.d.Close()
}

func (pr *parquetReader) closePages() {
	for i := range pr.cur {
		pr.cur[i].close()
	}
}

// rowGroup decodes row group i, whose first row is the file's row first+1, calling drain whenever
// batches are finished. Read faults are *StreamError, a strict-mode malformed row its *ParseError.
func (pr *parquetReader) rowGroup(ctx context.Context, i int, first int64, drain func() error) (err error) {
	d := pr.d
	defer func() {
		// parquet-go trusts what it decodes: a damaged page without a checksum can make it panic,
		// which must cost this object, not the run (nor, from a worker, the process).
		if p := recover(); p != nil {
			d.releaseColumns()
			d.n = 0
			err = &StreamError{Object: pr.object, Err: fmt.Errorf("row group %d: damaged data: %v", i, p)}
		}
	}()
	rows := int(pr.f.RowGroups()[i].NumRows())
	if err := pr.open(i); err != nil {
		d.Flush()
		drain()
		return &StreamError{Object: pr.object, Err: fmt.Errorf("row group %d: %w", i, err)}
	}
	defer pr.closePages()
	for done := 0; done < rows; {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.started {
			d.startBatch()
			pr.gen++
		}
		k := min(d.capRows-d.n, rows-done)
		if err := pr.segment(k, first+int64(done)); err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				err = &StreamError{Object: pr.object, Err: fmt.Errorf("row group %d: %w", i, err)}
			}
			d.Flush()
			drain()
			return err
		}
		done += k
		if d.n == d.capRows {
			if d.capRows < d.opts.BatchRows {
				d.growBatch(min(2*d.capRows, d.opts.BatchRows))
			} else {
				d.Flush()
			}
		}
		if len(d.out) > 0 {
			if err := drain(); err != nil {
				return err
			}
		}
	}
	return nil
}

// open fetches the row group's column chunks that are read and opens their pages.
func (pr *parquetReader) open(i int) error {
	md := pr.f.Metadata().RowGroups[i].Columns
	sp := pr.src.spans[:0]
	for _, c := range pr.plan.cols {
		if c.leaf >= len(md) || md[c.leaf].MetaData.TotalCompressedSize < 0 {
			return fmt.Errorf("no metadata for column %q", c.name)
		}
		m := &md[c.leaf].MetaData
		off := m.DataPageOffset
		if m.DictionaryPageOffset != 0 { // where parquet-go starts reading the chunk
			off = m.DictionaryPageOffset
		}
		sp = append(sp, span{off: off, end: off + m.TotalCompressedSize})
	}
	if err := pr.src.fetch(sp, pr.f.Size()); err != nil {
		return err
	}
	chunks := pr.f.RowGroups()[i].ColumnChunks()
	for k := range pr.cur {
		cu := &pr.cur[k]
		fc, ok := chunks[cu.leaf].(*parquet.FileColumnChunk)
		if !ok {
			return fmt.Errorf("column %q is not in the file", cu.name)
		}
		cu.pages = fc.PagesFrom(&pr.src)
	}
	return nil
}

// segment decodes the next k rows of every column read into rows d.n… of the batch. Rows with a
// value that does not fit its field are reported, in row order, and left out.
func (pr *parquetReader) segment(k int, first int64) error {
	d := pr.d
	n0 := d.n
	pr.bad = pr.bad[:0]
	if cap(pr.badRow) < k {
		pr.badRow = make([]bool, k)
	}
	pr.badRow = pr.badRow[:k]
	for ci := range pr.cur {
		if err := pr.fill(&pr.cur[ci], n0, k); err != nil {
			return err
		}
	}
	good := k
	lines := k
	if len(pr.bad) > 0 {
		slices.SortFunc(pr.bad, func(a, b parquetBad) int { return a.row - b.row })
		if d.opts.Strict {
			good, lines = pr.bad[0].row, pr.bad[0].row+1
			pr.bad = pr.bad[:1]
		}
		for _, b := range pr.bad {
			row := first + int64(b.row) + 1
			c := &d.cols[b.col]
			d.malformed(row, []byte("parquet row "+strconv.FormatInt(row, 10)), Fields[c.field].Name, clip([]byte(b.shown), 64), problem(c.kind, []byte(b.shown)))
		}
		if !d.opts.Strict {
			good = pr.compact(n0, k)
		} else {
			pr.forget(n0+good, n0+k)
		}
		clear(pr.badRow)
	}
	d.stats.Lines += int64(lines)
	pr.account(n0, good)
	d.n += good
	if d.strict != nil {
		return d.strict
	}
	return nil
}

// compact removes the malformed rows of the segment of k rows at n0 and returns the rows kept.
func (pr *parquetReader) compact(n0, k int) int {
	d := pr.d
	good := 0
	for i := range k {
		if !pr.badRow[i] {
			good++
		}
	}
	for ci := range pr.cur {
		c := &d.cols[pr.cur[ci].pos]
		w := kindWidth(c.kind)
		b := c.data.Bytes()
		to := n0
		for i := range k {
			from := n0 + i
			valid := bitutil.BitIsSet(c.bits, from)
			if pr.badRow[i] {
				if !valid {
					c.nulls--
				}
				continue
			}
			if to != from {
				copy(b[to*w:(to+1)*w], b[from*w:(from+1)*w])
				bitutil.SetBitTo(c.bits, to, valid)
			}
			to++
		}
		for i := to; i < n0+k; i++ {
			bitutil.SetBit(c.bits, i) // rows start valid
		}
	}
	return good
}

// forget makes rows [from, to) of the columns read valid and empty again, fixing the null counts.
func (pr *parquetReader) forget(from, to int) {
	for ci := range pr.cur {
		c := &pr.d.cols[pr.cur[ci].pos]
		for i := from; i < to; i++ {
			if !bitutil.BitIsSet(c.bits, i) {
				bitutil.SetBit(c.bits, i)
				c.nulls--
			}
		}
	}
}

// account counts rows [n0, n0+n) by log-status and brings millisecond times to seconds.
func (pr *parquetReader) account(n0, n int) {
	d := pr.d
	for ci := range pr.cur {
		c := &d.cols[pr.cur[ci].pos]
		if c.kind != KindTime {
			continue
		}
		var counts timeCounts
		for i, x := range c.i64[n0 : n0+n] {
			if x >= millisFrom { // a null holds 0; fillNumbers has left out the values in no unit
				if u := timeUnit(uint64(x)); u > 1 {
					c.i64[n0+i] = x / int64(u)
					counts[unitIndex(u)]++
				}
			}
		}
		d.stats.MillisTimes += counts[0]
		d.stats.MicrosTimes += counts[1]
		d.stats.NanosTimes += counts[2]
	}
	s := d.statusCol
	if s < 0 || d.cols[s].skip {
		d.stats.Records += int64(n)
		return
	}
	c := &d.cols[s]
	counts := slices.Grow(pr.counts[:0], c.dict.len())[:c.dict.len()]
	clear(counts)
	var none int64
	for i := n0; i < n0+n; i++ {
		if c.nulls > 0 && !bitutil.BitIsSet(c.bits, i) {
			none++
			continue
		}
		counts[c.i32[i]]++
	}
	d.stats.Records += none
	for idx, m := range counts {
		if m == 0 {
			continue
		}
		switch string(c.dict.value(int32(idx))) {
		case "NODATA":
			d.stats.NoData += m
		case "SKIPDATA":
			d.stats.SkipData += m
		default:
			d.stats.Records += m
		}
	}
	pr.counts = counts
}

// parquetCursor reads one column chunk page after page.
type parquetCursor struct {
	parquetColumn
	pages parquet.Pages
	page  parquet.Page
	left  int    // rows of the page not yet decoded
	defs  []byte // their definition levels; nil when none is null
	next  int    // the next non-null value
	src   parquetSource

	i32        []int32 // plain int32 values, or dictionary indexes
	i64        []int64 // plain int64 values, or int values looked up in their dictionary
	data       []byte  // text values: data[offs[i]:offs[i+1]]
	offs       []uint32
	vals       []parquet.Value // any other type, one per row
	fixedOffs  []uint32
	dictI64Buf []int64

	// The dictionary of the chunk, and what its values decode to.
	dict      parquet.Dictionary
	dictData  []byte
	dictOffs  []uint32
	dictI64   []int64
	dictKind  encoding.Kind
	dictMap   []int32 // intern index of each value in batch mapGen; -1 unknown, -2 null
	mapGen    int
	dictAddr  []byte  // 16 bytes per value
	dictAddrs []uint8 // 0 unknown, 1 an address, 2 not one, 3 null
}

type parquetSource uint8

const (
	srcInt32 parquetSource = iota
	srcInt64
	srcText
	srcDictText
	srcOther
)

func (cu *parquetCursor) close() {
	if cu.page != nil {
		parquet.Release(cu.page)
		cu.page = nil
	}
	if cu.pages != nil {
		cu.pages.Close()
		cu.pages = nil
	}
	cu.left = 0
	cu.dict = nil
}

// nextPage reads the next page of the chunk and sets up its values.
func (cu *parquetCursor) nextPage() error {
	if cu.page != nil {
		parquet.Release(cu.page)
		cu.page = nil
	}
	p, err := cu.pages.ReadPage()
	if err == io.EOF {
		return fmt.Errorf("column %q has fewer values than the row group has rows", cu.name)
	}
	if err != nil {
		return fmt.Errorf("column %q: %w", cu.name, err)
	}
	cu.page = p
	n := int(p.NumValues())
	nulls := int(p.NumNulls())
	cu.left, cu.next, cu.defs = n, 0, nil
	if nulls > 0 && cu.maxDef > 0 {
		cu.defs = p.DefinitionLevels()
		if len(cu.defs) < n {
			return fmt.Errorf("column %q: a page of %d values has %d definition levels", cu.name, n, len(cu.defs))
		}
	}
	values := n - nulls
	short := func(have int) error {
		return fmt.Errorf("column %q: a page of %d values holds %d", cu.name, values, have)
	}
	data := p.Data()
	if dict := p.Dictionary(); dict != nil {
		if data.Kind() != encoding.Int32 {
			return fmt.Errorf("column %q: dictionary indexes of type %s", cu.name, data.Kind())
		}
		if dict != cu.dict {
			cu.setDict(dict)
		}
		idx := data.Int32()
		if len(idx) < values {
			return short(len(idx))
		}
		idx = idx[:values]
		dn := int32(dict.Len())
		for _, k := range idx {
			if uint32(k) >= uint32(dn) {
				return fmt.Errorf("column %q: dictionary index %d out of %d values", cu.name, k, dn)
			}
		}
		switch cu.dictKind {
		case encoding.ByteArray, encoding.FixedLenByteArray:
			cu.src, cu.i32 = srcDictText, idx
		case encoding.Int32, encoding.Int64:
			cu.i64 = cu.dictI64Buf[:0]
			for _, k := range idx {
				cu.i64 = append(cu.i64, cu.dictI64[k])
			}
			cu.dictI64Buf = cu.i64
			cu.src = srcInt64
		default:
			return cu.loadOther(p, n)
		}
		return nil
	}
	switch data.Kind() {
	case encoding.Int32:
		if cu.i32 = data.Int32(); len(cu.i32) < values {
			return short(len(cu.i32))
		}
		cu.src = srcInt32
	case encoding.Int64:
		if cu.i64 = data.Int64(); len(cu.i64) < values {
			return short(len(cu.i64))
		}
		cu.src = srcInt64
	case encoding.ByteArray:
		if cu.data, cu.offs = data.ByteArray(); len(cu.offs) < values+1 {
			return short(max(len(cu.offs)-1, 0))
		}
		cu.src = srcText
	case encoding.FixedLenByteArray:
		cu.data, cu.offs = fixedAsText(data, &cu.fixedOffs)
		if len(cu.offs) < values+1 {
			return short(len(cu.offs) - 1)
		}
		cu.src = srcText
	default:
		return cu.loadOther(p, n)
	}
	return nil
}

// fixedAsText gives fixed-length values the offsets of variable-length ones.
func fixedAsText(data encoding.Values, buf *[]uint32) ([]byte, []uint32) {
	b, size := data.FixedLenByteArray()
	offs := (*buf)[:0]
	for o := 0; o <= len(b); o += max(size, 1) {
		offs = append(offs, uint32(o))
		if size == 0 {
			break
		}
	}
	*buf = offs
	return b, offs
}

// loadOther reads a page of a type no flow-log field has (boolean, float, int96) as values.
func (cu *parquetCursor) loadOther(p parquet.Page, n int) error {
	cu.vals = slices.Grow(cu.vals[:0], n)[:n]
	r := p.Values()
	got := 0
	for got < n {
		m, err := r.ReadValues(cu.vals[got:])
		got += m
		if err == io.EOF || (err == nil && m == 0) {
			break
		}
		if err != nil {
			return fmt.Errorf("column %q: %w", cu.name, err)
		}
	}
	if got < n {
		return fmt.Errorf("column %q: a page of %d values holds %d", cu.name, n, got)
	}
	cu.src = srcOther
	cu.defs = nil // the values say which are null
	return nil
}

func (cu *parquetCursor) setDict(dict parquet.Dictionary) {
	cu.dict = dict
	v := dict.Page().Data()
	cu.dictKind = v.Kind()
	n := dict.Len()
	switch cu.dictKind {
	case encoding.ByteArray:
		cu.dictData, cu.dictOffs = v.ByteArray()
	case encoding.FixedLenByteArray:
		var buf []uint32
		cu.dictData, cu.dictOffs = fixedAsText(v, &buf)
	case encoding.Int32:
		cu.dictI64 = cu.dictI64[:0]
		for _, x := range v.Int32() {
			cu.dictI64 = append(cu.dictI64, int64(x))
		}
	case encoding.Int64:
		cu.dictI64 = v.Int64()
	}
	cu.mapGen = -1
	cu.dictAddrs = append(cu.dictAddrs[:0], make([]uint8, n)...)
	cu.dictAddr = slices.Grow(cu.dictAddr[:0], 16*n)[:16*n]
}

// fill decodes the column's next k rows into rows n0… of its batch column.
func (pr *parquetReader) fill(cu *parquetCursor, n0, k int) error {
	c := &pr.d.cols[cu.pos]
	for off := 0; off < k; {
		for cu.left == 0 {
			if err := cu.nextPage(); err != nil {
				return err
			}
		}
		m := min(k-off, cu.left)
		var defs []byte
		if cu.defs != nil {
			defs = cu.defs[:m]
		}
		var used int
		switch cu.src {
		case srcInt32:
			used = pr.fillInts(cu, c, n0+off, off, m, defs, cu.i32[cu.next:])
		case srcInt64:
			used = pr.fillInts64(cu, c, n0+off, off, m, defs)
		case srcText, srcDictText:
			used = pr.fillText(cu, c, n0+off, off, m, defs)
		default:
			used = pr.fillOther(cu, c, n0+off, off, m)
		}
		cu.next += used
		cu.left -= m
		if cu.defs != nil {
			cu.defs = cu.defs[m:]
		}
		off += m
	}
	return nil
}

// Separate entry points keep each generic instantiation's loop free of the source switch.
func (pr *parquetReader) fillInts(cu *parquetCursor, c *column, n, off, m int, defs []byte, src []int32) int {
	return fillNumbers(pr, cu, c, n, off, m, defs, src)
}

func (pr *parquetReader) fillInts64(cu *parquetCursor, c *column, n, off, m int, defs []byte) int {
	return fillNumbers(pr, cu, c, n, off, m, defs, cu.i64[cu.next:])
}

// fillNumbers stores m rows of integer values into rows n… of c and returns the values used.
func fillNumbers[S int32 | int64](pr *parquetReader, cu *parquetCursor, c *column, n, off, m int, defs []byte, src []S) int {
	hits := pr.hits[:0]
	var nulls int
	switch c.kind {
	case KindPort:
		nulls = storeInts(c.u16[n:n+m], c.bits, n, defs, cu.maxDef, src, math.MaxUint16, &hits)
	case KindProto:
		nulls = storeInts(c.u8[n:n+m], c.bits, n, defs, cu.maxDef, src, math.MaxUint8, &hits)
	case KindInt32:
		nulls = storeInts(c.i32[n:n+m], c.bits, n, defs, cu.maxDef, src, math.MaxInt32, &hits)
	case KindInt64:
		nulls = storeInts(c.i64[n:n+m], c.bits, n, defs, cu.maxDef, src, math.MaxInt64, &hits)
	case KindTime:
		nulls = storeInts(c.i64[n:n+m], c.bits, n, defs, cu.maxDef, src, math.MaxInt64, &hits)
		// A time in no unit (14 or 17 digits) is malformed, as in text; account divides the others.
		for i, x := range c.i64[n : n+m] {
			if x >= millisFrom && timeUnit(uint64(x)) == 0 {
				pr.markBad(off+i, cu.pos, strconv.FormatInt(x, 10))
			}
		}
	default:
		return fillIntsAsText(pr, cu, c, n, off, m, defs, src)
	}
	c.nulls += nulls
	for _, h := range hits {
		pr.markBad(off+int(h.row), cu.pos, strconv.FormatInt(int64(src[h.val]), 10))
	}
	pr.hits = hits
	return m - nulls
}

// storeInts copies values into dst, leaving 0 in null rows, and lists the values out of [0, max].
func storeInts[T uint8 | uint16 | int32 | int64, S int32 | int64](dst []T, bits []byte, n int, defs []byte, maxDef byte, src []S, max uint64, hits *[]parquetHit) (nulls int) {
	if defs == nil {
		src := src[:len(dst)]
		for i, x := range src {
			if uint64(x) > max {
				*hits = append(*hits, parquetHit{int32(i), int32(i)})
			}
			dst[i] = T(x)
		}
		return 0
	}
	v := 0
	for i := range dst {
		if defs[i] != maxDef {
			bitutil.ClearBit(bits, n+i)
			dst[i] = 0
			nulls++
			continue
		}
		x := src[v]
		if uint64(x) > max {
			*hits = append(*hits, parquetHit{int32(i), int32(v)})
		}
		dst[i] = T(x)
		v++
	}
	return nulls
}

// fillIntsAsText stores integers into a string or address column: a string holds the number's
// text; an address cannot be a number.
func fillIntsAsText[S int32 | int64](pr *parquetReader, cu *parquetCursor, c *column, n, off, m int, defs []byte, src []S) int {
	v := 0
	for i := 0; i < m; i++ {
		if defs != nil && defs[i] != cu.maxDef {
			pr.setNull(c, n+i)
			continue
		}
		x := int64(src[v])
		v++
		if c.kind == KindString {
			if !pr.badRow[off+i] {
				pr.scratch = strconv.AppendInt(pr.scratch[:0], x, 10)
				c.i32[n+i] = c.dict.intern(pr.scratch)
			}
			continue
		}
		pr.markBad(off+i, cu.pos, strconv.FormatInt(x, 10))
	}
	return v
}

func (pr *parquetReader) setNull(c *column, i int) {
	bitutil.ClearBit(c.bits, i)
	c.nulls++
	switch c.kind {
	case KindString, KindInt32:
		c.i32[i] = 0
	case KindInt64, KindTime:
		c.i64[i] = 0
	}
}

// markBad records that row off of the segment is malformed, unless an earlier column made it so.
func (pr *parquetReader) markBad(off, col int, shown string) {
	if pr.badRow[off] {
		return
	}
	pr.badRow[off] = true
	pr.bad = append(pr.bad, parquetBad{row: off, col: col, shown: shown})
}

// fillText stores m rows of text values ("-" is null) into rows n… of c and returns the values used.
func (pr *parquetReader) fillText(cu *parquetCursor, c *column, n, off, m int, defs []byte) int {
	dict := cu.src == srcDictText
	if dict && c.kind == KindString && cu.mapGen != pr.gen {
		// The batch's intern table was reset: map the dictionary again, lazily, so that the batch's
		// strings are those of its rows, in the order they appear.
		cu.dictMap = append(cu.dictMap[:0], make([]int32, cu.dict.Len())...)
		for i := range cu.dictMap {
			cu.dictMap[i] = -1
		}
		cu.mapGen = pr.gen
	}
	if dict && c.kind == KindString {
		return pr.fillDictString(cu, c, n, off, m, defs)
	}
	v := cu.next
	used := 0
	for i := 0; i < m; i++ {
		if defs != nil && defs[i] != cu.maxDef {
			pr.setNull(c, n+i)
			continue
		}
		var k int32
		var text []byte
		if dict {
			k = cu.i32[v]
			text = cu.dictData[cu.dictOffs[k]:cu.dictOffs[k+1]]
		} else {
			text = cu.data[cu.offs[v]:cu.offs[v+1]]
		}
		v++
		used++
		switch c.kind {
		case KindString:
			if pr.badRow[off+i] {
				continue // as when rows were read one by one: no column after a bad one is interned
			}
			if len(text) == 1 && text[0] == '-' {
				pr.setNull(c, n+i)
				continue
			}
			c.i32[n+i] = c.dict.intern(text)
		case KindAddr:
			dst := (*[16]byte)(c.addr[(n+i)*16:])
			if dict {
				st := cu.dictAddrs[k]
				if st == 0 {
					st = 2
					if len(text) == 1 && text[0] == '-' {
						st = 3
					} else if j, ok := scanAddr(text, 0, (*[16]byte)(cu.dictAddr[k*16:])); ok && j == len(text) {
						st = 1
					}
					cu.dictAddrs[k] = st
				}
				switch st {
				case 1:
					*dst = *(*[16]byte)(cu.dictAddr[k*16:])
				case 3:
					pr.setNull(c, n+i)
				default:
					pr.markBad(off+i, cu.pos, string(text))
				}
				continue
			}
			if len(text) == 1 && text[0] == '-' {
				pr.setNull(c, n+i)
				continue
			}
			if j, ok := scanAddr(text, 0, dst); !ok || j != len(text) {
				pr.markBad(off+i, cu.pos, string(text))
			}
		default:
			if len(text) == 1 && text[0] == '-' {
				pr.setNull(c, n+i)
				continue
			}
			u, j := scanUint(text, 0)
			if j != len(text) || j == 0 || j > 19 || u > math.MaxInt64 || !storeNumber(c, n+i, int64(u)) {
				pr.markBad(off+i, cu.pos, string(text))
			}
		}
	}
	return used
}

// fillDictString is fillText for a dictionary-encoded string column: each entry is interned once
// per batch (cu.dictMap), each row is a lookup.
func (pr *parquetReader) fillDictString(cu *parquetCursor, c *column, n, off, m int, defs []byte) int {
	idx := cu.i32[cu.next:]
	dm := cu.dictMap
	bad := pr.badRow[off : off+m]
	out := c.i32[n : n+m]
	used := 0
	for i := range out {
		if defs != nil && defs[i] != cu.maxDef {
			pr.setNull(c, n+i)
			continue
		}
		k := idx[used]
		used++
		if bad[i] {
			continue // as when rows were read one by one: no column after a bad one is interned
		}
		x := dm[k]
		if x == -1 {
			x = -2 // "-": null
			if text := cu.dictData[cu.dictOffs[k]:cu.dictOffs[k+1]]; !(len(text) == 1 && text[0] == '-') {
				x = c.dict.intern(text)
			}
			dm[k] = x
		}
		if x == -2 {
			pr.setNull(c, n+i)
		} else {
			out[i] = x
		}
	}
	return used
}

// storeNumber stores x into row i of a numeric column, reporting whether it fits.
func storeNumber(c *column, i int, x int64) bool {
	if x < 0 {
		return false
	}
	switch c.kind {
	case KindPort:
		if x > math.MaxUint16 {
			return false
		}
		c.u16[i] = uint16(x)
	case KindProto:
		if x > math.MaxUint8 {
			return false
		}
		c.u8[i] = uint8(x)
	case KindInt32:
		if x > math.MaxInt32 {
			return false
		}
		c.i32[i] = int32(x)
	case KindInt64, KindTime:
		c.i64[i] = x
	default:
		return false
	}
	return true
}

// fillOther stores m rows of values of a type no flow-log field has: a string takes their text,
// any other field is malformed.
func (pr *parquetReader) fillOther(cu *parquetCursor, c *column, n, off, m int) int {
	for i := 0; i < m; i++ {
		v := cu.vals[cu.next+i]
		if v.IsNull() {
			pr.setNull(c, n+i)
			continue
		}
		if c.kind == KindString {
			if !pr.badRow[off+i] {
				c.i32[n+i] = c.dict.intern([]byte(v.String()))
			}
			continue
		}
		pr.markBad(off+i, cu.pos, v.String())
	}
	return m
}

// span is a byte range of the file, held at buf[at:at+end-off] once fetched.
type span struct {
	off, end int64
	at       int
}

// spanReader serves a row group's column chunks from memory, fetched in a few large reads of the
// underlying reader when it is remote (ranged GETs). A local file or an object in memory is read
// in place, page by page: a copy would only add the row group's compressed chunks to the memory
// each worker holds.
type spanReader struct {
	r     io.ReaderAt
	spans []span
	buf   []byte
}

// fetch reads the ranges into memory, joining those less than coalesceGap apart; over S3 the
// reads go out concurrently.
func (s *spanReader) fetch(want []span, size int64) error {
	slices.SortFunc(want, func(a, b span) int { return cmp.Compare(a.off, b.off) })
	merged := want[:0]
	for _, w := range want {
		if w.off < 0 || w.end > size || w.end < w.off {
			return fmt.Errorf("a column chunk at bytes %d-%d lies outside the file of %d bytes", w.off, w.end, size)
		}
		if l := len(merged); l > 0 && w.off-merged[l-1].end <= coalesceGap {
			merged[l-1].end = max(merged[l-1].end, w.end)
			continue
		}
		merged = append(merged, w)
	}
	if pr, ok := s.r.(parallelReaderAt); !ok || !pr.ConcurrentReads() {
		s.spans = merged[:0] // read in place
		return nil
	}
	total := 0
	for i := range merged {
		merged[i].at = total
		total += int(merged[i].end - merged[i].off)
	}
	s.spans = merged
	s.buf = slices.Grow(s.buf[:0], total)[:total]
	read := func(sp span) error {
		b := s.buf[sp.at : sp.at+int(sp.end-sp.off)]
		n, err := s.r.ReadAt(b, sp.off)
		if n == len(b) {
			return nil
		}
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("reading bytes %d-%d: %w", sp.off, sp.end-1, err)
	}
	if len(merged) == 1 {
		return read(merged[0])
	}
	errs := make([]error, len(merged))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, sp := range merged {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			errs[i] = read(sp)
			<-sem
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// parallelReaderAt is a reader whose reads are slow requests better made concurrently (S3).
type parallelReaderAt interface {
	io.ReaderAt
	ConcurrentReads() bool
}

func (s *spanReader) ReadAt(p []byte, off int64) (int, error) {
	for _, sp := range s.spans {
		if off >= sp.off && off < sp.end {
			n := copy(p, s.buf[sp.at+int(off-sp.off):sp.at+int(sp.end-sp.off)])
			if n == len(p) {
				return n, nil
			}
			m, err := s.r.ReadAt(p[n:], off+int64(n))
			return n + m, err
		}
	}
	return s.r.ReadAt(p, off)
}

// readAllAt turns a stream into an io.ReaderAt (for a Parquet object that is not a local file).
func readAllAt(r io.Reader) (*bytes.Reader, int64, error) {
	b, err := io.ReadAll(r)
	return bytes.NewReader(b), int64(len(b)), err
}

// DecodeObject decodes one opened source: Parquet (by its name, or by its first bytes when its
// name does not say, as on standard input) or text, plain or gzip. A Parquet object is read at
// random when its name says so and rc is an io.ReaderAt of known size (a local file, an S3 object
// read with ranged GETs), else read into memory first.
func DecodeObject(ctx context.Context, s Source, rc io.Reader, opts Options, emit Emit) (*Stats, error) {
	if !IsParquetName(s.Name) {
		return DecodeStream(ctx, rc, s.Name, opts, emit)
	}
	po, st, err := OpenParquetSource(s, rc, opts)
	if err != nil {
		return st, err
	}
	return po.decode(ctx, emit)
}
