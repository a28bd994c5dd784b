package sampler

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

func TestParseCollectorConfig(t *testing.T) {
	data, err := os.ReadFile("testdata/config/good.otelcol.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse("good.otelcol.yaml", data, "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Processor != "tail_sampling" || cfg.DecisionWait != 10*time.Second || cfg.NumTraces != 1000 {
		t.Errorf("got processor %q wait %v num %d", cfg.Processor, cfg.DecisionWait, cfg.NumTraces)
	}
	var names []string
	for _, p := range cfg.Policies {
		names = append(names, p.Name+":"+p.Type)
	}
	if got, want := strings.Join(names, " "), "drop-health:drop errors:status_code slow:latency some:probabilistic"; got != want {
		t.Errorf("policies %s, want %s", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	data, err := os.ReadFile("testdata/config/bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse("bad.yaml", data, "")
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("got %v, want an ErrorList", err)
	}
	var got []string
	for _, e := range list {
		got = append(got, e.Error())
	}
	want := []string{
		`bad.yaml:3:20: decision_wait: want a duration like 10s, got "ten seconds"`,
		`bad.yaml:7:45: policy "errors": status_code.status_codes: unknown status code "FAILED", want OK, ERROR or UNSET`,
		`bad.yaml:8:9: duplicate policy name "errors"`,
		`bad.yaml:10:19: policy "errors": latency: unknown field "treshold_ms"`,
		`bad.yaml:13:47: policy "re": string_attribute.values: invalid regex "(unclosed": error parsing regexp: missing closing ): ` + "`(unclosed`",
		`bad.yaml:16:46: policy "pct": probabilistic.sampling_percentage: NaN is not a percentage (the Collector panics on it)`,
		`bad.yaml:18:15: policy "what": unknown policy type "bogus"`,
		`bad.yaml:20:15: policy "limit": type trace_flags is not yet supported by tracectl`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseSmall(t *testing.T) {
	for _, tc := range []struct {
		name, processor, yaml, err string
	}{
		{name: "bare", yaml: "policies: [{name: a, type: always_sample}]"},
		{name: "bare with processor", processor: "tail_sampling", yaml: "policies: [{name: a, type: always_sample}]", err: "bare processor block"},
		{name: "named", processor: "tail_sampling/b", yaml: "processors:\n  tail_sampling/a: {policies: [{name: a, type: always_sample}]}\n  tail_sampling/b: {policies: [{name: b, type: always_sample}]}\n"},
		{name: "ambiguous", yaml: "processors:\n  tail_sampling/a: {policies: [{name: a, type: always_sample}]}\n  tail_sampling/b: {policies: [{name: b, type: always_sample}]}\n", err: "x.yaml:2:3: several tail_sampling processors (tail_sampling/a, tail_sampling/b): choose one with --processor"},
		{name: "missing", processor: "tail_sampling/c", yaml: "processors:\n  tail_sampling/a: {policies: [{name: a, type: always_sample}]}\n", err: `no processor "tail_sampling/c" (tail_sampling processors here: tail_sampling/a)`},
		{name: "none", yaml: "receivers: {}\n", err: "no tail_sampling processor"},
		{name: "syntax", yaml: "policies: [\n", err: "x.yaml:1:1: did not find expected node content"},
		{name: "no policies", yaml: "tail_sampling: {decision_wait: 1s}\n"},
		{name: "empty policies", yaml: "policies: []"},
		{name: "policies not a list", yaml: "policies: {}", err: "x.yaml:1:11: policies: want a list, got a mapping"},
		{name: "no name", yaml: "policies: [{type: always_sample}]", err: "name: required"},
		{name: "numeric unset", yaml: "policies: [{name: n, type: numeric_attribute, numeric_attribute: {key: k}}]", err: "set min_value or max_value"},
		{name: "and nested", yaml: "policies: [{name: a, type: and, and: {and_sub_policy: [{name: b, type: drop}]}}]", err: `type drop is not allowed inside a`},
		// What the Collector v0.161 accepts and refuses (its processor
		// created and started in conformance/tailsampling).
		{name: "and empty", yaml: "policies: [{name: a, type: and, and: {and_sub_policy: []}}]"},
		{name: "and no list", yaml: "policies: [{name: a, type: and, and: {}}]"},
		{name: "and no body", yaml: "policies: [{name: a, type: and}]"},
		{name: "and null list", yaml: "policies: [{name: a, type: and, and: {and_sub_policy: null}}]"},
		{name: "and not a list", yaml: "policies: [{name: a, type: and, and: {and_sub_policy: x}}]", err: `x.yaml:1:55: policy "a": and.and_sub_policy: want a list of policies, got "x"`},
		{name: "drop empty", yaml: "policies: [{name: d, type: drop, drop: {drop_sub_policy: []}}]"},
		{name: "drop no body", yaml: "policies: [{name: d, type: drop}]"},
		{name: "percentage above 100", yaml: "policies: [{name: p, type: probabilistic, probabilistic: {sampling_percentage: 150}}]"},
		{name: "percentage below 0", yaml: "policies: [{name: p, type: probabilistic, probabilistic: {sampling_percentage: -5}}]"},
		{name: "percentage infinite", yaml: "policies: [{name: p, type: probabilistic, probabilistic: {sampling_percentage: .inf}}]"},
		{name: "percentage NaN", yaml: "policies: [{name: p, type: probabilistic, probabilistic: {sampling_percentage: .nan}}]", err: `x.yaml:1:80: policy "p": probabilistic.sampling_percentage: NaN is not a percentage (the Collector panics on it)`},
		{name: "tail_storage", yaml: "{tail_storage: file_storage/x, policies: [{name: a, type: always_sample}]}", err: "x.yaml:1:16: tail_storage: needs the Collector feature gate processor.tailsamplingprocessor.tailstorageextension, which is off by default (--feature-gates=+processor.tailsamplingprocessor.tailstorageextension)"},
		{name: "tail_storage empty", yaml: `{tail_storage: "", policies: [{name: a, type: always_sample}]}`, err: "tail_storage: needs the Collector feature gate"},
		{name: "tail_storage null", yaml: "{tail_storage: null, policies: [{name: a, type: always_sample}]}"},
		{name: "ottl", yaml: "policies: [{name: o, type: ottl_condition}]", err: "set span or spanevent conditions"},
		{name: "ottl bad", yaml: `policies: [{name: o, type: ottl_condition, ottl_condition: {span: ["attributes[\"a\"] =="]}}]`, err: "expected a value at the end"},
		{name: "ottl function", yaml: `policies: [{name: o, type: ottl_condition, ottl_condition: {span: ["Len(name) > 3"]}}]`, err: "function Len is not yet supported by tracectl (only IsMatch is)"},
		// Limiters with rates of 0 or less, composites without total or
		// sub-policies, allocations naming nobody or out of 0–100.
		{name: "composite", yaml: "policies: [{name: c, type: composite}]"},
		{name: "composite negative", yaml: "policies: [{name: c, type: composite, composite: {max_total_spans_per_second: -1, composite_sub_policy: [{name: a, type: always_sample}]}}]"},
		{name: "composite empty", yaml: "policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 10, composite_sub_policy: []}}]"},
		{name: "composite null", yaml: "policies: [{name: c, type: composite, composite: {composite_sub_policy: null}}]"},
		{name: "composite not a list", yaml: "policies: [{name: c, type: composite, composite: {composite_sub_policy: x}}]", err: `x.yaml:1:73: policy "c": composite.composite_sub_policy: want a list of policies, got "x"`},
		{name: "composite alloc", yaml: "policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 10, composite_sub_policy: [{name: a, type: always_sample}], rate_allocation: [{policy: b, percent: 120}, {policy: a, percent: -5}, {policy: a, percent: 101}]}}]"},
		{name: "composite alloc type", yaml: "policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 10, composite_sub_policy: [{name: a, type: always_sample}], rate_allocation: [{policy: a, percent: x}]}}]", err: `composite.rate_allocation.percent: want an integer, got "x"`},
		{name: "rate zero", yaml: "policies: [{name: r, type: rate_limiting}]"},
		{name: "rate negative", yaml: "policies: [{name: r, type: rate_limiting, rate_limiting: {spans_per_second: -3, burst_capacity: -1}}]"},
		{name: "sub-policy without name", yaml: "policies: [{name: a, type: and, and: {and_sub_policy: [{type: always_sample}, {type: always_sample}]}}]"},
		{name: "not sub-policy without name", yaml: "policies: [{name: a, type: not, not: {not_sub_policy: {type: always_sample}}}]"},
		{name: "sub-policy without type", yaml: "policies: [{name: a, type: and, and: {and_sub_policy: [{name: b}]}}]", err: `policy "a": sub-policy "b": type: required`},
		{name: "error_mode in capitals", yaml: `policies: [{name: o, type: ottl_condition, ottl_condition: {error_mode: Propagate, span: ["name == \"x\""]}}]`},
		{name: "error_mode null", yaml: `policies: [{name: o, type: ottl_condition, ottl_condition: {error_mode: null, span: ["name == \"x\""]}}]`, err: `ottl_condition.error_mode: "", want ignore, propagate or silent`},
		{name: "num_traces negative", yaml: "{num_traces: -1, policies: [{name: a, type: always_sample}]}", err: "x.yaml:1:14: num_traces: -1 is negative, want 0 or more"},
		{name: "expected traces negative", yaml: "{expected_new_traces_per_sec: -1}", err: "expected_new_traces_per_sec: -1 is negative"},
		{name: "max size negative", yaml: "{maximum_trace_size_bytes: -1}", err: "maximum_trace_size_bytes: -1 is negative"},
		{name: "shards negative", yaml: "{num_shards: -1}", err: "num_shards: -1 is negative"},
		{name: "shards over the maximum", yaml: "{num_shards: 257}", err: "num_shards: 257 is more than the Collector's maximum of 256"},
		{name: "shards wrap to 1", yaml: "{num_shards: 4294967297}"},
		{name: "shards wrap to 0", yaml: "{num_shards: 4294967296}"},
		// Other keys are policy extension configs to the Collector (any
		// mapping, never read); bodies of other types are only decoded.
		{name: "extension key", yaml: "policies: [{name: a, type: always_sample, foo: {x: 1}, bar: null, always_sample: {y: 2}}]"},
		{name: "extension key scalar", yaml: "policies: [{name: a, type: always_sample, foo: 1}]", err: `x.yaml:1:43: policy "a": unknown field "foo" (the Collector reads other fields as policy extension configs, which must be mappings; got "1")`},
		{name: "composite key in and", yaml: "policies: [{name: a, type: and, and: {and_sub_policy: [{name: b, type: always_sample, composite: {x: 1}}]}}]"},
		{name: "other body decoded", yaml: "policies: [{name: a, type: always_sample, latency: {threshold: 1}}]", err: `x.yaml:1:53: policy "a": latency: unknown field "threshold"`},
		{name: "other body not built", yaml: `policies: [{name: a, type: always_sample, status_code: {status_codes: []}, string_attribute: {values: ["("], enabled_regex_matching: true}, ottl_condition: {span: ["Len(x)"]}, not: {not_sub_policy: {type: nope}}}]`},
		{name: "other body and", yaml: "policies: [{name: a, type: always_sample, and: {and_sub_policy: [{type: drop, span_count: {min_spans: x}}]}}]", err: `policy "a": sub-policy "": span_count.min_spans: want an integer, got "x"`},
		{name: "other body not a mapping", yaml: "policies: [{name: a, type: always_sample, latency: 5}]", err: `policy "a": latency: want a mapping, got "5"`},
		{name: "null body", yaml: "policies: [{name: l, type: latency, latency: null}]"},
		{name: "null lists", yaml: `policies: [{name: s, type: string_attribute, string_attribute: {values: null}}, {name: o, type: ottl_condition, ottl_condition: {span: null, spanevent: ["name == \"x\""]}}]`},
		{name: "null status codes", yaml: "policies: [{name: s, type: status_code, status_code: {status_codes: null}}]", err: "at least one of OK, ERROR, UNSET"},
		{name: "null not", yaml: "policies: [{name: n, type: not, not: {not_sub_policy: null}}]", err: "not.not_sub_policy: required"},
		{name: "decision_wait quoted number", yaml: `{decision_wait: "10"}`, err: `decision_wait: want a duration like 10s, got "10"`},
		// Nesting as the Collector's config structs allow it: leaf types
		// (limiters included) anywhere; not inside and/drop; and inside
		// composite; nothing but leaves inside not.
		{name: "rate in and", yaml: "policies: [{name: a, type: and, and: {and_sub_policy: [{name: r, type: rate_limiting, rate_limiting: {spans_per_second: 1}}]}}]"},
		{name: "bytes in drop", yaml: "policies: [{name: a, type: drop, drop: {drop_sub_policy: [{name: r, type: bytes_limiting, bytes_limiting: {bytes_per_second: 1}}]}}]"},
		{name: "rate in not", yaml: "policies: [{name: a, type: not, not: {not_sub_policy: {name: r, type: rate_limiting, rate_limiting: {spans_per_second: 1}}}}]"},
		{name: "rate in composite", yaml: "policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 10, composite_sub_policy: [{name: r, type: rate_limiting, rate_limiting: {spans_per_second: 1}}]}}]"},
		{name: "not in and", yaml: "policies: [{name: a, type: and, and: {and_sub_policy: [{name: n, type: not, not: {not_sub_policy: {name: s, type: always_sample}}}]}}]"},
		{name: "not in drop", yaml: "policies: [{name: a, type: drop, drop: {drop_sub_policy: [{name: n, type: not, not: {not_sub_policy: {name: s, type: always_sample}}}]}}]"},
		{name: "not in and in composite", yaml: "policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 10, composite_sub_policy: [{name: a, type: and, and: {and_sub_policy: [{name: n, type: not, not: {not_sub_policy: {name: s, type: always_sample}}}]}}]}}]"},
		{name: "not in not", yaml: "policies: [{name: a, type: not, not: {not_sub_policy: {name: n, type: not, not: {not_sub_policy: {name: s, type: always_sample}}}}}]", err: "x.yaml:1:71: policy \"a\": sub-policy \"n\": type not is not allowed inside a"},
		{name: "not in composite", yaml: "policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 10, composite_sub_policy: [{name: n, type: not, not: {not_sub_policy: {name: s, type: always_sample}}}]}}]", err: "type not is not allowed inside c"},
		{name: "and in and", yaml: "policies: [{name: a, type: and, and: {and_sub_policy: [{name: b, type: and, and: {and_sub_policy: [{name: s, type: always_sample}]}}]}}]", err: "type and is not allowed inside a"},
		{name: "composite in composite", yaml: "policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 10, composite_sub_policy: [{name: d, type: composite}]}}]", err: "type composite is not allowed inside c"},
		{name: "bytes", yaml: "policies: [{name: b, type: bytes_limiting}]"},
		{name: "status empty", yaml: "policies: [{name: s, type: status_code, status_code: {status_codes: []}}]", err: "at least one of OK, ERROR, UNSET"},
		{name: "upper below", yaml: "policies: [{name: l, type: latency, latency: {threshold_ms: 10, upper_threshold_ms: 5}}]"},
		{name: "latency negative", yaml: "policies: [{name: l, type: latency, latency: {threshold_ms: -10}}]"},
		{name: "numeric min above max", yaml: "policies: [{name: n, type: numeric_attribute, numeric_attribute: {key: k, min_value: 10, max_value: 5}}]"},
		{name: "numeric no key", yaml: "policies: [{name: n, type: numeric_attribute, numeric_attribute: {min_value: 10}}]"},
		{name: "string no key", yaml: "policies: [{name: s, type: string_attribute, string_attribute: {values: [x]}}]"},
		{name: "span_count max below min", yaml: "policies: [{name: s, type: span_count, span_count: {min_spans: 5, max_spans: 2}}]"},
		{name: "span_count too big", yaml: "policies: [{name: s, type: span_count, span_count: {min_spans: 2147483648}}]"},
		{name: "shards", yaml: "{num_shards: 4, policies: [{name: a, type: always_sample}]}", err: "x.yaml:1:14: num_shards: 4 shards are not yet supported by tracectl"},
		{name: "one shard", yaml: "{num_shards: 1, policies: [{name: a, type: always_sample}]}"},
		{name: "max size", yaml: "{maximum_trace_size_bytes: 100, policies: [{name: a, type: always_sample}]}", err: "maximum_trace_size_bytes: a limit is not yet supported"},
		{name: "after root", yaml: "{decision_wait_after_root_received: 1s, policies: [{name: a, type: always_sample}]}", err: "decision_wait_after_root_received: is not yet supported"},
		{name: "caches", yaml: "{block_on_overflow: true, decision_cache: {sampled_cache_size: 10, non_sampled_cache_size: x}, policies: [{name: a, type: always_sample}]}", err: `decision_cache.non_sampled_cache_size: want an integer, got "x"`},
		{name: "unknown top", yaml: "policies: [{name: a, type: always_sample}]\nfoo: 1\n", err: `x.yaml:2:1: processor: unknown field "foo"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tc.yaml), tc.processor)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("got error %v, want %q", err, tc.err)
			}
		})
	}
}

// The example config shipped with the Collector parses, ottl_condition
// included.
func TestParseCollectorExample(t *testing.T) {
	path := "../../shared/testdata/external/opentelemetry-collector-contrib/tailsampling/tail_sampling_config.yaml"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("shared fixtures: %v", err)
	}
	if _, err = Parse("tail_sampling_config.yaml", data, ""); err != nil {
		t.Fatal(err)
	}
}

// TestParseYAMLGolden parses each testdata/config/yaml file: a *.good.yaml
// must parse, and its policy tree (with the line each policy was read
// from) is compared with the .golden file; a *.bad.yaml must fail, and its
// errors are compared. -update rewrites the golden files.
func TestParseYAMLGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/config/yaml/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test configs: %v", err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var got strings.Builder
			for _, proc := range processorsIn(t, data) {
				cfg, err := Parse(filepath.Base(path), data, proc)
				switch {
				case strings.HasSuffix(name, ".good") && err != nil:
					t.Fatalf("processor %q: %v", proc, err)
				case strings.HasSuffix(name, ".bad") && err == nil:
					t.Fatalf("processor %q: parsed, want errors", proc)
				case err != nil:
					var list ErrorList
					if !errors.As(err, &list) {
						t.Fatalf("got %v, want an ErrorList", err)
					}
					for _, e := range list {
						fmt.Fprintln(&got, e)
					}
				default:
					got.WriteString(dumpConfig(cfg, true))
				}
			}
			golden(t, filepath.Join("config", "yaml", name+".golden"), got.String())
		})
	}
}

// processorsIn lists the tail_sampling processor IDs of a Collector
// config in data ("" for a bare processor block or a bad file).
func processorsIn(t *testing.T, data []byte) []string {
	t.Helper()
	var doc struct {
		Processors map[string]any `yaml:"processors"`
	}
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Processors) == 0 {
		return []string{""}
	}
	var ids []string
	for id := range doc.Processors {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// dumpConfig prints cfg's settings and policy tree, each policy with its
// parsed parameters and, if lines, the line it was read from.
func dumpConfig(cfg *Config, lines bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: decision_wait %s, num_traces %d, sample_on_first_match %t\n",
		cfg.Processor, cfg.DecisionWait, cfg.NumTraces, cfg.SampleOnFirstMatch)
	var walk func(p *Policy, depth int)
	walk = func(p *Policy, depth int) {
		fmt.Fprintf(&b, "%s%s: %s", strings.Repeat("  ", depth+1), p.Name, p.Type)
		if lines {
			fmt.Fprintf(&b, " (line %d)", p.Line)
		}
		switch e := p.eval.(type) {
		case nil:
		case *stringAttribute:
			fmt.Fprintf(&b, " key=%s values=%q regex=%t invert=%t", e.key, e.display, e.regex, e.invert)
		case ottlCondition:
			fmt.Fprintf(&b, " span=%q spanevent=%q", e.spanSrc, e.eventSrc)
		default:
			fmt.Fprintf(&b, " %+v", e)
		}
		b.WriteString("\n")
		for _, s := range p.Subs {
			walk(s, depth+1)
		}
	}
	for _, p := range cfg.Policies {
		walk(p, 0)
	}
	return b.String()
}

// TestParseAliasesAsExpanded: a config written with anchors, aliases and
// merge keys parses to the same policies as the same config written out,
// and yaml.v3 (which the Collector decodes configs with) decodes the two
// to the same value, so the expansion is the Collector's.
func TestParseAliasesAsExpanded(t *testing.T) {
	for _, tc := range []struct{ name, anchored, expanded string }{
		{"policy alias",
			"policies: [&a {name: a, type: always_sample}, {name: n, type: and, and: {and_sub_policy: [*a]}}]",
			"policies: [{name: a, type: always_sample}, {name: n, type: and, and: {and_sub_policy: [{name: a, type: always_sample}]}}]"},
		{"list alias in drop and not",
			"policies: [{name: d, type: drop, drop: {drop_sub_policy: &subs [{name: e, type: status_code, status_code: {status_codes: &codes [ERROR]}}]}}, {name: n, type: not, not: {not_sub_policy: {name: o, type: status_code, status_code: {status_codes: *codes}}}}, {name: a, type: and, and: {and_sub_policy: *subs}}]",
			"policies: [{name: d, type: drop, drop: {drop_sub_policy: [{name: e, type: status_code, status_code: {status_codes: [ERROR]}}]}}, {name: n, type: not, not: {not_sub_policy: {name: o, type: status_code, status_code: {status_codes: [ERROR]}}}}, {name: a, type: and, and: {and_sub_policy: [{name: e, type: status_code, status_code: {status_codes: [ERROR]}}]}}]"},
		{"scalar aliases",
			"{decision_wait: &w 7s, num_traces: &n 12, policies: [{name: *w, type: span_count, span_count: {min_spans: *n}}]}",
			"{decision_wait: 7s, num_traces: 12, policies: [{name: 7s, type: span_count, span_count: {min_spans: 12}}]}"},
		{"explicit key beats merged",
			"policies: [&p {name: a, type: latency, latency: {threshold_ms: 5}}, {<<: *p, name: b, latency: {threshold_ms: 9}}]",
			"policies: [{name: a, type: latency, latency: {threshold_ms: 5}}, {name: b, type: latency, latency: {threshold_ms: 9}}]"},
		{"first of a merged list wins",
			"policies: [{<<: [{name: a, type: always_sample}, {name: b, type: latency, latency: {threshold_ms: 1}}]}]",
			"policies: [{name: a, type: always_sample, latency: {threshold_ms: 1}}]"},
		{"nested merge",
			"policies: [&p {<<: &q {type: latency, latency: {threshold_ms: 3}}, name: a}, {<<: *p, name: b}, {<<: *q, name: c}]",
			"policies: [{type: latency, latency: {threshold_ms: 3}, name: a}, {type: latency, latency: {threshold_ms: 3}, name: b}, {type: latency, latency: {threshold_ms: 3}, name: c}]"},
		{"merged body",
			"policies: [{name: a, type: numeric_attribute, numeric_attribute: &na {key: k, min_value: 1}}, {name: b, type: numeric_attribute, numeric_attribute: {<<: *na, max_value: 9, invert_match: true}}]",
			"policies: [{name: a, type: numeric_attribute, numeric_attribute: {key: k, min_value: 1}}, {name: b, type: numeric_attribute, numeric_attribute: {key: k, min_value: 1, max_value: 9, invert_match: true}}]"},
		{"whole processor block",
			"processors:\n  tail_sampling/a: &a {decision_wait: 2s, policies: [{name: a, type: always_sample}]}\n  tail_sampling: *a\n",
			"processors:\n  tail_sampling/a: {decision_wait: 2s, policies: [{name: a, type: always_sample}]}\n  tail_sampling: {decision_wait: 2s, policies: [{name: a, type: always_sample}]}\n"},
		{"merged processor block overridden",
			"processors:\n  tail_sampling/a: &a {decision_wait: 2s, num_traces: 5, policies: [{name: a, type: always_sample}]}\n  tail_sampling: {<<: *a, num_traces: 6}\n",
			"processors:\n  tail_sampling/a: {decision_wait: 2s, num_traces: 5, policies: [{name: a, type: always_sample}]}\n  tail_sampling: {decision_wait: 2s, num_traces: 6, policies: [{name: a, type: always_sample}]}\n"},
		{"composite subs and allocation",
			"policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 100, composite_sub_policy: [{name: &s s, type: always_sample}, {name: t, type: always_sample}], rate_allocation: [{policy: *s, percent: &pct 30}, {policy: t, percent: *pct}]}}]",
			"policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 100, composite_sub_policy: [{name: s, type: always_sample}, {name: t, type: always_sample}], rate_allocation: [{policy: s, percent: 30}, {policy: t, percent: 30}]}}]"},
		{"quoted << is a plain key",
			`policies: [{name: a, type: always_sample, "<<": {name: b}}]`,
			`policies: [{name: a, type: always_sample, "<<": {name: b}}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a, e any
			if err := yaml.Unmarshal([]byte(tc.anchored), &a); err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal([]byte(tc.expanded), &e); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(e, a); diff != "" {
				t.Fatalf("yaml.v3 decodes them differently (-expanded +anchored):\n%s", diff)
			}
			got, gotErr := Parse("x.yaml", []byte(tc.anchored), "")
			want, wantErr := Parse("x.yaml", []byte(tc.expanded), "")
			if (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("anchored: %v, expanded: %v", gotErr, wantErr)
			}
			if gotErr != nil {
				if g, w := errorMessages(gotErr), errorMessages(wantErr); g != w {
					t.Fatalf("errors differ:\nanchored: %s\nexpanded: %s", g, w)
				}
				return
			}
			if diff := cmp.Diff(dumpConfig(want, false), dumpConfig(got, false)); diff != "" {
				t.Errorf("policies differ (-expanded +anchored):\n%s", diff)
			}
		})
	}
}

// errorMessages is the messages of an ErrorList without positions.
func errorMessages(err error) string {
	var list ErrorList
	if !errors.As(err, &list) {
		return err.Error()
	}
	var out []string
	for _, e := range list {
		out = append(out, e.Msg)
	}
	return strings.Join(out, "\n")
}

// TestDurations reads decision_wait as the Collector's decoder does.
func TestDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{"10s": 10 * time.Second, "1500ms": 1500 * time.Millisecond, "5000000000": 5 * time.Second, "1.5": 1, "null": 0, "-5s": -5 * time.Second} {
		cfg, err := Parse("x.yaml", []byte("{decision_wait: "+in+"}"), "")
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if cfg.DecisionWait != want {
			t.Errorf("%s: got %v, want %v", in, cfg.DecisionWait, want)
		}
	}
}

// TestParseWarnings: what the Collector loads but never reads is a
// warning at its position, with the field meant where one is near.
func TestParseWarnings(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"clean", "policies: [{name: a, type: latency, latency: {threshold_ms: 5}}]", nil},
		{"misspelt body", "policies:\n  - name: slow\n    type: latency\n    latancy: {threshold_ms: 500}\n",
			[]string{`x.yaml:4:5: policy "slow": field "latancy" is ignored: the Collector keeps it as a policy extension config (did you mean "latency"?)`}},
		{"extension key", "policies: [{name: a, type: always_sample, my_extension: {x: 1}}]",
			[]string{`x.yaml:1:43: policy "a": field "my_extension" is ignored: the Collector keeps it as a policy extension config`}},
		{"another type's settings", "policies: [{name: e, type: status_code, status_code: {status_codes: [ERROR]}, latency: {threshold_ms: 1}}]",
			[]string{`x.yaml:1:88: policy "e": the latency settings are ignored by a policy of type status_code`}},
		{"inside and", "policies: [{name: a, type: and, and: {and_sub_policy: [{name: s, type: span_count, span_cout: {min_spans: 2}}]}}]",
			[]string{`x.yaml:1:84: policy "s": field "span_cout" is ignored: the Collector keeps it as a policy extension config (did you mean "span_count"?)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("x.yaml", []byte(tc.yaml), "")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range cfg.Warnings {
				got = append(got, w.Error())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
