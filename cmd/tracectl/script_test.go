package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/heapprof"
	"github.com/tracectl/tracectl/internal/ui"
)

func TestMain(m *testing.M) {
	// `go test -memprofile` profiles the tests' allocations: sampling back
	// on, which internal/heapprof turned off for the command.
	if slices.ContainsFunc(os.Args, func(a string) bool { return strings.HasPrefix(a, "-test.memprofile=") }) {
		heapprof.Enable()
	}
	testscript.Main(m, map[string]func(){
		"tracectl": func() { os.Exit(Main(os.Args[1:], ui.System())) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script: real commands
// against a temporary file:// bucket, checking stdout, stderr and exit codes.
// $FIXTURES is the shared real-world trace folder.
func TestScripts(t *testing.T) {
	fx := fixtures.Root(t)
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("FIXTURES", fx)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"blockid": blockIDCmd},
	})
}

// blockIDCmd is "blockid TENANT VAR": it sets VAR to the ID of the one
// live block of TENANT in the default bucket (./tracectl-data).
func blockIDCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: blockid TENANT VAR")
	}
	dirs, err := os.ReadDir(ts.MkAbs(filepath.Join("tracectl-data", args[0])))
	ts.Check(err)
	var ids []string
	for _, d := range dirs {
		if _, err := os.Stat(ts.MkAbs(filepath.Join("tracectl-data", args[0], d.Name(), "meta.json"))); err == nil {
			ids = append(ids, d.Name())
		}
	}
	if len(ids) != 1 {
		ts.Fatalf("tenant %s has %d live blocks, want 1", args[0], len(ids))
	}
	ts.Setenv(args[1], ids[0])
}
