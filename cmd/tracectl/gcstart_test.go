package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// GOGC stays raised while the live heap is small and returns once a
// collection finds it past the limit.
func TestRestoreGCPercent(t *testing.T) {
	prev := debug.SetGCPercent(startupGCPercent)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	// The limit sits above what the test binary already holds.
	runtime.GC()
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	restored := make(chan struct{})
	restoreGCPercent(prev, live[0].Value.Uint64()+4<<20, func() { close(restored) })
	gcPercent := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }

	runtime.GC()
	runtime.GC()
	select {
	case <-restored:
		t.Fatal("restored with a small live heap")
	case <-time.After(50 * time.Millisecond):
	}
	if p := gcPercent(); p != startupGCPercent {
		t.Fatalf("GOGC %d with a small live heap, want %d", p, startupGCPercent)
	}

	held := make([]byte, 8<<20)
	for range 3 {
		runtime.GC()
		select {
		case <-restored:
			runtime.KeepAlive(held)
			if p := gcPercent(); p != prev {
				t.Fatalf("GOGC %d after restoring, want %d", p, prev)
			}
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	runtime.KeepAlive(held)
	t.Fatal("not restored with a live heap past the limit")
}
