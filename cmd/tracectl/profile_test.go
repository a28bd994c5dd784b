package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestMemProfile: --memprofile writes a heap profile whose samples are
// the command's allocations, though sampling is off until the flags are
// parsed (internal/heapprof): its functions are named in the profile,
// which has no samples and no function names without them.
func TestMemProfile(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "mem.out")
	mustRun(t, "--memprofile", prof, "gen", "--out", filepath.Join(dir, "in"), "--spans", "20000", "--seed", "1")
	f, err := os.Open(prof)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("profile is not gzip'd protobuf: %v", err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("alloc_space")) {
		t.Fatalf("not a heap profile (%d bytes)", len(b))
	}
	if !bytes.Contains(b, []byte("github.com/tracectl/tracectl/internal/gen.")) {
		t.Errorf("the profile (%d bytes) names no function of the command: no allocation was sampled", len(b))
	}
}
