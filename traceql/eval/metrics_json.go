package eval

import (
	"strconv"
	"strings"
)

// TempoMetricsResponse is the JSON shape of Tempo's
// /api/metrics/query_range response (protobuf JSON: 64-bit integers are
// strings, label values are OTLP AnyValues).
type TempoMetricsResponse struct {
	Series  []TempoSeries       `json:"series"`
	Metrics TempoMetricsMetrics `json:"metrics"`
}

// TempoSeries is one series.
type TempoSeries struct {
	Labels     []TempoAttribute `json:"labels"`
	Samples    []TempoSample    `json:"samples"`
	PromLabels string           `json:"promLabels"`
}

// TempoSample is one point.
type TempoSample struct {
	TimestampMs string  `json:"timestampMs"`
	Value       float64 `json:"value"`
}

// TempoMetricsMetrics counts the work a metrics query did.
type TempoMetricsMetrics struct {
	InspectedTraces uint32 `json:"inspectedTraces,omitempty"`
	InspectedSpans  string `json:"inspectedSpans,omitempty"`
}

// TempoResponse renders r in Tempo's query_range JSON shape.
func (r *MetricsResult) TempoResponse() *TempoMetricsResponse {
	out := &TempoMetricsResponse{Series: []TempoSeries{}}
	for _, s := range r.Series {
		ts := TempoSeries{Labels: tempoAttrs(s.Labels), PromLabels: PromLabels(s)}
		if ts.Labels == nil {
			ts.Labels = []TempoAttribute{}
		}
		for _, p := range s.Samples {
			ts.Samples = append(ts.Samples, TempoSample{TimestampMs: strconv.FormatInt(p.TimestampMs, 10), Value: p.Value})
		}
		out.Series = append(out.Series, ts)
	}
	out.Metrics.InspectedTraces = uint32(r.Metrics.InspectedTraces) //nolint:gosec // counts fit
	if r.Metrics.InspectedSpans > 0 {
		out.Metrics.InspectedSpans = strconv.Itoa(r.Metrics.InspectedSpans)
	}
	return out
}

// PromLabels renders a series' labels as Tempo's promLabels does:
// {key="value", ...} with values as text.
func PromLabels(s *Series) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, l := range s.Labels {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(l.Key)
		b.WriteString("=")
		b.WriteString(strconv.Quote(fromModel(l.Value).String()))
	}
	b.WriteByte('}')
	return b.String()
}
