package metricsgen

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Naming selects metric and label names.
type Naming string

// Namings.
const (
	// NamingTempo is Tempo's metrics-generator: traces_spanmetrics_calls_total,
	// traces_spanmetrics_latency (seconds), labels service, span_name,
	// span_kind, status_code; service-graph dimensions unprefixed.
	NamingTempo Naming = "tempo"
	// NamingOTel is the Collector's spanmetrics and servicegraph connectors
	// behind a Prometheus exporter: traces_span_metrics_calls_total,
	// traces_span_metrics_duration_milliseconds, label service_name,
	// failed on service-graph series, dimensions client_<dim>/server_<dim>.
	NamingOTel Naming = "otel"
)

// ParseNaming accepts "tempo" or "otel".
func ParseNaming(s string) (Naming, error) {
	switch Naming(s) {
	case NamingTempo, NamingOTel:
		return Naming(s), nil
	}
	return "", fmt.Errorf("naming %q: want tempo or otel", s)
}

// Dimension is an extra label taken from a span or resource attribute.
type Dimension struct {
	// Name is the attribute key (span first, then resource).
	Name string
	// Default is used when the attribute is missing; nil omits the label.
	Default *string
}

// ParseDimension reads "key" or "key=default".
func ParseDimension(s string) (Dimension, error) {
	name, def, hasDef := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if name == "" {
		return Dimension{}, fmt.Errorf("dimension %q: empty attribute name", s)
	}
	d := Dimension{Name: name}
	if hasDef {
		d.Default = &def
	}
	return d, nil
}

// Default histogram bounds.
var (
	// TempoSpanBuckets are Tempo's span-metrics latency bounds in seconds.
	TempoSpanBuckets = []float64{0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384}
	// TempoGraphBuckets are Tempo's service-graph latency bounds in seconds.
	TempoGraphBuckets = []float64{0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8}
	// OTelSpanBuckets are the spanmetrics connector's bounds in milliseconds.
	OTelSpanBuckets = []float64{2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10000, 15000}
	// OTelGraphBuckets are the servicegraph connector's bounds in seconds.
	OTelGraphBuckets = []float64{0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1, 1.4, 2, 5, 10, 15}
)

// ParseBuckets reads a comma-separated list of durations ("2ms,10ms,1s")
// or plain numbers in seconds, strictly increasing, and returns seconds.
func ParseBuckets(s string) ([]float64, error) {
	var out []float64
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		var v float64
		if d, err := time.ParseDuration(part); err == nil {
			v = float64(d) / 1e9 // as the Collector converts its duration buckets
		} else if f, err := strconv.ParseFloat(part, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			v = f
		} else {
			return nil, fmt.Errorf("bucket %q: want a duration (250ms) or seconds (0.25)", part)
		}
		if len(out) > 0 && v <= out[len(out)-1] {
			return nil, fmt.Errorf("bucket %q: bounds must increase", part)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, errors.New("buckets: empty list")
	}
	return out, nil
}

// Options controls Generate. The zero value (after Defaults) gives Tempo's
// naming with both span metrics and the service graph.
type Options struct {
	Naming Naming
	// SpanMetrics and ServiceGraph select the generators; both false means both.
	SpanMetrics, ServiceGraph bool
	// Dimensions are extra span-metrics labels.
	Dimensions []Dimension
	// Events adds a counter of span events (the Collector's events metric)
	// labelled like the calls plus EventDimensions, which are looked up on
	// the span, then the event, then the resource (as are Dimensions there).
	Events          bool
	EventDimensions []Dimension
	// GraphDimensions are extra service-graph labels, read from each side.
	GraphDimensions []string
	// Buckets are the span-metrics histogram bounds in seconds (nil: the
	// naming's defaults); GraphBuckets the service-graph ones (seconds).
	Buckets, GraphBuckets []float64
	// Seconds makes --naming otel's duration histogram seconds
	// (traces_span_metrics_duration_seconds), the Collector's
	// histogram.unit: s; the default is milliseconds.
	Seconds bool
	// MaxSeries caps the series of each generator (0: no cap).
	MaxSeries int
	// PeerAttributes name the uninstrumented callee of a client span that
	// has no server span (first present wins).
	PeerAttributes []string
	// DatabaseAttributes make a client span a complete database edge.
	DatabaseAttributes []string
	// VirtualNodeLabel adds virtual_node="client"|"server" to virtual edges.
	VirtualNodeLabel bool
	// At stamps every sample with this time (zero: no timestamps).
	At time.Time
	// Step emits cumulative samples every Step, by span end time (0: one
	// sample per series). Exclusive with At.
	Step time.Duration
	// Start and End bound the traces read (zero: unbounded).
	Start, End time.Time
	// EndIsNow says End is when the command ran, not a time asked for:
	// it bounds the spans read, but samples (Step) and the graph's
	// duration stop at the last span, as without End.
	EndIsNow bool
	// NoExemplars keeps no exemplar, for an output that does not show them
	// (all but OpenMetrics).
	NoExemplars bool
}

// Defaults fills unset fields.
func (o *Options) Defaults() {
	if o.Naming == "" {
		o.Naming = NamingTempo
	}
	if !o.SpanMetrics && !o.ServiceGraph {
		o.SpanMetrics, o.ServiceGraph = true, true
	}
	if o.GraphBuckets == nil {
		if o.Naming == NamingOTel {
			o.GraphBuckets = OTelGraphBuckets
		} else {
			o.GraphBuckets = TempoGraphBuckets
		}
	}
	if o.PeerAttributes == nil {
		o.PeerAttributes = []string{"peer.service", "db.name", "db.system"}
	}
	if o.DatabaseAttributes == nil {
		o.DatabaseAttributes = []string{"db.name"}
	}
}

// Validate reports contradictory settings.
func (o *Options) Validate() error {
	if _, err := ParseNaming(string(o.Naming)); err != nil {
		return err
	}
	if o.Step < 0 {
		return fmt.Errorf("step %s: must be positive", o.Step)
	}
	if o.Seconds && o.Naming != NamingOTel {
		return errors.New("the seconds unit is for --naming otel (Tempo's histogram is in seconds already)")
	}
	if o.Step > 0 && !o.At.IsZero() {
		return errors.New("--at and --step cannot be used together")
	}
	if o.MaxSeries < 0 {
		return fmt.Errorf("max-series %d: must be 0 (no cap) or positive", o.MaxSeries)
	}
	for _, b := range [][]float64{o.Buckets, o.GraphBuckets} {
		if !slices.IsSorted(b) {
			return errors.New("buckets must increase")
		}
	}
	return nil
}

// spanBounds returns the span-metrics bounds in the naming's unit
// (milliseconds for otel, seconds for tempo).
func (o *Options) spanBounds() []float64 {
	otelMs := o.Naming == NamingOTel && !o.Seconds
	if o.Buckets == nil {
		switch {
		case otelMs:
			return OTelSpanBuckets
		case o.Naming == NamingOTel:
			out := make([]float64, len(OTelSpanBuckets))
			for i, ms := range OTelSpanBuckets {
				out[i] = ms / 1000
			}
			return out
		}
		return TempoSpanBuckets
	}
	if !otelMs {
		return o.Buckets
	}
	out := make([]float64, len(o.Buckets))
	for i, s := range o.Buckets {
		// Through whole nanoseconds, so 1.4s gives exactly 1400.
		out[i] = math.Round(s*1e9) / 1e6
	}
	return out
}
