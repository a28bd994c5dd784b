package intern

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

func TestTable(t *testing.T) {
	var tab Table
	a := tab.String([]byte("http.method"))
	b := tab.String([]byte("http.method"))
	if a != "http.method" || unsafe.StringData(a) != unsafe.StringData(b) {
		t.Errorf("a short string met twice: %q and %q, not one allocation", a, b)
	}
	if tab.String(nil) != "" || tab.String([]byte{}) != "" {
		t.Error("empty input must give the empty string")
	}
	long := []byte(strings.Repeat("x", MaxLen+1))
	l1, l2 := tab.String(long), tab.String(long)
	if l1 != string(long) || unsafe.StringData(l1) == unsafe.StringData(l2) {
		t.Error("a long string must be returned, not kept")
	}
	// The bytes given are not kept: changing them leaves the strings.
	buf := []byte("status")
	s := tab.String(buf)
	buf[0] = 'S'
	if s != "status" || tab.String([]byte("status")) != "status" {
		t.Errorf("string changed with its input bytes: %q", s)
	}
	// Past maxStrings the table starts afresh and still answers right.
	for i := range maxStrings + 10 {
		k := []byte("k" + strings.Repeat("a", i%50) + string(rune('a'+i%26)) + string(rune('A'+i/26%26)) + string(rune('0'+i/676%10)))
		if got := tab.String(k); got != string(k) {
			t.Fatalf("got %q for %q", got, k)
		}
	}
	if len(tab.m) > maxStrings {
		t.Errorf("table holds %d strings, past its bound %d", len(tab.m), maxStrings)
	}
}

// TestTableSharedSlot: strings that hash to one slot of the cache each
// come back right, and shared (from the map), however they alternate.
func TestTableSharedSlot(t *testing.T) {
	var tab Table
	first := map[uint][]byte{}
	var a, b []byte
	for i := 0; a == nil; i++ {
		k := []byte(fmt.Sprintf("key-%d", i))
		if prev, ok := first[slotOf(k)]; ok {
			a, b = prev, k
		}
		first[slotOf(k)] = k
	}
	sa, sb := tab.String(a), tab.String(b)
	for range 3 {
		ga, gb := tab.String(a), tab.String(b)
		if ga != string(a) || gb != string(b) {
			t.Fatalf("got %q and %q for %q and %q", ga, gb, a, b)
		}
		if unsafe.StringData(ga) != unsafe.StringData(sa) || unsafe.StringData(gb) != unsafe.StringData(sb) {
			t.Errorf("%q and %q share a slot: each must still be allocated once", a, b)
		}
	}
	if got := tab.slots[slotOf(b)]; got != string(b) {
		t.Errorf("the slot holds %q, not the string asked for last (%q)", got, b)
	}
}

// TestTableEveryLength: every length up to MaxLen, and strings alike but
// for one byte anywhere, come back as given.
func TestTableEveryLength(t *testing.T) {
	var tab Table
	for n := 1; n <= MaxLen; n++ {
		base := []byte(strings.Repeat("a", n))
		for i := range n {
			k := slices.Clone(base)
			k[i] = 'b'
			for range 2 {
				if got := tab.String(k); got != string(k) {
					t.Fatalf("got %q for %q", got, k)
				}
				if got := tab.String(base); got != string(base) {
					t.Fatalf("got %q for %q", got, base)
				}
			}
		}
	}
}

// TestTableAfterRestart: a string cached before the map started afresh
// still comes back right.
func TestTableAfterRestart(t *testing.T) {
	var tab Table
	tab.String([]byte("http.method"))
	for i := range maxStrings + 1 {
		tab.String([]byte(fmt.Sprintf("unique-%d", i)))
	}
	if len(tab.m) > maxStrings {
		t.Fatalf("table holds %d strings, past its bound %d", len(tab.m), maxStrings)
	}
	got := tab.String([]byte("http.method"))
	if got != "http.method" {
		t.Fatalf("got %q", got)
	}
}

// TestSlotSpread: strings that differ anywhere (early, in the middle,
// late, in a long string) spread over the cache's slots.
func TestSlotSpread(t *testing.T) {
	patterns := []string{
		"SELECT * FROM users WHERE id = %d LIMIT 1",
		"http://service-%d.default.svc:8080/healthz",
		"https://example.com/api/v1/items/%d?page=1",
		"%d.example.com", "user-%d", "10.0.%d.1",
		"/a/very/long/route/prefix/that/is/shared/%d",
		"a-prefix-of-exactly-forty-bytes-%d-suffix-of-more-bytes",
	}
	for _, p := range patterns {
		used := map[uint]bool{}
		for i := range 1000 {
			used[slotOf([]byte(fmt.Sprintf(p, i)))] = true
		}
		// 1,000 strings over 4,096 slots fill about 887 when spread.
		if len(used) < 800 {
			t.Errorf("%q: 1,000 strings in %d slots", p, len(used))
		}
	}
}
