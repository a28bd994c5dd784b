package jaeger

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/internal/codectest"
	"github.com/tracectl/tracectl/codec/internal/jsonpos"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
)

// jaegerFixtures lists every Jaeger JSON fixture with the counts from
// shared/testdata/README.md (traces, spans, error spans) and the service
// names found in its processes.
var jaegerFixtures = []struct {
	file                  string
	traces, spans, errors int
	services              []string
}{
	{"crisp/15.json", 1, 7, 1, []string{"S1", "S2", "S3", "S4", "S5", "S6", "S7"}},
	{"crisp/18.json", 1, 9, 1, []string{"S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9"}},
	{"crisp/err_pattern1_err1.json", 1, 2, 2, []string{"S1", "S2"}},
	{"crisp/err_pattern3_err1.json", 1, 3, 2, []string{"S1", "S2", "S3"}},
	{"elastic-apm-server/jaeger-proto-json/batch_0.json", 1, 1, 0, []string{"driver"}},
	{"elastic-apm-server/jaeger-proto-json/batch_1.json", 1, 14, 3, []string{"redis"}},
	{"jaeger-ui/edge-cases/multi-reference.legacy.json", 1, 4, 0, []string{"serviceName"}},
	{"jaeger-ui/edge-cases/parent-cycle.legacy.json", 1, 2, 0, []string{"serviceName"}},
	{"jaeger-ui/otlp2jaeger/oltp2jaeger-multi-out.json", 1, 4, 0, []string{"example-trace"}},
	{"jaeger-ui/single-trace/flamegraph_testTrace.json", 1, 4, 0, []string{"load-generator", "ride-sharing-app"}},
	{"jaeger-ui/single-trace/genaiTestTrace.json", 1, 57, 1, []string{"api-edge", "auth-service", "coding-agent", "graphql-gateway", "k8s-api", "mcp-gateway", "metrics-backend", "summarizer-agent", "trace-store", "vector-store"}},
	{"jaeger-ui/single-trace/spanAmongEachOtherGroupedAndSpans.json", 1, 17, 0, []string{"api-gateway", "customers-service"}},
	{"jaeger-ui/single-trace/traceWithOverlappingChildrenLongerThanParent.json", 1, 4, 0, []string{"service-one", "service-two"}},
	{"jaeger-ui/single-trace/traceWithSingleChildLongerThanParentAndStartsAfterParent.json", 1, 2, 0, []string{"service-one", "service-two"}},
	{"jaeger-ui/single-trace/tracegraph_testTrace.json", 1, 11, 1, []string{"service1", "service2"}},
	{"jaeger/jaeger-ui-format/ui_01.json", 1, 5, 1, []string{"service-x", "service-y"}},
	{"jaeger/otlp2jaeger/otlp2jaeger-out.json", 1, 2, 0, []string{"telemetrygen"}},
}

func TestFixtures(t *testing.T) {
	for _, tc := range jaegerFixtures {
		t.Run(tc.file, func(t *testing.T) {
			bs, err := codectest.DecodeFixture(t, tc.file, DecodeJSON)
			if err != nil {
				t.Fatal(err)
			}
			codectest.CheckCounts(t, bs, tc.traces, tc.spans, tc.errors, tc.services)
			// One batch per trace (or per api_v2 batch).
			if len(bs) != tc.traces {
				t.Errorf("%d batches, want %d", len(bs), tc.traces)
			}
			for _, r := range codectest.AllSpans(bs) {
				if r.Span.EndTimeUnixNano < r.Span.StartTimeUnixNano {
					t.Errorf("span %q ends before it starts", r.Span.Name)
				}
			}
		})
	}
}

func noAttr(t *testing.T, attrs []model.Attribute, key string) {
	t.Helper()
	if _, ok := model.Find(attrs, key); ok {
		t.Errorf("attribute %q should have been mapped away", key)
	}
}

// Expectations below come from reading jaeger/jaeger-ui-format/ui_01.json.
func TestUIFieldMapping(t *testing.T) {
	bs, err := codectest.DecodeFixture(t, "jaeger/jaeger-ui-format/ui_01.json", DecodeJSON)
	if err != nil {
		t.Fatal(err)
	}
	trace := codectest.TraceID(t, "1")

	// some-operation: typed tags, error=true -> status, process p1.
	// Two spans share span ID 2 (test-general-conversion and
	// some-operation); both are kept.
	var op model.SpanRef
	for _, r := range codectest.AllSpans(bs) {
		if r.Span.Name == "some-operation" && r.Span.SpanID == codectest.SpanID(t, "2") {
			op = r
		}
	}
	if op.Span == nil || op.Span.TraceID != trace {
		t.Fatalf("span some-operation/2 not found in trace %s", trace)
	}
	if op.Resource.ServiceName() != "service-x" {
		t.Errorf("service = %q, want service-x", op.Resource.ServiceName())
	}
	if op.Span.Status.Code != model.StatusError {
		t.Errorf("status = %s, want error", op.Span.Status.Code)
	}
	noAttr(t, op.Span.Attributes, "error")
	codectest.WantAttr(t, op.Span.Attributes, "peer.service", model.StringValue("service-y"))
	codectest.WantAttr(t, op.Span.Attributes, "peer.ipv4", model.IntValue(23456))
	codectest.WantAttr(t, op.Span.Attributes, "temperature", model.DoubleValue(72.5))
	codectest.WantAttr(t, op.Span.Attributes, "javascript_limit", model.IntValue(9223372036854775222))
	codectest.WantAttr(t, op.Span.Attributes, "blob", model.BytesValue([]byte{0, 0, 0x30, 0x39}))
	if op.Span.StartTimeUnixNano != 1485467191639875000 || op.Span.Duration() != 5000 {
		t.Errorf("time = %d + %d", op.Span.StartTimeUnixNano, op.Span.Duration())
	}

	// test-general-conversion: logs -> events, "event" field -> name.
	gc := codectest.SpanNamed(t, bs, "test-general-conversion")
	if gc.Span.SpanID != codectest.SpanID(t, "2") {
		t.Errorf("span ID = %s", gc.Span.SpanID)
	}
	if len(gc.Span.Events) != 2 {
		t.Fatalf("%d events, want 2", len(gc.Span.Events))
	}
	if e := gc.Span.Events[0]; e.Name != "some-event" || len(e.Attributes) != 0 || e.TimeUnixNano != 1485467191639875000 {
		t.Errorf("event 0 = %+v", e)
	}
	if e := gc.Span.Events[1]; e.Name != "" {
		t.Errorf("event 1 name = %q", e.Name)
	} else {
		codectest.WantAttr(t, e.Attributes, "x", model.StringValue("y"))
	}

	// reference-test: first same-trace CHILD_OF is the parent; the CHILD_OF
	// into another trace and the FOLLOWS_FROM become links.
	rt := codectest.SpanNamed(t, bs, "reference-test")
	if rt.Span.ParentSpanID != codectest.SpanID(t, "2") {
		t.Errorf("parent = %s, want 2", rt.Span.ParentSpanID)
	}
	if rt.Resource.ServiceName() != "service-y" {
		t.Errorf("service = %q", rt.Resource.ServiceName())
	}
	if len(rt.Span.Links) != 2 {
		t.Fatalf("%d links, want 2: %+v", len(rt.Span.Links), rt.Span.Links)
	}
	if l := rt.Span.Links[0]; l.TraceID != codectest.TraceID(t, "ff") || l.SpanID != codectest.SpanID(t, "ff") {
		t.Errorf("link 0 = %s/%s", l.TraceID, l.SpanID)
	} else {
		codectest.WantAttr(t, l.Attributes, "opentracing.ref_type", model.StringValue("child_of"))
	}
	if l := rt.Span.Links[1]; l.TraceID != trace || l.SpanID != codectest.SpanID(t, "2") {
		t.Errorf("link 1 = %s/%s", l.TraceID, l.SpanID)
	} else {
		codectest.WantAttr(t, l.Attributes, "opentracing.ref_type", model.StringValue("follows_from"))
	}
	if p := codectest.SpanNamed(t, bs, "preserveParentID-test"); p.Span.ParentSpanID != codectest.SpanID(t, "4") || len(p.Span.Links) != 0 {
		t.Errorf("preserveParentID-test parent = %s, links %d", p.Span.ParentSpanID, len(p.Span.Links))
	}
}

// Expectations from jaeger-ui/single-trace/tracegraph_testTrace.json: made-up
// IDs, span.kind tags, a bool tag written as the string "true", and a
// FOLLOWS_FROM-only span.
func TestUIKindsAndFollowsFrom(t *testing.T) {
	bs, err := codectest.DecodeFixture(t, "jaeger-ui/single-trace/tracegraph_testTrace.json", DecodeJSON)
	if err != nil {
		t.Fatal(err)
	}
	id := func(s string) model.SpanID {
		j, _, err := uiSpanID(s)
		if err != nil {
			t.Fatal(err)
		}
		var out model.SpanID
		binary.BigEndian.PutUint64(out[:], uint64(j))
		return out
	}
	kinds := map[string]model.SpanKind{}
	for _, r := range codectest.AllSpans(bs) {
		for name, want := range map[string]string{"span-1": "server", "span-2": "client", "span-6": "producer", "span-7": "consumer", "span-5": "unspecified"} {
			if r.Span.SpanID == id(name) {
				kinds[name] = r.Span.Kind
				if r.Span.Kind.String() != want {
					t.Errorf("%s kind = %s, want %s", name, r.Span.Kind, want)
				}
			}
		}
		noAttr(t, r.Span.Attributes, "span.kind")
		if r.Span.SpanID == id("span-2") && r.Span.Status.Code != model.StatusError {
			t.Errorf("span-2 status = %s, want error (error tag \"true\")", r.Span.Status.Code)
		}
		if r.Span.SpanID == id("span-7") {
			// The translator takes a FOLLOWS_FROM as parent when there is no
			// CHILD_OF, and keeps it as a link too.
			if r.Span.ParentSpanID != id("span-6") {
				t.Errorf("span-7 parent = %s, want span-6", r.Span.ParentSpanID)
			}
			if len(r.Span.Links) != 1 || r.Span.Links[0].SpanID != id("span-6") {
				t.Errorf("span-7 links = %+v", r.Span.Links)
			}
			if r.Resource.ServiceName() != "service2" {
				t.Errorf("span-7 service = %q", r.Resource.ServiceName())
			}
		}
	}
	if len(kinds) != 5 {
		t.Errorf("found %d of 5 checked spans", len(kinds))
	}
}

// multi-reference.legacy.json: span 23 has two CHILD_OF references.
func TestMultiReferenceAndCycle(t *testing.T) {
	bs, err := codectest.DecodeFixture(t, "jaeger-ui/edge-cases/multi-reference.legacy.json", DecodeJSON)
	if err != nil {
		t.Fatal(err)
	}
	l := codectest.SpanNamed(t, bs, "linked")
	if l.Span.ParentSpanID != codectest.SpanID(t, "21") {
		t.Errorf("parent = %s, want 21", l.Span.ParentSpanID)
	}
	if len(l.Span.Links) != 1 || l.Span.Links[0].SpanID != codectest.SpanID(t, "22") || l.Span.Links[0].TraceID != codectest.TraceID(t, "f77950feed55c1ce91dd8e87896623a6") {
		t.Fatalf("links = %+v", l.Span.Links)
	}
	codectest.WantAttr(t, l.Span.Links[0].Attributes, "opentracing.ref_type", model.StringValue("child_of"))

	// parent-cycle.legacy.json: a is b's parent and b is a's; both are kept.
	bs, err = codectest.DecodeFixture(t, "jaeger-ui/edge-cases/parent-cycle.legacy.json", DecodeJSON)
	if err != nil {
		t.Fatal(err)
	}
	a, b := codectest.SpanNamed(t, bs, "someOperationName"), codectest.SpanNamed(t, bs, "anotherOperationName")
	if a.Span.ParentSpanID != b.Span.SpanID || b.Span.ParentSpanID != a.Span.SpanID {
		t.Errorf("parents = %s, %s", a.Span.ParentSpanID, b.Span.ParentSpanID)
	}
}

// batch_1.json is an api_v2 PostSpansRequest: base64 IDs, RFC 3339 times,
// nanosecond durations, numeric v_type.
func TestProtoJSON(t *testing.T) {
	bs, err := codectest.DecodeFixture(t, "elastic-apm-server/jaeger-proto-json/batch_1.json", DecodeJSON)
	if err != nil {
		t.Fatal(err)
	}
	b64 := func(s string) string {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%x", b)
	}
	r := codectest.FindSpan(t, bs, b64("MzKVv7Q46gM="))
	if r.Span.Name != "GetDriver" || r.Span.Kind != model.KindClient || r.Span.Status.Code != model.StatusError {
		t.Errorf("span = %q kind %s status %s", r.Span.Name, r.Span.Kind, r.Span.Status.Code)
	}
	if r.Span.TraceID != codectest.TraceID(t, b64("AAAAAAAAAAB74v2Y0Jc74w==")) || r.Span.ParentSpanID != codectest.SpanID(t, b64("e+L9mNCXO+M=")) {
		t.Errorf("ids = %s parent %s", r.Span.TraceID, r.Span.ParentSpanID)
	}
	// "start_time": "2019-12-20T07:41:44.973809Z", "duration": 33732000 (ns).
	if r.Span.StartTimeUnixNano != 1576827704973809000 || r.Span.Duration() != 33732000 {
		t.Errorf("time = %d + %d", r.Span.StartTimeUnixNano, r.Span.Duration())
	}
	codectest.WantAttr(t, r.Span.Attributes, "param.driverID", model.StringValue("T762465C"))
	if len(r.Span.Events) != 1 || r.Span.Events[0].Name != "redis timeout" {
		t.Fatalf("events = %+v", r.Span.Events)
	}
	codectest.WantAttr(t, r.Span.Events[0].Attributes, "level", model.StringValue("error"))
	// Process: service name and tags, with the translator's renames.
	if r.Resource.ServiceName() != "redis" {
		t.Errorf("service = %q", r.Resource.ServiceName())
	}
	codectest.WantAttr(t, r.Resource.Attributes, "host.name", model.StringValue("host01"))
	codectest.WantAttr(t, r.Resource.Attributes, "opencensus.exporterversion", model.StringValue("Jaeger-Go-2.20.1"))
	codectest.WantAttr(t, r.Resource.Attributes, "ip", model.StringValue("10.0.0.13"))

	// batch_0.json: v_type 1 (bool) and 2 (int64) tags.
	bs, err = codectest.DecodeFixture(t, "elastic-apm-server/jaeger-proto-json/batch_0.json", DecodeJSON)
	if err != nil {
		t.Fatal(err)
	}
	d := codectest.SpanNamed(t, bs, "Driver::findNearest")
	codectest.WantAttr(t, d.Span.Attributes, "sampler.param", model.BoolValue(true))
	codectest.WantAttr(t, d.Span.Attributes, "peer.port", model.IntValue(50535))
	if d.Span.Kind != model.KindServer {
		t.Errorf("kind = %s", d.Span.Kind)
	}
}

// The flamegraph fixture wraps its trace in {"data": {...}, "id", "state"}
// and repeats each span's process inline.
func TestWrappedTraceInlineProcess(t *testing.T) {
	bs, err := codectest.DecodeFixture(t, "jaeger-ui/single-trace/flamegraph_testTrace.json", DecodeJSON)
	if err != nil {
		t.Fatal(err)
	}
	r := codectest.FindSpan(t, bs, "487f03177ef9cf89")
	if r.Span.Name != "OrderVehicle" || r.Resource.ServiceName() != "load-generator" {
		t.Errorf("span %q service %q", r.Span.Name, r.Resource.ServiceName())
	}
	// The v0.165 translator maps only otel.scope.name to the scope;
	// otel.library.name stays a span attribute (as in Tempo's receiver).
	codectest.WantAttr(t, r.Span.Attributes, "otel.library.name", model.StringValue("go.opentelemetry.io/otel/sdk/tracer"))
	codectest.WantAttr(t, r.Span.Attributes, "vehicle", model.StringValue("bike"))
}

func TestGolden(t *testing.T) {
	for name, file := range map[string]string{
		"ui_01":         "jaeger/jaeger-ui-format/ui_01.json",
		"parent-cycle":  "jaeger-ui/edge-cases/parent-cycle.legacy.json",
		"tracegraph":    "jaeger-ui/single-trace/tracegraph_testTrace.json",
		"proto-batch_0": "elastic-apm-server/jaeger-proto-json/batch_0.json",
		"crisp-err3":    "crisp/err_pattern3_err1.json",
	} {
		t.Run(name, func(t *testing.T) {
			bs, err := codectest.DecodeFixture(t, file, DecodeJSON)
			if err != nil {
				t.Fatal(err)
			}
			codectest.Golden(t, name, codectest.Dump(bs))
		})
	}
}

func TestForms(t *testing.T) {
	span := func(id, pid string) string {
		return fmt.Sprintf(`{"traceID":"abc","spanID":%q,"operationName":"op%s","startTime":1000,"duration":10,"processID":%q}`, id, id, pid)
	}
	trace := func(spans ...string) string {
		return `{"traceID":"abc","spans":[` + strings.Join(spans, ",") + `],"processes":{"p1":{"serviceName":"svc","tags":[{"key":"k","type":"int64","value":7}]}}}`
	}
	for _, tc := range []struct {
		name          string
		in            string
		batches, span int
	}{
		{"data array", `{"data":[` + trace(span("1", "p1")) + "," + trace(span("2", "p1"), span("3", "p1")) + `],"total":0}`, 2, 3},
		{"bare trace", trace(span("1", "p1")), 1, 1},
		{"processes after spans", `{"spans":[` + span("1", "p1") + `],"traceID":"abc","processes":{"p1":{"serviceName":"svc"}}}`, 1, 1},
		{"json lines", trace(span("1", "p1")) + "\n" + trace(span("2", "p1")) + "\n", 2, 2},
		{"top array", "[" + trace(span("1", "p1")) + "," + trace(span("2", "p1")) + "]", 2, 2},
		{"empty data", `{"data":[],"total":0,"errors":null}`, 0, 0},
		{"null data", `{"data":null}`, 0, 0},
		{"sole process without processID", `{"traceID":"abc","spans":[{"traceID":"abc","spanID":"1"}],"processes":{"p1":{"serviceName":"svc"}}}`, 1, 1},
		{"proto batch camelCase", `{"batch":{"spans":[{"traceId":"AAAAAAAAAAAAAAAAAAAAAQ==","spanId":"AAAAAAAAAAI=","operationName":"x","startTime":"2020-01-01T00:00:00Z","duration":"0.001s","tags":[{"key":"b","vType":"BOOL","vBool":true}]}],"process":{"serviceName":"s"}}}`, 1, 1},
		{"bare proto batch without process", `{"spans":[{"traceId":"AAAAAAAAAAE=","spanId":"AAAAAAAAAAI="}]}`, 1, 1},
		{"bare proto batch", `{"spans":[{"trace_id":"AAAAAAAAAAE=","span_id":"AAAAAAAAAAI="}],"process":{"service_name":"s"}}`, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bs, err := codectest.DecodeString(DecodeJSON, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if st := codectest.StatsOf(bs); len(bs) != tc.batches || st.Spans != tc.span {
				t.Errorf("%d batches, %d spans; want %d, %d", len(bs), st.Spans, tc.batches, tc.span)
			}
		})
	}

	bs, err := codectest.DecodeString(DecodeJSON, `{"batch":{"spans":[{"traceId":"AAAAAAAAAAAAAAAAAAAAAQ==","spanId":"AAAAAAAAAAI=","startTime":"2020-01-01T00:00:00Z","duration":"0.001s","tags":[{"key":"f","vType":"FLOAT64","vFloat64":"NaN"},{"key":"i","vType":2,"vInt64":"-9223372036854775808"}]}],"process":{"serviceName":"s"}}}`)
	if err != nil {
		t.Fatal(err)
	}
	s := codectest.AllSpans(bs)[0].Span
	if s.Duration() != 1e6 || s.StartTimeUnixNano != 1577836800e9 {
		t.Errorf("time = %d + %d", s.StartTimeUnixNano, s.Duration())
	}
	if v, _ := model.Find(s.Attributes, "f"); !math.IsNaN(v.Double) {
		t.Errorf("f = %v", v)
	}
	codectest.WantAttr(t, s.Attributes, "i", model.IntValue(math.MinInt64))
}

func TestErrors(t *testing.T) {
	const fourSpans = `{"data": [{
  "traceID": "abc",
  "spans": [
    {"traceID": "abc", "spanID": "1", "processID": "p1"},
    {"traceID": "abc", "spanID": "2", "processID": "p1"},
    {"traceID": "abc", "spanID": "3", "processID": "p1"},
    {"traceID": "abc", "spanID": "4", "processID": "p9"}
  ],
  "processes": {"p1": {"serviceName": "svc"}}
}]}`
	for _, tc := range []struct {
		name, in string
		want     []string // substrings of the error
	}{
		{"missing process", fourSpans, []string{"in.json:7:5: $.data[0].spans[3].processID: process \"p9\" not found"}},
		{"truncated", `{"data":[{"traceID":"abc","spans":[{"traceID":"abc","spanID":"1"`, []string{"in.json:1:", "unexpected end of input"}},
		{"truncated between traces", "{\"data\":[\n" + `{"traceID":"abc","spans":[]},`, []string{"in.json:2:", "unexpected end of input"}},
		{"syntax error", "{\"data\": [\n  {\"traceID\": \"abc\",\n   \"spans\": [{\"spanID\": \"1\",, }]}]}", []string{"in.json:3:", "$.data[0].spans[0]", "invalid character ','"}},
		{"wrong type", "{\"traceID\":\"abc\",\"spans\":[\n{\"spanID\": 12}]}", []string{"in.json:2:", "$.spans[0].spanID", "cannot use JSON number"}},
		{"bad tag value", `{"traceID":"abc","spans":[{"spanID":"1","processID":"p","tags":[{"key":"n","type":"int64","value":"abc"}]}],"processes":{"p":{"serviceName":"s"}}}`, []string{"in.json:1:27", "$.spans[0].tags[0].value", "want an integer"}},
		{"bad bool", `{"traceID":"abc","spans":[{"spanID":"1","processID":"p","tags":[{"key":"n","type":"bool","value":3}]}],"processes":{"p":{"serviceName":"s"}}}`, []string{"$.spans[0].tags[0].value", "want a bool"}},
		{"bad process tag", `{"traceID":"abc","spans":[{"spanID":"1","processID":"p"}],"processes":{"p":{"serviceName":"s","tags":[{"key":"b","type":"binary","value":"!!"}]}}}`, []string{"$.processes.p.tags[0].value", "not base64"}},
		{"bad ref type", `{"traceID":"abc","spans":[{"spanID":"1","processID":"p","references":[{"refType":"SIBLING","spanID":"2"}]}],"processes":{"p":{}}}`, []string{"$.spans[0].references[0].refType"}},
		{"zero trace ID", `{"traceID":"0","spans":[{"spanID":"1","processID":"p"}],"processes":{"p":{}}}`, []string{"$.spans[0].traceID", "zero"}},
		{"missing span ID", `{"traceID":"1","spans":[{"processID":"p"}],"processes":{"p":{}}}`, []string{"$.spans[0].spanID", "missing"}},
		{"negative start", `{"traceID":"1","spans":[{"spanID":"1","startTime":-5,"processID":"p"}],"processes":{"p":{}}}`, []string{"$.spans[0].startTime", "negative"}},
		{"no processID, two processes", `{"traceID":"1","spans":[{"spanID":"1"}],"processes":{"p":{},"q":{}}}`, []string{"$.spans[0].processID", "no processID"}},
		{"spans not array", `{"traceID":"1","spans":{}}`, []string{"$.spans", "want an array of spans"}},
		{"not jaeger", `{"resourceSpans":[]}`, []string{"in.json:1:1: $: no Jaeger trace found"}},
		{"scalar", `42`, []string{"want a JSON object or array"}},
		{"empty", ``, []string{"empty input"}},
		{"api errors", `{"data":null,"errors":[{"code":404,"msg":"trace not found"}]}`, []string{"$.errors", "trace not found"}},
		{"proto bad id", `{"batch":{"spans":[{"trace_id":"AAAAAAAAAAE=","span_id":"@@@"}],"process":{"service_name":"s"}}}`, []string{"$.batch.spans[0].span_id"}},
		{"proto bad time", `{"batch":{"spans":[{"trace_id":"AAAAAAAAAAE=","span_id":"AAAAAAAAAAI=","start_time":"yesterday"}]}}`, []string{"$.batch.spans[0].start_time", "RFC 3339"}},
		{"proto negative duration", `{"batch":{"spans":[{"trace_id":"AAAAAAAAAAE=","span_id":"AAAAAAAAAAI=","duration":"-1s"}]}}`, []string{"$.batch.spans[0].duration", "negative"}},
		{"end out of range", `{"traceID":"1","spans":[{"spanID":"1","startTime":9000000000000000,"duration":9000000000000000,"processID":"p"}],"processes":{"p":{}}}`, []string{"$.spans[0].duration", "out of range"}},
		{"proto bad vtype", `{"batch":{"spans":[{"trace_id":"AAAAAAAAAAE=","span_id":"AAAAAAAAAAI=","tags":[{"key":"k","v_type":9}]}]}}`, []string{"$.batch.spans[0].tags[0].vType"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := codectest.DecodeString(DecodeJSON, tc.in)
			codectest.WantDecodeError(t, err, tc.want)
		})
	}
}

func TestEmitErrorStops(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	in := `{"data":[{"traceID":"1","spans":[{"spanID":"1"}],"processes":{"p":{}}},{"traceID":"2","spans":[{"spanID":"1"}],"processes":{"p":{}}}]}`
	err := DecodeJSON("in.json", strings.NewReader(in), func(codec.Batch) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("err = %v after %d batches, want stop after 1", err, n)
	}
}

// A long {"data": [...]}, or a file of one trace per line, is decoded one
// trace at a time: the bytes kept for error positions never grow much
// beyond one trace.
func TestStreamingMemory(t *testing.T) {
	t.Run("data", func(t *testing.T) { testStreamingMemory(t, false, 100) })       // 2.4 MB
	t.Run("trace lines", func(t *testing.T) { testStreamingMemory(t, true, 600) }) // 13 MB
}

func testStreamingMemory(t *testing.T, lines bool, nameLen int) {
	var b strings.Builder
	if !lines {
		b.WriteString(`{"data":[`)
	}
	const traces = 20000
	for i := range traces {
		if i > 0 && !lines {
			b.WriteString(",")
		}
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, `{"traceID":"%x","spans":[{"traceID":"%x","spanID":"1","operationName":"%s","processID":"p1"}],"processes":{"p1":{"serviceName":"s"}}}`, i+1, i+1, strings.Repeat("x", nameLen))
	}
	if !lines {
		b.WriteString("]}")
	}
	in := b.String()
	// The walk keeps about one trace; the stream reads traceAhead bytes
	// ahead and forgets once it is that far past.
	for _, fast := range []bool{false, true} {
		var d *decoder
		n, maxBuf := 0, 0
		d = &decoder{Stream: jsonpos.NewStream("big.json", strings.NewReader(in)), emit: func(bt codec.Batch) error {
			n++
			maxBuf = max(maxBuf, d.Lines().Buffered())
			return nil
		}}
		var err error
		bound := 16 << 10
		if fast {
			s := newUIStream(d)
			_, err = s.run()
			bound = 3 * traceAhead
		} else {
			err = d.docs(0)
		}
		if err != nil {
			t.Fatal(err)
		}
		if n != traces {
			t.Errorf("fast %v: %d batches, want %d", fast, n, traces)
		}
		if maxBuf > bound {
			t.Errorf("fast %v: kept %d bytes of a %d-byte input", fast, maxBuf, len(in))
		}
	}
	// Errors late in the stream still have the right line.
	bad := in[:len(in)-2] + ",{]}"
	if lines {
		bad = in + "\n{]}"
	}
	_, err := codectest.DecodeString(DecodeJSON, bad)
	if line := traces + btoi(lines); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("in.json:%d:", line)) {
		t.Errorf("error = %v, want line %d", err, line)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Traces one per line, each with a large tag: the tag lists the reader
// carves from its chunks alias each trace's copy of its spans, and must
// not keep those copies once the trace is emitted (a chunk holds the
// lists of hundreds of traces).
func TestTraceLinesLetGo(t *testing.T) {
	const traces, size = 200, 128 << 10
	var b strings.Builder
	for i := range traces {
		fmt.Fprintf(&b, `{"traceID":"%x","spans":[{"spanID":"1","processID":"p","startTime":1,"duration":1,"tags":[{"key":"big","type":"string","value":"%s"}]}],"processes":{"p":{"serviceName":"s"}}}`+"\n", i+1, strings.Repeat("x", size))
	}
	in := b.String()
	live := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	base := live()
	var peak uint64
	n := 0
	err := DecodeJSON("lines.json", strings.NewReader(in), func(codec.Batch) error {
		if n++; n%20 == 0 {
			peak = max(peak, live())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != traces {
		t.Fatalf("%d batches, want %d", n, traces)
	}
	// One trace is 128 KiB, and the input (held by the test) 25 MiB.
	if grown := int64(peak) - int64(base); grown > 8<<20 {
		t.Errorf("live heap grew by %d MiB while decoding", grown>>20)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	addFixtures(f)
	f.Add([]byte(`{"data":[{"traceID":"1","spans":[{"spanID":"1","references":[{"spanID":"1"}]}],"processes":{"p":{}}}]}`))
	f.Add([]byte(`{"batch":{"spans":[{"traceId":"AAAAAAAAAAE=","spanId":"AAAAAAAAAAI=","duration":"1s"}]}}`))
	// A nesting bomb.
	f.Add([]byte(`{"data":[{"traceID":"1","spans":[{"spanID":"1","tags":[{"key":"a","value":` + codectest.Nested(100_000) + `}]}]}]}`))
	codectest.FuzzDecoder(f, DecodeJSON)
}

// addFixtures adds every Jaeger fixture to f's seed corpus.
func addFixtures(f *testing.F) {
	for _, tc := range jaegerFixtures {
		b, err := os.ReadFile(fixtures.Path(f, tc.file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}
