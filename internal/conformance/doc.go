// Package conformance runs the storage-agnostic TraceQL conformance scripts
// (traceql/testdata/search) against real vParquet4 blocks, so that the
// in-memory evaluation and the block reader are held to the same answers,
// and a differential test (TestDifferential) that does the same for
// thousands of random queries generated from a corpus of real, generated
// and hand-built traces.
// It has no code of its own besides tests; it exists because traceql may not
// import blocks.
package conformance
