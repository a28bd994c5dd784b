// Package spanmetrics checks tracectl's metricsgen (--naming otel) against
// the OpenTelemetry Collector's spanmetrics connector itself: the same
// traces go through both and every series must have the same value. It is
// a separate module so the Collector's dependencies stay out of tracectl's
// go.mod.
package spanmetrics

import (
	"context"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/open-telemetry/opentelemetry-collector-contrib/connector/spanmetricsconnector"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/codec/input"
	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/metricsgen"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/store/storetest"
)

func decodeFiles(t *testing.T, paths ...string) []*model.Trace {
	traces, err := input.DecodeTraces(context.Background(), paths, input.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return traces
}

// tempoBlock reads the vParquet4 block written by Grafana Tempo.
func tempoBlock(t *testing.T) []*model.Trace {
	ctx := context.Background()
	b, err := blocks.OpenBucket(ctx, "file://"+filepath.Join(fixtures.Root(t), "tempo", "vparquet4-block"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	it, err := blocks.NewStore(b, "single-tenant").Traces(ctx, store.Request{})
	if err != nil {
		t.Fatal(err)
	}
	traces, err := store.Collect(it)
	if err != nil {
		t.Fatal(err)
	}
	return traces
}

type flat map[string]string

// add sums v into the sample k: the connector keeps one data point per
// resource (instances of a service differ in resource attributes, which a
// Prometheus exporter turns into job/instance), metricsgen sums them.
func (f flat) add(k string, v float64) {
	if old, ok := f[k]; ok {
		o, _ := strconv.ParseFloat(old, 64)
		v += o
	}
	f[k] = num(v)
}

func key(name string, labels map[string]string) string {
	ks := make([]string, 0, len(labels))
	for k := range labels {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = k + "=" + strconv.Quote(labels[k])
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

// num rounds to 12 significant digits: sums of float durations may differ
// in the last bits with the order of addition.
func num(f float64) string { return strconv.FormatFloat(f, 'g', 12, 64) }

func histogram(out flat, name string, labels map[string]string, bounds []float64, cum []uint64, count uint64, sum float64) {
	for i, b := range bounds {
		l := map[string]string{"le": num(b)}
		for k, v := range labels {
			l[k] = v
		}
		out.add(key(name+"_bucket", l), float64(cum[i]))
	}
	out.add(key(name+"_count", labels), float64(count))
	out.add(key(name+"_sum", labels), sum)
}

// collectorFlat renders the connector's OTLP output as a Prometheus
// exporter names it; collector.instance.id (random per process) is dropped.
func collectorFlat(md pmetric.Metrics) flat {
	out := flat{}
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				name := strings.ReplaceAll(m.Name(), ".", "_")
				switch m.Unit() {
				case "ms":
					name += "_milliseconds"
				case "s":
					name += "_seconds"
				}
				switch m.Type() {
				case pmetric.MetricTypeSum:
					dps := m.Sum().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						out.add(key(name+"_total", labels(dps.At(d).Attributes())), float64(dps.At(d).IntValue()))
					}
				case pmetric.MetricTypeHistogram:
					dps := m.Histogram().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						dp := dps.At(d)
						bounds := dp.ExplicitBounds().AsRaw()
						cum := make([]uint64, len(bounds))
						var run uint64
						for b := range bounds {
							run += dp.BucketCounts().At(b)
							cum[b] = run
						}
						histogram(out, name, labels(dp.Attributes()), bounds, cum, dp.Count(), dp.Sum())
					}
				}
			}
		}
	}
	return out
}

func labels(attrs pcommon.Map) map[string]string {
	out := map[string]string{}
	attrs.Range(func(k string, v pcommon.Value) bool {
		if k != "collector.instance.id" {
			out[metricsgen.LabelName(k)] = v.AsString()
		}
		return true
	})
	return out
}

func ourFlat(res *metricsgen.Result) flat {
	out := flat{}
	for _, f := range res.Families {
		for _, s := range f.Series {
			l := map[string]string{}
			for _, lb := range s.Labels {
				l[lb.Name] = lb.Value
			}
			p := s.Points[len(s.Points)-1]
			if f.Type == metricsgen.Counter {
				out.add(key(f.Name+"_total", l), p.Value)
				continue
			}
			histogram(out, f.Name, l, f.Bounds, p.Buckets, p.Count, p.Sum)
		}
	}
	return out
}

// runConnector feeds traces through the Collector's spanmetrics connector
// and returns the cumulative metrics of the first flush after they were
// all consumed.
func runConnector(t *testing.T, traces []*model.Trace, dims, eventDims []spanmetricsconnector.Dimension, buckets []time.Duration, seconds bool) pmetric.Metrics {
	factory := spanmetricsconnector.NewFactory()
	cfg := factory.CreateDefaultConfig().(*spanmetricsconnector.Config)
	cfg.Dimensions = dims
	if buckets != nil {
		cfg.Histogram.Explicit = configoptional.Some(spanmetricsconnector.ExplicitHistogramConfig{Buckets: buckets})
	}
	if seconds {
		cfg.Histogram.Unit = 1 // the connector's internal metrics.Seconds
	}
	if eventDims != nil {
		cfg.Events = spanmetricsconnector.EventsConfig{Enabled: true, Dimensions: eventDims}
	}
	cfg.MetricsFlushInterval = 5 * time.Millisecond
	sink := &consumertest.MetricsSink{}
	conn, err := factory.CreateTracesToMetrics(context.Background(), connectortest.NewNopSettings(factory.Type()), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Start(context.Background(), componentHost{}); err != nil {
		t.Fatal(err)
	}
	defer conn.Shutdown(context.Background())
	if err := conn.ConsumeTraces(context.Background(), otlp.ToPdata(traces)); err != nil {
		t.Fatal(err)
	}
	seen := len(sink.AllMetrics())
	deadline := time.Now().Add(10 * time.Second)
	for len(sink.AllMetrics()) <= seen+1 {
		if time.Now().After(deadline) {
			t.Fatal("the connector did not flush within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	all := sink.AllMetrics()
	return all[len(all)-1]
}

type componentHost struct{}

func (componentHost) GetExtensions() map[component.ID]component.Component { return nil }

// TestSpanMetricsMatchCollector compares every series of the Collector's
// spanmetrics connector (default config plus dimensions) with metricsgen's
// on real traces: the OpenTelemetry demo and HotROD captures, Tempo's
// service-graph inputs and the Online Boutique block written by Tempo.
func TestSpanMetricsMatchCollector(t *testing.T) {
	fx := fixtures.Root(t)
	const def = "none"
	tests := []struct {
		name      string
		traces    func(t *testing.T) []*model.Trace
		dims      []string
		eventDims []string // non-nil: the events counter too
		buckets   []time.Duration
		seconds   bool
	}{
		{"otel-demo-and-hotrod", func(t *testing.T) []*model.Trace {
			paths, _ := filepath.Glob(filepath.Join(fx, "jaeger", "skills", "*[^t].json"))
			return decodeFiles(t, paths...)
		}, []string{"http.method", "rpc.method"}, nil, nil, false},
		{"buckets-ms", func(t *testing.T) []*model.Trace {
			paths, _ := filepath.Glob(filepath.Join(fx, "jaeger", "skills", "*[^t].json"))
			return decodeFiles(t, paths...)
		}, nil, nil, []time.Duration{1400 * time.Microsecond, 7 * time.Millisecond, 300 * time.Millisecond, 1400 * time.Millisecond, 2 * time.Second}, false},
		{"seconds-default-buckets", tempoBlock, nil, nil, nil, true},
		{"seconds-buckets", tempoBlock, nil, nil, []time.Duration{3 * time.Millisecond, 140 * time.Millisecond, 1400 * time.Millisecond}, true},
		{"events-otel-demo-and-jaeger", func(t *testing.T) []*model.Trace {
			paths, _ := filepath.Glob(filepath.Join(fx, "jaeger", "skills", "*[^t].json"))
			return decodeFiles(t, append(paths, filepath.Join(fx, "jaeger", "otlp", "otel_traces_01.json"))...)
		}, []string{"http.method"}, []string{"level", "exception.type=none"}, nil, false},
		{"tempo-servicegraph-inputs", func(t *testing.T) []*model.Trace {
			paths, _ := filepath.Glob(filepath.Join(fx, "tempo", "servicegraphs", "*.json"))
			return decodeFiles(t, paths...)
		}, []string{"db.system=" + def}, nil, nil, false},
		{"tempo-block-online-boutique", tempoBlock, []string{"http.status_code"}, nil, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			traces := tc.traces(t)
			if len(traces) == 0 {
				t.Fatal("no traces")
			}
			convert := func(ds []string) ([]spanmetricsconnector.Dimension, []metricsgen.Dimension) {
				var cdims []spanmetricsconnector.Dimension
				var odims []metricsgen.Dimension
				for _, d := range ds {
					od, err := metricsgen.ParseDimension(d)
					if err != nil {
						t.Fatal(err)
					}
					odims = append(odims, od)
					cdims = append(cdims, spanmetricsconnector.Dimension{Name: od.Name, Default: od.Default})
				}
				return cdims, odims
			}
			cdims, odims := convert(tc.dims)
			cedims, oedims := convert(tc.eventDims)
			if tc.eventDims != nil && cedims == nil {
				cedims = []spanmetricsconnector.Dimension{}
			}
			want := collectorFlat(runConnector(t, traces, cdims, cedims, tc.buckets, tc.seconds))
			// The bounds go through --buckets' parser, as on the command line.
			var bounds []float64
			if tc.buckets != nil {
				texts := make([]string, len(tc.buckets))
				for i, b := range tc.buckets {
					texts[i] = b.String()
				}
				var err error
				if bounds, err = metricsgen.ParseBuckets(strings.Join(texts, ",")); err != nil {
					t.Fatal(err)
				}
			}
			res, err := metricsgen.Generate(context.Background(), storetest.New(traces), metricsgen.Options{
				Naming: metricsgen.NamingOTel, SpanMetrics: true, Dimensions: odims,
				Events: tc.eventDims != nil, EventDimensions: oedims,
				Buckets: bounds, Seconds: tc.seconds,
			})
			if err != nil {
				t.Fatal(err)
			}
			got := ourFlat(res)
			if len(want) < 10 {
				t.Fatalf("only %d samples from the Collector", len(want))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("metricsgen differs from the Collector's spanmetrics connector (-collector +metricsgen):\n%s", diff)
			}
			t.Logf("%d traces, %d samples equal", len(traces), len(want))
		})
	}
}
