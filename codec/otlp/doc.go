// Package otlp decodes and encodes OpenTelemetry trace data (OTLP) in its
// JSON, protobuf and YAML forms, converting between pdata and the model.
//
// Glossary:
//   - Request: one ExportTraceServiceRequest / TracesData object
//     ({"resourceSpans": [...]}) or Tempo's tempopb form ({"batches": [...]});
//     each decoded request becomes one codec.Batch.
//   - JSON lines: the Collector file exporter's output, one request per line.
//     Requests are decoded one at a time, so memory is bounded by a request.
//   - Normalising: the pre-pass over OTLP JSON that rewrites protojson base64
//     IDs as hex, renames legacy keys (batches, instrumentationLibrarySpans)
//     and checks every span's IDs, naming the JSON path of a bad one, before
//     pdata's unmarshaler sees the request.
//   - pdata: go.opentelemetry.io/collector/pdata, the Collector's in-memory
//     OTLP representation, used for parsing and marshalling.
package otlp
