package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tracectl/tracectl/model"
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
	Exemplars  []TempoExemplar  `json:"exemplars,omitempty"`
}

// TempoExemplar is a span behind a series, labelled trace:id and span:id.
type TempoExemplar struct {
	Labels      []TempoAttribute `json:"labels"`
	Value       float64          `json:"value"`
	TimestampMs string           `json:"timestampMs"`
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
func (r *MetricsResult) TempoResponse() *TempoMetricsResponse { return r.tempoResponse(true) }

// tempoResponse is TempoResponse; without samples, each series that has
// some gets an empty samples array instead (WriteTempoJSON's frame).
func (r *MetricsResult) tempoResponse(samples bool) *TempoMetricsResponse {
	out := &TempoMetricsResponse{Series: []TempoSeries{}}
	for _, s := range r.Series {
		ts := TempoSeries{Labels: tempoAttrs(s.Labels), PromLabels: PromLabels(s)}
		if ts.Labels == nil {
			ts.Labels = []TempoAttribute{}
		}
		switch {
		case samples:
			for _, p := range s.Samples {
				ts.Samples = append(ts.Samples, TempoSample{TimestampMs: strconv.FormatInt(p.TimestampMs, 10), Value: p.Value})
			}
		case len(s.Samples) > 0:
			ts.Samples = []TempoSample{}
		}
		for _, e := range s.Exemplars {
			ts.Exemplars = append(ts.Exemplars, TempoExemplar{
				Labels: tempoAttrs([]model.Attribute{
					model.Str("trace:id", e.TraceID.String()), model.Str("span:id", e.SpanID.String()),
				}),
				Value: e.Value, TimestampMs: strconv.FormatInt(e.TimestampMs, 10),
			})
		}
		out.Series = append(out.Series, ts)
	}
	out.Metrics.InspectedTraces = uint32(r.Metrics.InspectedTraces) //nolint:gosec // counts fit
	if r.Metrics.InspectedSpans > 0 {
		out.Metrics.InspectedSpans = strconv.Itoa(r.Metrics.InspectedSpans)
	}
	return out
}

// WriteTempoJSON writes r as indented JSON in Tempo's query_range shape:
// the bytes of an encoding/json Encoder with two-space indentation and
// HTML escaping off given r.TempoResponse(), and a newline. The samples,
// most of the output, are written directly: encoding them by reflection,
// and indenting that, took a tenth of a `metrics -o json` over 114k spans
// (and allocated a string per timestamp); the rest (labels, exemplars,
// counts) goes through encoding/json.
func (r *MetricsResult) WriteTempoJSON(w io.Writer) error {
	// The frame: every series with samples gets an empty samples array,
	// which cannot appear elsewhere (a string holds its quotes escaped),
	// and is replaced by the series' samples in order.
	frame := r.tempoResponse(false)
	var fb bytes.Buffer
	enc := json.NewEncoder(&fb)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(frame); err != nil {
		return err
	}
	const empty = `"samples": []`
	rest := fb.Bytes()
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf []byte
	for _, s := range r.Series {
		if len(s.Samples) == 0 {
			continue
		}
		at := bytes.Index(rest, []byte(empty))
		if at < 0 {
			return fmt.Errorf("tempo JSON: %d series without their samples", len(r.Series))
		}
		indent := at - (bytes.LastIndexByte(rest[:at], '\n') + 1)
		bw.Write(rest[:at])
		var err error
		if buf, err = appendSamplesJSON(buf[:0], s.Samples, indent); err != nil {
			return err
		}
		bw.Write(buf)
		rest = rest[at+len(empty):]
	}
	bw.Write(rest)
	return bw.Flush()
}

// appendSamplesJSON appends `"samples": [...]` for samples, as an
// indenting Encoder writes it at indent spaces.
func appendSamplesJSON(dst []byte, samples []Sample, indent int) ([]byte, error) {
	pad := func(n int) {
		dst = append(dst, '\n')
		for i := 0; i < n; i++ {
			dst = append(dst, ' ')
		}
	}
	dst = append(dst, `"samples": [`...)
	for i, p := range samples {
		if i > 0 {
			dst = append(dst, ',')
		}
		pad(indent + 2)
		dst = append(dst, '{')
		pad(indent + 4)
		dst = append(dst, `"timestampMs": "`...)
		dst = strconv.AppendInt(dst, p.TimestampMs, 10)
		dst = append(dst, `",`...)
		pad(indent + 4)
		dst = append(dst, `"value": `...)
		var err error
		if dst, err = appendJSONFloat(dst, p.Value); err != nil {
			return dst, err
		}
		pad(indent + 2)
		dst = append(dst, '}')
	}
	pad(indent)
	return append(dst, ']'), nil
}

// appendJSONFloat appends f as encoding/json writes a float64: in the
// range where it uses the shortest decimal without an exponent, directly;
// elsewhere (exponents, NaN and infinities, which it refuses) through it.
func appendJSONFloat(dst []byte, f float64) ([]byte, error) {
	if a := max(f, -f); f == 0 || a >= 1e-6 && a < 1e21 {
		return strconv.AppendFloat(dst, f, 'f', -1, 64), nil
	}
	b, err := json.Marshal(f)
	return append(dst, b...), err
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
