package codec

import (
	"testing"

	"github.com/tracectl/tracectl/model"
)

// TestFixBatchUTF8EveryField: an invalid string in any field FixBatchUTF8
// repairs is found (validBatchUTF8 sees it) and repaired, with its path.
func TestFixBatchUTF8EveryField(t *testing.T) {
	const bad = "a\xffb"
	attrs := func() []model.Attribute { return []model.Attribute{model.Str("k", "v")} }
	base := func() Batch {
		return Batch{{
			Resource: model.Resource{Attributes: attrs()},
			ScopeSpans: []model.ScopeSpans{{
				Scope: model.Scope{Name: "s", Version: "1", Attributes: attrs()},
				Spans: []model.Span{{
					Name: "n", TraceState: "t", Status: model.Status{Message: "m"}, Attributes: attrs(),
					Events: []model.Event{{Name: "e", Attributes: attrs()}},
					Links:  []model.Link{{TraceState: "l", Attributes: attrs()}},
				}},
			}},
		}}
	}
	tests := []struct {
		path string
		set  func(b Batch)
	}{
		{"$.resourceSpans[0].resource.attributes[0].key", func(b Batch) { b[0].Resource.Attributes[0].Key = bad }},
		{"$.resourceSpans[0].resource.attributes[0].value.stringValue", func(b Batch) { b[0].Resource.Attributes[0].Value.Str = bad }},
		{"$.resourceSpans[0].scopeSpans[0].scope.name", func(b Batch) { b[0].ScopeSpans[0].Scope.Name = bad }},
		{"$.resourceSpans[0].scopeSpans[0].scope.version", func(b Batch) { b[0].ScopeSpans[0].Scope.Version = bad }},
		{"$.resourceSpans[0].scopeSpans[0].scope.attributes[0].key", func(b Batch) { b[0].ScopeSpans[0].Scope.Attributes[0].Key = bad }},
		{"$.resourceSpans[0].scopeSpans[0].spans[0].name", func(b Batch) { b[0].ScopeSpans[0].Spans[0].Name = bad }},
		{"$.resourceSpans[0].scopeSpans[0].spans[0].traceState", func(b Batch) { b[0].ScopeSpans[0].Spans[0].TraceState = bad }},
		{"$.resourceSpans[0].scopeSpans[0].spans[0].status.message", func(b Batch) { b[0].ScopeSpans[0].Spans[0].Status.Message = bad }},
		{"$.resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.stringValue", func(b Batch) { b[0].ScopeSpans[0].Spans[0].Attributes[0].Value.Str = bad }},
		{"$.resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.arrayValue.values[1].stringValue", func(b Batch) {
			b[0].ScopeSpans[0].Spans[0].Attributes[0].Value = model.ArrayValue(model.StringValue("ok"), model.StringValue(bad))
		}},
		{"$.resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.kvlistValue.values[0].value.stringValue", func(b Batch) {
			b[0].ScopeSpans[0].Spans[0].Attributes[0].Value = model.MapValue(model.Str("x", bad))
		}},
		{"$.resourceSpans[0].scopeSpans[0].spans[0].events[0].name", func(b Batch) { b[0].ScopeSpans[0].Spans[0].Events[0].Name = bad }},
		{"$.resourceSpans[0].scopeSpans[0].spans[0].events[0].attributes[0].key", func(b Batch) { b[0].ScopeSpans[0].Spans[0].Events[0].Attributes[0].Key = bad }},
		{"$.resourceSpans[0].scopeSpans[0].spans[0].links[0].traceState", func(b Batch) { b[0].ScopeSpans[0].Spans[0].Links[0].TraceState = bad }},
		{"$.resourceSpans[0].scopeSpans[0].spans[0].links[0].attributes[0].value.stringValue", func(b Batch) { b[0].ScopeSpans[0].Spans[0].Links[0].Attributes[0].Value.Str = bad }},
	}
	if n, path := FixBatchUTF8(base()); n != 0 || path != "" {
		t.Fatalf("valid batch: %d bytes fixed at %q", n, path)
	}
	for _, tc := range tests {
		b := base()
		tc.set(b)
		if validBatchUTF8(b) {
			t.Errorf("%s: validBatchUTF8 missed the invalid string", tc.path)
		}
		n, path := FixBatchUTF8(b)
		if n != 1 || path != tc.path {
			t.Errorf("FixBatchUTF8 = %d, %q; want 1, %q", n, path, tc.path)
		}
		if !validBatchUTF8(b) {
			t.Errorf("%s: still invalid after the fix", tc.path)
		}
	}
}
