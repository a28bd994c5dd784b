// Package tailsampling checks tracectl's sampler against the OpenTelemetry
// Collector's tail_sampling processor itself: the same traces go through
// both and the kept trace IDs must be identical. It is a separate module
// so the Collector's dependencies stay out of tracectl's go.mod.
//
// The processor is driven by Shutdown: every trace is sent whole (or, in
// split_test.go, in several resource-spans entries over several exports,
// in the order tracectl stored them), then Shutdown decides all pending
// traces on the data received, which is the complete trace — what sampler
// assumes. num_traces is raised so no trace
// is evicted, except in TestNumTracesEvictionMatchesCollector, which feeds
// the traces in tracectl's arrival order.
package tailsampling

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.yaml.in/yaml/v3"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/codec/input"
	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/sampler"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/store/storetest"
)

// sharedTraces decodes the real trace files of the shared fixtures (every
// file the input package can read) and Tempo's vParquet4 block.
func sharedTraces(t *testing.T) []*model.Trace {
	dir := fixtures.Root(t)
	var paths []string
	for _, sub := range []string{"jaeger/skills", "opentelemetry-proto", "opentelemetry-collector", "opentelemetry-collector-contrib/zipkin-v2", "zipkin", "nezha", "crisp"} {
		_ = filepath.WalkDir(filepath.Join(dir, sub), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".protobuf-bin")) {
				paths = append(paths, p)
			}
			return nil
		})
	}
	traces, err := input.DecodeTraces(context.Background(), paths, input.Options{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	bk, err := blocks.OpenBucket(ctx, "file://"+filepath.Join(dir, "tempo", "vparquet4-block"))
	if err == nil {
		defer bk.Close()
		if it, err := blocks.NewStore(bk, "single-tenant").Traces(ctx, store.Request{}); err == nil {
			if more, err := store.Collect(it); err == nil {
				traces = append(traces, more...)
			}
		}
	}
	// One trace per ID: the same trace can be in several files.
	seen := map[model.TraceID]bool{}
	out := traces[:0]
	for _, tr := range traces {
		if !seen[tr.TraceID] {
			seen[tr.TraceID] = true
			out = append(out, tr)
		}
	}
	if len(out) < 20 {
		t.Fatalf("only %d shared traces", len(out))
	}
	return out
}

// latencyEdges are the latency thresholds of the configs here (ms) and
// windows around each: exactly T, T plus just under 1ms (still T to the
// Collector, which compares whole milliseconds), 1ns short of T (T-1) and
// T+1ms.
var (
	latencyEdges = []uint64{100, 300, 400, 1000, 2000}
	latencyDelta = []int64{0, int64(time.Millisecond) - 1, -1, int64(time.Millisecond)}
)

// generated builds n traces whose attributes, statuses, durations, span
// counts and tracestates straddle every policy's edges. Every 7th trace
// has a 64-bit ID (the upper 8 bytes zero, as Zipkin and Jaeger 64-bit IDs
// are stored), which probabilistic sampling hashes like any other; every
// 5th trace's window (earliest start to latest end) is one of
// latencyEdges' thresholds exactly or just around it.
func generated(n int) []*model.Trace {
	r := rand.New(rand.NewPCG(7, 161))
	base := uint64(time.Date(2026, 8, 19, 9, 0, 0, 0, time.UTC).UnixNano())
	pick := func(vs ...model.Value) model.Value { return vs[r.IntN(len(vs))] }
	attrs := func() []model.Attribute {
		var as []model.Attribute
		if r.IntN(3) == 0 {
			// The numeric bounds of the configs (50, 100, 60, -5, 75, 100.5)
			// exactly and around them.
			as = append(as, model.Attribute{Key: "key1", Value: pick(model.IntValue(50), model.IntValue(100), model.IntValue(49), model.IntValue(101),
				model.IntValue(75), model.IntValue(0), model.IntValue(-5), model.StringValue("75"), model.DoubleValue(75.5),
				model.IntValue(60), model.IntValue(61), model.IntValue(-6), model.IntValue(76), model.DoubleValue(100.5))})
		}
		if r.IntN(3) == 0 {
			as = append(as, model.Attribute{Key: "key2", Value: pick(model.StringValue("value1"), model.StringValue("value2"), model.StringValue("value3"),
				model.StringValue(""), model.StringValue("prefix-value1"), model.IntValue(1))})
		}
		if r.IntN(4) == 0 {
			as = append(as, model.Attribute{Key: "key4", Value: pick(model.BoolValue(true), model.BoolValue(false), model.StringValue("true"))})
		}
		if r.IntN(4) == 0 {
			as = append(as, model.Attribute{Key: "http.url", Value: pick(model.StringValue("https://shop/api/cart"), model.StringValue("http://shop/healthz"),
				model.StringValue("https://shop/admin/users"), model.StringValue("/api/v2/items"))})
		}
		return as
	}
	states := []string{"", "key3=value1", "key3=value2", "a=1,key3=value1", "key3=value3", "Key3=value1", "key3=value1,key3=value2", "k=v, key3=value2"}
	out := make([]*model.Trace, n)
	for i := range out {
		var tid model.TraceID
		for j := range tid {
			tid[j] = byte(r.Uint32())
		}
		if i%7 == 3 {
			clear(tid[:8])
		}
		start := base + uint64(i)*uint64(time.Millisecond)
		nspans := 1 + r.IntN(8)
		nres := 1 + r.IntN(2)
		tr := &model.Trace{TraceID: tid}
		for ri := 0; ri < nres; ri++ {
			rs := model.ResourceSpans{Resource: model.Resource{Attributes: append([]model.Attribute{model.Str("service.name", fmt.Sprintf("svc-%d", ri))}, attrs()...)}}
			rs.ScopeSpans = []model.ScopeSpans{{Scope: model.Scope{Name: "gen"}}}
			tr.ResourceSpans = append(tr.ResourceSpans, rs)
		}
		for s := 0; s < nspans; s++ {
			var sid model.SpanID
			sid[0], sid[7] = byte(i), byte(s+1)
			off := uint64(r.IntN(3000)) * uint64(time.Millisecond) / 3
			dur := uint64(r.ExpFloat64() * float64(150*time.Millisecond))
			if r.IntN(50) == 0 {
				dur += uint64(6 * time.Second)
			}
			sp := model.Span{
				TraceID: tid, SpanID: sid, Name: fmt.Sprintf("op-%d", s%3),
				StartTimeUnixNano: start + off, EndTimeUnixNano: start + off + dur,
				Attributes: attrs(), TraceState: states[r.IntN(len(states))],
				Status: model.Status{Code: model.StatusCode(r.IntN(3))},
			}
			if r.IntN(3) > 0 {
				sp.Status.Code = model.StatusUnset
			}
			rs := &tr.ResourceSpans[r.IntN(nres)]
			rs.ScopeSpans[0].Spans = append(rs.ScopeSpans[0].Spans, sp)
		}
		if i%5 == 2 {
			k := i / 5
			w := latencyEdges[k%len(latencyEdges)]*uint64(time.Millisecond) + uint64(latencyDelta[k/len(latencyEdges)%len(latencyDelta)])
			clampWindow(tr, start, start+w)
		}
		keep := tr.ResourceSpans[:0]
		for _, rs := range tr.ResourceSpans {
			if len(rs.ScopeSpans[0].Spans) > 0 {
				keep = append(keep, rs)
			}
		}
		tr.ResourceSpans = keep
		out[i] = tr
	}
	return out
}

// clampWindow makes the window of tr exactly [from, to]: its first span
// (in storage order) spans it, the others are cut to fit inside.
func clampWindow(tr *model.Trace, from, to uint64) {
	first := true
	for ri := range tr.ResourceSpans {
		spans := tr.ResourceSpans[ri].ScopeSpans[0].Spans
		for si := range spans {
			sp := &spans[si]
			if first {
				sp.StartTimeUnixNano, sp.EndTimeUnixNano, first = from, to, false
				continue
			}
			sp.StartTimeUnixNano = min(max(sp.StartTimeUnixNano, from), to)
			sp.EndTimeUnixNano = min(max(sp.EndTimeUnixNano, sp.StartTimeUnixNano), to)
		}
	}
}

// collectorKept runs the real processor with the processor block cfgYAML
// over traces and returns the kept trace IDs, sorted. The table is made
// big enough that no trace is evicted.
func collectorKept(t *testing.T, cfgYAML string, traces []*model.Trace) []string {
	t.Helper()
	return collectorKeptTable(t, cfgYAML, traces, uint64(len(traces))+1)
}

// collectorKeptTable is collectorKept with num_traces numTraces: traces
// are fed in order and no tick decides anything before Shutdown, so the
// first len(traces) - numTraces are evicted undecided.
func collectorKeptTable(t *testing.T, cfgYAML string, traces []*model.Trace, numTraces uint64) []string {
	t.Helper()
	feed := make([]ptrace.Traces, len(traces))
	for i, tr := range traces {
		feed[i] = otlp.ToPdata([]*model.Trace{tr})
	}
	return runCollector(t, collectorConfig(t, cfgYAML, numTraces), feed)
}

// collectorConfig reads the processor block cfgYAML into the processor's
// own config, with num_traces numTraces and a decision_wait no test run
// reaches (Shutdown decides, never the ticker).
func collectorConfig(t *testing.T, cfgYAML string, numTraces uint64) *tailsamplingprocessor.Config {
	t.Helper()
	var raw map[string]any
	if err := yaml.Unmarshal([]byte(cfgYAML), &raw); err != nil {
		t.Fatal(err)
	}
	cfg := tailsamplingprocessor.NewFactory().CreateDefaultConfig().(*tailsamplingprocessor.Config)
	if err := confmap.NewFromStringMap(raw).Unmarshal(cfg); err != nil {
		t.Fatal(err)
	}
	cfg.NumTraces = numTraces
	cfg.DecisionWait = time.Hour
	return cfg
}

// runCollector runs the real processor configured by cfg, feeds it each
// export of feed in order (one ConsumeTraces each), shuts it down and
// returns the kept trace IDs, sorted.
func runCollector(t *testing.T, cfg *tailsamplingprocessor.Config, feed []ptrace.Traces) []string {
	t.Helper()
	f := tailsamplingprocessor.NewFactory()
	sink := new(consumertest.TracesSink)
	ctx := context.Background()
	p, err := f.CreateTraces(ctx, processortest.NewNopSettings(f.Type()), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx, componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	for _, td := range feed {
		if err := p.ConsumeTraces(ctx, td); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	kept := map[string]bool{}
	for _, td := range sink.AllTraces() {
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, sp := range ss.Spans().All() {
					id := sp.TraceID()
					kept[model.TraceID(id).String()] = true
				}
			}
		}
	}
	return sortedKeys(kept)
}

// tracectlKept decides the traces with sampler: each alone, or, when the
// config has limiters, all together on the simulated clock (as replay
// does) with a table that evicts nothing, as collectorKept's.
func tracectlKept(t *testing.T, cfgYAML string, traces []*model.Trace) ([]string, map[string]*sampler.Decision) {
	t.Helper()
	cfg, err := sampler.Parse("config.yaml", []byte(cfgYAML), "")
	if err != nil {
		t.Fatal(err)
	}
	kept := map[string]bool{}
	ds := map[string]*sampler.Decision{}
	if cfg.Stateful() {
		cfg.NumTraces = uint64(len(traces)) + 1
		_, err := sampler.Replay(context.Background(), storetest.New(traces), cfg, sampler.Options{OnDecision: func(_ *model.Trace, d *sampler.Decision) error {
			ds[d.TraceID.String()] = d
			if d.Kept() {
				kept[d.TraceID.String()] = true
			}
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		return sortedKeys(kept), ds
	}
	for _, tr := range traces {
		d := cfg.Decide(tr)
		ds[tr.TraceID.String()] = &d
		if d.Kept() {
			kept[tr.TraceID.String()] = true
		}
	}
	return sortedKeys(kept), ds
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// policyConfigs exercise each time-independent policy type, alone so no
// other policy masks it.
var policyConfigs = map[string]string{
	"always_sample":         `policies: [{name: p, type: always_sample}]`,
	"latency":               `policies: [{name: p, type: latency, latency: {threshold_ms: 300}}]`,
	"latency_upper":         `policies: [{name: p, type: latency, latency: {threshold_ms: 100, upper_threshold_ms: 400}}]`,
	"numeric_attribute":     `policies: [{name: p, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 50, max_value: 100}}]`,
	"numeric_min_only":      `policies: [{name: p, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 50}}]`,
	"numeric_zero_min":      `policies: [{name: p, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 0, max_value: 60}}]`,
	"numeric_invert":        `policies: [{name: p, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 50, max_value: 100, invert_match: true}}]`,
	"probabilistic":         `policies: [{name: p, type: probabilistic, probabilistic: {sampling_percentage: 10}}]`,
	"probabilistic_salt":    `policies: [{name: p, type: probabilistic, probabilistic: {hash_salt: custom-salt, sampling_percentage: 33.3}}]`,
	"status_code":           `policies: [{name: p, type: status_code, status_code: {status_codes: [ERROR]}}]`,
	"status_code_ok_unset":  `policies: [{name: p, type: status_code, status_code: {status_codes: [OK, UNSET]}}]`,
	"string_attribute":      `policies: [{name: p, type: string_attribute, string_attribute: {key: key2, values: [value1, value2, ""]}}]`,
	"string_regex":          `policies: [{name: p, type: string_attribute, string_attribute: {key: http.url, values: ["/admin/", "^https://.*/cart$"], enabled_regex_matching: true}}]`,
	"string_invert":         `policies: [{name: p, type: string_attribute, string_attribute: {key: http.url, values: [healthz], enabled_regex_matching: true, invert_match: true}}]`,
	"string_invert_exact":   `policies: [{name: p, type: string_attribute, string_attribute: {key: key2, values: [value1], invert_match: true}}]`,
	"span_count":            `policies: [{name: p, type: span_count, span_count: {min_spans: 2, max_spans: 5}}]`,
	"span_count_min":        `policies: [{name: p, type: span_count, span_count: {min_spans: 4}}]`,
	"trace_state":           `policies: [{name: p, type: trace_state, trace_state: {key: key3, values: [value1, value2]}}]`,
	"boolean_attribute":     `policies: [{name: p, type: boolean_attribute, boolean_attribute: {key: key4, value: true}}]`,
	"boolean_false":         `policies: [{name: p, type: boolean_attribute, boolean_attribute: {key: key4, value: false}}]`,
	"boolean_invert":        `policies: [{name: p, type: boolean_attribute, boolean_attribute: {key: key4, value: true, invert_match: true}}]`,
	"and":                   `policies: [{name: p, type: and, and: {and_sub_policy: [{name: a, type: status_code, status_code: {status_codes: [ERROR]}}, {name: b, type: span_count, span_count: {min_spans: 3}}]}}]`,
	"not":                   `policies: [{name: p, type: not, not: {not_sub_policy: {name: a, type: status_code, status_code: {status_codes: [UNSET]}}}}]`,
	"drop":                  `policies: [{name: keep, type: always_sample}, {name: d, type: drop, drop: {drop_sub_policy: [{name: h, type: string_attribute, string_attribute: {key: http.url, values: [healthz], enabled_regex_matching: true}}, {name: u, type: status_code, status_code: {status_codes: [UNSET, OK]}}]}}]`,
	"mixed_with_invert":     `policies: [{name: e, type: status_code, status_code: {status_codes: [ERROR]}}, {name: i, type: string_attribute, string_attribute: {key: key2, values: [value1], invert_match: true}}, {name: s, type: latency, latency: {threshold_ms: 2000}}]`,
	"sample_on_first_match": `{sample_on_first_match: true, policies: [{name: pr, type: probabilistic, probabilistic: {sampling_percentage: 20}}, {name: e, type: status_code, status_code: {status_codes: [ERROR]}}]}`,
	"ottl_span":             `policies: [{name: p, type: ottl_condition, ottl_condition: {error_mode: ignore, span: ['attributes["key2"] == "value1"', 'attributes["key1"] > 75']}}]`,
	"ottl_status_name":      `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['status.code == STATUS_CODE_ERROR and name != "op-1"']}}]`,
	"ottl_ismatch":          `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['IsMatch(attributes["http.url"], "^https://.*/(api|admin)/")']}}]`,
	"ottl_types":            `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['attributes["key1"] == "75" or attributes["key4"] == true or attributes["key1"] >= 100.5']}}]`,
	"ottl_nil_not":          `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['not (attributes["key2"] != nil) and resource.attributes["service.name"] == "svc-1"']}}]`,
	"ottl_kind_event":       `policies: [{name: p, type: ottl_condition, ottl_condition: {span: ['kind == SPAN_KIND_CLIENT and status.code != STATUS_CODE_UNSET'], spanevent: ['name == "exception"', 'IsMatch(attributes["exception.type"], "Error")']}}]`,
	// Numeric bounds: 0 means unset, so these are [-5, +inf], [-inf, 50]
	// and a single value.
	"numeric_negative_min": `policies: [{name: p, type: numeric_attribute, numeric_attribute: {key: key1, min_value: -5, max_value: 0}}]`,
	"numeric_max_only":     `policies: [{name: p, type: numeric_attribute, numeric_attribute: {key: key1, max_value: 50}}]`,
	"numeric_single":       `policies: [{name: p, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 100, max_value: 100, invert_match: true}}]`,
	// invert_match inside and/drop is a plain vote there too.
	"and_invert":  `policies: [{name: p, type: and, and: {and_sub_policy: [{name: a, type: string_attribute, string_attribute: {key: key2, values: [value1], invert_match: true}}, {name: b, type: boolean_attribute, boolean_attribute: {key: key4, value: true, invert_match: true}}]}}]`,
	"drop_invert": `policies: [{name: keep, type: always_sample}, {name: d, type: drop, drop: {drop_sub_policy: [{name: a, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 50, max_value: 100, invert_match: true}}]}}]`,
	// not inside and and drop (AndSubPolicyCfg allows it).
	"and_not":  `policies: [{name: p, type: and, and: {and_sub_policy: [{name: n, type: not, not: {not_sub_policy: {name: e, type: status_code, status_code: {status_codes: [ERROR]}}}}, {name: c, type: span_count, span_count: {min_spans: 3}}]}}]`,
	"drop_not": `policies: [{name: keep, type: always_sample}, {name: d, type: drop, drop: {drop_sub_policy: [{name: n, type: not, not: {not_sub_policy: {name: t, type: trace_state, trace_state: {key: key3, values: [value1]}}}}]}}]`,
	// Precedence: drop policies move to the front, so a drop beats an
	// earlier always_sample even with sample_on_first_match; an and that
	// fails does not stop later policies.
	"precedence":          `{sample_on_first_match: true, policies: [{name: all, type: always_sample}, {name: a, type: and, and: {and_sub_policy: [{name: e, type: status_code, status_code: {status_codes: [ERROR]}}, {name: s, type: span_count, span_count: {min_spans: 4}}]}}, {name: d, type: drop, drop: {drop_sub_policy: [{name: v, type: string_attribute, string_attribute: {key: key2, values: [value2]}}]}}]}`,
	"precedence_and_drop": `policies: [{name: a, type: and, and: {and_sub_policy: [{name: e, type: status_code, status_code: {status_codes: [ERROR, OK]}}, {name: n, type: not, not: {not_sub_policy: {name: b, type: boolean_attribute, boolean_attribute: {key: key4, value: true}}}}]}}, {name: d, type: drop, drop: {drop_sub_policy: [{name: l, type: latency, latency: {threshold_ms: 1000}}, {name: e2, type: status_code, status_code: {status_codes: [ERROR]}}]}}]`,
	// Limiters inside and/not/drop/composite with budgets no run can
	// spend, so the outcome does not depend on the clock: they always
	// pass (and not of one never does).
	"limiters_inside":   `policies: [{name: a, type: and, and: {and_sub_policy: [{name: e, type: status_code, status_code: {status_codes: [ERROR]}}, {name: r, type: rate_limiting, rate_limiting: {spans_per_second: 1000000000}}]}}, {name: n, type: not, not: {not_sub_policy: {name: b, type: bytes_limiting, bytes_limiting: {bytes_per_second: 1000000000000}}}}, {name: d, type: drop, drop: {drop_sub_policy: [{name: h, type: string_attribute, string_attribute: {key: http.url, values: [healthz], enabled_regex_matching: true}}, {name: r2, type: rate_limiting, rate_limiting: {spans_per_second: 1000000000}}]}}]`,
	"composite_and_not": `policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 1000000000, composite_sub_policy: [{name: a, type: and, and: {and_sub_policy: [{name: n, type: not, not: {not_sub_policy: {name: e, type: status_code, status_code: {status_codes: [ERROR]}}}}, {name: s, type: span_count, span_count: {min_spans: 5}}]}}, {name: r, type: rate_limiting, rate_limiting: {spans_per_second: 1000000000}}, {name: k, type: string_attribute, string_attribute: {key: key2, values: [value3]}}]}}]`,
}

// exampleConfigs are the Collector's own example config
// (tail_sampling_config.yaml): without the clock-dependent policies
// (rate_limiting, composite), with and without always_sample (which keeps
// everything and hides the rest), and with them (always_sample keeps
// everything).
func exampleConfigs(t *testing.T) map[string]string {
	data, err := os.ReadFile(filepath.Join(fixtures.Root(t), "opentelemetry-collector-contrib", "tailsampling", "tail_sampling_config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	block := doc["tail_sampling"]
	out := map[string]string{}
	for name, skip := range map[string][]string{
		"example":                {"rate_limiting", "composite"},
		"example_without_always": {"rate_limiting", "composite", "always_sample"},
		// With always_sample every trace is kept whatever the clock, so the
		// stateful policies can stay in.
		"example_stateful": {},
	} {
		var pols []any
		for _, p := range block["policies"].([]any) {
			if !slices.Contains(skip, p.(map[string]any)["type"].(string)) {
				pols = append(pols, p)
			}
		}
		b := map[string]any{}
		for k, v := range block {
			b[k] = v
		}
		b["policies"] = pols
		y, err := yaml.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = string(y)
	}
	return out
}

func TestKeptTraceIDsMatchCollector(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	sets := map[string][]*model.Trace{
		"shared":    sharedTraces(t),
		"generated": generated(n),
	}
	configs := exampleConfigs(t)
	for k, v := range policyConfigs {
		configs[k] = v
	}
	for k, v := range yamlConfigs {
		configs[k] = v
	}
	var names []string
	for k := range configs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, set := range []string{"shared", "generated"} {
		traces := sets[set]
		for _, name := range names {
			t.Run(set+"/"+name, func(t *testing.T) {
				want := collectorKept(t, configs[name], traces)
				got, ds := tracectlKept(t, configs[name], traces)
				if slices.Equal(got, want) {
					t.Logf("%d of %d traces kept by both", len(got), len(traces))
					return
				}
				onlyC, onlyT := diff(want, got)
				t.Errorf("kept trace IDs differ: collector %d, tracectl %d of %d; only collector %d, only tracectl %d",
					len(want), len(got), len(traces), len(onlyC), len(onlyT))
				for _, id := range append(onlyC[:min(3, len(onlyC))], onlyT[:min(3, len(onlyT))]...) {
					t.Logf("%s", sampler.Explain(ds[id]))
				}
			})
		}
	}
}

// TestNumTracesEvictionMatchesCollector feeds the traces to the
// Collector in tracectl's arrival order (first span end, then trace ID)
// with a num_traces table smaller than the set and a decision_wait no test
// run reaches, so every decision happens at Shutdown and a trace survives
// only if fewer than num_traces traces arrived after it. tracectl replays
// the same traces with a decision_wait longer than their time spread: the
// same traces must be kept, which checks which trace a new arrival evicts
// (the oldest), that an evicted trace is lost, and num_traces 0.
func TestNumTracesEvictionMatchesCollector(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 500
	}
	sets := map[string][]*model.Trace{"shared": sharedTraces(t), "generated": generated(n)}
	configs := map[string]string{
		"always_sample": policyConfigs["always_sample"],
		"status_code":   policyConfigs["status_code"],
		"and_not":       policyConfigs["and_not"],
	}
	for _, set := range []string{"shared", "generated"} {
		traces := slices.Clone(sets[set])
		sort.SliceStable(traces, func(i, j int) bool {
			a, b := sampler.Arrival(traces[i]), sampler.Arrival(traces[j])
			if !a.Equal(b) {
				return a.Before(b)
			}
			return traces[i].TraceID.String() < traces[j].TraceID.String()
		})
		for name, cfgYAML := range configs {
			for _, table := range []uint64{0, 1, 7, uint64(len(traces) / 3), uint64(len(traces) - 1)} {
				t.Run(fmt.Sprintf("%s/%s/num_traces=%d", set, name, table), func(t *testing.T) {
					want := collectorKeptTable(t, cfgYAML, traces, table)
					var raw map[string]any
					if err := yaml.Unmarshal([]byte(cfgYAML), &raw); err != nil {
						t.Fatal(err)
					}
					raw["num_traces"] = table
					raw["decision_wait"] = "1000000h"
					y, err := yaml.Marshal(raw)
					if err != nil {
						t.Fatal(err)
					}
					cfg, err := sampler.Parse("config.yaml", y, "")
					if err != nil {
						t.Fatal(err)
					}
					kept := map[string]bool{}
					rep, err := sampler.Replay(context.Background(), storetest.New(traces), cfg, sampler.Options{OnDecision: func(_ *model.Trace, d *sampler.Decision) error {
						if d.Kept() {
							kept[d.TraceID.String()] = true
						}
						return nil
					}})
					if err != nil {
						t.Fatal(err)
					}
					if wantEvicted := int64(len(traces)) - int64(max(table, 1)); rep.EvictedTraces != wantEvicted {
						t.Errorf("tracectl evicted %d traces, want %d", rep.EvictedTraces, wantEvicted)
					}
					got := sortedKeys(kept)
					if !slices.Equal(got, want) {
						onlyC, onlyT := diff(want, got)
						t.Errorf("kept trace IDs differ: collector %d, tracectl %d; only collector %v, only tracectl %v",
							len(want), len(got), onlyC[:min(3, len(onlyC))], onlyT[:min(3, len(onlyT))])
					}
					t.Logf("%d of %d traces kept by both, %d evicted", len(got), len(traces), rep.EvictedTraces)
				})
			}
		}
	}
}

func diff(a, b []string) (onlyA, onlyB []string) {
	inB := map[string]bool{}
	for _, x := range b {
		inB[x] = true
	}
	inA := map[string]bool{}
	for _, x := range a {
		inA[x] = true
		if !inB[x] {
			onlyA = append(onlyA, x)
		}
	}
	for _, x := range b {
		if !inA[x] {
			onlyB = append(onlyB, x)
		}
	}
	return
}

// TestGeneratedCorpusHasEdges checks that generated() holds what the
// agreement tests rely on: 64-bit trace IDs, some kept and some not by
// each probabilistic config; windows of exactly each latency threshold
// (and around it); numeric values equal to each config's bounds.
func TestGeneratedCorpusHasEdges(t *testing.T) {
	traces := generated(1000)
	short := map[model.TraceID]bool{}
	windows := map[uint64]int{}
	values := map[string]int{}
	for _, tr := range traces {
		var zero [8]byte
		if [8]byte(tr.TraceID[:8]) == zero {
			short[tr.TraceID] = true
		}
		start, end := tr.TimeRange()
		windows[end-start]++
		for _, rs := range tr.ResourceSpans {
			for _, a := range rs.Resource.Attributes {
				if a.Key == "key1" {
					values[a.Value.AsString()]++
				}
			}
			for _, sp := range rs.ScopeSpans[0].Spans {
				for _, a := range sp.Attributes {
					if a.Key == "key1" {
						values[a.Value.AsString()]++
					}
				}
			}
		}
	}
	if len(short) < len(traces)/8 {
		t.Errorf("%d of %d trace IDs are 64-bit, want about 1 in 7", len(short), len(traces))
	}
	for _, name := range []string{"probabilistic", "probabilistic_salt", "sample_on_first_match"} {
		kept, _ := tracectlKept(t, policyConfigs[name], traces)
		n := 0
		for _, id := range kept {
			if tid, err := model.ParseTraceID(id); err == nil && short[tid] {
				n++
			}
		}
		if n == 0 || n == len(short) {
			t.Errorf("%s keeps %d of the %d 64-bit IDs: want some kept and some not", name, n, len(short))
		}
	}
	for _, ms := range latencyEdges {
		for _, d := range latencyDelta {
			if w := uint64(int64(ms*uint64(time.Millisecond)) + d); windows[w] == 0 {
				t.Errorf("no trace has a window of exactly %v", time.Duration(w))
			}
		}
	}
	for _, v := range []string{"50", "100", "60", "-5", "75", "100.5"} {
		if values[v] == 0 {
			t.Errorf("no key1 = %s", v)
		}
	}
}
