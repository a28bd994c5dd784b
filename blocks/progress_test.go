package blocks

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// progressLog records what a store reports through SetProgress.
type progressLog struct {
	t      *testing.T
	busy   atomic.Bool
	events []Progress
}

func (l *progressLog) add(p Progress) {
	if !l.busy.CompareAndSwap(false, true) {
		l.t.Error("progress reported by two goroutines at once")
	}
	l.events = append(l.events, p)
	l.busy.Store(false)
}

// check fails unless the done counts never decrease, never pass the totals
// and end at want, the totals.
func (l *progressLog) check(name string, want Progress) {
	l.t.Helper()
	if len(l.events) < 2 {
		l.t.Fatalf("%s: %d progress reports, want one at the start and more as row groups finish", name, len(l.events))
	}
	var prev Progress
	for i, p := range l.events {
		if p.Blocks < prev.Blocks || p.RowGroups < prev.RowGroups || p.Bytes < prev.Bytes {
			l.t.Fatalf("%s: report %d went back: %+v after %+v", name, i, p, prev)
		}
		if p.Blocks > p.BlocksTotal || p.RowGroups > p.RowGroupsTotal || p.Bytes > p.BytesTotal {
			l.t.Fatalf("%s: report %d passes its totals: %+v", name, i, p)
		}
		prev = p
	}
	if prev != want {
		l.t.Errorf("%s: last report %+v, want %+v", name, prev, want)
	}
}

// TestScanProgress checks every read path's reports: done counts rise
// one call at a time and end at the totals of the blocks the scan
// planned, also when the time range leaves row groups unread.
func TestScanProgress(t *testing.T) {
	ctx := context.Background()
	s := splitTraceStore(t)
	metas, err := s.Blocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all := Progress{BlocksTotal: len(metas)}
	for _, m := range metas {
		all.RowGroupsTotal += m.TotalRecords
		all.BytesTotal += int64(m.Size)
	}
	if all.RowGroupsTotal <= all.BlocksTotal {
		t.Fatalf("want blocks of several row groups, got %d in %d blocks", all.RowGroupsTotal, all.BlocksTotal)
	}
	all.Blocks, all.RowGroups, all.Bytes = all.BlocksTotal, all.RowGroupsTotal, all.BytesTotal
	// Blocks 2 to 4 overlap the range.
	ranged := store.Request{Start: time.Unix(0, 2e18+20e6), End: time.Unix(0, 4e18+50e6)}
	var some Progress
	for _, m := range inRange(metas, &ranged) {
		some.Blocks++
		some.RowGroups += m.TotalRecords
		some.Bytes += int64(m.Size)
	}
	some.BlocksTotal, some.RowGroupsTotal, some.BytesTotal = some.Blocks, some.RowGroups, some.Bytes
	if some.Blocks == 0 || some.Blocks == all.Blocks {
		t.Fatalf("the range should hold some blocks: %d of %d", some.Blocks, all.Blocks)
	}

	drain := func(req store.Request) func() error {
		return func() error {
			it, err := s.Traces(ctx, req)
			if err != nil {
				return err
			}
			defer it.Close()
			for it.Next() {
			}
			return it.Err()
		}
	}
	unordered := func(req store.Request) store.Request { req.Unordered = true; return req }
	for _, tc := range []struct {
		name string
		run  func() error
		want Progress
		// whole: reports come per block, not per row group
		whole bool
	}{
		{"ordered", drain(store.Request{}), all, false},
		{"ordered range", drain(ranged), some, false},
		{"unordered", drain(unordered(store.Request{})), all, false},
		{"unordered range", drain(unordered(ranged)), some, false},
		{"count", func() error {
			_, err := s.CountTraces(ctx, store.Request{Filter: &store.Filter{Cond: &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTrue}}, Exact: true}})
			return err
		}, all, false},
		{"walk", func() error { return s.Walk(ctx, func(Meta, *model.Trace) error { return nil }) }, all, false},
		{"verify", func() error { _, err := s.Verify(ctx); return err }, all, true},
	} {
		for _, n := range []int{1, 3} {
			l := &progressLog{t: t}
			s.SetConcurrency(n)
			s.SetProgress(l.add)
			if err := tc.run(); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			l.check(tc.name, tc.want)
			if !tc.whole && len(l.events) <= tc.want.BlocksTotal+1 {
				t.Errorf("%s: %d reports for %d row groups: want one as each finishes", tc.name, len(l.events), tc.want.RowGroupsTotal)
			}
		}
	}
	s.SetProgress(nil)
	s.SetConcurrency(0)
}
