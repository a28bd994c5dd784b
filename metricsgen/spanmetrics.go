package metricsgen

import (
	"fmt"

	"github.com/tracectl/tracectl/model"
)

// spanMetrics counts calls and observes durations per span.
type spanMetrics struct {
	dims    []Dimension
	labels  []string // label names: service, span_name, span_kind, status_code, dimensions...
	divisor float64  // nanoseconds per unit of the duration histogram
	calls   *familyAcc
	latency *familyAcc
	lim     *limiter
	scratch []Label
	keyBuf  []byte
}

func newSpanMetrics(o *Options) (*spanMetrics, error) {
	m := &spanMetrics{dims: o.Dimensions, lim: newLimiter("span metrics", o.MaxSeries)}
	bounds := o.spanBounds()
	switch o.Naming {
	case NamingOTel:
		m.labels = []string{"service_name", "span_name", "span_kind", "status_code"}
		m.divisor = 1e6
		m.calls = newFamily("traces_span_metrics_calls", Counter, "Spans counted by service, span name, kind and status.", "", nil)
		m.latency = newFamily("traces_span_metrics_duration_milliseconds", Histogram, "Span durations in milliseconds.", "milliseconds", bounds)
	default:
		m.labels = []string{"service", "span_name", "span_kind", "status_code"}
		m.divisor = 1e9
		m.calls = newFamily("traces_spanmetrics_calls", Counter, "Spans counted by service, span name, kind and status.", "", nil)
		m.latency = newFamily("traces_spanmetrics_latency", Histogram, "Span durations in seconds.", "", bounds)
	}
	seen := map[string]string{}
	for _, l := range m.labels {
		seen[l] = l
	}
	for _, d := range o.Dimensions {
		name := LabelName(d.Name)
		if prev, ok := seen[name]; ok {
			return nil, fmt.Errorf("dimension %q: label %q is already taken by %q", d.Name, name, prev)
		}
		seen[name] = d.Name
		m.labels = append(m.labels, name)
	}
	return m, nil
}

// span records one span of a resource that has a service name.
func (m *spanMetrics) span(service string, res *model.Resource, sp *model.Span, step int64) {
	lb := append(m.scratch[:0],
		Label{m.labels[0], service},
		Label{m.labels[1], sp.Name},
		Label{m.labels[2], kindName(sp.Kind)},
		Label{m.labels[3], statusName(sp.Status.Code)},
	)
	for i, d := range m.dims {
		v, ok := lookup(d.Name, sp.Attributes, res.Attributes)
		if !ok {
			if d.Default == nil {
				continue // the Collector omits a missing dimension
			}
			v = *d.Default
		}
		lb = append(lb, Label{m.labels[4+i], v})
	}
	m.scratch = lb
	m.keyBuf = appendKey(m.keyBuf[:0], lb)
	key, lb := m.lim.admit(m.keyBuf, lb)
	v := float64(sp.Duration()) / m.divisor
	ex := Exemplar{TraceID: sp.TraceID, SpanID: sp.SpanID, TimeUnixNano: sp.EndTimeUnixNano}
	ex.Value = 1
	m.calls.add(key, lb, step, 1, ex)
	ex.Value = v
	m.latency.observe(key, lb, step, v, ex)
}

func (m *spanMetrics) families(tl *timeline) []*Family {
	return []*Family{m.calls.finish(tl), m.latency.finish(tl)}
}
