package conformance

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/codec/input"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/metricsgen"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/store/storetest"
)

// TestMetricsgenOnBlocks checks that metricsgen over the block reader —
// which it asks for an unordered scan of only the columns the options read
// — prints exactly what it prints over the same traces in memory, for
// option sets that need different columns.
func TestMetricsgenOnBlocks(t *testing.T) {
	paths := []string{fixtures.Path(t, "jaeger/skills"), fixtures.Path(t, "tempo/servicegraphs"), fixtures.Path(t, "jaeger/otlp")}
	traces, err := input.DecodeTraces(context.Background(), paths, input.Options{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	blocksSrc := writeBlocks(t, traces, 2)
	memSrc := storetest.New(traces)
	ptr := func(s string) *string { return &s }
	tests := []struct {
		name string
		opts metricsgen.Options
	}{
		{"defaults", metricsgen.Options{}},
		{"span-metrics-no-attributes", metricsgen.Options{SpanMetrics: true}},
		{"graph-no-peer-attributes", metricsgen.Options{ServiceGraph: true, PeerAttributes: []string{}, DatabaseAttributes: []string{}}},
		{"dimensions", metricsgen.Options{Naming: metricsgen.NamingOTel, Dimensions: []metricsgen.Dimension{{Name: "http.method"}, {Name: "service.namespace", Default: ptr("none")}},
			GraphDimensions: []string{"host.name"}, VirtualNodeLabel: true}},
		{"events", metricsgen.Options{SpanMetrics: true, Events: true, EventDimensions: []metricsgen.Dimension{{Name: "level"}}}},
		{"steps-and-cap", metricsgen.Options{Step: time.Minute, MaxSeries: 20}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			render := func(src store.Source) string {
				res, err := metricsgen.Generate(context.Background(), src, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := metricsgen.WriteText(&buf, res, metricsgen.FormatOpenMetrics); err != nil {
					t.Fatal(err)
				}
				return buf.String()
			}
			want := render(memSrc)
			if len(want) < 1000 {
				t.Fatalf("only %d bytes of output", len(want))
			}
			if diff := cmp.Diff(want, render(blocksSrc)); diff != "" {
				t.Errorf("blocks differ from memory (-memory +blocks):\n%s", diff)
			}
		})
	}
}

// TestMetricsgenParallelMatchesSerial: over blocks, without --max-series,
// metricsgen aggregates on every core and merges; on 5,000 generated
// traces in 10 blocks, with four goroutines, it prints exactly what one
// generator prints over the same traces in memory (counts, histograms,
// exemplars, steps, the graph).
func TestMetricsgenParallelMatchesSerial(t *testing.T) {
	if testing.Short() {
		t.Skip("5,000 generated traces")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	g := gen.New(gen.Options{Seed: 3, Services: 20})
	traces := make([]*model.Trace, 5000)
	for i := range traces {
		traces[i] = g.Trace()
	}
	blocksSrc := writeBlocks(t, traces, 500)
	memSrc := storetest.New(traces)
	for _, opts := range []metricsgen.Options{
		{},
		{Naming: metricsgen.NamingOTel, Step: 30 * time.Second, Dimensions: []metricsgen.Dimension{{Name: "http.request.method"}}, GraphDimensions: []string{"deployment.environment"}},
		{SpanMetrics: true, Events: true, Step: time.Minute},
	} {
		render := func(src store.Source) string {
			res, err := metricsgen.Generate(context.Background(), src, opts)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := metricsgen.WriteText(&buf, res, metricsgen.FormatOpenMetrics); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&buf, "%+v\n", res.Stats)
			return buf.String()
		}
		want := render(memSrc)
		if diff := cmp.Diff(want, render(blocksSrc)); diff != "" {
			t.Errorf("%+v: parallel over blocks differs from serial in memory (-serial +parallel):\n%s", opts, diff)
		}
	}
}
