package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/tracectl/tracectl/model"
)

// This file renders a SearchResult exactly as Tempo's `/api/search` answers
// (protobuf JSON of tempopb.SearchResponse): 64-bit integers are strings,
// zero values are omitted, attribute values use OTLP's AnyValue JSON form.

// TempoSearchResponse is the JSON shape of Tempo's /api/search response.
type TempoSearchResponse struct {
	Traces  []TempoTrace       `json:"traces"`
	Metrics TempoSearchMetrics `json:"metrics"`
}

// TempoTrace is one trace of a TempoSearchResponse.
type TempoTrace struct {
	TraceID           string                       `json:"traceID"`
	RootServiceName   string                       `json:"rootServiceName,omitempty"`
	RootTraceName     string                       `json:"rootTraceName,omitempty"`
	StartTimeUnixNano string                       `json:"startTimeUnixNano,omitempty"`
	DurationMs        uint32                       `json:"durationMs,omitempty"`
	SpanSet           *TempoSpanSet                `json:"spanSet,omitempty"` // deprecated: the first spanset
	SpanSets          []TempoSpanSet               `json:"spanSets,omitempty"`
	ServiceStats      map[string]TempoServiceStats `json:"serviceStats,omitempty"`
}

// TempoServiceStats counts a service's spans in a trace.
type TempoServiceStats struct {
	SpanCount  uint32 `json:"spanCount,omitempty"`
	ErrorCount uint32 `json:"errorCount,omitempty"`
}

// TempoSpanSet is one spanset.
type TempoSpanSet struct {
	Spans      []TempoSpan      `json:"spans,omitempty"`
	Matched    uint32           `json:"matched,omitempty"`
	Attributes []TempoAttribute `json:"attributes,omitempty"`
}

// TempoSpan is one span of a spanset.
type TempoSpan struct {
	SpanID            string           `json:"spanID,omitempty"`
	Name              string           `json:"name,omitempty"`
	StartTimeUnixNano string           `json:"startTimeUnixNano,omitempty"`
	DurationNanos     string           `json:"durationNanos,omitempty"`
	Attributes        []TempoAttribute `json:"attributes,omitempty"`
}

// TempoAttribute is an OTLP KeyValue in JSON form.
type TempoAttribute struct {
	Key   string        `json:"key"`
	Value TempoAnyValue `json:"value"`
}

// TempoAnyValue is an OTLP AnyValue in JSON form (one field set).
type TempoAnyValue struct {
	StringValue *string          `json:"stringValue,omitempty"`
	BoolValue   *bool            `json:"boolValue,omitempty"`
	IntValue    *string          `json:"intValue,omitempty"`
	DoubleValue *float64         `json:"doubleValue,omitempty"`
	ArrayValue  *TempoArrayValue `json:"arrayValue,omitempty"`
}

// MarshalJSON writes v as encoding/json writes its fields, except a
// double JSON numbers cannot hold (NaN, ±Inf), which it writes as
// protojson and Tempo's API do: "NaN", "Infinity", "-Infinity".
func (v TempoAnyValue) MarshalJSON() ([]byte, error) {
	if v.DoubleValue != nil {
		switch f := *v.DoubleValue; {
		case math.IsNaN(f):
			return []byte(`{"doubleValue":"NaN"}`), nil
		case math.IsInf(f, 1):
			return []byte(`{"doubleValue":"Infinity"}`), nil
		case math.IsInf(f, -1):
			return []byte(`{"doubleValue":"-Infinity"}`), nil
		}
	}
	// Without HTML escaping: the encoder calling this escapes the result
	// itself when it is set to.
	type fields TempoAnyValue
	return marshalNoHTML(fields(v))
}

// TempoArrayValue is an OTLP ArrayValue in JSON form.
type TempoArrayValue struct {
	Values []TempoAnyValue `json:"values"`
}

// TempoSearchMetrics is the metrics object of a search response.
type TempoSearchMetrics struct {
	InspectedTraces uint32 `json:"inspectedTraces,omitempty"`
	InspectedBytes  string `json:"inspectedBytes,omitempty"`
	InspectedSpans  string `json:"inspectedSpans,omitempty"`
	TotalBlocks     uint32 `json:"totalBlocks,omitempty"`
	CompletedJobs   uint32 `json:"completedJobs,omitempty"`
	TotalJobs       uint32 `json:"totalJobs,omitempty"`
	TotalBlockBytes string `json:"totalBlockBytes,omitempty"`
}

// TempoResponse converts the result to Tempo's response shape. Byte and
// block counts are not known to the evaluator; callers that know them (the
// CLI over blocks) set them on the returned value.
// Spilled results (SearchOptions.SpillDir) are not included: use
// WriteTempoJSON.
func (r *SearchResult) TempoResponse() *TempoSearchResponse {
	out := &TempoSearchResponse{Traces: make([]TempoTrace, 0, len(r.Traces)), Metrics: r.TempoMetrics()}
	for _, t := range r.Traces {
		out.Traces = append(out.Traces, t.Tempo())
	}
	return out
}

// TempoMetrics returns the search metrics the evaluator knows, in
// Tempo's shape.
func (r *SearchResult) TempoMetrics() TempoSearchMetrics {
	return TempoSearchMetrics{
		InspectedTraces: uint32(r.Metrics.InspectedTraces),     //nolint:gosec // counts fit
		InspectedSpans:  u64(uint64(r.Metrics.InspectedSpans)), //nolint:gosec // counts are not negative
	}
}

// WriteTempoJSON writes the response, with metrics m, as a json.Encoder
// with two-space indentation and HTML escaping off writes
// TempoSearchResponse, byte for byte, but one trace at a time: spilled
// results are read back as they are written, never all at once.
func (r *SearchResult) WriteTempoJSON(w io.Writer, m TempoSearchMetrics) error {
	var frame bytes.Buffer
	enc := json.NewEncoder(&frame)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(TempoSearchResponse{Traces: []TempoTrace{}, Metrics: m}); err != nil {
		return err
	}
	const empty = `"traces": []`
	head, tail, ok := bytes.Cut(frame.Bytes(), []byte(empty))
	if !ok {
		return errors.New("tempo JSON: no traces field")
	}
	if r.Len() == 0 {
		_, err := w.Write(frame.Bytes())
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head)
	bw.WriteString(`"traces": [`)
	// Traces are rendered on several goroutines (Render); each indents
	// through a buffer of its own.
	var scratch sync.Pool
	err := r.Render(func(rank int, t *TraceResult, dst []byte) ([]byte, error) {
		sc, _ := scratch.Get().(*indentScratch)
		if sc == nil {
			sc = &indentScratch{}
		}
		defer scratch.Put(sc)
		var err error
		if sc.line, err = t.AppendTempoJSON(sc.line[:0]); err != nil {
			return dst, err
		}
		sc.ind.Reset()
		if err := json.Indent(&sc.ind, bytes.TrimSuffix(sc.line, []byte("\n")), "    ", "  "); err != nil {
			return dst, err
		}
		if rank == 0 {
			dst = append(dst, "\n    "...)
		} else {
			dst = append(dst, ",\n    "...)
		}
		return append(dst, sc.ind.Bytes()...), nil
	}, func(b []byte) error {
		_, err := bw.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	bw.WriteString("\n  ]")
	bw.Write(tail)
	return bw.Flush()
}

// indentScratch is one goroutine's buffers in WriteTempoJSON.
type indentScratch struct {
	line []byte
	ind  bytes.Buffer
}

// Tempo converts one trace to its shape in Tempo's /api/search response.
func (t *TraceResult) Tempo() TempoTrace {
	tt := TempoTrace{
		TraceID:           TempoTraceID(t.TraceID),
		RootServiceName:   t.RootServiceName,
		RootTraceName:     t.RootTraceName,
		StartTimeUnixNano: u64(t.StartUnixNano),
		DurationMs:        uint32(t.Duration.Milliseconds()), //nolint:gosec // a trace is shorter than 49 days
	}
	if len(t.ServiceStats) > 0 {
		tt.ServiceStats = map[string]TempoServiceStats{}
		for _, v := range t.ServiceStats {
			tt.ServiceStats[v.Service] = TempoServiceStats{SpanCount: v.SpanCount, ErrorCount: v.ErrorCount}
		}
	}
	for _, ss := range t.SpanSets {
		ts := TempoSpanSet{Matched: uint32(ss.Matched), Attributes: tempoAttrs(ss.Attributes)} //nolint:gosec // span counts fit
		ts.Spans = make([]TempoSpan, 0, len(ss.Spans))
		for _, sp := range ss.Spans {
			ts.Spans = append(ts.Spans, TempoSpan{
				SpanID:            sp.SpanID.String(),
				Name:              sp.Name,
				StartTimeUnixNano: u64(sp.StartUnixNano),
				DurationNanos:     u64(uint64(sp.Duration)), //nolint:gosec // durations are not negative
				Attributes:        tempoAttrs(sp.Attributes),
			})
		}
		tt.SpanSets = append(tt.SpanSets, ts)
	}
	if len(tt.SpanSets) > 0 {
		first := tt.SpanSets[0]
		tt.SpanSet = &first
	}
	return tt
}

// TempoJSON renders the result as Tempo's /api/search JSON.
func (r *SearchResult) TempoJSON() ([]byte, error) {
	return json.Marshal(r.TempoResponse())
}

// TempoTraceID renders a trace ID as Tempo does: lower-case hex with leading
// zeros trimmed.
func TempoTraceID(id model.TraceID) string { return trimZeros(strings.ToLower(id.String())) }

func u64(v uint64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatUint(v, 10)
}

func tempoAttrs(attrs []model.Attribute) []TempoAttribute {
	var out []TempoAttribute
	for _, a := range attrs {
		out = append(out, TempoAttribute{Key: a.Key, Value: tempoValue(a.Value)})
	}
	return out
}

func tempoValue(v model.Value) TempoAnyValue {
	switch v.Type {
	case model.ValueInt:
		s := strconv.FormatInt(v.Int, 10)
		return TempoAnyValue{IntValue: &s}
	case model.ValueDouble:
		f := v.Double
		return TempoAnyValue{DoubleValue: &f}
	case model.ValueBool:
		b := v.Bool
		return TempoAnyValue{BoolValue: &b}
	case model.ValueArray:
		arr := &TempoArrayValue{Values: []TempoAnyValue{}}
		for _, e := range v.Array() {
			arr.Values = append(arr.Values, tempoValue(e))
		}
		return TempoAnyValue{ArrayValue: arr}
	}
	s := v.AsString()
	return TempoAnyValue{StringValue: &s}
}
