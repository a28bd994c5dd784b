package redact

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
)

// TestValueCacheAsUncached: the README's rules applied to generated traces
// (40% with PII) change them and count exactly as without the cache of
// maskString's answers, whether it holds everything or is cleared every
// few values.
func TestValueCacheAsUncached(t *testing.T) {
	traces := func() []*model.Trace {
		g := gen.New(gen.Options{Seed: 5, PIIRate: 0.4})
		var ts []*model.Trace
		for range 2000 {
			ts = append(ts, g.Trace())
		}
		return ts
	}
	apply := func(size int) ([]*model.Trace, []RuleStats) {
		defer func(old int) { valueCacheSize = old }(valueCacheSize)
		valueCacheSize = size
		e, err := Load("testdata/rules.good.yaml", Options{HashKey: []byte("k")})
		if err != nil {
			t.Fatal(err)
		}
		ts := traces()
		for _, tr := range ts {
			e.Apply(tr)
		}
		return ts, e.Stats()
	}
	want, wantStats := apply(0)
	if wantStats[2].Masked < 100 {
		t.Fatalf("only %d values masked: the traces do not exercise the detectors", wantStats[2].Masked)
	}
	for _, size := range []int{1 << 14, 7} {
		got, stats := apply(size)
		if d := cmp.Diff(wantStats, stats); d != "" {
			t.Errorf("cache of %d: stats (-uncached +cached):\n%s", size, d)
		}
		for i := range want {
			if where := redactedDiff(want[i], got[i]); where != "" {
				t.Fatalf("cache of %d: trace %d differs from the uncached run at %s", size, i, where)
			}
		}
	}
}

// redactedDiff names the first place where a and b, the same trace
// redacted twice, differ in what redaction changes: attributes, names and
// status messages ("" when they do not).
func redactedDiff(a, b *model.Trace) string {
	if len(a.ResourceSpans) != len(b.ResourceSpans) {
		return "resource spans"
	}
	for i := range a.ResourceSpans {
		ra, rb := &a.ResourceSpans[i], &b.ResourceSpans[i]
		if !model.AttributesEqual(ra.Resource.Attributes, rb.Resource.Attributes) || len(ra.ScopeSpans) != len(rb.ScopeSpans) {
			return fmt.Sprintf("resource %d", i)
		}
		for j := range ra.ScopeSpans {
			sa, sb := &ra.ScopeSpans[j], &rb.ScopeSpans[j]
			if !model.AttributesEqual(sa.Scope.Attributes, sb.Scope.Attributes) || len(sa.Spans) != len(sb.Spans) {
				return fmt.Sprintf("resource %d scope %d", i, j)
			}
			for k := range sa.Spans {
				x, y := &sa.Spans[k], &sb.Spans[k]
				where := fmt.Sprintf("span %s", x.SpanID)
				if x.Name != y.Name || x.Status.Message != y.Status.Message || !model.AttributesEqual(x.Attributes, y.Attributes) ||
					len(x.Events) != len(y.Events) || len(x.Links) != len(y.Links) {
					return where
				}
				for e := range x.Events {
					if x.Events[e].Name != y.Events[e].Name || !model.AttributesEqual(x.Events[e].Attributes, y.Events[e].Attributes) {
						return where + " event"
					}
				}
				for l := range x.Links {
					if !model.AttributesEqual(x.Links[l].Attributes, y.Links[l].Attributes) {
						return where + " link"
					}
				}
			}
		}
	}
	return ""
}
