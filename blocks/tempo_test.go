package blocks

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/blocks/bloomshard"
	"github.com/tracectl/tracectl/model"
)

func readTempoTraces(t *testing.T, s *Store) []*model.Trace {
	t.Helper()
	ctx := context.Background()
	b, err := s.OpenBlock(ctx, mustUUID(tempoBlockID))
	if err != nil {
		t.Fatal(err)
	}
	it, err := b.Traces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return readAllTraces(t, it)
}

func TestReadTempoBlock(t *testing.T) {
	ctx := context.Background()
	s := tempoStore(t)
	metas, err := s.Blocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(metas) != 1 || metas[0].BlockID.String() != tempoBlockID || metas[0].TotalObjects != 134 {
		t.Fatalf("Blocks() = %+v, want the Tempo block with 134 traces", metas)
	}
	traces := readTempoTraces(t, s)
	spans, errs := 0, 0
	services := map[string]bool{}
	for _, tr := range traces {
		tr.Spans(func(r model.SpanRef) bool {
			spans++
			if r.Span.Status.Code == model.StatusError {
				errs++
			}
			services[r.Resource.ServiceName()] = true
			return true
		})
	}
	if len(traces) != 134 || spans != 570 || errs != 3 || len(services) != 10 {
		t.Fatalf("got %d traces, %d spans, %d error spans, %d services; want 134, 570, 3, 10",
			len(traces), spans, errs, len(services))
	}
	// Every trace can be found by ID, through the store and the block.
	for _, tr := range traces {
		got, err := s.FindTrace(ctx, tr.TraceID)
		if err != nil {
			t.Fatalf("FindTrace(%s): %v", tr.TraceID, err)
		}
		if diff := cmp.Diff(tr, got, traceOpts); diff != "" {
			t.Fatalf("FindTrace(%s) differs from the scan (-scan +find):\n%s", tr.TraceID, diff)
		}
	}
}

// TestTempoBloom checks our reading of Tempo's bloom-0: every trace ID of
// the block tests positive, random IDs mostly negative.
func TestTempoBloom(t *testing.T) {
	s := tempoStore(t)
	traces := readTempoTraces(t, s)
	data, err := os.ReadFile(filepath.Join(tempoBlockDir(t), "bloom-0"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := bloomshard.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	// The shard size matches; k is read from the file (Tempo's fixture
	// has k=5, i.e. it was written with fp≈0.05; we write fp=0.01, k=7).
	if shards, _ := bloomshard.Shape(134); f.Cap() != bloomshard.ShardBytes*8 || shards != 1 {
		t.Errorf("Tempo bloom-0 has m=%d, want %d in 1 shard (ours: %d)", f.Cap(), bloomshard.ShardBytes*8, shards)
	}
	for _, tr := range traces {
		if bloomshard.Of(tr.TraceID, 1) != 0 || !f.Test(tr.TraceID[:]) {
			t.Errorf("trace %s not in Tempo's bloom-0", tr.TraceID)
		}
	}
	pos := 0
	for i := 0; i < 1000; i++ {
		var id model.TraceID
		id[0], id[1], id[15] = byte(i), byte(i>>8), 0x5a
		if f.Test(id[:]) {
			pos++
		}
	}
	if pos > 20 {
		t.Errorf("%d of 1000 random IDs test positive", pos)
	}
}

// TestTempoIndex: the index object of Tempo's block names the last trace
// ID of its one row group. (Its meta.json round trip is metadata's
// TestDecodeTempoMeta.)
func TestTempoIndex(t *testing.T) {
	dir := tempoBlockDir(t)
	s := tempoStore(t)
	traces := readTempoTraces(t, s)
	idx, err := os.ReadFile(filepath.Join(dir, indexObject))
	if err != nil {
		t.Fatal(err)
	}
	last := traces[len(traces)-1].TraceID
	want := `{"rowGroups":["` + b64(last[:]) + `"]}`
	if string(idx) != want {
		t.Errorf("index = %s, want %s", idx, want)
	}
}
