package blocks

import (
	"cmp"
	"slices"
	"sort"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// assembleRows is how many rows the assembler builds at a time: large
// enough to amortize walking a hundred columns, small enough that a batch
// of decoded traces stays a few hundred kilobytes.
const assembleRows = 128

// groupTraces streams the traces of one row group from its columns.
type groupTraces struct {
	p    *pfile
	a    *groupAssembler
	sel  []bool // rows to build (nil: all)
	row  int    // rows consumed
	buf  []*model.Trace
	pos  int
	done bool
	// With newest set, rows whose start is below its threshold, or
	// below floor (the group's own certain results: see nthLatest), are
	// not built, unless always marks them (split traces).
	newest *store.Threshold
	floor  uint64
	starts []uint64
	always []bool
}

// groupRead says how a row group is read.
type groupRead struct {
	req    *store.Request // projection, time range, filter (nil: everything)
	filter bool           // apply req.Filter to rows
	// rowTime applies req's time range to each row's stored trace times;
	// a reader merging overlapping blocks checks merged traces instead.
	rowTime bool
	// covered says the block lies inside req's time range: every row
	// overlaps it.
	covered bool
	// split holds the IDs of traces with parts in other blocks: their rows
	// are built whatever the filter and time range say, since only the
	// merged trace decides.
	split *splitHolders
	// pool, when not nil, recycles built traces' memory (see arena.go).
	pool *arenaPool
	// spread evaluates the filter of a row group of several batches on
	// two goroutines: the scan has a core with nothing else to do.
	spread bool
}

// openTraces starts reading row group g: nil when the filter rules out
// every row (from dictionaries without reading values, or from the filter
// columns).
func (p *pfile) openTraces(g int, c *codec, rd groupRead) (*groupTraces, error) {
	if p.light {
		return nil, errLightFooter
	}
	var cond *store.TraceCond
	if rd.req != nil {
		if rd.filter && rd.req.Filter != nil && rd.req.Filter.Cond != nil {
			cond = rd.req.Filter.Cond
		}
	}
	timeReq := rd.req
	if !rd.rowTime {
		timeReq = nil
	}
	proj := p.groupProjection(g, projectionOf(rd.req))
	cols := assemblerColumns(p.leaves, c, proj)
	hasSplit := rd.split.len() > 0 && p.mayHold(g, rd.split.anyIn)
	pass, pr := p.pruneUnless(cond == nil || hasSplit, g, c, cond)
	defer pr.close()
	if !pass {
		return nil, nil // no row can pass: nothing is read
	}
	// A trace-level condition (`{ }`, traceDuration) is decided from the
	// trace columns when the file's trace times are exact.
	byTrace := cond != nil && !hasSplit && p.exactTimes && traceLevel(cond)
	var first []int
	switch {
	case byTrace:
		first = p.traceLevelColumns(g, traceRowsNeed{times: true})
	case cond != nil:
		first = filterColumns(p.leaves, c, cond)
	}
	if hasSplit {
		first = append(first, p.leaves.traceID.Index)
	}
	if err := p.loadChunks(g, first, cols); err != nil {
		return nil, err
	}
	var sel, always []bool
	var newestStarts []uint64
	var floor uint64
	if cond != nil || hasSplit {
		var starts []uint64
		var err error
		switch {
		case byTrace:
			sel, starts, err = p.traceLevelFilter(g, cond)
		case cond != nil:
			sel, starts, err = p.filterRows(g, c, cond, pr, rd.spread)
		}
		if rd.req.Newest != nil && starts != nil {
			newestStarts = starts
		}
		if err == nil && hasSplit {
			always = make([]bool, p.file.RowGroups()[g].NumRows())
			err = p.markSplit(g, always, rd.split)
		}
		if err == nil && newestStarts != nil && rd.covered && rd.req.NewestCount > 0 && rd.req.Filter.Exact {
			// These rows are results for certain once built: none of
			// the group starting before the NewestCount-th latest of
			// them can be kept. (The scan's threshold is left to the
			// reader, raised by results it got: a group damaged
			// before its rows are sent gives none, and a threshold
			// raised on its behalf would have left out row groups
			// and split traces of other blocks for nothing.)
			floor, _ = nthLatest(sel, always, starts, rd.req.NewestCount) // 0 with fewer
		}
		if err != nil {
			p.r.release()
			return nil, err
		}
		if sel != nil {
			any := false
			for i := range sel {
				sel[i] = sel[i] || (always != nil && always[i])
				any = any || sel[i]
			}
			if !any {
				p.r.release()
				return nil, nil
			}
		}
	}
	a := newGroupAssembler(p, g, c, proj)
	a.req, a.always, a.pool, a.spread = timeReq, always, rd.pool, rd.spread
	gt := &groupTraces{p: p, a: a, sel: sel, always: always}
	if newestStarts != nil {
		gt.newest, gt.floor, gt.starts = rd.req.Newest, floor, newestStarts
	}
	return gt, nil
}

// nthLatest returns the n-th latest start of the selected rows that are
// not parts of split traces (whose whole trace may start earlier), when
// there are n of them (else 0, false).
func nthLatest(sel, split []bool, starts []uint64, n int) (uint64, bool) {
	var ss []uint64
	for i, ok := range sel {
		if ok && (split == nil || !split[i]) {
			ss = append(ss, starts[i])
		}
	}
	if len(ss) < n {
		return 0, false
	}
	slices.SortFunc(ss, func(a, b uint64) int { return cmp.Compare(b, a) })
	return ss[n-1], true
}

func sortRanges(rs []byteRange) []byteRange {
	sort.Slice(rs, func(a, b int) bool { return rs[a].off < rs[b].off })
	return rs
}

// markSplit sets the rows of traces in split.
func (p *pfile) markSplit(g int, rows []bool, split *splitHolders) error {
	i := 0
	return eachTraceID(p.file.RowGroups()[g], func(id model.TraceID, ok bool) bool {
		if ok && i < len(rows) && split.has(id) {
			rows[i] = true
		}
		i++
		return true
	})
}

// next returns the next trace, or nil at the end of the group.
func (g *groupTraces) next() (*model.Trace, error) {
	for g.pos >= len(g.buf) {
		if g.done || g.a.remaining() == 0 {
			g.done = true
			return nil, nil
		}
		if g.sel != nil {
			// Rows up to the next selected one are passed over at once, so
			// that whole pages of them are never decoded.
			next := g.row
			for next < len(g.sel) && !g.keep(next) {
				next++
			}
			if next > g.row {
				if err := g.a.skipAll(next - g.row); err != nil {
					g.done = true
					return nil, err
				}
				g.row = next
				if g.a.remaining() == 0 {
					continue
				}
			}
		}
		n := int(min(int64(assembleRows), g.a.remaining()))
		var sel []bool
		if g.sel != nil {
			// The batch ends at its last kept row: the rows after it are
			// passed over with the next skip, a page at a time.
			last := 0
			for i := range n {
				if g.keep(g.row + i) {
					last = i
				}
			}
			n = last + 1
			sel = g.sel[g.row : g.row+n]
			for i := range sel {
				sel[i] = g.keep(g.row + i)
			}
		}
		ts, err := g.a.read(n, sel)
		if err != nil {
			g.done = true
			return nil, err
		}
		g.row += n
		g.buf, g.pos = ts, 0
	}
	t := g.buf[g.pos]
	g.buf[g.pos] = nil
	g.pos++
	return t, nil
}

// close releases the readers and the fetched bytes.
func (g *groupTraces) close() {
	g.a.close()
	g.p.r.release()
	g.buf = nil
}

// loadChunks makes the column chunks cols of row group g readable. A row
// group whose chunks total more than streamAbove bytes (localStreamAbove
// on a file:// bucket) is streamed a window of each chunk at a time, so
// memory does not grow with it; smaller ones are fetched at once with
// coalesced ranged reads (one request for neighbouring chunks).
func (p *pfile) loadChunks(g int, cols ...[]int) error {
	seen := map[int]bool{}
	var rs []byteRange
	var distinct []int
	var total int64
	for _, cs := range cols {
		for _, c := range cs {
			if !seen[c] {
				seen[c] = true
				distinct = append(distinct, c)
				r := p.chunkRange(g, c)
				rs = append(rs, r)
				total += r.n
			}
		}
	}
	rs = sortRanges(rs)
	if total > p.r.streamThreshold() {
		p.r.stream(rs)
	} else if err := p.r.prefetchRanges(coalesce(rs, maxChunkGap)); err != nil {
		// A chunk beyond the object's end is damage; other failed reads
		// stay errors (see damaged).
		return damaged(p.r.key, err)
	}
	p.r.fetchOnDemand(p.offsetIndexRanges(g, distinct))
	return nil
}

// keep reports whether row must be built: it passed the filter and, when
// the reader keeps only its newest traces, may still enter them (split
// traces always).
func (g *groupTraces) keep(row int) bool {
	if !g.sel[row] {
		return false
	}
	if g.newest == nil || (g.always != nil && g.always[row]) {
		return true
	}
	return g.starts[row] >= max(g.floor, g.newest.Load())
}
