package blocks

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// scanAll drains s.Traces(req) at the given concurrency.
func scanAll(t *testing.T, s *Store, n int, req store.Request) []*model.Trace {
	t.Helper()
	s.SetConcurrency(n)
	defer s.SetConcurrency(0)
	it, err := s.Traces(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return readAllTraces(t, it)
}

// TestParallelScanMatchesSequential checks that decoding blocks in
// parallel changes neither the traces nor their order, with and without a
// time range, including a trace present in two blocks.
func TestParallelScanMatchesSequential(t *testing.T) {
	s := memStore(t)
	all := manyBlocks(t, s)
	extra := syntheticTraces(1, 9, 9e18)[0]
	extra.TraceID = all[0][5].TraceID
	for i := range extra.ResourceSpans {
		for j := range extra.ResourceSpans[i].ScopeSpans {
			for k := range extra.ResourceSpans[i].ScopeSpans[j].Spans {
				sp := &extra.ResourceSpans[i].ScopeSpans[j].Spans[k]
				sp.TraceID = extra.TraceID
				sp.SpanID[0] = 0x77
			}
		}
	}
	if _, err := s.WriteBlock(context.Background(), []*model.Trace{extra}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, req := range []store.Request{
		{},
		{Start: time.Unix(0, 2e18+20e6), End: time.Unix(0, 4e18+50e6)},
	} {
		want := scanAll(t, s, 1, req)
		if len(want) == 0 {
			t.Fatalf("%+v: sequential scan found nothing", req)
		}
		for _, n := range []int{2, 3, 16} {
			got := scanAll(t, s, n, req)
			if diff := cmp.Diff(want, got, traceOpts); diff != "" {
				t.Errorf("concurrency %d, %+v: differs from sequential (-want +got):\n%s", n, req, diff)
			}
		}
	}
}

// TestParallelScanCloseAndCancel stops scans early: Close after one trace
// and a cancelled context both end every producer goroutine.
func TestParallelScanCloseAndCancel(t *testing.T) {
	s := memStore(t)
	manyBlocks(t, s)
	s.SetConcurrency(2)
	before := runtime.NumGoroutine()

	it, err := s.Traces(context.Background(), store.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if !it.Next() {
		t.Fatalf("no trace: %v", it.Err())
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	it, err = s.Traces(ctx, store.Request{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for it.Next() {
		if n++; n == 10 {
			cancel()
		}
	}
	if !errors.Is(it.Err(), context.Canceled) {
		t.Errorf("after cancel: Err = %v, want context.Canceled", it.Err())
	}
	it.Close()
	// Close waits for the producers, so they are gone now.
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines before the scans, %d after", before, after)
	}
}

// TestScanSkipsRowGroupsByTime checks that a scan with a time range reads,
// of each block's data.parquet, only the footer and the row groups whose
// StartTimeUnixNano/EndTimeUnixNano statistics overlap the range.
func TestScanSkipsRowGroupsByTime(t *testing.T) {
	ctx := context.Background()
	wb, bucket := newWrapBucket(t)
	s := NewStore(bucket, "tenant-a")
	// One block; IDs and times both ascend, so row groups cover disjoint
	// time ranges.
	traces := syntheticTraces(120, 1, 1e18)
	m, err := s.WriteBlock(ctx, traces, WriteOptions{RowGroupBytes: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.block(m).open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	groups := len(p.file.RowGroups())
	if groups < 3 {
		t.Fatalf("want several row groups, got %d", groups)
	}
	// A range inside the last row group.
	lo, hi, ok := p.groupTimeRange(groups - 1)
	if !ok {
		t.Fatal("no time statistics in the written block")
	}
	for g := 0; g < groups-1; g++ {
		if _, end, _ := p.groupTimeRange(g); end >= lo {
			t.Fatalf("row group %d ends at %d, after the last group's start %d", g, end, lo)
		}
	}
	req := store.Request{Start: time.Unix(0, int64(lo)), End: time.Unix(0, int64(hi))}
	var want int
	for _, tr := range traces {
		if req.Overlaps(tr.TimeRange()) {
			want++
		}
	}
	lastOff, lastN := p.groupRange(groups - 1)
	for _, n := range []int{1, 2} {
		wb.resetLog()
		got := scanAll(t, s, n, req)
		if len(got) != want || want == 0 {
			t.Errorf("concurrency %d: %d traces, want %d", n, len(got), want)
		}
		var data []readRec
		for _, r := range wb.log() {
			if strings.HasSuffix(r.key, "/data.parquet") {
				data = append(data, r)
			}
		}
		if len(data) != 2 {
			t.Fatalf("concurrency %d: data.parquet reads %v, want footer + one row group", n, data)
		}
		if data[1].off != lastOff || data[1].n != lastN {
			t.Errorf("concurrency %d: read %+v, want only the last row group [%d, +%d)", n, data[1], lastOff, lastN)
		}
	}
	// A range between two blocks' worth of data reads no row group at all.
	wb.resetLog()
	_, end0, _ := p.groupTimeRange(0)
	start1, _, _ := p.groupTimeRange(1)
	if end0+1 < start1 {
		gap := store.Request{Start: time.Unix(0, int64(end0+1)), End: time.Unix(0, int64(start1-1))}
		if got := scanAll(t, s, 1, gap); len(got) != 0 {
			t.Errorf("gap between groups: %d traces", len(got))
		}
		for _, r := range wb.log() {
			if strings.HasSuffix(r.key, "/data.parquet") && r.off < int64(m.Size)-int64(m.FooterSize)-8 {
				t.Errorf("gap between groups: read a row group: %+v", r)
			}
		}
	}
}
