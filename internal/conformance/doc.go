// Package conformance runs the storage-agnostic TraceQL conformance scripts
// (traceql/testdata/search) against real vParquet4 blocks, so that the
// in-memory evaluation and the block reader are held to the same answers.
// It has no code of its own besides tests; it exists because traceql may not
// import blocks.
package conformance
