package conformance

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/traceql/traceqltest"
)

// TestSearchScriptsOnBlocks writes each script's data set into blocks in a
// mem:// bucket — split into blocks of at most 3 traces, so that results
// must be merged across blocks — and runs every script case through the
// block reader. Scripts that load Tempo's own block read it directly.
func TestSearchScriptsOnBlocks(t *testing.T) {
	dir := filepath.Join("..", "..", "traceql", "testdata", "search")
	traceqltest.RunWithOptions(t, dir, traceqltest.Options{
		Open: func(t *testing.T, traces []*model.Trace) store.Source {
			return writeBlocks(t, traces, 3)
		},
		LoadBlock: readTempoBlock,
	})
}

func writeBlocks(t *testing.T, traces []*model.Trace, perBlock int) store.Source {
	t.Helper()
	ctx := context.Background()
	b, err := blocks.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	st := blocks.NewStore(b, "single-tenant")
	sorted := append([]*model.Trace(nil), traces...)
	model.SortTraces(sorted)
	for i := 0; i < len(sorted); i += perBlock {
		end := min(i+perBlock, len(sorted))
		if _, err := st.WriteBlock(ctx, sorted[i:end], blocks.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// readTempoBlock reads a block directory (relative to the shared fixtures,
// laid out as <tenant>/<blockID>) with the block reader.
func readTempoBlock(t *testing.T, rel string) []*model.Trace {
	t.Helper()
	path := rel
	if !filepath.IsAbs(path) {
		path = fixtures.Path(t, rel)
	}
	id, err := uuid.Parse(filepath.Base(path))
	if err != nil {
		t.Fatalf("load-block %s: %v", rel, err)
	}
	tenantDir := filepath.Dir(path)
	ctx := context.Background()
	b, err := blocks.OpenBucket(ctx, "file://"+filepath.Dir(tenantDir))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	blk, err := blocks.NewStore(b, filepath.Base(tenantDir)).OpenBlock(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	it, err := blk.Traces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out, err := store.Collect(it)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
