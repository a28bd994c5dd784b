package sampler

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store/storetest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Vectors from the reference notes (collector-reference.md §1.5).
func TestProbabilisticVectors(t *testing.T) {
	for pct, want := range map[float64]uint64{
		1: 0x028f5c28f5c28f5f, 10: 0x19999999999999ff, 25: 0x3fffffffffffffff,
		50: 0x7fffffffffffffff, 100: 0xffffffffffffffff, 0: 0, 150: 0xffffffffffffffff,
	} {
		if got := Threshold(pct / 100); got != want {
			t.Errorf("Threshold(%v%%) = %#x, want %#x", pct, got, want)
		}
	}
	for _, tc := range []struct {
		salt, id string
		hash     uint64
	}{
		{DefaultHashSalt, "0102030405060708090a0b0c0d0e0f10", 0xdbcf64d5420f4cad},
		{DefaultHashSalt, "4bf92f3577b34da6a3ce929d0e0e4736", 0xa54533ba2e4970b5},
		{DefaultHashSalt, "ffffffffffffffffffffffffffffffff", 0x17bec3739634fe2d},
		{"my-salt", "0102030405060708090a0b0c0d0e0f10", 0x59bd5945c0a27676},
	} {
		id, _ := model.ParseTraceID(tc.id)
		if got := HashTraceID(tc.salt, id); got != tc.hash {
			t.Errorf("HashTraceID(%s, %s) = %#x, want %#x", tc.salt, tc.id, got, tc.hash)
		}
	}
}

var t0 = time.Date(2026, 8, 19, 9, 0, 0, 0, time.UTC)

// fixtureTraces covers each policy's edge cases.
func fixtureTraces() []*model.Trace {
	return storetest.Build(
		storetest.TraceSpec{ID: "01", Start: t0, Spans: []storetest.SpanSpec{
			{ID: "a1", Service: "api", Name: "GET /", Duration: 20 * time.Millisecond, Attrs: []model.Attribute{model.Int("key1", 75), model.Str("key2", "value1")}},
			{ID: "a2", Parent: "a1", Service: "db", Name: "query", Offset: time.Millisecond, Duration: 5 * time.Millisecond, Status: model.StatusError},
		}},
		storetest.TraceSpec{ID: "02", Start: t0, Spans: []storetest.SpanSpec{
			{ID: "b1", Service: "api", Name: "GET /slow", Duration: 1500 * time.Millisecond, Attrs: []model.Attribute{model.Bool("key4", true), model.Str("http.route", "/healthz")}},
		}},
		storetest.TraceSpec{ID: "03", Start: t0, Spans: []storetest.SpanSpec{
			{ID: "c1", Service: "api", Name: "GET /x", Duration: 1000 * time.Millisecond, Attrs: []model.Attribute{model.Str("key1", "75"), model.Str("url", "https://example.com/admin/x")}},
			{ID: "c2", Parent: "c1", Service: "api", Name: "child", Duration: time.Millisecond, Attrs: []model.Attribute{model.Str("key2", "")}, ResourceAttrs: []model.Attribute{model.Str("env", "prod")}},
		}},
		storetest.TraceSpec{ID: "4bf92f3577b34da6a3ce929d0e0e4736", Start: t0, Spans: []storetest.SpanSpec{
			{ID: "d1", Service: "web", Name: "x", Duration: 2 * time.Millisecond, Status: model.StatusOK, ResourceAttrs: []model.Attribute{model.Str("key2", "value2"), model.Int("key1", 100)}},
		}},
	)
}

const policiesYAML = `
tail_sampling:
  policies:
    - {name: drop-health, type: drop, drop: {drop_sub_policy: [{name: health, type: string_attribute, string_attribute: {key: http.route, values: [/healthz]}}]}}
    - {name: always, type: always_sample}
    - {name: slow, type: latency, latency: {threshold_ms: 999}}
    - {name: band, type: latency, latency: {threshold_ms: 3, upper_threshold_ms: 30}}
    - {name: num, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 50, max_value: 100}}
    - {name: num-inv, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 50, invert_match: true}}
    - {name: pct, type: probabilistic, probabilistic: {sampling_percentage: 50}}
    - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
    - {name: str, type: string_attribute, string_attribute: {key: key2, values: [value1, value2, ""]}}
    - {name: re, type: string_attribute, string_attribute: {key: url, values: ["/admin/"], enabled_regex_matching: true}}
    - {name: re-inv, type: string_attribute, string_attribute: {key: url, values: ["^https://"], enabled_regex_matching: true, invert_match: true}}
    - {name: count, type: span_count, span_count: {min_spans: 2, max_spans: 5}}
    - {name: bool, type: boolean_attribute, boolean_attribute: {key: key4, value: true}}
    - {name: both, type: and, and: {and_sub_policy: [{name: n, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 50, max_value: 100}}, {name: s, type: string_attribute, string_attribute: {key: key2, values: [value1]}}]}}
    - {name: not-err, type: not, not: {not_sub_policy: {name: e, type: status_code, status_code: {status_codes: [ERROR]}}}}
`

// TestDecisionsGolden prints every policy's vote on each fixture trace.
func TestDecisionsGolden(t *testing.T) {
	cfg, err := Parse("policies.yaml", []byte(policiesYAML), "")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, tr := range fixtureTraces() {
		d := cfg.Decide(tr)
		b.WriteString(Explain(&d))
	}
	golden(t, "decisions.golden", b.String())
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func TestPrecedence(t *testing.T) {
	tr := fixtureTraces()
	for _, tc := range []struct {
		name, yaml string
		want       []Vote // per fixture trace
	}{
		{"drop beats sampled", `policies: [{name: a, type: always_sample}, {name: d, type: drop, drop: {drop_sub_policy: [{name: e, type: status_code, status_code: {status_codes: [ERROR]}}]}}]`,
			[]Vote{Dropped, Sampled, Sampled, Sampled}},
		{"invert is a plain vote", `policies: [{name: a, type: status_code, status_code: {status_codes: [OK]}}, {name: i, type: boolean_attribute, boolean_attribute: {key: key4, value: true, invert_match: true}}]`,
			[]Vote{Sampled, NotSampled, Sampled, Sampled}},
		{"nothing matches", `policies: [{name: c, type: span_count, span_count: {min_spans: 10}}]`,
			[]Vote{NotSampled, NotSampled, NotSampled, NotSampled}},
		// The Collector accepts and and drop without sub-policies: every
		// trace passes all of none.
		{"no policies keeps nothing", `policies: []`,
			[]Vote{NotSampled, NotSampled, NotSampled, NotSampled}},
		{"upper threshold below threshold matches nothing", `policies: [{name: l, type: latency, latency: {threshold_ms: 10, upper_threshold_ms: 5}}]`,
			[]Vote{NotSampled, NotSampled, NotSampled, NotSampled}},
		{"empty and samples all", `policies: [{name: a, type: and, and: {and_sub_policy: []}}]`,
			[]Vote{Sampled, Sampled, Sampled, Sampled}},
		{"empty drop drops all", `policies: [{name: a, type: always_sample}, {name: d, type: drop}]`,
			[]Vote{Dropped, Dropped, Dropped, Dropped}},
		{"percentage above 100 samples all", `policies: [{name: p, type: probabilistic, probabilistic: {sampling_percentage: 250}}]`,
			[]Vote{Sampled, Sampled, Sampled, Sampled}},
		{"negative percentage samples none", `policies: [{name: p, type: probabilistic, probabilistic: {sampling_percentage: -.inf}}]`,
			[]Vote{NotSampled, NotSampled, NotSampled, NotSampled}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("x.yaml", []byte(tc.yaml), "")
			if err != nil {
				t.Fatal(err)
			}
			for i, trace := range tr {
				if d := cfg.Decide(trace); d.Final != tc.want[i] {
					t.Errorf("trace %d: %s, want %s\n%s", i, d.Final, tc.want[i], Explain(&d))
				}
			}
		})
	}
}

func TestSampleOnFirstMatch(t *testing.T) {
	cfg, err := Parse("x.yaml", []byte(`{sample_on_first_match: true, policies: [{name: a, type: always_sample}, {name: b, type: always_sample}]}`), "")
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Decide(fixtureTraces()[0])
	if d.Policy != "a" || !d.Votes[1].Skipped {
		t.Errorf("got %s", Explain(&d))
	}
}

func TestTraceState(t *testing.T) {
	for _, tc := range []struct {
		ts, key, want string
		ok            bool
	}{
		{"key3=value1", "key3", "value1", true},
		{"a=1, key3=value2 ", "key3", "value2", true},
		{"a=1,,key3=v", "key3", "v", true},
		{"Key3=v", "key3", "", false},
		{"a=1,a=2,key3=v", "key3", "", false},
		{"t@s=1,key3=v", "key3", "v", true},
		{"key3", "key3", "", false},
		{"", "key3", "", false},
	} {
		got, ok := traceStateGet(tc.ts, tc.key)
		if got != tc.want || ok != tc.ok {
			t.Errorf("traceStateGet(%q, %q) = %q, %v; want %q, %v", tc.ts, tc.key, got, ok, tc.want, tc.ok)
		}
	}
}

// TestLatencyPrefixReason: the latency policy walks the spans in storage
// order and stops at the first window within bounds, as the Collector
// does; with an upper bound that window can be a prefix's, and the reason
// then states it (its spans, times and span count), not the whole trace.
func TestLatencyPrefixReason(t *testing.T) {
	ms := uint64(time.Millisecond)
	base := uint64(t0.UnixNano())
	span := func(id byte, from, to uint64) model.Span {
		return model.Span{TraceID: model.TraceID{9}, SpanID: model.SpanID{7: id}, StartTimeUnixNano: base + from*ms, EndTimeUnixNano: base + to*ms}
	}
	entry := func(svc string, spans ...model.Span) model.ResourceSpans {
		return model.ResourceSpans{Resource: model.Resource{Attributes: []model.Attribute{model.Str("service.name", svc)}},
			ScopeSpans: []model.ScopeSpans{{Spans: spans}}}
	}
	s1, s2, s3 := span(1, 0, 50), span(2, 0, 200), span(3, 0, 900)
	band := `policies: [{name: band, type: latency, latency: {threshold_ms: 100, upper_threshold_ms: 400}}]`
	for _, tc := range []struct {
		name, cfg string
		entries   []model.ResourceSpans
		want      Vote
		reason    string
	}{
		{"prefix meets the band", band, []model.ResourceSpans{entry("a", s1), entry("b", s2), entry("a", s3)}, Sampled,
			"window of the first 2 of 3 spans (to span 0000000000000002, in storage order) 200ms in (100ms, 400ms]: " +
				"2026-08-19T09:00:00Z to 2026-08-19T09:00:00.2Z; whole trace 900ms"},
		{"same spans, resources merged", band, []model.ResourceSpans{entry("a", s1, s3), entry("b", s2)}, NotSampled,
			"duration 900ms not in (100ms, 400ms]"},
		{"whole trace in the band", band, []model.ResourceSpans{entry("a", s1), entry("b", s2)}, Sampled,
			"duration 200ms in (100ms, 400ms]"},
		{"first span is the whole window", band, []model.ResourceSpans{entry("a", span(1, 0, 300)), entry("b", span(2, 10, 20))}, Sampled,
			"duration 300ms in (100ms, 400ms]"},
		{"no upper bound: the whole trace", `policies: [{name: slow, type: latency, latency: {threshold_ms: 100}}]`,
			[]model.ResourceSpans{entry("a", s1), entry("b", s2), entry("a", s3)}, Sampled, "duration 900ms > 100ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("x.yaml", []byte(tc.cfg), "")
			if err != nil {
				t.Fatal(err)
			}
			d := cfg.Decide(&model.Trace{TraceID: model.TraceID{9}, ResourceSpans: tc.entries})
			if d.Final != tc.want || d.Votes[0].Reason != tc.reason {
				t.Errorf("got %s: %s\nwant %s: %s", d.Final, d.Votes[0].Reason, tc.want, tc.reason)
			}
			if !strings.Contains(Explain(&d), tc.reason) {
				t.Errorf("explain does not state the reason:\n%s", Explain(&d))
			}
		})
	}
}
