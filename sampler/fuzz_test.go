package sampler

import (
	"context"
	"os"
	"testing"

	"github.com/tracectl/tracectl/store/storetest"
)

// FuzzParseConfig feeds arbitrary YAML to Parse: it must return a config
// or an error, never panic. Run with go test -fuzz=FuzzParseConfig.
func FuzzParseConfig(f *testing.F) {
	for _, p := range []string{"testdata/config/good.otelcol.yaml", "testdata/config/bad.yaml"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(policiesYAML))
	f.Add([]byte("policies: [{name: a, type: not, not: {not_sub_policy: {name: b, type: always_sample}}}]"))
	f.Add([]byte("{num_traces: 1, decision_cache: {sampled_cache_size: 1}, policies: [{name: a, type: and, and: {and_sub_policy: [{name: n, type: not, not: {not_sub_policy: {name: r, type: rate_limiting, rate_limiting: {spans_per_second: 1}}}}]}}]}"))
	f.Add([]byte("policies: [{name: c, type: composite, composite: {max_total_spans_per_second: 5, composite_sub_policy: [{name: a, type: and, and: {and_sub_policy: [{name: b, type: bytes_limiting, bytes_limiting: {bytes_per_second: 9}}]}}]}}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data, "")
		if err == nil {
			for _, tr := range fixtureTraces() {
				cfg.Decide(tr)
			}
			// The replay's recorded leaf votes must line up with the tree.
			if _, err := Replay(context.Background(), storetest.New(fixtureTraces()), cfg, Options{}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// FuzzParseOTTL feeds arbitrary text to the OTTL condition parser: it must
// return a condition or an error, never panic, and a condition must
// evaluate on any span or event. Run with go test -fuzz=FuzzParseOTTL.
func FuzzParseOTTL(f *testing.F) {
	for _, s := range []string{
		`name == "GET /cart"`,
		`attributes["http.status_code"] >= 500 and not (kind == SPAN_KIND_CLIENT)`,
		`IsMatch(resource.attributes["service.name"], "^cart.*") or status.code != STATUS_CODE_OK`,
		`attributes["x"] == nil or attributes["y"] < -1.5`,
		`(((name == "a")))`,
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, src string, event bool) {
		c, err := parseOTTL(src, event)
		if err != nil {
			return
		}
		for _, tr := range fixtureTraces() {
			cond := ottlCondition{span: []ottlCond{c}, spanSrc: []string{src}}
			if event {
				cond = ottlCondition{event: []ottlCond{c}, eventSrc: []string{src}}
			}
			cond.evaluate(tr, true)
		}
	})
}
