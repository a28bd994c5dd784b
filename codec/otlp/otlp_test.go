package otlp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
)

// collect decodes with dec and returns the traces and span count.
func collect(t testing.TB, dec codec.Decoder, name string, data []byte) (*model.TraceBuilder, []*model.Trace, error) {
	t.Helper()
	b := model.NewTraceBuilder()
	err := dec(name, bytes.NewReader(data), func(batch codec.Batch) error {
		for i := range batch {
			b.AddResourceSpans(&batch[i])
		}
		return nil
	})
	spans, dups := b.Spans, b.Duplicates
	tr := b.Traces()
	b.Spans, b.Duplicates = spans, dups
	return b, tr, err
}

var jsonFixtures = []struct {
	rel           string
	traces, spans int
}{
	{"jaeger-ui/otlp2jaeger/otlp2jaeger-in-error.json", 1, 1},
	{"jaeger-ui/otlp2jaeger/otlp2jaeger-multi-in-combined.json", 1, 4},
	{"jaeger/otlp/otel_traces_01.json", 2, 4},
	{"jaeger/otlp2jaeger/otlp2jaeger-in.json", 1, 2},
	{"jaeger/skills/error_timeout_masked.json", 1, 26},
	{"jaeger/skills/n_plus_one_full_concurrent.json", 1, 40},
	{"jaeger/skills/n_plus_one_full_serial.json", 1, 40},
	{"jaeger/skills/n_plus_one_near_miss.json", 1, 12},
	{"jaeger/skills/n_plus_one_positive.json", 1, 16},
	{"jaeger/skills/sibling_errors.json", 1, 6},
	{"jaeger/storage-integration/example_trace.json", 1, 5},
	{"jaeger/storage-integration/link_attributes_trace.json", 1, 1},
	{"jaeger/storage-integration/log_tags_trace.json", 1, 1},
	{"jaeger/storage-integration/scope_attributes_trace.json", 1, 1},
	{"jaeger/storage-integration/tags_escaped_operator_trace_1.json", 1, 1},
	{"opentelemetry-proto/trace.json", 1, 1},
	{"tempo/otlp/tempo-vulture-trace.json", 1, 6},
	{"tempo/otlp/tempopb-batches-trace.json", 1, 1},
	{"tempo/servicegraphs/trace-with-expired-edges.json", 1, 5},
	{"tempo/servicegraphs/trace-with-failed-requests.json", 1, 15},
	{"tempo/servicegraphs/trace-with-queue-database.json", 1, 19},
	{"tempo/servicegraphs/trace-with-virtual-nodes.json", 2, 3},
}

var yamlFixtures = []struct {
	rel           string
	traces, spans int
}{
	{"opentelemetry-collector-contrib/servicegraph/extra-dimensions-queue-db-trace.yaml", 1, 2},
	{"opentelemetry-collector-contrib/servicegraph/failed-label-not-work-simple-trace.yaml", 3, 6},
	{"opentelemetry-collector-contrib/servicegraph/messaging-system-trace.yaml", 1, 2},
	{"opentelemetry-collector-contrib/servicegraph/virtual-node-label-client-trace.yaml", 1, 1},
	{"opentelemetry-collector-contrib/servicegraph/virtual-node-label-server-trace.yaml", 1, 1},
}

func TestDecodeJSONFixtures(t *testing.T) {
	for _, tc := range jsonFixtures {
		t.Run(tc.rel, func(t *testing.T) {
			data, err := os.ReadFile(fixtures.Path(t, tc.rel))
			if err != nil {
				t.Fatal(err)
			}
			b, traces, err := collect(t, DecodeJSON, tc.rel, data)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(traces) != tc.traces || b.Spans+b.Duplicates != tc.spans {
				t.Errorf("got %d traces, %d spans (+%d duplicates); want %d traces, %d spans", len(traces), b.Spans, b.Duplicates, tc.traces, tc.spans)
			}
		})
	}
}

func TestDecodeYAMLFixtures(t *testing.T) {
	for _, tc := range yamlFixtures {
		t.Run(tc.rel, func(t *testing.T) {
			data, err := os.ReadFile(fixtures.Path(t, tc.rel))
			if err != nil {
				t.Fatal(err)
			}
			b, traces, err := collect(t, DecodeYAML, tc.rel, data)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(traces) != tc.traces || b.Spans+b.Duplicates != tc.spans {
				t.Errorf("got %d traces, %d spans (+%d duplicates); want %d traces, %d spans", len(traces), b.Spans, b.Duplicates, tc.traces, tc.spans)
			}
		})
	}
}

// The protobuf fixture and its JSON twin decode to the same model.
func TestDecodeProtoMatchesJSON(t *testing.T) {
	pb, err := os.ReadFile(fixtures.Path(t, "opentelemetry-proto/trace.protobuf-bin"))
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(fixtures.Path(t, "opentelemetry-proto/trace.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, fromPB, err := collect(t, DecodeProto, "trace.protobuf-bin", pb)
	if err != nil {
		t.Fatal(err)
	}
	_, fromJS, err := collect(t, DecodeJSON, "trace.json", js)
	if err != nil {
		t.Fatal(err)
	}
	if len(fromPB) != 1 {
		t.Fatalf("got %d traces, want 1", len(fromPB))
	}
	if diff := cmp.Diff(fromJS, fromPB); diff != "" {
		t.Errorf("proto and JSON differ (-json +proto):\n%s", diff)
	}
}

// Base64 (protojson) IDs and hex IDs give the same trace.
func TestBase64AndHexIDs(t *testing.T) {
	const hexReq = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"4290b5877a9930de79bb428365398ecc","spanId":"da06579e57787587","parentSpanId":"0102030405060708","kind":"SPAN_KIND_SERVER","status":{"code":"STATUS_CODE_ERROR"},"links":[{"traceId":"4290b5877a9930de79bb428365398ecc","spanId":"0102030405060708"}]}]}]}]}`
	const b64Req = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"QpC1h3qZMN55u0KDZTmOzA==","spanId":"2gZXnld4dYc=","parentSpanId":"AQIDBAUGBwg=","kind":2,"status":{"code":2},"links":[{"traceId":"QpC1h3qZMN55u0KDZTmOzA==","spanId":"AQIDBAUGBwg="}]}]}]}]}`
	_, a, err := collect(t, DecodeJSON, "hex", []byte(hexReq))
	if err != nil {
		t.Fatal(err)
	}
	_, b, err := collect(t, DecodeJSON, "b64", []byte(b64Req))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("hex and base64 differ:\n%s", diff)
	}
	s := a[0].ResourceSpans[0].ScopeSpans[0].Spans[0]
	if s.Kind != model.KindServer || s.Status.Code != model.StatusError || s.ParentSpanID.String() != "0102030405060708" {
		t.Errorf("span = %+v", s)
	}
}

// JSON lines: one request per line, each emitted as its own batch.
func TestDecodeJSONLines(t *testing.T) {
	line := func(tid string) string {
		return `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"` + tid + `","spanId":"0102030405060708"}]}]}]}`
	}
	in := line("00000000000000000000000000000001") + "\n" + line("00000000000000000000000000000002") + "\n"
	batches := 0
	err := DecodeJSON("lines.jsonl", strings.NewReader(in), func(codec.Batch) error { batches++; return nil })
	if err != nil || batches != 2 {
		t.Fatalf("batches=%d err=%v, want 2 batches", batches, err)
	}
	// An error on line 3 names line 3.
	bad := in + line("00000000000000000000000000000000") + "\n"
	err = DecodeJSON("lines.jsonl", strings.NewReader(bad), func(codec.Batch) error { return nil })
	want := "lines.jsonl:3:55: $.resourceSpans[0].scopeSpans[0].spans[0].traceId: trace ID is empty or all zeros"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	span := func(fields string) string {
		return `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10"},` + "\n" + `{` + fields + `}]}]}]}`
	}
	pad := strings.Repeat(" ", 100)
	tests := []struct {
		name, in, want string
	}{
		{"syntax", "{\"resourceSpans\":\n  [x]}", "f.json:2:4: invalid JSON: invalid character 'x' at start of value"},
		{"truncated", "{\"resourceSpans\":[{\"scopeSpans\":[", "f.json:1:34: $.resourceSpans[0].scopeSpans: unexpected end of input (truncated?)"},
		{"truncated in string", "{\"resourceSpans\":[{\"sco", "f.json:1:24: $.resourceSpans[0]: unexpected end of input (truncated?)"},
		{"empty", " \n", "f.json: empty input: no OTLP JSON object"},
		{"array", "[1]", "f.json:1:1: $: want an OTLP request object ({\"resourceSpans\": [...]}), got an array"},
		{"trailing garbage", "{} x", "f.json:1:4: invalid JSON: invalid character 'x' at start of value"},
		{"missing trace id", span(`"spanId":"0102030405060708"`), "f.json:2:29: $.resourceSpans[0].scopeSpans[0].spans[1].traceId: span has no trace ID"},
		{"zero trace id", span(`"traceId":"00000000000000000000000000000000"`), "f.json:2:12: $.resourceSpans[0].scopeSpans[0].spans[1].traceId: trace ID is empty or all zeros"},
		{"short trace id", span(`"traceId":"0102"`), `f.json:2:12: $.resourceSpans[0].scopeSpans[0].spans[1].traceId: bad trace ID: "0102" is 4 hex digits, want 32`},
		{"base64 8-byte trace id", span(`"traceId":"AQIDBAUGBwg="`), `f.json:2:12: $.resourceSpans[0].scopeSpans[0].spans[1].traceId: bad trace ID: "AQIDBAUGBwg=" is 8 bytes, want 16 (32 hex digits or base64)`},
		{"bad span id", span(`"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"zz"`), `f.json:2:56: $.resourceSpans[0].scopeSpans[0].spans[1].spanId: bad span ID: "zz" is 1 bytes, want 8 (16 hex digits or base64)`},
		{"bad link id", span(`"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","links":[{"traceId":"01"}]}`), `f.json:2:95: $.resourceSpans[0].scopeSpans[0].spans[1].links[0].traceId: bad trace ID: "01" is 2 hex digits, want 32`},
		{"BOM", "\xEF\xBB\xBF{\"resourceSpans\":x}", "f.json:1:18: invalid JSON"},
		{"null span", `{"resourceSpans":[{"scopeSpans":[{"spans":[null]}]}]}`, "f.json:1:48: $.resourceSpans[0].scopeSpans[0].spans[0]: want a span object, got null"},
		{"bad enum", span(`"traceId":"0102030405060708090a0b0c0d0e0f10","kind":"SPAN_KIND_NOPE"`), `f.json:2:54: $.resourceSpans[0].scopeSpans[0].spans[1].kind: bad span kind "SPAN_KIND_NOPE": want a number or one of SPAN_KIND_UNSPECIFIED`},
		{"bad status", span(`"traceId":"0102030405060708090a0b0c0d0e0f10","status":{"code":"ERROR"}`), `f.json:2:64: $.resourceSpans[0].scopeSpans[0].spans[1].status.code: bad status code "ERROR"`},
		{"bad time", span(`"traceId":"0102030405060708090a0b0c0d0e0f10","startTimeUnixNano":"soon"`), `f.json:2:67: $.resourceSpans[0].scopeSpans[0].spans[1].startTimeUnixNano: bad time "soon": want Unix nanoseconds`},
		{"time past 2262", span(`"traceId":"0102030405060708090a0b0c0d0e0f10","endTimeUnixNano":"18446744073709551615"`), `f.json:2:65: $.resourceSpans[0].scopeSpans[0].spans[1].endTimeUnixNano: bad time 18446744073709551615: after 2262-04-11T23:47:16Z`},
		{"bad int", span(`"traceId":"0102030405060708090a0b0c0d0e0f10","attributes":[{"key":"a","value":{"intValue":"x"}}]`), `f.json:2:92: $.resourceSpans[0].scopeSpans[0].spans[1].attributes[0].value.intValue: bad intValue "x"`},
		{"object time", span(`"traceId":"0102030405060708090a0b0c0d0e0f10","endTimeUnixNano":{}`), `f.json:2:65: $.resourceSpans[0].scopeSpans[0].spans[1].endTimeUnixNano: want a number or string, got an object`},
		{"kind 99", span(`"traceId":"0102030405060708090a0b0c0d0e0f10","kind":99`), `f.json:2:54: $.resourceSpans[0].scopeSpans[0].spans[1].kind: bad span kind 99: want 0 to 5`},
		{"status code 7", span(`"traceId":"0102030405060708090a0b0c0d0e0f10","status":{"code":7}`), `f.json:2:64: $.resourceSpans[0].scopeSpans[0].spans[1].status.code: bad status code 7: want 0 to 2`},
		{"number kind", span(`"traceId":"0102030405060708090a0b0c0d0e0f10","kind":true`), `f.json:2:54: $.resourceSpans[0].scopeSpans[0].spans[1].kind: want a number or string, got a boolean`},
		{"wrong shape", `{"resourceSpans":{}}`, "f.json:1:18: $.resourceSpans: want an array, got an object"},
		// Syntax errors are put at the start of the token that could not
		// be read, even when the bad byte is further in.
		{"bad literal", `{"resourceSpans":[{"scopeSpans":[{"spans":[tru]}]}]}`, "f.json:1:44: invalid JSON: invalid character ']' in literal true (expecting 'e')"},
		{"bad escape", span(`"traceId":"0102030405060708090a0b0c0d0e0f10","name":"a\qb"`), "f.json:2:54: invalid JSON: invalid escape sequence `\\q` in string"},
		{"bad number", span(`"traceId":"0102030405060708090a0b0c0d0e0f10","kind":1.x`), "f.json:2:54: invalid JSON: invalid character 'x' in number (expecting digit)"},
		{"trailing comma", `{"resourceSpans":[{"scopeSpans":[{"spans":[]},]}]}`, "f.json:1:47: invalid JSON: trailing comma before ']'"},
		{"missing colon", `{"resourceSpans":[{"resource"` + pad + `,{}}]}`, "f.json:1:131: $.resourceSpans[0].resource: invalid JSON: invalid character ',' after object name (expecting ':')"},
		{"cut name", `{"resourceSpans":[{"scopeSpans":[{-`, "f.json:1:35: invalid JSON: object member name must be a string"},
		// Past the bytes the tokenizer had read when it failed.
		{"cut after stray commas", `{"resourceSpans":[{"resource"` + pad + `,` + pad + `,`, "f.json:1:232: $.resourceSpans[0]: unexpected end of input (truncated?)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := DecodeJSON("f.json", strings.NewReader(tc.in), func(codec.Batch) error { return nil })
			var de *codec.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v (%T), want *codec.DecodeError", err, err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %s\nwant  %s", err, tc.want)
			}
		})
	}
}

// Decoding, converting to pdata and back, encoding and decoding again keeps
// every field, including attribute values of every type.
func TestRoundTrip(t *testing.T) {
	tid, _ := model.ParseTraceID("0102030405060708090a0b0c0d0e0f10")
	sid, _ := model.ParseSpanID("1112131415161718")
	pid, _ := model.ParseSpanID("2122232425262728")
	attrs := []model.Attribute{
		model.Str("s", "v"), model.Int("i", -3), model.Double("d", 1.5), model.Bool("b", true),
		{Key: "bytes", Value: model.BytesValue([]byte{0, 1, 2})},
		{Key: "arr", Value: model.ArrayValue(model.StringValue("x"), model.IntValue(1), model.ArrayValue(model.BoolValue(false)))},
		{Key: "map", Value: model.MapValue(model.Str("k", "v"), model.Attribute{Key: "nested", Value: model.MapValue(model.Int("n", 7))})},
		{Key: "empty"},
	}
	in := &model.Trace{TraceID: tid, ResourceSpans: []model.ResourceSpans{{
		Resource: model.Resource{Attributes: []model.Attribute{model.Str("service.name", "svc")}, DroppedAttributesCount: 2},
		ScopeSpans: []model.ScopeSpans{{
			Scope: model.Scope{Name: "lib", Version: "1.0", Attributes: []model.Attribute{model.Str("a", "b")}, DroppedAttributesCount: 1},
			Spans: []model.Span{{
				TraceID: tid, SpanID: sid, ParentSpanID: pid, TraceState: "k=v", Name: "op", Kind: model.KindConsumer,
				StartTimeUnixNano: 1, EndTimeUnixNano: 2, Attributes: attrs, DroppedAttributesCount: 3,
				Events:             []model.Event{{TimeUnixNano: 5, Name: "ev", Attributes: attrs[:2], DroppedAttributesCount: 4}},
				DroppedEventsCount: 5,
				Links:              []model.Link{{TraceID: tid, SpanID: pid, TraceState: "x=y", Attributes: attrs[2:4], DroppedAttributesCount: 6}},
				DroppedLinksCount:  7,
				Status:             model.Status{Code: model.StatusError, Message: "boom"},
			}},
		}},
	}}}
	var js bytes.Buffer
	if err := EncodeJSON(&js, []*model.Trace{in}); err != nil {
		t.Fatal(err)
	}
	var pb bytes.Buffer
	if err := EncodeProto(&pb, []*model.Trace{in}); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		dec  codec.Decoder
		data []byte
	}{"json": {DecodeJSON, js.Bytes()}, "proto": {DecodeProto, pb.Bytes()}} {
		_, out, err := collect(t, tc.dec, name, tc.data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := model.MergeTraces(in)
		if diff := cmp.Diff([]*model.Trace{want}, out); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", name, diff)
		}
	}
	if !strings.Contains(js.String(), `"traceId":"0102030405060708090a0b0c0d0e0f10"`) {
		t.Errorf("EncodeJSON does not write hex IDs: %s", js.String())
	}
}

func TestDecodeProtoErrors(t *testing.T) {
	pb, err := os.ReadFile(fixtures.Path(t, "opentelemetry-proto/trace.protobuf-bin"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"truncated", pb[:len(pb)/2], "f.pb: byte 0: invalid OTLP protobuf: field 1: length 211 runs past the end of the input (104 bytes left; truncated?)"},
		{"empty", nil, "f.pb: empty input"},
		{"garbage", []byte("hello world"), "f.pb: byte 2: invalid OTLP protobuf: field 13: unsupported wire type 4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := DecodeProto("f.pb", bytes.NewReader(tc.in), func(codec.Batch) error { return nil })
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant  %s", err, tc.want)
			}
		})
	}
}

func TestDecodeYAMLErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"zero trace id", "resourceSpans:\n  - scopeSpans:\n      - spans:\n          - name: a\n            traceId: \"00000000000000000000000000000000\"\n",
			"f.yaml:5:22: $.resourceSpans[0].scopeSpans[0].spans[0].traceId: trace ID is empty or all zeros"},
		{"missing trace id", "resourceSpans:\n  - scopeSpans:\n      - spans:\n          - name: a\n",
			"f.yaml:4:13: $.resourceSpans[0].scopeSpans[0].spans[0].traceId: span has no trace ID"},
		{"digits-only id", "resourceSpans:\n  - scopeSpans:\n      - spans:\n          - traceId: 12345678901234567890123456789012\n", ""},
		{"syntax", "resourceSpans:\n  - a: [\n", "f.yaml:2: invalid YAML: yaml: line 2: did not find expected node content"},
		{"empty", "", "f.yaml: empty input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := DecodeYAML("f.yaml", strings.NewReader(tc.in), func(codec.Batch) error { return nil })
			if tc.want == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant  %s", err, tc.want)
			}
		})
	}
}

// Every OTLP fixture survives decode → EncodeJSON/EncodeProto → decode.
func TestFixtureRoundTrip(t *testing.T) {
	for _, tc := range jsonFixtures {
		t.Run(tc.rel, func(t *testing.T) {
			data, err := os.ReadFile(fixtures.Path(t, tc.rel))
			if err != nil {
				t.Fatal(err)
			}
			_, want, err := collect(t, DecodeJSON, tc.rel, data)
			if err != nil {
				t.Fatal(err)
			}
			var js, pb bytes.Buffer
			if err := EncodeJSON(&js, want); err != nil {
				t.Fatal(err)
			}
			if err := EncodeProto(&pb, want); err != nil {
				t.Fatal(err)
			}
			for name, got := range map[string]func() ([]*model.Trace, error){
				"json": func() ([]*model.Trace, error) { _, tr, err := collect(t, DecodeJSON, "rt", js.Bytes()); return tr, err },
				"proto": func() ([]*model.Trace, error) {
					_, tr, err := collect(t, DecodeProto, "rt", pb.Bytes())
					return tr, err
				},
			} {
				tr, err := got()
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if diff := cmp.Diff(want, tr); diff != "" {
					t.Errorf("%s round trip (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}

func TestWriteString(t *testing.T) {
	for _, s := range []string{"", "plain", "q\"b\\s", "\n\r\t\x00\x1f", "ünï €", "<&>", "\u2028"} {
		var b bytes.Buffer
		writeString(&b, s)
		var got string
		if err := json.Unmarshal(b.Bytes(), &got); err != nil || got != s {
			t.Errorf("writeString(%q) = %s: %q, %v", s, b.String(), got, err)
		}
	}
}

// EncodeTempoJSON's {"batches": [...]} output decodes back to the trace.
func TestEncodeTempoJSONRoundTrip(t *testing.T) {
	data, err := os.ReadFile(fixtures.Path(t, "tempo/servicegraphs/trace-with-failed-requests.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, want, err := collect(t, DecodeJSON, "in", data)
	if err != nil || len(want) != 1 {
		t.Fatalf("decode: %v (%d traces)", err, len(want))
	}
	var out bytes.Buffer
	if err := EncodeTempoJSON(&out, want[0]); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out.Bytes(), []byte(`{"batches":[`)) {
		t.Fatalf("not a batches document: %.40s", out.String())
	}
	_, got, err := collect(t, DecodeJSON, "out", out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// The fast path and the normaliser-only path agree on every fixture.
func TestFastPathMatchesNormaliser(t *testing.T) {
	for _, tc := range jsonFixtures {
		data, err := os.ReadFile(fixtures.Path(t, tc.rel))
		if err != nil {
			t.Fatal(err)
		}
		fast, err := decodeBatches(data, true)
		if err != nil {
			t.Fatalf("%s: fast: %v", tc.rel, err)
		}
		slow, err := decodeBatches(data, false)
		if err != nil {
			t.Fatalf("%s: slow: %v", tc.rel, err)
		}
		if diff := cmp.Diff(slow, fast); diff != "" {
			t.Errorf("%s: fast and slow differ (-slow +fast):\n%s", tc.rel, diff)
		}
	}
}

// TestDecodeProtoBadScalars: a protobuf span ending past what Unix
// nanoseconds in an int64 hold, or with a kind or status code outside the
// enum, is an error naming its path.
func TestDecodeProtoBadScalars(t *testing.T) {
	tests := []struct {
		name string
		set  func(sp ptrace.Span)
		want string
	}{
		{"end past 2262", func(sp ptrace.Span) { sp.SetEndTimestamp(pcommon.Timestamp(math.MaxUint64)) },
			"$.resourceSpans[0].scopeSpans[0].spans[0].endTimeUnixNano: bad time 18446744073709551615: after 2262-04-11T23:47:16Z"},
		{"kind 99", func(sp ptrace.Span) { sp.SetKind(ptrace.SpanKind(99)) },
			"$.resourceSpans[0].scopeSpans[0].spans[0].kind: bad span kind 99: want 0 to 5"},
		{"status 7", func(sp ptrace.Span) { sp.Status().SetCode(ptrace.StatusCode(7)) },
			"$.resourceSpans[0].scopeSpans[0].spans[0].status.code: bad status code 7: want 0 to 2"},
	}
	for _, tc := range tests {
		td := ptrace.NewTraces()
		sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		sp.SetTraceID(pcommon.TraceID{1})
		sp.SetSpanID(pcommon.SpanID{2})
		sp.SetStartTimestamp(1)
		sp.SetEndTimestamp(2)
		tc.set(sp)
		pb, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
		if err != nil {
			t.Fatal(err)
		}
		err = DecodeProto("f.pb", bytes.NewReader(pb), func(codec.Batch) error { return nil })
		if err == nil || !strings.HasPrefix(err.Error(), "f.pb: "+tc.want) {
			t.Errorf("%s: err = %v\nwant  f.pb: %s", tc.name, err, tc.want)
		}
	}
}

// A read error (a corrupt compressed file, say) is returned as it is,
// where the input stopped, whether the structure or a span was being read.
func TestDecodeJSONReadError(t *testing.T) {
	boom := errors.New("boom")
	for _, head := range []string{`{"resourceSpans":[`, `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"01`} {
		err := DecodeJSON("f.json", io.MultiReader(strings.NewReader(head), iotest.ErrReader(boom)), func(codec.Batch) error { return nil })
		var de *codec.DecodeError
		if !errors.As(err, &de) || !errors.Is(err, boom) || de.Offset != int64(len(head)) || de.Err != boom {
			t.Errorf("%s: err = %v, want boom at byte %d", head, err, len(head))
		}
	}
}
