// Package jaeger decodes Jaeger JSON into the tracectl model.
//
// Glossary:
//   - UI JSON: what the Jaeger query API (/api/traces) returns and the Jaeger
//     UI loads: {"data": [trace, ...]}, each trace {traceID, spans,
//     processes}, with hex IDs, microsecond times and typed tags
//     {key, type, value}. The UI also accepts a bare trace object, and some
//     files wrap one as {"data": trace, ...}.
//   - api_v2 JSON: the protobuf JSON form of jaeger.api_v2 messages, a
//     PostSpansRequest {"batch": {spans, process}} or a bare Batch, with
//     base64 IDs and RFC 3339 times.
//   - Process: the service that emitted spans (serviceName and tags); it
//     becomes the OTLP resource.
//   - Reference: a CHILD_OF or FOLLOWS_FROM pointer to another span. The
//     first CHILD_OF in the same trace is the parent; the others become
//     links carrying opentracing.ref_type.
//
// Spans map as the OpenTelemetry Collector's Jaeger translator
// (ProtoToTraces) maps them, so span.kind, error, otel.status_code,
// otel.scope.name, logs and references come out exactly as in a Collector
// or in Tempo's Jaeger receiver: direct (direct.go) follows its mapping
// without pdata, and the translator itself is the reference in tests and
// the road for tags of unknown type. UI JSON in its common shapes is
// walked by uiStream (uistream.go) and its spans and processes read by
// uiReader (uifast.go) instead of encoding/json, into the same structs;
// the rest, and every error, go through encoding/json as before.
package jaeger
