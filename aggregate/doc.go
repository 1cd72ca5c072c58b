// Package aggregate will hold the sharded group-by engine over flowlog's Arrow batches (issue 3).
package aggregate
