package main

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/internal/ui"
)

func newBlocksCmd(g *globals) *cobra.Command {
	return newGroupCmd("blocks", "List, inspect and verify the blocks in a bucket",
		newBlocksLsCmd(g), newBlocksInspectCmd(g), newBlocksVerifyCmd(g), newBlocksAnalyseCmd(g))
}

func newBlocksLsCmd(g *globals) *cobra.Command {
	output := newOutputFlag("table", "table", "json")
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the tenant's blocks",
		Long: `List the tenant's complete blocks (those with a meta.json), oldest first:
block ID, tenant, start, end, traces, spans, bytes and compaction level.
Span counts are read from each block's ServiceStats column.

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, closeFn, err := g.openStore(ctx)
			if err != nil {
				return err
			}
			defer closeFn()
			infos, err := st.List(ctx)
			if err != nil {
				return err
			}
			if output.value == "json" {
				if infos == nil {
					return ui.JSON(g.io.Out, []any{})
				}
				return ui.JSON(g.io.Out, infos)
			}
			rows := make([][]string, 0, len(infos))
			for _, b := range infos {
				m := b.Meta
				rows = append(rows, []string{
					m.BlockID.String(), m.TenantID,
					fmtTime(m.StartTime, g.io.OutTTY), fmtTime(m.EndTime, g.io.OutTTY),
					strconv.Itoa(int(m.TotalObjects)), strconv.FormatInt(b.Spans, 10),
					strconv.FormatUint(uint64(m.Size), 10), strconv.Itoa(int(m.CompactionLevel)),
				})
			}
			return ui.Table(g.io.Out, g.io.OutTTY, []string{"block id", "tenant", "start", "end", "traces", "spans", "bytes", "level"}, rows)
		},
	}
	addOutputFlag(cmd.Flags(), output)
	return cmd
}

func newBlocksInspectCmd(g *globals) *cobra.Command {
	output := newOutputFlag("table", "table", "json")
	cmd := &cobra.Command{
		Use:               "inspect BLOCKID",
		Short:             "Show a block's meta, row groups, and columns with their sizes (a unique prefix of the ID will do)",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeBlockIDs(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := uuid.Parse(args[0])
			if err != nil {
				ids, lerr := listBlockIDs(cmd.Context(), g)
				if lerr != nil {
					return lerr
				}
				if id, err = resolveBlockID(args[0], ids); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			st, closeFn, err := g.openStore(ctx)
			if err != nil {
				return err
			}
			defer closeFn()
			blk, err := st.OpenBlock(ctx, id)
			if err != nil {
				return err
			}
			ins, err := blk.Inspect(ctx)
			if err != nil {
				return err
			}
			if output.value == "json" {
				return ui.JSON(g.io.Out, ins)
			}
			return renderInspection(g, ins)
		},
	}
	addOutputFlag(cmd.Flags(), output)
	return cmd
}

func newBlocksVerifyCmd(g *globals) *cobra.Command {
	output := newOutputFlag("table", "table", "json")
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Re-read every block and check meta, data and bloom filters agree",
		Long: `Re-read every block of the tenant and check that meta.json, data.parquet,
the index and the bloom shards agree: row and row-group counts, sizes, footer,
trace IDs sorted and unique and all present in their bloom shard, each row
group's largest ID in the index, time range, and the derived columns (root
service and span, service stats, nested sets).
Folders with data but no meta.json (a write that never finished) are
reported as orphans.

Exit status:
  0    every block is sound
  1    damage or orphans were found (listed on stdout)
  2    error: the bucket could not be read`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, closeFn, err := g.openStore(ctx)
			if err != nil {
				return err
			}
			defer closeFn()
			rep, err := st.Verify(ctx)
			if err != nil {
				return err
			}
			if output.value == "json" {
				if err := ui.JSON(g.io.Out, rep); err != nil {
					return err
				}
			} else if err := renderVerify(g, rep); err != nil {
				return err
			}
			if !rep.OK() {
				return &checkFailedError{msg: fmt.Sprintf("verify: %s", verifySummary(rep))}
			}
			fmt.Fprintf(g.io.Err, "verify: %s\n", verifySummary(rep))
			return nil
		},
	}
	addOutputFlag(cmd.Flags(), output)
	requireBlocks(g, cmd)
	return cmd
}

func renderInspection(g *globals, ins blocks.Inspection) error {
	m := ins.Meta
	w := g.io.Out
	fmt.Fprintf(w, "block %s (tenant %s, %s, level %d)\n", m.BlockID, m.TenantID, m.Format, m.CompactionLevel)
	fmt.Fprintf(w, "  time     %s .. %s\n", fmtTime(m.StartTime, g.io.OutTTY), fmtTime(m.EndTime, g.io.OutTTY))
	fmt.Fprintf(w, "  traces   %d (rows %d), row groups %d, bloom shards %d\n", m.TotalObjects, ins.Rows, m.TotalRecords, m.BloomShards)
	fmt.Fprintf(w, "  size     %d bytes (footer %d), replication factor %d\n", m.Size, m.FooterSize, m.ReplicationFactor)
	fmt.Fprintf(w, "  writer   %s\n", ins.CreatedBy)
	dc := "none"
	if len(ins.DedicatedColumns) > 0 {
		cols := make([]string, len(ins.DedicatedColumns))
		for i, d := range ins.DedicatedColumns {
			cols[i] = fmt.Sprintf("%s.%s (%s)", d.Scope, d.Name, d.Column)
		}
		dc = strings.Join(cols, ", ")
	}
	fmt.Fprintf(w, "  dedicated %s\n", dc)
	fmt.Fprintln(w)
	rows := make([][]string, 0, len(ins.RowGroups))
	for _, rg := range ins.RowGroups {
		rows = append(rows, []string{strconv.Itoa(rg.Index), strconv.FormatInt(rg.Rows, 10),
			strconv.FormatInt(rg.CompressedBytes, 10), strconv.FormatInt(rg.UncompressedBytes, 10), rg.MinTraceID, rg.MaxTraceID})
	}
	if err := ui.Table(w, g.io.OutTTY, []string{"row group", "rows", "compressed", "uncompressed", "min trace id", "max trace id"}, rows); err != nil {
		return err
	}
	fmt.Fprintln(w)
	rows = rows[:0]
	for _, c := range ins.Columns {
		rows = append(rows, []string{c.Path, c.Type, c.Codec, strings.Join(c.Encodings, ","), strconv.FormatInt(c.Values, 10),
			strconv.FormatInt(c.CompressedBytes, 10), strconv.FormatInt(c.UncompressedBytes, 10)})
	}
	return ui.Table(w, g.io.OutTTY, []string{"column", "type", "codec", "encodings", "values", "compressed", "uncompressed"}, rows)
}

func renderVerify(g *globals, rep blocks.VerifyReport) error {
	rows := [][]string{}
	for _, b := range rep.Blocks {
		status := "ok"
		if len(b.Problems) > 0 {
			status = strings.Join(b.Problems, "; ")
		}
		rows = append(rows, []string{b.BlockID.String(), strconv.Itoa(b.Traces), strconv.Itoa(b.Spans), status})
	}
	for _, o := range rep.Orphans {
		rows = append(rows, []string{o, "", "", "orphan: block folder without meta.json"})
	}
	return ui.Table(g.io.Out, g.io.OutTTY, []string{"block id", "traces", "spans", "status"}, rows)
}

func verifySummary(rep blocks.VerifyReport) string {
	bad, problems := 0, 0
	for _, b := range rep.Blocks {
		if len(b.Problems) > 0 {
			bad++
			problems += len(b.Problems)
		}
	}
	return fmt.Sprintf("%d blocks checked, %d damaged (%d problems), %d orphans", len(rep.Blocks), bad, problems, len(rep.Orphans))
}
