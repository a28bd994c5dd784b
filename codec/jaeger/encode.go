package jaeger

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	jmodel "github.com/jaegertracing/jaeger-idl/model/v1"
	jaegertranslator "github.com/open-telemetry/opentelemetry-collector-contrib/pkg/translator/jaeger"

	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/model"
)

// EncodeUI writes traces as one Jaeger query-API response,
// {"data": [trace, ...]}, the JSON the Jaeger UI loads and exports: the
// spans translated as the Collector's Jaeger exporter translates OTLP, each
// trace with one process per resource it has spans of, the traces in the
// order their first spans come. For benchmarks and demos of Jaeger input
// (tracectl gen --format jaeger-json).
func EncodeUI(w io.Writer, traces []*model.Trace) error {
	var out uiResponse
	index := map[jmodel.TraceID]int{}
	for bi, b := range jaegertranslator.ProtoFromTraces(otlp.ToPdata(traces)) {
		for _, s := range b.Spans {
			ti, ok := index[s.TraceID]
			if !ok {
				ti = len(out.Data)
				index[s.TraceID] = ti
				out.Data = append(out.Data, uiTraceOut{TraceID: s.TraceID.String(), Processes: map[string]uiProcessOut{}})
			}
			tr := &out.Data[ti]
			pid := "p" + strconv.Itoa(bi+1)
			if _, ok := tr.Processes[pid]; !ok {
				tr.Processes[pid] = uiProcessOut{ServiceName: b.Process.ServiceName, Tags: uiTags(b.Process.Tags)}
			}
			tr.Spans = append(tr.Spans, uiSpanOf(s, pid))
		}
	}
	if out.Data == nil {
		out.Data = []uiTraceOut{}
	}
	if err := json.NewEncoder(w).Encode(out); err != nil {
		return fmt.Errorf("jaeger json: %w", err)
	}
	return nil
}

type uiResponse struct {
	Data []uiTraceOut `json:"data"`
}

type uiTraceOut struct {
	TraceID   string                  `json:"traceID"`
	Spans     []uiSpanOut             `json:"spans"`
	Processes map[string]uiProcessOut `json:"processes"`
}

type uiSpanOut struct {
	TraceID       string     `json:"traceID"`
	SpanID        string     `json:"spanID"`
	Flags         uint32     `json:"flags,omitempty"`
	OperationName string     `json:"operationName"`
	References    []uiRef    `json:"references"`
	StartTime     int64      `json:"startTime"`
	Duration      int64      `json:"duration"`
	Tags          []uiKVOut  `json:"tags"`
	Logs          []uiLogOut `json:"logs"`
	ProcessID     string     `json:"processID"`
}

type uiProcessOut struct {
	ServiceName string    `json:"serviceName"`
	Tags        []uiKVOut `json:"tags"`
}

type uiKVOut struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

type uiLogOut struct {
	Timestamp int64     `json:"timestamp"`
	Fields    []uiKVOut `json:"fields"`
}

func uiSpanOf(s *jmodel.Span, pid string) uiSpanOut {
	out := uiSpanOut{
		TraceID:       s.TraceID.String(),
		SpanID:        s.SpanID.String(),
		Flags:         uint32(s.Flags),
		OperationName: s.OperationName,
		References:    []uiRef{},
		StartTime:     s.StartTime.UnixMicro(),
		Duration:      s.Duration.Microseconds(),
		Tags:          uiTags(s.Tags),
		Logs:          []uiLogOut{},
		ProcessID:     pid,
	}
	for _, r := range s.References {
		typ := "CHILD_OF"
		if r.RefType == jmodel.FollowsFrom {
			typ = "FOLLOWS_FROM"
		}
		out.References = append(out.References, uiRef{RefType: typ, TraceID: r.TraceID.String(), SpanID: r.SpanID.String()})
	}
	for _, l := range s.Logs {
		out.Logs = append(out.Logs, uiLogOut{Timestamp: l.Timestamp.UnixMicro(), Fields: uiTags(l.Fields)})
	}
	return out
}

func uiTags(kvs []jmodel.KeyValue) []uiKVOut {
	out := make([]uiKVOut, 0, len(kvs))
	for _, kv := range kvs {
		t := uiKVOut{Key: kv.Key}
		switch kv.VType {
		case jmodel.ValueType_BOOL:
			t.Type, t.Value = "bool", kv.Bool()
		case jmodel.ValueType_INT64:
			t.Type, t.Value = "int64", kv.Int64()
		case jmodel.ValueType_FLOAT64:
			t.Type, t.Value = "float64", kv.Float64()
		case jmodel.ValueType_BINARY:
			t.Type, t.Value = "binary", base64.StdEncoding.EncodeToString(kv.Binary())
		default:
			t.Type, t.Value = "string", kv.VStr
		}
		out = append(out, t)
	}
	return out
}
