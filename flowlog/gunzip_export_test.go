package flowlog

import (
	"bytes"
	"io"

	"github.com/klauspost/compress/gzip"
)

// NewGunzipReader exposes the gzip backend compiled in (gunzip.go or gunzip_isal.go) to the tests.
func NewGunzipReader() interface {
	io.Reader
	Reset(io.Reader) error
} {
	return newGunzipReader()
}

// ReadAllWith reads r to its end with reads of size n, as DecodeStream's line reader does.
func ReadAllWith(r io.Reader, n int) ([]byte, error) {
	var out []byte
	buf := make([]byte, n)
	for {
		k, err := r.Read(buf)
		out = append(out, buf[:k]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// KlauspostGunzip is the reference: what klauspost/compress/gzip reads and the error it stops with.
func KlauspostGunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return ReadAllWith(zr, 1<<20)
}
