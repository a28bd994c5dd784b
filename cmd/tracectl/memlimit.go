package main

import (
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// readMemoryLimit is the soft memory limit of commands that only read
// blocks: their live heap is bounded (a row group per worker, ~64k spans
// per filter batch), so the garbage collector can run before the heap
// doubles, keeping peak RSS under 256 MiB. It is not a cap: a command that
// needs more gets it, with more GC work. GOMEMLIMIT, when set, wins.
const readMemoryLimit = 200 << 20

// readCommands are the command paths (after "tracectl ") that get it;
// ingest, compact, retain and redact write blocks and have their own
// budgets.
var readCommands = []string{"query", "metrics", "metricsgen", "sample", "redact scan", "trace", "blocks"}

// setMemoryLimit applies readMemoryLimit to the read commands.
func setMemoryLimit(cmd *cobra.Command) {
	if os.Getenv("GOMEMLIMIT") == "" && isReadCommand(cmd) {
		debug.SetMemoryLimit(readMemoryLimit)
	}
}

// isReadCommand reports whether cmd is one of readCommands.
func isReadCommand(cmd *cobra.Command) bool {
	path := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
	for _, c := range readCommands {
		if path == c || strings.HasPrefix(path, c+" ") {
			return true
		}
	}
	return false
}
