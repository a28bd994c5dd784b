package sampler

import (
	"os"
	"testing"
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
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data, "")
		if err == nil {
			for _, tr := range fixtureTraces() {
				cfg.Decide(tr)
			}
		}
	})
}
