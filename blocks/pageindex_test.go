package blocks

import (
	"context"
	"testing"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// offsetIndexReads counts the reads of log that fall in the offset indexes
// of the block's data.parquet, and the reads of that object in all.
func offsetIndexReads(t *testing.T, s *Store, m Meta, log []readRec) (index, all int) {
	t.Helper()
	p, err := s.block(m).open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := int64(-1), int64(0)
	for _, rg := range p.file.Metadata().RowGroups {
		for _, c := range rg.Columns {
			if c.OffsetIndexLength == 0 {
				continue
			}
			if lo < 0 || c.OffsetIndexOffset < lo {
				lo = c.OffsetIndexOffset
			}
			hi = max(hi, c.OffsetIndexOffset+int64(c.OffsetIndexLength))
		}
	}
	if lo < 0 {
		t.Fatal("the block has no offset index")
	}
	key := "tenant-a/" + m.BlockID.String() + "/data.parquet"
	for _, r := range log {
		if r.key != key {
			continue
		}
		all++
		if r.off >= lo && r.off < hi {
			index++
		}
	}
	return index, all
}

// everyHundredth passes the traces of syntheticTraces numbered 50, 150, …
// (span attribute n).
func everyHundredth() *store.TraceCond {
	return &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTest,
		Field: store.Field{Kind: store.FieldSpanAttr, Name: "n"},
		Test:  func(v model.Value, ok bool) bool { return ok && v.Int%100 == 50 }}}
}

// TestPageJumpsReadOffsetIndexesOnce: readers that jump over pages of many
// columns (a lookup of a trace in the middle of a row group, a filtered
// scan) read the offset indexes of a row group's chunks with one request,
// not one per column (on an object store each is a round trip), and only
// when they jump. The block's pages are small, so that its chunks have
// several (a chunk of one page has nothing to jump over: see
// TestOnePageChunksReadNoOffsetIndex).
func TestPageJumpsReadOffsetIndexesOnce(t *testing.T) {
	ctx := context.Background()
	setWholeObjectBytes(t, 0)
	setPageBufferSize(t, 1<<10)
	wb, bucket := newWrapBucket(t)
	s := NewStore(bucket, "tenant-a")
	traces := syntheticTraces(400, 1, 1e18)
	if _, err := s.WriteBlock(ctx, traces, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	metas, err := s.Blocks(ctx)
	if err != nil || len(metas) != 1 {
		t.Fatalf("blocks: %v, %v", metas, err)
	}
	// The traces as the block returns them (attributes of dedicated
	// columns come first).
	traces = readSorted(t, s, store.Request{})
	if len(traces) != 400 {
		t.Fatalf("%d traces read back", len(traces))
	}

	for _, tc := range []struct {
		row                int
		wantIndex, wantAll int
	}{
		{0, 0, 2},   // first row: footer and row group, nothing to jump over
		{200, 1, 3}, // footer, row group, the offset indexes
		{399, 1, 3},
	} {
		wb.resetLog()
		got, err := s.findIn(ctx, metas, traces[tc.row].TraceID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d := strictDiff([]*model.Trace{traces[tc.row]}, []*model.Trace{got}); d != "" {
			t.Fatalf("row %d: %s", tc.row, d)
		}
		index, all := offsetIndexReads(t, s, metas[0], wb.log())
		if index != tc.wantIndex || all != tc.wantAll {
			t.Errorf("lookup of row %d: %d reads of data.parquet, %d of them offset indexes; want %d and %d",
				tc.row, all, index, tc.wantAll, tc.wantIndex)
		}
	}

	// A filtered scan skips the rows between its matches: one request
	// for the offset indexes, whatever the number of columns.
	cond := everyHundredth()
	want := matching(traces, cond)
	for _, unordered := range []bool{false, true} {
		wb.resetLog()
		got := readSorted(t, s, store.Request{Unordered: unordered, Filter: &store.Filter{Cond: cond}})
		if d := strictDiff(want, got); d != "" || len(want) != 4 {
			t.Fatalf("unordered %v: %d traces, want %d:\n%s", unordered, len(got), len(want), d)
		}
		if index, _ := offsetIndexReads(t, s, metas[0], wb.log()); index != 1 {
			t.Errorf("unordered %v: %d reads of offset indexes, want 1", unordered, index)
		}
	}
}

// TestSmallRemoteObjectsReadWhole: on an object store a small data.parquet
// is read whole when opened, so a lookup or a filtered scan of it costs one
// request, with the same answers; a local directory reads the footer and
// the chunks as before.
func TestSmallRemoteObjectsReadWhole(t *testing.T) {
	ctx := context.Background()
	wb, bucket := newWrapBucket(t)
	s := NewStore(bucket, "tenant-a")
	if _, err := s.WriteBlock(ctx, syntheticTraces(400, 1, 1e18), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	metas, err := s.Blocks(ctx)
	if err != nil || len(metas) != 1 || int64(metas[0].Size) > wholeObjectBytes {
		t.Fatalf("blocks: %v, %v", metas, err)
	}
	key := "tenant-a/" + metas[0].BlockID.String() + "/data.parquet"
	dataReads := func() []readRec {
		var rs []readRec
		for _, r := range wb.log() {
			if r.key == key {
				rs = append(rs, r)
			}
		}
		return rs
	}
	whole := readRec{key, 0, int64(metas[0].Size)}

	// The answers of the reads below with every object read in parts.
	setWholeObjectBytes(t, 0)
	traces := readSorted(t, s, store.Request{})
	cond := everyHundredth()
	filtered := readSorted(t, s, store.Request{Filter: &store.Filter{Cond: cond}})
	if len(traces) != 400 || len(filtered) != 4 {
		t.Fatalf("%d traces, %d filtered", len(traces), len(filtered))
	}

	setWholeObjectBytes(t, 1<<20)
	wb.resetLog()
	got, err := s.findIn(ctx, metas, traces[200].TraceID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := strictDiff(traces[200:201], []*model.Trace{got}); d != "" {
		t.Fatal(d)
	}
	if rs := dataReads(); len(rs) != 1 || rs[0] != whole {
		t.Errorf("lookup: reads %+v, want only %+v", rs, whole)
	}
	for _, unordered := range []bool{false, true} {
		wb.resetLog()
		got := readSorted(t, s, store.Request{Unordered: unordered, Filter: &store.Filter{Cond: cond}})
		if d := strictDiff(filtered, got); d != "" {
			t.Fatalf("unordered %v: %s", unordered, d)
		}
		if rs := dataReads(); len(rs) != 1 || rs[0] != whole {
			t.Errorf("unordered %v: reads %+v, want only %+v", unordered, rs, whole)
		}
	}
}

// TestFootersReadOnce: when blocks' trace-ID ranges overlap, the pass that
// finds traces split across blocks opens every block, and the scan after
// it takes those footers instead of reading them again (blocks of one row
// group, one task each: a worker that takes a later row group of a block
// opens its own).
func TestFootersReadOnce(t *testing.T) {
	ctx := context.Background()
	setWholeObjectBytes(t, 0)
	wb, bucket := newWrapBucket(t)
	s := NewStore(bucket, "tenant-a")
	writeSyntheticBlocks(t, s, 6)
	metas, err := s.Blocks(ctx)
	if err != nil || len(metas) != 6 || idRangesDisjoint(metas) {
		t.Fatalf("blocks: %d, %v", len(metas), err)
	}
	footerReads := func() map[string]int {
		reads := map[string]int{}
		for _, m := range metas {
			key := "tenant-a/" + m.BlockID.String() + "/data.parquet"
			for _, r := range wb.log() {
				if r.key == key && r.off == int64(m.Size)-int64(m.FooterSize)-8 {
					reads[key]++
				}
			}
		}
		return reads
	}
	check := func(name string) {
		t.Helper()
		reads := footerReads()
		if len(reads) != len(metas) {
			t.Errorf("%s: footers of %d blocks read, want %d", name, len(reads), len(metas))
		}
		for k, n := range reads {
			if n != 1 {
				t.Errorf("%s: footer of %s read %d times", name, k, n)
			}
		}
	}
	cond := &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTest,
		Field: store.Field{Kind: store.FieldSpanStatus},
		Test:  func(v model.Value, ok bool) bool { return ok && v.Int == int64(model.StatusError) }}}
	want := matching(readSorted(t, s, store.Request{}), cond)
	for _, n := range []int{1, 3} {
		s.SetConcurrency(n)
		wb.resetLog()
		got := readSorted(t, s, store.Request{Unordered: true, Filter: &store.Filter{Cond: cond}})
		if d := strictDiff(want, got); d != "" || len(want) == 0 {
			t.Fatalf("concurrency %d: %d traces, want %d:\n%s", n, len(got), len(want), d)
		}
		check("unordered scan")
		wb.resetLog()
		c, err := s.CountTraces(ctx, store.Request{Filter: &store.Filter{Cond: cond, Exact: true}})
		if err != nil || c.Traces != len(want) {
			t.Fatalf("count %+v, %v; want %d traces", c, err, len(want))
		}
		check("count")
	}
}

// TestOnePageChunksReadNoOffsetIndex: in a block whose column chunks are
// one page each, neither a lookup in the middle of the row group nor a
// filtered scan reads an offset index: there is no page to jump to.
func TestOnePageChunksReadNoOffsetIndex(t *testing.T) {
	ctx := context.Background()
	setWholeObjectBytes(t, 0)
	wb, bucket := newWrapBucket(t)
	s := NewStore(bucket, "tenant-a")
	if _, err := s.WriteBlock(ctx, syntheticTraces(400, 1, 1e18), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	metas, err := s.Blocks(ctx)
	if err != nil || len(metas) != 1 {
		t.Fatalf("blocks: %v, %v", metas, err)
	}
	p, err := s.block(metas[0]).open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.file.RowGroups()[0].ColumnChunks() {
		oi, err := c.OffsetIndex()
		if err != nil || oi.NumPages() != 1 {
			t.Fatalf("column %d: offset index %v, want one page per chunk", c.Column(), err)
		}
	}
	traces := readSorted(t, s, store.Request{})
	wb.resetLog()
	got, err := s.findIn(ctx, metas, traces[200].TraceID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := strictDiff([]*model.Trace{traces[200]}, []*model.Trace{got}); d != "" {
		t.Fatalf("lookup: %s", d)
	}
	cond := everyHundredth()
	want := matching(traces, cond)
	got2 := readSorted(t, s, store.Request{Filter: &store.Filter{Cond: cond}})
	if d := strictDiff(want, got2); d != "" || len(want) != 4 {
		t.Fatalf("filtered scan: %d traces, want %d:\n%s", len(got2), len(want), d)
	}
	if index, _ := offsetIndexReads(t, s, metas[0], wb.log()); index != 0 {
		t.Errorf("%d reads of offset indexes, want none", index)
	}
}
