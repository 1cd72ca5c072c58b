package hugemem

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// TestUint64s: the array is zeroed and whole, small or large.
func TestUint64s(t *testing.T) {
	for _, n := range []int{0, 1, 1000, Min / 8, 3 * Min / 8} {
		s := Uint64s(n)
		if len(s) != n {
			t.Fatalf("Uint64s(%d) has length %d", n, len(s))
		}
		for i := range s {
			if s[i] != 0 {
				t.Fatalf("Uint64s(%d)[%d] = %d, want 0", n, i, s[i])
			}
			s[i] = uint64(i)
		}
		for i := range s {
			if s[i] != uint64(i) {
				t.Fatalf("Uint64s(%d)[%d] = %d after writing %d", n, i, s[i], i)
			}
		}
	}
}

// TestHugePages: on Linux with transparent huge pages in "madvise" or "always" mode, a large array
// once written is backed by huge pages (the kernel's own account, /proc/self/smaps). Where the
// kernel has none to give (THP off, or memory too fragmented: it may fall back), the test is skipped.
func TestHugePages(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("huge pages are advised on Linux only")
	}
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || strings.Contains(string(mode), "[never]") {
		t.Skipf("transparent huge pages are off here (%q)", strings.TrimSpace(string(mode)))
	}
	fallback := vmstat(t, "thp_fault_fallback")
	s := Uint64s(32 << 20 / 8)
	for i := 0; i < len(s); i += 512 {
		s[i] = 1
	}
	// The advised part starts at the first 2 MiB boundary within the array (its own mapping).
	a := (uintptr(unsafe.Pointer(&s[0])) + hugePage - 1) &^ (hugePage - 1)
	kb, err := anonHugeKB(a)
	if err != nil {
		t.Fatal(err)
	}
	if kb == 0 {
		if vmstat(t, "thp_fault_fallback") > fallback {
			t.Skip("the kernel fell back to small pages (fragmented memory): nothing to check")
		}
		t.Fatal("no huge page backs the array, and the kernel did not fall back: was it advised?")
	}
	if kb < 2048 {
		t.Fatalf("AnonHugePages %d kB, want at least one 2 MiB page", kb)
	}
	runtime.KeepAlive(s)
}

// vmstat returns a counter of /proc/vmstat.
func vmstat(t *testing.T, name string) int64 {
	b, err := os.ReadFile("/proc/vmstat")
	if err != nil {
		t.Skipf("no /proc/vmstat: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		var v int64
		if n, _ := fmt.Sscanf(line, name+" %d", &v); n == 1 {
			return v
		}
	}
	t.Skipf("no %s in /proc/vmstat", name)
	return 0
}

// anonHugeKB returns the AnonHugePages of the mapping that holds address a.
func anonHugeKB(a uintptr) (int, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uintptr
		if f := strings.Fields(line); len(f) > 0 && !strings.HasSuffix(f[0], ":") {
			fmt.Sscanf(f[0], "%x-%x", &lo, &hi)
			in = lo <= a && a < hi
			continue
		}
		if in && strings.HasPrefix(line, "AnonHugePages:") {
			var kb int
			fmt.Sscanf(strings.TrimPrefix(line, "AnonHugePages:"), "%d", &kb)
			return kb, nil
		}
	}
	return 0, fmt.Errorf("no mapping holds %#x in /proc/self/smaps", a)
}
