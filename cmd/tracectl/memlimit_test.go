package main

import (
	"context"
	"math"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/tracectl/tracectl/internal/ui"
)

// TestReadMemoryLimit: read commands get the soft memory limit, commands
// that write blocks do not, and GOMEMLIMIT wins.
func TestReadMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	root := newRootCmd(&globals{io: &ui.IO{}})
	cases := []struct {
		args []string
		want bool
	}{
		{[]string{"query"}, true},
		{[]string{"metrics"}, true},
		{[]string{"metricsgen"}, true},
		{[]string{"sample", "replay"}, true},
		{[]string{"redact", "scan"}, true},
		{[]string{"trace", "get"}, true},
		{[]string{"blocks", "verify"}, true},
		{[]string{"ingest"}, false},
		{[]string{"compact"}, false},
		{[]string{"retain"}, false},
		{[]string{"redact"}, false},
	}
	for _, c := range cases {
		cmd, _, err := root.Find(c.args)
		if err != nil || cmd.CommandPath() != "tracectl "+strings.Join(c.args, " ") {
			t.Fatalf("%v: %v %v", c.args, cmd.CommandPath(), err)
		}
		debug.SetMemoryLimit(math.MaxInt64)
		setMemoryLimit(t.Context(), cmd)
		if got := debug.SetMemoryLimit(-1) == readMemoryLimit; got != c.want {
			t.Errorf("%s: limit set %v, want %v", cmd.CommandPath(), got, c.want)
		}
	}
	t.Setenv("GOMEMLIMIT", "1GiB")
	cmd, _, _ := root.Find([]string{"query"})
	debug.SetMemoryLimit(math.MaxInt64)
	setMemoryLimit(t.Context(), cmd)
	if debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Error("GOMEMLIMIT set: the limit must be left to it")
	}
}

// TestLimitFollowsLiveHeap: with more live heap than the soft limit, the
// limit rises to twice the live heap (no back-to-back collections).
func TestLimitFollowsLiveHeap(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	keep := make([][]byte, 64)
	for i := range keep {
		keep[i] = make([]byte, 1<<20) // 64 MiB live
	}
	debug.SetMemoryLimit(16 << 20)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { followLiveHeap(ctx, 16<<20, time.Millisecond); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for debug.SetMemoryLimit(-1) < 2*64<<20 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if got := debug.SetMemoryLimit(-1); got < 2*64<<20 {
		t.Fatalf("limit %d MiB with 64 MiB live, want at least 128", got>>20)
	}
	runtime.KeepAlive(keep)
}
