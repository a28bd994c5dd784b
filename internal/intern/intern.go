// Package intern shares the strings that decoders meet again and again
// (attribute keys, span names, common values), so each is allocated once.
package intern

const (
	// maxStrings is how many strings a Table holds before it starts
	// afresh; MaxLen is how long they may be: unique strings (IDs, URLs)
	// would only grow the map.
	maxStrings = 1 << 14
	MaxLen     = 64
)

// Table maps byte strings to shared strings. The zero Table is ready to
// use; it is not safe for concurrent use.
type Table struct{ m map[string]string }

// String returns b as a string: the one handed out before for the same
// bytes when b is short, else a new one.
func (t *Table) String(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > MaxLen {
		return string(b)
	}
	if s, ok := t.m[string(b)]; ok {
		return s
	}
	if t.m == nil {
		t.m = make(map[string]string)
	} else if len(t.m) >= maxStrings {
		clear(t.m) // start afresh: the strings that repeat come back soon
	}
	s := string(b)
	t.m[s] = s
	return s
}
