package main

import (
	"strings"
	"testing"
	"time"

	"github.com/tracectl/tracectl/internal/ui"
	"github.com/tracectl/tracectl/metricsgen"
)

// TestMetricsgenFlags checks flags → library options without doing work.
func TestMetricsgenFlags(t *testing.T) {
	var got *metricsgenOptions
	g := &globals{io: &ui.IO{}}
	cmd := newMetricsgenCmd(g, func(o *metricsgenOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--naming", "otel", "--dimensions", "http.method,region=eu", "--graph-dimensions", "deployment.environment",
		"--buckets", "5ms,1s", "--max-series", "100", "--start", "2026-08-19T09:00:00Z", "--end", "1787133600", "--step", "30s",
		"--generators", "span-metrics", "-o", "openmetrics"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	o, err := got.libOptions(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	region := "eu"
	want := metricsgen.Options{
		Naming: metricsgen.NamingOTel, SpanMetrics: true,
		Dimensions:      []metricsgen.Dimension{{Name: "http.method"}, {Name: "region", Default: &region}},
		GraphDimensions: []string{"deployment.environment"},
		Buckets:         []float64{0.005, 1}, MaxSeries: 100,
		PeerAttributes: []string{"peer.service", "db.name", "db.system"}, DatabaseAttributes: []string{"db.name"},
		Step:  30 * time.Second,
		Start: time.Date(2026, 8, 19, 9, 0, 0, 0, time.UTC), End: time.Unix(1787133600, 0).UTC(),
	}
	if o.Naming != want.Naming || o.SpanMetrics != want.SpanMetrics || o.ServiceGraph || o.MaxSeries != 100 ||
		o.Step != want.Step || !o.Start.Equal(want.Start) || !o.End.Equal(want.End) ||
		len(o.Dimensions) != 2 || *o.Dimensions[1].Default != "eu" || o.Buckets[0] != 0.005 ||
		strings.Join(o.GraphDimensions, ",") != "deployment.environment" || got.output.value != "openmetrics" {
		t.Errorf("options %+v, want %+v", o, want)
	}
}

// TestMetricsgenGraphDefaultsToTable: --graph alone prints the table.
func TestMetricsgenGraphDefaultsToTable(t *testing.T) {
	var got *metricsgenOptions
	cmd := newMetricsgenCmd(&globals{io: &ui.IO{}}, func(o *metricsgenOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--graph"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.output.value != "table" {
		t.Errorf("output %q, want table", got.output.value)
	}
}
