//go:build !poisonfree

package flowlog

const poisonFreed = false
