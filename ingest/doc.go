// Package ingest turns trace files into blocks: it decodes inputs with
// codec/input, assembles traces with an ordered model.TraceBuilder (spans in
// input order, a resource or scope merged only into an identical entry just
// before it, duplicate spans dropped), optionally transforms each trace
// (redaction), and writes sorted, size-bounded blocks with blocks.Store.
// Runs are merged in input order, so a trace's spans keep the order they
// were read in whether or not it was spilled.
//
// Glossary:
//   - Budget: how many estimated bytes of spans are held in memory before
//     they are spilled to a sorted run. Memory stays bounded by the budget,
//     not by the size of the input.
//   - Run: a temporary block of sorted traces on local disk. When the input
//     does not fit the budget, runs are merged by trace ID (store.Merge) so
//     every trace lands whole, once, in one output block.
//   - Staging: spans of the file being read. A file that turns out bad is
//     dropped whole (with SkipBad), never half-ingested.
package ingest
