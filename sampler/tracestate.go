package sampler

import "strings"

// traceStateGet parses a W3C tracestate header the way OpenTelemetry Go's
// trace.ParseTraceState does (strict keys and values, at most 32 members,
// no duplicate keys, empty members skipped) and returns key's value. A
// header that does not parse has no values.
func traceStateGet(ts, key string) (string, bool) {
	v, found, _ := traceStateLookup(ts, key)
	return v, found
}

// traceStateValid reports whether ts parses.
func traceStateValid(ts string) bool {
	_, _, valid := traceStateLookup(ts, "")
	return valid
}

// traceStateLookup parses ts (see traceStateGet) and returns key's value,
// whether it is there, and whether ts parses at all.
func traceStateLookup(ts, key string) (val string, found, valid bool) {
	seen := 0
	keys := map[string]bool{}
	for ts != "" {
		var m string
		m, ts, _ = strings.Cut(ts, ",")
		if m == "" {
			continue
		}
		k, v, ok := strings.Cut(m, "=")
		if !ok {
			return "", false, false
		}
		k = strings.TrimLeft(k, " \t")
		v = strings.TrimRight(v, " \t")
		if !tsKey(k) || !tsValue(v) || keys[k] {
			return "", false, false
		}
		keys[k] = true
		if seen++; seen > 32 {
			return "", false, false
		}
		if k == key {
			val, found = v, true
		}
	}
	return val, found, true
}

func tsKey(k string) bool {
	tenant, system, multi := strings.Cut(k, "@")
	if !multi {
		return tsKeyPart(k, 255, false)
	}
	return tsKeyPart(tenant, 240, true) && tsKeyPart(system, 13, false)
}

// tsKeyPart checks one key part: a first character (a lowercase letter,
// or also a digit for a tenant), then at most max characters of
// [a-z0-9_*/-].
func tsKeyPart(s string, max int, digitFirst bool) bool {
	if s == "" || len(s)-1 > max {
		return false
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || digitFirst && c >= '0' && c <= '9') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '*' || c == '/') {
			return false
		}
	}
	return true
}

// tsValue: 1..256 printable ASCII characters other than ',' and '=', the
// last not a space.
func tsValue(v string) bool {
	if v == "" || len(v) > 256 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c > 0x7e || c == ',' || c == '=' || i == len(v)-1 && c == ' ' {
			return false
		}
	}
	return true
}
