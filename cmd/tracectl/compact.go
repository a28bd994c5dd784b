package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracectl/tracectl/compact"
	"github.com/tracectl/tracectl/internal/ui"
)

type compactOptions struct {
	window             time.Duration
	maxInputs          int
	maxObjects         int
	maxBlockBytes      int64
	maxTraceBytes      int64
	compactedRetention time.Duration
	orphanGrace        time.Duration
	dryRun             bool
	concurrency        int
	output             *outputFlag
}

func newCompactCmd(g *globals, runF func(*compactOptions) error) *cobra.Command {
	o := &compactOptions{output: newOutputFlag("table", "table", "json")}
	cmd := &cobra.Command{
		Use:   "compact",
		Short: "Merge small blocks into larger ones; delete retired blocks",
		Long: `Plan from the blocks' meta.json alone, as Tempo's compactor does: group
blocks by time window of their end time (--window), format and dedicated
columns, and by compaction level while the window is within the last 24h
(older windows merge blocks of any level; the window at the 24h boundary
waits), and merge runs of 2..--max-inputs blocks whose sizes add up to at
most --max-block-bytes and traces to at most --max-objects into one block
of the next level. Traces present in
several inputs are merged (spans deduplicated by span ID and kind).

Safe to run from cron while ingest writes and while another compact runs:
the output is written completely (meta.json last) before its inputs are
marked compacted (meta.json → meta.compacted.json), and every output
records its inputs, so a run after a crash retires inputs whose output is
already live instead of merging them again. Compacted blocks, and outputs
abandoned by a crash, are deleted after --compacted-retention (0: at once).

With --dry-run nothing is written: the plan is printed, one row per input
block and per planned output (estimated traces and size are the inputs'
sums).

` + exitCodesHelp,
		Example: `  tracectl compact --dry-run
  tracectl compact --window 1h --max-inputs 8
  tracectl --bucket s3://traces compact -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.maxObjects < 1 {
				return fmt.Errorf("compact: --max-objects must be positive, got %d", o.maxObjects)
			}
			if o.maxInputs < 2 {
				return fmt.Errorf("compact: --max-inputs must be at least 2, got %d", o.maxInputs)
			}
			if o.window <= 0 || o.maxBlockBytes <= 0 || o.compactedRetention < 0 || o.orphanGrace < 0 || o.maxTraceBytes < 0 {
				return fmt.Errorf("compact: --window and --max-block-bytes must be positive, --compacted-retention, --orphan-grace and --max-trace-bytes not negative")
			}
			if runF != nil {
				return runF(o)
			}
			return runCompact(cmd, g, o)
		},
	}
	f := cmd.Flags()
	durationVar(f, &o.window, "window", compact.DefaultWindow, "group blocks by this window of their end time")
	f.IntVar(&o.maxInputs, "max-inputs", compact.DefaultMaxInputs, "most blocks merged into one")
	f.IntVar(&o.maxObjects, "max-objects", compact.DefaultMaxObjects, "most traces (summed meta totalObjects) merged into one block")
	byteSizeVar(f, &o.maxBlockBytes, "max-block-bytes", compact.DefaultMaxBlockBytes, "most input bytes merged into one block (bytes, or with a unit: 1GiB)")
	byteSizeVar(f, &o.maxTraceBytes, "max-trace-bytes", 0, "cap each merged trace at this size as OTLP protobuf, keeping roots and earliest spans; cut traces are reported (0 = no cap)")
	durationVar(f, &o.compactedRetention, "compacted-retention", compact.DefaultCompactedRetention, "keep compacted blocks this long before deleting them")
	durationVar(f, &o.orphanGrace, "orphan-grace", compact.DefaultOrphanGrace, "delete block folders without meta.json (a killed ingest's leftovers) untouched this long")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the plan, write nothing")
	f.IntVar(&o.concurrency, "concurrency", 0, "merges run at once, each holding a row group per input (0 = one per core; 8 on an object store when every merge is of small blocks)")
	addOutputFlag(f, o.output)
	requireBlocks(g, cmd)
	return cmd
}

// retention maps the flag's 0 (delete at once) to the library's "no delay".
func retention(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

func runCompact(cmd *cobra.Command, g *globals, o *compactOptions) error {
	ctx := cmd.Context()
	st, closeFn, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	start := time.Now()
	res, err := compact.Run(ctx, st, compact.Options{
		Window:             o.window,
		MaxInputs:          o.maxInputs,
		MaxObjects:         o.maxObjects,
		MaxBlockBytes:      uint64(o.maxBlockBytes),
		CompactedRetention: retention(o.compactedRetention),
		OrphanGrace:        retention(o.orphanGrace),
		DryRun:             o.dryRun,
		Concurrency:        o.concurrency,
		MaxTraceBytes:      o.maxTraceBytes,
	})
	if !o.dryRun {
		updateIndex(ctx, g, st)
	}
	if err != nil {
		if res != nil && len(res.Outputs) > 0 {
			fmt.Fprintf(g.io.Err, "compact: %d blocks written before the error; run again to continue\n", len(res.Outputs))
		}
		return err
	}
	if o.output.value == "json" {
		return ui.JSON(g.io.Out, res)
	}
	var rows [][]string
	for i, gr := range res.Groups {
		gid, win, lvl := strconv.Itoa(i+1), fmtTime(gr.Window, g.io.OutTTY), strconv.Itoa(int(gr.Level))
		for _, in := range gr.Inputs {
			rows = append(rows, []string{gid, win, lvl, "input", in.BlockID.String(), strconv.Itoa(in.Objects), ui.Bytes(int64(in.Size))})
		}
		if o.dryRun {
			rows = append(rows, []string{gid, win, strconv.Itoa(int(gr.Level) + 1), "planned", "-",
				"≤" + strconv.Itoa(gr.EstimatedObjects), "≤" + ui.Bytes(int64(gr.EstimatedBytes))})
		} else if i < len(res.Outputs) {
			m := res.Outputs[i].Meta
			rows = append(rows, []string{gid, win, strconv.Itoa(int(m.CompactionLevel)), "output", m.BlockID.String(),
				strconv.Itoa(m.TotalObjects), ui.Bytes(int64(m.Size))})
		}
	}
	if len(rows) > 0 {
		if err := ui.Table(g.io.Out, g.io.OutTTY, []string{"group", "window", "level", "role", "block id", "traces", "size"}, rows); err != nil {
			return err
		}
	}
	inputs := 0
	for _, gr := range res.Groups {
		inputs += len(gr.Inputs)
	}
	if o.dryRun {
		fmt.Fprintf(g.io.Err, "dry run: %d live blocks, %d groups would merge %d blocks, and %d compacted blocks and %d orphaned block folders would be deleted; nothing written\n",
			res.Blocks, len(res.Groups), inputs, len(res.Deleted), len(res.Orphans))
		for _, m := range res.Deleted {
			fmt.Fprintf(g.io.Err, "  would delete compacted block %s (compacted %s)\n", m.BlockID, m.CompactedTime.UTC().Format(time.RFC3339))
		}
		for _, id := range res.Orphans {
			fmt.Fprintf(g.io.Err, "  would delete orphaned block folder %s\n", id)
		}
		return nil
	}
	if len(res.Recovered) > 0 || len(res.Finished) > 0 {
		fmt.Fprintf(g.io.Err, "compact: finished an interrupted run: retired %d inputs already merged, completed %d retirements\n",
			len(res.Recovered), len(res.Finished))
	}
	printCuts(g, res.Outputs, o.maxTraceBytes)
	fmt.Fprintf(g.io.Err, "compact: %d live blocks, merged %d blocks into %d; deleted %d compacted blocks and %d orphaned block folders in %s\n",
		res.Blocks, inputs, len(res.Outputs), len(res.Deleted), len(res.Orphans), time.Since(start).Round(time.Millisecond))
	return nil
}

// printCuts reports on stderr the traces --max-trace-bytes cut (the first
// few; -o json lists all).
func printCuts(g *globals, outs []compact.Output, limit int64) {
	var cuts []compact.CutTrace
	for _, o := range outs {
		cuts = append(cuts, o.Cut...)
	}
	if len(cuts) == 0 {
		return
	}
	dropped := 0
	for _, c := range cuts {
		dropped += c.Spans - c.Kept
	}
	fmt.Fprintf(g.io.Err, "compact: %d traces over --max-trace-bytes %s cut, %d spans dropped\n", len(cuts), ui.Bytes(limit), dropped)
	for i, c := range cuts {
		if i == 5 {
			fmt.Fprintf(g.io.Err, "  … %d more (-o json lists every one)\n", len(cuts)-i)
			break
		}
		fmt.Fprintf(g.io.Err, "  trace %s: %s, kept %d of %d spans\n", c.TraceID, ui.Bytes(c.Bytes), c.Kept, c.Spans)
	}
}

type retainOptions struct {
	olderThan          time.Duration
	compactedRetention time.Duration
	dryRun             bool
	output             *outputFlag
}

func newRetainCmd(g *globals, runF func(*retainOptions) error) *cobra.Command {
	o := &retainOptions{output: newOutputFlag("table", "table", "json")}
	cmd := &cobra.Command{
		Use:   "retain --older-than 336h",
		Short: "Retire blocks older than a retention period; delete retired blocks",
		Long: `Mark the tenant's blocks whose end time is older than --older-than compacted
(meta.json → meta.compacted.json: readers stop seeing them at once), and
delete blocks marked compacted — by retain or by compact — more than
--compacted-retention ago (0: at once), so readers that listed a block
before it was retired can finish. Prints one row per block marked or
deleted. With --dry-run nothing changes.

` + exitCodesHelp,
		Example: `  tracectl retain --older-than 336h --dry-run
  tracectl --tenant team-a retain --older-than 720h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.olderThan <= 0 || o.compactedRetention < 0 {
				return fmt.Errorf("retain: --older-than must be positive, --compacted-retention not negative")
			}
			if runF != nil {
				return runF(o)
			}
			return runRetain(cmd, g, o)
		},
	}
	f := cmd.Flags()
	durationVar(f, &o.olderThan, "older-than", compact.DefaultOlderThan, "retire blocks whose end time is older than this")
	durationVar(f, &o.compactedRetention, "compacted-retention", compact.DefaultCompactedRetention, "keep retired blocks this long before deleting them")
	f.BoolVar(&o.dryRun, "dry-run", false, "print what would be marked and deleted, change nothing")
	addOutputFlag(f, o.output)
	requireBlocks(g, cmd)
	return cmd
}

func runRetain(cmd *cobra.Command, g *globals, o *retainOptions) error {
	ctx := cmd.Context()
	st, closeFn, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	res, err := compact.Retain(ctx, st, compact.RetainOptions{
		OlderThan:          o.olderThan,
		CompactedRetention: retention(o.compactedRetention),
		DryRun:             o.dryRun,
	})
	if !o.dryRun {
		updateIndex(ctx, g, st)
	}
	if err != nil {
		return err
	}
	for _, m := range res.Kept {
		fmt.Fprintf(g.io.Err, "retain: warning: block %s ends (%s) before it starts (%s): not retired; see blocks verify\n",
			m.BlockID, fmtTime(m.EndTime, false), fmtTime(m.StartTime, false))
	}
	if o.output.value == "json" {
		return ui.JSON(g.io.Out, res)
	}
	marked, deleted := "marked", "deleted"
	if o.dryRun {
		marked, deleted = "would mark", "would delete"
	}
	var rows [][]string
	for _, m := range res.Marked {
		rows = append(rows, []string{marked, m.BlockID.String(), fmtTime(m.EndTime, g.io.OutTTY), strconv.Itoa(m.TotalObjects), ui.Bytes(int64(m.Size))})
	}
	for _, m := range res.Deleted {
		rows = append(rows, []string{deleted, m.BlockID.String(), fmtTime(m.EndTime, g.io.OutTTY), strconv.Itoa(m.TotalObjects), ui.Bytes(int64(m.Size))})
	}
	if len(rows) > 0 {
		if err := ui.Table(g.io.Out, g.io.OutTTY, []string{"action", "block id", "end", "traces", "size"}, rows); err != nil {
			return err
		}
	}
	prefix := "retain"
	if o.dryRun {
		prefix = "dry run"
	}
	fmt.Fprintf(g.io.Err, "%s: %d blocks ending before %s %s, %d retired blocks %s\n",
		prefix, len(res.Marked), fmtTime(res.Cutoff, false), marked, len(res.Deleted), deleted)
	return nil
}
