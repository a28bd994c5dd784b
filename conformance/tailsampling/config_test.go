package tailsampling

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
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
			_, terr := sampler.Parse("config.yaml", []byte(tc.yaml), "")
			switch {
			case got == accepted && terr != nil:
				t.Fatalf("the Collector accepts it, tracectl refuses it: %v", terr)
			case got != accepted && terr == nil:
				t.Fatalf("the Collector %s, tracectl accepts it", got)
			case terr != nil:
				t.Logf("tracectl: %v", terr)
				return
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
