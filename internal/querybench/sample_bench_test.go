package querybench

import (
	"context"
	"testing"

	"github.com/tracectl/tracectl/sampler"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/store/storetest"
)

// sampleConfig mixes the policy kinds users combine: a drop rule, errors,
// latency, an attribute regex, span count and a probabilistic floor.
const sampleConfig = `
policies:
  - name: drop-probes
    type: drop
    drop: {drop_sub_policy: [{name: probe, type: string_attribute, string_attribute: {key: http.route, values: ["^/(healthz|readyz)$"], enabled_regex_matching: true}}]}
  - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
  - {name: slow, type: latency, latency: {threshold_ms: 500}}
  - {name: checkout, type: string_attribute, string_attribute: {key: service.name, values: ["^ts-order", "payment"], enabled_regex_matching: true}}
  - {name: big, type: span_count, span_count: {min_spans: 50}}
  - {name: floor, type: probabilistic, probabilistic: {sampling_percentage: 5}}
`

// BenchmarkSampleReplay measures sample replay: "blocks" reads the
// vParquet4 blocks with every column (what the command does), "decide"
// runs the policies over traces already in memory.
func BenchmarkSampleReplay(b *testing.B) {
	d := getDataset(b)
	b.Logf("dataset: %d spans, %d traces, %d blocks in %s", d.spans, d.traces, d.blocks, d.root)
	cfg, err := sampler.Parse("bench.yaml", []byte(sampleConfig), "")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	check := func(r *sampler.Report) int {
		if r.Spans != int64(d.spans) {
			b.Fatalf("replayed %d spans, want %d", r.Spans, d.spans)
		}
		return int(r.KeptTraces)
	}
	b.Run("blocks", func(b *testing.B) {
		st := openStore(b, d)
		measure(b, d, func() int {
			r, err := sampler.Replay(ctx, st, cfg, sampler.Options{})
			if err != nil {
				b.Fatal(err)
			}
			return check(r)
		})
	})
	b.Run("decide", func(b *testing.B) {
		it, err := openStore(b, d).Traces(ctx, store.Request{Unordered: true})
		if err != nil {
			b.Fatal(err)
		}
		traces, err := store.Collect(it)
		if err != nil {
			b.Fatal(err)
		}
		src := storetest.New(traces)
		measure(b, d, func() int {
			r, err := sampler.Replay(ctx, src, cfg, sampler.Options{})
			if err != nil {
				b.Fatal(err)
			}
			return check(r)
		})
	})
}
