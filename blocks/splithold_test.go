package blocks

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/store/storetest"
	"github.com/tracectl/tracectl/traceql/eval"
)

// TestHeldSplits checks the estimate of split-trace parts held at once
// against the held bytes worked out by hand: four blocks of 100 bytes a
// trace (block 3: three row groups, its meta counting two), parts given
// as (block, row group) lists.
func TestHeldSplits(t *testing.T) {
	cand := []Meta{
		{Size: 1000, TotalObjects: 10, TotalRecords: 1},
		{Size: 1000, TotalObjects: 10, TotalRecords: 1},
		{Size: 2000, TotalObjects: 10, TotalRecords: 1},
		{Size: 1000, TotalObjects: 10, TotalRecords: 2},
	}
	// tasks: 0 = block 0, 1 = block 1, 2 = block 2, 3 = block 3 group 0,
	// 4 = block 3 from group 1 on.
	bg := func(pos, group int) blockGroup { return blockGroup{pos, group} }
	for _, c := range []struct {
		name    string
		workers int
		traces  [][]blockGroup
		want    int64
	}{
		{"next blocks, one worker", 1,
			[][]blockGroup{{bg(0, 0), bg(1, 0)}, {bg(1, 0), bg(2, 0)}, {bg(2, 0), bg(3, 0)}}, 200},
		{"next blocks, two workers: a part waits a task longer", 2,
			[][]blockGroup{{bg(0, 0), bg(1, 0)}, {bg(1, 0), bg(2, 0)}, {bg(2, 0), bg(3, 0)}}, 300},
		{"first and last blocks", 1,
			[][]blockGroup{{bg(0, 0), bg(3, 2)}, {bg(0, 0), bg(3, 1)}, {bg(1, 0), bg(3, 0)}}, 300},
		{"three copies", 1,
			[][]blockGroup{{bg(0, 0), bg(1, 0), bg(2, 0)}, {bg(0, 0), bg(2, 0), bg(3, 0)}}, 300},
		{"parts in one task are not held", 1,
			[][]blockGroup{{bg(3, 1), bg(3, 2)}, {bg(3, 2), bg(3, 2)}}, 0},
	} {
		h := newHeldSplits(cand, scanOrder(cand, store.Request{}), c.workers)
		for _, at := range c.traces {
			h.add(at, sizesOf(cand, at))
		}
		if got := h.peak(); got != c.want {
			t.Errorf("%s: peak %d bytes, want %d", c.name, got, c.want)
		}
	}
	// Newest blocks first: block 2 is read first, so the part of its
	// trace with block 0 (read last) is held throughout.
	newest := append([]Meta(nil), cand...)
	for i := range newest {
		newest[i].EndTime = time.Unix(int64(i%3), 0)
	}
	h := newHeldSplits(newest, scanOrder(newest, store.Request{Newest: &store.Threshold{}}), 1)
	for _, at := range [][]blockGroup{{bg(2, 0), bg(0, 0)}, {bg(1, 0), bg(3, 0)}} {
		h.add(at, sizesOf(newest, at))
	}
	if got := h.peak(); got != 300 {
		t.Errorf("newest first: peak %d bytes, want 300", got)
	}
}

// sizesOf returns the average encoded trace of the blocks of at, from
// their metas.
func sizesOf(cand []Meta, at []blockGroup) []int64 {
	var out []int64
	for _, bg := range at {
		m := cand[bg.pos]
		out = append(out, int64(m.Size)/int64(m.TotalObjects))
	}
	return out
}

// TestPreferOrdered: the ordered merge reads only where the parts held
// would pass maxHeldSplitBytes and, built, take more than the merge of
// the blocks side by side.
func TestPreferOrdered(t *testing.T) {
	for _, c := range []struct {
		peak   int64
		blocks int
		want   bool
	}{
		{9 << 20, 1, false},       // within maxHeldSplitBytes
		{11 << 20, 4, true},       // two ingests of the same spans
		{50 << 20, 200, false},    // 500 MiB of parts, 800 of merge
		{100 << 20, 200, true},    // 1,000 MiB of parts
		{31 << 20, 201, false},    // a compacted block beside its 200 inputs
		{1 << 30, 1 << 20, false}, // more blocks than parts
	} {
		if got := preferOrdered(c.peak, c.blocks); got != c.want {
			t.Errorf("%d MiB held over %d blocks: ordered %v, want %v", c.peak>>20, c.blocks, got, c.want)
		}
	}
}

// TestTooManySplits: past maxSplitTraces, split traces are held while
// they take less than the ordered merge would.
func TestTooManySplits(t *testing.T) {
	for _, c := range []struct {
		n, blocks int
		want      bool
	}{
		{maxSplitTraces, 2, false},       // within the cap
		{maxSplitTraces + 1, 2, true},    // 14 MiB held, 8 MiB of merge
		{maxSplitTraces + 1, 100, false}, // 14 MiB held, 400 MiB of merge
		{15_000_000, 100, true},          // 420 MiB held
		{maxSplitTraces + 1, 4, false},   // 16 MiB of merge
		{16 << 20 / 28, 4, false},        // as much held as merged
		{16<<20/splitTraceBytes + 1, 4, true},
	} {
		if got := tooManySplits(c.n, c.blocks); got != c.want {
			t.Errorf("%d split traces over %d blocks: too many %v, want %v", c.n, c.blocks, got, c.want)
		}
	}
}

// TestSplitCapFollowsBlocks: 30 minute blocks each holding late spans of
// 10 traces of the minute before, with the cap lowered below their number
// of split traces. The split-trace pass holds them all when the ordered
// merge of the 30 blocks would cost twice as much, and gives up for the
// merge when it would cost half as much; the answers are the reference's
// either way.
func TestSplitCapFollowsBlocks(t *testing.T) {
	s, write, all := splitPartStore(t)
	lateMinuteBlocks(write, 30, 20, 10)
	ref := storetest.New(merged(*all))
	ctx := context.Background()
	metas, err := s.Blocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	split := func() (bool, int) {
		t.Helper()
		req := store.Request{Unordered: true}
		holders := newSplitHolders(false)
		ok, _, err := s.splitTraces(ctx, metas, &req, false, holders)
		if err != nil {
			t.Fatal(err)
		}
		return ok, holders.len()
	}
	_, n := split()
	if n < 200 {
		t.Fatalf("%d split traces, want about 290", n)
	}
	defer func(m int, b int64) { maxSplitTraces, mergeBytesPerBlock = m, b }(maxSplitTraces, mergeBytesPerBlock)
	maxSplitTraces = n / 3
	for _, c := range []struct {
		merge float64 // the ordered merge's cost over the split traces'
		held  bool
	}{{2, true}, {0.5, false}} {
		mergeBytesPerBlock = int64(c.merge*float64(n*splitTraceBytes)) / int64(len(metas))
		if ok, got := split(); ok != c.held || c.held && got != n {
			t.Errorf("merge at %d bytes a block: held %v (%d split traces), want %v (%d)", mergeBytesPerBlock, ok, got, c.held, n)
		}
		for _, q := range []string{`{ }`, `{ status = error }`} {
			countAsReference(t, s, ref, q)
		}
	}
}

// writeTwice writes 100 traces twice (as an ingest run twice, or Tempo's
// replicas before compaction), each time cut into two blocks at a
// different trace: every trace is in two blocks read far apart.
func writeTwice(write func([]*model.Trace)) {
	first := syntheticTraces(100, 1, splitMinute(0))
	again := make([]*model.Trace, len(first))
	for i, tr := range first {
		again[i] = tracePart(tr.TraceID, byte(i), splitMinute(1), 0x7e)
	}
	write(first[:50])
	write(first[50:])
	write(again[:30])
	write(again[30:])
}

// writtenTwice is a store holding writeTwice's blocks, with every trace
// written and the blocks' metas.
func writtenTwice(t *testing.T) (*Store, *[]*model.Trace, []Meta) {
	t.Helper()
	s, write, all := splitPartStore(t)
	writeTwice(write)
	metas, err := s.Blocks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s, all, metas
}

// TestSplitHeldLongUnsorted: the same traces written twice, as in
// TestSplitHeldLong, with one block's rows in reverse ID order (another
// writer's). The ordered merge cannot read that block, so reads stay
// unordered however long parts are held, and their answers are the
// reference's, with no block left out.
func TestSplitHeldLongUnsorted(t *testing.T) {
	defer func(n, m int64) { maxHeldSplitBytes, mergeBytesPerBlock = n, m }(maxHeldSplitBytes, mergeBytesPerBlock)
	mergeBytesPerBlock, maxHeldSplitBytes = 1, 1
	ctx := context.Background()
	s, all, metas := writtenTwice(t)
	m := metas[2]
	rows := rawRows(t, s.block(m))
	slices.Reverse(rows)
	rewriteData(t, s, m, rows, traceSchema(), parquet.MaxRowsPerRowGroup(7))
	ref := storetest.New(merged(*all))
	for _, n := range []int{1, 2} {
		src := NewStore(s.bucket, s.tenant)
		src.SetConcurrency(n)
		it, err := src.Traces(ctx, store.Request{Unordered: true})
		if err != nil {
			t.Fatal(err)
		}
		_, unordered := it.(*unorderedIterator)
		it.Close()
		if !unordered {
			t.Errorf("concurrency %d: the ordered merge reads a block out of ID order", n)
		}
		for _, q := range []string{`{ }`, `{ status = error }`, `{ name = "child" } | count() > 1`} {
			searchAsReference(t, src, ref, q, eval.SearchOptions{Limit: 20})
			countAsReference(t, src, ref, q)
		}
		if d := src.Damaged(); len(d) != 0 {
			t.Errorf("concurrency %d: damaged %v", n, d)
		}
	}
}

// TestSplitCapReorderedLate: the same 100 traces written as two blocks,
// the second with two rows of its last row group swapped (its statistics
// still in order), and the cap on split traces lowered to 10. The pass
// passes the cap before it reaches that row group; it reads the rest of
// the IDs before it gives up for the ordered merge, finds the block out
// of order and holds every split trace instead. The answers are the
// reference's, with no block left out.
func TestSplitCapReorderedLate(t *testing.T) {
	defer func(n int, m int64) { maxSplitTraces, mergeBytesPerBlock = n, m }(maxSplitTraces, mergeBytesPerBlock)
	maxSplitTraces, mergeBytesPerBlock = 10, 1
	ctx := context.Background()
	s, write, all := splitPartStore(t)
	first := syntheticTraces(100, 1, splitMinute(0))
	again := make([]*model.Trace, len(first))
	for i, tr := range first {
		again[i] = tracePart(tr.TraceID, byte(i), splitMinute(1), 0x7e)
	}
	write(first)
	write(again)
	metas, err := s.Blocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows := rawRows(t, s.block(metas[1]))
	n := len(rows)
	rows[n-8], rows[n-7] = rows[n-7], rows[n-8] // in the last full row group of 7
	rewriteData(t, s, metas[1], rows, traceSchema(), parquet.MaxRowsPerRowGroup(7))
	ref := storetest.New(merged(*all))
	src := NewStore(s.bucket, s.tenant)
	req := store.Request{Unordered: true}
	holders := newSplitHolders(false)
	if metas, err = src.Blocks(ctx); err != nil { // the rewritten block's meta
		t.Fatal(err)
	}
	ok, _, err := src.splitTraces(ctx, metas, &req, false, holders)
	if err != nil {
		t.Fatal(err)
	}
	if !ok || holders.len() != 100 {
		t.Errorf("held %v, %d split traces; want every one of the 100 held", ok, holders.len())
	}
	it, err := src.Traces(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	_, unordered := it.(*unorderedIterator)
	it.Close()
	if !unordered {
		t.Error("the ordered merge reads a block out of ID order")
	}
	for _, q := range []string{`{ }`, `{ status = error }`} {
		src := NewStore(s.bucket, s.tenant)
		searchAsReference(t, src, ref, q, eval.SearchOptions{Limit: 200})
		countAsReference(t, src, ref, q)
		if d := src.Damaged(); len(d) != 0 {
			t.Errorf("%s: damaged %v", q, d)
		}
	}
}

// TestSplitHeldLongNoStatistics: blocks in ID order whose footers lack
// TraceID statistics are read whole by the pass, yet still taken for in
// order: the traces written twice take the ordered merge, as with
// statistics (TestSplitHeldLong).
func TestSplitHeldLongNoStatistics(t *testing.T) {
	defer func(n, m int64) { maxHeldSplitBytes, mergeBytesPerBlock = n, m }(maxHeldSplitBytes, mergeBytesPerBlock)
	mergeBytesPerBlock, maxHeldSplitBytes = 1, 1
	ctx := context.Background()
	s, all, metas := writtenTwice(t)
	for _, m := range metas {
		editTraceIDStatistics(t, s, m, func(_ int, st *format.Statistics) { *st = format.Statistics{} })
	}
	src := NewStore(s.bucket, s.tenant)
	it, err := src.Traces(ctx, store.Request{Unordered: true})
	if err != nil {
		t.Fatal(err)
	}
	_, unordered := it.(*unorderedIterator)
	it.Close()
	if unordered {
		t.Error("blocks in order without statistics: the unordered read holds the parts")
	}
	ref := storetest.New(merged(*all))
	countAsReference(t, src, ref, `{ }`)
	if d := src.Damaged(); len(d) != 0 {
		t.Errorf("damaged %v", d)
	}
}

// TestSplitHeldLong: two writes of the same 100 traces (as an ingest run
// twice, or Tempo's replicas before compaction), each cut into two
// blocks at a different trace, hold every trace in two blocks read far
// apart: an unordered read would hold the parts of the first block's
// traces until the last blocks. Reads then take the ordered merge, and
// their answers are the reference's. Minute blocks holding late spans of
// the minute before keep the unordered read: their parts are merged a
// block later.
func TestSplitHeldLong(t *testing.T) {
	defer func(n, m int64) { maxHeldSplitBytes, mergeBytesPerBlock = n, m }(maxHeldSplitBytes, mergeBytesPerBlock)
	mergeBytesPerBlock = 1
	ctx := context.Background()
	for _, c := range []struct {
		name      string
		write     func(write func([]*model.Trace))
		unordered bool
	}{
		{"written twice", writeTwice, false},
		{"late spans of the minute before", func(write func([]*model.Trace)) {
			lateMinuteBlocks(write, 20, 30, 10)
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, write, all := splitPartStore(t)
			c.write(write)
			metas, err := s.Blocks(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// Room for the parts of 15 average traces: the late spans
			// hold 10 at a time, the copies at least 30.
			maxHeldSplitBytes = 15 * int64(metas[0].Size) / int64(metas[0].TotalObjects)
			it, err := s.Traces(ctx, store.Request{Unordered: true})
			if err != nil {
				t.Fatal(err)
			}
			var got []*model.Trace
			for it.Next() {
				got = append(got, it.At())
			}
			if err := it.Err(); err != nil {
				t.Fatal(err)
			}
			_, unordered := it.(*unorderedIterator)
			it.Close()
			if unordered != c.unordered {
				t.Errorf("unordered read %v, want %v", unordered, c.unordered)
			}
			sortByID(got)
			if diff := diffTraces(scanAll(t, s, 1, store.Request{}), got); diff != "" {
				t.Errorf("traces differ from the ordered scan's (-want +got):\n%s", diff)
			}
			ref := storetest.New(merged(*all))
			src := NewStore(s.bucket, s.tenant)
			src.SetConcurrency(2)
			for _, q := range []string{`{ }`, `{ status = error }`, `{ name = "child" } | count() > 1`} {
				searchAsReference(t, src, ref, q, eval.SearchOptions{Limit: 20})
				countAsReference(t, src, ref, q)
			}
		})
	}
}

// TestSplitHoldersAnyIn checks the ID-range test of row groups against
// the split traces 0x20.. and 0x40.. .
func TestSplitHoldersAnyIn(t *testing.T) {
	h := newSplitHolders(false)
	x, y := tid(0x20), tid(0x40)
	h.add(idKeyOf(&x), nil, 1, 2)
	h.add(idKeyOf(&y), nil, 1, 2)
	for _, c := range []struct {
		lo, hi model.TraceID
		want   bool
	}{
		{tid(0x00), tid(0x1f), false},
		{tid(0x00), tid(0x20), true},
		{tid(0x20), tid(0x20), true},
		{tid(0x21), tid(0x3f), false},
		{tid(0x30), tid(0x50), true},
		{tid(0x41), tid(0xff), false},
	} {
		if got := h.anyIn(c.lo[:], c.hi[:]); got != c.want {
			t.Errorf("[%x, %x]: %v, want %v", c.lo[:2], c.hi[:2], got, c.want)
		}
	}
	if !h.anyIn([]byte{1}, []byte{2}) {
		t.Error("a range that is not two IDs rules split traces out")
	}
	if (*splitHolders)(nil).anyIn(x[:], y[:]) || newSplitHolders(false).anyIn(x[:], y[:]) {
		t.Error("no split traces, yet a range may hold one")
	}
}

// TestHandedFootersBounded: the split-trace pass over 30 blocks hands the
// scan only the footers the budget holds (here about 4 whole ones), and
// the reads that then open the others themselves answer as the
// reference does.
func TestHandedFootersBounded(t *testing.T) {
	defer func(n int64) { maxHandedBytes = n }(maxHandedBytes)
	ctx := context.Background()
	s, write, all := splitPartStore(t)
	lateMinuteBlocks(write, 30, 20, 5)
	metas, err := s.readBlocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	maxHandedBytes = 4*12*int64(metas[0].FooterSize) + 100
	ok, handed, err := s.splitTraces(ctx, metas, &store.Request{}, false, newSplitHolders(false))
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if n := len(handed.files); n == 0 || n > 4 || handed.bytes > maxHandedBytes {
		t.Errorf("%d footers handed (%d bytes), want 1 to 4 within %d", n, handed.bytes, maxHandedBytes)
	}
	ref := storetest.New(merged(*all))
	for _, q := range []string{`{ }`, `{ status = error }`} {
		searchAsReference(t, s, ref, q, eval.SearchOptions{Limit: 15})
		countAsReference(t, s, ref, q)
	}
}
