package sampler

import (
	"fmt"
	"testing"
	"time"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store/storetest"
)

// TestVoteWithoutExplain: every rule's vote is the same whether or not it
// is asked why (a replay asks not, explain asks), on 60 traces of 1 to 23
// spans lasting up to 320 ms, with and without an error span, and with
// attributes and trace states that each attribute rule (inverted too)
// passes on some traces and not on others.
func TestVoteWithoutExplain(t *testing.T) {
	cfg, err := Parse("x.yaml", []byte(`policies:
  - {name: slow, type: latency, latency: {threshold_ms: 100}}
  - {name: band, type: latency, latency: {threshold_ms: 50, upper_threshold_ms: 200}}
  - {name: some, type: probabilistic, probabilistic: {sampling_percentage: 30}}
  - {name: salted, type: probabilistic, probabilistic: {hash_salt: "x", sampling_percentage: 70}}
  - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
  - {name: many, type: span_count, span_count: {min_spans: 10}}
  - {name: some-spans, type: span_count, span_count: {min_spans: 3, max_spans: 12}}
  - {name: all, type: always_sample}
  - {name: route, type: string_attribute, string_attribute: {key: http.route, values: [/a]}}
  - {name: not-b, type: string_attribute, string_attribute: {key: http.route, values: ["/b.*"], enabled_regex_matching: true, invert_match: true}}
  - {name: prod, type: string_attribute, string_attribute: {key: deployment.environment, values: [prod]}}
  - {name: failed, type: numeric_attribute, numeric_attribute: {key: http.response.status_code, min_value: 500, max_value: 599}}
  - {name: not-failed, type: numeric_attribute, numeric_attribute: {key: http.response.status_code, min_value: 500, max_value: 599, invert_match: true}}
  - {name: debug, type: boolean_attribute, boolean_attribute: {key: debug, value: true}}
  - {name: not-debug, type: boolean_attribute, boolean_attribute: {key: debug, value: true, invert_match: true}}
  - {name: vendor, type: trace_state, trace_state: {key: vendor, values: ["on"]}}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	var specs []storetest.TraceSpec
	for k := range 60 {
		ts := storetest.TraceSpec{ID: fmt.Sprintf("%016x%016x", uint64(k+1)*0x9e3779b97f4a7c15, uint64(k+7)*0xc2b2ae3d27d4eb4f), Start: t0.Add(time.Duration(k) * time.Second)}
		env := "dev"
		if k%2 == 1 {
			env = "prod"
		}
		for s := range 1 + k%23 {
			route := fmt.Sprintf("/b%d", s)
			if k%3 == 0 {
				route = "/a"
			}
			code := int64(200)
			if k%4 == 0 && s == k%5 {
				code = 503
			}
			ts.Spans = append(ts.Spans, storetest.SpanSpec{ID: fmt.Sprintf("%x", s+1), Service: "svc", Name: "op",
				Duration: time.Duration(k*k%300+s) * time.Millisecond,
				Attrs: []model.Attribute{model.Str("http.route", route), model.Int("http.response.status_code", code),
					model.Bool("debug", k%5 == 0)},
				ResourceAttrs: []model.Attribute{model.Str("deployment.environment", env)}})
		}
		specs = append(specs, ts)
	}
	traces := storetest.Build(specs...)
	for i, tr := range traces {
		if i%2 == 0 {
			tr.ResourceSpans[0].ScopeSpans[0].Spans[0].Status.Code = model.StatusError
		}
		if i%3 == 1 {
			tr.ResourceSpans[0].ScopeSpans[0].Spans[0].TraceState = "vendor=on"
		}
	}
	for _, p := range cfg.Policies {
		checked := map[bool]int{}
		if p.eval == nil {
			t.Fatalf("policy %s has no rule", p.Name)
		}
		for _, tr := range traces {
			quiet, _ := p.eval.evaluate(tr, false)
			v, why := p.eval.evaluate(tr, true)
			if quiet != v || why == "" {
				t.Fatalf("policy %s, trace %s: vote %v unexplained, %v (%q) explained", p.Name, tr.TraceID, quiet, v, why)
			}
			checked[v == Sampled]++
		}
		if p.Type != TypeAlwaysSample && (checked[true] == 0 || checked[false] == 0) {
			t.Errorf("policy %s: votes %v, want both outcomes", p.Name, checked)
		}
	}
}

// TestStringAttributeEmptySpanValue: a string_attribute rule matches a
// resource's value as it is, a span's only when it is not empty (the
// Collector's rule), so a pattern that matches "" samples an empty
// resource value and not an empty span value.
func TestStringAttributeEmptySpanValue(t *testing.T) {
	cfg, err := Parse("x.yaml", []byte(`policies:
  - {name: any, type: string_attribute, string_attribute: {key: k, values: [".*"], enabled_regex_matching: true}}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	onSpan := storetest.Build(storetest.TraceSpec{ID: "1", Start: t0, Spans: []storetest.SpanSpec{{ID: "1", Service: "svc", Name: "op",
		Attrs: []model.Attribute{model.Str("k", "")}}}})[0]
	onResource := storetest.Build(storetest.TraceSpec{ID: "2", Start: t0, Spans: []storetest.SpanSpec{{ID: "1", Service: "svc", Name: "op",
		ResourceAttrs: []model.Attribute{model.Str("k", "")}}}})[0]
	rule := cfg.Policies[0].eval
	for _, explain := range []bool{false, true} {
		if v, why := rule.evaluate(onSpan, explain); v != NotSampled {
			t.Errorf("explain %v: an empty span value voted %v (%q)", explain, v, why)
		}
		if v, why := rule.evaluate(onResource, explain); v != Sampled {
			t.Errorf("explain %v: an empty resource value voted %v (%q)", explain, v, why)
		}
	}
}
