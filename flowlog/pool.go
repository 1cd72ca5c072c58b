package flowlog

import (
	"math/bits"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BufferPool is an Arrow allocator that keeps the buffers of released batches for the next ones.
// A decoder allocates the same column buffers batch after batch (64 Ki rows × 8 bytes, …); from the
// Go heap each one is a large allocation that the collector must find dead before its memory serves
// again, and with a small live heap (a query reading three columns) the collector then runs every
// few batches, its assists costing the decoding goroutines a fifth of their time. From the pool a
// buffer is reused at once.
//
// Buffers are kept by size class (powers of two from 64 bytes), up to Max bytes in all; what would
// go beyond is left to the collector. Like Go's allocator, Allocate returns zeroed memory. It is safe
// for concurrent use.
type BufferPool struct {
	// Max is the most bytes kept for reuse.
	Max int

	mu   sync.Mutex
	free [64][][]byte // by class: log2 of the capacity
	held int
}

// DefaultBufferPool is the decoders' allocator when Options.Alloc is nil.
var DefaultBufferPool memory.Allocator = &BufferPool{Max: 64 << 20}

const minPoolClass = 6 // 64 bytes, Arrow's alignment

func poolClass(size int) int {
	if size <= 1<<minPoolClass {
		return minPoolClass
	}
	return bits.Len(uint(size - 1))
}

// Allocate returns size zeroed bytes, with a capacity of the next power of two.
func (p *BufferPool) Allocate(size int) []byte {
	c := poolClass(size)
	p.mu.Lock()
	var b []byte
	if l := p.free[c]; len(l) > 0 {
		b = l[len(l)-1]
		l[len(l)-1] = nil
		p.free[c] = l[:len(l)-1]
		p.held -= cap(b)
	}
	p.mu.Unlock()
	if b == nil {
		return make([]byte, size, 1<<c)
	}
	b = b[:size]
	clear(b)
	return b
}

// Reallocate resizes b, in place when its capacity allows (zeroing what it grows by).
func (p *BufferPool) Reallocate(size int, b []byte) []byte {
	if size <= cap(b) {
		old := len(b)
		b = b[:size]
		if size > old {
			clear(b[old:])
		}
		return b
	}
	nb := p.Allocate(size)
	copy(nb, b)
	p.Free(b)
	return nb
}

// Free keeps b for reuse, unless the pool holds Max bytes already or b was not allocated here.
func (p *BufferPool) Free(b []byte) {
	c := cap(b)
	if c < 1<<minPoolClass || c&(c-1) != 0 {
		return
	}
	if poisonFreed {
		// A reader of a batch it no longer holds sees garbage, not the next batch's values.
		b = b[:c]
		for i := range b {
			b[i] = 0xa5
		}
		return
	}
	p.mu.Lock()
	if p.held+c <= p.Max {
		k := bits.Len(uint(c)) - 1
		p.free[k] = append(p.free[k], b[:0])
		p.held += c
	}
	p.mu.Unlock()
}
