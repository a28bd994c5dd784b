// Package codectest holds test helpers shared by the codec test suites
// (jaeger, zipkin): decoding fixtures and strings, counting and finding
// spans, checking attributes and errors, golden files and fuzz bodies.
//
// Importing it registers the -update flag, which makes Golden rewrite
// testdata/*.golden instead of comparing with it.
package codectest

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// DecodeFixture decodes a shared fixture with dec and returns the emitted
// batches.
func DecodeFixture(t *testing.T, rel string, dec codec.Decoder) ([]codec.Batch, error) {
	t.Helper()
	f, err := os.Open(fixtures.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []codec.Batch
	err = dec(rel, f, func(b codec.Batch) error {
		out = append(out, b)
		return nil
	})
	return out, err
}

// DecodeString decodes in, named "in.json", with dec and returns the
// emitted batches.
func DecodeString(dec codec.Decoder, in string) ([]codec.Batch, error) {
	var out []codec.Batch
	err := dec("in.json", strings.NewReader(in), func(b codec.Batch) error {
		out = append(out, b)
		return nil
	})
	return out, err
}

// Stats counts what a decoder emitted.
type Stats struct {
	Traces, Spans, Errors int      // distinct trace IDs, spans, spans with error status
	Services              []string // distinct resource service names, sorted
}

// StatsOf counts the traces, spans, error spans and services in bs.
func StatsOf(bs []codec.Batch) Stats {
	traces := map[model.TraceID]bool{}
	svcs := map[string]bool{}
	var st Stats
	for _, b := range bs {
		for _, rs := range b {
			if n := rs.Resource.ServiceName(); n != "" {
				svcs[n] = true
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					traces[s.TraceID] = true
					st.Spans++
					if s.Status.Code == model.StatusError {
						st.Errors++
					}
				}
			}
		}
	}
	st.Traces = len(traces)
	for s := range svcs {
		st.Services = append(st.Services, s)
	}
	sort.Strings(st.Services)
	return st
}

// CheckCounts checks that bs holds the given numbers of distinct traces,
// spans and error spans and the given (sorted) resource service names, and
// that no span has a zero trace or span ID.
func CheckCounts(t *testing.T, bs []codec.Batch, traces, spans, errs int, services []string) {
	t.Helper()
	st := StatsOf(bs)
	if st.Traces != traces || st.Spans != spans || st.Errors != errs {
		t.Errorf("traces/spans/errors = %d/%d/%d, want %d/%d/%d", st.Traces, st.Spans, st.Errors, traces, spans, errs)
	}
	if !slices.Equal(st.Services, services) {
		t.Errorf("services = %q, want %q", st.Services, services)
	}
	for _, r := range AllSpans(bs) {
		if r.Span.TraceID.IsZero() || r.Span.SpanID.IsZero() {
			t.Errorf("span %q has a zero ID", r.Span.Name)
		}
	}
}

// AllSpans returns every span with its resource and scope, in emitted order.
func AllSpans(bs []codec.Batch) []model.SpanRef {
	var out []model.SpanRef
	for _, b := range bs {
		for i := range b {
			rs := &b[i]
			for j := range rs.ScopeSpans {
				ss := &rs.ScopeSpans[j]
				for k := range ss.Spans {
					out = append(out, model.SpanRef{Resource: &rs.Resource, Scope: &ss.Scope, Span: &ss.Spans[k]})
				}
			}
		}
	}
	return out
}

func spansWhere(bs []codec.Batch, keep func(*model.Span) bool) []model.SpanRef {
	var out []model.SpanRef
	for _, r := range AllSpans(bs) {
		if keep(r.Span) {
			out = append(out, r)
		}
	}
	return out
}

// SpansWithID returns the spans with the given hex span ID, in emitted
// order.
func SpansWithID(t *testing.T, bs []codec.Batch, spanID string) []model.SpanRef {
	t.Helper()
	id := SpanID(t, spanID)
	return spansWhere(bs, func(s *model.Span) bool { return s.SpanID == id })
}

// FindSpan returns the span with the given hex span ID; it fails the test
// when there is not exactly one.
func FindSpan(t *testing.T, bs []codec.Batch, spanID string) model.SpanRef {
	t.Helper()
	found := SpansWithID(t, bs, spanID)
	if len(found) != 1 {
		t.Fatalf("span %s: found %d spans, want 1", spanID, len(found))
	}
	return found[0]
}

// SpanNamed returns the span with the given name; it fails the test when
// there is not exactly one.
func SpanNamed(t *testing.T, bs []codec.Batch, name string) model.SpanRef {
	t.Helper()
	found := spansWhere(bs, func(s *model.Span) bool { return s.Name == name })
	if len(found) != 1 {
		t.Fatalf("span %q: found %d, want 1", name, len(found))
	}
	return found[0]
}

// SpanID parses a hex span ID, failing the test if it is malformed.
func SpanID(t *testing.T, s string) model.SpanID {
	t.Helper()
	id, err := model.ParseSpanID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TraceID parses a hex trace ID, failing the test if it is malformed.
func TraceID(t *testing.T, s string) model.TraceID {
	t.Helper()
	id, err := model.ParseTraceID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// WantAttr checks that attrs holds key with the value want.
func WantAttr(t *testing.T, attrs []model.Attribute, key string, want model.Value) {
	t.Helper()
	got, ok := model.Find(attrs, key)
	if !ok {
		t.Errorf("attribute %q missing", key)
		return
	}
	if !got.Equal(want) {
		t.Errorf("attribute %q = %s %q, want %s %q", key, got.Type, got.AsString(), want.Type, want.AsString())
	}
}

// WantDecodeError checks that err is a *codec.DecodeError whose text holds
// every string in want.
func WantDecodeError(t *testing.T, err error, want []string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	t.Log(err)
	var de *codec.DecodeError
	if !errors.As(err, &de) {
		t.Errorf("error is %T, want *codec.DecodeError", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

// MaxFuzzInput bounds the inputs the fuzz targets decode: the fuzzer's
// own inputs are far smaller, and the hostile seeds (a nesting bomb is
// 200 KB) fit.
const MaxFuzzInput = 1 << 20

// FuzzMemoryLimit is the soft memory limit the fuzz targets set: a decoder
// that blows up on an input makes the worker collect hard and slow down
// instead of taking the machine's memory, and the input's time shows it.
const FuzzMemoryLimit = 1 << 30

// BoundFuzz sets FuzzMemoryLimit for the fuzz run.
func BoundFuzz(f *testing.F) {
	old := debug.SetMemoryLimit(FuzzMemoryLimit)
	f.Cleanup(func() { debug.SetMemoryLimit(old) })
}

// Nested returns depth '['s then depth ']'s: a nesting bomb at
// depth 100,000 (200 KB).
func Nested(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

// ProtoNested returns an OTLP protobuf request with one span whose
// attribute value is depth arrays deep. Each level only adds two field
// headers in front, so they are made inside out and written in reverse.
func ProtoNested(depth int) []byte {
	hdr := func(field, size int) []byte {
		return binary.AppendUvarint(binary.AppendUvarint(nil, uint64(field<<3|2)), uint64(size))
	}
	ld := func(field int, b []byte) []byte { return append(hdr(field, len(b)), b...) }
	core := ld(1, []byte("x")) // AnyValue{string_value: "x"}
	size := len(core)
	var hdrs [][]byte
	for range depth { // AnyValue{array_value: ArrayValue{values: [v]}}
		for _, field := range []int{1, 5} {
			h := hdr(field, size)
			size += len(h)
			hdrs = append(hdrs, h)
		}
	}
	var v []byte
	for i := len(hdrs) - 1; i >= 0; i-- {
		v = append(v, hdrs[i]...)
	}
	v = append(v, core...)
	kv := append(ld(1, []byte("a")), ld(2, v)...)
	span := append(ld(1, []byte("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01")), ld(9, kv)...)
	return ld(1, ld(2, ld(2, span)))
}

// YAMLAliasBomb returns an OTLP YAML document whose aliases stand for
// 10^8 nodes in 400 bytes ("billion laughs").
func YAMLAliasBomb() []byte {
	var b strings.Builder
	b.WriteString("resourceSpans: []\nx:\n  l0: &l0 [x,x,x,x,x,x,x,x,x,x]\n")
	for i := 1; i < 8; i++ {
		fmt.Fprintf(&b, "  l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), 10), ","))
	}
	return []byte(b.String())
}

// FuzzDecoder fuzzes dec: decoded spans must have non-zero IDs and errors
// must be DecodeErrors naming the file. Inputs past MaxFuzzInput are
// skipped, and the run has a FuzzMemoryLimit.
func FuzzDecoder(f *testing.F, dec codec.Decoder) {
	BoundFuzz(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > MaxFuzzInput {
			t.Skip("input past MaxFuzzInput")
		}
		err := dec("fuzz.json", strings.NewReader(string(in)), func(b codec.Batch) error {
			for _, rs := range b {
				for _, ss := range rs.ScopeSpans {
					for _, s := range ss.Spans {
						if s.TraceID.IsZero() || s.SpanID.IsZero() {
							t.Fatalf("zero ID in decoded span %+v", s)
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			var de *codec.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not a DecodeError: %v", err, err)
			}
			if !strings.HasPrefix(err.Error(), "fuzz.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
		}
	})
}

// Dump renders batches as stable text for golden files.
func Dump(bs []codec.Batch) string {
	var b strings.Builder
	for i, batch := range bs {
		fmt.Fprintf(&b, "batch %d\n", i)
		for _, rs := range batch {
			fmt.Fprintf(&b, "  resource%s\n", attrsText(rs.Resource.Attributes))
			for _, ss := range rs.ScopeSpans {
				fmt.Fprintf(&b, "    scope %q %q%s\n", ss.Scope.Name, ss.Scope.Version, attrsText(ss.Scope.Attributes))
				for _, s := range ss.Spans {
					fmt.Fprintf(&b, "      span %s %s parent=%s kind=%s name=%q\n", s.TraceID, s.SpanID, s.ParentSpanID, s.Kind, s.Name)
					fmt.Fprintf(&b, "        time %d..%d status=%s %q", s.StartTimeUnixNano, s.EndTimeUnixNano, s.Status.Code, s.Status.Message)
					if s.TraceState != "" {
						fmt.Fprintf(&b, " tracestate=%q", s.TraceState)
					}
					b.WriteString("\n")
					for _, a := range s.Attributes {
						fmt.Fprintf(&b, "        attr %s\n", attrText(a))
					}
					for _, e := range s.Events {
						fmt.Fprintf(&b, "        event %d %q%s\n", e.TimeUnixNano, e.Name, attrsText(e.Attributes))
					}
					for _, l := range s.Links {
						fmt.Fprintf(&b, "        link %s %s%s\n", l.TraceID, l.SpanID, attrsText(l.Attributes))
					}
				}
			}
		}
	}
	return b.String()
}

func attrText(a model.Attribute) string {
	return fmt.Sprintf("%s=%s:%q", a.Key, a.Value.Type, a.Value.AsString())
}

func attrsText(as []model.Attribute) string {
	var b strings.Builder
	for _, a := range as {
		b.WriteString(" ")
		b.WriteString(attrText(a))
	}
	return b.String()
}

// Golden compares got with testdata/name.golden (relative to the test's
// package directory), rewriting it with -update.
func Golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from decoded output; diff:\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff shows the first differing lines.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, wl, gl)
		}
	}
	return ""
}

// SameErrorAtPath tells whether two decode errors are the same but for
// their line:col, and for their text when both are encoding/json syntax
// errors: what a streaming decoder and the encoding/json walk it hands
// over to report for one input, the walk's position and wording depending
// on how much of the input its tokenizer had read.
func SameErrorAtPath(got, want error) bool {
	if got.Error() == want.Error() {
		return true
	}
	var g, w *codec.DecodeError
	return errors.As(got, &g) && errors.As(want, &w) && g.Path == w.Path &&
		(g.Err.Error() == w.Err.Error() || isSyntax(g) && isSyntax(w))
}

// isSyntax tells encoding/json's syntax errors from a decoder's own.
func isSyntax(e *codec.DecodeError) bool {
	m := e.Err.Error()
	for _, s := range []string{"invalid character", "unexpected end", "expected comma", "expected colon"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}
