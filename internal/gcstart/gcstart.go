// Package gcstart lets the collector wait longer while a command's heap is
// small, and lets a command choose the GOGC it runs at after that (Hold).
// Only package main imports it, for its init at least:
//
//	import _ "github.com/tracectl/tracectl/internal/gcstart"
//
// It acts in its init, so that the packages initialised after it (the
// cloud SDKs, protobuf registries and tablewriter's width cache allocate
// some 2.6 MiB) no longer trigger a collection before main starts: with
// few imports of its own it is initialised early, after about half of
// tracectl's 380 packages.
//
// While the live heap is small, the collector waits for five times it
// (GOGC=400) instead of twice: most commands allocate a few MiB (a trace
// lookup, a count, a limited search) and would otherwise collect two or
// three times for little, from the runtime's first goal of 4 MiB on
// (BENCHMARKS.md, fifteenth and sixteenth rounds). The previous setting
// returns after the first collection that finds the live heap past
// startupLiveHeap, so a command's heap reaches at most some five times
// that before it, and its peak follows GOGC=100 (and the memory limits of
// cmd/tracectl/memlimit.go) after, or what a command chose with Hold.
// A read of many small blocks keeps some 5-10 MiB live while it decodes
// their footers, allocating fast: past 8 MiB once, it collected every
// few milliseconds after (a count over 990 blocks took a quarter longer
// than at 32 MiB; BENCHMARKS.md, twenty-fourth round).
//
// Before that, while the live heap is under 4 MiB, it waits for sixteen
// times it (GOGC=1600): the runtime's first goal is then 64 MiB, the heap
// internal/hugeheap backs with huge pages, instead of 16. A limit-20 search
// or `rate() by` on 100k spans allocates some 15-20 MiB in all and
// collected once for it, a 5-10 ms pause in a command of 50-70.
// GOGC, when set, wins.
package gcstart

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// startup lists the GOGC the collector runs at while the live heap is
// below each size, smallest first; past the last, the held percent.
var startup = []struct {
	below   uint64
	percent int
}{
	{firstLiveHeap, firstGCPercent},
	{startupLiveHeap, startupGCPercent},
}

const (
	firstGCPercent   = 1600
	firstLiveHeap    = 4 << 20
	startupGCPercent = 400
	startupLiveHeap  = 32 << 20
)

func init() {
	if os.Getenv("GOGC") != "" {
		return
	}
	held.percent = debug.SetGCPercent(startup[0].percent)
	restoreGCPercent(nil)
}

// held is the GOGC the startup setting gives way to: the runtime's (100)
// unless Hold changed it.
var held struct {
	sync.Mutex
	percent int
	byHold  bool // Hold set it: the startup stages no longer apply
}

// Hold sets GOGC to percent from now on, and makes it what the startup
// setting gives way to. Commands that write blocks use it: they allocate
// fast and keep little live, so at the default they collect every few
// tens of milliseconds. GOGC, when set, wins.
func Hold(percent int) {
	if os.Getenv("GOGC") != "" {
		return
	}
	held.Lock()
	defer held.Unlock()
	held.percent, held.byHold = percent, true
	debug.SetGCPercent(percent)
}

// restoreGCPercent moves GOGC through the startup stages as collections
// find the live heap past each stage's size (never back), then sets it to
// the held percent after the first collection that finds it past the last
// and calls done (if set). A finalizer on an unreachable object runs after
// each collection and sets itself again until then.
func restoreGCPercent(done func()) {
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	stage := 0
	var check func(*gcSentinel)
	check = func(s *gcSentinel) {
		metrics.Read(live)
		n := uint64(1 << 63) // unreadable: past every stage
		if live[0].Value.Kind() == metrics.KindUint64 {
			n = live[0].Value.Uint64()
		}
		was := stage
		for stage < len(startup) && n >= startup[stage].below {
			stage++
		}
		last := stage == len(startup)
		held.Lock()
		switch {
		case last:
			debug.SetGCPercent(held.percent)
		case stage != was && !held.byHold:
			debug.SetGCPercent(startup[stage].percent)
		}
		held.Unlock()
		if !last {
			runtime.SetFinalizer(s, check)
		} else if done != nil {
			done()
		}
	}
	runtime.SetFinalizer(&gcSentinel{}, check)
}

// gcSentinel is large enough not to be a tiny allocation, which the
// runtime may never finalize.
type gcSentinel struct{ _ [32]byte }
