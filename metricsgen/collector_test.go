package metricsgen

import (
	"context"
	"encoding/json"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.yaml.in/yaml/v3"

	"github.com/tracectl/tracectl/codec/input"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store/storetest"
)

// loadTraces decodes fixture files (relative to the shared fixtures) into traces.
func loadTraces(t testing.TB, rels ...string) []*model.Trace {
	t.Helper()
	paths := make([]string, len(rels))
	for i, r := range rels {
		paths[i] = fixtures.Path(t, r)
	}
	traces, err := input.DecodeTraces(context.Background(), paths, input.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return traces
}

func generate(t testing.TB, traces []*model.Trace, o Options) *Result {
	t.Helper()
	res, err := Generate(context.Background(), storetest.New(traces), o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// flatSample is one Prometheus sample reduced to comparable text:
// name{sorted labels} -> value.
type flatSample map[string]string

func sampleKey(name string, labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+strconv.Quote(labels[k]))
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', 12, 64) }

// flattenResult lists our samples; histograms with no observation are
// left out (see flattenOTLP).
func flattenResult(res *Result) flatSample {
	out := flatSample{}
	for _, f := range res.Families {
		for _, s := range f.Series {
			labels := map[string]string{}
			for _, l := range s.Labels {
				labels[l.Name] = l.Value
			}
			p := s.Points[len(s.Points)-1]
			if f.Type == Counter {
				out[sampleKey(f.Name+"_total", labels)] = num(p.Value)
				continue
			}
			addHistogram(out, f.Name, labels, f.Bounds, p.Buckets, p.Count, p.Sum)
		}
	}
	return out
}

func addHistogram(out flatSample, name string, labels map[string]string, bounds []float64, cum []uint64, count uint64, sum float64) {
	if count == 0 {
		return
	}
	for i, b := range bounds {
		l := map[string]string{"le": num(b)}
		for k, v := range labels {
			l[k] = v
		}
		out[sampleKey(name+"_bucket", l)] = strconv.FormatUint(cum[i], 10)
	}
	out[sampleKey(name+"_count", labels)] = strconv.FormatUint(count, 10)
	out[sampleKey(name+"_sum", labels)] = num(sum)
}

// readOTLPMetrics reads the Collector's golden metrics (OTLP/JSON written
// as YAML).
func readOTLPMetrics(t *testing.T, rel string) pmetric.Metrics {
	t.Helper()
	data, err := os.ReadFile(fixtures.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	md, err := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(js)
	if err != nil {
		t.Fatal(err)
	}
	return md
}

// promName is the name a Prometheus exporter gives an OTLP metric: the
// unit "s" adds _seconds, a monotonic sum _total (unless already there).
func promName(m pmetric.Metric) string {
	name := m.Name()
	if m.Unit() == "s" && !strings.HasSuffix(name, "_seconds") {
		name += "_seconds"
	}
	if m.Unit() == "ms" && !strings.HasSuffix(name, "_milliseconds") {
		name += "_milliseconds"
	}
	if m.Type() == pmetric.MetricTypeSum && m.Sum().IsMonotonic() && !strings.HasSuffix(name, "_total") {
		name += "_total"
	}
	return strings.ReplaceAll(name, ".", "_")
}

// otlpLabels converts data point attributes the way a Prometheus exporter
// does: keys sanitized, values as strings, empty values dropped.
func otlpLabels(attrs pcommon.Map) map[string]string {
	out := map[string]string{}
	attrs.Range(func(k string, v pcommon.Value) bool {
		if s := v.AsString(); s != "" {
			out[LabelName(k)] = s
		}
		return true
	})
	return out
}

// flattenOTLP lists the samples of OTLP metrics. Histogram points with a
// zero count are left out: older Collectors emitted an empty messaging
// histogram for every edge, metricsgen only for messaging edges.
func flattenOTLP(md pmetric.Metrics) flatSample {
	out := flatSample{}
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				name := promName(m)
				switch m.Type() {
				case pmetric.MetricTypeSum:
					dps := m.Sum().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						dp := dps.At(d)
						v := dp.DoubleValue()
						if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
							v = float64(dp.IntValue())
						}
						out[sampleKey(name, otlpLabels(dp.Attributes()))] = num(v)
					}
				case pmetric.MetricTypeHistogram:
					dps := m.Histogram().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						dp := dps.At(d)
						bounds := dp.ExplicitBounds().AsRaw()
						cum := make([]uint64, len(bounds))
						var run uint64
						for b := range bounds {
							if b < dp.BucketCounts().Len() {
								run += dp.BucketCounts().At(b)
							}
							cum[b] = run
						}
						addHistogram(out, strings.TrimSuffix(name, "_total"), otlpLabels(dp.Attributes()), bounds, cum, dp.Count(), dp.Sum())
					}
				}
			}
		}
	}
	return out
}

// TestCollectorServiceGraphGoldens feeds the servicegraph connector's own
// test traces through metricsgen (--naming otel) with the settings its
// tests used (PROVENANCE.md) and compares every sample with the metrics the
// Collector produced.
func TestCollectorServiceGraphGoldens(t *testing.T) {
	const dir = "opentelemetry-collector-contrib/servicegraph/"
	small := []float64{0.1, 1, 10}
	virtualDims := []string{"peer.service", "db.system", "messaging.system"}
	tests := []struct {
		trace, metrics string
		opts           Options
	}{
		{"failed-label-not-work-simple-trace.yaml", "failed-label-not-work-expect-metrics.yaml", Options{}},
		{"messaging-system-trace.yaml", "messaging-system-trace-expected-metrics.yaml", Options{}},
		{"extra-dimensions-queue-db-trace.yaml", "extra-dimensions-queue-db-expected-metrics.yaml",
			Options{GraphDimensions: []string{"db.system", "messaging.system"}, GraphBuckets: small}},
		{"virtual-node-label-client-trace.yaml", "virtual-node-label-client-expected-metrics.yaml",
			Options{GraphDimensions: virtualDims, PeerAttributes: virtualDims, VirtualNodeLabel: true, GraphBuckets: small}},
		{"virtual-node-label-server-trace.yaml", "virtual-node-label-server-expected-metrics.yaml",
			Options{GraphDimensions: virtualDims, PeerAttributes: virtualDims, VirtualNodeLabel: true, GraphBuckets: small}},
	}
	for _, tc := range tests {
		t.Run(strings.TrimSuffix(tc.trace, ".yaml"), func(t *testing.T) {
			o := tc.opts
			o.Naming, o.ServiceGraph = NamingOTel, true
			res := generate(t, loadTraces(t, dir+tc.trace), o)
			got := flattenResult(res)
			want := flattenOTLP(readOTLPMetrics(t, dir+tc.metrics))
			if len(want) == 0 {
				t.Fatal("golden has no samples")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("samples differ from the Collector's (-collector +metricsgen):\n%s", diff)
			}
		})
	}
}

func TestLabelName(t *testing.T) {
	for in, want := range map[string]string{
		"service.name":     "service_name",
		"http.status_code": "http_status_code",
		"2xx":              "key_2xx",
		"k8s.pod-name":     "k8s_pod_name",
		"ünï":              "_n_",
	} {
		if got := LabelName(in); got != want {
			t.Errorf("LabelName(%q) = %q, want %q", in, got, want)
		}
	}
}
