// Package traceql is the TraceQL language for tracectl: lexer, parser, AST,
// validator, printer and function signatures. It covers syntax only;
// evaluation lives in traceql/eval.
//
// The package follows Grafana Tempo's TraceQL as described in
// shared/specs/traceql-reference.md §1, implemented from that text (not from
// Tempo's code). Parse returns typed errors: *ParseError for syntax,
// *ValidationError for type/structure problems, *UnsupportedError for
// constructs that are valid TraceQL but deliberately not executed.
//
// # Glossary
//
// Query: the whole text, parsed into a RootExpr. It is a search pipeline, a
// metrics query, or a comparison of scalar pipelines, optionally followed by
// hints `with(name=value, ...)`.
//
// Span: one operation of a trace; its fields are intrinsics (name, duration,
// status, kind, ...) and attributes (key/value pairs in a scope).
//
// Spanset: a set of spans of one trace. A query runs one trace at a time; the
// first pipeline stage sees all spans of the trace as one spanset.
//
// Spanset filter: `{ expr }`, keeps the spans for which the field expression
// is true. `{ }` keeps every span.
//
// Field expression: a typed expression over one span: literals, attributes,
// intrinsics, arithmetic, comparisons, regex matches and boolean logic.
//
// Attribute: `scope.name` with scope span, resource, event, link,
// instrumentation, or none (`.name`, looked up in every scope). The name runs
// to whitespace or one of {}()=~!<>&|^, and may contain "quoted segments".
//
// Intrinsic: a built-in field, written scoped (`span:duration`,
// `trace:rootService`) or with its legacy bare name (`duration`,
// `rootServiceName`). See Intrinsics for the table.
//
// Spanset operator: `&&` `||` between spansets (same trace), and the
// structural operators `>` `<` `>>` `<<` `~` with negated `!` and union `&`
// forms, which relate spans by their position in the trace tree.
//
// Pipeline: stages joined by `|`: spanset expressions, scalar filters
// (`count() > 3`), `by(expr)`, `coalesce()` and `select(attrs)`. A
// parenthesised ("wrapped") pipeline can be combined with another one by a
// spanset operator.
//
// Aggregate: count, avg, min, max, sum over a spanset; used in scalar filters.
//
// Metrics query: a pipeline followed by a metrics function (rate,
// count_over_time, *_over_time, quantile_over_time, histogram_over_time,
// compare) with `by (...)`, then second-stage topk/bottomk and value filters;
// parenthesised metrics queries combine with `+ - * /` and numbers.
//
// Canonical form: what String prints; parsing it yields an equal tree.
package traceql
