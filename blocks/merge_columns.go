package blocks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/model"
)

// Merging blocks column by column: when no trace is in two inputs of a
// merge (the blocks of one ingest never share one) and every input is a
// block tracectl wrote with the output's layout and dedicated columns,
// each row of the output is a row of one input, as it is. Then no trace is
// decoded or encoded: the merge walks the inputs' rows in trace-ID order
// and appends each run of rows of one input to every leaf column of the
// output (column.ChunkWriter.Append); an input row group that comes out
// whole, large enough to stand alone, is copied page for page (as
// MergeCopier copies). Only the trace IDs, trace times and span IDs are
// read first, for the order, the bloom filter, the meta and the counts.

// ErrTraceMergeNeeded says a merge's inputs cannot be merged column by
// column (a trace is in two of them, one was not written by tracectl with
// the output's layout, or damage was met): nothing was published, and the
// merge is to be done trace by trace.
var ErrTraceMergeNeeded = errors.New("blocks: the inputs need a merge trace by trace")

// ColumnMergeResult is what ColumnMerge wrote.
type ColumnMergeResult struct {
	Meta          Meta
	Traces, Spans int
	// CopiedRowGroups counts the input row groups copied whole; the rows
	// of the others were appended column by column.
	CopiedRowGroups int
}

// mergeGroup is one input row group of a column merge, and its summary.
type mergeGroup struct {
	group      int
	rows       int64
	bytes      int64 // compressed
	ids        []model.TraceID
	spans      int
	start, end uint64 // over its traces with spans (when spans > 0)
}

// mergeInput is one input of a column merge: its row groups in order and,
// while the merge reads one, a reader per leaf column.
type mergeInput struct {
	f       *pfile
	pos     int // its position in the merge
	groups  []mergeGroup
	cur     int              // the row group being merged
	done    int64            // its rows merged so far
	readers []*column.Reader // over cur, once opened

	// f2 is the input opened a second time, for a second goroutine that
	// checks the pages of the row groups copied (see checkPagesDecode);
	// open2 opens it.
	f2    *pfile
	open2 func() (*pfile, error)
}

// mergeRun is n rows of an input, next in trace-ID order.
type mergeRun struct {
	in *mergeInput
	n  int64
}

// ColumnMerge writes the merge of the blocks of metas as one new block,
// written with opts, column by column (see above); input row groups of at
// least copyBytes compressed bytes that come out whole are copied (none
// when copyBytes <= 0). It returns an error wrapping ErrTraceMergeNeeded,
// with nothing written, when the inputs do not allow it.
func (s *Store) ColumnMerge(ctx context.Context, metas []Meta, opts WriteOptions, copyBytes int64) (ColumnMergeResult, error) {
	files := make([]*pfile, len(metas))
	defer func() {
		for _, f := range files {
			if f != nil {
				f.r.release()
			}
		}
	}()
	// An input that does not open (damaged, say) is left to the merge
	// trace by trace, which deals with it.
	if err := s.openFooters(ctx, metas, files, nil); err != nil {
		if ctx.Err() != nil {
			return ColumnMergeResult{}, ctx.Err()
		}
		return ColumnMergeResult{}, fmt.Errorf("%w: %w", ErrTraceMergeNeeded, err)
	}
	dedicated := usableDedicated(opts.DedicatedColumns)
	inputs := make([]*mergeInput, len(files))
	for i, f := range files {
		if !canCopyFrom(f, metas[i], dedicated) || !f.leaves.traceID.ok || !f.leaves.spanID.ok {
			return ColumnMergeResult{}, fmt.Errorf("%w: %s was not written with the output's layout", ErrTraceMergeNeeded, f.r.key)
		}
		in := &mergeInput{f: f, pos: i, open2: func() (*pfile, error) { return s.block(metas[i]).open(ctx) }}
		for g, rg := range f.file.Metadata().RowGroups {
			if err := ctx.Err(); err != nil {
				return ColumnMergeResult{}, err
			}
			if rg.NumRows == 0 {
				continue
			}
			mg := mergeGroup{group: g, rows: rg.NumRows, bytes: rg.TotalCompressedSize}
			if err := mg.summarize(f); err != nil {
				return ColumnMergeResult{}, cmp.Or(ctx.Err(), err)
			}
			if n := len(in.groups); n > 0 {
				last := &in.groups[n-1]
				if model.CompareTraceIDs(last.ids[len(last.ids)-1], mg.ids[0]) >= 0 {
					return ColumnMergeResult{}, fmt.Errorf("%w: %s: row group %d does not follow row group %d in trace-ID order",
						ErrTraceMergeNeeded, f.r.key, g, last.group)
				}
			}
			in.groups = append(in.groups, mg)
		}
		inputs[i] = in
	}
	runs, err := mergeRuns(inputs)
	if err != nil {
		return ColumnMergeResult{}, err
	}
	if len(runs) == 0 {
		return ColumnMergeResult{}, fmt.Errorf("%w: no traces", ErrTraceMergeNeeded)
	}

	w, err := NewBlockWriter(ctx, s, opts)
	if err != nil {
		return ColumnMergeResult{}, err
	}
	// Counted in the store's Progress only now, once the merge goes
	// column by column. If it fails after all (damage met), the merge
	// trace by trace counts the inputs again: the totals grow, as they do
	// for a command's second scan.
	prog := s.trackScan(metas)
	res, err := w.mergeColumns(inputs, runs, copyBytes, prog)
	for _, in := range inputs {
		in.close()
		prog.block(in.pos)
	}
	if err == nil {
		res.Meta, err = w.Finish()
	}
	if err != nil {
		w.Abort()
		if ctx.Err() != nil {
			return ColumnMergeResult{}, ctx.Err()
		}
		if errors.Is(err, column.ErrCorrupt) {
			err = fmt.Errorf("%w: %w", ErrTraceMergeNeeded, err)
		}
		return ColumnMergeResult{}, err
	}
	return res, nil
}

// mergeRuns returns the inputs' rows in trace-ID order, as runs of rows of
// one input within one of its row groups. A trace in two inputs is
// ErrTraceMergeNeeded (its parts must be merged).
func mergeRuns(inputs []*mergeInput) ([]mergeRun, error) {
	type head struct {
		in     *mergeInput
		g, row int // the next row: row of group g
	}
	var heads []head
	for _, in := range inputs {
		if len(in.groups) > 0 {
			heads = append(heads, head{in: in})
		}
	}
	id := func(h head) model.TraceID { return h.in.groups[h.g].ids[h.row] }
	var runs []mergeRun
	for len(heads) > 0 {
		// The head with the smallest ID runs until another head's ID, or
		// its row group's end (few inputs: a scan beats a heap).
		best, next := 0, -1
		for i := 1; i < len(heads); i++ {
			switch c := model.CompareTraceIDs(id(heads[i]), id(heads[best])); {
			case c == 0:
				return nil, fmt.Errorf("%w: trace %s is in %s and %s", ErrTraceMergeNeeded, id(heads[i]),
					heads[best].in.f.r.key, heads[i].in.f.r.key)
			case c < 0:
				best, next = i, best
			case next < 0 || model.CompareTraceIDs(id(heads[i]), id(heads[next])) < 0:
				next = i
			}
		}
		h := &heads[best]
		ids := h.in.groups[h.g].ids
		end := len(ids)
		if next >= 0 {
			// The rows of h below the next head's ID (at least one: h's
			// first is below it); an equal ID is the duplicate found when
			// h reaches it.
			n, _ := slices.BinarySearchFunc(ids[h.row:], id(heads[next]), model.CompareTraceIDs)
			end = h.row + n
		}
		runs = append(runs, mergeRun{in: h.in, n: int64(end - h.row)})
		h.row = end
		if h.row == len(ids) {
			h.g, h.row = h.g+1, 0
			if h.g == len(h.in.groups) {
				heads = slices.Delete(heads, best, best+1)
			}
		}
	}
	return runs, nil
}

// summarize reads the group's trace IDs, span counts and time range from
// its trace-level columns and span IDs. Anything unexpected (an ID not of
// 16 bytes, IDs out of order, a row count off, damage) is
// ErrTraceMergeNeeded.
func (g *mergeGroup) summarize(f *pfile) error {
	l := f.leaves
	cols := []int{l.traceID.Index, l.traceStart.Index, l.traceEnd.Index, l.spanID.Index}
	// The chunks in a few reads, not one per page (local files too).
	rs := make([]byteRange, len(cols))
	for i, c := range cols {
		rs[i] = f.chunkRange(g.group, c)
	}
	slices.SortFunc(rs, func(a, b byteRange) int { return cmp.Compare(a.off, b.off) })
	if err := f.r.prefetchRanges(coalesce(rs, maxChunkGap)); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrTraceMergeNeeded, f.r.key, err)
	}
	defer f.r.putWindows()
	chunks := f.file.RowGroups()[g.group].ColumnChunks()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s row group %d: %s", ErrTraceMergeNeeded, f.r.key, g.group, fmt.Sprintf(format, args...))
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
		if n := len(g.ids); n > 1 && model.CompareTraceIDs(g.ids[n-2], g.ids[n-1]) >= 0 {
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

// mergeColumns writes the runs' rows as the block's: a run that is a whole
// input row group of at least copyBytes is copied as a row group of its
// own, the others appended column by column, a row group cut once it
// reaches the writer's RowGroupBytes; each input row group finished is
// counted in prog. The writer's goroutine is stopped first, and no trace
// may be added after.
func (w *BlockWriter) mergeColumns(inputs []*mergeInput, runs []mergeRun, copyBytes int64, prog *scanProgress) (ColumnMergeResult, error) {
	var res ColumnMergeResult
	if w.err != nil {
		return res, w.err
	}
	if len(w.ids) > 0 {
		return res, w.fail(errors.New("blocks: a column merge into a writer that has traces"))
	}
	w.stopWriter()
	w.columnMerged = true
	key := w.key(dataObject)
	for _, in := range inputs {
		for _, g := range in.groups {
			res.Traces += len(g.ids)
			res.Spans += g.spans
			if g.spans > 0 {
				w.start = min(w.start, g.start)
				w.end = max(w.end, g.end)
			}
		}
	}
	for _, run := range runs {
		if err := w.ctx.Err(); err != nil {
			return res, err
		}
		in := run.in
		g := &in.groups[in.cur]
		ids := g.ids[in.done : in.done+run.n]
		if in.done == 0 && run.n == g.rows && copyBytes > 0 && g.bytes >= copyBytes {
			// A whole row group, large enough: copied, as a row group
			// of its own.
			if err := w.flushGroup(); err != nil {
				return res, fmt.Errorf("%s: %w", key, err)
			}
			if err := w.copyGroup(in, g.group, ids); err != nil {
				return res, err
			}
			res.CopiedRowGroups++
		} else {
			if err := w.appendRows(in, ids); err != nil {
				return res, err
			}
			if w.pw.GroupSize() >= w.opts.RowGroupBytes {
				if err := w.flushGroup(); err != nil {
					return res, fmt.Errorf("%s: %w", key, err)
				}
			}
		}
		if in.done += run.n; in.done == g.rows {
			in.closeGroup()
			in.cur, in.done = in.cur+1, 0
			prog.group(in.pos)
		}
	}
	return res, nil
}

// addedRows records ids as the next rows of the row group being written.
func (w *BlockWriter) addedRows(ids []model.TraceID) {
	w.ids = append(w.ids, ids...)
	w.groupRows += len(ids)
	w.lastID = ids[len(ids)-1]
}

// appendRows appends the next len(ids) rows of in's current row group
// (opened first if it is not) to every leaf of the row group being
// written.
func (w *BlockWriter) appendRows(in *mergeInput, ids []model.TraceID) error {
	if in.readers == nil {
		if err := in.open(); err != nil {
			return err
		}
	}
	n := int64(len(ids))
	for c, r := range in.readers {
		got, err := w.pw.Chunk(c).Append(r, n)
		if err != nil {
			return fmt.Errorf("merging %s row group %d: %w", in.f.r.key, in.groups[in.cur].group, decodeErr(in.f.r.key, err))
		}
		if got != n {
			return fmt.Errorf("%w: %s row group %d: %d rows of column %d, %d expected", ErrTraceMergeNeeded, in.f.r.key, in.groups[in.cur].group, got, c, n)
		}
	}
	w.addedRows(ids)
	return nil
}

// copyGroup copies every chunk of row group g of the input, whose trace
// IDs are ids, once its pages decode, as a row group of its own (the one
// being written must be empty).
func (w *BlockWriter) copyGroup(in *mergeInput, g int, ids []model.TraceID) error {
	cols := make([]int, len(in.f.file.Metadata().RowGroups[g].Columns))
	for c := range cols {
		cols[c] = c
	}
	w.addedRows(ids)
	return w.copyChunks(in.f, g, cols, func() error { return in.checkPagesDecode(g, int64(len(ids))) })
}

// checkPagesDecode decodes every page of row group g of the input, which
// holds rows rows, and discards the values: the checks of a copy
// (column.ChunkWriter.Copy) parse the page headers and match the CRCs of
// the bodies, but a header's own fields (encoding, level lengths) have no
// CRC, and the merge trace by trace, which decodes every row, would find
// them damaged. On a local file with more than one core, a second
// goroutine checks half the columns through the file opened a second time
// (an opened file is read by one goroutine at a time).
func (in *mergeInput) checkPagesDecode(g int, rows int64) error {
	cols := len(in.f.file.Schema().Columns())
	if in.f.r.path != "" && runtime.GOMAXPROCS(0) > 1 && in.f2 == nil && in.open2 != nil {
		in.f2, _ = in.open2() // without it, one goroutine checks them all
		in.open2 = nil
	}
	if in.f2 == nil {
		return checkColumnsDecode(in.f, g, rows, 0, cols)
	}
	half := cols / 2
	done := make(chan error, 1)
	go func() { done <- checkColumnsDecode(in.f2, g, rows, half, cols) }()
	err := checkColumnsDecode(in.f, g, rows, 0, half)
	// The first error in column order.
	return cmp.Or(err, <-done)
}

// checkColumnsDecode decodes every page of columns [from, to) of row
// group g of f (see checkPagesDecode), as blocks verify does
// (pfile.checkPages).
func checkColumnsDecode(f *pfile, g int, rows int64, from, to int) error {
	chunks := f.file.RowGroups()[g].ColumnChunks()
	leaves := f.columnLeaves()
	for c := from; c < to; c++ {
		l := leaves[c]
		if !l.ok {
			return fmt.Errorf("%w: %s has no column %d", ErrTraceMergeNeeded, f.r.key, c)
		}
		n, err := decodedRows(chunks[c], l.Leaf)
		if err != nil {
			return fmt.Errorf("checking %s row group %d: %w", f.r.key, g, decodeErr(f.r.key, err))
		}
		if n != rows {
			return decodeErr(f.r.key, fmt.Errorf("%w: row group %d: %d rows in column %s, %d in its trace IDs", column.ErrCorrupt, g, n, l.Path, rows))
		}
	}
	return nil
}

// localPrefetchBytes is the size up to which a row group of a local file
// is read into memory at once when its rows are merged, rather than page
// by page: one read instead of one per page of each of its chunks.
const localPrefetchBytes = 8 << 20

// open starts reading the input's current row group: a reader per leaf
// column, over the group's bytes read at once (on an object store, or a
// small group of a local file).
func (in *mergeInput) open() error {
	f, g := in.f, in.groups[in.cur]
	if f.r.path == "" || g.bytes <= localPrefetchBytes {
		off, n := f.groupRange(g.group)
		if err := f.r.prefetchRanges([]byteRange{{off, n}}); err != nil {
			return fmt.Errorf("reading %s: %w", f.r.key, err)
		}
	}
	chunks := f.file.RowGroups()[g.group].ColumnChunks()
	paths := traceSchema().Columns()
	leaves := f.columnLeaves()
	in.readers = make([]*column.Reader, len(paths))
	for c, path := range paths {
		// The file's column c is the writer's: at its path, resolved.
		if c >= len(leaves) || !leaves[c].ok || !slices.Equal(leaves[c].Path, path) {
			in.closeGroup()
			return fmt.Errorf("%w: %s has no column %d", ErrTraceMergeNeeded, f.r.key, c)
		}
		in.readers[c] = column.NewReader(chunks[c], leaves[c].Leaf)
	}
	return nil
}

// closeGroup closes the readers of the current row group and drops its
// bytes.
func (in *mergeInput) closeGroup() {
	for _, r := range in.readers {
		if r != nil {
			r.Close()
		}
	}
	in.readers = nil
	in.f.r.putWindows()
}

// close releases what the input still holds.
func (in *mergeInput) close() {
	if in.readers != nil {
		in.closeGroup()
	}
	if in.f2 != nil {
		in.f2.r.release()
		in.f2 = nil
	}
}
