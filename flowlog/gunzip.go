//go:build !isal || !cgo

package flowlog

import "github.com/klauspost/compress/gzip"

// GzipBackend names the gzip decompressor compiled in: klauspost/compress, the portable default.
// Build with -tags isal (and cgo, with libisal-dev installed) for ISA-L's igzip; see gunzip_isal.go.
const GzipBackend = "klauspost/compress (pure Go)"

// gunzipReader decompresses a gzip stream, multi-member included: Reset(r) reads the first header,
// Read the concatenated members. DecodeStream keeps them in a sync.Pool.
type gunzipReader = gzip.Reader

func newGunzipReader() *gunzipReader { return new(gzip.Reader) }
