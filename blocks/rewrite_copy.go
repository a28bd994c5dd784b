package blocks

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/model"
)

// Rewriting a block column-wise: a transform that declares the parts of
// traces it changes (RewriteOptions.Changes) leaves the other columns of
// data.parquet as they were, so the new block takes them from the old one
// chunk by chunk (column.ChunkWriter.Copy), row group for row group, and
// encodes only the columns of the changed parts from the transformed
// traces. The result is the file a full rewrite with the same row groups
// writes (TestRewriteCopiesColumns).

// partColumns are the leaf columns holding each part, and the trace-level
// columns derived from it; a name ending in "." is a prefix.
var partColumns = []struct {
	part    model.TraceParts
	columns []string
}{
	{model.PartResourceAttributes, []string{"RootServiceName", "ServiceStats.", "rs.list.element.Resource."}},
	{model.PartScopeAttributes, []string{scopeColumns + "Attrs.", scopeColumns + "DroppedAttributesCount"}},
	{model.PartSpanAttributes, spanAttrColumns},
	{model.PartEventAttributes, []string{spanColumns + "Events.list.element.Attrs.", spanColumns + "Events.list.element.DroppedAttributesCount"}},
	{model.PartLinkAttributes, []string{spanColumns + "Links.list.element.Attrs.", spanColumns + "Links.list.element.DroppedAttributesCount"}},
	{model.PartSpanNames, []string{"RootSpanName", spanColumns + "Name"}},
	{model.PartEventNames, []string{spanColumns + "Events.list.element.Name"}},
	{model.PartStatusMessages, []string{spanColumns + "StatusMessage"}},
}

const (
	scopeColumns = "rs.list.element.ss.list.element.Scope."
	spanColumns  = "rs.list.element.ss.list.element.Spans.list.element."
)

// spanAttrColumns hold a span's attributes: the generic list, its dropped
// count, and the static and dedicated columns attributes move to.
var spanAttrColumns = []string{spanColumns + "Attrs.", spanColumns + "DroppedAttributesCount",
	spanColumns + "HttpMethod", spanColumns + "HttpUrl", spanColumns + "HttpStatusCode", spanColumns + "DedicatedAttributes."}

// copiedLeaves returns, per leaf column of data.parquet, whether a
// transform changing only parts leaves it as it is.
func copiedLeaves(parts model.TraceParts) []bool {
	cols := traceSchema().Columns()
	copied := make([]bool, len(cols))
	for i, path := range cols {
		name := strings.Join(path, ".")
		copied[i] = true
		for _, pc := range partColumns {
			if parts&pc.part != 0 && matchesColumn(name, pc.columns) {
				copied[i] = false
			}
		}
	}
	return copied
}

// canCopyFrom reports whether the columns of f can be copied into a block
// written now with the dedicated columns dedicated (a writer's, as
// usableDedicated leaves them): f has the leaf columns the writer writes,
// in the same order, types and levels, its trace times are exact
// (tracectl wrote it), and its dedicated columns are the same.
func canCopyFrom(f *pfile, m Meta, dedicated []DedicatedColumn) bool {
	sameColumn := func(a, b DedicatedColumn) bool {
		return a.Scope == b.Scope && a.Name == b.Name && a.Type == b.Type && slices.Equal(a.Options, b.Options)
	}
	if !f.exactTimes || !slices.EqualFunc(dedicated, m.DedicatedColumns, sameColumn) {
		return false
	}
	want := traceSchema()
	got := f.file.Schema()
	cols := want.Columns()
	if len(got.Columns()) != len(cols) {
		return false
	}
	for _, rg := range f.file.Metadata().RowGroups {
		if len(rg.Columns) != len(cols) {
			return false
		}
	}
	for i, path := range cols {
		a, _ := want.Lookup(path...)
		b, ok := got.Lookup(path...)
		if !ok || b.ColumnIndex != i || a.MaxRepetitionLevel != b.MaxRepetitionLevel ||
			a.MaxDefinitionLevel != b.MaxDefinitionLevel || a.Node.Type().Kind() != b.Node.Type().Kind() {
			return false
		}
	}
	return true
}

// groupCopy is a row group of the block being written whose leaves in
// copied are copied from row group group of src, and the rest encoded
// from the traces added between BlockWriter.beginCopy and endCopy.
type groupCopy struct {
	src   *pfile
	group int
	*leafCopy
}

// leafCopy is which leaves a copied row group copies, and what derives
// from that, worked out once for all the row groups copied alike.
type leafCopy struct {
	copied []bool
	cols   []int      // the copied leaves
	skip   encodeSkip // sections of the encoder whose leaves are all copied
}

func newLeafCopy(copied []bool) *leafCopy {
	lc := &leafCopy{copied: copied, skip: skipOf(copied)}
	for i, ok := range copied {
		if ok {
			lc.cols = append(lc.cols, i)
		}
	}
	return lc
}

// encodeSkip names the sections of a trace the encoder leaves out, their
// leaves being copied.
type encodeSkip struct {
	resource, scopes, spanCore, spanAttrs, events, links bool
}

// spans reports whether every span leaf is copied.
func (sk encodeSkip) spans() bool { return sk.spanCore && sk.spanAttrs && sk.events && sk.links }

// sectionPrefixes are the leaf names of each section but spanCore (the
// span leaves of no other section); a name ending in "." is a prefix.
var sectionPrefixes = []struct {
	skip     func(*encodeSkip) *bool
	prefixes []string
}{
	{func(sk *encodeSkip) *bool { return &sk.resource }, []string{"rs.list.element.Resource."}},
	{func(sk *encodeSkip) *bool { return &sk.scopes }, []string{scopeColumns}},
	{func(sk *encodeSkip) *bool { return &sk.spanAttrs }, spanAttrColumns},
	{func(sk *encodeSkip) *bool { return &sk.events }, []string{spanColumns + "Events.", spanColumns + "DroppedEventsCount"}},
	{func(sk *encodeSkip) *bool { return &sk.links }, []string{spanColumns + "Links.", spanColumns + "DroppedLinksCount"}},
}

// skipOf returns the sections whose leaves are all copied.
func skipOf(copied []bool) encodeSkip {
	sk := encodeSkip{resource: true, scopes: true, spanCore: true, spanAttrs: true, events: true, links: true}
	for i, path := range traceSchema().Columns() {
		if copied[i] {
			continue
		}
		name := strings.Join(path, ".")
		in := false
		for _, sp := range sectionPrefixes {
			if matchesColumn(name, sp.prefixes) {
				*sp.skip(&sk) = false
				in = true
			}
		}
		if !in && strings.HasPrefix(name, spanColumns) {
			sk.spanCore = false
		}
	}
	return sk
}

// matchesColumn reports whether leaf name is one of columns (a name
// ending in "." is a prefix).
func matchesColumn(name string, columns []string) bool {
	for _, c := range columns {
		if name == c || strings.HasSuffix(c, ".") && strings.HasPrefix(name, c) {
			return true
		}
	}
	return false
}

// beginCopy starts a copied row group: the traces added until endCopy
// are its rows (as many as the source row group has), and only its
// encoded leaves are written from them.
func (w *BlockWriter) beginCopy(gc *groupCopy) error {
	if w.err != nil {
		return w.err
	}
	if w.copying != nil {
		return w.fail(errors.New("blocks: beginCopy inside a copied row group"))
	}
	if err := w.sendRows(); err != nil {
		return w.fail(err)
	}
	w.copying = gc
	return nil
}

// endCopy ends the copied row group begun last.
func (w *BlockWriter) endCopy() error {
	if w.err != nil {
		return w.err
	}
	if w.copying == nil {
		return w.fail(errors.New("blocks: endCopy without beginCopy"))
	}
	b := w.batch()
	b.endCopy = true
	w.copying = nil
	if err := w.sendRows(); err != nil {
		return w.fail(err)
	}
	return nil
}

// writeBatch is the writer goroutine's work on one batch: its rows, and
// for the end of a copied row group the copied chunks and the cut.
func (w *BlockWriter) writeBatch(b *encoder) error {
	key := w.key(dataObject)
	after := w.rowWritten
	if b.copy != nil {
		if w.groupCopy != b.copy {
			// The rows before the copied group are a row group of their own.
			if err := w.flushGroup(); err != nil {
				return err
			}
			w.groupCopy = b.copy
		}
		after = w.rowCounted
	}
	if err := b.write(key, w.pw, after); err != nil {
		return err
	}
	if !b.endCopy {
		return nil
	}
	gc := w.groupCopy
	w.groupCopy = nil
	srcKey := gc.src.r.key
	if rows := gc.src.file.Metadata().RowGroups[gc.group].NumRows; int64(w.groupRows) != rows {
		return fmt.Errorf("%w: %s: %d traces added for a copied row group of %d rows of %s", ErrCopyPlan, key, w.groupRows, rows, srcKey)
	}
	return w.copyChunks(gc.src, gc.group, gc.cols, nil)
}

// copyChunks makes the chunks of cols of row group g of src those of the
// row group being written (whose other leaves hold as many rows) and
// flushes it; check, when set, runs first, with the chunks at hand. On an
// object store the chunks and their page indexes are read in a few
// requests, not one per chunk and index, and kept until the flush has
// written them.
func (w *BlockWriter) copyChunks(src *pfile, g int, cols []int, check func() error) error {
	if src.r.path == "" {
		if err := src.r.prefetchRanges(src.copyRanges(g, cols)); err != nil {
			return copyErr(src.r.key, err)
		}
		defer src.r.putWindows()
	}
	if check != nil {
		if err := check(); err != nil {
			return err
		}
	}
	srcs, err := column.GroupSources(src.r, src.r.size, src.file.Metadata(), g, cols)
	if err != nil {
		return copyErr(src.r.key, err)
	}
	for i, c := range cols {
		if err := w.pw.Chunk(c).Copy(srcs[i]); err != nil {
			return err
		}
	}
	w.copiedChunks += len(cols)
	if err := w.flushGroup(); err != nil {
		return copyErr(src.r.key, err)
	}
	return nil
}

// errCopyDamaged marks damage found in the chunks a rewrite copies: the
// reader never decoded them (derived columns, page indexes), and a full
// rewrite, which encodes them again from the traces, does without them.
var errCopyDamaged = errors.New("blocks: a copied column chunk is damaged")

// copyErr is err, met copying chunks of srcKey; damage (column.ErrCorrupt)
// is marked errCopyDamaged (a rewrite encodes the block in full instead)
// and names the block (a merge leaves it out, as damage the reader meets).
func copyErr(srcKey string, err error) error {
	err = fmt.Errorf("copying from %s: %w", srcKey, err)
	if errors.Is(err, column.ErrCorrupt) {
		return fmt.Errorf("%w: %w", errCopyDamaged, decodeErr(srcKey, err))
	}
	return err
}

// copyRanges returns the byte ranges of row group g's chunks of cols and
// of their page indexes, coalesced (ranges outside the file left out: the
// copy reports them).
func (p *pfile) copyRanges(g int, cols []int) []byteRange {
	chunks := p.file.Metadata().RowGroups[g].Columns
	var rs []byteRange
	add := func(off, n int64) {
		if off > 0 && n > 0 && off <= p.r.size-n {
			rs = append(rs, byteRange{off, n})
		}
	}
	for _, c := range cols {
		cr := p.chunkRange(g, c)
		add(cr.off, cr.n)
		add(chunks[c].ColumnIndexOffset, int64(chunks[c].ColumnIndexLength))
		add(chunks[c].OffsetIndexOffset, int64(chunks[c].OffsetIndexLength))
	}
	return coalesce(sortRanges(rs), maxChunkGap)
}

// rowCounted counts a written row of a copied row group (never cut by size).
func (w *BlockWriter) rowCounted(id model.TraceID) error {
	w.groupRows++
	w.lastID = id
	return nil
}

// errCopyShape is rewriteCopier.add's answer for a trace that a full
// rewrite would store with other spans, scopes or resources than its row
// had (the transform merged two resources, or the block held a trace in a
// form ingest does not write): the block must be rewritten in full.
var errCopyShape = errors.New("blocks: a transformed trace changed shape; the rewrite cannot copy columns")

// rewriteCopier feeds a BlockWriter the transformed traces of one block
// (read in row order), a copied row group for each of the block's.
type rewriteCopier struct {
	src    *pfile
	leaves *leafCopy
	ends   []int // per row group, the row after its last
	group  int
	keys   []model.SpanKey // scratch of IsOrdered
}

func newRewriteCopier(src *pfile, parts model.TraceParts) *rewriteCopier {
	c := &rewriteCopier{src: src, leaves: newLeafCopy(copiedLeaves(parts))}
	end := 0
	for _, g := range src.file.Metadata().RowGroups {
		end += int(g.NumRows)
		c.ends = append(c.ends, end)
	}
	return c
}

// add adds trace i of the block, t, transformed from a trace of shape
// before (traceShape), to w.
func (c *rewriteCopier) add(w *BlockWriter, i int, t *model.Trace, before uint64) error {
	for c.group < len(c.ends) && c.ends[c.group] <= i {
		c.group++ // (empty row groups)
	}
	if c.group == len(c.ends) {
		return fmt.Errorf("%s: trace %d past the file's %d rows", c.src.r.key, i, c.ends[len(c.ends)-1])
	}
	start := 0
	if c.group > 0 {
		start = c.ends[c.group-1]
	}
	if i == start {
		if err := w.beginCopy(&groupCopy{src: c.src, group: c.group, leafCopy: c.leaves}); err != nil {
			return err
		}
	}
	var ordered bool
	if ordered, c.keys = model.IsOrdered(t, c.keys); !ordered || traceShape(t) != before {
		return errCopyShape
	}
	if err := w.Add(t); err != nil {
		return err
	}
	if i == c.ends[c.group]-1 {
		return w.endCopy()
	}
	return nil
}

// traceShape hashes the shape of t: its resources, scopes, spans, events
// and links, counted at each level, and its span IDs in order.
func traceShape(t *model.Trace) uint64 {
	h := uint64(14695981039346656037) // FNV-1a, a count at a time
	put := func(n int) { h = (h ^ uint64(n)) * 1099511628211 }
	put(len(t.ResourceSpans))
	for i := range t.ResourceSpans {
		rs := &t.ResourceSpans[i]
		put(len(rs.ScopeSpans))
		for j := range rs.ScopeSpans {
			spans := rs.ScopeSpans[j].Spans
			put(len(spans))
			for k := range spans {
				sp := &spans[k]
				put(int(binary.LittleEndian.Uint64(sp.SpanID[:])))
				put(len(sp.Events))
				put(len(sp.Links))
			}
		}
	}
	return h
}
