package blocks

import (
	"context"
	"testing"

	"github.com/parquet-go/parquet-go/format"

	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
)

// TestMayHoldAnyTrustsOnlyOrderedRanges: a row group is left out of a
// split trace's search only by a TraceID range of its own that is in
// order; an inverted, short or missing range (another writer's, or
// damaged statistics) may hold the trace.
func TestMayHoldAnyTrustsOnlyOrderedRanges(t *testing.T) {
	ctx := context.Background()
	traces := gen.New(gen.Options{Seed: 3}).Distinct(40)
	s := memStore(t)
	m, err := s.WriteBlock(ctx, traces, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inside := map[model.TraceID]bool{traces[20].TraceID: true}
	var outside model.TraceID
	for i := range outside {
		outside[i] = 0xff
	}
	if traces[len(traces)-1].TraceID == outside {
		t.Skip("generated the all-ones ID")
	}
	tests := []struct {
		name  string
		edit  func(st *format.Statistics)
		inOut [2]bool // mayHold(inside), mayHold(outside)
	}{
		{"own range", func(*format.Statistics) {}, [2]bool{true, false}},
		{"inverted", func(st *format.Statistics) { st.MinValue, st.MaxValue = st.MaxValue, st.MinValue }, [2]bool{true, true}},
		{"short", func(st *format.Statistics) { st.MaxValue = st.MaxValue[:8] }, [2]bool{true, true}},
		{"legacy only", func(st *format.Statistics) {
			st.Min, st.Max = st.MinValue, st.MaxValue
			st.MinValue, st.MaxValue = nil, nil
		}, [2]bool{true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := s.block(m).open(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer f.r.release()
			rgs := f.file.Metadata().RowGroups
			if len(rgs) != 1 {
				t.Fatalf("%d row groups, want 1", len(rgs))
			}
			st := &rgs[0].Columns[f.leaves.traceID.Index].MetaData.Statistics
			saved := *st
			defer func() { *st = saved }()
			tt.edit(st)
			got := [2]bool{f.mayHold(0, anyIDIn(inside)), f.mayHold(0, anyIDIn(map[model.TraceID]bool{outside: true}))}
			if got != tt.inOut {
				t.Errorf("mayHold(inside, outside) = %v, want %v", got, tt.inOut)
			}
		})
	}
}

// TestGroupsInIDOrder: the row groups of a block tracectl writes and of
// Tempo's block are in ID order by their statistics (footers whole and
// light), so the split-trace pass reads their IDs a row group at a time;
// a row group that starts below the end of the one before, or one
// without a range, is not.
func TestGroupsInIDOrder(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	m, err := s.WriteBlock(ctx, gen.New(gen.Options{Seed: 3}).Distinct(200), WriteOptions{RowGroupBytes: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	tempo := tempoStore(t)
	tb, err := tempo.OpenBlock(ctx, mustUUID(tempoBlockID))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []*Block{s.block(m), tb} {
		for _, light := range []bool{false, true} {
			f, err := b.openFile(ctx, true, light)
			if err != nil {
				t.Fatal(err)
			}
			if !f.groupsInIDOrder() {
				t.Errorf("block %s (light %v, %d row groups): not in ID order", b.meta.BlockID, light, len(f.file.RowGroups()))
			}
			f.r.release()
		}
	}
	f, err := s.block(m).open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.r.release()
	rgs := f.file.Metadata().RowGroups
	if len(rgs) < 3 {
		t.Fatalf("%d row groups, want several", len(rgs))
	}
	stat := func(g int) *format.Statistics { return &rgs[g].Columns[f.leaves.traceID.Index].MetaData.Statistics }
	for _, tt := range []struct {
		name string
		edit func()
	}{
		{"starts below the end before", func() { stat(2).MinValue = stat(0).MinValue }},
		{"no range", func() { stat(1).MinValue = nil }},
		{"inverted range", func() { stat(1).MinValue, stat(1).MaxValue = stat(2).MaxValue, stat(0).MinValue }},
	} {
		saved := []format.Statistics{*stat(0), *stat(1), *stat(2)}
		tt.edit()
		if f.groupsInIDOrder() {
			t.Errorf("%s: in ID order", tt.name)
		}
		*stat(0), *stat(1), *stat(2) = saved[0], saved[1], saved[2]
	}
	if !f.groupsInIDOrder() {
		t.Error("statistics restored: not in ID order")
	}
}
