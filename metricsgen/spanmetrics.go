package metricsgen

import (
	"fmt"

	"github.com/tracectl/tracectl/model"
)

// spanMetrics counts calls and observes durations per span.
type spanMetrics struct {
	// exemplars: keep them (Options.NoExemplars unset); without, the
	// families get a zero exemplar, which keepLatest passes over.
	exemplars bool
	dims      []Dimension
	labels    []string // label names: service, span_name, span_kind, status_code, dimensions...
	calls     *familyAcc
	latency   *familyAcc
	lim       *limiter
	rows      *seriesRows // calls (0) and latency (1) by label set
	scratch   []Label

	// events counts span events when enabled (nil otherwise).
	events    *familyAcc
	eventDims []Dimension
	eventLim  *limiter
	eventRows *seriesRows
}

func newSpanMetrics(o *Options) (*spanMetrics, error) {
	m := &spanMetrics{exemplars: !o.NoExemplars, dims: o.Dimensions, lim: newLimiter("span metrics", o.MaxSeries)}
	bounds := o.spanBounds()
	switch o.Naming {
	case NamingOTel:
		m.labels = []string{"service_name", "span_name", "span_kind", "status_code"}
		m.calls = newFamily("traces_span_metrics_calls", Counter, "Spans counted by service, span name, kind and status.", "", nil)
		if o.Seconds {
			m.latency = newFamily("traces_span_metrics_duration_seconds", Histogram, "Span durations in seconds.", "seconds", bounds)
		} else {
			m.latency = newFamily("traces_span_metrics_duration_milliseconds", Histogram, "Span durations in milliseconds.", "milliseconds", bounds)
			m.latency.divisor = 1e6
		}
	default:
		m.labels = []string{"service", "span_name", "span_kind", "status_code"}
		m.calls = newFamily("traces_spanmetrics_calls", Counter, "Spans counted by service, span name, kind and status.", "", nil)
		m.latency = newFamily("traces_spanmetrics_latency", Histogram, "Span durations in seconds.", "", bounds)
	}
	seen := map[string]string{}
	for _, l := range m.labels {
		seen[l] = l
	}
	for _, d := range append(append([]Dimension{}, o.Dimensions...), o.EventDimensions...) {
		name := LabelName(d.Name)
		if prev, ok := seen[name]; ok {
			return nil, fmt.Errorf("dimension %q: label %q is already taken by %q", d.Name, name, prev)
		}
		seen[name] = d.Name
		m.labels = append(m.labels, name)
	}
	if o.Events {
		name := "traces_spanmetrics_events"
		if o.Naming == NamingOTel {
			name = "traces_span_metrics_events"
		}
		m.events = newFamily(name, Counter, "Span events counted by service, span name, kind, status and event dimensions.", "", nil)
		m.eventDims = o.EventDimensions
		m.eventLim = newLimiter("span events", o.MaxSeries)
		m.eventRows = newSeriesRows(m.eventLim, m.events)
	}
	m.rows = newSeriesRows(m.lim, m.calls, m.latency)
	return m, nil
}

// dimLabels appends the labels of dims (label names from names), looked up
// in the given attribute lists in order.
func dimLabels(lb []Label, dims []Dimension, names []string, lists ...[]model.Attribute) []Label {
next:
	for i, d := range dims {
		for _, attrs := range lists {
			if v, ok := model.Find(attrs, d.Name); ok {
				lb = append(lb, Label{names[i], attrString(v)})
				continue next
			}
		}
		if d.Default != nil { // else the Collector omits the label
			lb = append(lb, Label{names[i], *d.Default})
		}
	}
	return lb
}

// span records one span of a resource that has a service name.
func (m *spanMetrics) span(service string, res *model.Resource, sp *model.Span, step int64) {
	lb := append(m.scratch[:0],
		Label{m.labels[0], service},
		Label{m.labels[1], sp.Name},
		Label{m.labels[2], kindName(sp.Kind)},
		Label{m.labels[3], statusName(sp.Status.Code)},
	)
	lb = dimLabels(lb, m.dims, m.labels[4:], sp.Attributes, res.Attributes)
	m.scratch = lb
	row := m.rows.rowOf(lb)
	ex := m.exemplar(sp)
	m.rows.add(row, 0, step, 1, &ex)
	m.rows.observe(row, 1, step, sp.Duration(), &ex)
	if m.events != nil {
		m.spanEvents(service, res, sp, step, &ex)
	}
}

// exemplar is span sp's exemplar, zero (none) without exemplars.
func (m *spanMetrics) exemplar(sp *model.Span) Exemplar {
	if !m.exemplars {
		return Exemplar{}
	}
	return Exemplar{TraceID: sp.TraceID, SpanID: sp.SpanID, TimeUnixNano: sp.EndTimeUnixNano, Value: 1}
}

// spanEvents counts the span's events, with the span's exemplar ex;
// dimensions are looked up on the span, then the event, then the
// resource.
func (m *spanMetrics) spanEvents(service string, res *model.Resource, sp *model.Span, step int64, ex *Exemplar) {
	for i := range sp.Events {
		ev := &sp.Events[i]
		lb := append(m.scratch[:0],
			Label{m.labels[0], service},
			Label{m.labels[1], sp.Name},
			Label{m.labels[2], kindName(sp.Kind)},
			Label{m.labels[3], statusName(sp.Status.Code)},
		)
		lb = dimLabels(lb, m.dims, m.labels[4:], sp.Attributes, ev.Attributes, res.Attributes)
		lb = dimLabels(lb, m.eventDims, m.labels[4+len(m.dims):], sp.Attributes, ev.Attributes, res.Attributes)
		m.scratch = lb
		row := m.eventRows.rowOf(lb)
		m.eventRows.add(row, 0, step, 1, ex)
	}
}

func (m *spanMetrics) families(tl *timeline) []*Family {
	out := []*Family{m.calls.finish(tl), m.latency.finish(tl)}
	if m.events != nil {
		out = append(out, m.events.finish(tl))
	}
	return out
}
