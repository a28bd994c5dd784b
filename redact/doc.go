// Package redact removes personal data from traces: a rules file in the
// OpenTelemetry Collector's vocabulary, compiled into an Engine that
// rewrites a *model.Trace in place, and a Scanner that finds what is left.
// It imports only model, so ingest (before anything is written) and block
// rewriting (blocks.Store.Rewrite, for data at rest) share one engine.
//
// Glossary:
//
//   - Rules file: YAML with a list "rules:". Errors name file:line:col.
//   - Rule: one named step. It holds either an "attributes:" block (the
//     Collector's attributes processor: actions with include/exclude) or
//     a "redaction:" block (the redaction processor: allowed, ignored and
//     blocked keys, blocked values, detectors, summary attributes), and
//     "apply_to", the places it works on. Rules run in file order.
//   - Target: a place a rule applies to: resource, span, event or link
//     attributes (attribute maps), or span_name, event_name and
//     status_message (single strings, for value masking).
//   - Action: one attributes-processor step (insert, update, upsert,
//     delete, hash, extract, convert) on one attribute map.
//   - Detector: a built-in recogniser of one kind of personal data (email,
//     credit_card with a Luhn check, ipv4, ipv6, jwt, bearer_token,
//     aws_access_key); it finds match ranges in a string.
//   - Mask: what replaces a blocked value or a match: "****", or the
//     lowercase hex digest of the matched text when hash_function is set.
//   - Hash: the attributes "hash" action: SHA-256 over the value's bytes
//     exactly as the Collector does (UTF-8 string; bool 1 byte; int64 and
//     float64 bits 8 bytes little-endian; other types become ""), or
//     HMAC-SHA-256 over the same bytes when a key is given.
//   - Finding: a detector match that Scanner reports: where, which key,
//     which detector, how many spans, and masked examples.
package redact
