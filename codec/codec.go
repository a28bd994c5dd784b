// Package codec holds the contract shared by the trace file decoders
// (codec/otlp, codec/jaeger, codec/zipkin) and the input layer that picks
// one (codec/input).
//
// Glossary:
//   - Format: a trace file format, named as on the command line (--format).
//   - Batch: decoded spans, grouped by resource and scope as in OTLP. Each
//     span carries its own TraceID; a batch may hold many traces and a trace
//     may span many batches.
//   - DecodeError: an error that says where in which input it happened.
package codec

import (
	"fmt"
	"io"
	"strings"

	"github.com/tracectl/tracectl/model"
)

// Format names a trace file format.
type Format string

// Formats understood by tracectl ingest.
const (
	FormatOTLPJSON   Format = "otlp-json"   // ExportTraceServiceRequest JSON, or file-exporter JSON lines
	FormatOTLPProto  Format = "otlp-proto"  // ExportTraceServiceRequest / TracesData protobuf
	FormatJaegerJSON Format = "jaeger-json" // Jaeger UI/query API JSON, or api_v2 proto-JSON batches
	FormatZipkinV1   Format = "zipkin-v1"   // Zipkin v1 JSON
	FormatZipkinV2   Format = "zipkin-v2"   // Zipkin v2 JSON
	FormatOTLPYAML   Format = "otlp-yaml"   // OTLP/JSON structure written as YAML (Collector golden files)
)

// Formats lists every format in a stable order.
var Formats = []Format{FormatOTLPJSON, FormatOTLPProto, FormatJaegerJSON, FormatZipkinV1, FormatZipkinV2, FormatOTLPYAML}

// ParseFormat accepts a format name (case-insensitive).
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if strings.EqualFold(s, string(f)) {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown format %q (want one of %s)", s, strings.Join(names, ", "))
}

// MaxJSONDepth is how deeply JSON (and YAML) input may nest arrays and
// objects, counted from the top of the document. The 77 JSON trace files
// under shared/testdata/external nest at most 15 levels; the limit leaves
// room for over 300 nested OTLP AnyValue lists (3 levels each) while
// keeping a crafted file (200 KB of brackets) from costing gigabytes. encoding/json
// and jsoniter (which pdata uses) stop at 10,000 levels; the Collector's
// OTLP protobuf decoder at 100 nested AnyValue messages.
const MaxJSONDepth = 1000

// Batch is a group of decoded spans. Every Span has its TraceID set.
type Batch []model.ResourceSpans

// EmitFunc receives decoded batches in input order. Returning an error stops
// decoding and the decoder returns that error unchanged.
type EmitFunc func(Batch) error

// Decoder decodes one input stream. name is used only in errors. A decoder
// streams where the format allows (one JSON line, one array element at a
// time) so memory stays bounded by the largest element, not the input.
type Decoder func(name string, r io.Reader, emit EmitFunc) error

// DecodeError reports bad input with its position. Line and Col are 1-based
// and zero when unknown; Offset is a byte offset into the (decompressed)
// input, -1 when unknown; Path is a JSON path such as $.data[0].spans[3].
type DecodeError struct {
	File   string
	Line   int
	Col    int
	Offset int64
	Path   string
	Err    error
}

// Error renders "file:line:col: msg", "file: byte N: msg" or "file: msg",
// followed by the JSON path when known.
func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	switch {
	case e.Line > 0 && e.Col > 0:
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	case e.Line > 0:
		fmt.Fprintf(&b, ":%d", e.Line)
	case e.Offset >= 0:
		fmt.Fprintf(&b, ": byte %d", e.Offset)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *DecodeError) Unwrap() error { return e.Err }

// LineCol converts a byte offset in data to a 1-based line and column.
func LineCol(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	line, col = 1, 1
	for _, c := range data[:offset] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
