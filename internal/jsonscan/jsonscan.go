// Package jsonscan reads JSON from a byte slice, for decoders that read
// the common form of their input themselves and leave the rest to
// encoding/json. Each method checks what it reads and returns false on
// anything else, leaving the position where it stopped; strings come out
// as encoding/json makes them (escapes, invalid UTF-8), so that what is
// read agrees with encoding/json wherever a method returns true.
package jsonscan

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/tracectl/tracectl/internal/intern"
)

// Scanner reads B from Pos on.
type Scanner struct {
	B   []byte
	Pos int
}

// Reset starts reading b.
func (s *Scanner) Reset(b []byte) { s.B, s.Pos = b, 0 }

// Space skips white space.
func (s *Scanner) Space() {
	for s.Pos < len(s.B) {
		switch s.B[s.Pos] {
		case ' ', '\t', '\n', '\r':
			s.Pos++
		default:
			return
		}
	}
}

// Peek skips white space and returns the next byte (0 at the end).
func (s *Scanner) Peek() byte {
	s.Space()
	if s.Pos < len(s.B) {
		return s.B[s.Pos]
	}
	return 0
}

// End reports whether only white space is left.
func (s *Scanner) End() bool {
	s.Space()
	return s.Pos == len(s.B)
}

// Consume skips white space and the byte c.
func (s *Scanner) Consume(c byte) bool {
	if s.Peek() != c {
		return false
	}
	s.Pos++
	return true
}

// Null skips white space and the literal null.
func (s *Scanner) Null() bool {
	if s.Peek() == 'n' && strings.HasPrefix(string(s.B[s.Pos:min(s.Pos+4, len(s.B))]), "null") {
		s.Pos += 4
		return true
	}
	return false
}

// Bool reads true or false.
func (s *Scanner) Bool() (bool, bool) {
	switch s.Peek() {
	case 't':
		if string(s.B[s.Pos:min(s.Pos+4, len(s.B))]) == "true" {
			s.Pos += 4
			return true, true
		}
	case 'f':
		if string(s.B[s.Pos:min(s.Pos+5, len(s.B))]) == "false" {
			s.Pos += 5
			return false, true
		}
	}
	return false, false
}

// Object reads an object, calling member for each key (without quotes)
// with the reader at the key's value.
func (s *Scanner) Object(member func(key []byte) bool) bool {
	if !s.Consume('{') {
		return false
	}
	if s.Consume('}') {
		return true
	}
	for {
		key, ok := s.RawString()
		if !ok || bytes.IndexByte(key, '\\') >= 0 || !s.Consume(':') || !member(key[1:len(key)-1]) {
			return false // escaped keys are rare: left to encoding/json
		}
		if s.Consume('}') {
			return true
		}
		if !s.Consume(',') {
			return false
		}
	}
}

// Fields reads an object whose known keys may each come once: field reads
// the value of a key and returns whether it could, with the key's bit (0
// for a key it skipped, which may come again). A known key repeated
// fails: encoding/json would keep the last value, or merge.
func (s *Scanner) Fields(field func(key []byte) (bit uint32, ok bool)) bool {
	var seen uint32
	return s.Object(func(key []byte) bool {
		bit, ok := field(key)
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
}

// Array reads an array, calling element at the start of each element.
func (s *Scanner) Array(element func() bool) bool {
	if !s.Consume('[') {
		return false
	}
	if s.Consume(']') {
		return true
	}
	for {
		if !element() {
			return false
		}
		if s.Consume(']') {
			return true
		}
		if !s.Consume(',') {
			return false
		}
	}
}

// RawString returns a string's bytes with their quotes, unescaped or not.
func (s *Scanner) RawString() ([]byte, bool) {
	if s.Peek() != '"' {
		return nil, false
	}
	start := s.Pos
	for i := start + 1; i < len(s.B); i++ {
		switch s.B[i] {
		case '\\':
			i++
		case '"':
			s.Pos = i + 1
			return s.B[start:s.Pos], true
		}
	}
	return nil, false
}

// SkipUnknown skips the value of an object member whose key (as Object
// gives it) names no field of a struct with the given JSON field names, as
// encoding/json skips it; false when encoding/json would take the key for
// one of them (it matches names ignoring case) or the key is not valid.
func (s *Scanner) SkipUnknown(key []byte, fields []string) bool {
	for _, c := range key {
		if c < 0x20 {
			return false // not valid JSON (Object declines escapes)
		}
	}
	for _, f := range fields {
		if strings.EqualFold(string(key), f) {
			return false
		}
	}
	_, ok := s.Skip()
	return ok
}

// Str reads a string.
func (s *Scanner) Str() (string, bool) {
	raw, ok := s.RawString()
	if !ok {
		return "", false
	}
	return String(raw[1 : len(raw)-1])
}

// StrFrom reads a string as Str does; one without escapes, control
// characters or non-ASCII bytes (most keys, names and short values) comes
// from t, so the strings a file repeats are allocated once.
func (s *Scanner) StrFrom(t *intern.Table) (string, bool) {
	raw, ok := s.RawString()
	if !ok {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	if !Plain(body) {
		return String(body)
	}
	return t.String(body), true
}

// Plain reports whether body, the bytes between a JSON string's quotes,
// stands for itself: no escape, quote, control character or non-ASCII
// byte.
func Plain(body []byte) bool {
	for _, c := range body {
		if c == '\\' || c == '"' || c < 0x20 || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// String is the string that the body of a JSON string (the bytes
// between its quotes) stands for, as encoding/json reads it.
func String(body []byte) (string, bool) {
	ascii := true
	for _, c := range body {
		if c == '\\' || c < 0x20 {
			return unescape(body)
		}
		ascii = ascii && c < utf8.RuneSelf
	}
	if !ascii && !utf8.Valid(body) {
		return unquote(body)
	}
	return string(body), true
}

// unescape reads the one-letter escapes (a stack trace's \n and \t, an
// embedded JSON's \") and leaves \u escapes, bad UTF-8 and control
// characters to unquote.
func unescape(body []byte) (string, bool) {
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c < 0x20 {
			return unquote(body)
		}
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i++; i == len(body) {
			return "", false
		}
		switch c = body[i]; c {
		case '"', '\\', '/':
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		default:
			return unquote(body)
		}
		out = append(out, c)
	}
	if !utf8.Valid(out) {
		return unquote(body)
	}
	return string(out), true
}

// unquote lets encoding/json unescape a string body and replace its bad
// UTF-8.
func unquote(body []byte) (string, bool) {
	quoted := make([]byte, 0, len(body)+2)
	quoted = append(append(append(quoted, '"'), body...), '"')
	var s string
	return s, json.Unmarshal(quoted, &s) == nil
}

// Hex reads a string of 1 to max hex digits and returns the digits.
func (s *Scanner) Hex(max int) ([]byte, bool) {
	raw, ok := s.RawString()
	if !ok {
		return nil, false
	}
	h := raw[1 : len(raw)-1]
	if len(h) == 0 || len(h) > max {
		return nil, false
	}
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return nil, false
		}
	}
	return h, true
}

// Digits reads a decimal string of 1 to 19 digits, which always fits a
// uint64, without a copy; ok is false for anything else (strconv handles
// it).
func Digits(s []byte) (uint64, bool) {
	if len(s) == 0 || len(s) > 19 {
		return 0, false
	}
	var v uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}

// Int64 reads an integer written as Digits, perhaps after a '-', that
// fits an int64, without a copy; ok is false for anything else.
func Int64(s []byte) (int64, bool) {
	if len(s) > 0 && s[0] == '-' {
		if v, ok := Digits(s[1:]); ok && v <= 1<<63 {
			return -int64(v), true
		}
		return 0, false
	}
	if v, ok := Digits(s); ok && v < 1<<63 {
		return int64(v), true
	}
	return 0, false
}

// Uint reads a non-negative integer of up to 18 digits, with no
// fraction or exponent.
func (s *Scanner) Uint() (uint64, bool) {
	s.Space()
	start := s.Pos
	var v uint64
	for s.Pos < len(s.B) && '0' <= s.B[s.Pos] && s.B[s.Pos] <= '9' {
		if s.Pos-start >= 18 {
			return 0, false
		}
		v = v*10 + uint64(s.B[s.Pos]-'0')
		s.Pos++
	}
	if s.Pos == start || s.B[start] == '0' && s.Pos-start > 1 || // JSON has no leading zeros
		s.Pos < len(s.B) && (s.B[s.Pos] == '.' || s.B[s.Pos] == 'e' || s.B[s.Pos] == 'E') {
		return 0, false
	}
	return v, true
}

// maxDepth bounds the nesting Skip follows.
const maxDepth = 1000

// Skip reads any value and returns its bytes.
func (s *Scanner) Skip() ([]byte, bool) {
	s.Space()
	start := s.Pos
	if !s.skip(0) {
		return nil, false
	}
	return s.B[start:s.Pos], true
}

func (s *Scanner) skip(depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch c := s.Peek(); c {
	case '"':
		raw, ok := s.RawString()
		return ok && validString(raw[1:len(raw)-1])
	case '{':
		return s.Object(func(key []byte) bool { return validString(key) && s.skip(depth+1) })
	case '[':
		return s.Array(func() bool { return s.skip(depth + 1) })
	case 't', 'f':
		_, ok := s.Bool()
		return ok
	case 'n':
		return s.Null()
	}
	_, ok := s.Number()
	return ok
}

// validString reports whether a string body is valid JSON: no control
// characters, and known escapes only.
func validString(body []byte) bool {
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c < 0x20:
			return false
		case c == '\\':
			if i++; i == len(body) {
				return false
			}
			switch body[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(body) {
					return false
				}
				for _, h := range body[i+1 : i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				i += 4
			default:
				return false
			}
		}
	}
	return true
}

// Number reads a number as JSON writes it and returns its text.
func (s *Scanner) Number() ([]byte, bool) {
	s.Space()
	start, b := s.Pos, s.B
	i := start
	digits := func() int {
		n := 0
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	s.Pos = i
	return b[start:i], true
}
