package blocks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
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
	s := splitTraceStore(t)
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
			if diff := diffTraces(want, got); diff != "" {
				t.Errorf("concurrency %d, %+v: differs from sequential (-want +got):\n%s", n, req, diff)
			}
		}
	}
}

// splitTraceStore writes manyBlocks plus a block holding more spans of a
// trace of the first block.
func splitTraceStore(t *testing.T) *Store {
	s := memStore(t)
	all := manyBlocks(t, s)
	extra := tracePart(all[0][5].TraceID, 9, 9e18, 0x77)
	if _, err := s.WriteBlock(context.Background(), []*model.Trace{extra}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestUnorderedScan checks that an unordered scan returns the traces of
// the ordered one (the split trace merged), with and without a time range
// and a projection, at several concurrencies, and through the fallback to
// the ordered merge when too many traces are split.
func TestUnorderedScan(t *testing.T) {
	s := splitTraceStore(t)
	byID := func(ts []*model.Trace) []*model.Trace {
		sort.Slice(ts, func(i, j int) bool { return model.CompareTraceIDs(ts[i].TraceID, ts[j].TraceID) < 0 })
		return ts
	}
	none := store.Fields{}
	for _, req := range []store.Request{
		{},
		{Start: time.Unix(0, 2e18+20e6), End: time.Unix(0, 4e18+50e6)},
		{Fields: &none},
	} {
		want := scanAll(t, s, 1, req)
		split := 0
		for _, tr := range want {
			if tr.SpanCount() > 2 {
				split++
			}
		}
		if req.Start.IsZero() && split != 1 {
			t.Fatalf("%+v: %d merged traces in the ordered scan, want 1", req, split)
		}
		for _, limit := range []int{maxSplitTraces, 0} {
			for _, n := range []int{1, 3} {
				func() {
					defer func(m int) { maxSplitTraces = m }(maxSplitTraces)
					maxSplitTraces = limit
					u := req
					u.Unordered = true
					got := byID(scanAll(t, s, n, u))
					if diff := diffTraces(want, got); diff != "" {
						t.Errorf("split limit %d, concurrency %d, %+v: differs from the ordered scan (-want +got):\n%s", limit, n, req, diff)
					}
				}()
			}
		}
	}
}

// TestUnorderedScanSplitTraceOutOfRange: two blocks whose time ranges
// span years both hold old traces inside the requested range and a part
// of one new trace outside it. An unordered scan leaves the merged trace
// out, as the ordered one does: only the whole trace's times decide (it
// returned it, and a metrics query then evaluated it).
func TestUnorderedScanSplitTraceOutOfRange(t *testing.T) {
	s := memStore(t)
	parts := []*model.Trace{tracePart(tid(0xab, 9), 9, 5e18, 0x70), tracePart(tid(0xab, 9), 9, 5e18+1e9, 0x71)}
	for i, part := range parts {
		old := syntheticTraces(3, byte(i+1), 1e18)
		traces := append(old, part)
		sort.Slice(traces, func(a, b int) bool { return model.CompareTraceIDs(traces[a].TraceID, traces[b].TraceID) < 0 })
		if _, err := s.WriteBlock(context.Background(), traces, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	req := store.Request{Start: time.Unix(0, 1e18), End: time.Unix(0, 1e18+1e9)}
	want := scanAll(t, s, 1, req)
	if len(want) != 6 {
		t.Fatalf("ordered scan: %d traces, want the 6 old ones", len(want))
	}
	for _, n := range []int{1, 2} {
		u := req
		u.Unordered = true
		for _, tr := range scanAll(t, s, n, u) {
			if tr.TraceID == parts[0].TraceID {
				t.Errorf("concurrency %d: the split trace of 5e18 is returned for a range ending at 1e18+1e9", n)
			}
		}
	}
}

func TestIDRangesDisjoint(t *testing.T) {
	m := func(lo, hi byte) Meta {
		return Meta{MinID: bytes.Repeat([]byte{lo}, 16), MaxID: bytes.Repeat([]byte{hi}, 16)}
	}
	for _, tc := range []struct {
		ms   []Meta
		want bool
	}{
		{[]Meta{m(1, 2), m(3, 4)}, true},
		{[]Meta{m(3, 4), m(1, 2)}, true},
		{[]Meta{m(1, 3), m(3, 4)}, false},
		{[]Meta{m(1, 9), m(3, 4)}, false},
		{[]Meta{m(1, 2), {}}, false},
	} {
		if got := idRangesDisjoint(tc.ms); got != tc.want {
			t.Errorf("idRangesDisjoint(%v) = %v, want %v", tc.ms, got, tc.want)
		}
	}
}

// TestParallelScanCloseAndCancel stops ordered scans early: Close after
// one trace and a cancelled context both end every producer goroutine.
func TestParallelScanCloseAndCancel(t *testing.T) {
	s := memStore(t)
	manyBlocks(t, s)
	s.SetConcurrency(2)
	checkCloseAndCancel(t, s, store.Request{})
}

// checkCloseAndCancel runs a scan of req that is closed after one trace
// and one whose context is cancelled after ten, and checks that each
// stops with context.Canceled and leaves no goroutine behind.
func checkCloseAndCancel(t *testing.T, s *Store, req store.Request) {
	t.Helper()
	before := runtime.NumGoroutine()
	it, err := s.Traces(context.Background(), req)
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
	it, err = s.Traces(ctx, req)
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
	// Close waits for the producers and workers; an unordered scan's
	// closer goroutine returns right after closing its channel.
	time.Sleep(10 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines before the scans, %d after", before, after)
	}
}

// TestScanSkipsRowGroupsByTime checks that a scan with a time range reads,
// of each block's data.parquet, only the footer and the row groups whose
// StartTimeUnixNano/EndTimeUnixNano statistics overlap the range.
func TestScanSkipsRowGroupsByTime(t *testing.T) {
	ctx := context.Background()
	setWholeObjectBytes(t, 0) // ranged reads, however small the object
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
		if data[1].off < lastOff || data[1].off+data[1].n > lastOff+lastN {
			t.Errorf("concurrency %d: read %+v, want only (columns of) the last row group [%d, +%d)", n, data[1], lastOff, lastN)
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

// TestSkipRowGroupsByService writes a block whose row groups each hold one
// service, plus a block with the rest of a trace whose first part sits in
// a group without the wanted service. An unordered scan for that service
// must skip the other groups, yet return the split trace whole.
func TestSkipRowGroupsByService(t *testing.T) {
	ctx := context.Background()
	wb, bucket := newWrapBucket(t)
	s := NewStore(bucket, "tenant-a")
	a := syntheticTraces(100, 0, 1e18) // svc-a, IDs 00..
	b := syntheticTraces(100, 1, 2e18) // svc-b
	for _, tr := range b {
		tr.TraceID[0] = 0x80 // after every svc-a trace
		setTraceID(tr, tr.TraceID)
	}
	if _, err := s.WriteBlock(ctx, append(append([]*model.Trace{}, a...), b...), WriteOptions{RowGroupBytes: 4 << 10}); err != nil {
		t.Fatal(err)
	}
	// The other part of a[3]: a svc-b span in a second block.
	rest := syntheticTraces(1, 1, 3e18)[0]
	setTraceID(rest, a[3].TraceID)
	if _, err := s.WriteBlock(ctx, []*model.Trace{rest}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}

	hasB := func(tr *model.Trace) bool {
		_, ok := tr.Services()["svc-b"]
		return ok
	}
	var want []*model.Trace
	for _, tr := range scanAll(t, s, 1, store.Request{}) {
		if hasB(tr) {
			want = append(want, tr)
		}
	}
	if len(want) != len(b)+1 {
		t.Fatalf("ordered scan: %d traces with svc-b, want %d", len(want), len(b)+1)
	}
	metas, err := s.Blocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	size := map[string]int64{}
	for _, m := range metas {
		size[s.block(m).key(dataObject)] = int64(m.Size)
	}
	// dataBytes counts the bytes of data.parquet read, footers excluded.
	dataBytes := func() (n int64) {
		for _, r := range wb.log() {
			if sz, ok := size[r.key]; ok && r.off+r.n != sz {
				n += r.n
			}
		}
		return n
	}
	wb.resetLog()
	scanAll(t, s, 1, store.Request{Unordered: true})
	all := dataBytes()
	for _, n := range []int{1, 2} {
		wb.resetLog()
		svcB := &store.Filter{Cond: &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTest,
			Field: store.Field{Kind: store.FieldResourceAttr, Name: model.ServiceNameKey},
			Test:  func(v model.Value, ok bool) bool { return ok && v.Type == model.ValueString && v.Str == "svc-b" }}}}
		got := scanAll(t, s, n, store.Request{Unordered: true, Filter: svcB})
		read := dataBytes()
		var kept []*model.Trace
		for _, tr := range got {
			if hasB(tr) {
				kept = append(kept, tr)
			}
		}
		sort.Slice(kept, func(i, j int) bool { return model.CompareTraceIDs(kept[i].TraceID, kept[j].TraceID) < 0 })
		if diff := diffTraces(want, kept); diff != "" {
			t.Errorf("concurrency %d: svc-b traces differ from the ordered scan (-want +got):\n%s", n, diff)
		}
		if len(got) >= len(a)+len(b) || read >= all*2/3 {
			t.Errorf("concurrency %d: %d traces, %d of %d bytes read: svc-a row groups were not skipped", n, len(got), read, all)
		}
	}
}

// setTraceID gives t and all its spans the ID id.
func setTraceID(t *model.Trace, id model.TraceID) {
	t.TraceID = id
	for i := range t.ResourceSpans {
		for j := range t.ResourceSpans[i].ScopeSpans {
			for k := range t.ResourceSpans[i].ScopeSpans[j].Spans {
				t.ResourceSpans[i].ScopeSpans[j].Spans[k].TraceID = id
			}
		}
	}
}

// TestUnorderedCloseAndCancel stops unordered scans early: Close after one
// trace and a cancelled context both end every worker goroutine.
func TestUnorderedCloseAndCancel(t *testing.T) {
	s := splitTraceStore(t)
	s.SetConcurrency(3)
	checkCloseAndCancel(t, s, store.Request{Unordered: true})
}

// TestScanWorkers: scans of an object store whose row groups are small run
// more workers than cores, to overlap their round trips; large row groups,
// local directories and an explicit concurrency keep the usual count.
func TestScanWorkers(t *testing.T) {
	cores := runtime.GOMAXPROCS(0)
	blocksOf := func(n int, size uint64, groups int) []Meta {
		ms := make([]Meta, n)
		for i := range ms {
			ms[i].Size, ms[i].TotalRecords = size, groups
		}
		return ms
	}
	remote := memStore(t)
	lb, err := OpenBucket(context.Background(), "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lb.Close() })
	local := NewStore(lb, "tenant-a")
	for _, tc := range []struct {
		name string
		s    *Store
		conc int
		cand []Meta
		want int
	}{
		{"object store, 100 KiB row groups", remote, 0, blocksOf(990, 100<<10, 1), remoteWorkers},
		{"object store, 8 MiB row groups", remote, 0, blocksOf(10, 64<<20, 8), max(cores, 8)},
		{"object store, 200 MiB row groups", remote, 0, blocksOf(2, 400<<20, 2), cores},
		{"object store, no block", remote, 0, nil, cores},
		{"object store, explicit concurrency", remote, 3, blocksOf(990, 100<<10, 1), 3},
		{"local directory", local, 0, blocksOf(990, 100<<10, 1), cores},
	} {
		tc.s.SetConcurrency(tc.conc)
		if got := tc.s.scanWorkers(tc.cand); got != tc.want {
			t.Errorf("%s: %d workers, want %d", tc.name, got, tc.want)
		}
		tc.s.SetConcurrency(0)
	}
}

// TestSpreadScanMatchesSequential: a filtered scan of one row group with a
// core to spare evaluates its filter batches on two goroutines and skips
// rows on two, each moving every other column (groupRead.spread); its
// traces are those the filter picks from a full read, at concurrency 1
// (no spread) and 2, for sparse and dense picks, with and without the
// span attributes.
func TestSpreadScanMatchesSequential(t *testing.T) {
	smallBatchesAndPages(t)
	s := memStore(t)
	if _, err := s.WriteBlock(context.Background(), syntheticTraces(6000, 1, 1e18), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	all := readSorted(t, s, store.Request{})
	attr := func(every int64) *store.TraceCond {
		return &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTest,
			Field: store.Field{Kind: store.FieldSpanAttr, Name: "n"},
			Test:  func(v model.Value, ok bool) bool { return ok && v.Int%every == 0 }}}
	}
	status := &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTest,
		Field: store.Field{Kind: store.FieldSpanStatus},
		Test:  func(v model.Value, ok bool) bool { return ok && v.Int == int64(model.StatusError) }}}
	none := store.Fields{}
	for name, c := range map[string]struct {
		cond   *store.TraceCond
		fields *store.Fields
	}{
		"every 997th trace":              {attr(997), nil},
		"every 211th, no attributes":     {attr(211), &none},
		"every third (status)":           {status, nil},
		"every second trace":             {attr(2), nil},
		"every 997th or error, no attrs": {&store.TraceCond{Op: store.OpOr, Args: []*store.TraceCond{attr(997), status}}, &none},
	} {
		want := matching(all, c.cond)
		if len(want) == 0 || len(want) == len(all) {
			t.Fatalf("%s: %d of %d traces pass: not a test of a filter", name, len(want), len(all))
		}
		for _, n := range []int{1, 2} {
			s.SetConcurrency(n)
			got := readSorted(t, s, store.Request{Unordered: true, Fields: c.fields, Filter: &store.Filter{Cond: c.cond}})
			s.SetConcurrency(0)
			if c.fields != nil { // a projection: compared by ID and span count
				if len(got) != len(want) {
					t.Errorf("%s, concurrency %d: %d traces, want %d", name, n, len(got), len(want))
					continue
				}
				for i := range got {
					if got[i].TraceID != want[i].TraceID || got[i].SpanCount() != want[i].SpanCount() {
						t.Errorf("%s, concurrency %d: trace %d is %s (%d spans), want %s (%d)", name, n, i,
							got[i].TraceID, got[i].SpanCount(), want[i].TraceID, want[i].SpanCount())
						break
					}
				}
				continue
			}
			if d := strictDiff(want, got); d != "" {
				t.Errorf("%s, concurrency %d: differs from the full read:\n%s", name, n, d)
			}
		}
	}
}

// TestSpreadCountAndAggregate: counting and aggregating with row groups of
// several batches on two goroutines each (spreadRows) gives what one
// goroutine does: the same counts, and the same groups, counts, durations
// (in row order) and exemplars.
func TestSpreadCountAndAggregate(t *testing.T) {
	smallBatchesAndPages(t)
	ctx := context.Background()
	// One block (fewer row groups than cores: spreadAll), and a large
	// block beside a small one (the large one's group spreads alone).
	for _, blocks := range [][]int{{6000}, {6000, 1500}} {
		t.Run(fmt.Sprint(blocks), func(t *testing.T) {
			s := memStore(t)
			var metas []Meta
			for i, n := range blocks {
				m, err := s.WriteBlock(ctx, syntheticTraces(n, byte(1+i), 1e18), WriteOptions{})
				if err != nil {
					t.Fatal(err)
				}
				metas = append(metas, m)
			}
			s.SetConcurrency(2)
			if spread := s.spreadBlocks(metas); !spread[0] {
				t.Fatalf("spreadBlocks = %v: the large block's group is not spread, nothing is tested", spread)
			}
			s.SetConcurrency(0)
			testSpreadCountAndAggregate(t, s)
		})
	}
}

func testSpreadCountAndAggregate(t *testing.T, s *Store) {
	ctx := context.Background()
	odd := &store.SpanCond{Op: store.OpTest, Field: store.Field{Kind: store.FieldSpanAttr, Name: "n"},
		Test: func(v model.Value, ok bool) bool { return ok && v.Int%7 == 3 }}
	errs := &store.SpanCond{Op: store.OpTest, Field: store.Field{Kind: store.FieldSpanStatus},
		Test: func(v model.Value, ok bool) bool { return ok && v.Int == int64(model.StatusError) }}
	run := func(n int) (counts []store.Count, aggs []*store.Aggregate) {
		s.SetConcurrency(n)
		defer s.SetConcurrency(0)
		for _, sc := range []*store.SpanCond{odd, errs} {
			c, err := s.CountTraces(ctx, store.Request{Filter: &store.Filter{Cond: &store.TraceCond{Op: store.OpAny, Span: sc}, Exact: true}})
			if err != nil {
				t.Fatal(err)
			}
			counts = append(counts, c)
			a, err := s.AggregateSpans(ctx, store.Request{}, &store.AggregateSpec{Spans: sc,
				GroupBy: []store.Field{{Kind: store.FieldSpanName}, {Kind: store.FieldSpanStatus}},
				Slots:   4, Slot: func(ns uint64) int { return int(ns/1e6) % 4 },
				// Blocks' traces differ in byte 14 (the seed), their spans
				// not: ranks tied across blocks would make the exemplars
				// kept depend on which block is merged first.
				Exemplars: 3,
				RankTrace: func(t model.TraceID) uint64 { return uint64(t[14]) << 16 },
				RankSpan:  func(tr uint64, s model.SpanID) uint64 { return tr | uint64(s[0])<<8 | uint64(s[7]) },
				Durations: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range a.Groups {
				for _, ex := range g.Exemplars {
					// In the exemplars' order, then by span ID: the
					// order they came in is the goroutines'.
					sort.Slice(ex, func(i, j int) bool {
						a, b := ex[i], ex[j]
						if a.Before(b) != b.Before(a) {
							return a.Before(b)
						}
						return string(a.SpanID[:]) < string(b.SpanID[:])
					})
				}
			}
			aggs = append(aggs, a)
		}
		return counts, aggs
	}
	wantCounts, wantAggs := run(1)
	gotCounts, gotAggs := run(2)
	if wantCounts[0].Traces == 0 || wantCounts[1].Traces == 0 || len(wantAggs[0].Groups) == 0 {
		t.Fatalf("nothing counted: %+v", wantCounts)
	}
	if d := cmp.Diff(wantCounts, gotCounts); d != "" {
		t.Errorf("counts differ (-one goroutine +two):\n%s", d)
	}
	if d := cmp.Diff(wantAggs, gotAggs, traceOpts); d != "" {
		t.Errorf("aggregates differ (-one goroutine +two):\n%s", d)
	}
}

// TestSpreadGroups: which blocks' row groups take a second goroutine when
// counting or aggregating, and when searching (spreadAll).
func TestSpreadGroups(t *testing.T) {
	meta := func(size uint64, groups int) Meta { return Meta{Size: size, TotalRecords: groups} }
	for _, tc := range []struct {
		name   string
		cores  int
		cand   []Meta
		want   []bool
		search bool
	}{
		{"one group", 2, []Meta{meta(100, 1)}, []bool{true}, true},
		{"even pair", 2, []Meta{meta(50, 1), meta(50, 1)}, []bool{false, false}, false},
		{"a large block beside a small one", 2, []Meta{meta(35, 1), meta(65, 1)}, []bool{false, true}, false},
		{"the large block's groups are small", 2, []Meta{meta(35, 1), meta(65, 2)}, []bool{false, false}, false},
		{"one core", 1, []Meta{meta(35, 1), meta(65, 1)}, []bool{false, false}, false},
		{"many blocks, one large", 4, []Meta{meta(10, 1), meta(10, 1), meta(10, 1), meta(10, 1), meta(60, 1)},
			[]bool{false, false, false, false, true}, false},
		{"fewer groups than cores", 4, []Meta{meta(10, 1), meta(90, 2)}, []bool{true, true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Store{concurrency: tc.cores}
			if got := s.spreadBlocks(tc.cand); !slices.Equal(got, tc.want) {
				t.Errorf("spreadBlocks = %v, want %v", got, tc.want)
			}
			if got := s.spreadAll(tc.cand); got != tc.search {
				t.Errorf("spreadAll = %v, want %v", got, tc.search)
			}
		})
	}
}

// TestSpreadDamagedAggregate: a damaged page in a spread row group leaves
// the aggregate a pass in row order leaves, the batches before the damage
// counted, whether the damage is in the first half (the second half's
// work is dropped) or in the second (the first half and the second's
// batches before it are kept). A review found the second half dropped in
// the latter case.
func TestSpreadDamagedAggregate(t *testing.T) {
	smallBatchesAndPages(t)
	ctx := context.Background()
	for _, where := range []string{"first half", "second half"} {
		t.Run(where, func(t *testing.T) {
			s := memStore(t)
			m, err := s.WriteBlock(ctx, syntheticTraces(6000, 1, 1e18), WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			b, err := s.OpenBlock(ctx, m.BlockID)
			if err != nil {
				t.Fatal(err)
			}
			p, err := b.open(ctx)
			if err != nil {
				t.Fatal(err)
			}
			size := p.batchRows(0)
			batches := (int(p.file.RowGroups()[0].NumRows()) + size - 1) / size
			if batches < 4 {
				t.Fatalf("%d batches: not a spread row group", batches)
			}
			bad := 1 // the second batch of the first half
			if where == "second half" {
				bad = batches/2 + 1
			}
			fc := p.file.RowGroups()[0].ColumnChunks()[p.leaves.start.Index].(*parquet.FileColumnChunk)
			oi, err := fc.OffsetIndex()
			if err != nil {
				t.Fatal(err)
			}
			page := -1
			for i := 0; i < oi.NumPages(); i++ {
				if r := oi.FirstRowIndex(i); r > int64(bad*size) && r < int64((bad+1)*size) {
					page = i
					break
				}
			}
			if page < 0 {
				t.Fatalf("no page starts in batch %d", bad)
			}
			key := joinKey(s.tenant, m.BlockID.String(), dataObject)
			data, err := s.bucket.ReadAll(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			end := oi.Offset(page) + oi.CompressedPageSize(page)
			for i := end - 16; i < end; i++ {
				data[i] ^= 0x5a
			}
			if err := s.bucket.WriteAll(ctx, key, data, nil); err != nil {
				t.Fatal(err)
			}
			spec := &store.AggregateSpec{Slots: 1, Slot: func(uint64) int { return 0 }}
			spans := map[int]uint64{}
			for _, n := range []int{1, 2} {
				fresh := NewStore(s.bucket, s.tenant)
				fresh.SetConcurrency(n)
				a, err := fresh.AggregateSpans(ctx, store.Request{}, spec)
				if err != nil {
					t.Fatal(err)
				}
				for _, g := range a.Groups {
					spans[n] += g.Count[0]
				}
				if len(fresh.Damaged()) != 1 {
					t.Fatalf("concurrency %d: damaged %v, want the block", n, fresh.Damaged())
				}
			}
			if spans[1] == 0 || spans[1] != spans[2] {
				t.Errorf("%d spans aggregated in row order, %d spread", spans[1], spans[2])
			}
		})
	}
}

// TestNoSpreadWhenStreaming: a row group an object store serves a window
// of each column chunk at a time is not spread (its halves would evict
// each other's windows): a filtered count makes as many ranged reads of
// data.parquet with a second core as without, and counts the same.
func TestNoSpreadWhenStreaming(t *testing.T) {
	smallBatchesAndPages(t)
	defer func(a, w int64) { streamAbove, streamWindow = a, w }(streamAbove, streamWindow)
	streamAbove, streamWindow = 1, 4<<10
	defer func(n int64) { wholeObjectBytes = n }(wholeObjectBytes)
	wholeObjectBytes = 0
	ctx := context.Background()
	withSlack(t, 0)
	wb, b := newWrapBucket(t)
	s := NewStore(b, "tenant-a")
	if _, err := s.WriteBlock(ctx, syntheticTraces(6000, 1, 1e18), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	cond := &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTest,
		Field: store.Field{Kind: store.FieldSpanAttr, Name: "n"},
		Test:  func(v model.Value, ok bool) bool { return ok && v.Int%7 == 3 }}}
	reads := map[int]int{}
	counts := map[int]store.Count{}
	for _, n := range []int{1, 2} {
		s.SetConcurrency(n)
		wb.resetLog()
		c, err := s.CountTraces(ctx, store.Request{Filter: &store.Filter{Cond: cond, Exact: true}})
		if err != nil {
			t.Fatal(err)
		}
		counts[n] = c
		for _, r := range wb.log() {
			if strings.HasSuffix(r.key, "/"+dataObject) {
				reads[n]++
			}
		}
	}
	if counts[1] != counts[2] || counts[1].Traces == 0 {
		t.Errorf("counts %+v", counts)
	}
	if reads[1] == 0 || reads[2] != reads[1] {
		t.Errorf("ranged reads of data.parquet: %d with a second core, %d without", reads[2], reads[1])
	}
}

// smallBatchesAndPages cuts a test's row groups of a few thousand traces
// into filter batches of about 1,000 rows (700 spans) and its columns into
// 2 KiB pages, so that a row group is spread and skips jump pages.
func smallBatchesAndPages(t *testing.T) {
	batch, page := filterBatchSpans, pageBufferSize
	setBatchSpans(700)
	pageBufferSize = 2 << 10
	t.Cleanup(func() {
		setBatchSpans(batch)
		pageBufferSize = page
	})
}
