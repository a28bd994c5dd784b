package blocks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tracectl/tracectl/blocks/column/columntest"
	"github.com/tracectl/tracectl/internal/blobtest"
	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// pageDamaged is a store of three blocks, the middle one with a page of
// its data.parquet damaged (its footer sound).
type pageDamaged struct {
	s       *Store
	key     string // the damaged data.parquet
	bad     Meta
	byBlock [3][]model.TraceID
	spans   [3]int
	// lost is a trace of the damaged block stored in the damaged row group.
	lost model.TraceID
}

// newPageDamaged writes the three blocks (several row groups each) and
// flips the data of the first page of column path in row group group of
// the middle one (-1: the last).
func newPageDamaged(t *testing.T, path string, group int) *pageDamaged {
	t.Helper()
	ctx := context.Background()
	pd := &pageDamaged{s: memStore(t)}
	g := gen.New(gen.Options{Seed: 23})
	var metas []Meta
	for i := range 3 {
		var ts []*model.Trace
		for range 60 {
			tr := g.Trace()
			ts = append(ts, tr)
			pd.byBlock[i] = append(pd.byBlock[i], tr.TraceID)
			pd.spans[i] += tr.SpanCount()
		}
		sortByID(ts)
		m, err := pd.s.WriteBlock(ctx, ts, WriteOptions{RowGroupBytes: 16 << 10})
		if err != nil {
			t.Fatal(err)
		}
		metas = append(metas, m)
	}
	pd.bad = metas[1]
	if pd.bad.TotalRecords < 3 {
		t.Fatalf("the damaged block has %d row groups, want several", pd.bad.TotalRecords)
	}
	pd.key = joinKey(pd.s.tenant, pd.bad.BlockID.String(), dataObject)
	b, err := pd.s.OpenBlock(ctx, pd.bad.BlockID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rg := group
	if rg < 0 {
		rg += len(p.file.RowGroups())
	}
	ids, err := p.groupIDs(rg)
	if err != nil {
		t.Fatal(err)
	}
	pd.lost = ids[len(ids)/2]
	damagePage(t, pd.s, pd.bad, group, path, false)
	return pd
}

// spanNamePath is the span Name column.
const spanNamePath = "rs.list.element.ss.list.element.Spans.list.element.Name"

// readData returns the key and the bytes of block m's data.parquet.
func readData(t *testing.T, s *Store, m Meta) (string, []byte) {
	t.Helper()
	key := joinKey(s.tenant, m.BlockID.String(), dataObject)
	data, err := s.bucket.ReadAll(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return key, data
}

// damagePage flips the data of the first page of column path in row
// group group (-1: the last) of block m's data.parquet: its second half,
// or all of it with whole.
func damagePage(t *testing.T, s *Store, m Meta, group int, path string, whole bool) {
	t.Helper()
	ctx := context.Background()
	key, data := readData(t, s, m)
	page, err := columntest.FirstPage(data, group, path)
	if err != nil {
		t.Fatal(err)
	}
	from := (page.Payload[0] + page.Payload[1]) / 2
	if whole {
		from = page.Payload[0]
	}
	data = columntest.Damage(data, [][2]int{{from, page.Payload[1]}}, 0, 0x5a, 8)
	if err := s.bucket.WriteAll(ctx, key, data, nil); err != nil {
		t.Fatal(err)
	}
}

// fresh is a store of the same tenant with nothing recorded yet.
func (pd *pageDamaged) fresh() *Store { return NewStore(pd.s.bucket, pd.s.tenant) }

// leftOut checks that s recorded the damaged block, and only it, and
// returns whether it was recorded as partly read.
func (pd *pageDamaged) leftOut(t *testing.T, s *Store) bool {
	t.Helper()
	dmg := s.Damaged()
	var d *DamagedError
	if len(dmg) != 1 || !errors.As(dmg[0], &d) || d.Key != pd.key || !strings.Contains(d.Error(), "row group") {
		t.Fatalf("damaged: %v, want %s, naming the row group", dmg, pd.key)
	}
	return d.Partial
}

// checkIDs checks that got holds every trace of the sound blocks once and
// at most once those of the damaged block, none of them unless partial.
func (pd *pageDamaged) checkIDs(t *testing.T, got []model.TraceID, partial bool) {
	t.Helper()
	seen := map[model.TraceID]int{}
	for _, id := range got {
		seen[id]++
	}
	for _, b := range []int{0, 2} {
		for _, id := range pd.byBlock[b] {
			if seen[id] != 1 {
				t.Fatalf("trace %s of a sound block read %d times", id, seen[id])
			}
		}
	}
	for _, id := range pd.byBlock[1] {
		if seen[id] > 1 || seen[id] == 1 && !partial {
			t.Fatalf("trace %s of the damaged block read %d times (partly read: %v)", id, seen[id], partial)
		}
	}
	if seen[pd.lost] > 0 {
		t.Fatalf("trace %s of the damaged row group was read", pd.lost)
	}
}

// TestPageDamageLeftOut damages a page (not the footer) of one of three
// blocks, in the first row group or in the last, and checks every read
// path: none fails; each leaves the damaged block out from where it meets
// the damage and records it (partly read when rows of it may have been
// passed on; never for damage in row group 0 met by an ordered read or a
// lookup); the sound blocks are read whole.
func TestPageDamageLeftOut(t *testing.T) {
	ctx := context.Background()
	// Span names are read by every path below (the count's and the
	// aggregation's filter test them, a text scan reads them); trace IDs
	// by all but the text scan, and by the pass that finds the traces
	// split across blocks before a count, an aggregation or an unordered
	// scan (which then leave the block out whole).
	const spanName = spanNamePath
	hasName := &store.SpanCond{Op: store.OpTest, Field: store.Field{Kind: store.FieldSpanName},
		Test: func(v model.Value, ok bool) bool { return ok }}
	for _, tc := range []struct {
		name  string
		path  string
		group int
		texts bool // a text scan reads the column
		// ids: the pass finding split traces meets the damage first
		ids bool
	}{
		{"span name, first row group", spanName, 0, true, false},
		{"span name, last row group", spanName, -1, true, false},
		{"trace ID, last row group", "TraceID", -1, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pd := newPageDamaged(t, tc.path, tc.group)
			for _, conc := range []int{1, 3} {
				for _, req := range []store.Request{{}, {Unordered: true}} {
					s := pd.fresh()
					s.SetConcurrency(conc)
					it, err := s.Traces(ctx, req)
					if err != nil {
						t.Fatal(err)
					}
					var got []model.TraceID
					for _, tr := range readAllTraces(t, it) {
						got = append(got, tr.TraceID)
					}
					partial := pd.leftOut(t, s)
					if tc.group == 0 && !req.Unordered && partial {
						t.Errorf("concurrency %d: an ordered read met the damage in row group 0 but says it read part of the block", conc)
					}
					if tc.group != 0 && !req.Unordered && !partial {
						t.Errorf("concurrency %d: rows before the last row group were read, the record does not say so", conc)
					}
					pd.checkIDs(t, got, partial)
				}
			}

			// One row group at a time, in order: the record says partly
			// read exactly when rows before the damaged group were passed
			// on (count, aggregation and walk know what they passed on).
			wantPartial := tc.group != 0 && !tc.ids
			s := pd.fresh()
			s.SetConcurrency(1)
			good := len(pd.byBlock[0]) + len(pd.byBlock[2])
			n, err := s.CountTraces(ctx, store.Request{Filter: &store.Filter{Cond: &store.TraceCond{Op: store.OpAny, Span: hasName}, Exact: true}})
			if err != nil || n.Traces < good || n.Traces >= good+len(pd.byBlock[1]) {
				t.Errorf("count: %+v, %v; want the sound blocks' %d traces and fewer than all the damaged one's %d", n, err, good, len(pd.byBlock[1]))
			}
			if got := pd.leftOut(t, s); got != wantPartial {
				t.Errorf("count: partly read %v, want %v", got, wantPartial)
			}

			s = pd.fresh()
			s.SetConcurrency(1)
			agg, err := s.AggregateSpans(ctx, store.Request{}, &store.AggregateSpec{Slots: 1, Slot: func(uint64) int { return 0 },
				GroupBy: []store.Field{{Kind: store.FieldSpanName}}})
			spans := 0
			if err == nil {
				for _, g := range agg.Groups {
					spans += int(g.Count[0])
				}
			}
			if good := pd.spans[0] + pd.spans[2]; err != nil || spans < good || spans >= good+pd.spans[1] {
				t.Errorf("aggregate: %d spans, %v; want the sound blocks' %d and fewer than all the damaged one's %d", spans, err, good, pd.spans[1])
			}
			if got := pd.leftOut(t, s); got != wantPartial {
				t.Errorf("aggregate: partly read %v, want %v", got, wantPartial)
			}

			s = pd.fresh()
			s.SetConcurrency(1)
			var walked []model.TraceID
			err = s.Walk(ctx, func(_ Meta, tr *model.Trace) error {
				walked = append(walked, tr.TraceID)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			partial := pd.leftOut(t, s)
			if partial != (tc.group != 0) {
				t.Errorf("walk: partly read %v, want %v", partial, tc.group != 0)
			}
			pd.checkIDs(t, walked, partial)

			s = pd.fresh()
			scanned, err := s.ScanTexts(ctx, func() TextSink { return everySink{} })
			if err != nil {
				t.Fatal(err)
			}
			// A block read in part counts among the blocks scanned, one
			// left out whole does not.
			wantScanned := 3
			if tc.texts && !pd.leftOut(t, s) {
				wantScanned = 2
			}
			if scanned != wantScanned {
				t.Errorf("scan: %d blocks scanned, want %d", scanned, wantScanned)
			}

			s = pd.fresh()
			if _, err := s.FindTrace(ctx, pd.lost); !errors.Is(err, ErrTraceNotFound) {
				t.Fatalf("the trace in the damaged row group: %v, want not found", err)
			}
			if pd.leftOut(t, s) {
				t.Error("a lookup returned nothing of the block but says it read part of it")
			}
			if tr, err := s.FindTrace(ctx, pd.byBlock[2][7]); err != nil || tr.TraceID != pd.byBlock[2][7] {
				t.Fatalf("a trace of a sound block: %v", err)
			}

			s = pd.fresh()
			if _, err := s.TraceIDsWithPrefix(ctx, "0", 1000); err != nil {
				t.Fatal(err)
			}

			rep, err := pd.fresh().Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, br := range rep.Blocks {
				if (br.BlockID == pd.bad.BlockID) != (len(br.Problems) > 0) {
					t.Fatalf("verify: block %s: %v (damaged: %s)", br.BlockID, br.Problems, pd.bad.BlockID)
				}
			}

			// Redact leaves the block as it is and counts it.
			s = pd.fresh()
			res, err := s.Rewrite(ctx, func(tr *model.Trace) (bool, error) {
				tr.Spans(func(r model.SpanRef) bool { r.Span.Name += "!"; return true })
				return true, nil
			}, RewriteOptions{Mark: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Damaged != 1 || len(res.Rewritten) != 2 {
				t.Fatalf("redact: %d damaged, %d rewritten; want 1 and the 2 sound blocks", res.Damaged, len(res.Rewritten))
			}
			pd.leftOut(t, s)
			if _, err := s.OpenBlock(ctx, pd.bad.BlockID); err != nil {
				t.Fatalf("the damaged block is no longer live: %v", err)
			}
			if orphans, err := s.Orphans(ctx); err != nil || len(orphans) > 0 {
				t.Fatalf("the aborted replacement was left: %v %v", orphans, err)
			}
		})
	}
}

// TestPageReadFailureIsNoDamage: a bucket read that fails while pages are
// read (fetched up front or streamed a window at a time) fails the read
// and leaves no block recorded as damaged: the bucket, not the block, may
// be at fault.
func TestPageReadFailureIsNoDamage(t *testing.T) {
	ctx := context.Background()
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream %v", stream), func(t *testing.T) {
			if stream {
				old := streamAbove
				streamAbove = 0 // stream every row group: reads happen while pages decode
				defer func() { streamAbove = old }()
			}
			inner := memStore(t)
			var footerAt atomic.Int64 // reads before it fail; 0: none
			b := blobtest.Wrap(inner.bucket, blobtest.Hooks{Before: func(op blobtest.Op) error {
				if op.Kind == blobtest.Read && strings.HasSuffix(op.Key, dataObject) && op.Off < footerAt.Load() {
					return errInjectedRead
				}
				return nil
			}})
			t.Cleanup(func() { b.Close() })
			var ts []*model.Trace
			g := gen.New(gen.Options{Seed: 5})
			for range 40 {
				ts = append(ts, g.Trace())
			}
			sortByID(ts)
			m, err := NewStore(b, "tenant-a").WriteBlock(ctx, ts, WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			footerAt.Store(int64(m.Size) - int64(m.FooterSize) - 8)
			for _, req := range []store.Request{{}, {Unordered: true}} {
				s := NewStore(b, "tenant-a")
				it, err := s.Traces(ctx, req)
				if err == nil {
					for it.Next() {
					}
					err = it.Err()
					it.Close()
				}
				if !errors.Is(err, errInjectedRead) || len(s.Damaged()) > 0 {
					t.Fatalf("unordered %v: %v, damaged %v; want the read error and no damage", req.Unordered, err, s.Damaged())
				}
			}
			s := NewStore(b, "tenant-a")
			if _, err := s.FindTrace(ctx, ts[3].TraceID); !errors.Is(err, errInjectedRead) || len(s.Damaged()) > 0 {
				t.Fatalf("lookup: %v, damaged %v; want the read error and no damage", err, s.Damaged())
			}
		})
	}
}

var errInjectedRead = errors.New("injected read failure")

// sortByID puts traces in the order a block stores them.
func sortByID(ts []*model.Trace) {
	slices.SortFunc(ts, func(a, b *model.Trace) int { return model.CompareTraceIDs(a.TraceID, b.TraceID) })
}
