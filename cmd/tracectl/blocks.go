package main

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tracectl/tracectl/internal/ui"
)

func newBlocksCmd(g *globals) *cobra.Command {
	return newGroupCmd("blocks", "List, inspect and verify the blocks in a bucket",
		newBlocksLsCmd(g))
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

