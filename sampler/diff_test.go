package sampler

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/tracectl/tracectl/store/storetest"
)

// TestDiff compares configs over the fixture traces: the report as JSON
// (golden) and its invariants.
func TestDiff(t *testing.T) {
	a := `policies: [{name: errors, type: status_code, status_code: {status_codes: [ERROR]}}, {name: slow, type: latency, latency: {threshold_ms: 999}}]`
	for _, tc := range []struct{ name, a, b string }{
		{"changes", a, policiesYAML},
		{"drop_vs_not_sampled", `policies: [{name: c, type: span_count, span_count: {min_spans: 100}}]`,
			`policies: [{name: d, type: drop, drop: {drop_sub_policy: [{name: e, type: status_code, status_code: {status_codes: [ERROR]}}]}}]`},
		{"same", a, a},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ca, err := Parse("a.yaml", []byte(tc.a), "")
			if err != nil {
				t.Fatal(err)
			}
			cb, err := Parse("b.yaml", []byte(tc.b), "")
			if err != nil {
				t.Fatal(err)
			}
			r, err := Diff(context.Background(), storetest.New(fixtureTraces()), ca, cb, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.KeptAOnly+r.KeptBOnly+r.KeptBoth+r.KeptNeither != r.Traces || r.Changed != int64(len(r.Changes)) ||
				r.KeptA != r.KeptAOnly+r.KeptBoth || r.KeptB != r.KeptBOnly+r.KeptBoth {
				t.Errorf("counts do not add up: %+v", r)
			}
			var spans, size int64
			for i, c := range r.Changes {
				if i > 0 && bytes.Compare(r.Changes[i-1].TraceID[:], c.TraceID[:]) >= 0 {
					t.Errorf("changes not sorted by trace ID")
				}
				if c.A.Decision == c.B.Decision {
					t.Errorf("%s: listed with the same decision", c.TraceID)
				}
				switch {
				case c.B.Decision == Sampled:
					spans, size = spans+c.Spans, size+c.Bytes
				case c.A.Decision == Sampled:
					spans, size = spans-c.Spans, size-c.Bytes
				}
			}
			if spans != r.SpansChange || size != r.BytesChange {
				t.Errorf("storage change %d spans %d bytes, the changes add up to %d and %d", r.SpansChange, r.BytesChange, spans, size)
			}
			out, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "diff_"+tc.name+".golden", string(out)+"\n")
		})
	}
}
