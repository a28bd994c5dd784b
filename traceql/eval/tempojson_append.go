package eval

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/tracectl/tracectl/model"
)

// AppendTempoJSON appends the trace as one line of Tempo's /api/search
// JSON (what json.Marshal of t.Tempo() gives with HTML escaping off,
// byte for byte) and a newline. It writes without reflection or the
// intermediate TempoTrace: a search returning every trace spent a third
// of its CPU on those. Attribute lists, rare in such searches, go through
// encoding/json.
func (t *TraceResult) AppendTempoJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"traceID":`...)
	dst = appendJSONString(dst, TempoTraceID(t.TraceID))
	if t.RootServiceName != "" {
		dst = append(dst, `,"rootServiceName":`...)
		dst = appendJSONString(dst, t.RootServiceName)
	}
	if t.RootTraceName != "" {
		dst = append(dst, `,"rootTraceName":`...)
		dst = appendJSONString(dst, t.RootTraceName)
	}
	if t.StartUnixNano != 0 {
		dst = append(dst, `,"startTimeUnixNano":`...)
		dst = appendQuotedUint(dst, t.StartUnixNano)
	}
	if ms := uint32(t.Duration.Milliseconds()); ms != 0 { //nolint:gosec // a trace is shorter than 49 days
		dst = append(dst, `,"durationMs":`...)
		dst = strconv.AppendUint(dst, uint64(ms), 10)
	}
	var err error
	if len(t.SpanSets) > 0 {
		dst = append(dst, `,"spanSet":`...)
		if dst, err = appendSpanSet(dst, t.SpanSets[0]); err != nil {
			return dst, err
		}
		dst = append(dst, `,"spanSets":[`...)
		for i, ss := range t.SpanSets {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendSpanSet(dst, ss); err != nil {
				return dst, err
			}
		}
		dst = append(dst, ']')
	}
	if len(t.ServiceStats) > 0 {
		dst = append(dst, `,"serviceStats":{`...)
		for i, svc := range t.ServiceStats { // sorted by name, as encoding/json sorts map keys
			if i > 0 {
				dst = append(dst, ',')
			}
			st, name := svc.ServiceStats, svc.Service
			dst = appendJSONString(dst, name)
			dst = append(dst, ':', '{')
			comma := false
			if st.SpanCount != 0 {
				dst = append(dst, `"spanCount":`...)
				dst = strconv.AppendUint(dst, uint64(st.SpanCount), 10)
				comma = true
			}
			if st.ErrorCount != 0 {
				if comma {
					dst = append(dst, ',')
				}
				dst = append(dst, `"errorCount":`...)
				dst = strconv.AppendUint(dst, uint64(st.ErrorCount), 10)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, '}')
	}
	return append(dst, '}', '\n'), nil
}

// fields writes the keys of one JSON object, commas between.
type fields struct {
	dst   []byte
	comma bool
}

// key starts the value of field name.
func (f *fields) key(name string) {
	if f.comma {
		f.dst = append(f.dst, ',')
	}
	f.dst = append(f.dst, '"')
	f.dst = append(f.dst, name...)
	f.dst = append(f.dst, '"', ':')
	f.comma = true
}

func appendSpanSet(dst []byte, ss *SpanSetResult) ([]byte, error) {
	f := fields{dst: append(dst, '{')}
	var err error
	if len(ss.Spans) > 0 {
		f.key("spans")
		f.dst = append(f.dst, '[')
		for i, sp := range ss.Spans {
			if i > 0 {
				f.dst = append(f.dst, ',')
			}
			if f.dst, err = appendSpan(f.dst, sp); err != nil {
				return f.dst, err
			}
		}
		f.dst = append(f.dst, ']')
	}
	if m := uint32(ss.Matched); m != 0 { //nolint:gosec // span counts fit
		f.key("matched")
		f.dst = strconv.AppendUint(f.dst, uint64(m), 10)
	}
	if len(ss.Attributes) > 0 {
		f.key("attributes")
		if f.dst, err = appendAttrs(f.dst, ss.Attributes); err != nil {
			return f.dst, err
		}
	}
	return append(f.dst, '}'), nil
}

func appendSpan(dst []byte, sp *SpanResult) ([]byte, error) {
	f := fields{dst: append(dst, '{')}
	f.key("spanID")
	f.dst = appendJSONString(f.dst, sp.SpanID.String())
	if sp.Name != "" {
		f.key("name")
		f.dst = appendJSONString(f.dst, sp.Name)
	}
	if sp.StartUnixNano != 0 {
		f.key("startTimeUnixNano")
		f.dst = appendQuotedUint(f.dst, sp.StartUnixNano)
	}
	if sp.Duration > 0 {
		f.key("durationNanos")
		f.dst = appendQuotedUint(f.dst, uint64(sp.Duration))
	}
	var err error
	if len(sp.Attributes) > 0 {
		f.key("attributes")
		if f.dst, err = appendAttrs(f.dst, sp.Attributes); err != nil {
			return f.dst, err
		}
	}
	return append(f.dst, '}'), nil
}

// appendQuotedUint writes v as a JSON string (protobuf JSON's 64-bit form).
func appendQuotedUint(dst []byte, v uint64) []byte {
	dst = append(dst, '"')
	dst = strconv.AppendUint(dst, v, 10)
	return append(dst, '"')
}

// appendAttrs writes attributes as TempoAttribute JSON through
// encoding/json (values of every kind, floats and errors as it does).
func appendAttrs(dst []byte, attrs []model.Attribute) ([]byte, error) {
	b, err := marshalNoHTML(tempoAttrs(attrs))
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// marshalNoHTML is json.Marshal without HTML escaping and without the
// trailing newline an Encoder adds.
func marshalNoHTML(v any) ([]byte, error) {
	var buf jsonBuffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.b[:len(buf.b)-1], nil
}

type jsonBuffer struct{ b []byte }

func (w *jsonBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string exactly as encoding/json
// writes it with HTML escaping off: quotes, backslashes and control
// characters escaped (\b \f \n \r \t short), invalid UTF-8 as \ufffd,
// U+2028 and U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
