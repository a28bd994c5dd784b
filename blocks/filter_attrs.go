package blocks

import (
	"fmt"

	"github.com/parquet-go/parquet-go/format"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// Attribute tests on columns: the first generic attribute of a name per
// owner (resource, scope, span, event, link), then the static and
// dedicated columns that hold some of its values.

// special is a column that holds some values of one attribute outside the
// generic list (a static or dedicated column), read when the generic list
// has none.
type special struct {
	leaf leaf
	// nonEmpty: an empty string means no value (ServiceName).
	nonEmpty bool
	isInt    bool
}

func spanSpecial(l *fileLeaves, c *codec, name string) []special {
	var out []special
	switch name {
	case keyHTTPMethod:
		out = append(out, special{leaf: l.httpMethod})
	case keyHTTPURL:
		out = append(out, special{leaf: l.httpURL})
	case keyHTTPStatusCode:
		out = append(out, special{leaf: l.httpStatus, isInt: true})
	}
	if slot, ok := c.spanSlots[name]; ok {
		out = append(out, special{leaf: l.spanDedicated[slot]})
	}
	return out
}

func resourceSpecial(l *fileLeaves, c *codec, name string) []special {
	var out []special
	if name == model.ServiceNameKey {
		out = append(out, special{leaf: l.serviceName, nonEmpty: true})
	}
	for i, key := range resourceStatic {
		if key == name {
			out = append(out, special{leaf: l.resStatic[i]})
		}
	}
	if slot, ok := c.resSlots[name]; ok {
		out = append(out, special{leaf: l.resDedicated[slot]})
	}
	return out
}

// attrHit is the first generic attribute with the tested name of one owner.
type attrHit struct {
	owner int32 // owner element
	attr  int32 // attribute element
	span  int32 // span of the owner (events and links)
}

// attr evaluates c on the attribute of each owner at ownerDepth (owners
// of them): the first generic attribute named c.Field.Name, else the
// special columns in order, else absent.
func (gf *groupFilter) attr(al attrLeaves, ownerDepth, owners int, c *store.SpanCond, specials []special) ([]bool, error) {
	out := make([]bool, owners)
	decided := make([]bool, owners)
	if err := gf.testAttr(al, ownerDepth, c, func(h attrHit, ok bool) {
		out[h.owner], decided[h.owner] = ok, true
	}); err != nil {
		return nil, err
	}
	m := newMemo(c.Test)
	err := gf.specialValues(specials, ownerDepth, owners, decided, func(o int, sp special, r *column.Reader, vi int) {
		if sp.isInt {
			out[o] = c.Test(model.IntValue(r.Int64At(vi)), true)
		} else {
			out[o] = m.str(r, vi)
		}
	})
	if err != nil {
		return nil, err
	}
	absent := c.Test(model.Value{}, false)
	for o := range out {
		if !decided[o] {
			out[o] = absent
		}
	}
	return out, nil
}

// specialValues reads the special columns in order and calls set(o, sp,
// r, vi) for each owner o at ownerDepth (owners of them) not yet decided
// that has a value in sp, then marks it decided.
func (gf *groupFilter) specialValues(specials []special, ownerDepth, owners int, decided []bool,
	set func(o int, sp special, r *column.Reader, vi int)) error {
	for _, sp := range specials {
		if !sp.leaf.ok {
			continue
		}
		r, err := gf.reader(sp.leaf)
		if err != nil {
			return err
		}
		err = eachValue(r, gf.nrows, nil, ownerDepth, owners, func(o, vi int) error {
			if !decided[o] && (!sp.nonEmpty || len(r.BytesAt(vi)) > 0) {
				set(o, sp, r, vi)
				decided[o] = true
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// nestedAttr evaluates an event or link attribute test: a span passes when
// one of its events (links) has the attribute with a passing value.
func (gf *groupFilter) nestedAttr(al attrLeaves, c *store.SpanCond) ([]bool, error) {
	out := make([]bool, len(gf.spanRow))
	err := gf.testAttr(al, depthEvent, c, func(h attrHit, ok bool) {
		if ok {
			out[h.span] = true
		}
	})
	return out, err
}

// keyAbsent reports whether the key column chunk cannot hold name: every
// data page is dictionary-encoded and the dictionary lacks it (asked once
// per row group).
func (gf *groupFilter) keyAbsent(l leaf, name string) (bool, error) {
	k := absentKey{l.Index, name}
	if a, ok := gf.cols.absent[k]; ok {
		return a, nil
	}
	a, err := gf.dictLacks(l, name)
	if err == nil {
		gf.cols.absent[k] = a
	}
	return a, err
}

func (gf *groupFilter) dictLacks(l leaf, name string) (bool, error) {
	return gf.p.dictLacks(gf.g, l, func(s string) bool { return s == name })
}

// dictLacks reports whether string column l of row group g holds no value
// that want accepts, from its dictionary: every data page must be
// dictionary-encoded (else it may hold anything).
func (p *pfile) dictLacks(g int, l leaf, want func(string) bool) (bool, error) {
	meta := p.file.Metadata().RowGroups[g].Columns[l.Index].MetaData
	if len(meta.EncodingStats) == 0 {
		return false, nil
	}
	for _, st := range meta.EncodingStats {
		if (st.PageType == format.DataPage || st.PageType == format.DataPageV2) && st.Count > 0 &&
			st.Encoding != format.RLEDictionary && st.Encoding != 2 /* PLAIN_DICTIONARY, deprecated but written by old writers */ {
			return false, nil
		}
	}
	r := column.NewReader(p.file.RowGroups()[g].ColumnChunks()[l.Index], l.Leaf)
	defer r.Close()
	d, err := r.Dictionary()
	if err != nil || d == nil {
		return false, err
	}
	for i := 0; i < d.Len(); i++ {
		if want(d.String(int32(i))) {
			return false, nil
		}
	}
	return true, nil
}

// attrHits finds the first attribute named name of every owner at
// ownerDepth that has one, and reads those attributes' values of the
// given types (store.SpanCond.Types; values of other types read as
// empty). Both results are the batch's buffers: valid until the next call.
func (gf *groupFilter) attrHits(al attrLeaves, ownerDepth int, name string, types store.ValueTypes) ([]attrHit, *attrBuf, error) {
	hits, err := gf.findHits(al, ownerDepth, name)
	if err != nil || len(hits) == 0 {
		return nil, nil, err
	}
	vals, err := gf.hitValues(gf.valueLeaves(al, types), hits)
	return hits, vals, err
}

// valueLeaves returns the value columns of al that attrHits reads in this
// row group for the given types.
func (gf *groupFilter) valueLeaves(al attrLeaves, types store.ValueTypes) attrLeaves {
	if gf.p.layout == layoutDocumented {
		al = al.ofTypes(types)
	}
	return gf.p.readable(gf.g, al)
}

// testAttr reports c.Test's answer for the first attribute named
// c.Field.Name of each owner at ownerDepth that has one (attrHits, then
// testHits; or testOnlyList when one typed list is the only value column
// to read).
func (gf *groupFilter) testAttr(al attrLeaves, ownerDepth int, c *store.SpanCond, report func(attrHit, bool)) error {
	hits, err := gf.findHits(al, ownerDepth, c.Field.Name)
	if err != nil || len(hits) == 0 {
		return err
	}
	vl := gf.valueLeaves(al, c.Types)
	if typ, ok := onlyList(vl, gf.p.layout); ok {
		return gf.testOnlyList(vl, typ, hits, c.Test, report)
	}
	vals, err := gf.hitValues(vl, hits)
	if err != nil {
		return err
	}
	return gf.testHits(hits, vals, c.Test, report)
}

// findHits finds the first attribute named name of every owner at
// ownerDepth that has one: attrHits' first half. The result is the
// batch's buffer, valid until the next call.
func (gf *groupFilter) findHits(al attrLeaves, ownerDepth int, name string) ([]attrHit, error) {
	if !al.key.ok {
		return nil, nil
	}
	d := al.depth
	if d != ownerDepth+1 {
		return nil, fmt.Errorf("%w: attribute column %v at depth %d under depth %d", column.ErrCorrupt, al.key.Path, d, ownerDepth)
	}
	if absent, err := gf.keyAbsent(al.key, name); err != nil || absent {
		return nil, err
	}
	r, err := gf.reader(al.key)
	if err != nil {
		return nil, err
	}
	m := newMemo(func(v model.Value, _ bool) bool { return v.Str == name })
	hits := gf.cols.spare.hits[:0]
	// An owner has one hit at most: room for all of them, rather than
	// growing the buffer in steps the first time.
	if owners := gf.ownerCount(ownerDepth); cap(hits) < owners {
		hits = make([]attrHit, 0, owners)
	}
	defer func() { gf.cols.spare.hits = hits[:0] }()
	l := r.Leaf()
	od, ed, maxDef := elementDef(l, ownerDepth), elementDef(l, d), l.MaxDef
	sd := elementDef(l, min(depthSpan, ownerDepth))
	span, owner, attr, last := int32(-1), int32(-1), int32(-1), int32(-1)
	w := segments(r, gf.nrows, nil)
	for w.next() {
		vi := w.vi
		for i, def := range w.defs {
			rep := int(w.reps[i])
			if rep <= depthSpan && def >= sd {
				span++
			}
			if rep <= ownerDepth && def >= od {
				owner++
			}
			if def >= ed {
				attr++
				if def == maxDef && owner != last {
					// A key of the last dictionary already tested is
					// answered from m's memo here: this runs for every key,
					// and the compiler would not inline memoTest.str.
					var hit bool
					if di, dict, ok := r.DictIndexAt(vi); ok && dict == m.last && m.lastMemo[di] != 0 {
						hit = m.lastMemo[di] == 1
					} else {
						hit = m.str(r, vi)
					}
					if hit {
						hits = append(hits, attrHit{owner: owner, attr: attr, span: span})
						last = owner
					}
				}
			}
			if def == maxDef {
				vi++
			}
		}
	}
	err = w.finish(gf.nrows)
	if err == nil {
		err = gf.ownersCheck(r, ownerDepth, int(owner+1), int(span+1))
	}
	if err != nil {
		return nil, err
	}
	return hits, nil
}

// ownerCount returns the number of owners at depth d in the batch, or 0
// when the structure does not count them (events and links).
func (gf *groupFilter) ownerCount(d int) int {
	switch d {
	case depthRS:
		return gf.nrs
	case depthSS:
		return gf.nss
	case depthSpan:
		return len(gf.spanRow)
	}
	return 0
}

// ownersCheck holds the owners (and spans) an attribute column counted to
// those of the batch's structure, so that a damaged file is an error, not
// an index out of range.
func (gf *groupFilter) ownersCheck(r *column.Reader, ownerDepth, owners, spans int) error {
	switch ownerDepth {
	case depthRS:
		return countCheck(r, ownerDepth, owners, gf.nrs)
	case depthSS:
		return countCheck(r, ownerDepth, owners, gf.nss)
	case depthSpan:
		return countCheck(r, ownerDepth, owners, len(gf.spanRow))
	}
	return countCheck(r, depthSpan, spans, len(gf.spanRow))
}

// hitValues reads the values of the hit attributes into an attrBuf whose
// attribute i is hits[i].
func (gf *groupFilter) hitValues(al attrLeaves, hits []attrHit) (*attrBuf, error) {
	ab := &gf.cols.spare.vals
	ab.read = true
	n := len(hits)
	ab.key = sized(ab.key, n)
	ab.isArray = sized(ab.isArray, n)
	ab.vtype = sized(ab.vtype, n)
	ab.unsup.size(n)
	ab.strs.size(n)
	ab.ints.size(n)
	ab.doubles.size(n)
	ab.bools.size(n)
	d := al.depth
	// each walks column l and calls f(i, value, present) for the entries
	// of hit i's attribute (at depth d for attribute leaves, d+1 for list
	// elements).
	each := func(l leaf, elemDepth int, f func(i int, r *column.Reader, vi int, present bool)) error {
		if !l.ok {
			return nil
		}
		maxDef := l.MaxDef
		return gf.eachHitEntry(l, d, elemDepth, hits, func(r *column.Reader, e hitEntry) {
			f(e.hit, r, e.vi, e.def == maxDef)
		})
	}
	steps := []struct {
		l     leaf
		depth int
		f     func(i int, r *column.Reader, vi int, present bool)
	}{
		{al.isArray, d, func(i int, r *column.Reader, vi int, present bool) {
			if present {
				ab.isArray[i] = r.BoolAt(vi)
			}
		}},
		{al.valueType, d, func(i int, r *column.Reader, vi int, present bool) {
			if present {
				ab.vtype[i] = r.Int32At(vi)
			}
		}},
		{al.unsupported, d, func(i int, r *column.Reader, vi int, present bool) {
			if present {
				ab.unsup.v[i], ab.unsup.ok[i] = r.StringAt(vi), true
			}
		}},
		{al.str, d + 1, appendTo(&ab.strs, getString)},
		{al.ints, d + 1, appendTo(&ab.ints, getInt64)},
		{al.doubles, d + 1, appendTo(&ab.doubles, getFloat)},
		{al.bools, d + 1, appendTo(&ab.bools, getBool)},
	}
	for _, s := range steps {
		if err := each(s.l, s.depth, s.f); err != nil {
			return nil, err
		}
	}
	return ab, nil
}

// hitEntry is an entry of a hit's attribute in a value column, as
// eachHitEntry hands it over.
type hitEntry struct {
	hit     int  // the hit: its index in hits
	vi      int  // the entry's value index in the reader's page (when def is MaxDef)
	def     byte // the entry's definition level
	prev    bool // an entry comes before it in its segment,
	prevDef byte // at this definition level (its value index vi-1)
	last    bool // it ends its segment
}

// eachHitEntry walks value column l, under attributes at depth d, over
// the batch and calls f with each entry of a hit's attribute, in order:
// entries at elemDepth, d for an attribute's own columns and d+1 for the
// elements of its value lists.
func (gf *groupFilter) eachHitEntry(l leaf, d, elemDepth int, hits []attrHit, f func(r *column.Reader, e hitEntry)) error {
	r, err := gf.reader(l)
	if err != nil {
		return err
	}
	n := len(hits)
	ad, ed, maxDef := elementDef(l.Leaf, d), elementDef(l.Leaf, elemDepth), l.MaxDef
	w := segments(r, gf.nrows, nil)
	p, a := 0, int32(-1)
	for w.next() {
		vi := w.vi
		for i, def := range w.defs {
			if int(w.reps[i]) <= d && def >= ad {
				a++
			}
			if def >= ed && p < n {
				for p < n && hits[p].attr < a {
					p++
				}
				if p < n && hits[p].attr == a {
					e := hitEntry{hit: p, vi: vi, def: def, last: i == len(w.defs)-1}
					if i > 0 {
						e.prev, e.prevDef = true, w.defs[i-1]
					}
					f(r, e)
				}
			}
			if def == maxDef {
				vi++
			}
		}
	}
	return w.finish(gf.nrows)
}

// appendTo returns the step that appends each entry of a typed value list
// to l (the zero value for an empty entry).
func appendTo[T any](l *list[T], get func(*column.Reader, int) T) func(i int, r *column.Reader, vi int, present bool) {
	return func(i int, r *column.Reader, vi int, present bool) {
		var v T
		if present {
			v = get(r, vi)
		}
		appendList(l, int32(i), v)
	}
}

func appendList[T any](l *list[T], i int32, v T) {
	if l.n[i] == 0 {
		l.first[i] = int32(len(l.vals))
	}
	l.n[i]++
	l.vals = append(l.vals, v)
}

// listColumn describes one typed value list of the documented layout to
// testListHits: how to read an entry's value and make it a model value,
// alone or as an array.
type listColumn[T any] struct {
	at    func(r *column.Reader, vi int) T
	value func(T) model.Value
	array func([]T) model.Value
}

var (
	strList    = listColumn[string]{getString, model.StringValue, func(v []string) model.Value { return typedArray(v, nil, nil, nil) }}
	intList    = listColumn[int64]{getInt64, model.IntValue, func(v []int64) model.Value { return typedArray(nil, v, nil, nil) }}
	doubleList = listColumn[float64]{getFloat, model.DoubleValue, func(v []float64) model.Value { return typedArray(nil, nil, v, nil) }}
)

// onlyList returns the type of the value list al reads alone, if one
// does: the documented layout, a test of one type other than booleans (or
// of numbers where the row group holds one kind: see attrLeaves.ofTypes
// and pfile.readable), so no IsArray, ValueUnsupported or other list.
func onlyList(al attrLeaves, l layout) (model.ValueType, bool) {
	if l != layoutDocumented || al.isArray.ok || al.valueType.ok || al.unsupported.ok || al.bools.ok {
		return 0, false
	}
	var only model.ValueType
	n := 0
	for _, x := range []struct {
		l leaf
		t model.ValueType
	}{{al.str, model.ValueString}, {al.ints, model.ValueInt}, {al.doubles, model.ValueDouble}} {
		if x.l.ok {
			only, n = x.t, n+1
		}
	}
	return only, n == 1
}

// testListHits tests the hits' values when l, one typed value list of
// attributes at depth d, is the only value column to read (onlyList),
// giving what hitValues and testHits would: an attribute with one entry
// in the list is that value (an entry without a value, the zero value),
// whose test pass gives (nil: test of the value); with none it is the
// empty value; with more, an array. first is room for a value per hit.
func testListHits[T any](gf *groupFilter, l leaf, d int, hits []attrHit, first []T, col listColumn[T],
	pass func(r *column.Reader, vi int) bool, test func(model.Value, bool) bool, report func(attrHit, bool)) error {
	n := len(hits)
	m := &gf.cols.spare
	m.entries, m.pass = sized(m.entries, n), sized(m.pass, n)
	// Per hit: entries, the test of the first, the first's value when it
	// ends a segment (read only if a second entry follows).
	entries, passed := m.entries, m.pass
	var arrays map[int][]T // hits with more than one entry
	var zero, none *bool   // tests of the zero value and the empty value, once made
	if pass == nil {
		pass = func(r *column.Reader, vi int) bool { return test(col.value(col.at(r, vi)), true) }
	}
	maxDef := l.MaxDef
	valueAt := func(r *column.Reader, def byte, vi int) (v T) {
		if def == maxDef {
			v = col.at(r, vi)
		}
		return v
	}
	err := gf.eachHitEntry(l, d, d+1, hits, func(r *column.Reader, e hitEntry) {
		p := e.hit
		entries[p]++
		switch {
		case entries[p] == 1 && e.def == maxDef:
			passed[p] = pass(r, e.vi)
		case entries[p] == 1:
			if zero == nil {
				var z T
				zero = new(test(col.value(z), true))
			}
			passed[p] = *zero
		default:
			if arrays == nil {
				arrays = map[int][]T{}
			}
			if entries[p] == 2 {
				// The first entry is the one before, in this segment or
				// last in the one before.
				f := first[p]
				if e.prev {
					f = valueAt(r, e.prevDef, e.vi-1)
				}
				arrays[p] = append(arrays[p], f)
			}
			arrays[p] = append(arrays[p], valueAt(r, e.def, e.vi))
		}
		if entries[p] == 1 && e.last {
			first[p] = valueAt(r, e.def, e.vi)
		}
	})
	if err != nil {
		return err
	}
	for p, h := range hits {
		var ok bool
		switch entries[p] {
		case 0:
			if none == nil {
				none = new(test(model.Value{}, true))
			}
			ok = *none
		case 1:
			ok = passed[p]
		default:
			ok = test(col.array(arrays[p]), true)
		}
		report(h, ok)
	}
	return nil
}

// testOnlyList is testListHits on al's list of type typ, its only value
// column to read (onlyList): strings tested once per dictionary value,
// numbers one by one.
func (gf *groupFilter) testOnlyList(al attrLeaves, typ model.ValueType, hits []attrHit, test func(model.Value, bool) bool, report func(attrHit, bool)) error {
	m := &gf.cols.spare
	n := len(hits)
	switch typ {
	case model.ValueString:
		m.first = sized(m.first, n)
		memo := newMemo(test)
		return testListHits(gf, al.str, al.depth, hits, m.first, strList, memo.str, test, report)
	case model.ValueInt:
		m.firstInts = sized(m.firstInts, n)
		return testListHits(gf, al.ints, al.depth, hits, m.firstInts, intList, nil, test, report)
	default:
		m.firstDoubles = sized(m.firstDoubles, n)
		return testListHits(gf, al.doubles, al.depth, hits, m.firstDoubles, doubleList, nil, test, report)
	}
}

// testHits tests each hit's value and reports the result.
func (gf *groupFilter) testHits(hits []attrHit, vals *attrBuf, test func(model.Value, bool) bool, report func(attrHit, bool)) error {
	memo := map[string]bool{}
	for i, h := range hits {
		v, err := vals.value(int32(i), gf.p.layout)
		if err != nil {
			return fmt.Errorf("attribute %q: %w", vals.key[i], err)
		}
		var ok bool
		if v.Type == model.ValueString {
			r, seen := memo[v.Str]
			if !seen {
				r = test(v, true)
				memo[v.Str] = r
			}
			ok = r
		} else {
			ok = test(v, true)
		}
		report(h, ok)
	}
	return nil
}
