package sampler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tracectl/tracectl/store/storetest"
)

func TestRunTests(t *testing.T) {
	cfg, err := Parse("policies.yaml", []byte(policiesYAML), "")
	if err != nil {
		t.Fatal(err)
	}
	tf, err := ParseTestFile("dir/t.yaml", []byte(`
config: policies.yaml
input_files: [traces.json]
tests:
  - trace_id: "01"
    decision: sampled
    policy: always
    policies: {errors: sampled, slow: not_sampled}
  - trace_id: "02"
    decision: dropped
    policy: drop-health
  - trace_id: "03"
    decision: not_sampled
    policy: errors
    policies: {re: not_sampled, nope: sampled}
  - trace_id: "99"
    decision: sampled
`))
	if err != nil {
		t.Fatal(err)
	}
	if tf.Path("traces.json") != "dir/traces.json" {
		t.Errorf("Path: %s", tf.Path("traces.json"))
	}
	res := RunTests(cfg, fixtureTraces(), tf)
	var got []string
	for _, m := range res.Mismatches {
		got = append(got, m.String())
	}
	golden(t, "runtests.golden", strings.Join(got, "\n")+"\n")
}

func TestParseTestFileErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, err string }{
		{"config: a\ninput_files: [b]\ntests:\n  - {trace_id: zz, decision: sampled}\n", "t.yaml:4:16: trace ID \"zz\": not hex"},
		{"config: a\ninput_files: [b]\ntests:\n  - {trace_id: '01', decision: maybe}\n", `t.yaml:4:32: decision: unknown decision "maybe"`},
		{"config: a\ninput_files: [b]\ntests:\n  - trace_id: '01'\n    decision: sampled\n    policies:\n      slow: perhaps\n", `t.yaml:7:13: policies.slow: unknown decision "perhaps"`},
		{"config: a\ninput_files: [b]\nextra: 1\n", "field extra not found"},
		{"input_files: [b]\n", "t.yaml: config: required"},
	} {
		_, err := ParseTestFile("t.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("got %v, want %q", err, tc.err)
		}
	}
}

func TestReplayReport(t *testing.T) {
	cfg, err := Parse("policies.yaml", []byte(`policies:
  - {name: drop-health, type: drop, drop: {drop_sub_policy: [{name: h, type: string_attribute, string_attribute: {key: http.route, values: [/healthz]}}]}}
  - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
  - {name: slow, type: latency, latency: {threshold_ms: 999}}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Replay(context.Background(), storetest.New(fixtureTraces()), cfg, Options{Slow: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if r.Traces != 4 || r.Spans != 6 || r.KeptTraces != 2 || r.KeptSpans != 4 || r.DroppedTraces != 2 || r.DroppedByPolicy != 1 ||
		r.ErrorTraces != 1 || r.ErrorTracesKept != 1 || r.SlowTraces != 2 || r.SlowTracesKept != 1 || r.KeepRatio != 0.5 {
		t.Errorf("report %+v", r)
	}
	want := []PolicyStats{{"drop-health", "drop", 1, 1}, {"errors", "status_code", 1, 1}, {"slow", "latency", 1, 1}}
	for i, p := range r.Policies {
		if p != want[i] {
			t.Errorf("policy %d: %+v, want %+v", i, p, want[i])
		}
	}
	if r.SavedRatio <= 0 || r.SavedRatio >= 1 {
		t.Errorf("saved ratio %v", r.SavedRatio)
	}
}
