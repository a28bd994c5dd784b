// Package otlp decodes and encodes OpenTelemetry trace data (OTLP) in its
// JSON, protobuf and YAML forms, converting between pdata and the model.
//
// Glossary:
//   - Request: one ExportTraceServiceRequest / TracesData object
//     ({"resourceSpans": [...]}) or Tempo's tempopb form ({"batches": [...]});
//     each decoded request becomes one codec.Batch.
//   - JSON lines: the Collector file exporter's output, one request per line.
//   - Chunk: up to 1000 spans of one scope, decoded by pdata together with
//     their resource and scope. OTLP JSON is read as a stream (stream.go),
//     a chunk at a time, so memory is bounded by a chunk, not by a request
//     or a file.
//   - Normalising: the pass over OTLP JSON that checks every known field
//     against the OTLP schema (schema.go), rewrites protojson base64 IDs as
//     hex and legacy keys (batches, instrumentationLibrarySpans) as current
//     ones, naming the line:col and JSON path of anything wrong. It runs
//     over the structure of every request, and over a chunk's spans when
//     pdata cannot take them as they are.
//   - Protobuf: decoded a few MiB of whole top-level fields at a time
//     straight into the model (protodec.go), accepting, rejecting and
//     decoding exactly what pdata's ProtoUnmarshaler and FromPdata do.
//   - pdata: go.opentelemetry.io/collector/pdata, the Collector's in-memory
//     OTLP representation, used for parsing JSON and for marshalling, and
//     as the reference the protobuf decoder is tested against.
package otlp
