package main

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracectl/tracectl/ingest"
	"github.com/tracectl/tracectl/internal/gcstart"
)

// readMemoryLimit is the soft memory limit of commands that only read
// blocks: their live heap is bounded (a row group per worker, ~64k spans
// per filter batch), so the garbage collector can run before the heap
// doubles, keeping peak RSS under 256 MiB. It is not a cap: a command that
// needs more gets it, with more GC work. GOMEMLIMIT, when set, wins.
const readMemoryLimit = 200 << 20

// readCommands are the command paths (after "tracectl ") that get it, and
// the commands below them; ingest (its --memory-budget), compact and
// redact (rewriteMemoryLimit) have limits of their own, retain none.
var readCommands = []string{"query", "metrics", "metricsgen", "sample", "redact scan", "trace", "blocks"}

// rewriteMemoryLimit is the soft memory limit of compact and redact, which
// rewrite blocks (ingest's follows its --memory-budget): they run at
// writeGCPercent under it.
const rewriteMemoryLimit = 200 << 20

// rewriteCommands are the command paths that get rewriteMemoryLimit.
var rewriteCommands = []string{"compact", "redact"}

// writeGCPercent is the GOGC of the commands that write blocks: they
// allocate fast and keep little live (a compaction of 990 blocks keeps
// 10-40 MiB and allocates 3 GB), so at GOGC=100 they collected every 30 ms
// and ran with the collector's write barriers on for a third of the time.
// Their soft memory limit bounds the heap instead: a compaction takes
// 17-19% less CPU for a peak RSS of 210 instead of 105 MiB, an ingest of
// 10M spans 8-15% less for 344-349 instead of 338-345 MiB (1M spans: 8%,
// 345-351 instead of 315-326 MiB). Ingest below the default
// --memory-budget keeps GOGC=100: there its limit binds, and GOGC=400 only
// moved the peak toward it (one 217 MB file at 64 MiB: 193-195 to 197-198
// MiB, too close to the 200 MiB it promises).
const writeGCPercent = 400

// setMemoryLimit applies readMemoryLimit to the read commands and
// rewriteMemoryLimit (with writeGCPercent) to compact and redact, raised
// with their live heap until ctx ends (see followLiveHeap).
func setMemoryLimit(ctx context.Context, cmd *cobra.Command) {
	switch {
	case isReadCommand(cmd):
		applyMemoryLimit(ctx, readMemoryLimit, 2)
	case isCommand(cmd, rewriteCommands, false):
		if applyMemoryLimit(ctx, rewriteMemoryLimit, 2) {
			gcstart.Hold(writeGCPercent)
		}
	}
}

// applyMemoryLimit sets the soft memory limit to limit, raised to factor
// times the live heap while ctx lasts (see followLiveHeap), and reports
// whether it did: GOMEMLIMIT, when set, wins, and then writeGCPercent,
// which relies on the limit to bound the heap, is not applied either.
func applyMemoryLimit(ctx context.Context, limit int64, factor float64) bool {
	if os.Getenv("GOMEMLIMIT") != "" {
		return false
	}
	debug.SetMemoryLimit(limit)
	go followLiveHeap(ctx, limit, factor, 25*time.Millisecond)
	return true
}

// ingestMemoryLimit is the soft memory limit of an ingest with the given
// --memory-budget: two and a half times the budget. While input is read,
// the decoded spans held take some 1.5 times their estimate, and the
// batches decoded ahead, which shrink with the budget (see
// ingest.decodeBatchBytes), the rest; while blocks are written, the
// writer's buffers and the spill merge take the room the spans left.
// 320 MiB at the default budget, 160 MiB at 64 MiB.
func ingestMemoryLimit(budget int64) int64 { return budget * 5 / 2 }

// setIngestMemoryLimit applies ingestMemoryLimit, unless GOMEMLIMIT is
// set, raised to 1.25 times the live heap while ctx lasts: without it the
// collector lets the heap reach twice the live heap (745 MiB peak RSS
// ingesting 1M spans at the default budget; 457 MiB with it, for 7 % more
// CPU).
func setIngestMemoryLimit(ctx context.Context, budget int64) {
	if budget <= 0 { // ingest takes it as the default
		budget = ingest.DefaultMemoryBudget
	}
	if applyMemoryLimit(ctx, ingestMemoryLimit(budget), 1.25) && budget >= ingest.DefaultMemoryBudget {
		gcstart.Hold(writeGCPercent)
	}
}

// followLiveHeap keeps the soft memory limit at least factor times the
// live heap, checked every period. What an answer keeps (every trace of a large
// tenant, exact quantiles' durations) can outgrow the limit; past it the
// runtime collects garbage back to back, up to half the CPU (a search
// returning 810k traces took 2.6 times as long). Twice the live heap is
// where the collector would start on its own (GOGC=100), so the limit
// then only stops mattering; below it, it keeps a streaming command's
// heap from doubling.
func followLiveHeap(ctx context.Context, limit int64, factor float64, period time.Duration) {
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(live)
		if live[0].Value.Kind() != metrics.KindUint64 {
			return
		}
		if n := int64(factor * float64(live[0].Value.Uint64())); n > limit {
			limit = n
			debug.SetMemoryLimit(limit)
		}
	}
}

// isReadCommand reports whether cmd is one of readCommands or below one.
func isReadCommand(cmd *cobra.Command) bool { return isCommand(cmd, readCommands, true) }

// isCommand reports whether cmd's path (after "tracectl ") is one of
// paths, or, with below, under one.
func isCommand(cmd *cobra.Command, paths []string, below bool) bool {
	path := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
	for _, c := range paths {
		if path == c || below && strings.HasPrefix(path, c+" ") {
			return true
		}
	}
	return false
}
