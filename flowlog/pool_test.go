package flowlog

import (
	"bytes"
	"sync"
	"testing"
)

// TestBufferPool: buffers come back zeroed and of the size asked, reused by size class, contents
// kept by Reallocate, and no more than Max bytes held.
func TestBufferPool(t *testing.T) {
	p := &BufferPool{Max: 1 << 20}
	a := p.Allocate(100)
	if len(a) != 100 || cap(a) != 128 {
		t.Fatalf("len %d cap %d", len(a), cap(a))
	}
	for i := range a {
		a[i] = byte(i)
	}
	a = p.Reallocate(120, a) // in place
	if len(a) != 120 || a[99] != 99 || a[100] != 0 {
		t.Fatalf("in place: %v", a[95:105])
	}
	b := p.Reallocate(1000, a) // moves: a goes back to the pool
	if len(b) != 1000 || cap(b) != 1024 || b[99] != 99 || b[120] != 0 {
		t.Fatalf("moved: len %d cap %d", len(b), cap(b))
	}
	c := p.Allocate(70) // a's class: reused, zeroed
	if &c[:1][0] != &a[:1][0] || !bytes.Equal(c, make([]byte, 70)) {
		if !poisonFreed {
			t.Fatalf("not reused or not zeroed: %v", c[:8])
		}
	}
	p.Free(c)
	p.Free(b)
	p.Free(make([]byte, 100)) // not a size class: dropped
	if want := 128 + 1024; p.held != want && !poisonFreed {
		t.Fatalf("held %d, want %d", p.held, want)
	}
	for range 4 {
		p.Free(make([]byte, 0, 512<<10))
	}
	if p.held > p.Max {
		t.Fatalf("held %d over %d", p.held, p.Max)
	}
	// Concurrent use (go test -race).
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				x := p.Allocate(64 << (i % 8))
				for k := range x {
					if x[k] != 0 {
						t.Errorf("not zeroed")
						return
					}
					x[k] = byte(g + 1)
				}
				p.Free(x)
			}
		}()
	}
	wg.Wait()
}
