package blocks

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"golang.org/x/sync/errgroup"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/model"
)

// Concatenating a merge column by column: when no trace ID of one input
// falls between two of another (the blocks one ingest writes hold
// consecutive trace-ID ranges) and every input is a block tracectl wrote
// with the output's layout and dedicated columns, the merge is the
// inputs' rows one after another, each trace whole in one input. Then no
// trace is decoded or encoded: each leaf column of an output row group is
// the input chunks of that leaf appended entry by entry
// (column.ChunkWriter.Append), and row groups large enough to stand alone
// are copied whole, as MergeCopier copies them. Only the trace-level
// columns (trace ID, start and end) and the span IDs are read first, for
// the order check, the bloom filter, the meta and the counts.

// ErrCannotConcat says a merge's inputs cannot be concatenated (they
// interleave, one of them was not written by tracectl with the output's
// layout, or damage was met): nothing was published, and the merge is to
// be done trace by trace.
var ErrCannotConcat = errors.New("blocks: the inputs cannot be concatenated")

// ConcatResult is what ConcatMerge wrote.
type ConcatResult struct {
	Meta          Meta
	Traces, Spans int
	// CopiedRowGroups counts the input row groups copied whole; the others
	// were appended column by column into larger row groups.
	CopiedRowGroups int
}

// concatGroup is one input row group of a concatenation, and its summary.
type concatGroup struct {
	src        *pfile
	input      int // its input's position in the merge
	group      int
	rows       int64
	bytes      int64 // compressed
	ids        []model.TraceID
	spans      int
	start, end uint64 // over its traces with spans
	hasSpans   bool
}

// ConcatMerge writes the merge of the blocks of metas as one new block,
// written with opts, by concatenating their columns (see above); input row
// groups of at least copyBytes compressed bytes are copied whole (none
// when copyBytes <= 0). It returns an error wrapping ErrCannotConcat, with
// nothing written, when the inputs do not allow it.
func (s *Store) ConcatMerge(ctx context.Context, metas []Meta, opts WriteOptions, copyBytes int64) (ConcatResult, error) {
	files := make([]*pfile, len(metas))
	defer func() {
		for _, f := range files {
			if f != nil {
				f.r.release()
			}
		}
	}()
	if err := s.openInputs(ctx, metas, files); err != nil {
		return ConcatResult{}, err
	}
	dedicated := usableDedicated(opts.DedicatedColumns)
	var groups []concatGroup
	for i, f := range files {
		if !canCopyFrom(f, metas[i], dedicated) || !f.leaves.traceID.ok || !f.leaves.spanID.ok {
			return ConcatResult{}, fmt.Errorf("%w: %s was not written with the output's layout", ErrCannotConcat, f.r.key)
		}
		for g, rg := range f.file.Metadata().RowGroups {
			if rg.NumRows > 0 {
				groups = append(groups, concatGroup{src: f, input: i, group: g, rows: rg.NumRows, bytes: rg.TotalCompressedSize})
			}
		}
	}
	if a, b, ok := overlap(groups); ok {
		// Known from the footers: no need to read the trace IDs.
		return ConcatResult{}, fmt.Errorf("%w: the trace-ID ranges of %s row group %d and %s row group %d overlap",
			ErrCannotConcat, a.src.r.key, a.group, b.src.r.key, b.group)
	}
	for i := range groups {
		if err := ctx.Err(); err != nil {
			return ConcatResult{}, err
		}
		if err := groups[i].summarize(); err != nil {
			return ConcatResult{}, err
		}
	}
	sort.SliceStable(groups, func(a, b int) bool {
		return model.CompareTraceIDs(groups[a].ids[0], groups[b].ids[0]) < 0
	})
	var prev *model.TraceID
	for i := range groups {
		g := &groups[i]
		for j := range g.ids {
			if prev != nil && model.CompareTraceIDs(*prev, g.ids[j]) >= 0 {
				return ConcatResult{}, fmt.Errorf("%w: trace %s of %s comes after %s", ErrCannotConcat, g.ids[j], g.src.r.key, *prev)
			}
			prev = &g.ids[j]
		}
	}
	if len(groups) == 0 {
		return ConcatResult{}, fmt.Errorf("%w: no traces", ErrCannotConcat)
	}

	w, err := NewBlockWriter(ctx, s, opts)
	if err != nil {
		return ConcatResult{}, err
	}
	// Counted in the store's Progress only now: a merge that cannot
	// concatenate reads the inputs again trace by trace, and counts them.
	prog := s.trackScan(metas)
	res, err := w.concat(groups, copyBytes, prog)
	for i := range metas {
		prog.block(i)
	}
	if err == nil {
		res.Meta, err = w.Finish()
	}
	if err != nil {
		w.Abort()
		if errors.Is(err, column.ErrCorrupt) {
			err = fmt.Errorf("%w: %w", ErrCannotConcat, err)
		}
		return ConcatResult{}, err
	}
	return res, nil
}

// overlap returns two groups whose trace-ID ranges, as their footers'
// statistics give them, overlap (groups without statistics are left to
// the check of their trace IDs).
func overlap(groups []concatGroup) (a, b *concatGroup, ok bool) {
	type span struct {
		lo, hi []byte
		g      *concatGroup
	}
	var spans []span
	for i := range groups {
		g := &groups[i]
		if lo, hi, ok := groupIDRange(g.src.file.Metadata().RowGroups[g.group], g.src.leaves.traceID.Index); ok {
			spans = append(spans, span{lo, hi, g})
		}
	}
	slices.SortFunc(spans, func(x, y span) int { return bytes.Compare(x.lo, y.lo) })
	for i := 1; i < len(spans); i++ {
		if bytes.Compare(spans[i].lo, spans[i-1].hi) <= 0 {
			return spans[i-1].g, spans[i].g, true
		}
	}
	return nil, nil, false
}

// openInputs opens the footers of the blocks of metas into files, a few
// at once (on an object store each is a round trip). An input that does
// not open (damaged, say) is ErrCannotConcat: the merge trace by trace
// meets it and deals with it.
func (s *Store) openInputs(ctx context.Context, metas []Meta, files []*pfile) error {
	var eg errgroup.Group
	eg.SetLimit(footersAtOnce)
	errs := make([]error, len(metas))
	for i, m := range metas {
		eg.Go(func() error {
			files[i], errs[i] = s.block(m).open(ctx)
			return nil
		})
	}
	eg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCannotConcat, err)
		}
	}
	return nil
}

// summarize reads the group's trace IDs, span counts and time range from
// its trace-level columns and span IDs. Anything unexpected (an ID not of
// 16 bytes, IDs out of order, a row count off, damage) is ErrCannotConcat.
func (g *concatGroup) summarize() error {
	f := g.src
	l := f.leaves
	cols := []int{l.traceID.Index, l.traceStart.Index, l.traceEnd.Index, l.spanID.Index}
	// The chunks in a few reads, not one per page (local files too).
	rs := make([]byteRange, len(cols))
	for i, c := range cols {
		rs[i] = f.chunkRange(g.group, c)
	}
	slices.SortFunc(rs, func(a, b byteRange) int { return cmp.Compare(a.off, b.off) })
	if err := f.r.prefetchRanges(coalesce(rs, maxChunkGap)); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrCannotConcat, f.r.key, err)
	}
	defer f.r.putWindows()
	chunks := f.file.RowGroups()[g.group].ColumnChunks()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s row group %d: %s", ErrCannotConcat, f.r.key, g.group, fmt.Sprintf(format, args...))
	}
	g.ids = make([]model.TraceID, 0, g.rows)
	ids := column.NewReader(chunks[l.traceID.Index], l.traceID.Leaf)
	defer ids.Close()
	for ; ids.More(); ids.Advance() {
		b := ids.Bytes()
		if ids.Rep() != 0 || !ids.Present() || len(b) != len(model.TraceID{}) {
			return bad("a trace ID of %d bytes", len(b))
		}
		g.ids = append(g.ids, model.TraceID(b))
		if n := len(g.ids); n > 1 && bytes.Compare(g.ids[n-2][:], b) >= 0 {
			return bad("trace IDs out of order")
		}
	}
	if err := ids.Err(); err != nil {
		return bad("%v", err)
	}
	if int64(len(g.ids)) != g.rows {
		return bad("%d trace IDs in %d rows", len(g.ids), g.rows)
	}
	spans := make([]int, 0, g.rows)
	sp := column.NewReader(chunks[l.spanID.Index], l.spanID.Leaf)
	defer sp.Close()
	for ; sp.More(); sp.Advance() {
		if sp.Rep() == 0 {
			spans = append(spans, 0)
		} else if len(spans) == 0 {
			return bad("span IDs do not start a row")
		}
		if sp.Present() {
			spans[len(spans)-1]++
		}
	}
	if err := sp.Err(); err != nil {
		return bad("%v", err)
	}
	if int64(len(spans)) != g.rows {
		return bad("span IDs of %d rows in %d", len(spans), g.rows)
	}
	starts := column.NewReader(chunks[l.traceStart.Index], l.traceStart.Leaf)
	defer starts.Close()
	ends := column.NewReader(chunks[l.traceEnd.Index], l.traceEnd.Leaf)
	defer ends.Close()
	g.start, g.end = math.MaxUint64, 0
	for i := range spans {
		if !starts.More() || !ends.More() || !starts.Present() || !ends.Present() {
			return bad("trace times of %d rows in %d", i, g.rows)
		}
		if spans[i] > 0 {
			g.spans += spans[i]
			g.hasSpans = true
			g.start = min(g.start, uint64(starts.Int64()))
			g.end = max(g.end, uint64(ends.Int64()))
		}
		starts.Advance()
		ends.Advance()
	}
	if err := errors.Join(starts.Err(), ends.Err()); err != nil {
		return bad("%v", err)
	}
	return nil
}

// concat writes groups, sorted by trace ID, as the block's rows: each
// group of at least copyBytes copied whole as a row group of its own, the
// others appended column by column, a row group cut once it reaches the
// writer's RowGroupBytes; each group is counted done in prog. The writer's goroutine is stopped first, and no
// trace may be added after.
func (w *BlockWriter) concat(groups []concatGroup, copyBytes int64, prog *scanProgress) (ConcatResult, error) {
	var res ConcatResult
	if w.err != nil {
		return res, w.err
	}
	if len(w.ids) > 0 {
		return res, w.fail(errors.New("blocks: a concatenation into a writer that has traces"))
	}
	w.stopWriter()
	w.concatenated = true
	key := w.key(dataObject)
	ncols := len(traceSchema().Columns())
	for i := range groups {
		g := &groups[i]
		if err := w.ctx.Err(); err != nil {
			return res, err
		}
		whole := copyBytes > 0 && g.bytes >= copyBytes
		if whole {
			// A copied row group stands alone.
			if err := w.flushGroup(); err != nil {
				return res, err
			}
			if err := w.copyGroup(g.src, g.group, ncols); err != nil {
				return res, err
			}
			res.CopiedRowGroups++
		} else if err := w.appendGroup(g, ncols); err != nil {
			return res, err
		}
		w.ids = append(w.ids, g.ids...)
		w.groupRows += int(g.rows)
		w.lastID = g.ids[len(g.ids)-1]
		if g.hasSpans {
			w.start = min(w.start, g.start)
			w.end = max(w.end, g.end)
		}
		res.Traces += len(g.ids)
		res.Spans += g.spans
		prog.group(g.input)
		if whole || w.pw.GroupSize() >= w.opts.RowGroupBytes {
			if err := w.flushGroup(); err != nil {
				return res, fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	return res, nil
}

// appendGroup appends every leaf of g's chunks to the row group being
// written.
func (w *BlockWriter) appendGroup(g *concatGroup, ncols int) error {
	f := g.src
	// The row group in one read, not one per page (local files too).
	if err := f.r.prefetchRanges([]byteRange{f.groupRangeOf(g.group)}); err != nil {
		return fmt.Errorf("reading %s: %w", f.r.key, err)
	}
	defer f.r.putWindows()
	chunks := f.file.RowGroups()[g.group].ColumnChunks()
	paths := traceSchema().Columns()
	for c := range ncols {
		l, ok := column.Lookup(f.file.Schema(), paths[c]...)
		if !ok || l.Index != c {
			return fmt.Errorf("%w: %s has no column %d", ErrCannotConcat, f.r.key, c)
		}
		r := column.NewReader(chunks[c], l)
		n, err := w.pw.Chunk(c).Append(r)
		r.Close()
		if err != nil {
			return fmt.Errorf("appending %s row group %d: %w", f.r.key, g.group, decodeErr(f.r.key, err))
		}
		if n != g.rows {
			return fmt.Errorf("%w: %s row group %d: %d rows in column %d, %d in the footer", ErrCannotConcat, f.r.key, g.group, n, c, g.rows)
		}
	}
	return nil
}

// copyGroup copies every chunk of row group g of f into the row group
// being written (which must be empty).
func (w *BlockWriter) copyGroup(f *pfile, g, ncols int) error {
	cols := make([]int, ncols)
	for c := range cols {
		cols[c] = c
	}
	if f.r.path == "" {
		if err := f.r.prefetchRanges(f.copyRanges(g, cols)); err != nil {
			return copyErr(f.r.key, err)
		}
		defer f.r.putWindows()
	}
	srcs, err := column.GroupSources(f.r, f.r.size, f.file.Metadata(), g, cols)
	if err != nil {
		return copyErr(f.r.key, err)
	}
	for i, c := range cols {
		if err := w.pw.Chunk(c).Copy(srcs[i]); err != nil {
			return copyErr(f.r.key, err)
		}
	}
	w.copiedChunks += len(cols)
	return nil
}

// groupRangeOf is the byte range of row group g's column chunks.
func (p *pfile) groupRangeOf(g int) byteRange {
	off, n := p.groupRange(g)
	return byteRange{off, n}
}
