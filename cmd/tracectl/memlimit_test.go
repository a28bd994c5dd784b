package main

import (
	"context"
	"github.com/spf13/pflag"
	"github.com/tracectl/tracectl/internal/hugeheap"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/tracectl/tracectl/ingest"
	"github.com/tracectl/tracectl/internal/gcstart"
	"github.com/tracectl/tracectl/internal/ui"
)

// TestReadMemoryLimit: read commands get the read memory limit, compact
// and redact the rewrite limit and writeGCPercent, the others neither; and
// GOMEMLIMIT wins.
func TestReadMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	defer gcstart.Hold(debug.SetGCPercent(100))
	root := newRootCmd(&globals{io: &ui.IO{}})
	cases := []struct {
		args  []string
		limit int64 // 0: none
		gogc  int   // the GOGC held
	}{
		{[]string{"query"}, readMemoryLimit, 100},
		{[]string{"metrics"}, readMemoryLimit, 100},
		{[]string{"metricsgen"}, readMemoryLimit, 100},
		{[]string{"sample", "replay"}, readMemoryLimit, 100},
		{[]string{"redact", "scan"}, readMemoryLimit, 100},
		{[]string{"trace", "get"}, readMemoryLimit, 100},
		{[]string{"blocks", "verify"}, readMemoryLimit, 100},
		{[]string{"ingest"}, 0, 100}, // runIngest sets its own
		{[]string{"compact"}, rewriteMemoryLimit, writeGCPercent},
		{[]string{"retain"}, 0, 100},
		{[]string{"redact"}, rewriteMemoryLimit, writeGCPercent},
	}
	for _, c := range cases {
		cmd, _, err := root.Find(c.args)
		if err != nil || cmd.CommandPath() != "tracectl "+strings.Join(c.args, " ") {
			t.Fatalf("%v: %v %v", c.args, cmd.CommandPath(), err)
		}
		debug.SetMemoryLimit(math.MaxInt64)
		gcstart.Hold(100)
		ctx, cancel := context.WithCancel(t.Context())
		setMemoryLimit(ctx, cmd)
		cancel()
		want := c.limit
		if want == 0 {
			want = math.MaxInt64
		}
		if got := debug.SetMemoryLimit(-1); got != want {
			t.Errorf("%s: limit %d, want %d", cmd.CommandPath(), got, want)
		}
		if got := debug.SetGCPercent(100); os.Getenv("GOGC") == "" && got != c.gogc {
			t.Errorf("%s: GOGC %d, want %d", cmd.CommandPath(), got, c.gogc)
		}
	}
	t.Setenv("GOMEMLIMIT", "1GiB")
	for _, args := range [][]string{{"query"}, {"compact"}} {
		cmd, _, _ := root.Find(args)
		debug.SetMemoryLimit(math.MaxInt64)
		gcstart.Hold(100)
		setMemoryLimit(t.Context(), cmd)
		if debug.SetMemoryLimit(-1) != math.MaxInt64 {
			t.Errorf("%s, GOMEMLIMIT set: the limit must be left to it", cmd.CommandPath())
		}
		if got := debug.SetGCPercent(100); got != 100 {
			t.Errorf("%s, GOMEMLIMIT set: GOGC %d, want 100 (no limit of ours to bound more)", cmd.CommandPath(), got)
		}
	}
}

// TestLimitFollowsLiveHeap: with more live heap than the soft limit, the
// limit rises to the factor times the live heap (twice for reads, 1.25
// times for ingest), so collections never run back to back.
func TestLimitFollowsLiveHeap(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	keep := make([][]byte, 64)
	for i := range keep {
		keep[i] = make([]byte, 1<<20) // 64 MiB live
	}
	for _, factor := range []float64{2, 1.25} {
		want := int64(factor * (64 << 20))
		debug.SetMemoryLimit(16 << 20)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { followLiveHeap(ctx, 16<<20, factor, time.Millisecond); close(done) }()
		deadline := time.Now().Add(5 * time.Second)
		for debug.SetMemoryLimit(-1) < want && time.Now().Before(deadline) {
			runtime.GC()
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		<-done
		if got := debug.SetMemoryLimit(-1); got < want || got > 2*want {
			t.Fatalf("factor %v: limit %d MiB with 64 MiB live, want %d", factor, got>>20, want>>20)
		}
	}
	runtime.KeepAlive(keep)
}

// TestIngestMemoryLimit: ingest's soft limit follows --memory-budget, it
// runs at writeGCPercent from the default budget up, and GOMEMLIMIT, when
// set, is left alone.
func TestIngestMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	if got := ingestMemoryLimit(128 << 20); got != 320<<20 {
		t.Errorf("default budget: limit %d MiB, want 320", got>>20)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	t.Setenv("GOMEMLIMIT", "")
	defer gcstart.Hold(debug.SetGCPercent(100))
	gcstart.Hold(100)
	setIngestMemoryLimit(ctx, 64<<20)
	if got := debug.SetMemoryLimit(-1); got < 160<<20 {
		t.Errorf("64 MiB budget: limit %d MiB, want at least 160", got>>20)
	}
	if got := debug.SetGCPercent(100); os.Getenv("GOGC") == "" && got != 100 {
		t.Errorf("64 MiB budget: GOGC %d, want 100", got)
	}
	setIngestMemoryLimit(ctx, ingest.DefaultMemoryBudget)
	if got := debug.SetGCPercent(100); os.Getenv("GOGC") == "" && got != writeGCPercent {
		t.Errorf("default budget: GOGC %d, want %d", got, writeGCPercent)
	}
	gcstart.Hold(100)
	setIngestMemoryLimit(ctx, 0) // the flag's 0 is the default budget
	if got := debug.SetMemoryLimit(-1); got != ingestMemoryLimit(ingest.DefaultMemoryBudget) {
		t.Errorf("budget 0: limit %d MiB, want %d", got>>20, ingestMemoryLimit(ingest.DefaultMemoryBudget)>>20)
	}
	if got := debug.SetGCPercent(100); os.Getenv("GOGC") == "" && got != writeGCPercent {
		t.Errorf("budget 0: GOGC %d, want %d", got, writeGCPercent)
	}
	debug.SetMemoryLimit(1 << 40)
	gcstart.Hold(100)
	t.Setenv("GOMEMLIMIT", "1GiB")
	setIngestMemoryLimit(ctx, ingest.DefaultMemoryBudget)
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("with GOMEMLIMIT: limit changed to %d", got)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOMEMLIMIT: GOGC %d, want 100 (no limit of ours to bound 400)", got)
	}
}

// TestHugeheapBoolFlags: internal/hugeheap finds the subcommand on the
// command line before flags are parsed, taking the argument after any
// flag as its value, as cobra does, unless hugeheap.BoolFlags lists the
// flag; the list must hold every flag that can precede the subcommand
// without a value, and nothing else.
func TestHugeheapBoolFlags(t *testing.T) {
	root := newRootCmd(&globals{io: &ui.IO{}})
	root.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	listed := map[string]bool{}
	for _, f := range hugeheap.BoolFlags {
		listed[f] = true
	}
	found := map[string]bool{}
	check := func(f *pflag.Flag) {
		if f.NoOptDefVal == "" {
			return // takes a value
		}
		for _, name := range []string{"--" + f.Name, "-" + f.Shorthand} {
			if name == "-" {
				continue
			}
			found[name] = true
			if !listed[name] {
				t.Errorf("%s takes no value but is not in hugeheap.BoolFlags", name)
			}
		}
	}
	root.PersistentFlags().VisitAll(check)
	root.LocalFlags().VisitAll(check)
	for f := range listed {
		if !found[f] {
			t.Errorf("hugeheap.BoolFlags lists %s, not a flag of the root without a value", f)
		}
	}
}
