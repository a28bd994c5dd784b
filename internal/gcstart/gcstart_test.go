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
		{"", "1", firstGCPercent},
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

// GOGC goes through the startup stages as collections find the live heap
// past each, and returns to the held percent past the last; a Hold keeps
// its percent through the stages.
func TestRestoreGCPercent(t *testing.T) {
	for _, hold := range []bool{false, true} {
		t.Run(fmt.Sprintf("hold %v", hold), func(t *testing.T) { testRestore(t, hold) })
	}
}

func testRestore(t *testing.T, hold bool) {
	const before, holdPercent = 100, 250
	prev := debug.SetGCPercent(before)
	saved := startup
	setHeld := func(p int, byHold bool) { held.Lock(); held.percent, held.byHold = p, byHold; held.Unlock() }
	t.Cleanup(func() { debug.SetGCPercent(prev); setHeld(prev, false); startup = saved })
	setHeld(before, false)
	// The stages sit above what the test binary already holds.
	runtime.GC()
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	base := live[0].Value.Uint64()
	startup = []struct {
		below   uint64
		percent int
	}{{base + 4<<20, 1600}, {base + 16<<20, 400}}
	debug.SetGCPercent(1600)
	restored := make(chan struct{})
	restoreGCPercent(func() { close(restored) })
	want := func(stage int) int {
		switch {
		case stage == 2 && hold:
			return holdPercent
		case stage == 2:
			return before
		case hold:
			return holdPercent
		}
		return startup[stage].percent
	}
	if hold {
		Hold(holdPercent)
	}
	gcUntil := func(stage int) {
		t.Helper()
		for range 5 {
			runtime.GC()
			time.Sleep(20 * time.Millisecond) // the finalizer runs after the collection
			if gcPercent() == want(stage) && (stage < 2 || isClosed(restored)) {
				return
			}
		}
		t.Fatalf("stage %d: GOGC %d, want %d (restored %v)", stage, gcPercent(), want(stage), isClosed(restored))
	}
	gcUntil(0)
	if isClosed(restored) {
		t.Fatal("restored with a small live heap")
	}
	a := make([]byte, 8<<20)
	gcUntil(1)
	if isClosed(restored) {
		t.Fatal("restored before the last stage")
	}
	b := make([]byte, 16<<20)
	gcUntil(2)
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
