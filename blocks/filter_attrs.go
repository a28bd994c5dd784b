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
	hits, vals, err := gf.attrHits(al, ownerDepth, c.Field.Name, c.Types)
	if err != nil {
		return nil, err
	}
	if err := gf.testHits(hits, vals, c.Test, func(h attrHit, ok bool) {
		out[h.owner], decided[h.owner] = ok, true
	}); err != nil {
		return nil, err
	}
	m := newMemo(c.Test)
	err = gf.specialValues(specials, ownerDepth, owners, decided, func(o int, sp special, r *column.Reader, vi int) {
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
	hits, vals, err := gf.attrHits(al, depthEvent, c.Field.Name, c.Types)
	if err != nil {
		return nil, err
	}
	err = gf.testHits(hits, vals, c.Test, func(h attrHit, ok bool) {
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
	if !al.key.ok {
		return nil, nil, nil
	}
	d := al.depth
	if d != ownerDepth+1 {
		return nil, nil, fmt.Errorf("%w: attribute column %v at depth %d under depth %d", column.ErrCorrupt, al.key.Path, d, ownerDepth)
	}
	if absent, err := gf.keyAbsent(al.key, name); err != nil || absent {
		return nil, nil, err
	}
	r, err := gf.reader(al.key)
	if err != nil {
		return nil, nil, err
	}
	m := newMemo(func(v model.Value, _ bool) bool { return v.Str == name })
	hits := gf.cols.spare.hits[:0]
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
				if def == maxDef && owner != last && m.str(r, vi) {
					hits = append(hits, attrHit{owner: owner, attr: attr, span: span})
					last = owner
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
	if err != nil || len(hits) == 0 {
		return nil, nil, err
	}
	if gf.p.layout == layoutDocumented {
		al = al.ofTypes(types)
	}
	vals, err := gf.hitValues(gf.p.readable(gf.g, al), hits)
	return hits, vals, err
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
		r, err := gf.reader(l)
		if err != nil {
			return err
		}
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
						f(p, r, vi, def == maxDef)
					}
				}
				if def == maxDef {
					vi++
				}
			}
		}
		return w.finish(gf.nrows)
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
