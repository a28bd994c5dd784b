package otlp

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracectl/tracectl/model"
)

// tempoAPITrace has every field the model has, with values at zero and
// not, of every attribute type.
func tempoAPITrace() *model.Trace {
	tid, _ := model.ParseTraceID("0102030405060708090a0b0c0d0e0f10")
	sid, _ := model.ParseSpanID("1112131415161718")
	pid, _ := model.ParseSpanID("2122232425262728")
	attrs := []model.Attribute{
		model.Str("s", "v"), model.Str("empty string", ""), model.Int("i", -3), model.Int("zero", 0),
		model.Double("d", 1.5), model.Double("d0", 0), model.Double("inf", math.Inf(1)), model.Bool("b", true), model.Bool("f", false),
		{Key: "bytes", Value: model.BytesValue([]byte{0, 1, 2})},
		{Key: "arr", Value: model.ArrayValue(model.StringValue("x"), model.IntValue(1), model.ArrayValue(model.BoolValue(false)))},
		{Key: "map", Value: model.MapValue(model.Str("k", "v"), model.Attribute{Key: "nested", Value: model.MapValue(model.Int("n", 7))})},
		{Key: "empty"},
	}
	return &model.Trace{TraceID: tid, ResourceSpans: []model.ResourceSpans{{
		Resource: model.Resource{Attributes: []model.Attribute{model.Str("service.name", "svc")}, DroppedAttributesCount: 2},
		ScopeSpans: []model.ScopeSpans{{
			Scope: model.Scope{Name: "lib", Version: "1.0", Attributes: []model.Attribute{model.Str("a", "b")}, DroppedAttributesCount: 1},
			Spans: []model.Span{{
				TraceID: tid, SpanID: sid, ParentSpanID: pid, TraceState: "k=v", Name: "op", Kind: model.KindConsumer,
				StartTimeUnixNano: 1700000000000000001, EndTimeUnixNano: 1700000000000000002, Attributes: attrs, DroppedAttributesCount: 3,
				Events:             []model.Event{{TimeUnixNano: 5, Name: "ev", Attributes: attrs[:2], DroppedAttributesCount: 4}},
				DroppedEventsCount: 5,
				Links:              []model.Link{{TraceID: tid, SpanID: pid, TraceState: "x=y", Attributes: attrs[2:4], DroppedAttributesCount: 6}},
				DroppedLinksCount:  7,
				Status:             model.Status{Code: model.StatusError, Message: "boom"},
			}, {
				TraceID: tid, SpanID: pid, Name: "root", Kind: model.KindServer, StartTimeUnixNano: 1700000000000000000,
				EndTimeUnixNano: 1700000000000000009, Status: model.Status{Code: model.StatusOK},
			}, {
				TraceID: tid, SpanID: model.SpanID{9}, StartTimeUnixNano: 1700000000000000003, EndTimeUnixNano: 1700000000000000004,
			}},
		}},
	}}}
}

// TestEncodeTempoAPIJSON: the output has Tempo's protojson form, reads
// back through DecodeJSON unchanged, and is OTLP that pdata's own JSON
// unmarshaler reads once the two things Tempo's API does differently from
// OTLP/JSON are undone: "batches" for "resourceSpans" and base64 IDs for
// hex (ptrace.JSONUnmarshaler reads hex IDs only and ignores "batches").
func TestEncodeTempoAPIJSON(t *testing.T) {
	in := tempoAPITrace()
	var buf bytes.Buffer
	if err := EncodeTempoAPIJSON(&buf, in); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		`{"batches":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}],"droppedAttributesCount":2},`,
		`"traceId":"AQIDBAUGBwgJCgsMDQ4PEA==","spanId":"ERITFBUWFxg=","traceState":"k=v","parentSpanId":"ISIjJCUmJyg=","name":"op","kind":"SPAN_KIND_CONSUMER","startTimeUnixNano":"1700000000000000001"`,
		`"kind":"SPAN_KIND_SERVER"`, `"status":{"code":"STATUS_CODE_OK"}`, `"status":{"message":"boom","code":"STATUS_CODE_ERROR"}`,
		`{"key":"i","value":{"intValue":"-3"}}`, `{"key":"zero","value":{"intValue":"0"}}`, `{"key":"d0","value":{"doubleValue":0}}`,
		`{"key":"inf","value":{"doubleValue":"Infinity"}}`, `{"key":"f","value":{"boolValue":false}}`,
		`{"key":"empty string","value":{"stringValue":""}}`, `{"key":"bytes","value":{"bytesValue":"AAEC"}}`, `{"key":"empty","value":{}}`,
		`"status":{}}`, // unset status of the third span: an empty message
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s\n%s", want, out)
		}
	}
	if strings.Contains(out, `"kind":0`) || strings.Contains(out, `"parentSpanId":""`) || strings.Contains(out, "null") {
		t.Errorf("zero values written:\n%s", out)
	}

	// Our own decoder (what ingest uses) reads it back exactly.
	_, got, err := collect(t, DecodeJSON, "tempo.json", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := model.MergeTraces(in)
	if diff := cmp.Diff([]*model.Trace{want}, got); diff != "" {
		t.Errorf("DecodeJSON round trip (-want +got):\n%s", diff)
	}

	// pdata's unmarshaler, after batches → resourceSpans and base64 → hex.
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	doc = map[string]any{"resourceSpans": doc["batches"]}
	hexIDs(t, doc)
	otlpJSON, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(otlpJSON)
	if err != nil {
		t.Fatalf("ptrace.JSONUnmarshaler: %v\n%s", err, otlpJSON)
	}
	if diff := cmp.Diff(in.ResourceSpans, FromPdata(td)); diff != "" {
		t.Errorf("pdata reads another trace (-want +got):\n%s", diff)
	}
}

// hexIDs rewrites the base64 trace and span IDs of a decoded OTLP JSON
// document as hex.
func hexIDs(t *testing.T, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && (k == "traceId" || k == "spanId" || k == "parentSpanId") {
				b, err := base64.StdEncoding.DecodeString(s)
				if err != nil {
					t.Fatalf("%s %q is not base64: %v", k, s, err)
				}
				x[k] = hex.EncodeToString(b)
				continue
			}
			hexIDs(t, e)
		}
	case []any:
		for _, e := range x {
			hexIDs(t, e)
		}
	}
}
