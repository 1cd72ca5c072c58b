//go:build isal && cgo

package flowlog

/*
#cgo LDFLAGS: -lisal
#include <stdlib.h>
#include <isa-l.h>

typedef struct {
	int ret;
	uint32_t consumed, produced;
	int finished;
	uint32_t unread;	// at the end: whole bytes read ahead past the deflate data
	uint8_t ahead[8];	// those bytes
} fl_result;

static struct inflate_state *fl_new(void) {
	struct inflate_state *s = malloc(sizeof *s);
	if (s != NULL)
		isal_inflate_init(s);
	return s;
}

// fl_inflate inflates raw deflate data from in into out. The state keeps no pointer to either
// buffer after it returns (they are Go memory): ISA-L keeps the history window and any partial
// input it needs in the state itself.
static fl_result fl_inflate(struct inflate_state *s, uint8_t *in, uint32_t in_len, uint8_t *out, uint32_t out_len) {
	fl_result r;
	s->next_in = in;
	s->avail_in = in_len;
	s->next_out = out;
	s->avail_out = out_len;
	r.ret = isal_inflate(s);
	r.consumed = in_len - s->avail_in;
	r.produced = out_len - s->avail_out;
	r.finished = s->block_state == ISAL_BLOCK_FINISH;
	r.unread = 0;
	if (r.finished && s->read_in_length > 0) {
		// ISA-L reads 8 bytes at a time: give back the whole bytes past the final block's padding.
		uint64_t bits = s->read_in >> (s->read_in_length % 8);
		r.unread = s->read_in_length / 8;
		for (uint32_t i = 0; i < r.unread; i++)
			r.ahead[i] = (uint8_t)(bits >> (8 * i));
		s->read_in = 0;
		s->read_in_length = 0;
	}
	s->next_in = NULL;
	s->avail_in = 0;
	s->next_out = NULL;
	s->avail_out = 0;
	return r;
}
*/
import "C"

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"runtime"
	"sync"
	"unsafe"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// GzipBackend names the gzip decompressor compiled in: Intel ISA-L's igzip inflate through cgo
// (-tags isal, libisal-dev).
const GzipBackend = "ISA-L igzip (cgo)"

const (
	isalChunk    = 1 << 20   // the input window and the replay log are chunks of this size (isalChunks)
	isalInChunk  = 256 << 10 // bytes read from the source at a time, at most
	isalMinRoom  = 64 << 10  // the window moves to a fresh chunk when less room than this is left
	isalKeep     = 8         // consumed bytes kept in the window: ISA-L may give back that many (unread)
	isalOutChunk = 256 << 10 // the internal output buffer, for reads smaller than isalDirect
	isalDirect   = 64 << 10  // reads at least this large are inflated straight into the caller's buffer
	isalReserve  = 64        // input bytes held back from ISA-L until the source has ended (Read)
	isalHold     = 64 << 10  // a member's first output bytes are held until it has made this many (Read)
	// isalReplayMax bounds the compressed bytes of one member kept for replay (below).
	isalReplayMax = 32 << 20
)

type isalChunkBuf = [isalChunk]byte

// isalChunks holds the free input chunks of all the readers: a reader keeps one as its window, and
// while a member is short enough to replay, the chunks it has filled with that member's bytes (its
// log); they come back here at the member's end, at Reset and at Close, so that decoding one object
// after another allocates nothing once the pool holds enough of them.
var isalChunks = sync.Pool{New: func() any { return new(isalChunkBuf) }}

// gunzipReader is a gzip reader whose deflate bodies ISA-L inflates. It parses the gzip headers and
// trailers itself, in Go, in the order and with the errors of klauspost/compress/gzip (the default
// backend), and checks CRC-32 (hash/crc32) and ISIZE the same way, so that both backends give the
// same bytes and the same errors.
//
// The bodies' errors (corrupt deflate data, a stream cut inside a body, a failed read) depend on
// where a decoder notices them: there the reader hands over to klauspost's reader, replaying the
// current member from its header (its compressed bytes are kept, up to isalReplayMax) and skipping
// the bytes already returned, so that the output and the error are klauspost's own. A member longer
// than isalReplayMax that breaks gives the same error type (io.ErrUnexpectedEOF, a read error, or
// flate.CorruptInputError, whose offset may then differ) without the replay.
type gunzipReader struct {
	st      *C.struct_inflate_state // C memory, freed by Close or by a cleanup when the reader is collected
	cleanup runtime.Cleanup

	r      io.Reader
	rerr   error         // the sticky error of r
	win    *isalChunkBuf // the input window, a chunk from isalChunks
	buf    []byte        // win[:n], the input read from r: buf[ri:] is not consumed yet
	ri     int
	mstart int // where the current member's bytes start in buf; -1 when it is not replayable
	// log: the current member's bytes before buf[mstart:], in order, in chunks that moved out of the
	// window (it owns them); logLen bytes in all.
	log    []isalLogPart
	logLen int

	out    []byte // internal output buffer: out[oi:] not returned yet
	oi     int
	digest uint32 // CRC-32 and size of the current member's output
	size   uint32
	sent   int64 // bytes of the current member returned by Read
	made   int64 // bytes of the current member inflated
	din    int64 // deflate bytes of the current member consumed by ISA-L

	inBody bool  // between a header and the end of its deflate data
	err    error // sticky: io.EOF at the end, or the stream's error

	members int   // headers read: the current member, from 1
	start   int64 // bytes returned before the current member
	total   int64 // bytes returned (before a fallback)

	broken   error     // why the current body broke: the fallback takes over at the next Read
	fallback io.Reader // klauspost's reader once a body broke
}

func newGunzipReader() *gunzipReader {
	z := &gunzipReader{st: C.fl_new()}
	if z.st == nil {
		panic("flowlog: cannot allocate ISA-L inflate state")
	}
	z.cleanup = runtime.AddCleanup(z, func(st *C.struct_inflate_state) { C.free(unsafe.Pointer(st)) }, z.st)
	return z
}

type isalLogPart struct {
	c *isalChunkBuf
	b []byte // the member's bytes in c
}

// Reset discards the reader's state and reads the first header from r, as gzip.Reader.Reset does.
func (z *gunzipReader) Reset(r io.Reader) error {
	z.r, z.rerr = r, nil
	z.dropLog()
	if z.win == nil {
		z.win = isalChunks.Get().(*isalChunkBuf)
	}
	z.buf, z.ri, z.mstart = z.win[:0], 0, 0
	z.oi, z.out = 0, z.out[:0]
	z.inBody, z.err, z.broken, z.fallback = false, nil, nil, nil
	z.members, z.start, z.total = 0, 0, 0
	z.err = z.readHeader()
	return z.err
}

// Close frees the C state now; the reader cannot be used afterwards.
func (z *gunzipReader) Close() error {
	if z.st != nil {
		z.cleanup.Stop() // else it would free the state a second time
		C.free(unsafe.Pointer(z.st))
		z.st = nil
	}
	z.dropLog()
	if z.win != nil {
		isalChunks.Put(z.win)
		z.win, z.buf = nil, nil
	}
	z.fallback = nil
	return nil
}

// dropLog gives the log's chunks back to the pool.
func (z *gunzipReader) dropLog() {
	for i, p := range z.log {
		isalChunks.Put(p.c)
		z.log[i] = isalLogPart{}
	}
	z.log, z.logLen = z.log[:0], 0
}

// makeRoom readies the window for a read from r: when less than isalMinRoom is left, it keeps only
// the bytes still needed, the header being read (from mstart), or in a body the bytes not consumed
// and the last isalKeep consumed. While the member is replayable, its bytes before those move to the
// log with their chunk, and the window continues in a fresh chunk, so that nothing is copied but
// those few bytes; past isalReplayMax, the log is dropped and the window compacts in place.
func (z *gunzipReader) makeRoom() {
	if len(z.win)-len(z.buf) >= isalMinRoom {
		return
	}
	cut := max(z.ri-isalKeep, 0)
	if !z.inBody {
		cut = z.ri
	}
	if z.mstart >= 0 {
		if !z.inBody || z.mstart > cut {
			cut = z.mstart
		}
		if z.logLen+len(z.buf)-z.mstart >= isalReplayMax {
			z.dropLog()
			z.mstart = -1
		} else if cut > z.mstart {
			nw := isalChunks.Get().(*isalChunkBuf)
			n := copy(nw[:], z.buf[cut:])
			z.log = append(z.log, isalLogPart{z.win, z.buf[z.mstart:cut]})
			z.logLen += cut - z.mstart
			z.win, z.buf = nw, nw[:n]
			z.ri -= cut
			z.mstart = 0
			return
		}
	}
	if cut > 0 {
		n := copy(z.win[:], z.buf[cut:])
		z.buf = z.win[:n]
		z.ri -= cut
		if z.mstart >= 0 {
			z.mstart -= cut
		}
	}
}

// fill reads more input from r, keeping the current member's bytes for a replay while it is short
// enough. It returns nil when it read something, else the source's error.
func (z *gunzipReader) fill() error {
	for tries := 0; ; tries++ {
		if z.rerr != nil {
			return z.rerr
		}
		z.makeRoom()
		n, err := z.r.Read(z.win[len(z.buf):min(len(z.buf)+isalInChunk, len(z.win))])
		z.buf = z.buf[:len(z.buf)+n]
		if err != nil {
			z.rerr = err
		}
		if n > 0 {
			return nil
		}
		if err == nil && tries >= 100 {
			return io.ErrNoProgress
		}
	}
}

// readFull returns the next n input bytes with io.ReadFull's errors.
func (z *gunzipReader) readFull(n int) ([]byte, error) {
	for len(z.buf)-z.ri < n {
		if err := z.fill(); err != nil {
			have := len(z.buf) - z.ri
			z.ri = len(z.buf)
			if err == io.EOF && have > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	b := z.buf[z.ri : z.ri+n]
	z.ri += n
	return b, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readString skips a NUL-terminated header string as gzip.Reader.readString reads it (at most 512
// bytes with the NUL) and returns the bytes it covered.
func (z *gunzipReader) readString() ([]byte, error) {
	start := z.ri
	for i := 0; ; i++ {
		if i >= 512 {
			return nil, gzip.ErrHeader
		}
		if z.ri == len(z.buf) {
			off := z.ri - start
			if err := z.fill(); err != nil {
				return nil, err
			}
			start = z.ri - off // fill may have moved the bytes
		}
		c := z.buf[z.ri]
		z.ri++
		if c == 0 {
			return z.buf[start:z.ri], nil
		}
	}
}

// readHeader reads a member's header with the checks and errors of gzip.Reader.readHeader, then
// readies ISA-L for its body. It returns io.EOF when the input ends before the header's first byte.
func (z *gunzipReader) readHeader() error {
	z.mstart = z.ri
	h, err := z.readFull(10)
	if err != nil {
		return err
	}
	if h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 {
		return gzip.ErrHeader
	}
	flg := h[3]
	digest := crc32.ChecksumIEEE(h)
	if flg&(1<<2) != 0 { // FEXTRA
		x, err := z.readFull(2)
		if err != nil {
			return noEOF(err)
		}
		digest = crc32.Update(digest, crc32.IEEETable, x)
		xlen := int(binary.LittleEndian.Uint16(x))
		data, err := z.readFull(xlen)
		if err != nil {
			return noEOF(err)
		}
		digest = crc32.Update(digest, crc32.IEEETable, data)
	}
	for _, f := range []byte{1 << 3, 1 << 4} { // FNAME, FCOMMENT
		if flg&f != 0 {
			s, err := z.readString()
			if err != nil {
				return noEOF(err)
			}
			digest = crc32.Update(digest, crc32.IEEETable, s)
		}
	}
	if flg&(1<<1) != 0 { // FHCRC
		x, err := z.readFull(2)
		if err != nil {
			return noEOF(err)
		}
		if binary.LittleEndian.Uint16(x) != uint16(digest) {
			return gzip.ErrHeader
		}
	}
	if flg>>5 != 0 {
		return gzip.ErrHeader
	}
	C.isal_inflate_reset(z.st)
	z.digest, z.size, z.sent, z.made, z.din = 0, 0, 0, 0, 0
	z.inBody = true
	// Read calls endMember only once the last member's output is all returned: so one Read returns
	// bytes of one member only, and total is where this one's begin.
	z.members++
	z.start = z.total
	return nil
}

// member returns the number of the member being read (from 1) and the output bytes before it.
// After a fallback to klauspost (a broken body: the stream ends there) it stays at that member.
func (z *gunzipReader) member() (int, int64) { return z.members, z.start }

// Read returns the decompressed bytes of the members, one after another.
//
// Near a cut, klauspost stops a little earlier than ISA-L (it wants a few bits past the last symbol
// it could decode): so ISA-L is never given the last isalReserve bytes read until the source has
// ended, and what it makes of those last bytes is returned only once the member's data ends there.
// And where a member's data is corrupt in its first 32 KiB (a match reaching back before its start),
// ISA-L may copy a few bytes where klauspost stops: so a member's first isalHold bytes are returned
// only once it has made that many, or ended well.
// Otherwise the fallback replays the member and returns exactly what klauspost returns.
func (z *gunzipReader) Read(p []byte) (int, error) {
	if z.fallback != nil {
		return z.fallback.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if z.broken != nil {
		return z.startFallback(p)
	}
	for {
		if z.oi < len(z.out) && !(z.inBody && z.made < isalHold) {
			n := copy(p, z.out[z.oi:])
			z.oi += n
			z.sent += int64(n)
			z.total += int64(n)
			return n, nil
		}
		if z.err != nil {
			return 0, z.err
		}
		if !z.inBody {
			z.err = z.endMember()
			continue
		}
		avail := len(z.buf) - z.ri
		if z.rerr == nil && avail <= isalReserve {
			z.fill() // an error is kept in z.rerr: the tail below
			continue
		}
		tail := avail <= isalReserve // the source has ended: these are the last bytes
		feed := avail
		if !tail {
			feed = avail - isalReserve
		}
		direct := !tail && z.made >= isalHold && len(p) >= isalDirect
		dst := p
		if !direct {
			if z.out == nil {
				z.out = make([]byte, 0, isalOutChunk)
			}
			if z.oi == len(z.out) {
				z.out, z.oi = z.out[:0], 0
			}
			dst = z.out[len(z.out):cap(z.out)] // appends while a member's first bytes are held
		}
		n, consumed, finished, ret := z.inflate(z.buf[z.ri:z.ri+feed], dst)
		if ret < 0 {
			z.broken = errCorrupt
			if direct && n > 0 {
				z.sent += int64(n)
				z.total += int64(n)
				return n, nil // the fallback takes over at the next Read
			}
			return z.startFallback(p)
		}
		if !finished && tail {
			// Cut inside the deflate data (or output that cannot be held): klauspost says where.
			z.broken = z.rerr
			return z.startFallback(p)
		}
		if direct {
			if n > 0 {
				z.sent += int64(n)
				z.total += int64(n)
				return n, nil
			}
		} else {
			z.out = z.out[:len(z.out)+n]
		}
		if n == 0 && consumed == 0 && !finished {
			z.fill()
		}
	}
}

// inflate runs ISA-L over in into dst, adds the output to the member's CRC and size, and at the
// end of the deflate data gives back the bytes ISA-L read past it (the trailer's).
func (z *gunzipReader) inflate(in, dst []byte) (n, consumed int, finished bool, ret int) {
	if len(dst) > 1<<30 {
		dst = dst[:1<<30]
	}
	var inp *C.uint8_t
	if len(in) > 0 {
		inp = (*C.uint8_t)(unsafe.Pointer(&in[0]))
	}
	res := C.fl_inflate(z.st, inp, C.uint32_t(len(in)), (*C.uint8_t)(unsafe.Pointer(&dst[0])), C.uint32_t(len(dst)))
	consumed, n = int(res.consumed), int(res.produced)
	z.ri += consumed
	z.din += int64(consumed)
	z.digest = crc32.Update(z.digest, crc32.IEEETable, dst[:n])
	z.size += uint32(n)
	z.made += int64(n)
	finished = res.finished != 0
	if finished {
		if res.ret >= 0 { // nothing after the body breaks in a way that needs the replay
			z.dropLog()
			z.mstart = -1
		}
		z.unread(res.ahead[:res.unread])
		z.inBody = false
	}
	return n, consumed, finished, int(res.ret)
}

// unread puts back bytes that ISA-L had read past the end of the deflate data. They are the last
// bytes consumed, and the window keeps isalKeep of those (makeRoom): so they are still there.
func (z *gunzipReader) unread(b []C.uint8_t) {
	z.din -= int64(len(b))
	if z.ri < len(b) { // cannot happen (ISA-L holds at most 8 bytes): put them in front anyway
		nw := isalChunks.Get().(*isalChunkBuf)
		n := copy(nw[len(b):], z.buf[z.ri:])
		isalChunks.Put(z.win)
		z.win, z.buf, z.ri = nw, nw[:len(b)+n], len(b)
	}
	z.ri -= len(b)
	for i, c := range b {
		z.buf[z.ri+i] = byte(c) // the same bytes unless they were compacted away
	}
}

var errCorrupt = flate.CorruptInputError(0)

// endMember checks the trailer of the member just inflated and reads the next header, as
// gzip.Reader.Read does; io.EOF at a clean end.
func (z *gunzipReader) endMember() error {
	t, err := z.readFull(8)
	if err != nil {
		return noEOF(err)
	}
	if binary.LittleEndian.Uint32(t[:4]) != z.digest || binary.LittleEndian.Uint32(t[4:]) != z.size {
		return gzip.ErrChecksum
	}
	return z.readHeader()
}

// startFallback hands the stream over to klauspost's reader, replaying the current member from its
// header and skipping what was already returned, so that the rest of the output and the error are
// exactly klauspost's.
func (z *gunzipReader) startFallback(p []byte) (int, error) {
	z.out, z.oi = z.out[:0], 0
	var rest io.Reader = z.r
	if z.rerr != nil {
		rest = errReader{z.rerr}
	}
	if z.mstart < 0 {
		// Too long to replay: the same kind of error, without klauspost's exact offset.
		if z.broken == errCorrupt {
			z.err = flate.CorruptInputError(z.din)
		} else {
			z.err = noEOF(z.broken)
		}
		return 0, z.err
	}
	parts := make([]io.Reader, 0, len(z.log)+2)
	for _, p := range z.log {
		parts = append(parts, bytes.NewReader(p.b))
	}
	replay := io.MultiReader(append(parts, bytes.NewReader(z.buf[z.mstart:]), rest)...)
	fz, err := gzip.NewReader(replay)
	if err != nil { // cannot happen: the header was read once already
		z.err = err
		return 0, err
	}
	if _, err := io.CopyN(io.Discard, onlyReader{fz}, z.sent); err != nil {
		z.err = err
		return 0, err
	}
	z.fallback = onlyReader{fz}
	return z.fallback.Read(p)
}

// onlyReader hides gzip.Reader's WriteTo, whose errors at a member's end differ from Read's.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
