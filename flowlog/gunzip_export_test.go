package flowlog

import "io"

// NewGunzipReader exposes the gzip backend compiled in (gunzip.go or gunzip_isal.go) to the tests.
func NewGunzipReader() interface {
	io.Reader
	Reset(io.Reader) error
} {
	return newGunzipReader()
}
