//go:build unix

package output

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process of that id runs (signal 0 checks without sending).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
