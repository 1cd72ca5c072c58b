//go:build !isal || !cgo

package flowlog

import (
	"bufio"
	"io"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// GzipBackend names the gzip decompressor compiled in: klauspost/compress, the portable default.
// Build with -tags isal (and cgo, with libisal-dev installed) for ISA-L's igzip; see gunzip_isal.go.
const GzipBackend = "klauspost/compress (pure Go)"

// gunzipReader decompresses a gzip stream, multi-member included: Reset(r) reads the first header,
// Read the concatenated members. DecodeStream keeps them in a sync.Pool.
//
// It reads one member at a time (gzip.Reader in single-stream mode, Reset again at each member's
// end on the same byte reader, which is left just after the trailer), so that it knows which member
// its output comes from (member): the same bytes and errors as gzip.Reader's multi-stream mode.
type gunzipReader struct {
	zr      gzip.Reader
	src     flate.Reader
	br      *bufio.Reader // src when Reset is given a reader that cannot read bytes one by one
	members int           // the current member, from 1
	start   int64         // output bytes before the current member
	total   int64         // output bytes returned
	err     error         // sticky: the end of the stream or its error
}

func newGunzipReader() *gunzipReader { return new(gunzipReader) }

// Reset discards the reader's state and reads the first header from r.
func (z *gunzipReader) Reset(r io.Reader) error {
	src, ok := r.(flate.Reader)
	if !ok {
		// gzip.Reader would buffer r anew at each member's Reset, losing what it read ahead.
		if z.br == nil {
			z.br = bufio.NewReader(r)
		} else {
			z.br.Reset(r)
		}
		src = z.br
	}
	z.src, z.members, z.start, z.total, z.err = src, 0, 0, 0, nil
	if err := z.zr.Reset(src); err != nil {
		z.err = err
		return err
	}
	z.zr.Multistream(false)
	z.members = 1
	return nil
}

// Read returns the decompressed bytes of the members, one after another. One read returns bytes
// of one member only.
func (z *gunzipReader) Read(p []byte) (int, error) {
	for {
		if z.err != nil {
			return 0, z.err
		}
		n, err := z.zr.Read(p)
		z.total += int64(n)
		if err != io.EOF {
			return n, err
		}
		if n > 0 {
			return n, nil // the next Read meets io.EOF again and goes on to the next member
		}
		// The member ended and its trailer checked out: the next one, if any.
		if err := z.zr.Reset(z.src); err != nil {
			z.err = err // io.EOF at the end of the stream
			return 0, err
		}
		z.zr.Multistream(false)
		z.members++
		z.start = z.total
	}
}

// Close releases nothing: the reader is pure Go.
func (z *gunzipReader) Close() error { return nil }

// member returns the number of the member being read (from 1) and the output bytes before it.
func (z *gunzipReader) member() (int, int64) { return z.members, z.start }
