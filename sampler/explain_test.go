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
// spans lasting up to 320 ms, with and without an error span.
func TestVoteWithoutExplain(t *testing.T) {
	cfg, err := Parse("x.yaml", []byte(`policies:
  - {name: slow, type: latency, latency: {threshold_ms: 100}}
  - {name: band, type: latency, latency: {threshold_ms: 50, upper_threshold_ms: 200}}
  - {name: some, type: probabilistic, probabilistic: {sampling_percentage: 30}}
  - {name: salted, type: probabilistic, probabilistic: {hash_salt: "x", sampling_percentage: 70}}
  - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
  - {name: many, type: span_count, span_count: {min_spans: 10}}
  - {name: all, type: always_sample}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	var specs []storetest.TraceSpec
	for k := range 60 {
		ts := storetest.TraceSpec{ID: fmt.Sprintf("%016x%016x", uint64(k+1)*0x9e3779b97f4a7c15, uint64(k+7)*0xc2b2ae3d27d4eb4f), Start: t0.Add(time.Duration(k) * time.Second)}
		for s := range 1 + k%23 {
			ts.Spans = append(ts.Spans, storetest.SpanSpec{ID: fmt.Sprintf("%x", s+1), Service: "svc", Name: "op",
				Duration: time.Duration(k*k%300+s) * time.Millisecond})
		}
		specs = append(specs, ts)
	}
	traces := storetest.Build(specs...)
	for i, tr := range traces {
		if i%2 == 0 {
			tr.ResourceSpans[0].ScopeSpans[0].Spans[0].Status.Code = model.StatusError
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
