// Package duckdbbench cross-checks tracectl against DuckDB, an independent
// Parquet reader, over the same vParquet4 blocks: its test compares
// tracectl's TraceQL counts and `trace get` output with DuckDB SQL over the
// data.parquet files, and cmd/duckq is the DuckDB side of
// scripts/bench-duckdb. It is a separate module because DuckDB needs cgo;
// tracectl itself stays pure Go. See README.md.
package duckdbbench
