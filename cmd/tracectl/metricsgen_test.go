package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tracectl/tracectl/internal/fixtures"
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

// TestMetricsgenGraphJSONTimes: the graph's start and end are the data's
// range, or the flags' bounds; a bound that neither gives is left out,
// not written as year 1.
func TestMetricsgenGraphJSONTimes(t *testing.T) {
	bucket := "file://" + t.TempDir()
	mustRun(t, "--bucket", bucket, "ingest", fixtures.Path(t, "zipkin/v2/yelp.json"))
	var g struct {
		Start *time.Time `json:"start"`
		End   *time.Time `json:"end"`
		Edges []any      `json:"edges"`
	}
	decode := func(out string) {
		t.Helper()
		g.Start, g.End, g.Edges = nil, nil, nil
		if err := json.Unmarshal([]byte(out), &g); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if strings.Contains(out, "0001-01-01") {
			t.Errorf("a zero time in %s", out)
		}
	}
	decode(mustRun(t, "--bucket", bucket, "metricsgen", "--graph", "-o", "json"))
	if g.Start == nil || g.End == nil || g.End.Before(*g.Start) || len(g.Edges) == 0 {
		t.Errorf("whole range: start %v end %v, %d edges", g.Start, g.End, len(g.Edges))
	}
	// The fixture is years old: nothing in the last hour.
	decode(mustRun(t, "--bucket", bucket, "metricsgen", "--graph", "-o", "json", "--since", "1h"))
	if g.Start == nil || time.Since(*g.Start) > 2*time.Hour || g.End != nil || len(g.Edges) != 0 {
		t.Errorf("--since 1h: start %v end %v, %d edges", g.Start, g.End, len(g.Edges))
	}
}
