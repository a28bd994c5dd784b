package input

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/internal/codectest"
	"github.com/tracectl/tracectl/internal/fixtures"
)

// protoBadUTF8 is an OTLP protobuf request whose span name and attribute
// key are not UTF-8 (pdata, like the Collector, does not check).
func protoBadUTF8() []byte {
	td := ptrace.NewTraces()
	sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetTraceID(pcommon.TraceID{1})
	sp.SetName("na\xffme")
	sp.Attributes().PutStr("k\xc3", "v")
	b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil {
		panic(err)
	}
	return b
}

// TestWarnings: input that decodes but had to be changed is ingested with
// a warning naming the file, the position of the first change and how
// many there were: strings that are not UTF-8 (replaced with U+FFFD, as
// encoding/json does and the OpenTelemetry proposal on invalid UTF-8
// asks), Jaeger IDs that are not hex (hashed, as the Jaeger UI takes IDs
// as text). The messages are in testdata/warnings.golden; the decoded
// strings are checked here.
func TestWarnings(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		data []byte
		want string // a string that must be in the decoded spans
	}{
		{"otlp-utf8.json", []byte("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[\n{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"name\":\"na\xffme\"," +
			"\"attributes\":[{\"key\":\"k\xc3\",\"value\":{\"stringValue\":\"v\xe2\x82\"}}]}]}]}]}"), "na\uFFFDme"},
		{"otlp-utf8.pb", protoBadUTF8(), "k\uFFFD"},
		{"jaeger-utf8.json", []byte("{\"data\":[{\"traceID\":\"1\",\"spans\":[{\"spanID\":\"1\",\"operationName\":\"op\xff\",\"processID\":\"p\"}],\"processes\":{\"p\":{\"serviceName\":\"s\xfe\"}}}]}"), "op\uFFFD"},
		{"zipkin-v2-utf8.json", []byte("[{\"traceId\":\"1\",\"id\":\"1\",\"name\":\"n\xff\",\"localEndpoint\":{\"serviceName\":\"svc\"},\"timestamp\":1700000000000000}]"), "n\uFFFD"},
		{"zipkin-v1-utf8.json", []byte("[{\"traceId\":\"0000000000000001\",\"id\":\"0000000000000001\",\"name\":\"n\xff\",\"binaryAnnotations\":[{\"key\":\"lc\",\"value\":\"x\"}],\"timestamp\":1700000000000000}]"), "n\uFFFD"},
		{"jaeger-ids.json", []byte("{\"data\":[{\"traceID\":\"trace-1\",\"spans\":[\n{\"spanID\":\"A\",\"processID\":\"p\"},\n{\"spanID\":\"G\",\"references\":[{\"refType\":\"CHILD_OF\",\"spanID\":\"A\"}],\"processID\":\"p\"}],\"processes\":{\"p\":{\"serviceName\":\"s\"}}}]}"), ""},
		// Hex trace and span IDs; the only others are a reference's, or a
		// parent's.
		{"jaeger-ref-ids.json", []byte("{\"data\":[{\"traceID\":\"1\",\"spans\":[\n{\"spanID\":\"1\",\"processID\":\"p\"},\n{\"spanID\":\"2\",\"references\":[{\"refType\":\"FOLLOWS_FROM\",\"traceID\":\"other-trace\",\"spanID\":\"span-x\"}],\"processID\":\"p\"}],\"processes\":{\"p\":{\"serviceName\":\"s\"}}}]}"), ""},
		{"jaeger-parent-ids.json", []byte("{\"data\":[{\"traceID\":\"1\",\"spans\":[\n{\"spanID\":\"1\",\"processID\":\"p\"},\n{\"spanID\":\"2\",\"parentSpanID\":\"parent-y\",\"processID\":\"p\"}],\"processes\":{\"p\":{\"serviceName\":\"s\"}}}]}"), ""},
	}
	var got strings.Builder
	for _, tc := range cases {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, tc.data, 0o600); err != nil {
			t.Fatal(err)
		}
		var texts []string
		rep, err := Decode(context.Background(), []string{path}, Options{}, func(_ string, b codec.Batch) error {
			for _, r := range codectest.AllSpans([]codec.Batch{b}) {
				texts = append(texts, r.Span.Name)
				for _, a := range r.Span.Attributes {
					texts = append(texts, a.Key, a.Value.AsString())
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.want != "" && !strings.Contains(strings.Join(texts, "|"), tc.want) {
			t.Errorf("%s: decoded %q, want %q among them", tc.name, texts, tc.want)
		}
		fmt.Fprintf(&got, "%s\n", tc.name)
		for _, w := range rep.Warnings {
			fmt.Fprintf(&got, "\t%s\n", strings.TrimPrefix(w.Err.Error(), dir+string(filepath.Separator)))
		}
	}
	// A shared fixture whose span IDs run A to I: A–F are hex, G–I are not.
	rep, err := Decode(context.Background(), []string{fixtures.Path(t, "crisp/18.json")}, Options{}, func(string, codec.Batch) error { return nil })
	if err != nil || len(rep.Warnings) != 1 {
		t.Fatalf("crisp/18.json: warnings %v, err %v; want one", rep.Warnings, err)
	}
	fmt.Fprintf(&got, "crisp/18.json\n\t%s\n", rep.Warnings[0].Err.Error()[strings.Index(rep.Warnings[0].Err.Error(), "crisp/"):])
	codectest.Golden(t, "warnings", got.String())
}
