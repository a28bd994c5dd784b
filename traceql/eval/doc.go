// Package eval evaluates TraceQL search queries over a store.Source.
//
// It follows shared/specs/traceql-reference.md §1.3–§1.10 and §4.4
// (implemented from that text and Tempo's public docs, not Tempo's code).
// A query runs one trace at a time: the first pipeline stage sees every span
// of the trace as one spanset, and the trace matches when the pipeline
// leaves at least one non-empty spanset.
//
// # Glossary
//
// Spanset: a set of spans of one trace plus the attributes stages attached
// to it (`by(...)`, `count()`), and the attributes select() asked for.
//
// Field value: the run-time value of a field expression on one span: int,
// float, duration, string, bool, status, kind, an array (attribute values
// only) or nil (attribute absent).
//
// Comparison rules: nil compared with anything is false for every operator
// (so `!=` does not match spans lacking the attribute); `x = nil` / `x !=
// nil` test absence / presence; type mismatches are false; ints, floats and
// durations compare numerically. An array matches `= < <= > >= =~` when any
// element does, and `!=` / `!~` when no element equals / matches (the
// documented rule; Tempo's vParquet4 path instead treats `!=` element-wise).
// Regexes are RE2, fully anchored, with `.` matching newlines.
//
// Event and link fields: a filter that reads event (link) fields is tried
// on each event (link) of the span, so conditions joined by `&&` in one
// filter hold on the same event; unscoped `.x` resolves span, resource,
// event, link, instrumentation, first scope having the key wins.
//
// Result order: traces by start time, most recent first, ties by trace ID
// (Tempo returns the first matches found); spans within a spanset by start
// time then span ID, spansets by their first span. This makes results the
// same for every Source.
package eval
