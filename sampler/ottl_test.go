package sampler

import (
	"math"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/model"
)

func TestOTTLConditions(t *testing.T) {
	res := model.Resource{Attributes: []model.Attribute{model.Str("service.name", "cart")}}
	scope := model.Scope{Name: "io.opentelemetry.go", Version: "1.2"}
	span := model.Span{
		Name: "GET /cart", Kind: model.KindServer, TraceState: "k=v",
		Status: model.Status{Code: model.StatusError, Message: "boom"},
		Attributes: []model.Attribute{
			model.Int("http.status_code", 503), model.Double("ratio", 0.5), model.Bool("cached", true),
			model.Str("http.url", "https://shop/api/cart?id=7"),
		},
		Events: []model.Event{{Name: "exception", Attributes: []model.Attribute{model.Str("exception.type", "IOError")}}},
	}
	spanCtx := &ottlCtx{res: &res, scope: &scope, span: &span}
	eventCtx := &ottlCtx{res: &res, scope: &scope, span: &span, event: &span.Events[0]}
	for _, tc := range []struct {
		cond  string
		event bool
		want  bool
	}{
		{`name == "GET /cart"`, false, true},
		{`span.name == "GET /cart"`, false, true},
		{`name != "GET /cart"`, false, false},
		{`kind == SPAN_KIND_SERVER`, false, true},
		{`kind == SPAN_KIND_CLIENT`, false, false},
		{`status.code == STATUS_CODE_ERROR`, false, true},
		{`status.message == "boom"`, false, true},
		{`trace_state == "k=v"`, false, true},
		{`instrumentation_scope.name == "io.opentelemetry.go"`, false, true},
		{`resource.attributes["service.name"] == "cart"`, false, true},
		{`attributes["http.status_code"] >= 500`, false, true},
		{`attributes["http.status_code"] >= 500.5`, false, true},
		{`attributes["http.status_code"] < 500`, false, false},
		{`attributes["ratio"] < 1`, false, true},
		{`attributes["cached"] == true`, false, true},
		{`attributes["cached"] > false`, false, false},            // bools only compare for equality
		{`attributes["http.status_code"] == "503"`, false, false}, // types differ: unequal
		{`attributes["http.status_code"] != "503"`, false, true},
		{`attributes["missing"] == nil`, false, true},
		{`attributes["missing"] != "x"`, false, true}, // nil is != any value
		{`attributes["missing"] == "x"`, false, false},
		{`attributes["missing"] < 5`, false, false},
		{`IsMatch(attributes["http.url"], "^https://.*/api/")`, false, true},
		{`IsMatch(attributes["http.status_code"], "^5")`, false, true},
		{`IsMatch(attributes["missing"], ".*")`, false, false},
		{`name == "x" or kind == SPAN_KIND_SERVER`, false, true},
		{`name == "x" or (kind == SPAN_KIND_SERVER and not status.code == STATUS_CODE_OK)`, false, true},
		{`not (name == "GET /cart")`, false, false},
		{`true`, false, true},
		{`name == "exception"`, true, true},
		{`attributes["exception.type"] == "IOError"`, true, true},
		{`attributes["http.status_code"] == nil`, true, true}, // an event's own attributes
		{`resource.attributes["service.name"] == "cart"`, true, true},
	} {
		c, err := parseOTTL(tc.cond, tc.event)
		if err != nil {
			t.Errorf("%s: %v", tc.cond, err)
			continue
		}
		ctx := spanCtx
		if tc.event {
			ctx = eventCtx
		}
		if got, err := c.eval(ctx); err != nil || got != tc.want {
			t.Errorf("%s (event %v) = %v, want %v", tc.cond, tc.event, got, tc.want)
		}
	}
}

func TestOTTLErrors(t *testing.T) {
	for _, tc := range []struct{ cond, err string }{
		{`name ==`, "expected a value at the end"},
		{`name = "x"`, "unexpected '='"},
		{`name`, "expected a comparison after name"},
		{`Concat(name, "x") == "y"`, "function Concat is not yet supported by tracectl"},
		{`span_id == "x"`, `path "span_id" is not yet supported by tracectl`},
		{`span.start_time > 0`, `path "span.start_time" is not yet supported by tracectl`},
		{`spanevent.name == "x"`, `path "spanevent.name" is not yet supported by tracectl`},
		{`trace_state["a"]["b"] == "x"`, "indexing into"},
		{`name["a"] == "x"`, `path name["a"] is not yet supported by tracectl`},
		{`attributes["a"]["b"] == 1`, "indexing into"},
		{`IsMatch(name, "(")`, "invalid regex"},
		{`"unterminated`, "unterminated string"},
		{`(name == "x"`, `expected ")"`},
	} {
		_, err := parseOTTL(tc.cond, false)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want it to contain %q", tc.cond, err, tc.err)
		}
	}
	for _, tc := range []struct{ cond, err string }{
		{`kind == SPAN_KIND_SERVER`, `span event path "kind" is not yet supported by tracectl`},
		{`span.flags == 1`, `span event path "span.flags" is not yet supported by tracectl`},
		{`span.events == nil`, `span event path "span.events" is not yet supported by tracectl`},
		{`span.attributes == nil`, `span event path "span.attributes" is not yet supported by tracectl`},
		{`spanevent.event_index == 0`, `span event path "spanevent.event_index" is not yet supported by tracectl`},
		{`span.trace_id == nil`, `span event path "span.trace_id" is not yet supported by tracectl`},
	} {
		_, err := parseOTTL(tc.cond, true)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s (span event): error %v, want it to contain %q", tc.cond, err, tc.err)
		}
	}
}

// TestOTTLIsMatchStringLike checks the text IsMatch reads from values of
// every type, as OTTL's StringLikeGetter writes it.
func TestOTTLIsMatchStringLike(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    model.Value
		want string // "" with ok false: no value
		err  bool
	}{
		{"string", model.StringValue("1"), "1", false},
		{"int", model.IntValue(-42), "-42", false},
		{"double", model.DoubleValue(1.5), "1.5", false},
		{"double integral", model.DoubleValue(3), "3", false},
		{"double large", model.DoubleValue(1e21), "1e+21", false},
		{"double below 1e21", model.DoubleValue(123456789012345678901), "123456789012345680000", false},
		{"double small", model.DoubleValue(0.0000001), "1e-07", false},
		{"double tiny", model.DoubleValue(-2.5e-300), "-2.5e-300", false},
		{"double 1e-6", model.DoubleValue(0.000001), "0.000001", false},
		{"double negative zero", model.DoubleValue(math.Copysign(0, -1)), "-0", false},
		{"double NaN", model.DoubleValue(math.NaN()), "", true},
		{"double +Inf", model.DoubleValue(math.Inf(1)), "", true},
		{"bool", model.BoolValue(true), "true", false},
		{"bytes", model.BytesValue([]byte{0xde, 0xad, 0x01}), "dead01", false},
		{"empty bytes", model.BytesValue(nil), "", false},
		{"array", model.ArrayValue(model.StringValue("1")), `["1"]`, false},
		{"mixed array", model.ArrayValue(model.IntValue(1), model.DoubleValue(2.5), model.BoolValue(false), model.Value{},
			model.BytesValue([]byte("hi")), model.BytesValue(nil), model.StringValue("<a&b>")),
			`[1,2.5,false,null,"aGk=",null,"\u003ca\u0026b\u003e"]`, false},
		{"map keys sorted", model.MapValue(model.Str("z", "1"), model.Int("a", 2), model.Attribute{Key: "m", Value: model.MapValue(model.Double("x", 1e-7))}),
			`{"a":2,"m":{"x":1e-07},"z":"1"}`, false},
		{"map repeated key", model.MapValue(model.Str("k", "first"), model.Str("k", "last")), `{"k":"last"}`, false},
		{"array with NaN", model.ArrayValue(model.DoubleValue(math.NaN())), "", true},
		{"empty value", model.Value{}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := ottlStringLike(ottlAttrValue([]model.Attribute{{Key: "k", Value: tc.v}}, "k"))
			if (err != nil) != tc.err {
				t.Fatalf("error %v, want error %v", err, tc.err)
			}
			if tc.err {
				return
			}
			wantOK := tc.v.Type != model.ValueEmpty
			if got != tc.want || ok != wantOK {
				t.Fatalf("got %q (ok %v), want %q (ok %v)", got, ok, tc.want, wantOK)
			}
		})
	}
}

// TestOTTLSpanEventSpanPaths evaluates span.* paths (and the other
// contexts' paths) in span event conditions, and the same fields without
// the prefix in span conditions.
func TestOTTLSpanEventSpanPaths(t *testing.T) {
	res := model.Resource{Attributes: []model.Attribute{model.Str("service.name", "cart")}, DroppedAttributesCount: 1}
	scope := model.Scope{Name: "lib", Version: "2.0", Attributes: []model.Attribute{model.Str("team", "shop")}}
	span := model.Span{
		TraceID: model.TraceID{0x4b, 0xf9, 15: 0x36}, SpanID: model.SpanID{0x00, 0xf0, 7: 0x67}, ParentSpanID: model.SpanID{7: 1},
		Name: "GET /cart", Kind: model.KindClient, TraceState: "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
		StartTimeUnixNano: 1000, EndTimeUnixNano: 2500, DroppedAttributesCount: 2, DroppedEventsCount: 3, DroppedLinksCount: 4,
		Status:     model.Status{Code: model.StatusError, Message: "boom"},
		Attributes: []model.Attribute{model.Int("http.status_code", 503), {Key: "http.request.header.x-debug", Value: model.ArrayValue(model.StringValue("1"))}},
		Events:     []model.Event{{Name: "exception", TimeUnixNano: 2000, DroppedAttributesCount: 5, Attributes: []model.Attribute{model.Str("exception.type", "IOError")}}},
	}
	eventCtx := &ottlCtx{res: &res, scope: &scope, span: &span, event: &span.Events[0]}
	for _, tc := range []struct {
		cond string
		want bool
	}{
		{`span.name == "GET /cart"`, true},
		{`span.name == "exception"`, false},
		{`name == "exception"`, true}, // the event's own name
		{`spanevent.name == "exception" and span.kind == SPAN_KIND_CLIENT`, true},
		{`span.kind.string == "Client"`, true},
		{`span.kind.deprecated_string == "SPAN_KIND_CLIENT"`, true},
		{`span.status.code == STATUS_CODE_ERROR`, true},
		{`span.status.message == "boom"`, true},
		{`span.trace_state == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"`, true},
		{`span.trace_state["congo"] == "t61rcWkgMzE"`, true},
		{`span.trace_state["absent"] == ""`, true},
		{`span.attributes["http.status_code"] >= 500`, true},
		{`attributes["http.status_code"] == nil`, true}, // the event has none
		{`IsMatch(span.attributes["http.request.header.x-debug"], "1|true")`, true},
		{`IsMatch(span.attributes["http.status_code"], "^5")`, true},
		{`span.trace_id.string == "4bf90000000000000000000000000036"`, true},
		{`span.span_id.string == "00f0000000000067"`, true},
		{`span.parent_span_id.string == "0000000000000001"`, true},
		{`span.start_time_unix_nano == 1000 and span.end_time_unix_nano > 2000`, true},
		{`span.dropped_attributes_count == 2 and span.dropped_events_count == 3 and span.dropped_links_count == 4`, true},
		{`spanevent.time_unix_nano == 2000 and dropped_attributes_count == 5`, true},
		{`resource.attributes["service.name"] == "cart" and resource.dropped_attributes_count == 1`, true},
		{`instrumentation_scope.name == "lib" and scope.version == "2.0" and scope.attributes["team"] == "shop"`, true},
	} {
		c, err := parseOTTL(tc.cond, true)
		if err != nil {
			t.Errorf("%s: %v", tc.cond, err)
			continue
		}
		if got, err := c.eval(eventCtx); err != nil || got != tc.want {
			t.Errorf("%s = %v (%v), want %v", tc.cond, got, err, tc.want)
		}
	}
	spanCtx := &ottlCtx{res: &res, scope: &scope, span: &span}
	for _, cond := range []string{`kind.string == "Client"`, `span.trace_id.string == "4bf90000000000000000000000000036"`,
		`trace_state["rojo"] == "00f067aa0ba902b7"`, `IsMatch(attributes["http.request.header.x-debug"], "^\\[\"1\"\\]$")`} {
		c, err := parseOTTL(cond, false)
		if err != nil {
			t.Errorf("%s: %v", cond, err)
			continue
		}
		if got, err := c.eval(spanCtx); err != nil || !got {
			t.Errorf("%s = %v (%v), want true", cond, got, err)
		}
	}
}

// TestOTTLErrorMode: IsMatch on a NaN double fails; propagate makes the
// policy vote Errored, the other modes take the condition as false and
// go on to the next condition and span.
func TestOTTLErrorMode(t *testing.T) {
	tr := &model.Trace{ResourceSpans: []model.ResourceSpans{{ScopeSpans: []model.ScopeSpans{{Spans: []model.Span{
		{Name: "a", Attributes: []model.Attribute{model.Double("x", math.NaN())}},
		{Name: "b", SpanID: model.SpanID{7: 2}},
	}}}}}}
	for _, tc := range []struct {
		mode string
		want Vote
	}{{"propagate", Errored}, {"ignore", Sampled}, {"silent", Sampled}, {"", Sampled}} {
		var e ottlCondition
		e.errorMode = tc.mode
		for _, src := range []string{`IsMatch(attributes["x"], ".*")`, `name == "b"`} {
			c, err := parseOTTL(src, false)
			if err != nil {
				t.Fatal(err)
			}
			e.span, e.spanSrc = append(e.span, c), append(e.spanSrc, src)
		}
		if got, why := e.evaluate(tr, true); got != tc.want {
			t.Errorf("error_mode %q: %v (%s), want %v", tc.mode, got, why, tc.want)
		}
	}
}
