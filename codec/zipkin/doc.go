// Package zipkin decodes Zipkin v1 and v2 JSON into the tracectl model.
//
// Glossary:
//   - v2 span: one host's view of an operation (kind, localEndpoint,
//     remoteEndpoint, tags, annotations); a client and a server may report
//     halves of one RPC under the same span ID ("shared" spans).
//   - v1 span: one operation as seen by every host, with timestamped
//     annotations (cs/sr/ss/cr, ms/mr, or free text) and binaryAnnotations
//     (string tags, and ca/sa/ma address annotations).
//
// Both decoders translate with the OpenTelemetry Collector's Zipkin
// translators, span by span, so that what tracectl stores is what a
// Collector (and Tempo's Zipkin receiver) would have produced. For v2 the
// translator is the reference rather than the road: fastStream and fastV2
// (v2stream.go, v2fast.go) read the common form of a file and its spans
// straight into the model, giving what the translator gives, and leave
// the rest (and every error) to zipkin-go and the translator. Spans are
// translated one at a time (the v2 translator's unstable sort would
// otherwise reorder them) and regrouped by resource and scope in input
// order. Where the translators reject or garble valid Zipkin, this package
// departs from them, each time on purpose:
//   - v1 binaryAnnotations with non-string values (ca/sa/ma: true,
//     numbers) are turned into strings instead of failing the file;
//   - v2 IPv4 addresses with leading zeros ("52.0.0.04") are read as
//     decimal instead of failing the span;
//   - otel.status_code "OK"/"ERROR" (the OpenTelemetry Zipkin mapping) sets
//     the status, which the translators only do for other spellings;
//   - spans without a timestamp (v1 without annotations, v2) are not put at
//     the Unix epoch (v2) or the wall clock (v1): they take their time from
//     their annotations, another span with their ID, or their parent, as
//     Zipkin does, or are an error (times.go);
//   - v2 attributes are sorted by key: the translator fills them from Go
//     maps in random order.
package zipkin
