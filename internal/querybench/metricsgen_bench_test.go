package querybench

import (
	"context"
	"testing"
	"time"

	"github.com/tracectl/tracectl/internal/nezha"
	"github.com/tracectl/tracectl/metricsgen"
	"github.com/tracectl/tracectl/model"
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
	// blocks-spanmetrics: span metrics without dimensions read no
	// attribute columns at all.
	b.Run("blocks-spanmetrics", func(b *testing.B) {
		st := openStore(b, d)
		measure(b, d, func() int {
			res, err := metricsgen.Generate(ctx, st, metricsgen.Options{SpanMetrics: true})
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
	// stream: the same number of spans made on the fly (Nezha copies, one
	// copy in memory at a time), so the peak heap is metricsgen's own state
	// plus one copy.
	b.Run("stream", func(b *testing.B) {
		base := baseTraces(b)
		var rss []model.ResourceSpans
		for _, t := range base {
			rss = append(rss, t.ResourceSpans...)
		}
		copies := (d.spans + nezha.SpanCount(rss) - 1) / nezha.SpanCount(rss)
		rss = nil
		measure(b, d, func() int {
			g, err := metricsgen.NewGenerator(opts)
			if err != nil {
				b.Fatal(err)
			}
			spans := 0
			for k := 0; k < copies && spans < d.spans; k++ {
				var all []model.ResourceSpans
				for _, t := range base {
					all = append(all, t.ResourceSpans...)
				}
				c, err := nezha.Copy(all, k, time.Hour)
				if err != nil {
					b.Fatal(err)
				}
				for _, t := range nezha.GroupTraces(c) {
					g.Add(t)
					spans += t.SpanCount()
				}
			}
			res := g.Result()
			return len(res.Families[0].Series)
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
