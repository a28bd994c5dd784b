package model

import (
	"encoding/hex"
	"errors"
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
	if err := parseHexID(id[:], s); err != nil {
		return TraceID{}, fmt.Errorf("trace ID %q: %w", s, err)
	}
	return id, nil
}

// ParseSpanID parses a hex span ID of 1 to 16 digits, left-padded with zeros.
func ParseSpanID(s string) (SpanID, error) {
	var id SpanID
	if err := parseHexID(id[:], s); err != nil {
		return SpanID{}, fmt.Errorf("span ID %q: %w", s, err)
	}
	return id, nil
}

// parseHexID parses s, trimmed of white space, as at most 2*len(dst) hex
// digits (either case) into dst, left-padded with zeros, without
// allocating. On an error, dst may hold some of the digits: callers
// return a zero ID instead.
func parseHexID(dst []byte, s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return errEmptyID
	}
	if len(s) > 2*len(dst) {
		return fmt.Errorf("longer than %d hex digits", 2*len(dst))
	}
	if !decodeHex(dst, s) {
		return errNotHex
	}
	return nil
}

// HexTraceID parses s as 1 to 32 hex digits, left-padded, and nothing
// else (no white space): it gives the ID ParseTraceID gives for such an s,
// and false, at no cost, for any other.
func HexTraceID(s string) (id TraceID, ok bool) {
	if !hexID(id[:], s) {
		return TraceID{}, false
	}
	return id, true
}

// HexSpanID is HexTraceID for span IDs (1 to 16 hex digits).
func HexSpanID(s string) (id SpanID, ok bool) {
	if !hexID(id[:], s) {
		return SpanID{}, false
	}
	return id, true
}

// hexID decodes s, 1 to 2*len(dst) hex digits, into dst.
func hexID(dst []byte, s string) bool {
	return s != "" && len(s) <= 2*len(dst) && decodeHex(dst, s)
}

// IsHexID reports whether s is 1 to maxDigits hex digits (either case)
// and nothing else: with 32 or 16, whether HexTraceID or HexSpanID take
// it.
func IsHexID(s string, maxDigits int) bool {
	if s == "" || len(s) > maxDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if _, ok := hexDigit(s[i]); !ok {
			return false
		}
	}
	return true
}

// decodeHex decodes hex digits s (at most 2*len(dst) of them) into dst,
// right-aligned and left-padded with zeros; false when s is not hex.
func decodeHex(dst []byte, s string) bool {
	clear(dst)
	for i, j := len(s), len(dst)-1; i > 0; i, j = i-2, j-1 {
		lo, ok := hexDigit(s[i-1])
		hi := byte(0)
		if i > 1 {
			var hok bool
			hi, hok = hexDigit(s[i-2])
			ok = ok && hok
		}
		if !ok {
			return false
		}
		dst[j] = hi<<4 | lo
	}
	return true
}

var (
	errEmptyID = errors.New("empty")
	errNotHex  = errors.New("not hex")
)

// hexDigit returns the value of hex digit c.
func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
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
