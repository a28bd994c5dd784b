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
)

// The api_v2 protobuf JSON (a PostSpansRequest {"batch": {...}} or a bare
// Batch): base64 IDs, RFC 3339 times, durations as "1.5s" strings or
// nanosecond numbers, tags {key, v_type, v_str, v_bool, v_int64, v_float64,
// v_binary}. Protobuf JSON accepts both the field's proto name (v_str) and
// its lowerCamelCase name (vStr), so keys are matched without '_' and case.

// pbObject maps normalised keys to raw values.
type pbObject map[string]json.RawMessage

func normKey(k string) string { return strings.ToLower(strings.ReplaceAll(k, "_", "")) }

func parsePB(raw json.RawMessage) (pbObject, error) {
	if jsonKind(raw) != '{' {
		return nil, fmt.Errorf("want an object, got %s", abbrev(raw))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	o := make(pbObject, len(m))
	for k, v := range m {
		o[normKey(k)] = v
	}
	return o, nil
}

func abbrev(raw json.RawMessage) string {
	s := string(raw)
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return s
}

// has reports whether key is present and not null.
func (o pbObject) has(key string) bool {
	v, ok := o[key]
	return ok && jsonKind(v) != 'n'
}

func (o pbObject) str(key string) (string, error) {
	v, ok := o[key]
	if !ok || jsonKind(v) == 'n' {
		return "", nil
	}
	if jsonKind(v) != '"' {
		return "", jsonpos.FieldErr("."+key, "want a string, got %s", abbrev(v))
	}
	return rawString(v), nil
}

// list returns the elements of an array field (nil when absent or null).
func (o pbObject) list(key string) ([]json.RawMessage, error) {
	v, ok := o[key]
	if !ok || jsonKind(v) == 'n' {
		return nil, nil
	}
	var out []json.RawMessage
	if jsonKind(v) != '[' || json.Unmarshal(v, &out) != nil {
		return nil, jsonpos.FieldErr("."+key, "want an array, got %s", abbrev(v))
	}
	return out, nil
}

// enum accepts an enum as its number or its name.
func (o pbObject) enum(key string, names map[string]int32) (int32, error) {
	v, ok := o[key]
	if !ok || jsonKind(v) == 'n' {
		return 0, nil
	}
	if jsonKind(v) == '"' {
		if n, ok := names[strings.ToUpper(rawString(v))]; ok {
			return n, nil
		}
	}
	i, err := parseInt(v)
	if err != nil || i < math.MinInt32 || i > math.MaxInt32 {
		return 0, jsonpos.FieldErr("."+key, "unknown enum value %s", abbrev(v))
	}
	return int32(i), nil
}

// pbDuration parses a protobuf Duration: "1.5s", or a number of nanoseconds.
func pbDuration(raw json.RawMessage) (time.Duration, error) {
	switch jsonKind(raw) {
	case 'n', 0:
		return 0, nil
	case '0':
		i, err := parseInt(raw)
		if err != nil {
			return 0, err
		}
		return time.Duration(i), nil
	case '"':
		s := rawString(raw)
		if d, err := time.ParseDuration(s); err == nil {
			return d, nil
		}
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Duration(i), nil
		}
		return 0, fmt.Errorf("bad duration %q", s)
	}
	return 0, fmt.Errorf("bad duration %s", abbrev(raw))
}

// pbTime parses an RFC 3339 timestamp (protobuf Timestamp JSON).
func pbTime(raw json.RawMessage) (time.Time, error) {
	if jsonKind(raw) == 'n' || jsonKind(raw) == 0 {
		return time.Unix(0, 0).UTC(), nil
	}
	if jsonKind(raw) != '"' {
		return time.Time{}, fmt.Errorf("want an RFC 3339 time, got %s", abbrev(raw))
	}
	t, err := time.Parse(time.RFC3339Nano, rawString(raw))
	if err != nil {
		return time.Time{}, fmt.Errorf("want an RFC 3339 time, got %q", rawString(raw))
	}
	if y := t.Year(); y < 1678 || y > 2261 {
		return time.Time{}, fmt.Errorf("time %q out of range", rawString(raw))
	}
	return t, nil
}

func pbKV(raw json.RawMessage) (jmodel.KeyValue, error) {
	o, err := parsePB(raw)
	if err != nil {
		return jmodel.KeyValue{}, &jsonpos.FieldError{Err: err}
	}
	key, err := o.str("key")
	if err != nil {
		return jmodel.KeyValue{}, err
	}
	vt, err := o.enum("vtype", jmodel.ValueType_value)
	if err != nil {
		return jmodel.KeyValue{}, err
	}
	switch jmodel.ValueType(vt) {
	case jmodel.StringType:
		s, err := o.str("vstr")
		return jmodel.String(key, s), err
	case jmodel.BoolType:
		if !o.has("vbool") {
			return jmodel.Bool(key, false), nil
		}
		b, err := parseBool(o["vbool"])
		if err != nil {
			return jmodel.KeyValue{}, jsonpos.Under(".vBool", err)
		}
		return jmodel.Bool(key, b), nil
	case jmodel.Int64Type:
		if !o.has("vint64") {
			return jmodel.Int64(key, 0), nil
		}
		i, err := parseInt(o["vint64"])
		if err != nil {
			return jmodel.KeyValue{}, jsonpos.Under(".vInt64", err)
		}
		return jmodel.Int64(key, i), nil
	case jmodel.Float64Type:
		if !o.has("vfloat64") {
			return jmodel.Float64(key, 0), nil
		}
		var f float64
		switch s := rawString(o["vfloat64"]); s {
		case "NaN":
			f = math.NaN()
		case "Infinity":
			f = math.Inf(1)
		case "-Infinity":
			f = math.Inf(-1)
		default:
			if f, err = parseFloat(o["vfloat64"]); err != nil {
				return jmodel.KeyValue{}, jsonpos.Under(".vFloat64", err)
			}
		}
		return jmodel.Float64(key, f), nil
	case jmodel.BinaryType:
		s, err := o.str("vbinary")
		if err != nil {
			return jmodel.KeyValue{}, err
		}
		b, err := parseBytes(s)
		if err != nil {
			return jmodel.KeyValue{}, jsonpos.Under(".vBinary", err)
		}
		return jmodel.Binary(key, b), nil
	}
	return jmodel.KeyValue{}, jsonpos.FieldErr(".vType", "unknown value type %d", vt)
}

func pbKVs(o pbObject, key, what string) ([]jmodel.KeyValue, error) {
	items, err := o.list(key)
	if err != nil || len(items) == 0 {
		return nil, err
	}
	out := make([]jmodel.KeyValue, len(items))
	for i, it := range items {
		if out[i], err = pbKV(it); err != nil {
			return nil, jsonpos.Under(fmt.Sprintf(".%s[%d]", what, i), err)
		}
	}
	return out, nil
}

func pbProcess(raw json.RawMessage) (*jmodel.Process, error) {
	o, err := parsePB(raw)
	if err != nil {
		return nil, &jsonpos.FieldError{Err: err}
	}
	name, err := o.str("servicename")
	if err != nil {
		return nil, err
	}
	tags, err := pbKVs(o, "tags", "tags")
	if err != nil {
		return nil, err
	}
	return &jmodel.Process{ServiceName: name, Tags: tags}, nil
}

// pbSpan converts one api_v2 span; its own process, if any, is returned
// separately.
func pbSpan(raw json.RawMessage) (*jmodel.Span, *jmodel.Process, error) {
	o, err := parsePB(raw)
	if err != nil {
		return nil, nil, &jsonpos.FieldError{Err: err}
	}
	out := &jmodel.Span{}
	s, err := o.str("traceid")
	if err != nil {
		return nil, nil, err
	}
	if out.TraceID, err = bytesTraceID(s); err != nil {
		return nil, nil, jsonpos.Under(".trace_id", err)
	}
	if out.TraceID == (jmodel.TraceID{}) {
		return nil, nil, jsonpos.FieldErr(".trace_id", "trace ID is zero")
	}
	if s, err = o.str("spanid"); err != nil {
		return nil, nil, err
	}
	if out.SpanID, err = bytesSpanID(s); err != nil {
		return nil, nil, jsonpos.Under(".span_id", err)
	}
	if out.SpanID == 0 {
		return nil, nil, jsonpos.FieldErr(".span_id", "span ID is zero")
	}
	if out.OperationName, err = o.str("operationname"); err != nil {
		return nil, nil, err
	}
	if o.has("flags") {
		f, err := parseInt(o["flags"])
		if err != nil || f < 0 || f > math.MaxUint32 {
			return nil, nil, jsonpos.FieldErr(".flags", "bad flags %s", abbrev(o["flags"]))
		}
		out.Flags = jmodel.Flags(f)
	}
	if out.StartTime, err = pbTime(o["starttime"]); err != nil {
		return nil, nil, jsonpos.Under(".start_time", err)
	}
	if out.Duration, err = pbDuration(o["duration"]); err != nil {
		return nil, nil, jsonpos.Under(".duration", err)
	}
	if out.Duration < 0 {
		return nil, nil, jsonpos.FieldErr(".duration", "negative duration %s", out.Duration)
	}
	if end := out.StartTime.Add(out.Duration); end.Year() > 2261 || end.Before(out.StartTime) {
		return nil, nil, jsonpos.FieldErr(".duration", "start_time + duration out of range")
	}
	refs, err := o.list("references")
	if err != nil {
		return nil, nil, err
	}
	for i, r := range refs {
		p := fmt.Sprintf(".references[%d]", i)
		ro, err := parsePB(r)
		if err != nil {
			return nil, nil, jsonpos.Under(p, err)
		}
		ref := jmodel.SpanRef{TraceID: out.TraceID}
		if ro.has("traceid") {
			s, err := ro.str("traceid")
			if err == nil {
				ref.TraceID, err = bytesTraceID(s)
			}
			if err != nil {
				return nil, nil, jsonpos.Under(p+".trace_id", err)
			}
		}
		s, err := ro.str("spanid")
		if err == nil {
			ref.SpanID, err = bytesSpanID(s)
		}
		if err != nil {
			return nil, nil, jsonpos.Under(p+".span_id", err)
		}
		rt, err := ro.enum("reftype", jmodel.SpanRefType_value)
		if err != nil {
			return nil, nil, jsonpos.Under(p, err)
		}
		if rt != 0 && rt != 1 {
			return nil, nil, jsonpos.FieldErr(p+".ref_type", "unknown reference type %d", rt)
		}
		ref.RefType = jmodel.SpanRefType(rt)
		out.References = append(out.References, ref)
	}
	if out.Tags, err = pbKVs(o, "tags", "tags"); err != nil {
		return nil, nil, err
	}
	logs, err := o.list("logs")
	if err != nil {
		return nil, nil, err
	}
	for i, l := range logs {
		p := fmt.Sprintf(".logs[%d]", i)
		lo, err := parsePB(l)
		if err != nil {
			return nil, nil, jsonpos.Under(p, err)
		}
		ts, err := pbTime(lo["timestamp"])
		if err != nil {
			return nil, nil, jsonpos.Under(p+".timestamp", err)
		}
		fields, err := pbKVs(lo, "fields", "fields")
		if err != nil {
			return nil, nil, jsonpos.Under(p, err)
		}
		out.Logs = append(out.Logs, jmodel.Log{Timestamp: ts, Fields: fields})
	}
	var proc *jmodel.Process
	if o.has("process") {
		if proc, err = pbProcess(o["process"]); err != nil {
			return nil, nil, jsonpos.Under(".process", err)
		}
	}
	return out, proc, nil
}
