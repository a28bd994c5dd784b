package jaeger

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	jmodel "github.com/jaegertracing/jaeger-idl/model/v1"

	"github.com/tracectl/tracectl/codec/internal/jsonpos"
	"github.com/tracectl/tracectl/internal/intern"
)

// The Jaeger UI / query-API JSON (jaeger's model/json package): hex IDs,
// times and durations in microseconds, typed tags {key, type, value}.

type uiSpan struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	ParentSpanID  string      `json:"parentSpanID"` // deprecated; used when there are no references
	Flags         uint32      `json:"flags"`
	OperationName string      `json:"operationName"`
	References    []uiRef     `json:"references"`
	StartTime     json.Number `json:"startTime"`
	Duration      json.Number `json:"duration"`
	Tags          []uiKV      `json:"tags"`
	Logs          []uiLog     `json:"logs"`
	ProcessID     string      `json:"processID"`
	Process       *uiProcess  `json:"process"`
}

type uiRef struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

type uiKV struct {
	Key   string          `json:"key"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

type uiLog struct {
	Timestamp json.Number `json:"timestamp"`
	Fields    []uiKV      `json:"fields"`
}

type uiProcess struct {
	ServiceName string `json:"serviceName"`
	Tags        []uiKV `json:"tags"`
}

// micros parses a microsecond count: a JSON number, integral or not.
func micros(n json.Number, what string) (time.Duration, error) {
	if n == "" {
		return 0, nil
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		if i < 0 {
			return 0, jsonpos.FieldErr("."+what, "negative %s %d", what, i)
		}
		if i > math.MaxInt64/1000 {
			return 0, jsonpos.FieldErr("."+what, "%s %d out of range", what, i)
		}
		return time.Duration(i) * time.Microsecond, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f < 0 || f > math.MaxInt64/1000 || math.IsNaN(f) {
		return 0, jsonpos.FieldErr("."+what, "bad %s %s", what, n)
	}
	return time.Duration(f * 1000), nil
}

// toModel converts a tag; short plain string values come from strs when
// it is not nil.
func (kv *uiKV) toModel(strs *intern.Table) (jmodel.KeyValue, error) {
	switch strings.ToLower(kv.Type) {
	case "string":
		if s, ok := plainString(kv.Value, strs); ok {
			return jmodel.String(kv.Key, s), nil
		}
		return jmodel.String(kv.Key, rawString(kv.Value)), nil
	case "bool", "boolean":
		b, err := parseBool(kv.Value)
		if err != nil {
			return jmodel.KeyValue{}, jsonpos.Under(".value", err)
		}
		return jmodel.Bool(kv.Key, b), nil
	case "int64", "int":
		i, err := parseInt(kv.Value)
		if err != nil {
			return jmodel.KeyValue{}, jsonpos.Under(".value", err)
		}
		return jmodel.Int64(kv.Key, i), nil
	case "float64", "float", "double":
		f, err := parseFloat(kv.Value)
		if err != nil {
			return jmodel.KeyValue{}, jsonpos.Under(".value", err)
		}
		return jmodel.Float64(kv.Key, f), nil
	case "binary":
		b, err := parseBytes(rawString(kv.Value))
		if err != nil {
			return jmodel.KeyValue{}, jsonpos.Under(".value", err)
		}
		return jmodel.Binary(kv.Key, b), nil
	}
	return inferKV(kv.Key, kv.Value), nil
}

// uiKVs converts a list of tags, into a list from slab (nil: a list of its
// own).
func uiKVs(kvs []uiKV, what string, slab *kvSlab) ([]jmodel.KeyValue, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	out := slab.make(len(kvs))
	var strs *intern.Table
	if slab != nil {
		strs = slab.strs
	}
	for i := range kvs {
		kv, err := kvs[i].toModel(strs)
		if err != nil {
			return nil, jsonpos.Under(fmt.Sprintf(".%s[%d]", what, i), err)
		}
		out[i] = kv
	}
	return out, nil
}

func (p *uiProcess) toModel() (*jmodel.Process, error) {
	tags, err := uiKVs(p.Tags, "tags", nil) // processes outlive their trace
	if err != nil {
		return nil, err
	}
	return &jmodel.Process{ServiceName: p.ServiceName, Tags: tags}, nil
}

// kvSlab hands out the tag lists of one trace's spans from a shared
// buffer, used again for the next trace (reset) once the trace is
// converted: nothing keeps a list past that (direct and the translator
// copy the values). The short string values of the tags come from strs
// when it is set.
type kvSlab struct {
	lists arena[jmodel.KeyValue]
	strs  *intern.Table
}

// make returns a zeroed list of n tags.
func (k *kvSlab) make(n int) []jmodel.KeyValue {
	if k == nil {
		return make([]jmodel.KeyValue, n)
	}
	return k.lists.take(n, 256)
}

// reset takes the lists back; a buffer grown past maxKept by a large
// trace is let go.
func (k *kvSlab) reset() { k.lists.reset(maxKept) }

// maxKept bounds the elements of a buffer a decoder keeps for reuse.
const maxKept = 1 << 14

// spanSlab hands out the spans of one trace, and their reference lists,
// from buffers used again for the next trace (reset) once the trace is
// converted: as with kvSlab, nothing keeps them past that.
type spanSlab struct {
	spans arena[jmodel.Span]
	refs  arena[jmodel.SpanRef]
}

// new returns a span (nil: one of its own).
func (k *spanSlab) new() *jmodel.Span {
	if k == nil {
		return &jmodel.Span{}
	}
	return &k.spans.take(1, 64)[0]
}

// refList returns an empty list with room for n references.
func (k *spanSlab) refList(n int) []jmodel.SpanRef {
	if k == nil {
		return make([]jmodel.SpanRef, 0, n)
	}
	return k.refs.take(n, 64)[:0]
}

// reset takes the spans back, as kvSlab.reset does.
func (k *spanSlab) reset() {
	k.spans.reset(maxKept / 16)
	k.refs.reset(maxKept)
}

// arena hands out zeroed lists from a buffer that doubles when it runs
// out (at least minCap elements); the lists handed out stay in the old
// buffer until reset takes them all back. Unlike slab, which copies lists
// into fixed chunks, it serves one trace's conversion at a time.
type arena[T any] struct{ buf []T }

// take returns a zeroed list of n elements.
func (a *arena[T]) take(n, minCap int) []T {
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]T, 0, max(2*cap(a.buf), n, minCap))
	}
	l := len(a.buf)
	a.buf = a.buf[:l+n]
	return a.buf[l : l+n : l+n]
}

// reset takes every list back; a buffer grown past keep elements is let
// go.
func (a *arena[T]) reset(keep int) {
	if cap(a.buf) > keep {
		a.buf = nil
		return
	}
	clear(a.buf)
	a.buf = a.buf[:0]
}

// toModel converts a UI span; traceID is the enclosing trace's ID, used
// when the span has none. hashed is told of every ID that is not hex (and
// so is mapped to a hash, see uiTraceID): its field and text. Its tag
// lists come from slab.
func (s *uiSpan) toModel(traceID string, hashed func(field, text string), slab *kvSlab, spans *spanSlab) (*jmodel.Span, error) {
	tid := s.TraceID
	if tid == "" {
		tid = traceID
	}
	if tid == "" {
		return nil, jsonpos.FieldErr(".traceID", "missing trace ID")
	}
	var err error
	var hashedID bool
	out := spans.new()
	*out = jmodel.Span{OperationName: s.OperationName, Flags: jmodel.Flags(s.Flags), ProcessID: s.ProcessID}
	if len(s.References) > 0 {
		out.References = spans.refList(len(s.References))
	}
	if out.TraceID, hashedID, err = uiTraceID(tid); err != nil {
		return nil, jsonpos.Under(".traceID", err)
	}
	if hashedID {
		hashed(".traceID", tid)
	}
	if out.TraceID == (jmodel.TraceID{}) {
		return nil, jsonpos.FieldErr(".traceID", "trace ID is zero")
	}
	if s.SpanID == "" {
		return nil, jsonpos.FieldErr(".spanID", "missing span ID")
	}
	if out.SpanID, hashedID, err = uiSpanID(s.SpanID); err != nil {
		return nil, jsonpos.Under(".spanID", err)
	}
	if hashedID {
		hashed(".spanID", s.SpanID)
	}
	if out.SpanID == 0 {
		return nil, jsonpos.FieldErr(".spanID", "span ID is zero")
	}
	start, err := micros(s.StartTime, "startTime")
	if err != nil {
		return nil, err
	}
	out.StartTime = time.Unix(0, int64(start)).UTC()
	if out.Duration, err = micros(s.Duration, "duration"); err != nil {
		return nil, err
	}
	if start > math.MaxInt64-out.Duration {
		return nil, jsonpos.FieldErr(".duration", "startTime + duration out of range")
	}
	for i, r := range s.References {
		ref := jmodel.SpanRef{TraceID: out.TraceID}
		switch strings.ToUpper(r.RefType) {
		case "", "CHILD_OF":
			ref.RefType = jmodel.ChildOf
		case "FOLLOWS_FROM":
			ref.RefType = jmodel.FollowsFrom
		default:
			return nil, jsonpos.FieldErr(fmt.Sprintf(".references[%d].refType", i), "unknown reference type %q", r.RefType)
		}
		if r.TraceID != "" {
			if ref.TraceID, hashedID, err = uiTraceID(r.TraceID); err != nil {
				return nil, jsonpos.Under(fmt.Sprintf(".references[%d].traceID", i), err)
			}
			if hashedID {
				hashed(fmt.Sprintf(".references[%d].traceID", i), r.TraceID)
			}
		}
		if ref.SpanID, hashedID, err = uiSpanID(r.SpanID); err != nil {
			return nil, jsonpos.Under(fmt.Sprintf(".references[%d].spanID", i), err)
		}
		if hashedID {
			hashed(fmt.Sprintf(".references[%d].spanID", i), r.SpanID)
		}
		out.References = append(out.References, ref)
	}
	if len(out.References) == 0 && s.ParentSpanID != "" {
		pid, hashedID, err := uiSpanID(s.ParentSpanID)
		if err != nil {
			return nil, jsonpos.Under(".parentSpanID", err)
		}
		if hashedID {
			hashed(".parentSpanID", s.ParentSpanID)
		}
		if pid != 0 {
			out.References = []jmodel.SpanRef{{TraceID: out.TraceID, SpanID: pid, RefType: jmodel.ChildOf}}
		}
	}
	if out.Tags, err = uiKVs(s.Tags, "tags", slab); err != nil {
		return nil, err
	}
	for i, l := range s.Logs {
		ts, err := micros(l.Timestamp, "timestamp")
		if err != nil {
			return nil, jsonpos.Under(fmt.Sprintf(".logs[%d]", i), err)
		}
		fields, err := uiKVs(l.Fields, "fields", slab)
		if err != nil {
			return nil, jsonpos.Under(fmt.Sprintf(".logs[%d]", i), err)
		}
		out.Logs = append(out.Logs, jmodel.Log{Timestamp: time.Unix(0, int64(ts)).UTC(), Fields: fields})
	}
	return out, nil
}
