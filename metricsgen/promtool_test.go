package metricsgen

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tracectl/tracectl/codec/input"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/promtext"
)

// promtool returns the promtool binary, skipping the test when it is not
// installed (.ci/run installs Debian's prometheus package, which has it).
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus; .ci/run installs it): skipping the check of our output with Prometheus' own tools")
	}
	return p
}

func runPromtool(t *testing.T, stdin []byte, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func render(t *testing.T, res *Result, f Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteText(&buf, res, f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPromtoolCheckMetrics runs promtool check metrics (parse and lint) on
// real output: Tempo naming must be clean; the Collector's names only draw
// promtool's "use base unit seconds" lint on the milliseconds histogram,
// which is the Collector's own name.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool(t)
	traces := loadTraces(t, append(append([]string{}, demoFiles...), tempoGraphFiles...)...)
	tests := []struct {
		name string
		opts Options
		lint string // the only lint problem allowed
	}{
		{"tempo", Options{Dimensions: []Dimension{{Name: "http.method"}}}, ""},
		{"tempo-at", Options{At: t0}, ""},
		{"tempo-step", Options{Step: time.Minute}, ""},
		{"tempo-overflow", Options{MaxSeries: 5}, ""},
		{"otel", Options{Naming: NamingOTel, GraphDimensions: []string{"service.namespace"}}, `traces_span_metrics_duration_milliseconds use base unit "seconds" instead of "milliseconds"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := render(t, generate(t, traces, tc.opts), FormatProm)
			out, err := runPromtool(t, text, "check", "metrics")
			if tc.lint == "" {
				if err != nil {
					t.Fatalf("promtool check metrics: %v\n%s", err, out)
				}
				return
			}
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				if line != "" && line != tc.lint {
					t.Errorf("promtool check metrics: %s", line)
				}
			}
		})
	}
}

// TestPromtoolAllFixtures renders every shared fixture (odd service and
// span names, every attribute type, broken timestamps) in both formats:
// promtool must parse the text, and backfill the OpenMetrics with exemplars.
func TestPromtoolAllFixtures(t *testing.T) {
	promtool(t)
	traces, err := input.DecodeTraces(context.Background(), []string{fixtures.Root(t)}, input.Options{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	res := generate(t, traces, Options{Dimensions: []Dimension{{Name: "http.method"}, {Name: "peer.service"}}, GraphDimensions: []string{"host.name"}, At: t0})
	if res.Stats.Spans < 1000 {
		t.Fatalf("only %d spans from the fixtures", res.Stats.Spans)
	}
	if out, err := runPromtool(t, render(t, res, FormatProm), "check", "metrics"); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "all.om")
	if err := os.WriteFile(file, render(t, res, FormatOpenMetrics), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runPromtool(t, nil, "tsdb", "create-blocks-from", "openmetrics", file, filepath.Join(dir, "tsdb")); err != nil {
		t.Fatalf("backfill: %v\n%s", err, out)
	}
}

// TestPromtoolBackfill loads --step OpenMetrics output (with exemplars)
// into a TSDB with promtool tsdb create-blocks-from openmetrics, the
// backfill path the step option exists for, and checks every sample landed.
func TestPromtoolBackfill(t *testing.T) {
	promtool(t)
	res := generate(t, synthTraces(t0, 30, 6), Options{Step: time.Minute})
	text := render(t, res, FormatOpenMetrics)
	dir := t.TempDir()
	file := filepath.Join(dir, "backfill.om")
	if err := os.WriteFile(file, text, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runPromtool(t, nil, "tsdb", "create-blocks-from", "openmetrics", file, filepath.Join(dir, "tsdb"))
	if err != nil {
		t.Fatalf("backfill: %v\n%s", err, out)
	}
	var samples int
	series := map[string]bool{}
	for _, line := range strings.Split(string(text), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		samples++
		series[line[:strings.LastIndex(strings.SplitN(line, " # ", 2)[0], "} ")+1]] = true
	}
	// The block table: ULID, min time, max time, duration, samples, chunks, series, size.
	m := regexp.MustCompile(`(?m)^\w{26}\s+\d+\s+\d+\s+\S+\s+(\d+)\s+\d+\s+(\d+)\s`).FindAllStringSubmatch(out, -1)
	var gotSamples, gotSeries int
	for _, row := range m {
		a, _ := strconv.Atoi(row[1])
		b, _ := strconv.Atoi(row[2])
		gotSamples += a
		gotSeries = max(gotSeries, b)
	}
	if gotSamples != samples || gotSeries != len(series) {
		t.Errorf("TSDB holds %d samples in %d series, we wrote %d in %d:\n%s", gotSamples, gotSeries, samples, len(series), out)
	}
}

// TestSeedQueriesAndAlert evaluates the seed article's RED queries and its
// ServiceDependencyErrorRate alert with promtool test rules on our --step
// output for 30 minutes of synthetic traffic (6 requests a minute, one
// failing api→orders call a minute), in both namings.
func TestSeedQueriesAndAlert(t *testing.T) {
	promtool(t)
	start := time.Unix(0, 0).UTC() // promtool's tests start at time 0
	traces := synthTraces(start, 30, 6)
	dir := t.TempDir()
	rules := `groups:
  - name: seed
    rules:
      - alert: ServiceDependencyErrorRate
        expr: |
          sum(rate(traces_service_graph_request_failed_total[5m])) by (client, server) /
          sum(rate(traces_service_graph_request_total[5m])) by (client, server) > 0.05
        for: 5m
        labels:
          severity: critical
        annotations:
          summary: "{{ $labels.client }} → {{ $labels.server }} error rate > 5%"
`
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, naming := range []Naming{NamingTempo, NamingOTel} {
		t.Run(string(naming), func(t *testing.T) {
			res := generate(t, traces, Options{Naming: naming, Step: time.Minute})
			var red string
			if naming == NamingTempo {
				// The seed's RED queries, rounded so the values compare exactly.
				red = `
      - expr: round(1000 * sum(rate(traces_spanmetrics_calls_total[5m])) by (service))
        eval_time: 20m
        exp_samples:
          - {labels: '{service="api"}', value: 300}
          - {labels: '{service="orders"}', value: 100}
          - {labels: '{service="users"}', value: 100}
      - expr: round(100000 * sum(rate(traces_spanmetrics_calls_total{status_code="STATUS_CODE_ERROR"}[5m])) by (service))
        eval_time: 20m
        exp_samples:
          - {labels: '{service="api"}', value: 1667}
          - {labels: '{service="orders"}', value: 1667}
      - expr: round(100000 * histogram_quantile(0.99, sum(rate(traces_spanmetrics_latency_bucket{service=~"orders|users"}[5m])) by (le, service)))
        eval_time: 20m
        exp_samples:
          - {labels: '{service="orders"}', value: 6368}
          - {labels: '{service="users"}', value: 3184}`
			}
			test := fmt.Sprintf(`rule_files: [rules.yaml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
%s
    alert_rule_test:
      - eval_time: 20m
        alertname: ServiceDependencyErrorRate
        exp_alerts:
          - exp_labels: {severity: critical, client: api, server: orders}
            exp_annotations: {summary: "api → orders error rate > 5%%"}
      - eval_time: 4m
        alertname: ServiceDependencyErrorRate
    promql_expr_test:
      - expr: sum(rate(traces_service_graph_request_failed_total[5m])) by (client, server) / sum(rate(traces_service_graph_request_total[5m])) by (client, server) > 0.05
        eval_time: 20m
        exp_samples:
          - {labels: '{client="api", server="orders"}', value: 0.16666666666666666}%s
`, inputSeries(res, time.Minute), red)
			file := filepath.Join(dir, "test-"+string(naming)+".yaml")
			if err := os.WriteFile(file, []byte(test), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := runPromtool(t, nil, "test", "rules", file); err != nil {
				t.Fatalf("promtool test rules: %v\n%s", err, out)
			}
		})
	}
}

// inputSeries renders res as promtool's input_series: one line per sample
// name and label set, values per step from time 0 ("_" where absent).
func inputSeries(res *Result, step time.Duration) string {
	values := map[string]map[int64]string{}
	put := func(name, labels string, at time.Time, v string) {
		k := name + "{" + labels + "}"
		if values[k] == nil {
			values[k] = map[int64]string{}
		}
		values[k][int64(at.Sub(time.Unix(0, 0))/step)] = v
	}
	for _, f := range res.Families {
		for _, s := range f.Series {
			labels := formatLabels(s.Labels)
			for _, p := range s.Points {
				if f.Type == Counter {
					put(f.Name+"_total", labels, p.Time, promtext.Float(p.Value))
					continue
				}
				sep := ","
				if labels == "" {
					sep = ""
				}
				for i, b := range f.Bounds {
					put(f.Name+"_bucket", labels+sep+`le="`+promtext.Float(b)+`"`, p.Time, strconv.FormatUint(p.Buckets[i], 10))
				}
				put(f.Name+"_bucket", labels+sep+`le="+Inf"`, p.Time, strconv.FormatUint(p.Count, 10))
				put(f.Name+"_sum", labels, p.Time, promtext.Float(p.Sum))
				put(f.Name+"_count", labels, p.Time, strconv.FormatUint(p.Count, 10))
			}
		}
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		var last int64
		for i := range values[k] {
			last = max(last, i)
		}
		vs := make([]string, last+1)
		for i := range vs {
			if v, ok := values[k][int64(i)]; ok {
				vs[i] = v
			} else {
				vs[i] = "_"
			}
		}
		fmt.Fprintf(&b, "      - series: %s\n        values: '%s'\n", strconv.Quote(k), strings.Join(vs, " "))
	}
	return strings.TrimRight(b.String(), "\n")
}
