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
