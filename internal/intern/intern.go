// Package intern shares the strings that decoders meet again and again
// (attribute keys, span names, common values), so each is allocated once.
package intern

import "encoding/binary"

const (
	// maxStrings is how many strings a Table holds before it starts
	// afresh; MaxLen is how long they may be: unique strings (IDs, URLs)
	// would only grow the map.
	maxStrings = 1 << 14
	MaxLen     = 64

	// slotBits sizes the cache in front of the map: 4,096 strings (64
	// KiB of string headers, allocated on a Table's first string: about
	// 4 µs, once per decoded file), so that the keys, names and common
	// values of a file seldom share a slot.
	slotBits = 12
)

// Table maps byte strings to shared strings. The zero Table is ready to
// use; it is not safe for concurrent use.
//
// A string met again is most often one met a moment ago (the next span's
// attribute key, type or method), so a direct-mapped cache, indexed by a
// cheap hash of the bytes, answers first; the map, which holds every
// string handed out since it last started afresh, answers the rest. A
// cached string may be one the map has since forgotten: it is still the
// right string.
type Table struct {
	slots *[1 << slotBits]string
	m     map[string]string
}

// String returns b as a string: the one handed out before for the same
// bytes when b is short, else a new one.
func (t *Table) String(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > MaxLen {
		return string(b)
	}
	if t.slots == nil {
		t.slots = new([1 << slotBits]string)
		t.m = make(map[string]string)
	}
	slot := &t.slots[slotOf(b)]
	if *slot == string(b) {
		return *slot
	}
	s, ok := t.m[string(b)]
	if !ok {
		if len(t.m) >= maxStrings {
			clear(t.m) // start afresh: the strings that repeat come back soon
		}
		s = string(b)
		t.m[s] = s
	}
	*slot = s
	return s
}

// slotOf hashes b (1 to MaxLen bytes) to a slot: its length and every
// byte, 8 at a time (the last 8 overlapping the word before when the
// length is not a multiple of 8).
func slotOf(b []byte) uint {
	const prime = 0x9e3779b97f4a7c15
	n := len(b)
	h := uint64(n)
	switch {
	case n >= 8:
		for i := 0; i+8 < n; i += 8 {
			h = (h ^ binary.LittleEndian.Uint64(b[i:])) * prime
		}
		h ^= binary.LittleEndian.Uint64(b[n-8:])
	case n >= 4:
		h ^= uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint32(b[n-4:]))<<32
	default:
		h ^= uint64(b[0]) | uint64(b[n/2])<<8 | uint64(b[n-1])<<16
	}
	h *= prime
	return uint(h >> (64 - slotBits))
}
