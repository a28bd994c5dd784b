package gcstart

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"
	"time"
)

func gcPercent() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }

// TestHelperGCPercent prints the GOGC the process started with, for
// TestInitRaisesGCPercent (which runs this test binary again).
func TestHelperGCPercent(t *testing.T) {
	switch os.Getenv("GCSTART_HELPER") {
	case "":
		t.Skip("run by TestInitRaisesGCPercent")
	case "hold":
		Hold(300)
	}
	fmt.Printf("gogc=%d\n", gcPercent())
}

// The package's init raises GOGC before main unless GOGC is set.
func TestInitRaisesGCPercent(t *testing.T) {
	for _, tc := range []struct {
		gogc   string // "" unset
		helper string // "hold": Hold(300) first
		want   int
	}{
		{"", "1", startupGCPercent},
		{"150", "1", 150},
		{"100", "1", 100},
		{"", "hold", 300},
		{"150", "hold", 150},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperGCPercent$", "-test.count=1")
		cmd.Env = append(withoutGOGC(os.Environ()), "GCSTART_HELPER="+tc.helper)
		if tc.gogc != "" {
			cmd.Env = append(cmd.Env, "GOGC="+tc.gogc)
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("GOGC=%q %s: %v\n%s", tc.gogc, tc.helper, err, out)
		}
		if want := fmt.Sprintf("gogc=%d\n", tc.want); !strings.Contains(string(out), want) {
			t.Errorf("GOGC=%q %s: got %q, want %q", tc.gogc, tc.helper, out, want)
		}
	}
}

func withoutGOGC(env []string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, "GOGC=") {
			out = append(out, e)
		}
	}
	return out
}

// GOGC stays raised while the live heap is small and returns once a
// collection finds it past the limit.
func TestRestoreGCPercent(t *testing.T) {
	const before = 100
	prev := debug.SetGCPercent(before)
	setHeld := func(p int) { held.Lock(); held.percent = p; held.Unlock() }
	t.Cleanup(func() { debug.SetGCPercent(prev); setHeld(prev) })
	setHeld(before)
	debug.SetGCPercent(startupGCPercent)
	// The limit sits above what the test binary already holds.
	runtime.GC()
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	restored := make(chan struct{})
	restoreGCPercent(live[0].Value.Uint64()+4<<20, func() { close(restored) })

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
			if p := gcPercent(); p != before {
				t.Fatalf("GOGC %d after restoring, want %d", p, before)
			}
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	runtime.KeepAlive(held)
	t.Fatal("not restored with a live heap past the limit")
}
