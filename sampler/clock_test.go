package sampler

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store/storetest"
)

// clockTraces makes one trace per offset (ms after t0) with n spans, the
// first ending at the offset; attr is set on the root span.
func clockTraces(n int, offsets []int, attr func(i int) []model.Attribute) []*model.Trace {
	var specs []storetest.TraceSpec
	for i, off := range offsets {
		ts := storetest.TraceSpec{ID: fmt.Sprintf("%x", 0x100+i), Start: t0.Add(time.Duration(off) * time.Millisecond)}
		for s := 0; s < n; s++ {
			ts.Spans = append(ts.Spans, storetest.SpanSpec{ID: fmt.Sprintf("%x", s+1), Service: "svc", Name: "op", Attrs: attr(i), Duration: time.Duration(s) * time.Millisecond})
		}
		specs = append(specs, ts)
	}
	return storetest.Build(specs...)
}

func kept(t *testing.T, cfg *Config, traces []*model.Trace) string {
	t.Helper()
	var b strings.Builder
	_, err := Replay(context.Background(), storetest.New(traces), cfg, Options{OnDecision: func(_ *model.Trace, d *Decision) error {
		if d.Evicted {
			fmt.Fprintf(&b, "%x:evicted ", d.TraceID[14:])
		} else {
			fmt.Fprintf(&b, "%x:%s ", d.TraceID[14:], d.Final)
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(b.String())
}

func TestRateLimitingClock(t *testing.T) {
	cfg, err := Parse("x.yaml", []byte(`{decision_wait: 5s, policies: [{name: r, type: rate_limiting, rate_limiting: {spans_per_second: 10}}]}`), "")
	if err != nil {
		t.Fatal(err)
	}
	// Five-span traces: the bucket starts with 20 (burst = 2 × 10), so four
	// pass at once; 1 s later 10 tokens are back: two more; input order
	// does not matter, decision time does.
	traces := clockTraces(5, []int{1000, 0, 0, 0, 0, 0, 1000, 1000}, func(int) []model.Attribute { return nil })
	got := kept(t, cfg, traces)
	want := "0101:sampled 0102:sampled 0103:sampled 0104:sampled 0105:not_sampled 0100:sampled 0106:sampled 0107:not_sampled"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// A trace bigger than the burst never passes.
	if got := kept(t, cfg, clockTraces(21, []int{0}, func(int) []model.Attribute { return nil })); got != "0100:not_sampled" {
		t.Errorf("big trace: %s", got)
	}
}

func TestCompositeClock(t *testing.T) {
	cfg, err := Parse("x.yaml", []byte(`
decision_wait: 1s
policies:
  - name: c
    type: composite
    composite:
      max_total_spans_per_second: 10
      policy_order: [a, b]
      composite_sub_policy:
        - {name: a, type: string_attribute, string_attribute: {key: k, values: [a]}}
        - {name: b, type: always_sample}
      rate_allocation: [{policy: a, percent: 40}]
`), "")
	if err != nil {
		t.Fatal(err)
	}
	// Two-span traces. a gets 4 spans a second, b (no allocation) 10 / 2 =
	// 5; a trace matching a that does not fit is not sampled (no fall
	// through to b). A new second resets the counters.
	attrs := []string{"a", "a", "a", "x", "x", "x", "a"}
	traces := clockTraces(2, []int{0, 10, 20, 30, 40, 50, 1000}, func(i int) []model.Attribute { return []model.Attribute{model.Str("k", attrs[i])} })
	got := kept(t, cfg, traces)
	want := "0100:sampled 0101:sampled 0102:not_sampled 0103:sampled 0104:sampled 0105:not_sampled 0106:sampled"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	d := cfg.Decide(traces[2])
	if !strings.Contains(Explain(&d), `"a" (span 0000000000000001 k="a"); 2 of 4 spans in second`) {
		t.Errorf("explain alone:\n%s", Explain(&d))
	}
}

// TestBytesLimitingClock runs the rate-limiting schedule with bytes: the
// traces have the same OTLP size S, bytes_per_second is 2S, so the bucket
// (burst 4S) lets four through at once and two more a second later.
func TestBytesLimitingClock(t *testing.T) {
	traces := clockTraces(5, []int{1000, 0, 0, 0, 0, 0, 1000, 1000}, func(int) []model.Attribute { return nil })
	size := otlp.ProtoSize(traces[0])
	for _, tr := range traces {
		if s := otlp.ProtoSize(tr); s != size {
			t.Fatalf("trace %s is %d bytes, want every trace %d", tr.TraceID, s, size)
		}
	}
	if size < 100 {
		t.Fatalf("OTLP size %d bytes: implausibly small", size)
	}
	cfg, err := Parse("x.yaml", fmt.Appendf(nil, `{decision_wait: 5s, policies: [{name: b, type: bytes_limiting, bytes_limiting: {bytes_per_second: %d}}]}`, 2*size), "")
	if err != nil {
		t.Fatal(err)
	}
	got := kept(t, cfg, traces)
	want := "0101:sampled 0102:sampled 0103:sampled 0104:sampled 0105:not_sampled 0100:sampled 0106:sampled 0107:not_sampled"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// An explicit burst below one trace's size lets nothing through.
	cfg, err = Parse("x.yaml", fmt.Appendf(nil, `{policies: [{name: b, type: bytes_limiting, bytes_limiting: {bytes_per_second: %d, burst_capacity: %d}}]}`, 10*size, size-1), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := kept(t, cfg, traces[:2]); got != "0101:not_sampled 0100:not_sampled" && got != "0100:not_sampled 0101:not_sampled" {
		t.Errorf("burst below the trace size: %s", got)
	}
	// Decide explains the vote in bytes.
	d := cfg.Decide(traces[0])
	if !strings.Contains(d.Votes[0].Reason, fmt.Sprintf("%d bytes", size)) {
		t.Errorf("reason %q does not give the trace size", d.Votes[0].Reason)
	}
}

// TestLimitersWithoutRate replays configs the Collector accepts with a
// rate or total of 0 or less. x/time/rate never refills a bucket whose
// limit is not above 0 and makes any shortfall an infinite wait, so the
// burst passes once, whatever the schedule; without a burst (the default
// is twice the rate) nothing passes. A composite whose total is not above
// 0, or that has no sub-policies, keeps nothing.
func TestLimitersWithoutRate(t *testing.T) {
	none := func(int) []model.Attribute { return nil }
	// Two-span traces an hour apart: time brings no tokens back.
	hours := []int{0, 3600e3, 7200e3, 10800e3, 14400e3}
	for _, tc := range []struct{ name, policy, want string }{
		{"rate 0", `{name: r, type: rate_limiting, rate_limiting: {spans_per_second: 0}}`,
			"0100:not_sampled 0101:not_sampled 0102:not_sampled 0103:not_sampled 0104:not_sampled"},
		{"rate missing", `{name: r, type: rate_limiting}`,
			"0100:not_sampled 0101:not_sampled 0102:not_sampled 0103:not_sampled 0104:not_sampled"},
		{"rate 0 burst 5", `{name: r, type: rate_limiting, rate_limiting: {spans_per_second: 0, burst_capacity: 5}}`,
			"0100:sampled 0101:sampled 0102:not_sampled 0103:not_sampled 0104:not_sampled"},
		{"rate negative burst 6", `{name: r, type: rate_limiting, rate_limiting: {spans_per_second: -4, burst_capacity: 6}}`,
			"0100:sampled 0101:sampled 0102:sampled 0103:not_sampled 0104:not_sampled"},
		{"rate negative", `{name: r, type: rate_limiting, rate_limiting: {spans_per_second: -4}}`,
			"0100:not_sampled 0101:not_sampled 0102:not_sampled 0103:not_sampled 0104:not_sampled"},
		{"bytes 0", `{name: b, type: bytes_limiting, bytes_limiting: {bytes_per_second: 0}}`,
			"0100:not_sampled 0101:not_sampled 0102:not_sampled 0103:not_sampled 0104:not_sampled"},
		{"composite 0", `{name: c, type: composite, composite: {max_total_spans_per_second: 0, composite_sub_policy: [{name: a, type: always_sample}]}}`,
			"0100:not_sampled 0101:not_sampled 0102:not_sampled 0103:not_sampled 0104:not_sampled"},
		{"composite negative", `{name: c, type: composite, composite: {max_total_spans_per_second: -10, composite_sub_policy: [{name: a, type: always_sample}], rate_allocation: [{policy: a, percent: 50}]}}`,
			"0100:not_sampled 0101:not_sampled 0102:not_sampled 0103:not_sampled 0104:not_sampled"},
		{"composite without sub-policies", `{name: c, type: composite, composite: {max_total_spans_per_second: 100}}`,
			"0100:not_sampled 0101:not_sampled 0102:not_sampled 0103:not_sampled 0104:not_sampled"},
		// 1% of 99 is 0.99 spans, truncated to 0; no fall-through to b.
		{"composite allocation truncated to 0", `{name: c, type: composite, composite: {max_total_spans_per_second: 99, composite_sub_policy: [{name: a, type: always_sample}, {name: b, type: always_sample}], rate_allocation: [{policy: a, percent: 1}]}}`,
			"0100:not_sampled 0101:not_sampled 0102:not_sampled 0103:not_sampled 0104:not_sampled"},
		// An allocation above 100% is capped by the total (4 spans a
		// second here); one below 0 or naming nobody leaves the equal share.
		{"composite allocation over 100", `{name: c, type: composite, composite: {max_total_spans_per_second: 4, composite_sub_policy: [{name: a, type: always_sample}], rate_allocation: [{policy: a, percent: 500}, {policy: x, percent: 90}]}}`,
			"0100:sampled 0101:sampled 0102:sampled 0103:sampled 0104:sampled"},
		{"composite allocation negative", `{name: c, type: composite, composite: {max_total_spans_per_second: 2, composite_sub_policy: [{name: a, type: always_sample}], rate_allocation: [{policy: a, percent: -50}]}}`,
			"0100:sampled 0101:sampled 0102:sampled 0103:sampled 0104:sampled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("x.yaml", []byte(`{decision_wait: 1s, policies: [`+tc.policy+`]}`), "")
			if err != nil {
				t.Fatal(err)
			}
			if got := kept(t, cfg, clockTraces(2, hours, none)); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	// Four two-span traces in one second against a composite of 4 spans
	// a second with a 500% allocation: the total still caps it at two.
	cfg, err := Parse("x.yaml", []byte(`{policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 4, composite_sub_policy: [{name: a, type: always_sample}], rate_allocation: [{policy: a, percent: 500}]}}]}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kept(t, cfg, clockTraces(2, []int{0, 100, 200, 300}, none)), "0100:sampled 0101:sampled 0102:not_sampled 0103:not_sampled"; got != want {
		t.Errorf("composite capped by the total: got %s, want %s", got, want)
	}
	cfg, err = Parse("x.yaml", []byte(`{policies: [{name: r, type: rate_limiting, rate_limiting: {spans_per_second: 0, burst_capacity: 3}}]}`), "")
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Decide(clockTraces(2, []int{0}, none)[0])
	if !strings.Contains(d.Votes[0].Reason, "within 0 spans/s (burst 3), a bucket that never refills") {
		t.Errorf("reason %q", d.Votes[0].Reason)
	}
}
