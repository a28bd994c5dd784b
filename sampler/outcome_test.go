package sampler

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store/storetest"
)

// TestReplayOutcomes lists every trace's outcome as JSON lines (golden),
// and checks that the outcomes agree with OnDecision and the report and
// that Bytes is the OTLP protobuf size.
func TestReplayOutcomes(t *testing.T) {
	traces := fixtureTraces()
	sizes := map[model.TraceID]int64{}
	for _, tr := range traces {
		sizes[tr.TraceID] = otlp.ProtoSize(tr)
	}
	for _, tc := range []struct{ name, yaml string }{
		{"policies", policiesYAML},
		{"first_match", `{sample_on_first_match: true, policies: [{name: errors, type: status_code, status_code: {status_codes: [ERROR]}}, {name: all, type: always_sample}]}`},
		{"evicted", `{decision_wait: 1000000h, num_traces: 1, policies: [{name: all, type: always_sample}]}`},
		{"nested_limiter", `policies: [{name: a, type: and, and: {and_sub_policy: [{name: c, type: span_count, span_count: {min_spans: 1}}, {name: r, type: rate_limiting, rate_limiting: {spans_per_second: 1, burst_capacity: 2}}]}}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("c.yaml", []byte(tc.yaml), "")
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			line, flush := JSONLines(&buf)
			var decided []Vote
			var kept KeptIDs
			rep, err := Replay(context.Background(), storetest.New(traces), cfg, Options{
				OnDecision: func(_ *model.Trace, d *Decision) error { decided = append(decided, d.Final); return nil },
				OnOutcome: func(o *Outcome) error {
					if o.Bytes != sizes[o.TraceID] {
						t.Errorf("%s: bytes %d, want the OTLP size %d", o.TraceID, o.Bytes, sizes[o.TraceID])
					}
					if n := len(decided) - 1; n < 0 || decided[n] != o.Decision {
						t.Errorf("%s: outcome %v out of step with OnDecision", o.TraceID, o.Decision)
					}
					if !cfg.Stateful() && !o.Evicted {
						// Recorded leaf reasons read as a live decision's.
						for _, tr := range traces {
							if d := cfg.Decide(tr); tr.TraceID == o.TraceID && summary(&d) != o.Reason {
								t.Errorf("%s: reason %q, Decide says %q", o.TraceID, o.Reason, summary(&d))
							}
						}
					}
					if err := kept.Add(o); err != nil {
						return err
					}
					return line(o)
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := flush(); err != nil {
				t.Fatal(err)
			}
			if int64(len(kept.IDs())) != rep.KeptTraces || int64(len(decided)) != rep.Traces {
				t.Errorf("kept %d of %d outcomes, report %d of %d", len(kept.IDs()), len(decided), rep.KeptTraces, rep.Traces)
			}
			for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil || len(m) != 6 {
					t.Errorf("line %s: %v, %d fields", l, err, len(m))
				}
			}
			golden(t, "outcomes_"+tc.name+".golden", buf.String())
		})
	}
}

func TestKeptIDsSorted(t *testing.T) {
	var k KeptIDs
	for _, s := range []string{"ff", "0a", "ffffffffffffffff0000000000000000", "01"} {
		id, err := model.ParseTraceID(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []Vote{Sampled, NotSampled, Dropped} {
			if err := k.Add(&Outcome{TraceID: id, Decision: d}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var b strings.Builder
	if err := WriteTraceIDs(&b, k.IDs()); err != nil {
		t.Fatal(err)
	}
	want := "00000000000000000000000000000001\n0000000000000000000000000000000a\n000000000000000000000000000000ff\nffffffffffffffff0000000000000000\n"
	if b.String() != want {
		t.Errorf("got\n%swant\n%s", b.String(), want)
	}
}
