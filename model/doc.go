// Package model defines the trace data that every other tracectl package
// works on. It mirrors the OTLP data model and depends on nothing but the
// standard library.
//
// Glossary:
//
//   - Trace: every span that shares one TraceID, grouped the OTLP way into
//     ResourceSpans (a Resource and its ScopeSpans) and ScopeSpans (an
//     instrumentation Scope and its Spans).
//   - Span: one operation, identified by (TraceID, SpanID, Kind). Zipkin
//     client and server halves may share a SpanID, so Kind is part of the key.
//   - Attribute: a key and a typed Value (string, int, double, bool, bytes,
//     array or key/value list), as in OTLP's AnyValue.
//   - Nested set: NestedSetLeft/Right/ParentIndex numbers that let structural
//     TraceQL operators answer "descendant of" without walking the tree;
//     computed by ComputeNestedSets.
package model
