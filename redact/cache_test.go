package redact

import (
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
)

// TestValueCacheAsUncached: the README's rules applied to generated traces
// (40% with PII) change them and count exactly as without the cache of
// maskString's answers, whether it holds everything or is cleared every
// few values.
func TestValueCacheAsUncached(t *testing.T) {
	traces := func() []*model.Trace {
		g := gen.New(gen.Options{Seed: 5, PIIRate: 0.4})
		var ts []*model.Trace
		for range 2000 {
			ts = append(ts, g.Trace())
		}
		return ts
	}
	apply := func(size int) ([]*model.Trace, []RuleStats) {
		defer func(old int) { valueCacheSize = old }(valueCacheSize)
		valueCacheSize = size
		e, err := Load("testdata/rules.good.yaml", Options{HashKey: []byte("k")})
		if err != nil {
			t.Fatal(err)
		}
		ts := traces()
		for _, tr := range ts {
			e.Apply(tr)
		}
		return ts, e.Stats()
	}
	want, wantStats := apply(0)
	if wantStats[2].Masked < 100 {
		t.Fatalf("only %d values masked: the traces do not exercise the detectors", wantStats[2].Masked)
	}
	for _, size := range []int{1 << 14, 7} {
		got, stats := apply(size)
		if d := cmp.Diff(wantStats, stats); d != "" {
			t.Errorf("cache of %d: stats (-uncached +cached):\n%s", size, d)
		}
		for i := range want {
			// Trace by trace, cmp only on a difference: cmp.Diff of 2,000
			// traces takes over a minute.
			if !reflect.DeepEqual(want[i], got[i]) {
				t.Fatalf("cache of %d: trace %s (-uncached +cached):\n%s", size, want[i].TraceID,
					cmp.Diff(want[i], got[i], cmpopts.EquateEmpty()))
			}
		}
	}
}
