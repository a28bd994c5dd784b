package sampler

import (
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
		if got := c.eval(ctx); got != tc.want {
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
		{`span_id.string == "x"`, `path "span_id.string" is not yet supported by tracectl`},
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
	if _, err := parseOTTL(`kind == SPAN_KIND_SERVER`, true); err == nil || !strings.Contains(err.Error(), "span event path") {
		t.Errorf("kind in a span event condition: %v", err)
	}
}
