package blocks

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// manyBlocks writes 6 blocks whose trace-ID ranges all overlap.
func manyBlocks(t *testing.T, s *Store) [][]*model.Trace {
	t.Helper()
	var all [][]*model.Trace
	for i := 0; i < 6; i++ {
		traces := syntheticTraces(120, byte(i+1), uint64(i+1)*1e18)
		if _, err := s.WriteBlock(context.Background(), traces, WriteOptions{RowGroupBytes: 8 << 10}); err != nil {
			t.Fatal(err)
		}
		all = append(all, traces)
	}
	return all
}

// TestFindTraceReadsOnlyWhatItNeeds counts ranged reads: a lookup reads the
// bloom shard of every candidate block, and of data.parquet only the
// footer and one row group of the block that holds the trace.
func TestFindTraceReadsOnlyWhatItNeeds(t *testing.T) {
	ctx := context.Background()
	setWholeObjectBytes(t, 0)
	wb, bucket := newWrapBucket(t)
	s := NewStore(bucket, "tenant-a")
	all := manyBlocks(t, s)
	metas, err := s.Blocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	target := all[3][97]
	var owner Meta
	for _, m := range metas {
		if m.StartTime.Equal(time.Unix(0, 4e18).UTC()) {
			owner = m
		}
	}
	if owner.TotalRecords < 3 {
		t.Fatalf("want several row groups, got %d", owner.TotalRecords)
	}
	wb.resetLog()
	got, err := s.findIn(ctx, metas, target.TraceID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.TraceID != target.TraceID {
		t.Fatalf("found %s", got.TraceID)
	}
	blooms, data := map[string]int{}, []readRec{}
	for _, r := range wb.log() {
		switch {
		case strings.Contains(r.key, "/bloom-"):
			blooms[r.key]++
		case strings.HasSuffix(r.key, "/data.parquet"):
			data = append(data, r)
		default:
			t.Errorf("unexpected read of %s", r.key)
		}
	}
	if len(blooms) != len(metas) {
		t.Errorf("read %d bloom shards, want one per block (%d): %v", len(blooms), len(metas), blooms)
	}
	ownerData := "tenant-a/" + owner.BlockID.String() + "/data.parquet"
	if len(data) != 2 {
		t.Fatalf("data.parquet reads = %v, want footer + one row group", data)
	}
	for _, r := range data {
		if r.key != ownerData {
			t.Errorf("read %s, only %s holds the trace", r.key, ownerData)
		}
	}
	footer := data[0]
	if footer.off != int64(owner.Size)-int64(owner.FooterSize)-8 || footer.n != int64(owner.FooterSize)+8 {
		t.Errorf("first read %+v is not the footer (size %d, footer %d)", footer, owner.Size, owner.FooterSize)
	}
	b := s.block(owner)
	p, err := b.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	matched := false
	for g := range p.file.RowGroups() {
		off, n := p.groupRange(g)
		if data[1].off == off && data[1].n == n {
			matched = true
		}
	}
	if !matched {
		t.Errorf("second read %+v is not exactly one row group", data[1])
	}

	// Absent IDs: only blooms (and nothing at all outside every range).
	wb.resetLog()
	missing := tid(0x7f, 0x7f, 0x7f, 0x01)
	if _, err := s.findIn(ctx, metas, missing, nil); !errors.Is(err, ErrTraceNotFound) {
		t.Fatalf("missing trace: %v", err)
	}
	for _, r := range wb.log() {
		if strings.HasSuffix(r.key, "/data.parquet") {
			t.Errorf("read %s for an absent trace: %+v", r.key, r)
		}
	}
}

func TestStoreTraces(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	all := manyBlocks(t, s)
	// The same trace in two blocks is merged.
	dup := syntheticTraces(1, 9, 9e18)[0]
	extra := syntheticTraces(1, 9, 9e18)[0]
	extra.TraceID = all[0][5].TraceID
	for i := range extra.ResourceSpans {
		for j := range extra.ResourceSpans[i].ScopeSpans {
			for k := range extra.ResourceSpans[i].ScopeSpans[j].Spans {
				sp := &extra.ResourceSpans[i].ScopeSpans[j].Spans[k]
				sp.TraceID = extra.TraceID
				sp.SpanID[0] = 0x77
				sp.ParentSpanID = model.SpanID{}
			}
		}
	}
	if _, err := s.WriteBlock(ctx, []*model.Trace{extra, dup}[:1], WriteOptions{}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		req    store.Request
		traces int
		check  func(t *testing.T, got []*model.Trace)
	}{
		{"everything", store.Request{}, 6 * 120, func(t *testing.T, got []*model.Trace) {
			for i := 1; i < len(got); i++ {
				if model.CompareTraceIDs(got[i-1].TraceID, got[i].TraceID) >= 0 {
					t.Fatalf("not ascending at %d", i)
				}
			}
			for _, g := range got {
				if g.TraceID == extra.TraceID && g.SpanCount() != 4 {
					t.Errorf("merged trace has %d spans, want 4", g.SpanCount())
				}
			}
		}},
		{"time range of block 2", store.Request{Start: time.Unix(0, 2e18), End: time.Unix(0, 2e18+50e6)}, 51, nil},
		{"by ID", store.Request{TraceIDs: []model.TraceID{all[2][3].TraceID, all[4][119].TraceID, tid(1, 2, 3)}}, 2, nil},
		{"by ID outside range", store.Request{TraceIDs: []model.TraceID{all[2][3].TraceID}, Start: time.Unix(0, 5e18)}, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it, err := s.Traces(ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			got := readAllTraces(t, it)
			if len(got) != tc.traces {
				t.Fatalf("%d traces, want %d", len(got), tc.traces)
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
	if _, err := s.FindTrace(ctx, tid(1, 2, 3)); !errors.Is(err, ErrTraceNotFound) {
		t.Errorf("FindTrace(missing) = %v", err)
	}
	if got, err := s.FindTrace(ctx, extra.TraceID); err != nil || got.SpanCount() != 4 {
		t.Errorf("FindTrace of a trace in two blocks: %v spans, %v; want 4 merged spans", got.SpanCount(), err)
	}
	if _, err := s.FindTraceBetween(ctx, all[1][3].TraceID, time.Unix(0, 2e18), time.Unix(0, 2e18+1e9)); err != nil {
		t.Errorf("FindTraceBetween inside the range: %v", err)
	}
	if _, err := s.FindTraceBetween(ctx, all[2][3].TraceID, time.Unix(0, 5e18), time.Time{}); !errors.Is(err, ErrTraceNotFound) {
		t.Errorf("FindTraceBetween outside the range: %v", err)
	}
}

// TestFindTraceUnsortedBlock: a block written by another writer with its
// rows in reverse ID order, five to a row group (so the row groups are
// out of order too). Every trace is found by ID and by its ID's prefix;
// a binary search over the row groups' statistics missed most.
func TestFindTraceUnsortedBlock(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	ts := syntheticTraces(40, 5, 1e18)
	sortByID(ts)
	m, err := s.WriteBlock(ctx, ts, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.OpenBlock(ctx, m.BlockID)
	if err != nil {
		t.Fatal(err)
	}
	rows := rawRows(t, b)
	slices.Reverse(rows)
	rewriteData(t, s, m, rows, traceSchema(), parquet.MaxRowsPerRowGroup(5))
	s = NewStore(s.bucket, s.tenant)
	for _, want := range ts {
		got, err := s.FindTrace(ctx, want.TraceID)
		if err != nil {
			t.Fatal(err)
		}
		if got == nil || got.SpanCount() != want.SpanCount() {
			t.Errorf("trace %v: found %v", want.TraceID, got != nil)
		}
		hexID := want.TraceID.String()
		ids, err := s.TraceIDsWithPrefix(ctx, hexID[:28], 10)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(ids, want.TraceID) {
			t.Errorf("prefix %s: %v, want %v among them", hexID[:28], ids, want.TraceID)
		}
	}
	if d := s.Damaged(); len(d) != 0 {
		t.Errorf("damaged: %v", d)
	}
}
