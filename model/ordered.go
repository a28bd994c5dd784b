package model

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"math"
	"slices"
)

// IsOrdered reports whether an ordered builder (NewOrderedTraceBuilder)
// given t would return it unchanged but for the nested sets: every span
// carries t.TraceID and a span ID (spans without one are keyed by content),
// no two spans share a SpanKey, no resource-spans or scope-spans entry is
// empty, and no entry's resource (scope) has the key of the entry before
// it. The traces of an ordered builder are; a caller that would rebuild
// every trace can skip those. scratch is reused between calls (may be nil)
// and returned.
func IsOrdered(t *Trace, scratch []SpanKey) (bool, []SpanKey) {
	keys := scratch[:0]
	for i := range t.ResourceSpans {
		rs := &t.ResourceSpans[i]
		if len(rs.ScopeSpans) == 0 {
			return false, keys
		}
		if i > 0 && sameResource(&t.ResourceSpans[i-1].Resource, &rs.Resource) {
			return false, keys
		}
		for j := range rs.ScopeSpans {
			ss := &rs.ScopeSpans[j]
			if len(ss.Spans) == 0 {
				return false, keys
			}
			if j > 0 && sameScope(&rs.ScopeSpans[j-1].Scope, &ss.Scope) {
				return false, keys
			}
			for k := range ss.Spans {
				s := &ss.Spans[k]
				if s.TraceID != t.TraceID || s.SpanID.IsZero() {
					return false, keys
				}
				keys = append(keys, SpanKey{SpanID: s.SpanID, Kind: s.Kind})
			}
		}
	}
	return !repeatsKey(keys), keys
}

// repeatsKey reports whether two of keys are equal. A short list is
// compared pair by pair; a long one is sorted (by span ID as a number:
// any total order finds neighbours) and its neighbours compared.
func repeatsKey(keys []SpanKey) bool {
	if len(keys) <= smallKeySet {
		for i := 1; i < len(keys); i++ {
			for j := range i {
				if keys[i] == keys[j] {
					return true
				}
			}
		}
		return false
	}
	slices.SortFunc(keys, func(a, b SpanKey) int {
		if c := cmp.Compare(binary.LittleEndian.Uint64(a.SpanID[:]), binary.LittleEndian.Uint64(b.SpanID[:])); c != 0 {
			return c
		}
		return cmp.Compare(a.Kind, b.Kind)
	})
	for i := 1; i < len(keys); i++ {
		if keys[i] == keys[i-1] {
			return true
		}
	}
	return false
}

// sameResource reports whether resourceKey(a) == resourceKey(b), without
// building the keys.
func sameResource(a, b *Resource) bool {
	return a.DroppedAttributesCount == b.DroppedAttributesCount && sameAttrsKey(a.Attributes, b.Attributes)
}

// sameScope reports whether scopeKey(a) == scopeKey(b).
func sameScope(a, b *Scope) bool {
	return a.Name == b.Name && a.Version == b.Version &&
		a.DroppedAttributesCount == b.DroppedAttributesCount && sameAttrsKey(a.Attributes, b.Attributes)
}

// sameAttrsKey reports whether writeAttrsKey writes the same bytes for a
// and b: the key encoding is prefix-free, so that is field by field
// equality of what it writes.
func sameAttrsKey(a, b []Attribute) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) > 0 && &a[0] == &b[0] {
		return true // one list: copies of a resource share it
	}
	for i := range a {
		if a[i].Key != b[i].Key || !sameValueKey(&a[i].Value, &b[i].Value) {
			return false
		}
	}
	return true
}

// sameValueKey reports whether writeValueKey writes the same bytes for a
// and b.
func sameValueKey(a, b *Value) bool {
	if a.Type != b.Type {
		return false
	}
	switch a.Type {
	case ValueString:
		return a.Str == b.Str
	case ValueInt:
		return a.Int == b.Int
	case ValueDouble:
		return math.Float64bits(a.Double) == math.Float64bits(b.Double)
	case ValueBool:
		return a.Bool == b.Bool
	case ValueBytes:
		return bytes.Equal(a.Bytes(), b.Bytes())
	case ValueArray:
		x, y := a.Array(), b.Array()
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValueKey(&x[i], &y[i]) {
				return false
			}
		}
		return true
	case ValueMap:
		return sameAttrsKey(a.Map(), b.Map())
	}
	return true
}
