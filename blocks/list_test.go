package blocks

import (
	"context"
	"encoding/json"
	"testing"
)

func TestListSpanCounts(t *testing.T) {
	ctx := context.Background()
	infos, err := tempoStore(t).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Spans != 570 || infos[0].TotalObjects != 134 {
		t.Fatalf("List() = %+v, want the Tempo block with 570 spans", infos)
	}
	b, err := json.Marshal(infos[0])
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil || obj["spans"] != float64(570) || obj["blockID"] != tempoBlockID {
		t.Errorf("JSON %s", b)
	}

	s := memStore(t)
	m, err := s.WriteBlock(ctx, syntheticTraces(30, 4, 1e18), WriteOptions{RowGroupBytes: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	infos, err = s.List(ctx)
	if err != nil || len(infos) != 1 || infos[0].Spans != 60 {
		t.Fatalf("List() = %+v, %v; want 60 spans", infos, err)
	}
	if err := s.DeleteBlock(ctx, m.BlockID); err != nil {
		t.Fatal(err)
	}
	if keys := listKeys(t, s.bucket, ""); len(keys) != 0 {
		t.Errorf("DeleteBlock left %v", keys)
	}
	if err := s.DeleteBlock(ctx, m.BlockID); err != nil {
		t.Errorf("deleting a deleted block: %v", err)
	}
}
