// Package bench holds the synthetic data generator (bench/gen) and, later, end-to-end benchmarks and
// the side-by-side comparison with a peer engine. The decoder's own benchmarks live in flowlog.
package bench
