package aggregate

import (
	"fmt"
	"os"
	"strings"
)

// DefaultMemoryLimit is the aggregation state's default budget: half of the container's memory limit (cgroup v2 or v1) or of the machine's
// memory, 4 GiB when neither is known.
func DefaultMemoryLimit() int64 {
	var total int64
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if b, err := os.ReadFile(p); err == nil {
			var v int64
			if _, err := fmt.Sscanf(strings.TrimSpace(string(b)), "%d", &v); err == nil && v > 0 && v < 1<<50 {
				total = v
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			var kb int64
			if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kb); err == nil {
				if m := kb << 10; total == 0 || m < total {
					total = m
				}
				break
			}
		}
	}
	if total == 0 {
		return 4 << 30
	}
	return total / 2
}
