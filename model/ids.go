package model

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// TraceID is a 16-byte trace identifier. 64-bit IDs (Jaeger, Zipkin) are
// stored left-padded with zeros.
type TraceID [16]byte

// SpanID is an 8-byte span identifier.
type SpanID [8]byte

// IsZero reports whether the ID is all zeros (invalid in OTLP).
func (id TraceID) IsZero() bool { return id == TraceID{} }

// String returns the 32-character lower-case hex form.
func (id TraceID) String() string { return hex.EncodeToString(id[:]) }

// IsZero reports whether the ID is all zeros (no span / no parent).
func (id SpanID) IsZero() bool { return id == SpanID{} }

// String returns the 16-character lower-case hex form.
func (id SpanID) String() string { return hex.EncodeToString(id[:]) }

// ParseTraceID parses a hex trace ID of 1 to 32 digits; shorter IDs are
// left-padded with zeros, so 64-bit Jaeger and Zipkin IDs fit.
func ParseTraceID(s string) (TraceID, error) {
	var id TraceID
	b, err := parseHexID(s, len(id))
	if err != nil {
		return id, fmt.Errorf("trace ID %q: %w", s, err)
	}
	copy(id[:], b)
	return id, nil
}

// ParseSpanID parses a hex span ID of 1 to 16 digits, left-padded with zeros.
func ParseSpanID(s string) (SpanID, error) {
	var id SpanID
	b, err := parseHexID(s, len(id))
	if err != nil {
		return id, fmt.Errorf("span ID %q: %w", s, err)
	}
	copy(id[:], b)
	return id, nil
}

func parseHexID(s string, size int) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("empty")
	}
	if len(s) > 2*size {
		return nil, fmt.Errorf("longer than %d hex digits", 2*size)
	}
	s = strings.Repeat("0", 2*size-len(s)) + s
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not hex")
	}
	return b, nil
}

// TraceIDFromBytes copies b into a TraceID, left-padding shorter inputs.
// It reports false when b is longer than 16 bytes.
func TraceIDFromBytes(b []byte) (TraceID, bool) {
	var id TraceID
	if len(b) > len(id) {
		return id, false
	}
	copy(id[len(id)-len(b):], b)
	return id, true
}

// SpanIDFromBytes copies b into a SpanID, left-padding shorter inputs.
// It reports false when b is longer than 8 bytes.
func SpanIDFromBytes(b []byte) (SpanID, bool) {
	var id SpanID
	if len(b) > len(id) {
		return id, false
	}
	copy(id[len(id)-len(b):], b)
	return id, true
}
