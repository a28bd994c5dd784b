package attributes

import (
	"context"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/redactionprocessor"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.yaml.in/yaml/v3"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/redact"
)

// redactionInput is a span whose resource, span and event attributes
// exercise every branch of the redaction processor with scalar values.
func redactionInput() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "checkout")
	rs.Resource().Attributes().PutStr("host.owner", "ops@example.com")
	rs.Resource().Attributes().PutStr("k8s.pod.name", "checkout-7d9f")
	sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetName("POST /pay")
	a := sp.Attributes()
	a.PutStr("http.method", "POST")
	a.PutStr("note", "card 4111111111111111 or 5500000000000004, mail bob@example.com")
	a.PutStr("user.email", "carol@internal.example")
	a.PutStr("auth.token", "abc123")
	a.PutStr("auth.token.empty", "")
	a.PutInt("auth.token.id", 42)
	a.PutStr("debug.raw", "4111111111111111")
	a.PutStr("password", "hunter2")
	a.PutInt("http.status_code", 402)
	a.PutStr("redaction.masked.keys", "earlier")
	a.PutInt("redaction.masked.count", 1)
	ev := sp.Events().AppendEmpty()
	ev.SetName("retry")
	ev.Attributes().PutStr("note", "dave@example.com")
	ev.Attributes().PutStr("secret", "s")
	return td
}

var redactionConfigs = map[string]map[string]any{
	"allow list, debug summary": {
		"allowed_keys":         []any{"service.name", "host.owner", "http.method", "note", "user.email", "auth.token", "auth.token.empty", "auth.token.id", "http.status_code", "redaction.masked.keys", "redaction.masked.count"},
		"ignored_keys":         []any{"debug.raw"},
		"blocked_key_patterns": []any{"^auth\\.token"},
		"blocked_values":       []any{"4[0-9]{15}", "5[1-5][0-9]{14}", "[a-z]+@example\\.com"},
		"allowed_values":       []any{"@internal\\.example$"},
		"summary":              "debug",
	},
	"allow all, info summary, md5": {
		"allow_all_keys":       true,
		"ignored_key_patterns": []any{"^debug\\."},
		"blocked_values":       []any{"4[0-9]{15}"},
		"hash_function":        "md5",
		"summary":              "info",
	},
	"sha1 on blocked keys": {
		"allow_all_keys":       true,
		"blocked_key_patterns": []any{"token", "password"},
		"hash_function":        "sha1",
		"summary":              "silent",
	},
	"sha3 and redact_all_types": {
		"allow_all_keys":       true,
		"blocked_key_patterns": []any{"^auth\\.token\\.id$"},
		"blocked_values":       []any{"^40[0-9]$", "[a-z]+@example\\.com"},
		"redact_all_types":     true,
		"hash_function":        "sha3",
		"summary":              "debug",
	},
	"hmac-sha256, fail closed": {
		"allowed_keys":   []any{"note"},
		"blocked_values": []any{"[a-z]+@example\\.com"},
		"hash_function":  "hmac-sha256",
		"hmac_key":       "k3y",
		"summary":        "info",
	},
}

func runRedactionProcessor(t *testing.T, conf map[string]any) ptrace.Traces {
	t.Helper()
	f := redactionprocessor.NewFactory()
	cfg := f.CreateDefaultConfig()
	if err := confmap.NewFromStringMap(conf).Unmarshal(cfg); err != nil {
		t.Fatal(err)
	}
	sink := new(consumertest.TracesSink)
	ctx := context.Background()
	p, err := f.CreateTraces(ctx, processortest.NewNopSettings(f.Type()), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx, componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	if err := p.ConsumeTraces(ctx, redactionInput()); err != nil {
		t.Fatal(err)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	return sink.AllTraces()[0]
}

// TestRedactionMatchesCollector runs the same redaction settings through
// the Collector's redaction processor (v0.161.0) and a tracectl rule, and
// compares resource, span and event attributes.
func TestRedactionMatchesCollector(t *testing.T) {
	for name, conf := range redactionConfigs {
		want := runRedactionProcessor(t, conf)

		red := map[string]any{}
		for k, v := range conf {
			if k != "hmac_key" {
				red[k] = v
			}
		}
		src, err := yaml.Marshal(map[string]any{"rules": []any{map[string]any{"name": "r", "redaction": red}}})
		if err != nil {
			t.Fatal(err)
		}
		var key []byte
		if k, ok := conf["hmac_key"].(string); ok {
			key = []byte(k)
		}
		e, err := redact.Compile("conformance.yaml", src, redact.Options{HashKey: key})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		in := redactionInput().ResourceSpans().At(0)
		ispan := in.ScopeSpans().At(0).Spans().At(0)
		tr := &model.Trace{ResourceSpans: []model.ResourceSpans{{
			Resource: model.Resource{Attributes: toModel(in.Resource().Attributes())},
			ScopeSpans: []model.ScopeSpans{{Spans: []model.Span{{
				Name:       ispan.Name(),
				Attributes: toModel(ispan.Attributes()),
				Events:     []model.Event{{Name: "retry", Attributes: toModel(ispan.Events().At(0).Attributes())}},
			}}}},
		}}}
		e.Apply(tr)

		wrs := want.ResourceSpans().At(0)
		wspan := wrs.ScopeSpans().At(0).Spans().At(0)
		got := tr.ResourceSpans[0]
		compare(t, name+": resource", wrs.Resource().Attributes(), got.Resource.Attributes)
		compare(t, name+": span", wspan.Attributes(), got.ScopeSpans[0].Spans[0].Attributes)
		compare(t, name+": event", wspan.Events().At(0).Attributes(), got.ScopeSpans[0].Spans[0].Events[0].Attributes)
		if wspan.Name() != got.ScopeSpans[0].Spans[0].Name {
			t.Errorf("%s: span name %q vs %q", name, wspan.Name(), got.ScopeSpans[0].Spans[0].Name)
		}
	}
}
