// Package otlp decodes and encodes OpenTelemetry trace data (OTLP) in its
// JSON, protobuf and YAML forms, converting between pdata and the model.
//
// Glossary:
//   - Request: one ExportTraceServiceRequest / TracesData object
//     ({"resourceSpans": [...]}) or Tempo's tempopb form ({"batches": [...]});
//     each decoded request becomes one codec.Batch.
//   - JSON lines: the Collector file exporter's output, one request per line.
//   - Chunk: up to 1000 spans of one scope, decoded together with their
//     resource and scope. OTLP JSON is read as a stream (stream.go),
//     a chunk at a time, so memory is bounded by a chunk, not by a request
//     or a file.
//   - Normalising: the pass over OTLP JSON that checks every known field
//     against the OTLP schema (schema.go), rewrites protojson base64 IDs as
//     hex and legacy keys (batches, instrumentationLibrarySpans) as current
//     ones, naming the line:col and JSON path of anything wrong. It runs
//     over the structure of every request, and over a chunk's spans when
//     neither the direct decoder nor pdata can take them as they are.
//   - Direct decoding: the chunks of OTLP JSON (jsondec.go) and protobuf
//     (protodec.go) are decoded straight into the model, giving exactly
//     what pdata and FromPdata give; the JSON decoder declines (leaves to
//     pdata and the normaliser) what pdata would refuse.
//   - Protobuf: decoded a few MiB of whole top-level fields at a time
//     straight into the model (protodec.go), accepting, rejecting and
//     decoding exactly what pdata's ProtoUnmarshaler and FromPdata do.
//   - pdata: go.opentelemetry.io/collector/pdata, the Collector's in-memory
//     OTLP representation, used for parsing the JSON chunks the direct
//     decoder declines and for marshalling, and as the reference the
//     direct decoders are tested against.
package otlp
