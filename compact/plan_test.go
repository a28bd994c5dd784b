package compact

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tracectl/tracectl/blocks"
)

func TestPlan(t *testing.T) {
	id := func(n byte) uuid.UUID { return uuid.UUID{15: n} }
	meta := func(n byte, end time.Time, level uint32, size uint64) blocks.Meta {
		return blocks.Meta{Format: blocks.FormatVParquet4, BlockID: id(n), StartTime: end.Add(-time.Minute), EndTime: end,
			CompactionLevel: level, Size: size, TotalObjects: 10, ReplicationFactor: 1}
	}
	t10 := base
	tests := []struct {
		name  string
		metas []blocks.Meta
		marks map[uuid.UUID]string
		opts  Options
		want  [][]byte // input IDs per group
	}{
		{"one block: nothing", []blocks.Meta{meta(1, t10, 0, 1)}, nil, Options{}, nil},
		{"two in a window", []blocks.Meta{meta(1, t10, 0, 1), meta(2, t10.Add(time.Minute), 0, 1)}, nil, Options{}, [][]byte{{1, 2}}},
		{"different windows", []blocks.Meta{meta(1, t10, 0, 1), meta(2, t10.Add(time.Hour), 0, 1)}, nil, Options{}, nil},
		{"window option", []blocks.Meta{meta(1, t10, 0, 1), meta(2, t10.Add(time.Hour), 0, 1)}, nil, Options{Window: 24 * time.Hour}, [][]byte{{1, 2}}},
		{"different levels", []blocks.Meta{meta(1, t10, 0, 1), meta(2, t10, 1, 1), meta(3, t10, 1, 1)}, nil, Options{}, [][]byte{{2, 3}}},
		{"max inputs", []blocks.Meta{meta(1, t10, 0, 1), meta(2, t10, 0, 1), meta(3, t10, 0, 1), meta(4, t10, 0, 1), meta(5, t10, 0, 1)},
			nil, Options{MaxInputs: 2}, [][]byte{{1, 2}, {3, 4}}},
		{"max block bytes", []blocks.Meta{meta(1, t10, 0, 60), meta(2, t10, 0, 60), meta(3, t10, 0, 30), meta(4, t10, 0, 200)},
			nil, Options{MaxBlockBytes: 100}, [][]byte{{2, 3}}},
		{"marks kept apart", []blocks.Meta{meta(1, t10, 0, 1), meta(2, t10, 0, 1), meta(3, t10, 0, 1)},
			map[uuid.UUID]string{id(1): "redact-x"}, Options{}, [][]byte{{2, 3}}},
		{"different dedicated columns merge", []blocks.Meta{meta(1, t10, 0, 1),
			withDedicated(meta(2, t10, 0, 1), blocks.DedicatedColumn{Name: "http.route"}),
			withDedicated(meta(3, t10, 0, 1), blocks.DedicatedColumn{Scope: blocks.ScopeResource, Name: "team"})},
			nil, Options{}, [][]byte{{1, 2, 3}}},
		{"max objects", []blocks.Meta{meta(1, t10, 0, 1), meta(2, t10, 0, 1), meta(3, t10, 0, 1)},
			nil, Options{MaxObjects: 25}, [][]byte{{1, 2}}},
		// A day later the window is inactive: levels merge.
		{"inactive: levels merge", []blocks.Meta{meta(1, t10, 0, 1), meta(2, t10, 1, 1), meta(3, t10, 2, 1)},
			nil, Options{Now: func() time.Time { return t10.Add(48 * time.Hour) }}, [][]byte{{1, 2, 3}}},
		// The window holding now-24h is left alone; the one before is
		// inactive, the one after active.
		{"boundary window skipped", []blocks.Meta{
			meta(1, t10, 0, 1), meta(2, t10, 1, 1), // boundary
			meta(3, t10.Add(-time.Hour), 0, 1), meta(4, t10.Add(-time.Hour), 1, 1), // inactive
			meta(5, t10.Add(time.Hour), 0, 1), meta(6, t10.Add(time.Hour), 1, 1), meta(7, t10.Add(time.Hour), 1, 1), // active
		}, nil, Options{Now: func() time.Time { return t10.Add(24*time.Hour + time.Minute) }}, [][]byte{{3, 4}, {6, 7}}},
		// Windows as long as the active period: the boundary is the
		// current window, grouped by level.
		{"long windows", []blocks.Meta{meta(1, t10, 0, 1), meta(2, t10, 1, 1), meta(3, t10, 1, 1)},
			nil, Options{Window: 1_000_000 * time.Hour}, [][]byte{{2, 3}}},
		{"windows in order", []blocks.Meta{meta(3, t10.Add(time.Hour), 0, 1), meta(4, t10.Add(time.Hour), 0, 1), meta(1, t10, 0, 1), meta(2, t10, 0, 1)},
			nil, Options{}, [][]byte{{1, 2}, {3, 4}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Now == nil { // within a day: the windows are active
				tc.opts.Now = func() time.Time { return t10.Add(2 * time.Hour) }
			}
			got := Plan(tc.metas, tc.marks, tc.opts)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d groups %+v, want %d", len(got), got, len(tc.want))
			}
			for i, g := range got {
				if len(g.Inputs) != len(tc.want[i]) {
					t.Fatalf("group %d: %d inputs, want %v", i, len(g.Inputs), tc.want[i])
				}
				for j, in := range g.Inputs {
					if in.BlockID != id(tc.want[i][j]) {
						t.Errorf("group %d input %d = %s, want %v", i, j, in.BlockID, tc.want[i][j])
					}
				}
				if g.EstimatedObjects != 10*len(g.Inputs) {
					t.Errorf("group %d: estimated objects %d", i, g.EstimatedObjects)
				}
			}
		})
	}
}

func withDedicated(m blocks.Meta, cols ...blocks.DedicatedColumn) blocks.Meta {
	m.DedicatedColumns = cols
	return m
}
