package ui

import (
	"bytes"
	"strings"
	"testing"
)

// TestRows: tab-separated output goes out a row at a time (a 64 KiB
// buffer at most is held) and equals Table's; a terminal's aligned table
// comes at Flush, also equal to Table's.
func TestRows(t *testing.T) {
	header := []string{"trace id", "root service", "matched"}
	var rows [][]string
	for i := range 5000 {
		rows = append(rows, []string{strings.Repeat("ab", i%7), "svc\twith tab", "12"})
	}
	for _, tty := range []bool{false, true} {
		var want, got bytes.Buffer
		if err := Table(&want, tty, header, rows); err != nil {
			t.Fatal(err)
		}
		r := NewRows(&got, tty, header)
		for i, row := range rows {
			if err := r.Add(row); err != nil {
				t.Fatal(err)
			}
			if i == 4000 && !tty && got.Len() < 32<<10 {
				t.Errorf("tab-separated: %d bytes written after 4000 rows; rows are held", got.Len())
			}
		}
		if tty && got.Len() != 0 {
			t.Errorf("aligned table: %d bytes before Flush", got.Len())
		}
		if err := r.Flush(); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("tty=%v: Rows wrote\n%.300s\nTable\n%.300s", tty, got.String(), want.String())
		}
	}
	var got bytes.Buffer
	r := NewRows(&got, false, header)
	r.Add([]string{"a", "b", "c"})
	r.Flush()
	if got.String() != "trace id\troot service\tmatched\na\tb\tc\n" {
		t.Errorf("tab-separated: %q", got.String())
	}
}
