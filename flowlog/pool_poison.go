//go:build poisonfree

package flowlog

// poisonFreed: with the build tag poisonfree (make test), BufferPool.Free fills each buffer with
// 0xa5 and never reuses it, so that a test reading a batch after its release fails.
const poisonFreed = true
