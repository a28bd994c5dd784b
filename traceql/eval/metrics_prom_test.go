package eval_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/traceql/eval"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// histResult is a small histogram_over_time answer: two groups, buckets
// listed out of order, a bucket missing at one step, sums and exemplars.
func histResult() *eval.MetricsResult {
	tid, _ := model.ParseTraceID("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := model.ParseSpanID("00f067aa0ba902b7")
	bucket := func(svc string, b float64, counts, sums []float64, ex ...eval.Exemplar) *eval.Series {
		s := &eval.Series{Labels: []model.Attribute{model.Str("resource.service.name", svc), model.Double("__bucket", b)},
			Sums: sums, Exemplars: ex}
		for i, c := range counts {
			if c > 0 {
				s.Samples = append(s.Samples, eval.Sample{TimestampMs: int64(60_000 * (i + 1)), Value: c})
			} else {
				s.Sums = append(s.Sums[:len(s.Samples)], s.Sums[len(s.Samples)+1:]...)
			}
		}
		return s
	}
	return &eval.MetricsResult{Series: []*eval.Series{
		bucket("api", 2.147483648, []float64{1, 2}, []float64{1.5, 3.25}),
		bucket("api", 0.000262144, []float64{3, 0}, []float64{0.0006, 0},
			eval.Exemplar{TraceID: tid, SpanID: sid, TimestampMs: 30_500, Value: 0.0002}),
		bucket("api", 17.179869184, []float64{0, 1}, []float64{0, 10}),
		bucket("db", 3.3e-05, []float64{4, 4}, []float64{0.0001, 0.0001}),
	}}
}

// TestWriteExposition checks the exposition of gauges and histograms in
// both formats against golden files (go test -run TestWriteExposition
// -update rewrites them).
func TestWriteExposition(t *testing.T) {
	gauge := &eval.MetricsResult{Series: []*eval.Series{{
		Labels:    []model.Attribute{model.Str("resource.service.name", "api")},
		Samples:   []eval.Sample{{TimestampMs: 60_000, Value: 1000004}, {TimestampMs: 120_000, Value: 0.5}},
		Exemplars: histResult().Series[1].Exemplars, // gauges have no exemplars in OpenMetrics
	}}}
	for _, tc := range []struct {
		file string
		res  *eval.MetricsResult
		opts eval.ExpositionOptions
	}{
		{"rate.prom", gauge, eval.ExpositionOptions{Name: "rate"}},
		{"rate-all.prom", gauge, eval.ExpositionOptions{Name: "rate", AllSteps: true}},
		{"rate.om", gauge, eval.ExpositionOptions{Name: "rate", OpenMetrics: true}},
		{"histogram.prom", histResult(), eval.ExpositionOptions{Name: "histogram_over_time"}},
		{"histogram-all.prom", histResult(), eval.ExpositionOptions{Name: "histogram_over_time", AllSteps: true}},
		{"histogram.om", histResult(), eval.ExpositionOptions{Name: "histogram_over_time", OpenMetrics: true}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := eval.WriteExposition(&buf, tc.res, tc.opts); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.file+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != string(want) {
				t.Errorf("%s differs:\n got:\n%s\nwant:\n%s", tc.file, got, want)
			}
		})
	}
}

// TestExpositionPromtool runs Prometheus' own tools on real output over the
// HotROD captures: promtool check metrics on -o prom, and promtool tsdb
// create-blocks-from openmetrics on -o openmetrics. Skipped only when
// promtool is not on the PATH (.ci/run installs Debian's prometheus).
func TestExpositionPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus; .ci/run installs it)")
	}
	src, _, start, end := metricsFixture(t)
	opts := eval.MetricsOptions{Start: start, End: end, Step: end.Sub(start) / 20}
	for _, q := range []struct{ name, query string }{
		{"histogram_over_time", `{ } | histogram_over_time(duration) by (resource.service.name)`},
		{"rate", `{ } | rate() by (resource.service.name, span.http.status_code)`},
		{"quantile_over_time", `{ } | quantile_over_time(duration, .5, .99)`},
	} {
		res, err := eval.Metrics(context.Background(), src, q.query, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []eval.ExpositionOptions{
			{Name: q.name}, {Name: q.name, AllSteps: true}, {Name: q.name, OpenMetrics: true},
		} {
			var buf bytes.Buffer
			if err := eval.WriteExposition(&buf, res, o); err != nil {
				t.Fatal(err)
			}
			var cmd *exec.Cmd
			if o.OpenMetrics {
				if q.name == "histogram_over_time" && !bytes.Contains(buf.Bytes(), []byte(` # {trace_id="`)) {
					t.Errorf("%s: no exemplar in the OpenMetrics output", q.query)
				}
				dir := t.TempDir()
				file := filepath.Join(dir, "in.om")
				if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				cmd = exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", file, filepath.Join(dir, "out"))
			} else {
				cmd = exec.Command(promtool, "check", "metrics")
				cmd.Stdin = bytes.NewReader(buf.Bytes())
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s %+v: %v: %v\n%s", q.query, o, cmd.Args[1:], err, out)
			}
		}
	}
}
