package ui

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestBarErasedBeforeWrites checks that a line written through Writer
// while the bar is drawn erases the bar first, that the bar comes back at
// the next update, and that Done leaves no bar on the line.
func TestBarErasedBeforeWrites(t *testing.T) {
	defer func(d time.Duration) { barEvery = d }(barEvery)
	barEvery = 0
	var buf bytes.Buffer
	b := NewBar(&buf, true, 0)
	w := b.Writer(&buf)
	b.Bytes("scan: ", 10, 100)
	if !strings.Contains(buf.String(), "scan:   10%") || !strings.Contains(buf.String(), "(10/100 B") {
		t.Fatalf("bar = %q, want the description, 10%% and the bytes", buf.String())
	}
	buf.Reset()
	if _, err := w.Write([]byte("warning\n")); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != eraseLine+"warning\n" {
		t.Errorf("write over the bar = %q, want it erased first", got)
	}
	buf.Reset()
	w.Write([]byte("more\n"))
	if got := buf.String(); got != "more\n" {
		t.Errorf("second write = %q, want only the text (the bar is gone)", got)
	}
	buf.Reset()
	b.Bytes("scan: ", 20, 100)
	if !strings.Contains(buf.String(), "scan: ") {
		t.Errorf("after a write, the next update draws nothing: %q", buf.String())
	}
	buf.Reset()
	b.Done()
	if got := buf.String(); got != eraseLine {
		t.Errorf("Done = %q, want the line erased", got)
	}
	buf.Reset()
	b.Bytes("scan: ", 30, 100)
	w.Write([]byte("end\n"))
	if got := buf.String(); got != "end\n" {
		t.Errorf("after Done = %q, want nothing but the text", got)
	}
}

// TestBarOff checks that a disabled (or nil) bar writes nothing and
// leaves the writer as it is.
func TestBarOff(t *testing.T) {
	var buf bytes.Buffer
	for _, b := range []*Bar{NewBar(&buf, false, 80), nil} {
		if w := b.Writer(&buf); w != &buf {
			t.Errorf("Writer of a bar that is off wraps the stream")
		}
		b.Bytes("scan: ", 1, 2)
		b.Count("gen: ", "spans", 1, 2)
		b.Clear()
		b.Done()
	}
	if buf.Len() != 0 {
		t.Errorf("a bar that is off wrote %q", buf.String())
	}
}

// TestBarTotalBecomesKnown: a count without a total followed by one with
// a total (a command's next phase) starts a new bar, counting from the
// new numbers, instead of rescaling the old one.
func TestBarTotalBecomesKnown(t *testing.T) {
	defer func(d time.Duration) { barEvery = d }(barEvery)
	barEvery = 0
	var buf bytes.Buffer
	b := NewBar(&buf, true, 0)
	b.Count("read: ", "spans", 500, 0)
	buf.Reset()
	b.Count("write: ", "spans", 100, 1000)
	if got := buf.String(); !strings.Contains(got, "write:   10%") || !strings.Contains(got, "(100/1000") {
		t.Errorf("bar = %q, want a new bar at 10%% of 1000", got)
	}
}

// TestBarLastUpdate: the last update (done = total) erases the bar
// without drawing its description beside the previous value first (a
// fast scan's bar read "5/5 blocks 0%" as it went).
func TestBarLastUpdate(t *testing.T) {
	var buf bytes.Buffer
	b := NewBar(&buf, true, 0)
	b.Bytes("scan 0/5: ", 0, 100)
	b.Bytes("scan 2/5: ", 40, 100) // dropped: within barEvery of the first
	b.Bytes("scan 5/5: ", 100, 100)
	if got := buf.String(); strings.Contains(got, "scan 2/5") || strings.Contains(got, "scan 5/5") {
		t.Errorf("bar = %q, want only the first frame, then the line erased", got)
	}
	if got := buf.String(); !strings.HasSuffix(got, eraseLine) {
		t.Errorf("bar = %q, want it erased at the end", got)
	}
}
