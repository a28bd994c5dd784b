package blocks

import (
	"github.com/parquet-go/parquet-go/format"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// Row-group pruning: before any value is read, a filter's tests are tried
// on the dictionaries of the columns they read (one small read each) and
// on the absence of attribute keys from the key dictionaries. A test no
// dictionary value passes is false for every span of the group; when the
// whole condition is then false, the group is skipped unread.

// truth is a three-valued result for every span (or trace) of a group.
type truth uint8

const (
	unknown truth = iota
	allFalse
	allTrue
)

func (t truth) not() truth {
	switch t {
	case allFalse:
		return allTrue
	case allTrue:
		return allFalse
	}
	return unknown
}

// mayPass reports whether some row of row group g may pass cond; false
// means none can and the group need not be read.
func (p *pfile) mayPass(g int, c *codec, cond *store.TraceCond) bool {
	pass, pr := p.prune(g, c, cond)
	pr.close()
	return pass
}

// pruneUnless is prune, or, when skip is set (no condition, or the group
// holds parts of traces split across blocks, which only the merged trace
// decides), a pass with no pruner.
func (p *pfile) pruneUnless(skip bool, g int, c *codec, cond *store.TraceCond) (bool, *pruner) {
	if skip {
		return true, nil
	}
	return p.prune(g, c, cond)
}

// prune is mayPass keeping the readers whose dictionaries it decoded:
// the group's filter continues them (groupReaders.adopt), so that no
// dictionary is decoded twice. Close the pruner after.
func (p *pfile) prune(g int, c *codec, cond *store.TraceCond) (bool, *pruner) {
	pr := &pruner{p: p, g: g, codec: c}
	if pr.trace(cond) == allFalse {
		return false, pr
	}
	pr.pass = pr.rows(cond)
	return len(pr.pass) > 0, pr
}

type pruner struct {
	p       *pfile
	g       int
	codec   *codec
	dicts   map[int]*column.Dict // per column; nil: not fully dictionary-encoded
	read    map[int]bool
	readers map[int]*column.Reader    // at the chunk's start, its dictionary read
	stats   map[int]*column.PageStats // per column; nil: no page index
	// pass is the rows that may pass by the page statistics (rows), the
	// only ones the group's filter reads.
	pass rowSet
}

// close closes the readers not adopted; a nil pruner has none.
func (pr *pruner) close() {
	if pr == nil {
		return
	}
	for _, r := range pr.readers {
		r.Close()
	}
	pr.readers = nil
}

func (pr *pruner) trace(c *store.TraceCond) truth {
	switch c.Op {
	case store.OpTrue:
		return allTrue
	case store.OpAny:
		if pr.span(c.Span) == allFalse {
			return allFalse
		}
	case store.OpSpanset:
		if pr.spanset(c.Spans) {
			return allFalse
		}
	case store.OpTraceIDs:
		if len(c.IDs) == 0 || !pr.p.mayHold(pr.g, anyIDIn(c.IDs)) {
			return allFalse
		}
	case store.OpAnd, store.OpOr:
		and := c.Op == store.OpAnd
		all := true
		for _, a := range c.Args {
			t := pr.trace(a)
			if and && t == allFalse {
				return allFalse
			}
			if !and && t != allFalse {
				all = false
			}
		}
		if !and && all {
			return allFalse
		}
	}
	return unknown
}

// spanset reports whether e selects no span in the group.
func (pr *pruner) spanset(e *store.SpansetExpr) bool {
	switch e.Op {
	case store.SpansFilter:
		return e.Cond != nil && pr.span(e.Cond) == allFalse
	case store.SpansAnd:
		return pr.spanset(e.L) || pr.spanset(e.R)
	case store.SpansOr:
		return pr.spanset(e.L) && pr.spanset(e.R)
	case store.SpansRelation:
		if e.Mode == store.RelUnion {
			return pr.spanset(e.L) || pr.spanset(e.R) // a relation needs both sides
		}
		return pr.spanset(e.R) || (e.Mode == store.RelPlain && pr.spanset(e.L))
	case store.SpansCount, store.SpansDurations:
		return pr.spanset(e.L)
	}
	return false
}

func (pr *pruner) span(c *store.SpanCond) truth {
	switch c.Op {
	case store.OpTrue:
		return allTrue
	case store.OpNot:
		return pr.span(c.Args[0]).not()
	case store.OpAnd, store.OpOr:
		and := c.Op == store.OpAnd
		out := allTrue
		if !and {
			out = allFalse
		}
		for _, a := range c.Args {
			t := pr.span(a)
			switch {
			case and && t == allFalse, !and && t == allTrue:
				return t
			case t == unknown:
				out = unknown
			}
		}
		return out
	case store.OpTest:
		return pr.test(c)
	}
	return unknown
}

// test decides a field test from dictionaries: the values a column can
// hold are its dictionary's when every data page is dictionary-encoded.
func (pr *pruner) test(c *store.SpanCond) truth {
	l := pr.p.leaves
	switch c.Field.Kind {
	case store.FieldSpanName:
		return pr.strings(l.name, strTest(c), false)
	case store.FieldSpanStatusMessage:
		return pr.strings(l.statusMessage, strTest(c), false)
	case store.FieldSpanAttr:
		return pr.attr(l.spanAttrs, spanSpecial(l, pr.codec, c.Field.Name), c)
	case store.FieldResourceAttr:
		return pr.attr(l.resAttrs, resourceSpecial(l, pr.codec, c.Field.Name), c)
	case store.FieldScopeAttr:
		return pr.attr(l.scopeAttrs, nil, c)
	case store.FieldEventAttr:
		if pr.keyAbsent(l.eventAttrs, c.Field.Name) {
			return allFalse
		}
	case store.FieldLinkAttr:
		if pr.keyAbsent(l.linkAttrs, c.Field.Name) {
			return allFalse
		}
	}
	return unknown
}

// attr decides an attribute test when no generic attribute of the group
// has the name, or when none of them can pass (genericFalse): the value is
// then a special column's or absent.
func (pr *pruner) attr(al attrLeaves, specials []special, c *store.SpanCond) truth {
	absent := c.Test(model.Value{}, false)
	if !pr.keyAbsent(al, c.Field.Name) && (absent || !pr.genericFalse(al, c)) {
		return unknown
	}
	out := allFalse
	if absent {
		out = allTrue
	}
	for _, sp := range specials {
		if !sp.leaf.ok || pr.p.chunkEmpty(pr.g, sp.leaf) {
			continue
		}
		if sp.isInt {
			return unknown
		}
		t := pr.strings(sp.leaf, strTest(c), sp.nonEmpty)
		// Owners without a value in the column are absent.
		if t == unknown || (t == allTrue) != absent {
			return unknown
		}
	}
	return out
}

// genericFalse reports whether a string-only test is false for every
// generic attribute of the group whatever its key: no string of the value
// column's dictionary passes, nor does a value of another type (which
// answers as an empty one, store.SpanCond.Types), and there is no array
// that could answer otherwise than its elements: no list of two values
// or more, and no unsupported value (an array of one element answers as
// that element). This is what skips the row groups without a needle
// value, `{ span.user.id = "u-42" }`.
func (pr *pruner) genericFalse(al attrLeaves, c *store.SpanCond) bool {
	if pr.p.layout != layoutDocumented || c.Types != store.TypesOf(model.ValueString) || c.Test(model.Value{}, true) {
		return false
	}
	if al.unsupported.ok && !pr.p.chunkEmpty(pr.g, al.unsupported) {
		return false
	}
	if !al.str.ok || pr.p.chunkEmpty(pr.g, al.str) {
		return true // no string value at all
	}
	return !pr.p.longerLists(pr.g, al.str) && pr.strings(al.str, strTest(c), false) == allFalse
}

// longerLists reports whether a list of leaf l (a list of values of one
// attribute) may hold more than one element in row group g: unless the
// repetition level histogram says no entry repeats the innermost list.
func (p *pfile) longerLists(g int, l leaf) bool {
	md := p.file.Metadata().RowGroups[g].Columns[l.Index].MetaData
	hist := md.SizeStatistics.RepetitionLevelHistogram
	if l.MaxRep == 0 || len(hist) != int(l.MaxRep)+1 {
		return true
	}
	var entries int64
	for _, n := range hist {
		if n < 0 {
			return true
		}
		entries += n
	}
	return entries != md.NumValues || hist[l.MaxRep] != 0
}

// keyAbsent reports whether no generic attribute of the group has name
// (an attribute group that does not exist has none).
func (pr *pruner) keyAbsent(al attrLeaves, name string) bool {
	if !al.key.ok {
		return true
	}
	if pr.p.chunkEmpty(pr.g, al.key) {
		return true
	}
	d := pr.dict(al.key)
	if d == nil {
		return false
	}
	for i := 0; i < d.Len(); i++ {
		if d.String(int32(i)) == name {
			return false
		}
	}
	return true
}

// strTest returns c's test of a present string value: c.Str, else
// c.Test on the string.
func strTest(c *store.SpanCond) func(string) bool {
	if c.Str != nil {
		return c.Str
	}
	return func(s string) bool { return c.Test(model.StringValue(s), true) }
}

// strings tests every value of a string column's dictionary with test (a
// strTest), until both answers are seen; nonEmpty leaves out the empty
// string (a column where it means absent).
func (pr *pruner) strings(l leaf, test func(string) bool, nonEmpty bool) truth {
	if !l.ok {
		return unknown
	}
	if v, ok := pr.p.singleValue(pr.g, l); ok {
		if nonEmpty && v == "" {
			return allFalse // every value means absent
		}
		if test(v) {
			return allTrue
		}
		return allFalse
	}
	d := pr.dict(l)
	if d == nil {
		return unknown
	}
	seenTrue, seenFalse := false, false
	for i := 0; i < d.Len() && !(seenTrue && seenFalse); i++ {
		s := d.View(int32(i)) // tests keep nothing (store.SpanCond.Test, Str)
		if nonEmpty && s == "" {
			continue
		}
		if test(s) {
			seenTrue = true
		} else {
			seenFalse = true
		}
	}
	switch {
	case seenTrue && !seenFalse:
		return allTrue
	case seenFalse && !seenTrue:
		return allFalse
	case !seenTrue && !seenFalse:
		return allFalse // no value at all
	}
	return unknown
}

// dict returns the dictionary of leaf l in the group when every data page
// of the chunk is dictionary-encoded, else nil.
func (pr *pruner) dict(l leaf) *column.Dict {
	if pr.read[l.Index] {
		return pr.dicts[l.Index]
	}
	if pr.read == nil {
		pr.read, pr.dicts = map[int]bool{}, map[int]*column.Dict{}
	}
	pr.read[l.Index] = true
	if !pr.p.allDictionary(pr.g, l) {
		return nil
	}
	r := column.NewReader(pr.p.file.RowGroups()[pr.g].ColumnChunks()[l.Index], l.Leaf)
	d, err := r.Dictionary()
	if err != nil {
		r.Close()
		return nil // pruning is an optimization: the read reports the damage
	}
	if pr.readers == nil {
		pr.readers = map[int]*column.Reader{}
	}
	pr.dicts[l.Index], pr.readers[l.Index] = d, r
	return d
}

// allDictionary reports whether every data page of leaf l in row group g
// is dictionary-encoded, from the chunk's page encoding statistics.
func (p *pfile) allDictionary(g int, l leaf) bool {
	meta := p.file.Metadata().RowGroups[g].Columns[l.Index].MetaData
	if len(meta.EncodingStats) == 0 {
		return false
	}
	for _, st := range meta.EncodingStats {
		if (st.PageType == format.DataPage || st.PageType == format.DataPageV2) && st.Count > 0 &&
			st.Encoding != format.RLEDictionary && st.Encoding != 2 /* PLAIN_DICTIONARY, deprecated but written by old writers */ {
			return false
		}
	}
	return true
}

// singleValue returns the one value of string leaf l in row group g when
// its statistics say min equals max and nothing is null. Only files
// tracectl wrote are trusted here (their statistics are whole values;
// other writers may truncate them).
func (p *pfile) singleValue(g int, l leaf) (string, bool) {
	if !p.exactTimes {
		return "", false
	}
	m := p.file.Metadata().RowGroups[g].Columns[l.Index].MetaData
	st := m.Statistics
	lo, hi := st.MinValue, st.MaxValue
	if len(lo) == 0 && len(hi) == 0 {
		lo, hi = st.Min, st.Max
	}
	if st.NullCount != 0 || m.NumValues == 0 || string(lo) != string(hi) || (len(lo) == 0 && len(st.MinValue) == 0 && len(st.Min) == 0) {
		return "", false
	}
	return string(lo), true
}
