package main

import (
	"context"
	"fmt"

	"github.com/tracectl/tracectl/blocks"
)

// updateIndex rewrites the tenant index (<tenant>/index.json.gz) after a
// command changed the tenant's blocks, so that the next commands read it
// instead of every block's meta.json. Readers never depend on the index
// for correctness, so a failure is a warning on stderr, not the command's
// failure.
func updateIndex(ctx context.Context, g *globals, st *blocks.Store) {
	if ctx.Err() != nil {
		return
	}
	if err := st.WriteIndex(ctx); err != nil && ctx.Err() == nil {
		// (Cut short by a signal, the command exits as interrupted.)
		fmt.Fprintf(g.io.Err, "tracectl: warning: tenant index %s/index.json.gz not updated (readers list the blocks instead): %v\n",
			st.Tenant(), err)
	}
}
