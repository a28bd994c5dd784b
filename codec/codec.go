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
	"unicode/utf8"

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
	return "", fmt.Errorf("unknown format %q (want one of %s)", s, strings.Join(Names(Formats), ", "))
}

// Names returns the names of fs, in order.
func Names(fs []Format) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = string(f)
	}
	return names
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

// SpanCount is the number of spans in b.
func (b Batch) SpanCount() int {
	n := 0
	for i := range b {
		for j := range b[i].ScopeSpans {
			n += len(b[i].ScopeSpans[j].Spans)
		}
	}
	return n
}

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

// Warner is implemented by readers that collect warnings: problems a
// decoder worked around without failing the input (strings that were not
// UTF-8, Jaeger IDs that were not hex). codec/input hands decoders such a
// reader; a decoder reports through Warn, which drops warnings when its
// reader is not a Warner.
type Warner interface {
	Warn(w *DecodeError)
}

// Warn reports w to r if r is a Warner.
func Warn(r io.Reader, w *DecodeError) {
	if wr, ok := r.(Warner); ok {
		wr.Warn(w)
	}
}

// WarnReader is an io.Reader that collects warnings (see Warner).
type WarnReader struct {
	io.Reader
	Warnings []*DecodeError
	// At, when set, reads the bytes Reader gives at their offsets in its
	// output (the input is an uncompressed regular file): a decoder may
	// pass over a large part of the input and read it back a piece at a
	// time instead of holding it whole.
	At io.ReaderAt
}

// Warn records w.
func (r *WarnReader) Warn(w *DecodeError) { r.Warnings = append(r.Warnings, w) }

// Plural renders n with the singular or plural noun: "1 byte", "3 bytes".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// FixUTF8 replaces every byte of s that is not part of valid UTF-8 with
// U+FFFD, as encoding/json does, and says how many it replaced.
func FixUTF8(s string) (string, int) {
	if utf8.ValidString(s) {
		return s, 0
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
			n++
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String(), n
}

// FixBatchUTF8 applies FixUTF8 to every string of b: names, attribute keys
// and string values (inside arrays and maps too), trace states, status
// messages, scope names and versions. It returns how many bytes it
// replaced and the JSON path of the first string it changed.
func FixBatchUTF8(b Batch) (int, string) {
	if validBatchUTF8(b) {
		// The usual case, checked without the fixer's path closures
		// (several heap allocations per span).
		return 0, ""
	}
	var f utf8Fixer
	for i := range b {
		rs := &b[i]
		p := func() string { return fmt.Sprintf("$.resourceSpans[%d]", i) }
		f.attrs(rs.Resource.Attributes, func() string { return p() + ".resource.attributes" })
		for j := range rs.ScopeSpans {
			ss := &rs.ScopeSpans[j]
			p := func() string { return fmt.Sprintf("%s.scopeSpans[%d]", p(), j) }
			f.str(&ss.Scope.Name, func() string { return p() + ".scope.name" })
			f.str(&ss.Scope.Version, func() string { return p() + ".scope.version" })
			f.attrs(ss.Scope.Attributes, func() string { return p() + ".scope.attributes" })
			for k := range ss.Spans {
				s := &ss.Spans[k]
				p := func() string { return fmt.Sprintf("%s.spans[%d]", p(), k) }
				f.str(&s.Name, func() string { return p() + ".name" })
				f.str(&s.TraceState, func() string { return p() + ".traceState" })
				f.str(&s.Status.Message, func() string { return p() + ".status.message" })
				f.attrs(s.Attributes, func() string { return p() + ".attributes" })
				for e := range s.Events {
					f.str(&s.Events[e].Name, func() string { return fmt.Sprintf("%s.events[%d].name", p(), e) })
					f.attrs(s.Events[e].Attributes, func() string { return fmt.Sprintf("%s.events[%d].attributes", p(), e) })
				}
				for l := range s.Links {
					f.str(&s.Links[l].TraceState, func() string { return fmt.Sprintf("%s.links[%d].traceState", p(), l) })
					f.attrs(s.Links[l].Attributes, func() string { return fmt.Sprintf("%s.links[%d].attributes", p(), l) })
				}
			}
		}
	}
	return f.n, f.first
}

// validBatchUTF8 reports whether every string FixBatchUTF8 looks at is
// valid UTF-8.
func validBatchUTF8(b Batch) bool {
	for i := range b {
		rs := &b[i]
		if !validAttrsUTF8(rs.Resource.Attributes) {
			return false
		}
		for j := range rs.ScopeSpans {
			ss := &rs.ScopeSpans[j]
			if !utf8.ValidString(ss.Scope.Name) || !utf8.ValidString(ss.Scope.Version) || !validAttrsUTF8(ss.Scope.Attributes) {
				return false
			}
			for k := range ss.Spans {
				s := &ss.Spans[k]
				if !utf8.ValidString(s.Name) || !utf8.ValidString(s.TraceState) || !utf8.ValidString(s.Status.Message) ||
					!validAttrsUTF8(s.Attributes) {
					return false
				}
				for e := range s.Events {
					if !utf8.ValidString(s.Events[e].Name) || !validAttrsUTF8(s.Events[e].Attributes) {
						return false
					}
				}
				for l := range s.Links {
					if !utf8.ValidString(s.Links[l].TraceState) || !validAttrsUTF8(s.Links[l].Attributes) {
						return false
					}
				}
			}
		}
	}
	return true
}

func validAttrsUTF8(as []model.Attribute) bool {
	for i := range as {
		if !utf8.ValidString(as[i].Key) || !validValueUTF8(&as[i].Value) {
			return false
		}
	}
	return true
}

func validValueUTF8(v *model.Value) bool {
	switch v.Type {
	case model.ValueString:
		return utf8.ValidString(v.Str)
	case model.ValueArray:
		for _, x := range v.Array() {
			if !validValueUTF8(&x) {
				return false
			}
		}
	case model.ValueMap:
		return validAttrsUTF8(v.Map())
	}
	return true
}

// utf8Fixer counts the bytes FixBatchUTF8 replaced; paths are made only
// for the first string it changes.
type utf8Fixer struct {
	n     int
	first string
}

func (f *utf8Fixer) str(s *string, path func() string) {
	if utf8.ValidString(*s) {
		return
	}
	fixed, n := FixUTF8(*s)
	*s = fixed
	if f.n == 0 {
		f.first = path()
	}
	f.n += n
}

func (f *utf8Fixer) attrs(as []model.Attribute, path func() string) {
	for i := range as {
		p := func() string { return fmt.Sprintf("%s[%d]", path(), i) }
		f.str(&as[i].Key, func() string { return p() + ".key" })
		f.value(&as[i].Value, func() string { return p() + ".value" })
	}
}

func (f *utf8Fixer) value(v *model.Value, path func() string) {
	switch v.Type {
	case model.ValueString:
		f.str(&v.Str, func() string { return path() + ".stringValue" })
	case model.ValueArray:
		arr := v.Array() // shared with v: fixed in place
		for i := range arr {
			f.value(&arr[i], func() string { return fmt.Sprintf("%s.arrayValue.values[%d]", path(), i) })
		}
	case model.ValueMap:
		f.attrs(v.Map(), func() string { return path() + ".kvlistValue.values" })
	}
}
