// Package metricsgen turns stored traces into the metrics that Grafana
// Tempo's metrics-generator and the OpenTelemetry Collector's spanmetrics
// and servicegraph connectors would have produced from them, so dashboards
// and alerts can be backfilled from traces at rest.
//
// Glossary:
//   - Span metrics: per span, one call counted and its duration observed in a
//     histogram, keyed by service, span name, kind, status and the configured
//     dimensions (RED: rate, errors, duration).
//   - Edge: one request between two services of the service graph: a
//     client (CLIENT or PRODUCER span) and a server (SERVER or CONSUMER span
//     whose parent is that client span). An edge is complete when both sides
//     are known; a side that never shows up becomes a virtual node ("user"
//     for a missing caller of a root span, the peer attribute or "unknown"
//     for a missing callee), as the Collector does when an edge expires.
//   - Naming: the metric and label names of the output, Tempo's
//     (traces_spanmetrics_*, label service) or the Collector's as a
//     Prometheus exporter shows them (traces_span_metrics_*, service_name).
//   - Family: one metric (counter or histogram) with its series; a Series is
//     a label set with its samples.
//   - Point: the cumulative value of a series at one timestamp. Without a
//     step there is one point per series; with Options.Step, one per step
//     from the series' first span to the last step of the data, so rate()
//     works on a backfill.
//   - Overflow: once a metric group holds Options.MaxSeries series, new
//     label sets are counted in one series labelled otel_metric_overflow="true".
//   - Exemplar: a (trace ID, span ID, value, time) of a real span attached to
//     a histogram bucket or a counter sample in OpenMetrics output.
//
// Generate reads a store.Source and returns a Result; WriteText renders it
// as Prometheus text or OpenMetrics, Result.Graph is the dependency graph.
package metricsgen
