//go:build !unix

package output

// processAlive cannot tell here: every process is taken to run, so no temporary file is removed.
func processAlive(int) bool { return true }
