// Package metadata is a block's meta.json: the Tempo-compatible JSON that
// describes one vParquet4 block, and nothing else. It knows the document's
// fields and their encoding; it does not know the bucket, the parquet
// schema or how blocks are written (package blocks does).
//
// Glossary:
//
//   - Meta: the decoded meta.json (format, block ID, trace ID and time
//     range, trace and row group counts, sizes, bloom shard count,
//     dedicated columns). With CompactedTime set it is the block's
//     meta.compacted.json, written when the block is retired.
//   - Dedicated column: an entry of meta.dedicatedColumns, assigning an
//     attribute of a scope (span or resource) to one of the spare string
//     columns; which entries a vParquet4 reader honours is the schema's
//     business, not this package's.
//   - Scope: "span" or "resource"; meta.json leaves the span default out.
//
// Marshalling a Meta that was decoded from a Tempo meta.json gives back the
// same bytes: field names, order and the omitted defaults follow Tempo.
package metadata
