package query

// SetTopPart sets how many groups topGroups ranks at a time and returns what restores it.
func SetTopPart(n int) func() {
	old := topPart
	topPart = n
	return func() { topPart = old }
}
