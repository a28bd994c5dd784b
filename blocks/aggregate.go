package blocks

import (
	"context"
	"fmt"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

var _ store.SpanAggregator = (*Store)(nil)

// AggregateSpans implements store.SpanAggregator on columns: for every row
// group it evaluates the span condition, reads the group-by values once
// per distinct owner (resource, scope or span) and counts spans per group
// and interval, without building traces. Traces split across blocks are
// built, merged and aggregated whole (store.GroupSet.AddTrace). Row groups
// are aggregated Concurrency() at a time, each worker into its own set.
func (s *Store) AggregateSpans(ctx context.Context, req store.Request, spec *store.AggregateSpec) (*store.Aggregate, error) {
	for _, f := range spec.GroupBy {
		if !groupable(f) {
			return nil, fmt.Errorf("cannot group by field kind %d", f.Kind)
		}
	}
	metas, err := s.readBlocks(ctx)
	if err != nil {
		return nil, err
	}
	cand := inRange(metas, &req)
	total := store.NewGroupSet(spec)
	holders := newSplitHolders(false) // the parts' counts
	ok, handed, err := s.splitTraces(ctx, cand, &req, false, holders)
	if err != nil {
		return nil, err
	}
	if !ok { // too many split traces: merge everything
		it := s.scanOrdered(ctx, cand, req)
		defer it.Close()
		for it.Next() {
			total.AddTrace(it.At())
		}
		return total.Result(), it.Err()
	}
	spread := s.spreadBlocks(cand)
	copies, err := s.runGroupTasks(ctx, cand, handed, holders, func() groupWorker {
		local := store.NewGroupSet(spec)
		return groupWorker{
			task: func(ctx context.Context, b *Block, file *pfile, t scanTask) ([]*model.Trace, error) {
				var parts []*model.Trace
				err := t.eachGroup(ctx, file, &req, func(g int) error {
					ps, err := file.aggregateGroup(g, b.codec, &req, spec, holders, local, spread[t.pos])
					parts = append(parts, ps...)
					return err
				})
				return parts, err
			},
			merged: func(t *model.Trace) { local.AddTrace(t) },
			done:   func() { total.Merge(local) },
			passed: func() int64 {
				traces, _ := local.Inspected()
				return int64(traces)
			},
		}
	})
	if err != nil {
		return nil, err
	}
	for _, cs := range copies {
		total.AddTrace(mergeCopies(cs))
	}
	return total.Result(), nil
}

// groupable reports whether the columns can give a field's value per span.
func groupable(f store.Field) bool {
	switch f.Kind {
	case store.FieldSpanName, store.FieldSpanStatus, store.FieldSpanStatusMessage, store.FieldSpanKind,
		store.FieldSpanDuration, store.FieldSpanAttr, store.FieldResourceAttr, store.FieldScopeAttr:
		return true
	}
	return false
}

// aggregateGroup aggregates row group g into gs and returns the built rows
// of split traces (with what req asks for, as Traces(req) builds traces).
// With spread it may take two goroutines (spreadRows).
func (p *pfile) aggregateGroup(g int, c *codec, req *store.Request, spec *store.AggregateSpec, split *splitHolders, gs *store.GroupSet, spread bool) ([]*model.Trace, error) {
	spans := spec.Spans
	if spans == nil {
		spans = &store.SpanCond{Op: store.OpTrue}
	}
	cond := &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpAnd,
		Args: append([]*store.SpanCond{spans}, groupTests(spec.GroupBy)...)}}
	cols := filterColumns(p.leaves, c, cond)
	cols = append(cols, p.leaves.duration.Index, p.leaves.traceID.Index, p.leaves.spanID.Index)
	hasSplit := split.len() > 0 && p.mayHold(g, split.anyIn)
	pass, pr := p.pruneUnless(hasSplit, g, c, &store.TraceCond{Op: store.OpAny, Span: spans})
	defer pr.close()
	if !pass {
		return nil, nil
	}
	var later []int
	var proj projection // of split traces' parts
	if hasSplit {
		proj = p.groupProjection(g, projectionOf(req))
		later = assemblerColumns(p.leaves, c, proj)
	}
	if err := p.loadChunks(g, cols, later); err != nil {
		return nil, err
	}
	defer p.r.release()
	sp, err := p.openSplitParts(g, c, proj, split, hasSplit)
	if err != nil {
		return nil, err
	}
	defer sp.close()
	// Spread over two goroutines (the second half into a set of its own,
	// merged after the first: every duration list in row order), unless
	// split traces are built on the way. A failure (damage in a page)
	// leaves what a pass in row order would have aggregated before it: the
	// second half is merged unless the first failed.
	sets := [2]*store.GroupSet{gs, nil} // per half
	var firstFailed bool
	err = p.spreadRows(g, c, pr, spread && !hasSplit, func(half int, gf *groupFilter) error {
		if sets[half] == nil {
			sets[half] = store.NewGroupSet(spec)
		}
		split, err := sp.batch(gf)
		if err == nil {
			if err = gf.aggregate(spec, spans, split, sets[half]); err != nil {
				err = gf.wrap(err)
			}
		}
		if err != nil && half == 0 {
			firstFailed = true
		}
		return err
	})
	if sets[1] != nil && !firstFailed {
		gs.Merge(sets[1])
	}
	if err != nil {
		return nil, err
	}
	return sp.parts, nil
}

// splitParts builds, a batch at a time, the rows of one row group that
// hold parts of traces split across blocks: only the merged trace decides
// them, so column counts and aggregations leave them out.
type splitParts struct {
	rows  []bool          // per row of the group: part of a split trace
	asm   *groupAssembler // nil when the group holds none
	parts []*model.Trace
}

// openSplitParts marks the rows of row group g whose trace is in split
// (when has says the group may hold some), to be built with proj; its
// chunks must be loaded.
func (p *pfile) openSplitParts(g int, c *codec, proj projection, split *splitHolders, has bool) (*splitParts, error) {
	sp := &splitParts{rows: make([]bool, p.file.RowGroups()[g].NumRows())}
	if !has {
		return sp, nil
	}
	if err := p.markSplit(g, sp.rows, split); err != nil {
		return nil, p.groupErr(g, err)
	}
	sp.asm = newGroupAssembler(p, g, c, proj)
	return sp, nil
}

// batch builds the split rows of gf's batch and returns which rows of
// the batch are split.
func (sp *splitParts) batch(gf *groupFilter) ([]bool, error) {
	rows := sp.rows[gf.row0 : gf.row0+int64(gf.nrows)]
	if sp.asm != nil {
		ps, err := sp.asm.read(gf.nrows, rows)
		if err != nil {
			return nil, err
		}
		sp.parts = append(sp.parts, ps...)
	}
	return rows, nil
}

func (sp *splitParts) close() {
	if sp.asm != nil {
		sp.asm.close()
	}
}

// aggregate adds the batch's spans that pass spans, except those of split
// traces, to gs.
func (gf *groupFilter) aggregate(spec *store.AggregateSpec, spans *store.SpanCond, isSplit []bool, gs *store.GroupSet) error {
	if err := gf.structure(); err != nil {
		return err
	}
	sel, err := gf.span(spans)
	if err == nil {
		err = gf.durations()
	}
	if err != nil {
		return err
	}
	// One value table per group-by field: the value id of every span.
	ids := make([][]int32, len(spec.GroupBy))
	tables := make([]*valueTable, len(spec.GroupBy))
	for i, f := range spec.GroupBy {
		if ids[i], tables[i], err = gf.spanValueIDs(f); err != nil {
			return err
		}
	}
	var traceIDs []model.TraceID
	var spanIDs []model.SpanID
	if spec.Exemplars > 0 {
		if traceIDs, spanIDs, err = gf.ids(); err != nil {
			return err
		}
	}
	groups := newSpanGroups(gs, tables, ids)
	rowSelected := make([]bool, gf.nrows)
	rankedRow, traceRank := int32(-1), uint64(0) // the exemplars' rank of the last row's trace
	for sp, ok := range sel {
		row := gf.spanRow[sp]
		if !ok || isSplit[row] {
			continue
		}
		rowSelected[row] = true
		slot := spec.Slot(gf.start[sp])
		if slot < 0 {
			continue
		}
		grp := groups.of(sp)
		grp.Count[slot]++
		if spec.Durations {
			grp.Durations[slot].Add(spanDuration(gf.start[sp], gf.dur[sp]))
		}
		if spec.Exemplars > 0 {
			tid, sid := traceIDs[row], spanIDs[sp]
			if row != rankedRow {
				rankedRow, traceRank = row, spec.RankTrace(tid)
			}
			gs.AddExemplar(grp, slot, store.ExemplarSpan{TraceID: tid, SpanID: sid, StartUnixNano: gf.start[sp],
				DurationNano: spanDuration(gf.start[sp], gf.dur[sp]), Rank: spec.RankSpan(traceRank, sid)})
		}
	}
	spansOf := make([]int, gf.nrows)
	for _, row := range gf.spanRow {
		spansOf[row]++
	}
	for row, ok := range rowSelected {
		if ok {
			gs.AddInspected(1, spansOf[row])
		}
	}
	return nil
}

// groupTests lists the group-by fields as tests, only so that
// filterColumns fetches their columns.
func groupTests(fields []store.Field) []*store.SpanCond {
	out := make([]*store.SpanCond, len(fields))
	for i, f := range fields {
		out[i] = &store.SpanCond{Op: store.OpTest, Field: f}
	}
	return out
}

// spanGroups finds the group of a span from its group-by value ids (ids,
// by field then span, in tables): by a mixed-radix index of the ids when
// the fields' values combine in maxDenseGroups ways at most, else by the
// ids as a key (up to 4 fields) or by the values' GroupKey.
type spanGroups struct {
	gs      *store.GroupSet
	tables  []*valueTable
	ids     [][]int32
	strides []int // denseGroups' (nil: keyed)
	byIndex []*store.SpanGroup
	byIDs   map[[4]int32]*store.SpanGroup
	byKey   map[string]*store.SpanGroup
}

func newSpanGroups(gs *store.GroupSet, tables []*valueTable, ids [][]int32) *spanGroups {
	g := &spanGroups{gs: gs, tables: tables, ids: ids, strides: denseGroups(tables)}
	switch {
	case g.strides != nil:
	case len(ids) <= 4:
		g.byIDs = map[[4]int32]*store.SpanGroup{}
	default:
		g.byKey = map[string]*store.SpanGroup{}
	}
	return g
}

// of returns span sp's group, made on first use.
func (g *spanGroups) of(sp int) *store.SpanGroup {
	var grp *store.SpanGroup
	switch {
	case g.strides != nil:
		i := 0
		for f, st := range g.strides {
			i += (int(g.ids[f][sp]) + 1) * st // 0: absent
		}
		if i >= len(g.byIndex) {
			g.byIndex = append(g.byIndex, make([]*store.SpanGroup, i+1-len(g.byIndex))...)
		}
		if grp = g.byIndex[i]; grp == nil {
			grp = g.gs.Group(groupValues(g.tables, g.ids, sp))
			g.byIndex[i] = grp
		}
	case g.byIDs != nil:
		var key [4]int32
		for i := range g.ids {
			key[i] = g.ids[i][sp]
		}
		if grp = g.byIDs[key]; grp == nil {
			grp = g.gs.Group(groupValues(g.tables, g.ids, sp))
			g.byIDs[key] = grp
		}
	default:
		vals, present := groupValues(g.tables, g.ids, sp)
		k := store.GroupKey(vals, present)
		if grp = g.byKey[k]; grp == nil {
			grp = g.gs.Group(vals, present)
			g.byKey[k] = grp
		}
	}
	return grp
}

// maxDenseGroups bounds the combinations of group-by values that
// spanGroups indexes directly (a slice of that many pointers at most).
const maxDenseGroups = 1 << 16

// denseGroups returns the strides of a mixed-radix index of the group-by
// fields' value ids (id+1, 0 for absent) when their combinations number
// maxDenseGroups at most, and nil otherwise (a map of keys then). No field
// gives the one stride of an index that is always 0.
func denseGroups(tables []*valueTable) []int {
	strides := make([]int, len(tables))
	n := 1
	for i, t := range tables {
		strides[i] = n
		if n *= len(t.values) + 1; n > maxDenseGroups {
			return nil
		}
	}
	if len(strides) == 0 {
		return []int{}
	}
	return strides
}

func groupValues(tables []*valueTable, ids [][]int32, sp int) ([]model.Value, []bool) {
	vals := make([]model.Value, len(tables))
	present := make([]bool, len(tables))
	for i, t := range tables {
		if id := ids[i][sp]; id >= 0 {
			vals[i], present[i] = t.values[id], true
		}
	}
	return vals, present
}

// valueTable interns the values of one field: id → value (-1: absent).
type valueTable struct {
	values []model.Value
	strs   map[string]int32
	ints   map[int64]int32
	other  map[string]int32
	dicts  map[*column.Dict][]int32 // string values by dictionary index (0: unknown, else id+1)
}

func newValueTable() *valueTable {
	return &valueTable{strs: map[string]int32{}, ints: map[int64]int32{}, other: map[string]int32{},
		dicts: map[*column.Dict][]int32{}}
}

func (t *valueTable) id(v model.Value) int32 {
	switch v.Type {
	case model.ValueString:
		if id, ok := t.strs[v.Str]; ok {
			return id
		}
		t.strs[v.Str] = int32(len(t.values))
	case model.ValueInt:
		if id, ok := t.ints[v.Int]; ok {
			return id
		}
		t.ints[v.Int] = int32(len(t.values))
	default:
		k := store.GroupKey([]model.Value{v}, []bool{true})
		if id, ok := t.other[k]; ok {
			return id
		}
		t.other[k] = int32(len(t.values))
	}
	t.values = append(t.values, v)
	return int32(len(t.values) - 1)
}

// str interns string value vi of r's current page.
func (t *valueTable) str(r *column.Reader, vi int) int32 {
	i, d, ok := r.DictIndexAt(vi)
	if !ok {
		return t.id(model.StringValue(r.StringAt(vi)))
	}
	memo := t.dicts[d]
	if memo == nil {
		memo = make([]int32, d.Len())
		t.dicts[d] = memo
	}
	if memo[i] == 0 {
		memo[i] = t.id(model.StringValue(d.String(i))) + 1
	}
	return memo[i] - 1
}

// spanValueIDs returns the value id of field f for every span of the group.
func (gf *groupFilter) spanValueIDs(f store.Field) ([]int32, *valueTable, error) {
	t := newValueTable()
	n := len(gf.spanRow)
	l := gf.p.leaves
	perSpan := func(leaf leaf, get func(r *column.Reader, vi int) int32, missing model.Value) ([]int32, *valueTable, error) {
		out := make([]int32, n)
		if !leaf.ok {
			id := t.id(missing)
			for i := range out {
				out[i] = id
			}
			return out, t, nil
		}
		r, err := gf.reader(leaf)
		if err != nil {
			return nil, nil, err
		}
		return out, t, fill(r, gf.nrows, nil, depthSpan, out, get)
	}
	switch f.Kind {
	case store.FieldSpanName:
		return perSpan(l.name, t.str, model.StringValue(""))
	case store.FieldSpanStatusMessage:
		return perSpan(l.statusMessage, t.str, model.StringValue(""))
	case store.FieldSpanStatus:
		return perSpan(l.statusCode, func(r *column.Reader, vi int) int32 { return t.id(model.IntValue(r.Int64At(vi))) }, model.IntValue(0))
	case store.FieldSpanKind:
		return perSpan(l.kind, func(r *column.Reader, vi int) int32 { return t.id(model.IntValue(r.Int64At(vi))) }, model.IntValue(0))
	case store.FieldSpanDuration:
		if err := gf.durations(); err != nil {
			return nil, nil, err
		}
		out := make([]int32, n)
		for i := range out {
			out[i] = t.id(model.IntValue(int64(spanDuration(gf.start[i], gf.dur[i]))))
		}
		return out, t, nil
	case store.FieldSpanAttr:
		ids, err := gf.ownerValueIDs(l.spanAttrs, depthSpan, n, f.Name, spanSpecial(l, gf.codec, f.Name), t)
		return ids, t, err
	case store.FieldResourceAttr:
		ids, err := gf.ownerValueIDs(l.resAttrs, depthRS, gf.nrs, f.Name, resourceSpecial(l, gf.codec, f.Name), t)
		if err != nil {
			return nil, nil, err
		}
		return spread(ids, gf.spanRS), t, nil
	case store.FieldScopeAttr:
		ids, err := gf.ownerValueIDs(l.scopeAttrs, depthSS, gf.nss, f.Name, nil, t)
		if err != nil {
			return nil, nil, err
		}
		return spread(ids, gf.spanSS), t, nil
	}
	return nil, nil, fmt.Errorf("cannot group by field kind %d", f.Kind)
}

func spread(owners []int32, ownerOf []int32) []int32 {
	out := make([]int32, len(ownerOf))
	for s, o := range ownerOf {
		out[s] = owners[o]
	}
	return out
}

// ownerValueIDs returns, for each owner at ownerDepth, the value id of its
// attribute name (as attr finds it: first generic one, else the special
// columns), or -1 when it has none.
func (gf *groupFilter) ownerValueIDs(al attrLeaves, ownerDepth, owners int, name string, specials []special, t *valueTable) ([]int32, error) {
	out := make([]int32, owners)
	decided := make([]bool, owners)
	hits, vals, err := gf.attrHits(al, ownerDepth, name, 0)
	if err != nil {
		return nil, err
	}
	for i, h := range hits {
		v, err := vals.value(int32(i), gf.p.layout)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		out[h.owner], decided[h.owner] = t.id(v), true
	}
	err = gf.specialValues(specials, ownerDepth, owners, decided, func(o int, sp special, r *column.Reader, vi int) {
		if sp.isInt {
			out[o] = t.id(model.IntValue(r.Int64At(vi)))
		} else {
			out[o] = t.str(r, vi)
		}
	})
	if err != nil {
		return nil, err
	}
	for o := range out {
		if !decided[o] {
			out[o] = -1
		}
	}
	return out, nil
}

// ids reads the trace ID of every row and the span ID of every span.
func (gf *groupFilter) ids() ([]model.TraceID, []model.SpanID, error) {
	traceIDs := make([]model.TraceID, gf.nrows)
	spanIDs := make([]model.SpanID, len(gf.spanRow))
	l := gf.p.leaves
	r, err := gf.reader(l.traceID)
	if err == nil {
		err = fillChecked(r, gf.nrows, nil, 0, traceIDs, getTraceID)
	}
	if err != nil {
		return nil, nil, err
	}
	if r, err = gf.reader(l.spanID); err != nil {
		return nil, nil, err
	}
	err = fillChecked(r, gf.nrows, nil, depthSpan, spanIDs, getSpanID)
	return traceIDs, spanIDs, err
}
