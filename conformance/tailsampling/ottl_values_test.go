package tailsampling

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/sampler"
)

// ottlValues are attribute values of every type whose text, as IsMatch
// reads it (OTTL's StringLikeGetter), tells the formatting rules apart:
// arrays and maps as JSON (key order, nesting, bytes inside as base64,
// HTML escaping, empty values as null), bytes as hex, doubles in
// encoding/json's form (exponents from 1e21 and below 1e-6, -0).
func ottlValues(nan bool) []model.Value {
	vs := []model.Value{
		model.StringValue("1"), model.StringValue("true"), model.StringValue("x1"), model.StringValue(""),
		model.IntValue(1), model.IntValue(10), model.IntValue(-1),
		model.DoubleValue(1), model.DoubleValue(1.5), model.DoubleValue(1e21), model.DoubleValue(1e20),
		model.DoubleValue(1e-7), model.DoubleValue(0.000001), model.DoubleValue(math.Copysign(0, -1)),
		model.DoubleValue(3.0000000000000004), model.DoubleValue(-2.5e-300),
		model.BoolValue(true), model.BoolValue(false),
		model.BytesValue([]byte{0x01}), model.BytesValue([]byte{0xab, 0xcd}), model.BytesValue(nil),
		model.ArrayValue(model.StringValue("1")), model.ArrayValue(model.StringValue("true"), model.StringValue("x")),
		model.ArrayValue(model.StringValue("0")), model.ArrayValue(),
		model.ArrayValue(model.IntValue(1), model.DoubleValue(2.5), model.DoubleValue(1e21)),
		model.ArrayValue(model.BytesValue([]byte{0x01}), model.Value{}, model.BytesValue(nil)),
		model.MapValue(model.Str("b", "1"), model.Str("a", "x")),
		model.MapValue(model.Attribute{Key: "z", Value: model.MapValue(model.Double("y", 1e-7), model.Bool("x", true))}, model.Int("a", 1)),
		model.MapValue(model.Str("h", "<a&b>")),
		model.MapValue(),
		model.Value{},
	}
	if nan {
		vs = append(vs, model.DoubleValue(math.NaN()), model.DoubleValue(math.Inf(-1)),
			model.ArrayValue(model.DoubleValue(math.NaN())), model.MapValue(model.Double("n", math.Inf(1))))
	}
	return vs
}

// valueTraces builds n traces whose spans carry the values of ottlValues
// under "v" (on spans, resources and events) and the header attribute
// of issue #17 as arrays and strings, plus events on some spans, so
// span event conditions reading span.* paths have data.
func valueTraces(n int, nan bool) []*model.Trace {
	r := rand.New(rand.NewPCG(17, 161))
	base := uint64(time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC).UnixNano())
	values := ottlValues(nan)
	pick := func() model.Value { return values[r.IntN(len(values))] }
	headers := []model.Value{model.ArrayValue(model.StringValue("1")), model.ArrayValue(model.StringValue("0")),
		model.ArrayValue(model.StringValue("true"), model.StringValue("0")), model.StringValue("1"), model.StringValue("false"),
		model.BoolValue(true), model.IntValue(1)}
	states := []string{"", "key3=value1", "key3=value2", "Key3=value2", "a=1,key3=value2"}
	out := make([]*model.Trace, n)
	for i := range out {
		var tid model.TraceID
		for j := range tid {
			tid[j] = byte(r.Uint32())
		}
		res := model.Resource{Attributes: []model.Attribute{model.Str("service.name", fmt.Sprintf("svc-%d", r.IntN(2)))}}
		if r.IntN(4) == 0 {
			res.Attributes = append(res.Attributes, model.Attribute{Key: "v", Value: pick()})
		}
		tr := &model.Trace{TraceID: tid, ResourceSpans: []model.ResourceSpans{{Resource: res,
			ScopeSpans: []model.ScopeSpans{{Scope: model.Scope{Name: "gen", Version: []string{"", "1.0"}[r.IntN(2)]}}}}}}
		start := base + uint64(i)*uint64(time.Millisecond)
		nspans := 1 + r.IntN(4)
		for s := range nspans {
			var sid model.SpanID
			sid[0], sid[6], sid[7] = byte(i), byte(i>>8), byte(s+1)
			sp := model.Span{
				TraceID: tid, SpanID: sid, Name: fmt.Sprintf("op-%d", r.IntN(3)), Kind: model.SpanKind(r.IntN(6)),
				StartTimeUnixNano: start, EndTimeUnixNano: start + uint64(r.IntN(300))*uint64(time.Millisecond),
				TraceState: states[r.IntN(len(states))], Status: model.Status{Code: model.StatusCode(r.IntN(3))},
				DroppedAttributesCount: uint32(r.IntN(2)),
			}
			if s > 0 {
				sp.ParentSpanID = model.SpanID{0: byte(i), 6: byte(i >> 8), 7: 1}
			}
			if r.IntN(3) > 0 {
				sp.Attributes = append(sp.Attributes, model.Attribute{Key: "v", Value: pick()})
			}
			if r.IntN(3) == 0 {
				sp.Attributes = append(sp.Attributes, model.Attribute{Key: "http.request.header.x-debug", Value: headers[r.IntN(len(headers))]})
			}
			for e := range r.IntN(3) {
				ev := model.Event{Name: []string{"exception", "log"}[r.IntN(2)], TimeUnixNano: start + uint64(e)*uint64(time.Millisecond)}
				if r.IntN(2) == 0 {
					ev.Attributes = append(ev.Attributes, model.Str("exception.type", []string{"IOError", "ValueError", "Timeout"}[r.IntN(3)]))
				}
				if r.IntN(3) == 0 {
					ev.Attributes = append(ev.Attributes, model.Attribute{Key: "v", Value: pick()})
				}
				sp.Events = append(sp.Events, ev)
			}
			ss := &tr.ResourceSpans[0].ScopeSpans[0]
			ss.Spans = append(ss.Spans, sp)
		}
		out[i] = tr
	}
	return out
}

// ottlValueConfigs are ottl_condition policies whose outcome turns on
// how IsMatch writes non-string values, and span event conditions reading
// the span through span.* paths. Patterns avoid backslashes (OTTL and
// YAML would each want them escaped) by using character classes.
var ottlValueConfigs = map[string]string{
	// Issue #17: header attributes are arrays.
	"ismatch_header":      `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['IsMatch(attributes["http.request.header.x-debug"], "1|true")']}}]`,
	"ismatch_array_json":  `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['IsMatch(attributes["v"], "^[[]\"1\"[]]$")']}}]`,
	"ismatch_array_start": `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['IsMatch(attributes["v"], "^[[]")']}}]`,
	"ismatch_map_order":   `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['IsMatch(attributes["v"], "^[{]\"a\":")']}}]`,
	"ismatch_map_nested":  `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['IsMatch(attributes["v"], "\"z\":[{]\"x\":true,\"y\":1e-07[}]")']}}]`,
	"ismatch_html":        `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['IsMatch(attributes["v"], "u003ca")']}}]`,
	"ismatch_null":        `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['IsMatch(attributes["v"], "null")']}}]`,
	"ismatch_bytes_hex":   `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['IsMatch(attributes["v"], "^(01|abcd)$")']}}]`,
	"ismatch_bytes_b64":   `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['IsMatch(attributes["v"], "AQ==")']}}]`,
	"ismatch_empty":       `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['IsMatch(attributes["v"], "^$")']}}]`,
	"ismatch_int_text":    `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['IsMatch(attributes["v"], "^-?[0-9]+$")']}}]`,
	"ismatch_exponent":    `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['IsMatch(attributes["v"], "e[+]21|e-07|e-300")']}}]`,
	"ismatch_decimals":    `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['IsMatch(attributes["v"], "^(0[.]000001|3[.]0000000000000004|1[.]5|-0|100000000000000000000)$")']}}]`,
	"ismatch_bool":        `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['IsMatch(attributes["v"], "^(true|false)$")']}}]`,
	"ismatch_resource":    `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['IsMatch(resource.attributes["v"], "^[[{]|^1$")']}}]`,
	"ismatch_kind":        `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['IsMatch(kind, "^[23]$")']}}]`,
	"ismatch_event_value": `policies: [{name: p, type: ottl_condition, ottl_condition: {spanevent: ['IsMatch(attributes["v"], "^[[{]|1")']}}]`,

	// span.* paths in span event conditions.
	"event_span_name":       `policies: [{name: p, type: ottl_condition, ottl_condition: {spanevent: ['span.name == "op-1" and name == "exception"']}}]`,
	"event_span_kind":       `policies: [{name: p, type: ottl_condition, ottl_condition: {spanevent: ['span.kind == SPAN_KIND_CLIENT and IsMatch(attributes["exception.type"], "Error")']}}]`,
	"event_span_kind_str":   `policies: [{name: p, type: ottl_condition, ottl_condition: {spanevent: ['span.kind.string == "Server" or span.kind.deprecated_string == "SPAN_KIND_PRODUCER"']}}]`,
	"event_span_status":     `policies: [{name: p, type: ottl_condition, ottl_condition: {spanevent: ['span.status.code == STATUS_CODE_ERROR and name == "log"', 'span.status.message != ""']}}]`,
	"event_span_attr":       `policies: [{name: p, type: ottl_condition, ottl_condition: {spanevent: ['IsMatch(span.attributes["http.request.header.x-debug"], "1|true") and attributes["exception.type"] == nil']}}]`,
	"event_span_tracestate": `policies: [{name: p, type: ottl_condition, ottl_condition: {spanevent: ['span.trace_state["key3"] == "value2"', 'span.trace_state == "key3=value1" and name == "log"']}}]`,
	"event_span_ids":        `policies: [{name: p, type: ottl_condition, ottl_condition: {spanevent: ['span.parent_span_id.string == "0000000000000000" and name == "exception"', 'IsMatch(span.span_id.string, "03$") and IsMatch(span.trace_id.string, "^[0-7]")']}}]`,
	"event_span_times":      `policies: [{name: p, type: ottl_condition, ottl_condition: {spanevent: ['span.end_time_unix_nano < time_unix_nano', 'span.dropped_attributes_count == 1 and span.start_time_unix_nano < time_unix_nano']}}]`,
	"event_span_scope":      `policies: [{name: p, type: ottl_condition, ottl_condition: {spanevent: ['instrumentation_scope.version == "1.0" and resource.attributes["service.name"] == "svc-1" and span.name != "op-0"']}}]`,
	"span_prefixed_paths":   `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['span.kind.string == "Consumer" or (trace_state["key3"] == "value1" and scope.version == "1.0")']}}]`,
}

// ottlErrorConfigs meet NaN and infinite doubles, which IsMatch cannot
// write as JSON: error_mode decides what happens, and an error passes
// through not unchanged.
var ottlErrorConfigs = map[string]string{
	"error_propagate": `policies: [{name: p, type: ottl_condition, ottl_condition: {error_mode: propagate, span: ['IsMatch(attributes["v"], "1")', 'name == "op-1"']}}]`,
	"error_ignore":    `policies: [{name: p, type: ottl_condition, ottl_condition: {error_mode: ignore, span: ['IsMatch(attributes["v"], "1")', 'name == "op-1"']}}]`,
	"error_unset":     `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['IsMatch(attributes["v"], "1")', 'name == "op-1"']}}]`,
	"error_not":       `policies: [{name: p, type: not, not: {not_sub_policy: {name: o, type: ottl_condition, ottl_condition: {error_mode: propagate, span: ['IsMatch(attributes["v"], "^[[]")']}}}}]`,
	"error_and_later": `policies: [{name: a, type: and, and: {and_sub_policy: [{name: o, type: ottl_condition, ottl_condition: {error_mode: propagate, span: ['IsMatch(attributes["v"], "x")']}}, {name: s, type: span_count, span_count: {min_spans: 1}}]}}, {name: e, type: status_code, status_code: {status_codes: [ERROR]}}]`,
}

// TestOTTLValuesMatchCollector runs the configs above through the real
// processor and tracectl: the kept trace IDs must be identical, and each
// config must keep some traces and drop others (so it tells the rules
// apart).
func TestOTTLValuesMatchCollector(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 600
	}
	for _, set := range []struct {
		name    string
		traces  []*model.Trace
		configs map[string]string
	}{
		{"values", valueTraces(n, false), ottlValueConfigs},
		{"nan", valueTraces(n, true), ottlErrorConfigs},
	} {
		var names []string
		for k := range set.configs {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, name := range names {
			t.Run(set.name+"/"+name, func(t *testing.T) {
				cfg := set.configs[name]
				want := collectorKept(t, cfg, set.traces)
				got, ds := tracectlKept(t, cfg, set.traces)
				if len(want) == 0 || len(want) == len(set.traces) {
					t.Errorf("the Collector kept %d of %d traces: the data does not exercise this config", len(want), len(set.traces))
				}
				if slices.Equal(got, want) {
					t.Logf("%d of %d traces kept by both", len(got), len(set.traces))
					return
				}
				onlyC, onlyT := diff(want, got)
				t.Errorf("kept trace IDs differ: collector %d, tracectl %d of %d; only collector %d, only tracectl %d",
					len(want), len(got), len(set.traces), len(onlyC), len(onlyT))
				for _, id := range append(onlyC[:min(3, len(onlyC))], onlyT[:min(3, len(onlyT))]...) {
					t.Logf("%s", sampler.Explain(ds[id]))
				}
			})
		}
	}
}
