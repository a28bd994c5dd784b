package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/internal/bucketurl"
	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/metricsgen"
)

// Shell completion of flag values and block IDs (`tracectl completion
// bash|zsh|fish|powershell` writes the scripts): every enum flag (-o,
// --progress, …) completes its values, --format the formats ingest reads
// or gen writes, the string flags with a fixed set of values theirs
// (metricsgen --naming, --duration-unit), --tenant the bucket's tenants,
// and block ID arguments the tenant's block IDs.

// registerCompletions adds the value completions to every command of root.
func registerCompletions(root *cobra.Command, g *globals) {
	_ = root.RegisterFlagCompletionFunc("tenant", func(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		return withPrefix(listTenants(cmd.Context(), g), prefix), cobra.ShellCompDirectiveNoFileComp
	})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) { registerValues(c, f) })
		if c == root {
			c.PersistentFlags().VisitAll(func(f *pflag.Flag) { registerValues(c, f) })
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// registerValues completes an enum flag with its values, --format with
// the formats the command reads or writes.
func registerValues(c *cobra.Command, f *pflag.Flag) {
	var values []string
	switch v := f.Value.(type) {
	case *outputFlag:
		values = v.allowed
	default:
		switch {
		case f.Name == "format" && c.Name() == "ingest":
			values = codec.Names(codec.Formats)
		case f.Name == "format" && c.Name() == "gen":
			values = codec.Names(gen.Formats)
		case f.Name == "naming" && c.Name() == "metricsgen":
			values = []string{string(metricsgen.NamingTempo), string(metricsgen.NamingOTel)}
		case f.Name == "duration-unit" && c.Name() == "metricsgen":
			values = durationUnits
		}
	}
	if values == nil {
		return
	}
	_ = c.RegisterFlagCompletionFunc(f.Name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	})
}

// completeBlockIDs completes a block ID argument with the tenant's live
// block IDs.
func completeBlockIDs(g *globals) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ids, _ := listBlockIDs(cmd.Context(), g)
		return withPrefix(ids, prefix), cobra.ShellCompDirectiveNoFileComp
	}
}

// listTenants lists the bucket's tenants (none when it cannot be read).
func listTenants(ctx context.Context, g *globals) []string {
	b, err := bucketurl.OpenExisting(ctx, g.bucketURL)
	if err != nil {
		return nil
	}
	defer b.Close()
	ts, _ := blocks.NewStore(b, g.tenant).Tenants(ctx)
	return ts
}

// listBlockIDs lists the tenant's live block IDs, sorted.
func listBlockIDs(ctx context.Context, g *globals) ([]string, error) {
	b, err := bucketurl.OpenExisting(ctx, g.bucketURL)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	metas, err := blocks.NewStore(b, g.tenant).Blocks(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(metas))
	for i, m := range metas {
		ids[i] = m.BlockID.String()
	}
	sort.Strings(ids)
	return ids, nil
}

// resolveBlockID takes a block ID or a unique prefix of one among ids.
func resolveBlockID(arg string, ids []string) (uuid.UUID, error) {
	if id, err := uuid.Parse(arg); err == nil {
		return id, nil
	}
	match := withPrefix(ids, strings.ToLower(arg))
	switch n := len(match); {
	case arg == "" || n == 0:
		return uuid.Nil, fmt.Errorf("block ID %q: no block of the tenant has an ID starting so", arg)
	case n > 1:
		if n > 5 {
			match = append(match[:5], "…")
		}
		return uuid.Nil, fmt.Errorf("block ID %q: %d blocks start so (%s); give more of it", arg, n, strings.Join(match, ", "))
	}
	return uuid.Parse(match[0])
}

func withPrefix(values []string, prefix string) []string {
	var out []string
	for _, v := range values {
		if strings.HasPrefix(v, prefix) {
			out = append(out, v)
		}
	}
	return out
}
