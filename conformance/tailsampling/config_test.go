package tailsampling

import (
	"context"
	"fmt"
	"slices"
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

	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/sampler"
)

// yamlConfigs are written with anchors, aliases and merge keys: the
// Collector decodes them into maps (yaml.v3), tracectl expands them
// itself; TestKeptTraceIDsMatchCollector runs them with the others.
var yamlConfigs = map[string]string{
	// A policy anchored at first use and reused as a sub-policy of and,
	// drop and not; a sub-policy list and a status code list aliased.
	"yaml_anchors": `
policies:
  - &errors {name: errors, type: status_code, status_code: {status_codes: &codes [ERROR]}}
  - name: errors-and-long
    type: and
    and:
      and_sub_policy: &error-subs
        - *errors
        - &long {name: long, type: span_count, span_count: {min_spans: 4}}
  - name: not-long
    type: not
    not: {not_sub_policy: *long}
  - name: drop-errors-and-long
    type: drop
    drop: {drop_sub_policy: *error-subs}
  - name: ok-codes
    type: status_code
    status_code: {status_codes: *codes}
`,
	// Merge keys: a policy merged and renamed with a field overridden, a
	// list of mappings where the first to have a key wins, a merged body,
	// and processor settings merged from an anchored mapping.
	"yaml_merge_keys": `
<<: &settings {sample_on_first_match: true, decision_wait: 2s}
policies:
  - &attr {name: attr, type: string_attribute, string_attribute: &sa {key: key2, values: [value1]}}
  - <<: *attr
    name: attr-invert
    string_attribute: {<<: *sa, invert_match: true, values: [value2]}
  - <<: [{name: pct, type: probabilistic, probabilistic: {sampling_percentage: 30}}, *attr]
  - <<: [*attr, {name: bool, type: boolean_attribute, boolean_attribute: {key: key4, value: true}}]
    name: attr-again
`,
}

// verdict is what loading a config does.
type verdict string

const (
	accepted verdict = "accepted"
	rejected verdict = "rejected"
	panics   verdict = "panics" // while loading
	// crashes: loads, then the first decision dereferences a nil policy
	// evaluator in the processor's goroutine, which kills the process
	// (seen once; the test loads it without deciding anything).
	crashes verdict = "crashes"
)

// collectorLoad loads the processor block cfgYAML as the Collector does:
// decode the YAML into maps, unmarshal them into the processor's Config,
// create the processor (which validates the config) and start it (which
// builds the policies); then it decides tr (unless nil) and shuts down. A
// panic in this goroutine is recovered and reported.
func collectorLoad(cfgYAML string, tr *model.Trace) (v verdict, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = panics, fmt.Errorf("panic: %v", r)
		}
	}()
	var raw map[string]any
	if err := yaml.Unmarshal([]byte(cfgYAML), &raw); err != nil {
		return rejected, err
	}
	f := tailsamplingprocessor.NewFactory()
	cfg := f.CreateDefaultConfig().(*tailsamplingprocessor.Config)
	if err := confmap.NewFromStringMap(raw).Unmarshal(cfg); err != nil {
		return rejected, err
	}
	ctx := context.Background()
	p, err := f.CreateTraces(ctx, processortest.NewNopSettings(f.Type()), cfg, new(consumertest.TracesSink))
	if err != nil {
		return rejected, err
	}
	if err := p.Start(ctx, componenttest.NewNopHost()); err != nil {
		return rejected, err
	}
	if tr != nil {
		if err := p.ConsumeTraces(ctx, otlp.ToPdata([]*model.Trace{tr})); err != nil {
			return rejected, err
		}
	}
	return accepted, p.Shutdown(ctx)
}

// settings are the processor settings the simulated clock reads.
type settings struct {
	DecisionWait               time.Duration
	NumTraces                  uint64
	SampleOnFirstMatch         bool
	BlockOnOverflow            bool
	SampledCache, NotSampCache int64
}

func settingsOf(c *sampler.Config) settings {
	return settings{c.DecisionWait, c.NumTraces, c.SampleOnFirstMatch, c.BlockOnOverflow, c.SampledCacheSize, c.NonSampledCacheSize}
}

// collectorSettings decodes cfgYAML into the processor's Config.
func collectorSettings(t *testing.T, cfgYAML string) settings {
	t.Helper()
	var raw map[string]any
	if err := yaml.Unmarshal([]byte(cfgYAML), &raw); err != nil {
		t.Fatal(err)
	}
	c := tailsamplingprocessor.NewFactory().CreateDefaultConfig().(*tailsamplingprocessor.Config)
	if err := confmap.NewFromStringMap(raw).Unmarshal(c); err != nil {
		t.Fatal(err)
	}
	return settings{c.DecisionWait, c.NumTraces, c.SampleOnFirstMatch, c.BlockOnOverflow,
		int64(c.DecisionCache.SampledCacheSize), int64(c.DecisionCache.NonSampledCacheSize)}
}

// TestConfigAcceptedLikeCollector loads each config into the real
// processor and into tracectl's sampler: the Collector must do what the
// case says (so the case records its behaviour), tracectl must accept
// exactly the configs the Collector accepts and refuse the others, and
// on those it accepts both must keep the same traces.
func TestConfigAcceptedLikeCollector(t *testing.T) {
	traces := generated(500)
	for _, tc := range []struct {
		name, yaml string
		want       verdict
	}{
		// and and drop without sub-policies: all of none match.
		{"and_empty_list", `policies: [{name: a, type: and, and: {and_sub_policy: []}}]`, accepted},
		{"and_without_list", `policies: [{name: a, type: and, and: {}}]`, accepted},
		{"and_without_body", `policies: [{name: a, type: and}, {name: e, type: status_code, status_code: {status_codes: [ERROR]}}]`, accepted},
		{"drop_empty_list", `policies: [{name: all, type: always_sample}, {name: d, type: drop, drop: {drop_sub_policy: []}}]`, accepted},
		{"drop_without_body", `policies: [{name: all, type: always_sample}, {name: d, type: drop}]`, accepted},
		{"and_sub_policy_not_a_list", `policies: [{name: a, type: and, and: {and_sub_policy: x}}]`, rejected},
		// Percentages outside 0–100 clamp; NaN panics in big.NewFloat.
		{"percentage_150", `policies: [{name: p, type: probabilistic, probabilistic: {sampling_percentage: 150}}]`, accepted},
		{"percentage_negative", `policies: [{name: p, type: probabilistic, probabilistic: {sampling_percentage: -5}}]`, accepted},
		{"percentage_inf", `policies: [{name: p, type: probabilistic, probabilistic: {sampling_percentage: .inf}}]`, accepted},
		{"percentage_minus_inf", `policies: [{name: p, type: probabilistic, probabilistic: {sampling_percentage: -.inf}}]`, accepted},
		{"percentage_nan", `policies: [{name: p, type: probabilistic, probabilistic: {sampling_percentage: .nan}}]`, panics},
		// tail_storage needs a feature gate, off by default.
		{"tail_storage", `{tail_storage: file_storage/ts, policies: [{name: a, type: always_sample}]}`, rejected},
		{"tail_storage_empty", `{tail_storage: "", policies: [{name: a, type: always_sample}]}`, rejected},
		{"tail_storage_null", `{tail_storage: null, policies: [{name: a, type: always_sample}]}`, accepted},
		// No policies, bounds that match nothing, missing keys.
		{"no_policies", `{decision_wait: 1s}`, accepted},
		{"empty_policies", `policies: []`, accepted},
		{"latency_upper_below", `policies: [{name: l, type: latency, latency: {threshold_ms: 300, upper_threshold_ms: 100}}]`, accepted},
		{"latency_negative", `policies: [{name: l, type: latency, latency: {threshold_ms: -10}}]`, accepted},
		{"numeric_min_above_max", `policies: [{name: n, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 100, max_value: 50}}]`, accepted},
		{"numeric_without_key", `policies: [{name: n, type: numeric_attribute, numeric_attribute: {min_value: 1, invert_match: true}}]`, accepted},
		{"string_without_key", `policies: [{name: s, type: string_attribute, string_attribute: {values: [value1]}}]`, accepted},
		// Starts, then has no evaluator for the first trace.
		{"numeric_without_bounds", `policies: [{name: n, type: numeric_attribute, numeric_attribute: {key: key1}}]`, crashes},
		// Refused by both.
		{"status_codes_empty", `policies: [{name: s, type: status_code, status_code: {status_codes: []}}]`, rejected},
		{"ottl_without_conditions", `policies: [{name: o, type: ottl_condition}]`, rejected},
		{"bad_regex", `policies: [{name: s, type: string_attribute, string_attribute: {key: k, values: ["("], enabled_regex_matching: true}}]`, rejected},
		{"not_without_sub_policy", `policies: [{name: n, type: not}]`, rejected},
		{"drop_inside_and", `policies: [{name: a, type: and, and: {and_sub_policy: [{name: d, type: drop}]}}]`, rejected},
		{"duplicate_name", `policies: [{name: a, type: always_sample}, {name: a, type: always_sample}]`, rejected},
		{"no_name", `policies: [{type: always_sample}]`, rejected},
		{"unknown_field", `policies: [{name: l, type: latency, latency: {treshold_ms: 5}}]`, rejected},
		{"span_count_max_below_min", `policies: [{name: s, type: span_count, span_count: {min_spans: 5, max_spans: 2}}]`, accepted},
		// int32 fields keep the low 32 bits: 2^32+3 is 3, 2^31 is -2^31.
		{"span_count_over_32_bits", `policies: [{name: s, type: span_count, span_count: {min_spans: 4294967299}}]`, accepted},
		{"span_count_wraps_negative", `policies: [{name: s, type: span_count, span_count: {min_spans: 2147483648, max_spans: 4}}]`, accepted},
		// YAML: anchors and merge keys resolve; what yaml.v3 refuses.
		{"merge_key_policy", "policies:\n  - &p {name: a, type: span_count, span_count: {min_spans: 3}}\n  - {<<: *p, name: b, span_count: {min_spans: 6}}\n", accepted},
		{"merge_key_list", "policies:\n  - &p {name: a, type: always_sample}\n  - {<<: [{name: b, type: latency, latency: {threshold_ms: 300}}, *p]}\n", accepted},
		{"merge_key_processor", "<<: &s {decision_wait: 3s, sample_on_first_match: true}\npolicies: [{name: a, type: always_sample}]\n", accepted},
		{"merge_key_repeated", "policies: [{name: a, type: always_sample}]\n<<: {decision_wait: 1s}\n<<: {num_traces: 1}\n", rejected},
		{"merge_key_not_a_mapping", "policies: [{<<: [x], name: a, type: always_sample}]\n", rejected},
		{"alias_inside_itself", "policies: &x\n  - {name: a, type: and, and: {and_sub_policy: *x}}\n", rejected},
		{"repeated_key", "policies: [{name: a, type: always_sample, name: b}]\n", rejected},
		// Limiters with rates of 0 or less: x/time/rate never refills such
		// a bucket, so it passes its burst_capacity once, and nothing
		// without one (the default burst, twice the rate, is not above 0).
		// Budgets here are all or nothing, so the clock does not matter.
		{"rate_zero", `policies: [{name: r, type: rate_limiting, rate_limiting: {spans_per_second: 0}}]`, accepted},
		{"rate_negative", `policies: [{name: r, type: rate_limiting, rate_limiting: {spans_per_second: -5}}]`, accepted},
		{"rate_without_body", `policies: [{name: r, type: rate_limiting}, {name: e, type: status_code, status_code: {status_codes: [ERROR]}}]`, accepted},
		{"rate_zero_burst", `policies: [{name: r, type: rate_limiting, rate_limiting: {spans_per_second: 0, burst_capacity: 1000000000}}]`, accepted},
		{"rate_negative_burst", `policies: [{name: r, type: rate_limiting, rate_limiting: {spans_per_second: -3, burst_capacity: 1000000000}}]`, accepted},
		{"rate_burst_negative", `policies: [{name: r, type: rate_limiting, rate_limiting: {spans_per_second: 1000000000, burst_capacity: -7}}]`, accepted},
		// 0.9 truncates to 0 (and its default burst to 0): nothing passes.
		{"rate_fraction", `policies: [{name: r, type: rate_limiting, rate_limiting: {spans_per_second: 0.9}}]`, accepted},
		{"rate_in_and", `policies: [{name: a, type: and, and: {and_sub_policy: [{name: e, type: status_code, status_code: {status_codes: [ERROR]}}, {name: r, type: rate_limiting, rate_limiting: {spans_per_second: 0}}]}}, {name: n, type: not, not: {not_sub_policy: {name: r, type: rate_limiting}}}]`, accepted},
		{"bytes_zero", `policies: [{name: b, type: bytes_limiting, bytes_limiting: {bytes_per_second: 0}}]`, accepted},
		{"bytes_negative", `policies: [{name: b, type: bytes_limiting, bytes_limiting: {bytes_per_second: -1}}]`, accepted},
		{"bytes_zero_burst", `policies: [{name: b, type: bytes_limiting, bytes_limiting: {burst_capacity: 1000000000000}}]`, accepted},
		{"bytes_negative_burst_negative", `policies: [{name: b, type: bytes_limiting, bytes_limiting: {bytes_per_second: -1, burst_capacity: -1}}, {name: s, type: span_count, span_count: {min_spans: 4}}]`, accepted},
		// composite: a total of 0 or less passes nothing, nor do no
		// sub-policies; rate_allocation entries naming nobody are ignored,
		// percentages above 100 are capped by the total, below 1 give the
		// equal share, and need not add up to 100.
		{"composite_zero", `policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 0, composite_sub_policy: [{name: a, type: always_sample}]}}]`, accepted},
		{"composite_negative", `policies: [{name: c, type: composite, composite: {max_total_spans_per_second: -10, composite_sub_policy: [{name: a, type: always_sample}], rate_allocation: [{policy: a, percent: 50}]}}]`, accepted},
		{"composite_without_subs", `policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 100}}]`, accepted},
		{"composite_empty_subs", `policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 100, composite_sub_policy: []}}]`, accepted},
		{"composite_without_body", `policies: [{name: c, type: composite}, {name: e, type: status_code, status_code: {status_codes: [ERROR]}}]`, accepted},
		{"composite_subs_not_a_list", `policies: [{name: c, type: composite, composite: {composite_sub_policy: x}}]`, rejected},
		{"composite_alloc_unknown", `policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 1000000000, composite_sub_policy: [{name: a, type: always_sample}], rate_allocation: [{policy: nope, percent: 50}]}}]`, accepted},
		{"composite_alloc_over_100", `policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 1000000000, composite_sub_policy: [{name: a, type: status_code, status_code: {status_codes: [ERROR]}}, {name: b, type: always_sample}], rate_allocation: [{policy: a, percent: 150}, {policy: b, percent: 80}]}}]`, accepted},
		{"composite_alloc_negative", `policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 1000000000, composite_sub_policy: [{name: a, type: always_sample}], rate_allocation: [{policy: a, percent: -10}]}}]`, accepted},
		// 1% of 99 truncates to 0 spans: a never samples, b is not asked.
		{"composite_alloc_truncated", `policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 99, composite_sub_policy: [{name: a, type: always_sample}, {name: b, type: always_sample}], rate_allocation: [{policy: a, percent: 1}]}}]`, accepted},
		// Only top-level policies need a (unique) name.
		{"sub_without_name_and", `policies: [{name: a, type: and, and: {and_sub_policy: [{type: status_code, status_code: {status_codes: [ERROR]}}]}}]`, accepted},
		{"sub_without_name_not", `policies: [{name: n, type: not, not: {not_sub_policy: {type: status_code, status_code: {status_codes: [ERROR]}}}}]`, accepted},
		{"sub_without_name_composite", `policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 1000000000, composite_sub_policy: [{type: always_sample}]}}]`, accepted},
		{"sub_names_repeated", `policies: [{name: a, type: and, and: {and_sub_policy: [{name: x, type: status_code, status_code: {status_codes: [ERROR]}}, {name: x, type: span_count, span_count: {min_spans: 2}}]}}]`, accepted},
		// OTTL reads error_mode in any case; null and "" are unknown modes.
		{"error_mode_upper", `policies: [{name: o, type: ottl_condition, ottl_condition: {error_mode: PROPAGATE, span: ['attributes["key2"] == "value1"']}}]`, accepted},
		{"error_mode_null", `policies: [{name: o, type: ottl_condition, ottl_condition: {error_mode: null, span: ['attributes["key2"] == "value1"']}}]`, rejected},
		{"error_mode_empty", `policies: [{name: o, type: ottl_condition, ottl_condition: {error_mode: "", span: ['attributes["key2"] == "value1"']}}]`, rejected},
		// Unsigned fields refuse negative numbers and keep the low bits of
		// big ones; num_shards is at most 256 (and 0 means 1).
		{"num_traces_negative", `{num_traces: -1, policies: [{name: a, type: always_sample}]}`, rejected},
		{"expected_new_traces_negative", `{expected_new_traces_per_sec: -1, policies: [{name: a, type: always_sample}]}`, rejected},
		{"maximum_trace_size_negative", `{maximum_trace_size_bytes: -1, policies: [{name: a, type: always_sample}]}`, rejected},
		{"num_shards_negative", `{num_shards: -1, policies: [{name: a, type: always_sample}]}`, rejected},
		{"num_shards_zero", `{num_shards: 0, policies: [{name: a, type: always_sample}]}`, accepted},
		{"num_shards_257", `{num_shards: 257, policies: [{name: a, type: always_sample}]}`, rejected},
		{"num_shards_wraps_to_1", `{num_shards: 4294967297, policies: [{name: a, type: always_sample}]}`, accepted},
		// Bounds the Collector does not check either.
		{"decision_cache_negative", `{decision_cache: {sampled_cache_size: -1, non_sampled_cache_size: -5}, policies: [{name: a, type: always_sample}]}`, accepted},
		{"cache_max_size_negative", `policies: [{name: s, type: string_attribute, string_attribute: {key: http.url, values: [healthz], enabled_regex_matching: true, cache_max_size: -1}}]`, accepted},
		{"decision_wait_negative", `{decision_wait: -5s, policies: [{name: a, type: always_sample}]}`, accepted},
		{"latency_fraction", `policies: [{name: l, type: latency, latency: {threshold_ms: 300.7}}]`, accepted},
		{"latency_exponent", `policies: [{name: l, type: latency, latency: {threshold_ms: 3e2}}]`, accepted},
		// Policy keys the Collector's policy struct does not have go to a
		// policy extension's config (a mapping), which it then ignores;
		// always_sample has no body of its own, so its block is one too.
		// Bodies of other types are decoded (strictly) but not used.
		{"extension_key", `policies: [{name: a, type: status_code, status_code: {status_codes: [ERROR]}, foo: {x: 1}, bar: null}]`, accepted},
		{"extension_key_scalar", `policies: [{name: a, type: always_sample, foo: 1}]`, rejected},
		{"extension_key_list", `policies: [{name: a, type: always_sample, foo: [1]}]`, rejected},
		{"always_sample_body", `policies: [{name: a, type: always_sample, always_sample: {anything: 1}}]`, accepted},
		{"latency_typo", `policies: [{name: l, type: latency, latancy: {threshold_ms: 5000}}]`, accepted},
		{"composite_key_in_and_sub", `policies: [{name: a, type: and, and: {and_sub_policy: [{name: x, type: status_code, status_code: {status_codes: [ERROR]}, composite: {bogus: 1}}]}}]`, accepted},
		{"and_key_in_not_sub", `policies: [{name: n, type: not, not: {not_sub_policy: {name: x, type: status_code, status_code: {status_codes: [ERROR]}, and: {bogus: 1}}}}]`, accepted},
		{"other_type_body", `policies: [{name: a, type: status_code, status_code: {status_codes: [ERROR]}, latency: {threshold_ms: 5}, string_attribute: {values: ["("], enabled_regex_matching: true}, numeric_attribute: {key: k}, ottl_condition: {span: ['Len(name) > 1']}}]`, accepted},
		{"other_type_body_unknown_field", `policies: [{name: a, type: status_code, status_code: {status_codes: [ERROR]}, latency: {bogus: 5}}]`, rejected},
		{"other_type_body_bad_value", `policies: [{name: a, type: status_code, status_code: {status_codes: [ERROR]}, span_count: {min_spans: x}}]`, rejected},
		{"other_type_body_bad_error_mode", `policies: [{name: a, type: status_code, status_code: {status_codes: [ERROR]}, ottl_condition: {error_mode: loud}}]`, rejected},
		{"other_type_body_status_codes", `policies: [{name: a, type: always_sample, status_code: {status_codes: [WRONG]}}]`, accepted},
		{"other_type_and_body", `policies: [{name: a, type: always_sample, and: {and_sub_policy: [{type: drop, latency: {threshold_ms: 1}}, null]}, not: {not_sub_policy: null}}]`, accepted},
		{"other_type_and_body_bad", `policies: [{name: a, type: always_sample, and: {and_sub_policy: [{name: x, type: latency, latency: {bogus: 1}}]}}]`, rejected},
		// null is the zero value: no body, an empty list, a zero duration.
		{"body_null", `policies: [{name: l, type: latency, latency: null}]`, accepted},
		{"values_null", `policies: [{name: s, type: string_attribute, string_attribute: {key: key2, values: null}}]`, accepted},
		{"rate_allocation_null", `policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 1000000000, composite_sub_policy: [{name: a, type: always_sample}], rate_allocation: null, policy_order: null}}]`, accepted},
		{"span_null", `policies: [{name: o, type: ottl_condition, ottl_condition: {span: null, spanevent: ['name == "exception"']}}]`, accepted},
		{"status_codes_null", `policies: [{name: s, type: status_code, status_code: {status_codes: null}}]`, rejected},
		{"not_sub_policy_null", `policies: [{name: n, type: not, not: {not_sub_policy: null}}]`, rejected},
		{"decision_wait_null", `{decision_wait: null, policies: [{name: a, type: always_sample}]}`, accepted},
		{"sampling_strategy_null", `{sampling_strategy: null, policies: [{name: a, type: always_sample}]}`, rejected},
		{"decision_cache_null", `{decision_cache: null, num_traces: null, policies: [{name: a, type: always_sample}]}`, accepted},
		{"policy_null", `policies: [null]`, rejected},
		// Numbers: a quoted one is a string, not a number; a bare number
		// is a duration in nanoseconds, a fraction truncated.
		{"threshold_quoted", `policies: [{name: l, type: latency, latency: {threshold_ms: "300"}}]`, rejected},
		{"decision_wait_number", `{decision_wait: 5000000000, policies: [{name: a, type: always_sample}]}`, accepted},
		{"decision_wait_fraction", `{decision_wait: 1.5, policies: [{name: a, type: always_sample}]}`, accepted},
		{"decision_wait_quoted_number", `{decision_wait: "10", policies: [{name: a, type: always_sample}]}`, rejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := traces[0]
			if tc.want == crashes {
				tr = nil
			}
			got, err := collectorLoad(tc.yaml, tr)
			if got == accepted && tc.want == crashes {
				got = crashes
			}
			if got != tc.want {
				t.Fatalf("the Collector: %s (%v), the case says %s", got, err, tc.want)
			}
			t.Logf("the Collector: %s (%v)", got, err)
			tcfg, terr := sampler.Parse("config.yaml", []byte(tc.yaml), "")
			switch {
			case got == accepted && terr != nil:
				t.Fatalf("the Collector accepts it, tracectl refuses it: %v", terr)
			case got != accepted && terr == nil:
				t.Fatalf("the Collector %s, tracectl accepts it", got)
			case terr != nil:
				t.Logf("tracectl: %v", terr)
				return
			}
			if got, want := settingsOf(tcfg), collectorSettings(t, tc.yaml); got != want {
				t.Errorf("settings: tracectl %+v, the Collector %+v", got, want)
			}
			want := collectorKept(t, tc.yaml, traces)
			kept, _ := tracectlKept(t, tc.yaml, traces)
			if !slices.Equal(kept, want) {
				onlyC, onlyT := diff(want, kept)
				t.Errorf("kept trace IDs differ: collector %d, tracectl %d; only collector %s, only tracectl %s",
					len(want), len(kept), strings.Join(onlyC[:min(3, len(onlyC))], " "), strings.Join(onlyT[:min(3, len(onlyT))], " "))
			}
			t.Logf("%d of %d traces kept by both", len(kept), len(traces))
		})
	}
}

// TestNonRefillingBucketsMatchCollector runs rate_limiting and
// bytes_limiting at a rate of 0 (a bucket that never refills, so the
// clock does not matter) with a burst of exactly the traces' total spans
// or OTLP bytes: every trace fits, with nothing to spare, in any order.
// One span or byte less and some trace cannot fit, which both must show
// (which traces then depends on the order: the Collector decides a batch
// in map order, so only the counts are compared).
func TestNonRefillingBucketsMatchCollector(t *testing.T) {
	traces := generated(500)
	var spans, bytes int64
	for _, tr := range traces {
		spans += int64(tr.SpanCount())
		// What the Collector charges: the batch it received, marshalled.
		bytes += int64(new(ptrace.ProtoMarshaler).TracesSize(otlp.ToPdata([]*model.Trace{tr})))
	}
	for _, tc := range []struct {
		name  string
		total int64
		cfg   string
	}{
		{"rate_limiting", spans, `policies: [{name: r, type: rate_limiting, rate_limiting: {spans_per_second: 0, burst_capacity: %d}}]`},
		{"bytes_limiting", bytes, `policies: [{name: b, type: bytes_limiting, bytes_limiting: {bytes_per_second: 0, burst_capacity: %d}}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exact := fmt.Sprintf(tc.cfg, tc.total)
			want := collectorKept(t, exact, traces)
			got, _ := tracectlKept(t, exact, traces)
			if len(want) != len(traces) || !slices.Equal(got, want) {
				t.Errorf("burst %d (the total): collector kept %d, tracectl %d of %d", tc.total, len(want), len(got), len(traces))
			}
			short := fmt.Sprintf(tc.cfg, tc.total-1)
			want = collectorKept(t, short, traces)
			got, _ = tracectlKept(t, short, traces)
			if len(want) == len(traces) || len(got) == len(traces) {
				t.Errorf("burst %d (one less than the total): collector kept %d, tracectl %d of %d; want fewer", tc.total-1, len(want), len(got), len(traces))
			}
			t.Logf("burst %d: all %d traces kept by both; burst %d: collector kept %d, tracectl %d", tc.total, len(traces), tc.total-1, len(want), len(got))
		})
	}
}
