// Package blocks stores traces as Grafana Tempo vParquet4 blocks in a
// gocloud.dev/blob bucket, so Tempo can serve what tracectl writes and
// tracectl can read what Tempo writes. It implements store.Source.
//
// Glossary:
//
//   - Bucket: a gocloud.dev/blob bucket (file://, mem://, s3://, gs://,
//     azblob://), opened with OpenBucket.
//   - Tenant: the first folder level of the bucket; a Store is one tenant.
//   - Block: the folder <tenant>/<blockID>/ holding data.parquet, bloom-0 …
//     bloom-<n-1>, index and meta.json. Immutable once written.
//   - Meta: meta.json, Tempo's JSON description of a block (format, ID,
//     time range, trace count, sizes, bloom shard count, dedicated columns).
//     Written last: a block exists for readers only once its meta.json does.
//     The document itself (Meta, DedicatedColumn, their JSON) is package
//     blocks/metadata; Meta here is an alias of metadata.Meta.
//   - Row: one trace in data.parquet, with trace-level columns derived at
//     write time (start/end/duration, root service and span name, service
//     stats) above the ResourceSpans → ScopeSpans → Spans nesting. Rows are
//     sorted by 16-byte trace ID.
//   - Row group: a parquet row group; cut when the buffered rows exceed
//     WriteOptions.RowGroupBytes. Lookups read one row group, scans stream
//     one row group at a time. meta.totalRecords counts them.
//   - Bloom shard: bloom-<i>, a bits-and-blooms/bloom/v3 filter of 100 KiB
//     of bits; a trace ID lives in shard FNV-1-32(ID) mod bloomShards.
//     Shards are sized for n = totalObjects at fp 0.01 (k = 7); a lone
//     shard gets 64 bits per ID, 1 to 100 KiB (package blocks/bloomshard,
//     ShardBits). Readers take m and k from the file (Tempo's own test
//     block has k = 5).
//   - Index: the "index" object, {"rowGroups":[base64 max ID per group]}.
//     Written for Tempo; lookups use the row groups' TraceID statistics.
//   - Static column: a well-known attribute (service.name, k8s.*, cluster,
//     http.method, http.url, http.status_code) stored in its own column
//     instead of the generic attribute list, when its value has the
//     column's type.
//   - Dedicated column: one of ten spare String01..String10 columns per
//     scope (resource, span), assigned to attribute names by
//     meta.dedicatedColumns.
//   - Orphan: a block folder with objects but neither meta.json nor
//     meta.compacted.json — an interrupted (or in-progress) write.
//   - Compacted block: a block whose meta.json was replaced by
//     meta.compacted.json (MarkCompacted); invisible to Blocks and readers,
//     deleted later by retention.
//   - Tenant index: <tenant>/index.json.gz, Tempo's blocklist of every
//     live and compacted meta (WriteIndex). A cache that saves reading each
//     meta; it never changes what Blocks returns (see tenantindex.go). Its
//     format is package blocks/tenantindex.
//
// # Format notes
//
// Two vParquet4 layouts exist; they differ only in the generic attribute
// group (resource, scope, span, event and link Attrs) and in ServiceStats
// being optional (see schema.go):
//
//   - Documented (written): the "vParquet4 block schema example" of Tempo's
//     documentation (docs/sources/tempo/operations/schema.md) and spec
//     §4.3, which Tempo 2.5+ writes and reads: Key, IsArray (required
//     boolean), Value, ValueInt, ValueDouble, ValueBool (lists of string,
//     int64, double, boolean) and ValueUnsupported (optional string).
//     A scalar string/int/double/bool is the one element of its typed list
//     with IsArray false; an array of one scalar type is that list with
//     IsArray true (an empty array: IsArray true, every list empty);
//     bytes, key/value lists, mixed or nested arrays and empty values are
//     OTLP JSON AnyValue in ValueUnsupported. The schema is recorded in
//     testdata/vparquet4-documented.schema, and TestWrittenSchemaIsDocumented
//     and TestDocumentedColumnsExist hold every file we write to it. We
//     write this layout because it is what current Tempo reads.
//   - Legacy (read only): the layout of the block in Tempo's own test data
//     (an older vParquet4 revision), which tracectl also wrote before:
//     Key, ValueType (int32), the same four typed lists, and ValueDropped
//     (optional string) instead of IsArray and ValueUnsupported; and a
//     required ServiceStats. ValueType 1..4 select the typed list (Tempo's
//     block uses 1 and 4); 0 (empty value), 5 (AnyValue JSON in
//     ValueDropped) and 6..9 (homogeneous arrays, empty array = 6) were
//     tracectl's own codes and are still decoded.
//
// Readers tell the layouts apart from the file's schema (IsArray and
// ValueUnsupported versus ValueType and ValueDropped in the resource
// attribute group; anything else is an error) and decode a legacy file
// with its own row type (pqLegacyTrace), converting each row to the
// documented one (pqTrace) before it becomes a model trace.
//
// # Round trip and attribute order
//
// Writing rebatches each trace (duplicate spans dropped, a resource or
// scope merged only into an identical entry just before it, nested sets
// recomputed with model.ComputeNestedSets): the spans are stored in the
// order they were ingested, which tail-sampling replays depend on. Parts
// of a trace held by several blocks are merged in block order (start
// time, then block ID) when read or compacted. Reading restores every attribute, but in a
// canonical order: the generic attributes in their original order, then
// the static columns in schema order (service.name, cluster, namespace,
// pod, container, k8s.cluster.name, k8s.namespace.name, k8s.pod.name,
// k8s.container.name; http.method, http.url, http.status_code), then the
// dedicated columns in meta order. A service.name that is empty stays in
// the generic list so that it round-trips.
//
// # Writing
//
// BlockWriter does not build pqTrace rows: its encoder (encode.go) turns
// each rebatched trace straight into the values of the leaf columns with
// their repetition and definition levels and hands them to parquet-go's
// column writers, one row at a time, so pages and row groups are cut where
// GenericWriter[pqTrace] cut them. The file is byte for byte what that
// writer made (TestEncoderMatchesRowWriter keeps the row path as its
// reference, in a test file only). Traces already in rebatched form are
// copied rather than rebuilt (model.IsOrdered, rebatcher).
//
// # Consistency
//
// Writers put data.parquet, then the bloom shards, then index, then
// meta.json; on failure or cancellation they delete what they wrote. Readers
// (Blocks, Traces, FindTrace) only consider folders with meta.json.
// meta.json times are truncated to the second like Tempo's, so a block
// covers spans up to one second after EndTime.
//
// # Sub-packages
//
// The parts of a block with a format of their own and a narrow interface
// live beside this package: blocks/metadata (meta.json), blocks/tenantindex
// (index.json.gz), blocks/bloomshard (bloom-<i>) and blocks/column (one
// parquet column chunk, read and written page by page). Opening a bucket
// from its URL is internal/bucketurl.
package blocks
