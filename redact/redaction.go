package redact

import (
	"regexp"
	"sort"
	"strings"

	"github.com/tracectl/tracectl/model"
)

// Summary attributes, as the Collector's redaction processor names them.
const (
	attrRedactedKeys  = "redaction.redacted.keys"
	attrRedactedCount = "redaction.redacted.count"
	attrMaskedKeys    = "redaction.masked.keys"
	attrMaskedCount   = "redaction.masked.count"
	attrAllowedKeys   = "redaction.allowed.keys"
	attrAllowedCount  = "redaction.allowed.count"
	attrIgnoredCount  = "redaction.ignored.count"
)

// applyMap runs a redaction rule on one attribute map, in the Collector's
// order per attribute: ignored keys pass; keys not allowed are deleted
// (unless allow_all_keys); a value matching allowed_values passes; a key
// matching blocked_key_patterns has its whole value masked; otherwise each
// match of blocked_values and of the detectors is masked. Unlike the
// Collector, string elements inside arrays and maps are masked too (the
// Collector leaves non-string values alone, which would leak them).
func (rd *redaction) applyMap(attrs *[]model.Attribute, st *RuleStats, where string) bool {
	var redacted, masked, allowed []string
	maskedChanged := false
	ignored := 0
	for i := range *attrs {
		a := &(*attrs)[i]
		if rd.isIgnored(a.Key) {
			ignored++
			continue
		}
		if !rd.allowAll && !rd.allowed[a.Key] {
			redacted = append(redacted, a.Key)
			continue
		}
		if len(rd.allowedValRe) > 0 && a.Value.Type == model.ValueString && anyRe(rd.allowedValRe, a.Value.Str) {
			allowed = append(allowed, a.Key)
			continue
		}
		if rd.isBlockedKey(a.Key) {
			// The whole value, whatever its type, becomes the mask of its
			// text: the string itself, or with redact_all_types any value
			// as text, else "" (as the Collector reads Str() of a
			// non-string). Counted as masked even when already masked.
			text := ""
			if a.Value.Type == model.ValueString {
				text = a.Value.Str
			} else if rd.redactAllTypes {
				text = collectorString(a.Value)
			}
			masked = append(masked, a.Key)
			if nv := model.StringValue(rd.mask(text)); !nv.Equal(a.Value) {
				a.Value = nv
				maskedChanged = true
				st.sample(where, a.Key, nv.Str)
			}
			continue
		}
		if rd.maskValue(&a.Value) {
			masked = append(masked, a.Key)
			maskedChanged = true
			st.sample(where, a.Key, a.Value.AsString())
		}
	}
	changed := maskedChanged
	if len(redacted) > 0 {
		drop := set(redacted)
		*attrs = deleteAttrs(*attrs, func(k string) bool { return drop[k] })
		changed = true
		st.Deleted += len(redacted)
		st.sample(where, strings.Join(redacted, ","), "(deleted)")
	}
	st.Masked += len(masked)
	if rd.summary == summarySilent {
		return changed
	}
	if rd.summary == summaryDebug {
		addKeys(attrs, attrRedactedKeys, redacted)
		addKeys(attrs, attrMaskedKeys, masked)
		addKeys(attrs, attrAllowedKeys, allowed)
	}
	addCount(attrs, attrRedactedCount, len(redacted))
	addCount(attrs, attrMaskedCount, len(masked))
	addCount(attrs, attrAllowedCount, len(allowed))
	addCount(attrs, attrIgnoredCount, ignored)
	return changed || len(redacted)+len(masked)+len(allowed)+ignored > 0
}

func (rd *redaction) isIgnored(key string) bool {
	return rd.ignored[key] || rd.keyClass(key)&keyIgnored != 0
}

func (rd *redaction) isBlockedKey(key string) bool { return rd.keyClass(key)&keyBlocked != 0 }

// Key classes, cached per key: attribute keys repeat across spans, and
// running the key regexps on every attribute dominates otherwise.
const (
	keyKnown uint8 = 1 << iota
	keyIgnored
	keyBlocked
)

// maxKeyCache bounds the cache; keys past it are matched every time.
const maxKeyCache = 1 << 14

func (rd *redaction) keyClass(key string) uint8 {
	if c, ok := rd.keyCache[key]; ok {
		return c
	}
	c := keyKnown
	if anyRe(rd.ignoredRe, key) {
		c |= keyIgnored
	}
	if anyRe(rd.blockedKeyRe, key) {
		c |= keyBlocked
	}
	if rd.keyCache == nil {
		rd.keyCache = map[string]uint8{}
	}
	if len(rd.keyCache) < maxKeyCache {
		rd.keyCache[strings.Clone(key)] = c // key may point into a large buffer
	}
	return c
}

func anyRe(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// maskValue masks blocked values and detector matches in a value: strings
// directly, arrays and maps element by element, other scalars (rendered as
// text) only with redact_all_types, in which case a masked scalar becomes
// a string.
func (rd *redaction) maskValue(v *model.Value) bool {
	switch v.Type {
	case model.ValueString:
		s, ok := rd.maskString(v.Str)
		if ok {
			v.Str = s
		}
		return ok
	case model.ValueArray:
		changed := false
		arr := v.Array()
		for i := range arr {
			if rd.maskValue(&arr[i]) {
				changed = true
			}
		}
		return changed
	case model.ValueMap:
		changed := false
		m := v.Map()
		for i := range m {
			if rd.maskValue(&m[i].Value) {
				changed = true
			}
		}
		return changed
	case model.ValueInt, model.ValueDouble, model.ValueBool:
		if !rd.redactAllTypes {
			return false
		}
		if s, ok := rd.maskString(collectorString(*v)); ok {
			*v = model.StringValue(s)
			return true
		}
	}
	return false
}

// maskString replaces every blocked-value and detector match in s. Its
// answers for strings of up to maxCachedValue bytes are kept (valueCache):
// names, routes, hosts and statuses repeat from span to span, and the
// detectors were a tenth of a rewrite's CPU.
func (rd *redaction) maskString(s string) (string, bool) {
	if m, ok := rd.valueCache[s]; ok {
		if !m.changed {
			return s, false
		}
		return m.out, true
	}
	out, changed := s, false
	if spans := findAll(s, rd.detectors, rd.blockedValRe); len(spans) > 0 {
		out = replaceSpans(s, spans, rd.mask)
		changed = out != s
	}
	if len(s) <= maxCachedValue && valueCacheSize > 0 {
		if rd.valueCache == nil {
			rd.valueCache = map[string]maskedValue{}
		}
		if len(rd.valueCache) >= valueCacheSize {
			clear(rd.valueCache) // start again rather than keep the first values for ever
		}
		// A copy: s may point into a large buffer of decoded strings.
		rd.valueCache[strings.Clone(s)] = maskedValue{out: out, changed: changed}
	}
	return out, changed
}

// maskedValue is a maskString answer kept in a redaction's valueCache.
type maskedValue struct {
	out     string
	changed bool
}

// valueCacheSize bounds a redaction's valueCache (a variable for tests):
// 16,384 answers took as little CPU and 10–15 MiB more RSS on 1M spans.
// Longer strings than maxCachedValue are not kept, being mostly unique.
var valueCacheSize = 1 << 12

const maxCachedValue = 256

// maskText applies value masking to a span name, event name or status
// message; key rules do not apply to them.
func (rd *redaction) maskText(s *string, st *RuleStats, where string) bool {
	if len(rd.allowedValRe) > 0 && anyRe(rd.allowedValRe, *s) {
		return false
	}
	out, ok := rd.maskString(*s)
	if !ok {
		return false
	}
	*s = out
	st.Masked++
	st.sample(where, "", out)
	return true
}

// addKeys merges keys into a comma-joined sorted list attribute.
func addKeys(attrs *[]model.Attribute, key string, keys []string) {
	if len(keys) == 0 {
		return
	}
	all := append([]string(nil), keys...)
	if v, ok := model.Find(*attrs, key); ok && v.Type == model.ValueString && v.Str != "" {
		all = append(all, strings.Split(v.Str, ",")...)
	}
	sort.Strings(all)
	all = compactStrings(all)
	upsert(attrs, key, model.StringValue(strings.Join(all, ",")))
}

// addCount adds n to an integer count attribute.
func addCount(attrs *[]model.Attribute, key string, n int) {
	if n == 0 {
		return
	}
	if v, ok := model.Find(*attrs, key); ok && v.Type == model.ValueInt {
		n += int(v.Int)
	}
	upsert(attrs, key, model.IntValue(int64(n)))
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}
