package blocks

import (
	"fmt"
	"iter"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// groupFilter evaluates a store.Filter on the columns of one batch of rows
// of a row group (groupReaders.batches), without building any trace: span
// conditions become one boolean per span of the batch, computed a column at a time (string tests once per
// dictionary value), then folded into one boolean per row. Its results
// agree with store.TraceCond.Match on the traces the assembler builds
// (TestFilterRows holds it to that).
type groupFilter struct {
	p     *pfile
	g     int
	codec *codec
	cols  *groupReaders
	row0  int64 // the batch's first row in the group
	nrows int   // rows in the batch

	// The batch's spans (structure, structureFrom): row, resource spans
	// and scope spans of each span, and its start (empty when the spans
	// were found in another column than the start times) and duration.
	spanRow, spanRS, spanSS []int32
	start                   []uint64
	dur                     []uint64 // read on demand
	left, right, parent     []int32  // nested sets, read on demand
	nrs, nss                int
}

// filterColumns lists the file columns evaluating c reads.
func filterColumns(l *fileLeaves, c *codec, cond *store.TraceCond) []int {
	seen := map[int]bool{}
	var cols []int
	add := func(ls ...leaf) {
		for _, x := range ls {
			if x.ok && !seen[x.Index] {
				seen[x.Index] = true
				cols = append(cols, x.Index)
			}
		}
	}
	addAttrs := func(a attrLeaves) {
		add(a.key, a.isArray, a.valueType, a.str, a.ints, a.doubles, a.bools, a.unsupported)
	}
	add(l.start)
	if hasTraceIDs(cond) {
		add(l.traceID)
	}
	cond.Visit(func(s *store.SpanCond) {
		if s.Op != store.OpTest {
			return
		}
		switch s.Field.Kind {
		case store.FieldSpanName:
			add(l.name)
		case store.FieldSpanStatus:
			add(l.statusCode)
		case store.FieldSpanStatusMessage:
			add(l.statusMessage)
		case store.FieldSpanKind:
			add(l.kind)
		case store.FieldSpanDuration, store.FieldTraceDuration:
			add(l.duration)
		case store.FieldSpanAttr:
			addAttrs(l.spanAttrs)
			for _, x := range spanSpecial(l, c, s.Field.Name) {
				add(x.leaf)
			}
		case store.FieldResourceAttr:
			addAttrs(l.resAttrs)
			for _, x := range resourceSpecial(l, c, s.Field.Name) {
				add(x.leaf)
			}
		case store.FieldScopeAttr:
			addAttrs(l.scopeAttrs)
		case store.FieldEventAttr:
			addAttrs(l.eventAttrs)
		case store.FieldLinkAttr:
			addAttrs(l.linkAttrs)
		}
	}, func(e *store.SpansetExpr) {
		switch e.Op {
		case store.SpansRelation:
			add(l.nestedLeft, l.nestedRight, l.parentID)
		case store.SpansDurations:
			add(l.duration)
		}
	})
	return cols
}

// hasTraceIDs reports whether c tests trace IDs (store.OpTraceIDs).
func hasTraceIDs(c *store.TraceCond) bool {
	if c.Op == store.OpTraceIDs {
		return true
	}
	for _, a := range c.Args {
		if hasTraceIDs(a) {
			return true
		}
	}
	return false
}

// filterRows evaluates cond on row group g: one boolean per row, and each
// row's earliest span start (0 for a row without spans). It continues the
// readers of pr (nil: none), the group's pruner. With spread it may take
// two goroutines (see spreadRows).
func (p *pfile) filterRows(g int, c *codec, cond *store.TraceCond, pr *pruner, spread bool) (rows []bool, starts []uint64, err error) {
	nrows := int(p.file.RowGroups()[g].NumRows())
	rows, starts = make([]bool, nrows), make([]uint64, nrows)
	err = p.spreadRows(g, c, pr, spread, func(_ int, gf *groupFilter) error {
		if err := gf.structure(); err != nil {
			return gf.wrap(err)
		}
		pass, err := gf.trace(cond)
		if err != nil {
			return gf.wrap(err)
		}
		copy(rows[gf.row0:], pass)
		starts := starts[gf.row0:]
		seen := make([]bool, gf.nrows)
		for s, row := range gf.spanRow {
			if st := gf.start[s]; !seen[row] || st < starts[row] {
				starts[row], seen[row] = st, true
			}
		}
		return nil
	})
	return rows, starts, err
}

func (gf *groupFilter) wrap(err error) error {
	return gf.p.groupErr(gf.g, err)
}

// reader returns a reader of column l at the batch's first row.
func (gf *groupFilter) reader(l leaf) (*column.Reader, error) {
	return gf.cols.at(l, gf.row0, gf.nrows)
}

// structure walks the span start column of every row.
func (gf *groupFilter) structure() error {
	return gf.structureFrom(gf.p.leaves.start)
}

// structureFrom walks required span column l of every row: the batch's
// spans and their rows, resources and scopes, and, when l is the start
// column, their start times (else gf.start is left empty).
func (gf *groupFilter) structureFrom(l leaf) error {
	starts := l.Index == gf.p.leaves.start.Index
	r, err := gf.reader(l)
	if err != nil {
		return err
	}
	rl := r.Leaf()
	d1, d2, d3, maxDef := rl.DefAt[0], rl.DefAt[1], rl.DefAt[2], rl.MaxDef
	// The chunk's entry count bounds the number of spans; a batch holds
	// about its share.
	n := gf.p.file.Metadata().RowGroups[gf.g].Columns[l.Index].MetaData.NumValues
	if rows := gf.p.file.RowGroups()[gf.g].NumRows(); rows > 0 {
		n = n*int64(gf.nrows)/rows + 16
	}
	m := &gf.cols.spare
	gf.spanRow, gf.spanRS, gf.spanSS, gf.start = m.spanRow[:0], m.spanRS[:0], m.spanSS[:0], m.start[:0]
	if n > int64(cap(gf.spanRow)) && n < 1<<28 {
		gf.spanRow, gf.spanRS, gf.spanSS = make([]int32, 0, n), make([]int32, 0, n), make([]int32, 0, n)
	}
	if starts && n > int64(cap(gf.start)) && n < 1<<28 {
		gf.start = make([]uint64, 0, n)
	}
	w := segments(r, gf.nrows, nil)
	row, rs, ss := int32(-1), int32(-1), int32(-1)
	for w.next() {
		vi := w.vi
		for i, def := range w.defs {
			rep := w.reps[i]
			if rep == 0 {
				row++
			}
			if rep <= depthRS && def >= d1 {
				rs++
			}
			if rep <= depthSS && def >= d2 {
				ss++
			}
			if rep <= depthSpan && def >= d3 {
				gf.spanRow = append(gf.spanRow, row)
				gf.spanRS = append(gf.spanRS, rs)
				gf.spanSS = append(gf.spanSS, ss)
				if starts {
					var v uint64
					if def == maxDef {
						v = uint64(r.Int64At(vi))
					}
					gf.start = append(gf.start, v)
				}
			}
			if def == maxDef {
				vi++
			}
		}
	}
	if err := w.finish(gf.nrows); err != nil {
		return err
	}
	gf.nrs, gf.nss = int(rs+1), int(ss+1)
	return nil
}

func (gf *groupFilter) trace(c *store.TraceCond) ([]bool, error) {
	out := make([]bool, gf.nrows)
	switch c.Op {
	case store.OpTrue:
		fillBools(out, true)
	case store.OpAny, store.OpSpanset:
		var spans []bool
		var err error
		if c.Op == store.OpAny {
			spans, err = gf.span(c.Span)
		} else {
			spans, err = gf.spanset(c.Spans)
		}
		if err != nil {
			return nil, err
		}
		for s, ok := range spans {
			if ok {
				out[gf.spanRow[s]] = true
			}
		}
	case store.OpTraceIDs:
		r, err := gf.reader(gf.p.leaves.traceID)
		if err != nil {
			return nil, err
		}
		err = eachValue(r, gf.nrows, nil, 0, gf.nrows, func(row, vi int) error {
			id, err := getTraceID(r, vi)
			out[row] = err == nil && c.IDs[id]
			return err
		})
		if err != nil {
			return nil, err
		}
	case store.OpAnd, store.OpOr:
		and := c.Op == store.OpAnd
		fillBools(out, and)
		for _, a := range c.Args {
			rows, err := gf.trace(a)
			if err != nil {
				return nil, err
			}
			combine(out, rows, and)
		}
	default:
		return nil, fmt.Errorf("unknown trace condition %d", c.Op)
	}
	return out, nil
}

// spanset evaluates e on every span of the group: the spans it selects in
// their trace (store.SpansetExpr.Select's semantics).
func (gf *groupFilter) spanset(e *store.SpansetExpr) ([]bool, error) {
	switch e.Op {
	case store.SpansFilter:
		if e.Cond == nil {
			return gf.span(spanTrue)
		}
		return gf.span(e.Cond)
	case store.SpansAnd, store.SpansOr:
		l, r, err := gf.operands(e)
		if err != nil {
			return nil, err
		}
		if e.Op == store.SpansAnd {
			lrow, rrow := make([]bool, gf.nrows), make([]bool, gf.nrows)
			for s, row := range gf.spanRow {
				lrow[row] = lrow[row] || l[s]
				rrow[row] = rrow[row] || r[s]
			}
			for s, row := range gf.spanRow {
				l[s] = lrow[row] && rrow[row] && (l[s] || r[s])
			}
			return l, nil
		}
		for s := range l {
			l[s] = l[s] || r[s]
		}
		return l, nil
	case store.SpansCount:
		l, err := gf.spanset(e.L)
		if err != nil {
			return nil, err
		}
		n := make([]int64, gf.nrows)
		for s, row := range gf.spanRow {
			if l[s] {
				n[row]++
			}
		}
		pass := make([]bool, gf.nrows)
		for row := range pass {
			pass[row] = e.Count(n[row])
		}
		for s, row := range gf.spanRow {
			l[s] = l[s] && pass[row]
		}
		return l, nil
	case store.SpansDurations:
		return gf.spansetDurations(e)
	case store.SpansRelation:
		l, r, err := gf.operands(e)
		if err != nil {
			return nil, err
		}
		out := make([]bool, len(gf.spanRow))
		var nested []store.NestedSpan
		var rel store.Relater
		for a, b := range gf.rowSpans() {
			// The spans' places (the nested-set columns, read once) only
			// when both operands have spans in the row.
			if !store.RelateTrivially(out[a:b], e.Mode, l[a:b], r[a:b]) {
				if err := gf.nesting(); err != nil {
					return nil, err
				}
				nested = nested[:0]
				for s := a; s < b; s++ {
					nested = append(nested, store.NestedSpan{Left: gf.left[s], Right: gf.right[s], Parent: gf.parent[s], Idx: s - a})
				}
				rel.Into(out[a:b], e.Rel, e.Mode, nested, l[a:b], r[a:b])
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown spanset operator %d", e.Op)
}

var spanTrue = &store.SpanCond{Op: store.OpTrue}

// rowSpans yields the bounds [a, b) of each row's spans in the batch: a
// row's spans are consecutive, in the order the assembled trace holds
// them.
func (gf *groupFilter) rowSpans() iter.Seq2[int, int] {
	return func(yield func(a, b int) bool) {
		for a := 0; a < len(gf.spanRow); {
			b := a + 1
			for b < len(gf.spanRow) && gf.spanRow[b] == gf.spanRow[a] {
				b++
			}
			if !yield(a, b) {
				return
			}
			a = b
		}
	}
}

// spansetDurations evaluates a SpansDurations expression: each row keeps
// the spans e.L selects when e.Durations holds of their durations, in
// span order.
func (gf *groupFilter) spansetDurations(e *store.SpansetExpr) ([]bool, error) {
	l, err := gf.spanset(e.L)
	if err != nil {
		return nil, err
	}
	if err := gf.durations(); err != nil {
		return nil, err
	}
	var ds []int64
	for a, b := range gf.rowSpans() {
		ds = ds[:0]
		for s := a; s < b; s++ {
			if l[s] {
				ds = append(ds, int64(spanDuration(gf.start[s], gf.dur[s])))
			}
		}
		if len(ds) > 0 && !e.Durations(ds) {
			clear(l[a:b])
		}
	}
	return l, nil
}

// nesting reads the nested-set columns once.
func (gf *groupFilter) nesting() error {
	if gf.left != nil {
		return nil
	}
	n := len(gf.spanRow)
	m := &gf.cols.spare
	gf.left, gf.right, gf.parent = sized(m.left, n), sized(m.right, n), sized(m.parent, n)
	if gf.left == nil {
		gf.left = []int32{} // read: not nil
	}
	l := gf.p.leaves
	for _, c := range []struct {
		leaf leaf
		dst  []int32
	}{{l.nestedLeft, gf.left}, {l.nestedRight, gf.right}, {l.parentID, gf.parent}} {
		if !c.leaf.ok {
			continue
		}
		r, err := gf.reader(c.leaf)
		if err == nil {
			err = fill(r, gf.nrows, nil, depthSpan, c.dst, getInt32)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func fillBools(b []bool, v bool) {
	for i := range b {
		b[i] = v
	}
}

// combine folds src into dst with and (or or).
func combine(dst, src []bool, and bool) {
	if and {
		for i := range dst {
			dst[i] = dst[i] && src[i]
		}
		return
	}
	for i := range dst {
		dst[i] = dst[i] || src[i]
	}
}

// span evaluates c on every span of the group.
func (gf *groupFilter) span(c *store.SpanCond) ([]bool, error) {
	n := len(gf.spanRow)
	switch c.Op {
	case store.OpTrue:
		out := make([]bool, n)
		fillBools(out, true)
		return out, nil
	case store.OpAnd, store.OpOr:
		and := c.Op == store.OpAnd
		out := make([]bool, n)
		fillBools(out, and)
		for _, a := range c.Args {
			if v, ok, err := gf.constant(a); err != nil {
				return nil, err
			} else if ok {
				if v != and { // false under AND, true under OR: decided
					fillBools(out, v)
					return out, nil
				}
				continue // true under AND, false under OR: no effect
			}
			x, err := gf.span(a)
			if err != nil {
				return nil, err
			}
			combine(out, x, and)
		}
		return out, nil
	case store.OpNot:
		x, err := gf.span(c.Args[0])
		if err != nil {
			return nil, err
		}
		for i := range x {
			x[i] = !x[i]
		}
		return x, nil
	case store.OpTest:
		return gf.test(c)
	}
	return nil, fmt.Errorf("unknown span condition %d", c.Op)
}

// constant reports the value c has on every span of the group when that
// is known without reading values: an attribute test whose key the
// group's key dictionary lacks and that no static or dedicated column
// holds is the test of an absent value everywhere. (A query listing
// thousands of alternatives over keys mostly absent evaluates each in no
// time.)
func (gf *groupFilter) constant(c *store.SpanCond) (value, ok bool, err error) {
	if c.Op != store.OpTest {
		return false, false, nil
	}
	l := gf.p.leaves
	var al attrLeaves
	var specials []special
	switch c.Field.Kind {
	case store.FieldSpanAttr:
		al, specials = l.spanAttrs, spanSpecial(l, gf.codec, c.Field.Name)
	case store.FieldResourceAttr:
		al, specials = l.resAttrs, resourceSpecial(l, gf.codec, c.Field.Name)
	case store.FieldScopeAttr:
		al = l.scopeAttrs
	case store.FieldEventAttr:
		al = l.eventAttrs
	case store.FieldLinkAttr:
		al = l.linkAttrs
	default:
		return false, false, nil
	}
	for _, sp := range specials {
		if sp.leaf.ok {
			return false, false, nil
		}
	}
	if al.key.ok {
		absent, err := gf.keyAbsent(al.key, c.Field.Name)
		if err != nil || !absent {
			return false, false, err
		}
	}
	if c.Field.Kind == store.FieldEventAttr || c.Field.Kind == store.FieldLinkAttr {
		return false, true, nil // a span passes through some event's (link's) value
	}
	return c.Test(model.Value{}, false), true, nil
}

func (gf *groupFilter) test(c *store.SpanCond) ([]bool, error) {
	l := gf.p.leaves
	switch c.Field.Kind {
	case store.FieldSpanName:
		return gf.spanStrings(l.name, c.Test)
	case store.FieldSpanStatusMessage:
		return gf.spanStrings(l.statusMessage, c.Test)
	case store.FieldSpanStatus:
		return gf.spanInts(l.statusCode, c.Test)
	case store.FieldSpanKind:
		return gf.spanInts(l.kind, c.Test)
	case store.FieldSpanDuration:
		if err := gf.durations(); err != nil {
			return nil, err
		}
		out := make([]bool, len(gf.spanRow))
		for s := range out {
			out[s] = c.Test(model.IntValue(int64(spanDuration(gf.start[s], gf.dur[s]))), true)
		}
		return out, nil
	case store.FieldTraceDuration:
		if err := gf.durations(); err != nil {
			return nil, err
		}
		start, end := gf.traceRanges()
		pass := make([]bool, gf.nrows)
		for row := range pass {
			pass[row] = c.Test(model.IntValue(int64(end[row]-start[row])), true)
		}
		return broadcast(pass, gf.spanRow), nil
	case store.FieldSpanAttr:
		owners, err := gf.attr(l.spanAttrs, depthSpan, len(gf.spanRow), c, spanSpecial(l, gf.codec, c.Field.Name))
		return owners, err
	case store.FieldResourceAttr:
		owners, err := gf.attr(l.resAttrs, depthRS, gf.nrs, c, resourceSpecial(l, gf.codec, c.Field.Name))
		if err != nil {
			return nil, err
		}
		return broadcast(owners, gf.spanRS), nil
	case store.FieldScopeAttr:
		owners, err := gf.attr(l.scopeAttrs, depthSS, gf.nss, c, nil)
		if err != nil {
			return nil, err
		}
		return broadcast(owners, gf.spanSS), nil
	case store.FieldEventAttr:
		return gf.nestedAttr(l.eventAttrs, c)
	case store.FieldLinkAttr:
		return gf.nestedAttr(l.linkAttrs, c)
	}
	return nil, fmt.Errorf("unknown field %d", c.Field.Kind)
}

// spanDuration is model.Span.Duration of a stored span, whose end is
// start + duration (wrapping as the assembler's does).
func spanDuration(start, dur uint64) uint64 {
	if start+dur < start {
		return 0
	}
	return dur
}

func broadcast(owners []bool, ownerOf []int32) []bool {
	out := make([]bool, len(ownerOf))
	for s, o := range ownerOf {
		out[s] = owners[o]
	}
	return out
}

// durations reads the span duration column once.
func (gf *groupFilter) durations() error {
	if gf.dur != nil {
		return nil
	}
	gf.dur = sized(gf.cols.spare.dur, len(gf.spanRow))
	if gf.dur == nil {
		gf.dur = []uint64{} // read: not nil
	}
	l := gf.p.leaves.duration
	if !l.ok {
		return nil
	}
	r, err := gf.reader(l)
	if err != nil {
		return err
	}
	return fill(r, gf.nrows, nil, depthSpan, gf.dur, getUint64)
}

// traceRanges returns each row's earliest span start and latest span end
// (model.Trace.TimeRange of the assembled trace).
func (gf *groupFilter) traceRanges() (start, end []uint64) {
	start, end = make([]uint64, gf.nrows), make([]uint64, gf.nrows)
	seen := make([]bool, gf.nrows)
	for s, row := range gf.spanRow {
		st := gf.start[s]
		e := st + gf.dur[s]
		if e < st {
			e = st
		}
		if !seen[row] || st < start[row] {
			start[row] = st
		}
		if !seen[row] || e > end[row] {
			end[row] = e
		}
		seen[row] = true
	}
	return start, end
}

// memoTest caches a test per dictionary value of a string column.
type memoTest struct {
	test  func(model.Value, bool) bool
	dicts map[*column.Dict][]int8 // 0 unknown, 1 true, 2 false
	// the dictionary of the last value and its memo (pages of one
	// chunk share a dictionary)
	last     *column.Dict
	lastMemo []int8
}

func newMemo(test func(model.Value, bool) bool) *memoTest {
	return &memoTest{test: test, dicts: map[*column.Dict][]int8{}}
}

// str tests string value vi of r's current page.
func (m *memoTest) str(r *column.Reader, vi int) bool {
	i, d, ok := r.DictIndexAt(vi)
	if !ok {
		return m.test(model.StringValue(r.StringAt(vi)), true)
	}
	memo := m.lastMemo
	if d != m.last {
		memo = m.dicts[d]
		if memo == nil {
			memo = make([]int8, d.Len())
			m.dicts[d] = memo
		}
		m.last, m.lastMemo = d, memo
	}
	if memo[i] == 0 {
		memo[i] = 2
		if m.test(model.StringValue(d.View(i)), true) { // tests keep nothing
			memo[i] = 1
		}
	}
	return memo[i] == 1
}

func (gf *groupFilter) spanStrings(l leaf, test func(model.Value, bool) bool) ([]bool, error) {
	out := make([]bool, len(gf.spanRow))
	if !l.ok {
		for s := range out {
			out[s] = test(model.StringValue(""), true)
		}
		return out, nil
	}
	r, err := gf.reader(l)
	if err != nil {
		return nil, err
	}
	m := newMemo(test)
	err = fill(r, gf.nrows, nil, depthSpan, out, m.str)
	return out, err
}

func (gf *groupFilter) spanInts(l leaf, test func(model.Value, bool) bool) ([]bool, error) {
	out := make([]bool, len(gf.spanRow))
	memo := map[int64]bool{}
	get := func(v int64) bool {
		r, ok := memo[v]
		if !ok {
			r = test(model.IntValue(v), true)
			memo[v] = r
		}
		return r
	}
	if !l.ok {
		for s := range out {
			out[s] = get(0)
		}
		return out, nil
	}
	r, err := gf.reader(l)
	if err != nil {
		return nil, err
	}
	err = fill(r, gf.nrows, nil, depthSpan, out, func(r *column.Reader, i int) bool { return get(r.Int64At(i)) })
	return out, err
}

// operands evaluates the two spansets a binary spanset operator combines.
func (gf *groupFilter) operands(e *store.SpansetExpr) (l, r []bool, err error) {
	if l, err = gf.spanset(e.L); err != nil {
		return nil, nil, err
	}
	r, err = gf.spanset(e.R)
	return l, r, err
}
