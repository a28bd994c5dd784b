package main

import (
	"math"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/internal/ui"
)

// TestReadMemoryLimit: read commands get the soft memory limit, commands
// that write blocks do not, and GOMEMLIMIT wins.
func TestReadMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	root := newRootCmd(&globals{io: &ui.IO{}})
	cases := []struct {
		args []string
		want bool
	}{
		{[]string{"query"}, true},
		{[]string{"metrics"}, true},
		{[]string{"metricsgen"}, true},
		{[]string{"sample", "replay"}, true},
		{[]string{"redact", "scan"}, true},
		{[]string{"trace", "get"}, true},
		{[]string{"blocks", "verify"}, true},
		{[]string{"ingest"}, false},
		{[]string{"compact"}, false},
		{[]string{"retain"}, false},
		{[]string{"redact"}, false},
	}
	for _, c := range cases {
		cmd, _, err := root.Find(c.args)
		if err != nil || cmd.CommandPath() != "tracectl "+strings.Join(c.args, " ") {
			t.Fatalf("%v: %v %v", c.args, cmd.CommandPath(), err)
		}
		debug.SetMemoryLimit(math.MaxInt64)
		setMemoryLimit(cmd)
		if got := debug.SetMemoryLimit(-1) == readMemoryLimit; got != c.want {
			t.Errorf("%s: limit set %v, want %v", cmd.CommandPath(), got, c.want)
		}
	}
	t.Setenv("GOMEMLIMIT", "1GiB")
	cmd, _, _ := root.Find([]string{"query"})
	debug.SetMemoryLimit(math.MaxInt64)
	setMemoryLimit(cmd)
	if debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Error("GOMEMLIMIT set: the limit must be left to it")
	}
}
