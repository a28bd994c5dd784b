package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/internal/buildinfo"
	"github.com/tracectl/tracectl/internal/ui"
)

// buildInfo is this binary's version, commit, Go version and block format.
func buildInfo() buildinfo.Info { return buildinfo.Read(blocks.FormatVParquet4) }

func newVersionCmd(g *globals) *cobra.Command {
	output := newOutputFlag("text", "text", "json")
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, Go version and block format",
		Long: `Print which tracectl this is: the module version ("(devel)" when built from a
checkout with go build), the VCS commit it was built from with "(dirty)" when
the work tree had uncommitted changes, the Go version, the block format it
writes and the platform. tracectl --version prints the same text.

-o json prints {"version", "commit", "commitTime", "dirty", "goVersion",
"blockFormat", "platform"}; commit and commitTime are left out when the
build recorded none.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			info := buildInfo()
			if output.value == "json" {
				return ui.JSON(g.io.Out, info)
			}
			_, err := fmt.Fprint(g.io.Out, info.String())
			return err
		},
	}
	addOutputFlag(cmd.Flags(), output)
	return cmd
}
