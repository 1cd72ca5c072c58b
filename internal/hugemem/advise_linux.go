package hugemem

import (
	"syscall"
	"unsafe"
)

// advise marks the whole huge pages within [p, p+size) MADV_HUGEPAGE. A failure (a kernel without
// transparent huge pages) leaves ordinary pages, which are correct, only slower.
func advise(p unsafe.Pointer, size int) {
	start := (uintptr(p) + hugePage - 1) &^ (hugePage - 1)
	end := (uintptr(p) + uintptr(size)) &^ (hugePage - 1)
	if end <= start {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Add(p, start-uintptr(p))), end-start)
	_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE)
}
