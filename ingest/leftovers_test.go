package ingest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/tracectl/tracectl/internal/fixtures"
)

// TestKilledIngestRunsRemoved puts run directories in the temporary
// directory as killed, running and older ingests leave them, runs an
// ingest that spills, and checks that exactly the dead ones are gone
// (and that the ingest removes its own).
func TestKilledIngestRunsRemoved(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("process liveness is not checked on Windows")
	}
	// A process ID that is surely free: a child that has exited.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid
	tmp := t.TempDir()
	mk := func(name string, age time.Duration) string {
		p := filepath.Join(tmp, name)
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, "run-000001"), []byte("spilled"), 0o600); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
		return p
	}
	killed := mk(fmt.Sprintf("%s%d-123456", runDirPrefix, dead), time.Minute)
	running := mk(fmt.Sprintf("%s%d-42", runDirPrefix, os.Getppid()), 48*time.Hour)
	legacyOld := mk(runDirPrefix+"987654321", 48*time.Hour)
	legacyNew := mk(runDirPrefix+"123123123", time.Hour)
	other := mk("tracectl-ingestion-notes", 48*time.Hour)

	res, err := Run(context.Background(), memStore(t), []string{fixtures.Path(t, "zipkin/v2/yelp.json")},
		Options{MemoryBudget: 8 << 10, TempDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	if res.Runs == 0 {
		t.Fatal("the ingest did not spill: its own run directory is not exercised")
	}
	slices.Sort(res.RemovedSpills)
	want := []string{killed, legacyOld}
	slices.Sort(want)
	if !slices.Equal(res.RemovedSpills, want) {
		t.Fatalf("removed %v, want %v", res.RemovedSpills, want)
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range left {
		names = append(names, filepath.Join(tmp, e.Name()))
	}
	wantLeft := []string{running, legacyNew, other}
	slices.Sort(wantLeft)
	if !slices.Equal(names, wantLeft) {
		t.Fatalf("left %v, want %v (the ingest's own directory removed too)", names, wantLeft)
	}
}
