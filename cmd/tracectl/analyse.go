package main

import (
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/internal/ui"
)

func newBlocksAnalyseCmd(g *globals) *cobra.Command {
	output := newOutputFlag("table", "table", "json")
	var top int
	cmd := &cobra.Command{
		Use:     "analyse [BLOCKID]",
		Aliases: []string{"analyze"},
		Short:   "Report the attributes' sizes and suggest dedicated columns",
		Long: `Read the resource and span attributes of one block (a unique prefix of
its ID will do) or of every live block of the tenant, column by column
without building traces, as tempo-cli's "analyse blocks" does. Per
attribute (scope, name, value type): where it is stored (generic attribute
lists, a dedicated column, a static well-known column, or mixed across
blocks), how many spans or resources hold it (and their share), and the
bytes its values take. The --top attributes with the most bytes are shown
(0: all).

Suggested dedicated columns are the string attributes with the most bytes
that sit in the generic lists, as many per scope as the ten slots leave
beside the blocks' current dedicated columns; the last line gives both
as a value for "tracectl ingest --dedicated-columns".

` + exitCodesHelp,
		Example: `  tracectl blocks analyse
  tracectl blocks analyse 0f3a --top 50 -o json`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeBlockIDs(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var ids []uuid.UUID
			if len(args) == 1 {
				all, err := listBlockIDs(ctx, g)
				if err != nil {
					return err
				}
				id, err := resolveBlockID(args[0], all)
				if err != nil {
					return err
				}
				ids = append(ids, id)
			}
			st, closeFn, err := g.openStore(ctx)
			if err != nil {
				return err
			}
			defer closeFn()
			an, err := st.Analyse(ctx, ids)
			if err != nil {
				return err
			}
			if top > 0 && len(an.Attributes) > top {
				an.Attributes = an.Attributes[:top]
			}
			if output.value == "json" {
				return ui.JSON(g.io.Out, an)
			}
			return renderAnalysis(g, an)
		},
	}
	cmd.Flags().IntVar(&top, "top", 20, "show this many attributes, most bytes first (0: all)")
	addOutputFlag(cmd.Flags(), output)
	return cmd
}

func renderAnalysis(g *globals, an blocks.Analysis) error {
	rows := make([][]string, 0, len(an.Attributes))
	for _, a := range an.Attributes {
		rows = append(rows, []string{a.Scope, a.Name, a.Type, a.Column, strconv.FormatInt(a.Rows, 10),
			strconv.FormatFloat(100*a.Share, 'f', 1, 64) + "%", strconv.FormatInt(a.Bytes, 10)})
	}
	if err := ui.Table(g.io.Out, g.io.OutTTY, []string{"scope", "attribute", "type", "column", "rows", "share", "bytes"}, rows); err != nil {
		return err
	}
	w := g.io.Out
	fmt.Fprintf(w, "\n%d blocks, %d traces, %d resources, %d spans\n", an.Blocks, an.Traces, an.Resources, an.Spans)
	fmt.Fprintf(w, "dedicated: %s\n", blocks.FormatDedicatedColumns(an.Dedicated))
	fmt.Fprintf(w, "suggested: %s\n", blocks.FormatDedicatedColumns(an.Suggested))
	fmt.Fprintf(w, "--dedicated-columns %s\n", an.Columns)
	return nil
}
