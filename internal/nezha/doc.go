// Package nezha reads the span CSV files of the Nezha root-cause-analysis
// dataset (IntelligentDDS/Nezha, FSE 2023; copies in
// shared/testdata/external/nezha) into model spans, and writes them back out
// as OTLP files, optionally many times over with fresh IDs, so that ingest
// can be measured on real traces at any size.
//
// Glossary:
//   - Row: one CSV line, one span:
//     TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration.
//     ParentID is the literal "root" for root spans; Duration is in
//     microseconds and is checked for form only (times come from the
//     Unix-nanosecond columns).
//   - Pod and service: the resource of a span is its pod (k8s.pod.name);
//     its service.name is the pod name minus its last two "-" segments
//     (frontend-579b9bff58-t2dbm -> frontend).
//   - Kind: the CSV has no kind column. A span is SERVER when it is a root
//     or its parent belongs to another service (it is where a request
//     enters a service); otherwise CLIENT when one of its children belongs
//     to another service (it is where a request leaves); otherwise
//     unspecified. Nothing else (status, attributes) is invented.
//   - Copy: the dataset re-issued with every trace and span ID XORed with
//     masks derived from the copy number and times shifted, so N copies
//     hold N times as many distinct spans with the same shape. Copy 0 is
//     the data as read.
package nezha
