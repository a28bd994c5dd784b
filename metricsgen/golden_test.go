package metricsgen

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/internal/promtext"
	"github.com/tracectl/tracectl/model"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var (
	demoFiles = []string{
		"jaeger/skills/error_timeout_masked.json",
		"jaeger/skills/n_plus_one_full_serial.json",
		"jaeger/skills/n_plus_one_full_concurrent.json",
		"jaeger/skills/sibling_errors.json",
	}
	tempoGraphFiles = []string{
		"tempo/servicegraphs/trace-with-expired-edges.json",
		"tempo/servicegraphs/trace-with-failed-requests.json",
		"tempo/servicegraphs/trace-with-queue-database.json",
		"tempo/servicegraphs/trace-with-virtual-nodes.json",
	}
)

// TestGoldens renders real traces (the OpenTelemetry demo and HotROD
// captures, the traces of Tempo's service-graph tests) and compares the
// text with testdata/*.golden. Run with -update to rewrite them after
// checking the diff by hand.
func TestGoldens(t *testing.T) {
	tests := []struct {
		name   string
		files  []string
		opts   Options
		format string // prom, openmetrics, dot, mermaid
	}{
		{"demo-tempo.prom", demoFiles, Options{Dimensions: []Dimension{{Name: "http.method"}}}, "prom"},
		{"demo-otel.prom", demoFiles, Options{Naming: NamingOTel, GraphDimensions: []string{"service.namespace"}, Dimensions: []Dimension{{Name: "telemetry.sdk.language", Default: ptr("unknown")}}}, "prom"},
		{"demo-spanmetrics.openmetrics", demoFiles, Options{SpanMetrics: true}, "openmetrics"},
		{"tempo-servicegraphs.prom", tempoGraphFiles, Options{ServiceGraph: true}, "prom"},
		{"tempo-servicegraphs-otel.prom", tempoGraphFiles, Options{ServiceGraph: true, Naming: NamingOTel, VirtualNodeLabel: true}, "prom"},
		{"tempo-servicegraphs.dot", tempoGraphFiles, Options{ServiceGraph: true}, "dot"},
		{"tempo-servicegraphs.mermaid", tempoGraphFiles, Options{ServiceGraph: true}, "mermaid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := generate(t, loadTraces(t, tc.files...), tc.opts)
			var buf bytes.Buffer
			var err error
			switch tc.format {
			case "prom":
				err = WriteText(&buf, res, FormatProm)
			case "openmetrics":
				err = WriteText(&buf, res, FormatOpenMetrics)
			case "dot":
				err = res.Graph.WriteDOT(&buf)
			case "mermaid":
				err = res.Graph.WriteMermaid(&buf)
			}
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("%s differs (-golden +got):\n%s", path, diff)
			}
		})
	}
}

var exemplarRE = regexp.MustCompile(`^(\w+)\{(.*)\} (\S+) # \{trace_id="([0-9a-f]{32})",span_id="([0-9a-f]{16})"\} (\S+) (\S+)$`)

// TestExemplarsPointAtRealSpans checks every OpenMetrics exemplar: it names
// a span of the input whose service, name, kind and status are the
// series' labels, its labels fit OpenMetrics' 128-character limit, and its
// value is the span's duration in the bucket (or 1 on a counter).
func TestExemplarsPointAtRealSpans(t *testing.T) {
	traces := loadTraces(t, demoFiles...)
	spans := map[string]model.SpanRef{}
	for _, tr := range traces {
		tr.Spans(func(r model.SpanRef) bool {
			spans[r.Span.TraceID.String()+r.Span.SpanID.String()] = r
			return true
		})
	}
	res := generate(t, traces, Options{SpanMetrics: true})
	var buf bytes.Buffer
	if err := WriteText(&buf, res, FormatOpenMetrics); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(buf.String(), "\n") {
		if !strings.Contains(line, " # {") {
			continue
		}
		m := exemplarRE.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("malformed exemplar line: %s", line)
		}
		n++
		if l := len(`trace_id=""span_id=""`) + len(m[4]) + len(m[5]); l > 128 {
			t.Errorf("exemplar labels are %d characters", l)
		}
		r, ok := spans[m[4]+m[5]]
		if !ok {
			t.Fatalf("exemplar points at no span: %s", line)
		}
		for _, want := range []string{
			`service="` + r.Resource.ServiceName() + `"`,
			`span_name="` + promtext.EscapeLabel(r.Span.Name) + `"`,
			`span_kind="` + kindName(r.Span.Kind) + `"`,
			`status_code="` + statusName(r.Span.Status.Code) + `"`,
		} {
			if !strings.Contains(m[2], want) {
				t.Errorf("exemplar span %s/%s does not belong to the series (%s missing): %s", m[4], m[5], want, line)
			}
		}
		wantValue := promtext.Float(float64(r.Span.Duration()) / 1e9)
		if m[1] == "traces_spanmetrics_calls_total" {
			wantValue = "1"
		}
		if m[6] != wantValue {
			t.Errorf("exemplar value %s, want %s: %s", m[6], wantValue, line)
		}
	}
	if n < 50 {
		t.Fatalf("only %d exemplars", n)
	}
}

func ptr(s string) *string { return &s }
