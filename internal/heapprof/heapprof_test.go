package heapprof

import (
	"go/build"
	"os"
	"runtime"
	"testing"
)

// TestImports: runtime and internal/sysfile only, so that init comes
// early (see the package's note on imports).
func TestImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range pkg.Imports {
		if path != "runtime" && path != "github.com/tracectl/tracectl/internal/sysfile" {
			t.Errorf("the package imports %s", path)
		}
	}
}

func TestSetByGODEBUG(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want bool
	}{
		{"", false},
		{"memprofilerate=1", true},
		{"madvdontneed=0,memprofilerate=0", true},
		{"memprofilerate=4096,gctrace=1", true},
		{"gctrace=1", false},
		{"xmemprofilerate=1", false},
		{"memprofilerates=1", false},
		{",,", false},
	} {
		if got := setByGODEBUG(tc.v); got != tc.want {
			t.Errorf("setByGODEBUG(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

// TestInitAndEnable: init turned sampling off (this test binary runs it
// too), unless GODEBUG sets a rate, and Enable turns it back on at the
// rate found.
func TestInitAndEnable(t *testing.T) {
	defer func(r int) { runtime.MemProfileRate = r }(runtime.MemProfileRate)
	if setByGODEBUG(os.Getenv("GODEBUG")) {
		t.Skip("GODEBUG sets memprofilerate")
	}
	if runtime.MemProfileRate != 0 {
		t.Fatalf("after init MemProfileRate = %d, want 0", runtime.MemProfileRate)
	}
	if rate <= 0 {
		t.Fatalf("the rate init found is %d", rate)
	}
	Enable()
	if runtime.MemProfileRate != rate {
		t.Errorf("after Enable MemProfileRate = %d, want %d", runtime.MemProfileRate, rate)
	}
}
