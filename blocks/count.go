package blocks

import (
	"context"
	"errors"
	"slices"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

var _ store.Counter = (*Store)(nil)

// CountTraces implements store.Counter: it evaluates req.Filter on the
// columns of every row group in the time range and counts the rows that
// pass, without building a trace. Traces split across blocks are built,
// merged and tested whole (store.TraceCond.Match). Row groups are counted
// Concurrency() at a time.
func (s *Store) CountTraces(ctx context.Context, req store.Request) (store.Count, error) {
	if req.Filter == nil || req.Filter.Cond == nil {
		return store.Count{}, errors.New("CountTraces needs a filter")
	}
	metas, err := s.readBlocks(ctx)
	if err != nil {
		return store.Count{}, err
	}
	cand := inRange(metas, &req)
	holders := newSplitHolders(false) // the parts' counts
	ok, handed, err := s.splitTraces(ctx, cand, &req, false, holders)
	if err != nil {
		return store.Count{}, err
	}
	if !ok { // too many split traces: merge everything
		return countMerged(s.scanOrdered(ctx, cand, req), req)
	}
	var total store.Count
	spread := s.spreadBlocks(cand)
	copies, err := s.runGroupTasks(ctx, cand, handed, holders, func() groupWorker {
		var local store.Count
		return groupWorker{
			task: func(ctx context.Context, b *Block, file *pfile, t scanTask) ([]*model.Trace, error) {
				var parts []*model.Trace
				err := t.eachGroup(ctx, file, &req, func(g int) error {
					n, ps, err := file.countGroup(g, b.codec, &req, holders, spread[t.pos])
					local.Add(n)
					parts = append(parts, ps...)
					return err
				})
				return parts, err
			},
			merged: func(t *model.Trace) { countTrace(t, req, &local) },
			done:   func() { total.Add(local) },
			passed: func() int64 { return int64(local.InspectedTraces) },
		}
	})
	if err != nil {
		return store.Count{}, err
	}
	merged := make([]*model.Trace, 0, len(copies))
	for _, cs := range copies {
		merged = append(merged, mergeCopies(cs))
	}
	c, err := countMerged(store.NewSliceIterator(merged), req)
	if err != nil {
		return store.Count{}, err
	}
	total.Add(c)
	return total, nil
}

// countMerged counts whole traces with the filter's reference semantics.
func countMerged(it store.TraceIterator, req store.Request) (store.Count, error) {
	defer it.Close()
	var c store.Count
	for it.Next() {
		countTrace(it.At(), req, &c)
	}
	return c, it.Err()
}

// countTrace adds whole trace t to c with the filter's reference
// semantics.
func countTrace(t *model.Trace, req store.Request, c *store.Count) {
	if !req.Overlaps(t.TimeRange()) {
		return
	}
	c.InspectedTraces++
	c.InspectedSpans += t.SpanCount()
	if req.Filter.Cond.Match(t) {
		c.Traces++
	}
}

// countGroup counts the passing rows of row group g and builds the rows
// of split traces (with what req asks for, as Traces(req) builds
// traces). With spread it may take two goroutines (spreadRows).
func (p *pfile) countGroup(g int, c *codec, req *store.Request, split *splitHolders, spread bool) (store.Count, []*model.Trace, error) {
	cond := req.Filter.Cond
	hasSplit := split.len() > 0 && p.mayHold(g, split.anyIn)
	pass, pr := p.pruneUnless(hasSplit, g, c, cond)
	defer pr.close()
	if !pass {
		return store.Count{}, nil, nil
	}
	if p.exactTimes && traceLevel(cond) && !hasSplit {
		return p.countTraceLevel(g, req)
	}
	// Each row's time range (from its spans' starts and durations) is
	// needed only when some span may start outside the request's range.
	inside := p.startsInside(g, req)
	cols := filterColumns(p.leaves, c, cond)
	if !inside {
		cols = append(cols, p.leaves.duration.Index)
	}
	structure := p.leaves.start
	if inside && !usesTimes(cond) {
		structure, cols = p.structureColumn(cols)
	}
	var later []int
	var proj projection // of split traces' parts
	if hasSplit {
		proj = p.groupProjection(g, projectionOf(req))
		cols = append(cols, p.leaves.traceID.Index)
		later = assemblerColumns(p.leaves, c, proj)
	}
	if err := p.loadChunks(g, cols, later); err != nil {
		return store.Count{}, nil, err
	}
	defer p.r.release()
	sp, err := p.openSplitParts(g, c, proj, split, hasSplit)
	if err != nil {
		return store.Count{}, nil, err
	}
	defer sp.close()
	var counts [2]store.Count // per half (see spreadRows)
	err = p.spreadRows(g, c, pr, spread && !hasSplit, func(half int, gf *groupFilter) error {
		return countBatch(gf, structure, cond, req, inside, sp, &counts[half])
	})
	if err != nil {
		return store.Count{}, nil, err
	}
	counts[0].Add(counts[1])
	return counts[0], sp.parts, nil
}

// countBatch adds to n the rows of gf's batch that pass cond; inside says
// every span of the batch starts inside the request's time range. The
// batch's spans are found in column structure (see structureColumn).
func countBatch(gf *groupFilter, structure leaf, cond *store.TraceCond, req *store.Request, inside bool, sp *splitParts, n *store.Count) error {
	if err := gf.structureFrom(structure); err != nil {
		return gf.wrap(err)
	}
	rows, err := gf.trace(cond)
	if err == nil && !inside {
		err = gf.durations()
	}
	if err != nil {
		return gf.wrap(err)
	}
	split, err := sp.batch(gf)
	if err != nil {
		return err
	}
	var start, end []uint64
	if !inside {
		start, end = gf.traceRanges()
	}
	spans := make([]int, gf.nrows)
	for _, row := range gf.spanRow {
		spans[row]++
	}
	for r := range rows {
		if split[r] || spans[r] == 0 || !inside && !req.Overlaps(start[r], end[r]) {
			continue
		}
		n.InspectedTraces++
		n.InspectedSpans += spans[r]
		if rows[r] {
			n.Traces++
		}
	}
	return nil
}

// usesTimes reports whether c tests span or trace durations, which are
// computed from the spans' start times.
func usesTimes(c *store.TraceCond) bool {
	uses := false
	c.Visit(func(s *store.SpanCond) {
		if s.Op == store.OpTest && (s.Field.Kind == store.FieldSpanDuration || s.Field.Kind == store.FieldTraceDuration) {
			uses = true
		}
	}, func(e *store.SpansetExpr) {
		if e.Op == store.SpansDurations {
			uses = true
		}
	})
	return uses
}

// structureColumn picks the column a count that needs no start times
// finds the spans of each row in, from cols, the columns it reads: a
// required span column of small values that the condition does not read
// (the status code or the kind, a few hundred KB a row group where the
// start times are a few MB), in place of the start column; the start
// column when both are read.
func (p *pfile) structureColumn(cols []int) (leaf, []int) {
	for _, l := range []leaf{p.leaves.statusCode, p.leaves.kind} {
		// At span depth, as the start column must be (resolveLeaves).
		if l.ok && int(l.MaxRep) == depthSpan && !slices.Contains(cols, l.Index) {
			out := slices.DeleteFunc(slices.Clone(cols), func(c int) bool { return c == p.leaves.start.Index })
			return l, append(out, l.Index)
		}
	}
	return p.leaves.start, cols
}

// traceLevel reports whether c tests trace-level fields only (the trace's
// duration), for some span of the trace.
func traceLevel(c *store.TraceCond) bool {
	var span func(s *store.SpanCond) bool
	span = func(s *store.SpanCond) bool {
		if s.Op == store.OpTest && s.Field.Kind != store.FieldTraceDuration {
			return false
		}
		for _, a := range s.Args {
			if !span(a) {
				return false
			}
		}
		return true
	}
	switch c.Op {
	case store.OpAny:
		return span(c.Span)
	case store.OpAnd, store.OpOr:
		for _, a := range c.Args {
			if !traceLevel(a) {
				return false
			}
		}
		return true
	}
	return false
}

// passTraceLevel decides a traceLevel condition for a trace with spans
// and the given duration.
func passTraceLevel(c *store.TraceCond, dur uint64) bool {
	var span func(s *store.SpanCond) bool
	span = func(s *store.SpanCond) bool {
		switch s.Op {
		case store.OpTrue:
			return true
		case store.OpTest:
			return s.Test(model.IntValue(int64(dur)), true)
		case store.OpNot:
			return !span(s.Args[0])
		case store.OpAnd, store.OpOr:
			and := s.Op == store.OpAnd
			for _, a := range s.Args {
				if span(a) != and {
					return !and
				}
			}
			return and
		}
		return false
	}
	switch c.Op {
	case store.OpAny:
		return span(c.Span)
	case store.OpAnd, store.OpOr:
		and := c.Op == store.OpAnd
		for _, a := range c.Args {
			if passTraceLevel(a, dur) != and {
				return !and
			}
		}
		return and
	}
	return false
}

// countTraceLevel counts a trace-level condition from the trace columns
// of a file whose trace times are exact (traceTimesKey), reading the span
// levels only to find rows without spans.
func (p *pfile) countTraceLevel(g int, req *store.Request) (store.Count, []*model.Trace, error) {
	// Each row's times and span count are read only when some rows may
	// fall outside the request's time range (the spans counted as
	// inspected are those of the rows inside).
	start, end, ok := p.groupTimeRange(g)
	inside := ok && req.Covers(start, end)
	need := traceRowsNeed{times: !inside, spansPerRow: !inside}
	if err := p.loadChunks(g, p.traceLevelColumns(g, need)); err != nil {
		return store.Count{}, nil, err
	}
	defer p.r.release()
	tr, err := p.readTraceRows(g, need)
	if err != nil {
		return store.Count{}, nil, err
	}
	n := store.Count{InspectedSpans: tr.allSpans}
	for row := range tr.dur {
		if !tr.has(row) || (!inside && !req.Overlaps(tr.start[row], tr.end[row])) {
			continue
		}
		n.InspectedTraces++
		if tr.spans != nil {
			n.InspectedSpans += tr.spans[row]
		}
		if passTraceLevel(req.Filter.Cond, tr.dur[row]) {
			n.Traces++
		}
	}
	return n, nil, nil
}

// smallestSpanLeaf returns, of the required span-level columns that
// always have one entry per span, the one whose chunk in row group g is
// smallest: what counting the spans of each trace by its levels reads
// and decodes least of (a start time column of large deltas decodes
// several times slower than a kind or dropped-count column).
func (p *pfile) smallestSpanLeaf(g int) leaf {
	l := p.leaves
	best, size := l.start, int64(-1)
	for _, c := range []leaf{l.start, l.kind, l.statusCode, l.spanDropped} {
		if !c.ok {
			continue
		}
		md := p.file.Metadata().RowGroups[g].Columns[c.Index].MetaData
		if size < 0 || md.TotalCompressedSize < size {
			best, size = c, md.TotalCompressedSize
		}
	}
	return best
}
