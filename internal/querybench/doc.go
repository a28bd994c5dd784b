// Package querybench measures TraceQL search (traceql/eval) over real
// vParquet4 blocks (blocks.Store) built from the Nezha span CSVs, copied
// with fresh IDs until the dataset holds TRACECTL_BENCH_SPANS spans
// (default 100,000), split into several blocks in a file:// bucket under
// the temp dir (cached by size, so repeated runs reuse it):
//
//	go test ./internal/querybench -run '^$' -bench . -benchtime 1x
//	TRACECTL_BENCH_SPANS=5000000 go test ./internal/querybench -run '^$' -bench . -benchtime 1x -timeout 60m
//
// Each sub-benchmark reports spans/s (spans in the dataset scanned per
// second of query time) and peak-heap-MB (the largest live heap sampled
// while the query ran). TRACECTL_BENCH_CONCURRENCY sets
// blocks.Store.SetConcurrency (default: the store's default).
// Results and the exact commands are in RESULTS.md. It is a test-only
// package: it has no exported API.
package querybench
