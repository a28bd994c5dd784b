package intern

import (
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
