package query

import "time"

// SetTopPart sets how many groups topGroups ranks at a time and returns what restores it.
func SetTopPart(n int) func() {
	old := topPart
	topPart = n
	return func() { topPart = old }
}

// SpillRuns is how many sort runs the package has written so far (every query of the test binary).
func SpillRuns() int64 { return spillRuns.Load() }

// SetSpillDir makes the sort runs' temporary directories under dir and returns what restores it.
func SetSpillDir(dir string) func() {
	old := spillParent
	spillParent = dir
	return func() { spillParent = old }
}

// SetClock sets what gives the time a query starts and returns what restores it.
func SetClock(f func() time.Time) func() {
	old := clock
	clock = f
	return func() { clock = old }
}
