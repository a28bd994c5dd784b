package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/ui"
)

func TestMain(m *testing.M) {
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
	})
}
