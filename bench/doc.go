// Package bench holds the end-to-end benchmarks: the standard report against gunzip alone
// (reportbench), analysts' queries over gzip text and Parquet (querybench), and the side-by-side
// comparison with DuckDB (compare), which share a harness. The data they read comes from
// flowlog/synth; each stage's own Go benchmarks live beside its package.
package bench
