package blocks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/tracectl/tracectl/internal/workers"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// Copying whole row groups in a merge: when the inputs of a compaction do
// not interleave (the blocks one ingest writes hold consecutive trace-ID
// ranges), a row group of one input whose ID range holds no trace of
// another input comes out of the merge exactly as it went in, so the
// output copies its column chunks instead of encoding them again. Its
// traces are still read and added (for the bloom filter, the meta and the
// counts), but nothing of them is encoded.

// MergeCopier adds a merge's traces to a BlockWriter, copying the input
// row groups PlanMergeCopies found copyable. Close it after the writer's
// Finish or Abort.
type MergeCopier struct {
	groups []copyableGroup // by first trace ID
	next   int
	cur    *copyableGroup
	left   int64 // rows of cur still to add
	copied int
	srcs   []*pfile
}

// copyableGroup is an input row group the output copies whole.
type copyableGroup struct {
	first, last model.TraceID
	rows        int64
	input       int // its input's position in the merge
	gc          *groupCopy
}

// groupSpan is the trace-ID range of one input row group.
type groupSpan struct {
	input       int
	min, max    []byte
	own         bool // the range is the group's own statistics
	rows, bytes int64
	group       int
}

// footersAtOnce bounds the footers PlanMergeCopies reads at once.
const footersAtOnce = 8

// PlanMergeCopies finds the row groups of the inputs metas that a merge
// into w can copy whole: of a block tracectl wrote with w's layout and
// dedicated columns, at least minBytes compressed, and whose trace-ID range
// holds no row group of another input. It returns nil when there is none.
func (s *Store) PlanMergeCopies(ctx context.Context, metas []Meta, w *BlockWriter, minBytes int64) (*MergeCopier, error) {
	files := make([]*pfile, len(metas))
	defer func() {
		for _, f := range files {
			if f != nil {
				f.r.release()
			}
		}
	}()
	// The footers of the inputs large enough. (Opened under ctx, not a
	// context the group ends: the copies read through the files later.)
	if err := s.openFooters(ctx, metas, files, func(m Meta) bool { return int64(m.Size) >= minBytes }); err != nil {
		return nil, err
	}
	var spans []groupSpan
	for i, m := range metas {
		f := files[i]
		if f == nil {
			// No row group of it is large enough to copy: its meta's
			// range stands for its row groups.
			spans = append(spans, groupSpan{input: i, min: m.MinID, max: m.MaxID})
			continue
		}
		col := f.leaves.traceID.Index
		for g, rg := range f.file.Metadata().RowGroups {
			sp := groupSpan{input: i, min: m.MinID, max: m.MaxID, rows: rg.NumRows, bytes: rg.TotalCompressedSize, group: g}
			if f.leaves.traceID.ok {
				// Without a range of its own, the meta's stands in.
				if lo, hi, ok := groupIDRange(rg, col); ok {
					sp.min, sp.max, sp.own = lo, hi, true
				}
			}
			spans = append(spans, sp)
		}
	}
	mc := &MergeCopier{}
	used := make([]bool, len(metas))
	all := make([]bool, len(traceSchema().Columns()))
	for c := range all {
		all[c] = true
	}
	every := newLeafCopy(all)
	copyable := make([]bool, len(metas))
	for i, f := range files {
		copyable[i] = f != nil && canCopyFrom(f, metas[i], w.meta.DedicatedColumns)
	}
	for _, sp := range spans {
		if !copyable[sp.input] || !sp.own || sp.bytes < minBytes || sp.rows == 0 || interleaved(sp, spans) {
			continue
		}
		cg := copyableGroup{rows: sp.rows, input: sp.input,
			gc: &groupCopy{src: files[sp.input], group: sp.group, leafCopy: every}}
		copy(cg.first[:], sp.min)
		copy(cg.last[:], sp.max)
		mc.groups = append(mc.groups, cg)
		used[sp.input] = true
	}
	if len(mc.groups) == 0 {
		return nil, nil
	}
	for i, u := range used {
		if u {
			mc.srcs = append(mc.srcs, files[i])
			files[i] = nil // kept open for the writer, released by Close
		}
	}
	slices.SortFunc(mc.groups, func(a, b copyableGroup) int { return model.CompareTraceIDs(a.first, b.first) })
	return mc, nil
}

// openFooters opens the footers of the blocks of metas that want takes
// (all when want is nil) into files, footersAtOnce at a time: on an
// object store each is a round trip. The error is the first input's in
// their order, as one after another: a damaged block before a failed
// read is left out and the merge planned again.
func (s *Store) openFooters(ctx context.Context, metas []Meta, files []*pfile, want func(Meta) bool) error {
	var wanted []int
	for i, m := range metas {
		if want == nil || want(m) {
			wanted = append(wanted, i)
		}
	}
	errs := make([]error, len(metas))
	// The files keep ctx for their later reads, not Each's context, which
	// ends with it.
	if err := workers.Each(ctx, len(wanted), footersAtOnce, func(_ context.Context, k int) error {
		i := wanted[k]
		files[i], errs[i] = s.block(metas[i]).open(ctx)
		return nil
	}); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// interleaved reports whether a row group of another input than sp's
// overlaps sp's trace-ID range (an input without statistics spans its
// meta's range; one without a range, any).
func interleaved(sp groupSpan, spans []groupSpan) bool {
	for _, o := range spans {
		if o.input == sp.input {
			continue
		}
		if len(o.min) == 0 || len(o.max) == 0 || bytes.Compare(o.min, o.max) > 0 { // not known: anywhere
			return true
		}
		if bytes.Compare(o.min, sp.max) <= 0 && bytes.Compare(sp.min, o.max) <= 0 {
			return true
		}
	}
	return false
}

// ErrCopyPlan says a merge's traces did not match the row groups planned
// for copying (PlanMergeCopies went by footer statistics): nothing was
// published, and the merge can be done again without copies.
var ErrCopyPlan = errors.New("blocks: the merged traces do not match the row groups planned for copying")

// Add adds t, the next trace of it (the merge of the planned inputs, in
// their order: Store.TracesOf), to w: a copyable row group's traces (a
// run beginning at its first trace ID) become one copied row group. A
// mismatch with the plan is an error wrapping ErrCopyPlan.
func (mc *MergeCopier) Add(w *BlockWriter, t *model.Trace, it store.TraceIterator) error {
	if mc == nil {
		return w.Add(t)
	}
	planErr := func(format string, args ...any) error {
		return w.fail(fmt.Errorf("%w: %s", ErrCopyPlan, fmt.Sprintf(format, args...)))
	}
	if mc.cur == nil && mc.next < len(mc.groups) && model.CompareTraceIDs(t.TraceID, mc.groups[mc.next].first) >= 0 {
		g := &mc.groups[mc.next]
		if t.TraceID != g.first {
			return planErr("trace %s where the row group starting with %s was due", t.TraceID, g.first)
		}
		if err := w.beginCopy(g.gc); err != nil {
			return err
		}
		mc.cur, mc.left = g, g.rows
		mc.next++
	}
	if mc.cur != nil {
		// A trace merged from parts in several inputs cannot be the
		// copied row's (statistics that hid the other input's part).
		if m, ok := it.(interface{ From() int }); !ok || m.From() != mc.cur.input {
			return planErr("trace %s of a copied row group comes from another input too", t.TraceID)
		}
	}
	if err := w.Add(t); err != nil {
		return err
	}
	if mc.cur == nil {
		return nil
	}
	if mc.left--; mc.left > 0 {
		return nil
	}
	if t.TraceID != mc.cur.last {
		return planErr("a copied row group ends with trace %s, not %s", t.TraceID, mc.cur.last)
	}
	mc.cur = nil
	mc.copied++
	return w.endCopy()
}

// Copied is the number of row groups copied whole.
func (mc *MergeCopier) Copied() int {
	if mc == nil {
		return 0
	}
	return mc.copied
}

// Close releases the inputs kept open for copying; call it once the
// writer is done (after Finish or Abort).
func (mc *MergeCopier) Close() {
	if mc == nil {
		return
	}
	for _, f := range mc.srcs {
		f.r.release()
	}
	mc.srcs = nil
}
