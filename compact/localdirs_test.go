package compact

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/internal/testbuckets"
)

// TestLocalFoldersRemoved: on a file:// bucket, compaction and retention
// leave neither the folder of a block they deleted nor an attributes
// sidecar (fileblob's <object>.attrs, which blocks written before
// metadata=skip have) behind, and write none. The bucket directory is
// listed after each: it holds the live blocks' folders and nothing else.
func TestLocalFoldersRemoved(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// The inputs as earlier versions wrote them, with sidecars.
	writeBlocks(t, blocks.NewStore(testbuckets.OpenURL(t, "file://"+dir+"?metadata="), "tenant-a"), 6)
	if sidecars, _ := filepath.Glob(filepath.Join(dir, "tenant-a", "*", "*.attrs")); len(sidecars) == 0 {
		t.Fatal("the inputs were written without sidecars: the test would not cover deleting them")
	}
	st := blocks.NewStore(testbuckets.OpenURL(t, "file://"+dir), "tenant-a")
	metas, err := st.Blocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A write cut short between fileblob's two files leaves a sidecar
	// without its object, which no listing shows.
	for _, m := range metas[:2] {
		orphan := filepath.Join(dir, "tenant-a", m.BlockID.String(), "bloom-7.attrs")
		if err := os.WriteFile(orphan, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	output := []string{"<id>/", "<id>/bloom-0", "<id>/data.parquet", "<id>/index", "<id>/meta.json", "<id>/rewrite.json"}

	res, err := Run(ctx, st, Options{CompactedRetention: -1, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outputs) != 2 || len(res.Deleted) != 6 {
		t.Fatalf("compact: %d outputs, %d deleted; want 2, 6", len(res.Outputs), len(res.Deleted))
	}
	want := append([]string{"tenant-a/"}, prefixed("tenant-a/", append(slices.Clone(output), output...))...)
	checkListing(t, "after compact", dir, want)

	rres, err := Retain(ctx, st, RetainOptions{OlderThan: time.Nanosecond, CompactedRetention: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rres.Marked) != 2 || len(rres.Deleted) != 2 {
		t.Fatalf("retain: %d marked, %d deleted; want 2, 2", len(rres.Marked), len(rres.Deleted))
	}
	// The tenant's own directory stays: an ingest may be creating a block
	// in it at this moment.
	checkListing(t, "after retain", dir, []string{"tenant-a/"})
}

func prefixed(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}

// checkListing compares the files and directories under dir (block IDs
// written as <id>, directories ending in "/") with want, as sorted lists.
func checkListing(t *testing.T, stage, dir string, want []string) {
	t.Helper()
	var got []string
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) > 1 && len(parts[1]) == 36 {
			parts[1] = "<id>"
		}
		name := strings.Join(parts, "/")
		if e.IsDir() {
			name += "/"
		}
		got = append(got, name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s: bucket directory holds\n  %s\nwant\n  %s", stage, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
