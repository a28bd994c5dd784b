package jaeger

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"

	jmodel "github.com/jaegertracing/jaeger-idl/model/v1"

	"github.com/tracectl/tracectl/internal/intern"
	"github.com/tracectl/tracectl/internal/jsonscan"
	"github.com/tracectl/tracectl/model"
)

// jsonKind returns the kind of a raw JSON value by its first byte.
func jsonKind(raw json.RawMessage) byte {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '"', '{', '[', 't', 'f', 'n':
			return c
		}
		return '0' // number
	}
	return 0
}

// rawString returns raw as a string: the decoded text of a JSON string, or
// the JSON text of anything else.
func rawString(raw json.RawMessage) string {
	if jsonKind(raw) == '"' {
		sc := jsonscan.Scanner{B: raw}
		if s, ok := sc.Str(); ok && sc.End() {
			return s // as encoding/json reads it, without its reflection
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	if jsonKind(raw) == 'n' {
		return ""
	}
	return string(bytes.TrimSpace(raw))
}

// plainString is rawString for a JSON string without escapes or non-ASCII
// bytes, from strs; ok is false for anything else, or when strs is nil.
func plainString(raw json.RawMessage, strs *intern.Table) (s string, ok bool) {
	if strs == nil || len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	if !jsonscan.Plain(body) {
		return "", false
	}
	return strs.String(body), true
}

// parseInt accepts a JSON number (integral) or a string holding one, as the
// Jaeger UI writes large int64 tags as strings.
func parseInt(raw json.RawMessage) (int64, error) {
	if i, ok := jsonscan.Int64(raw); ok { // most integers, without the copy below
		return i, nil
	}
	s := rawString(raw)
	if k := jsonKind(raw); k != '"' && k != '0' {
		return 0, fmt.Errorf("want an integer, got %s", s)
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, fmt.Errorf("want an integer, got %q", s)
	}
	return int64(f), nil
}

func parseFloat(raw json.RawMessage) (float64, error) {
	s := rawString(raw)
	if k := jsonKind(raw); k != '"' && k != '0' {
		return 0, fmt.Errorf("want a number, got %s", s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return f, nil
		}
		return 0, fmt.Errorf("want a number, got %q", s)
	}
	return f, nil
}

func parseBool(raw json.RawMessage) (bool, error) {
	switch string(raw) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	s := rawString(raw)
	if k := jsonKind(raw); k != '"' && k != 't' && k != 'f' {
		return false, fmt.Errorf("want a bool, got %s", s)
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("want a bool, got %q", s)
	}
	return b, nil
}

// parseBytes decodes base64 (standard or URL alphabet, padded or not).
func parseBytes(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("not base64: %q", s)
}

// uiTraceID parses a UI trace ID: hex of up to 32 digits, left-padded. Test
// traces written for the Jaeger UI use made-up IDs ("trace-123", "G"); the
// UI only compares them as strings, so any other non-empty string maps to
// a stable 128-bit FNV-1a hash of its text (hashed is then true).
func uiTraceID(s string) (id jmodel.TraceID, hashed bool, err error) {
	if tid, ok := model.HexTraceID(s); ok {
		return jaegerTraceID(tid), false, nil
	}
	if hashable(s) {
		h := fnv.New128a()
		h.Write([]byte(s))
		return jaegerTraceID(model.TraceID(h.Sum(nil))), true, nil
	}
	id, err = hexTraceID(s)
	return id, false, err
}

// hashable reports whether uiTraceID or uiSpanID maps s, which is not an
// ID in hex, to a hash: 1 to 256 bytes of text (an empty or longer one is
// an error of hexTraceID's).
func hashable(s string) bool { return s != "" && len(s) <= 256 }

// uiSpanID is uiTraceID for span IDs (64-bit FNV-1a of non-hex text).
func uiSpanID(s string) (id jmodel.SpanID, hashed bool, err error) {
	if sid, ok := model.HexSpanID(s); ok {
		return jmodel.SpanID(binary.BigEndian.Uint64(sid[:])), false, nil
	}
	if hashable(s) {
		h := fnv.New64a()
		h.Write([]byte(s))
		return jmodel.SpanID(h.Sum64()), true, nil
	}
	id, err = hexSpanID(s)
	return id, false, err
}

// hexTraceID parses a hex trace ID of up to 32 digits (left-padded).
func hexTraceID(s string) (jmodel.TraceID, error) {
	id, err := model.ParseTraceID(s)
	if err != nil {
		return jmodel.TraceID{}, err
	}
	return jaegerTraceID(id), nil
}

// hexSpanID parses a hex span ID of up to 16 digits (left-padded).
func hexSpanID(s string) (jmodel.SpanID, error) {
	id, err := model.ParseSpanID(s)
	if err != nil {
		return 0, err
	}
	return jmodel.SpanID(binary.BigEndian.Uint64(id[:])), nil
}

// bytesTraceID parses a proto-JSON trace ID: base64 of 8 or 16 bytes, or hex.
func bytesTraceID(s string) (jmodel.TraceID, error) {
	if b, err := parseBytes(s); err == nil && (len(b) == 8 || len(b) == 16) {
		id, _ := model.TraceIDFromBytes(b)
		return jaegerTraceID(id), nil
	}
	if _, err := hex.DecodeString(strings.Repeat("0", len(s)%2) + s); err == nil && s != "" {
		return hexTraceID(s)
	}
	return jmodel.TraceID{}, fmt.Errorf("trace ID %q: want base64 of 8 or 16 bytes, or hex", s)
}

// bytesSpanID parses a proto-JSON span ID: base64 of 8 bytes, or hex.
func bytesSpanID(s string) (jmodel.SpanID, error) {
	if b, err := parseBytes(s); err == nil && len(b) == 8 {
		return jmodel.SpanID(binary.BigEndian.Uint64(b)), nil
	}
	if _, err := hex.DecodeString(strings.Repeat("0", len(s)%2) + s); err == nil && s != "" {
		return hexSpanID(s)
	}
	return 0, fmt.Errorf("span ID %q: want base64 of 8 bytes, or hex", s)
}

// inferKV types a tag whose type is missing or unknown from its JSON value.
func inferKV(key string, raw json.RawMessage) jmodel.KeyValue {
	switch jsonKind(raw) {
	case 't', 'f':
		b, _ := parseBool(raw)
		return jmodel.Bool(key, b)
	case '0':
		if i, err := strconv.ParseInt(rawString(raw), 10, 64); err == nil {
			return jmodel.Int64(key, i)
		}
		if f, err := parseFloat(raw); err == nil {
			return jmodel.Float64(key, f)
		}
	}
	return jmodel.String(key, rawString(raw))
}
