package zipkin

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/translator/zipkin/zipkinv1"

	"github.com/tracectl/tracectl/codec/internal/jsonpos"
	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/model"
)

// v1Translator keeps binary annotation values as strings, as the
// Collector's Zipkin receiver does by default.
var v1Translator = zipkinv1.NewJSONTracesUnmarshaler(false)

// absentStart is the attribute the translators set on spans that carry no
// start time.
const absentStart = "otel.zipkin.absentField.startTime"

// v1Span mirrors the translator's v1 span so that type errors are caught
// with their position before the translator sees the span. Binary
// annotation values are raw: Zipkin writes true for ca/sa/ma and numbers
// for some tags, which the translator (strings only) would reject.
type v1Mirror struct {
	TraceID           string       `json:"traceId"`
	Name              string       `json:"name"`
	ParentID          string       `json:"parentId"`
	ID                string       `json:"id"`
	Timestamp         int64        `json:"timestamp"`
	Duration          int64        `json:"duration"`
	Debug             bool         `json:"debug"`
	Annotations       []*v1Annot   `json:"annotations"`
	BinaryAnnotations []*v1BinAnno `json:"binaryAnnotations"`

	// v2-only fields, to tell a v2 span fed to the v1 decoder.
	Kind           json.RawMessage `json:"kind"`
	LocalEndpoint  json.RawMessage `json:"localEndpoint"`
	RemoteEndpoint json.RawMessage `json:"remoteEndpoint"`
	Tags           json.RawMessage `json:"tags"`
}

type v1Endpoint struct {
	ServiceName string `json:"serviceName"`
	IPv4        string `json:"ipv4"`
	IPv6        string `json:"ipv6"`
	Port        int32  `json:"port"`
}

type v1Annot struct {
	Timestamp int64       `json:"timestamp"`
	Value     string      `json:"value"`
	Endpoint  *v1Endpoint `json:"endpoint"`
}

type v1BinAnno struct {
	Key      string          `json:"key"`
	Value    json.RawMessage `json:"value"`
	Endpoint *v1Endpoint     `json:"endpoint"`
}

func v1Span(raw json.RawMessage) ([]model.ResourceSpans, error) {
	var m v1Mirror
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if len(m.Annotations) == 0 && len(m.BinaryAnnotations) == 0 &&
		(len(m.Kind) > 0 || len(m.LocalEndpoint) > 0 || len(m.RemoteEndpoint) > 0 || len(m.Tags) > 0) {
		return nil, errors.New("this is a Zipkin v2 span (it has kind, localEndpoint, remoteEndpoint or tags); decode it as zipkin-v2")
	}
	for _, t := range []struct {
		path string
		v    int64
	}{{".timestamp", m.Timestamp}, {".duration", m.Duration}} {
		if t.v > maxMicros {
			return nil, jsonpos.FieldErr(t.path, "%d out of range", t.v)
		}
	}
	for i, a := range m.Annotations {
		if a != nil && a.Timestamp > maxMicros {
			return nil, jsonpos.FieldErr(fmt.Sprintf(".annotations[%d].timestamp", i), "%d out of range", a.Timestamp)
		}
	}
	norm, err := normaliseV1(raw, &m)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 0, len(norm)+2)
	buf = append(append(append(buf, '['), norm...), ']')
	td, err := v1Translator.UnmarshalTraces(buf)
	if err != nil {
		return nil, blameV1(err)
	}
	rss := otlp.AppendNonEmpty(nil, td)
	// With no timestamp anywhere the translator uses the wall clock; use
	// the Unix epoch plus the duration instead, as its v2 twin does: the
	// decoder then places the span from other spans (times.go) or fails.
	for i := range rss {
		for j := range rss[i].ScopeSpans {
			for k := range rss[i].ScopeSpans[j].Spans {
				s := &rss[i].ScopeSpans[j].Spans[k]
				if v, ok := model.Find(s.Attributes, absentStart); ok && v.Type == model.ValueBool && v.Bool {
					s.StartTimeUnixNano = 0
					s.EndTimeUnixNano = 0
					if m.Duration > 0 {
						s.EndTimeUnixNano = uint64(m.Duration) * 1000
					}
				}
			}
		}
	}
	var code, desc string
	for _, ba := range m.BinaryAnnotations {
		if ba == nil {
			continue
		}
		switch ba.Key {
		case "otel.status_code":
			code = rawString(ba.Value)
		case "otel.status_description":
			desc = rawString(ba.Value)
		}
	}
	fixStatus(rss, code, desc)
	return rss, nil
}

// normaliseV1 turns non-string binary annotation values into strings
// (true -> "true", 42 -> "42") so the translator accepts the span.
func normaliseV1(raw json.RawMessage, m *v1Mirror) (json.RawMessage, error) {
	need := false
	for _, ba := range m.BinaryAnnotations {
		if ba != nil && jsonKind(ba.Value) != '"' && jsonKind(ba.Value) != 0 {
			need = true
		}
	}
	if !need {
		return raw, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	var bas []map[string]json.RawMessage
	if err := json.Unmarshal(obj["binaryAnnotations"], &bas); err != nil {
		return nil, err
	}
	for _, ba := range bas {
		v, ok := ba["value"]
		if !ok || jsonKind(v) == '"' {
			continue
		}
		s := strings.TrimSpace(string(v))
		if jsonKind(v) == 'n' {
			s = ""
		}
		ba["value"], _ = json.Marshal(s)
	}
	var err error
	if obj["binaryAnnotations"], err = json.Marshal(bas); err != nil {
		return nil, err
	}
	return json.Marshal(obj)
}

// rawString returns a JSON string's text, or the JSON text of other values.
func rawString(raw json.RawMessage) string {
	var s string
	if jsonKind(raw) == '"' && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(raw))
}

// blameV1 names the field behind a translator error.
func blameV1(err error) error {
	msg := err.Error()
	for _, f := range []struct{ prefix, path string }{
		{"zipkinV1 span traceId: ", ".traceId"},
		{"zipkinV1 span id: ", ".id"},
		{"zipkinV1 span parentId: ", ".parentId"},
	} {
		if strings.HasPrefix(msg, f.prefix) {
			return jsonpos.FieldErr(f.path, "%s", strings.TrimPrefix(msg, f.prefix))
		}
	}
	return err
}
