package querybench

import (
	"context"
	"testing"
	"time"

	"github.com/tracectl/tracectl/metricsgen"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/store/storetest"
)

// BenchmarkMetricsgen measures tracectl metricsgen over the dataset: "blocks"
// reads the vParquet4 blocks (what the command does), "aggregate" feeds
// traces already in memory, so it isolates span metrics + service graph.
// Reports spans/s and the peak live heap (see measure).
func BenchmarkMetricsgen(b *testing.B) {
	d := getDataset(b)
	b.Logf("dataset: %d spans, %d traces, %d blocks in %s", d.spans, d.traces, d.blocks, d.root)
	ctx := context.Background()
	opts := metricsgen.Options{Dimensions: []metricsgen.Dimension{{Name: "k8s.pod.name"}}}
	check := func(res *metricsgen.Result) int {
		if res.Stats.Spans != d.spans {
			b.Fatalf("aggregated %d spans, want %d", res.Stats.Spans, d.spans)
		}
		return len(res.Families[0].Series)
	}
	b.Run("blocks", func(b *testing.B) {
		st := openStore(b, d)
		measure(b, d, func() int {
			res, err := metricsgen.Generate(ctx, st, opts)
			if err != nil {
				b.Fatal(err)
			}
			return check(res)
		})
	})
	b.Run("blocks-step", func(b *testing.B) {
		st := openStore(b, d)
		o := opts
		o.Step = time.Minute
		measure(b, d, func() int {
			res, err := metricsgen.Generate(ctx, st, o)
			if err != nil {
				b.Fatal(err)
			}
			return check(res)
		})
	})
	b.Run("aggregate", func(b *testing.B) {
		it, err := openStore(b, d).Traces(ctx, store.Request{})
		if err != nil {
			b.Fatal(err)
		}
		traces, err := store.Collect(it)
		if err != nil {
			b.Fatal(err)
		}
		src := storetest.New(traces)
		measure(b, d, func() int {
			res, err := metricsgen.Generate(ctx, src, opts)
			if err != nil {
				b.Fatal(err)
			}
			return check(res)
		})
	})
}
