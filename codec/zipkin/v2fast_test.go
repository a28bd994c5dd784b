package zipkin

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/internal/codectest"
	"github.com/tracectl/tracectl/internal/fixtures"
)

// rawSpans returns the span objects of a Zipkin JSON document (an array,
// arrays of arrays, or one span).
func rawSpans(tb testing.TB, data []byte) [][]byte {
	tb.Helper()
	var out [][]byte
	var walk func(raw json.RawMessage)
	walk = func(raw json.RawMessage) {
		switch jsonKind(raw) {
		case '{':
			out = append(out, raw)
		case '[':
			var elems []json.RawMessage
			if err := json.Unmarshal(raw, &elems); err != nil {
				tb.Fatal(err)
			}
			for _, e := range elems {
				walk(e)
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			tb.Fatal(err)
		}
		walk(raw)
	}
	return out
}

// checkFast reads raw with f and with the translator. Where f accepts the
// span, the translator must accept it too and give the same model.
func checkFast(tb testing.TB, f *fastV2, raw []byte) (accepted bool) {
	tb.Helper()
	got, ok := f.span(raw)
	want, err := v2Span(raw)
	if !ok {
		return false
	}
	if err != nil {
		tb.Fatalf("fastV2 read a span the translator rejects (%v):\n%s", err, raw)
	}
	if d := cmp.Diff(want, got); d != "" {
		tb.Fatalf("fastV2 differs from the translator (-translator +fast):\n%s\nspan: %s", d, raw)
	}
	return true
}

// Every span of every v2 fixture that fastV2 reads, it reads as the
// translator does; and it reads most of them.
func TestFastV2Fixtures(t *testing.T) {
	total, accepted := 0, 0
	for _, tc := range v2Fixtures {
		data, err := os.ReadFile(fixtures.Path(t, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		f := newFastV2()
		n := 0
		for _, raw := range rawSpans(t, data) {
			total++
			if checkFast(t, f, raw) {
				accepted++
				n++
			}
		}
		t.Logf("%s: %d of %d spans read by fastV2", tc.file, n, tc.spans)
	}
	if accepted*10 < total*9 {
		t.Errorf("fastV2 read %d of %d fixture spans, want at least 90%%", accepted, total)
	}
}

// DecodeV2 gives the batches and errors decoding through the translator
// gives, for every v2 fixture.
func TestDecodeV2AsTranslated(t *testing.T) {
	for _, tc := range v2Fixtures {
		data, err := os.ReadFile(fixtures.Path(t, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		compareDecoders(t, tc.file, data)
	}
}

func compareDecoders(tb testing.TB, name string, data []byte) {
	tb.Helper()
	compareDecodersAs(tb, name, data, func(got, want error) bool { return got.Error() == want.Error() })
}

// compareDecodersSyntax is compareDecoders, but lets two errors at the
// same JSON path differ in their line:col, and two syntax errors there in
// their text (see FuzzDecodeV2AsWalk).
func compareDecodersSyntax(tb testing.TB, name string, data []byte) {
	tb.Helper()
	compareDecodersAs(tb, name, data, codectest.SameErrorAtPath)
}

func compareDecodersAs(tb testing.TB, name string, data []byte, sameErr func(got, want error) bool) {
	tb.Helper()
	var got, want []codec.Batch
	gotErr := DecodeV2(name, bytes.NewReader(data), func(b codec.Batch) error { got = append(got, b); return nil })
	wantErr := DecodeV2Translated(name, bytes.NewReader(data), func(b codec.Batch) error { want = append(want, b); return nil })
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && !sameErr(gotErr, wantErr) {
		tb.Fatalf("%s: error %v, translated %v", name, gotErr, wantErr)
	}
	if d := cmp.Diff(want, got); d != "" {
		tb.Fatalf("%s: batches differ (-translated +DecodeV2):\n%s", name, d)
	}
}

const fastBase = `"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","timestamp":1556604172355737,"duration":1431`

// fastCases are spans on the edges of what fastV2 reads: accept says
// whether it must read the span itself.
var fastCases = []struct {
	name   string
	span   string
	accept bool
}{
	{"plain", `{` + fastBase + `,"name":"get","kind":"SERVER","localEndpoint":{"serviceName":"frontend"}}`, true},
	{"128-bit and upper-case IDs", `{"traceId":"5AF7183FB1D4CF5F6B8E1E3C9A2D4F01","id":"ABCDEF0123456789","parentId":"0000000000000001","timestamp":1}`, true},
	{"short IDs", `{"traceId":"1","id":"2","parentId":"3","timestamp":5}`, true},
	{"parent is itself", `{"traceId":"1","id":"2","parentId":"2","timestamp":5}`, true},
	{"empty parent", `{"traceId":"1","id":"2","parentId":"","timestamp":5}`, true},
	{"nulls", `{` + fastBase + `,"parentId":null,"localEndpoint":null,"remoteEndpoint":null,"tags":null,"annotations":null}`, true},
	{"no timestamp", `{"traceId":"1","id":"2","duration":7,"localEndpoint":{"serviceName":"a"}}`, true},
	{"endpoints", `{` + fastBase + `,"localEndpoint":{"serviceName":"a","ipv4":"10.0.0.1","port":8080},"remoteEndpoint":{"serviceName":"b","ipv4":"10.0.0.2","ipv6":"2001:db8::1","port":443}}`, true},
	{"ipv4 written as ipv6", `{` + fastBase + `,"localEndpoint":{"serviceName":"a","ipv4":"::ffff:10.0.0.1","ipv6":""}}`, true},
	{"endpoint values over tags", `{` + fastBase + `,"remoteEndpoint":{"serviceName":"b","port":1},"tags":{"service.peer.name":"x","net.peer.port":"2","otel.zipkin.absentField.startTime":"no"}}`, true},
	{"start-absent tag replaced", `{"traceId":"1","id":"2","tags":{"otel.zipkin.absentField.startTime":"no"}}`, true},
	{"resource tags", `{` + fastBase + `,"localEndpoint":{"serviceName":"a"},"tags":{"host.name":"h","k8s.pod.name":"p","http.route":"/x","http.status_code":"200","faas.id":"f","process.pid":"1"}}`, true},
	{"renamed tag meets its new name", `{` + fastBase + `,"tags":{"http.status_code":"200","http.response.status_code":"200"}}`, true},
	{"renamed tag meets another value", `{` + fastBase + `,"tags":{"http.status_code":"200","http.response.status_code":"500"}}`, false},
	{"service.name tag wins", `{` + fastBase + `,"localEndpoint":{"serviceName":"a"},"tags":{"service.name":"b"}}`, true},
	{"resource tags without a service", `{` + fastBase + `,"tags":{"host.name":"h","x":"y"}}`, true},
	{"the no-service name", `{` + fastBase + `,"localEndpoint":{"serviceName":"OTLPResourceNoServiceName"},"tags":{"host.name":"h"}}`, true},
	{"scope", `{` + fastBase + `,"tags":{"otel.scope.name":"s","otel.scope.version":"1","otel.library.name":"l","otel.library.version":"2"}}`, true},
	{"library only", `{` + fastBase + `,"tags":{"otel.library.name":"l","otel.library.version":"2"}}`, true},
	{"empty scope name", `{` + fastBase + `,"tags":{"otel.scope.name":"","otel.library.name":"l","otel.scope.version":"1"}}`, true},
	{"status ERROR", `{` + fastBase + `,"tags":{"otel.status_code":"ERROR","otel.status_description":"boom","error":"true"}}`, true},
	{"status Error without error tag", `{` + fastBase + `,"tags":{"otel.status_code":"Error","otel.status_description":"boom"}}`, true},
	{"status ok", `{` + fastBase + `,"tags":{"otel.status_code":" ok "}}`, true},
	{"status unknown", `{` + fastBase + `,"tags":{"otel.status_code":"bad","otel.status_description":"d"}}`, true},
	{"description alone", `{` + fastBase + `,"tags":{"otel.status_description":"d"}}`, true},
	{"error not true", `{` + fastBase + `,"tags":{"error":"timeout"}}`, true},
	{"error with OK code", `{` + fastBase + `,"tags":{"otel.status_code":"OK","error":""}}`, true},
	{"span.kind internal", `{` + fastBase + `,"tags":{"span.kind":"internal"}}`, true},
	{"span.kind other", `{` + fastBase + `,"tags":{"span.kind":"server"}}`, true},
	{"span.kind with a kind", `{` + fastBase + `,"kind":"CLIENT","tags":{"span.kind":"internal"}}`, true},
	{"lower-case kind", `{` + fastBase + `,"kind":"client"}`, true},
	{"trace state", `{` + fastBase + `,"tags":{"w3c.tracestate":"a=b"}}`, true},
	{"every special tag", `{` + fastBase + `,"tags":{"w3c.tracestate":"a=b","span.kind":"internal","otel.status_code":"Ok","otel.status_description":"d","error":"true"}}`, true},
	{"long tag key", `{` + fastBase + `,"tags":{"` + strings.Repeat("k", 300) + `":"v"}}`, false},
	{"annotations", `{` + fastBase + `,"annotations":[{"timestamp":1556604172355740,"value":"ws"},{"value":"a|b","timestamp":2},{"timestamp":3,"value":"exception|{\"n\":3,\"f\":1.5,\"b\":true,\"s\":\"x\",\"z\":null,\"l\":[1]}|2"},{"timestamp":4,"value":"x|{\"a\":\"p|q\"}|0"}]}`, true},
	{"escapes and UTF-8", `{` + fastBase + `,"name":"\u00e9t\u00e9 \"q\"","localEndpoint":{"serviceName":"订单"},"tags":{"ключ":"значение","e\u0073c":"v\n"}}`, false},
	{"one-letter escapes", `{` + fastBase + `,"name":"a\"b\\c\/d\be\ff\ng\rh\ti","tags":{"stack":"at x\n\tat y","bad":"\q"}}`, false},
	{"one-letter escapes, valid", `{` + fastBase + `,"name":"a\"b\\c\/d\be\ff\ng\rh\ti","tags":{"stack":"at x\n\tat y é"}}`, true},
	{"escape and bad UTF-8", "{" + fastBase + ",\"name\":\"a\\n\xffb\"}", true},
	{"escaped value", `{` + fastBase + `,"name":"\u00e9t\u00e9 \"q\" \ud800","localEndpoint":{"serviceName":"订单"},"tags":{"ключ":"знач\u0435ние"}}`, true},
	{"invalid UTF-8", "{" + fastBase + ",\"name\":\"a\xffb\",\"tags\":{\"k\xfe\":\"v\"}}", true},
	{"debug and shared", `{` + fastBase + `,"debug":true,"shared":false}`, true},
	{"white space", " {\n\t" + `"traceId" : "1" , "id" : "2" , "tags" : { "a" : "b" } , "annotations" : [ ] }` + "\n", true},

	{"v1 span", `{` + fastBase + `,"binaryAnnotations":[]}`, false},
	{"annotation endpoint", `{` + fastBase + `,"annotations":[{"timestamp":1,"value":"cs","endpoint":{"serviceName":"a"}}]}`, false},
	{"key spelled otherwise", `{"traceID":"1","id":"2"}`, false},
	{"repeated key", `{"traceId":"1","id":"2","id":"3"}`, false},
	{"repeated tag", `{"traceId":"1","id":"2","tags":{"a":"1","a":"2"}}`, false},
	{"null name", `{"traceId":"1","id":"2","name":null}`, false},
	{"zero trace ID", `{"traceId":"0000","id":"2"}`, false},
	{"zero span ID", `{"traceId":"1","id":"0"}`, false},
	{"missing span ID", `{"traceId":"1"}`, false},
	{"long span ID", `{"traceId":"1","id":"12345678901234567"}`, false},
	{"bad hex", `{"traceId":"1g","id":"2"}`, false},
	{"numeric ID", `{"traceId":1,"id":"2"}`, false},
	{"fractional time", `{"traceId":"1","id":"2","timestamp":1.5}`, false},
	{"negative duration", `{"traceId":"1","id":"2","duration":-1}`, false},
	{"time out of range", `{"traceId":"1","id":"2","timestamp":9999999999999999}`, false},
	{"port out of range", `{"traceId":"1","id":"2","localEndpoint":{"port":65536}}`, false},
	{"bad IP", `{"traceId":"1","id":"2","localEndpoint":{"ipv4":"52.0.0.04"}}`, false},
	{"tag not a string", `{"traceId":"1","id":"2","tags":{"a":1}}`, false},
	{"link tag", `{"traceId":"1","id":"2","tags":{"otlp.link.0":"x"}}`, false},
	{"service name source", `{"traceId":"1","id":"2","localEndpoint":{"serviceName":"a"},"tags":{"otlp.service.name.source":"x"}}`, false},
	{"annotation without time", `{"traceId":"1","id":"2","annotations":[{"value":"x"}]}`, false},
	{"annotation bad attributes", `{"traceId":"1","id":"2","annotations":[{"timestamp":1,"value":"x|{|0"}]}`, false},
	{"annotation bad dropped count", `{"traceId":"1","id":"2","annotations":[{"timestamp":1,"value":"x|{}|z"}]}`, false},
	{"not an object", `["traceId"]`, false},
}

func TestFastV2Cases(t *testing.T) {
	for _, tc := range fastCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkFast(t, newFastV2(), []byte(tc.span)); got != tc.accept {
				t.Errorf("fastV2 accepted = %v, want %v", got, tc.accept)
			}
		})
	}
}

// A key classed once is read from the decoder's cache the next time, with
// the same result; a key past the bound is left to the translator.
func TestTagClasses(t *testing.T) {
	for _, tc := range []struct {
		tag, key string // the attribute's key, as the translator's feature gates name it
		want     tagClass
	}{
		{"http.route", "http.route", tagAttribute},
		{"http.status_code", "http.response.status_code", tagAttribute},
		{"host.name", "host.name", tagResource},
		{"service.name", "service.name", tagResource},
		{"faas.id", "cloud.resource_id", tagResource},
		{"otel.scope.name", "otel.scope.name", tagScope},
		{"otel.library.version", "otel.library.version", tagScope},
		{"otlp.link.3", "otlp.link.3", tagDecline},
		{"error", "error", tagAttribute},
	} {
		info, ok := classify(tc.tag)
		if !ok || info.class != tc.want || info.tag != tc.tag || info.attr != tc.key {
			t.Errorf("classify(%q) = %+v, %v; want key %q, class %d", tc.tag, info, ok, tc.key, tc.want)
		}
	}
	f := newFastV2()
	span := []byte(`{"traceId":"1","id":"2","localEndpoint":{"serviceName":"a"},"tags":{"host.name":"h","x":"y"}}`)
	for range 2 {
		checkFast(t, f, span)
	}
	if f.classes["host.name"].class != tagResource || f.classes["x"].class != tagAttribute {
		t.Errorf("decoder classes = %v", f.classes)
	}
}

// The spans of a fixture, cut and changed a little, seed the fuzzer.
func FuzzFastV2(f *testing.F) {
	for _, tc := range fastCases {
		f.Add([]byte(tc.span))
	}
	for _, file := range []string{"zipkin/v2/netflix.json", "zipkin/v2/messaging-kafka.json", "zipkin/v2/zipkin2-chinese.json"} {
		data, err := os.ReadFile(fixtures.Path(f, file))
		if err != nil {
			f.Fatal(err)
		}
		for _, raw := range rawSpans(f, data) {
			f.Add(raw)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) || !strings.HasPrefix(strings.TrimLeft(string(data), " \t\r\n"), "{") {
			return
		}
		checkFast(t, newFastV2(), data)
	})
}

// BenchmarkFastV2 reads the spans of the largest fixture with fastV2
// alone (compare BenchmarkDecodeV2 for the whole decoder).
func BenchmarkFastV2(b *testing.B) {
	data, err := os.ReadFile(fixtures.Path(b, "zipkin/v2/smartthings-mobile-web-install.json"))
	if err != nil {
		b.Fatal(err)
	}
	spans := rawSpans(b, data)
	f := newFastV2()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		for _, raw := range spans {
			if _, ok := f.span(raw); !ok {
				_, _ = v2Span(raw)
			}
		}
	}
}
