package blocks

import (
	"fmt"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/model"
)

// readAttrs reads one generic attribute group whose owners sit at
// ownerDepth (owners of them in the batch).
func (a *groupAssembler) readAttrs(ar *attrReaders, n int, sel []bool, ownerDepth, owners int, out *attrBuf) error {
	if ar == nil || ar.key == nil {
		return nil
	}
	out.read = true
	d := ar.depth
	if d != ownerDepth+1 {
		return fmt.Errorf("%w: attribute column %v at depth %d under depth %d", column.ErrCorrupt, ar.key.Leaf().Path, d, ownerDepth)
	}
	out.owner, out.key, out.keep = out.owner[:0], out.key[:0], out.keep[:0]
	if a.keys == nil {
		out.keep = nil
	}
	r := ar.key
	l := r.Leaf()
	od, ed, maxDef := elementDef(l, ownerDepth), elementDef(l, d), l.MaxDef
	w := segments(r, n, sel)
	o := int32(-1)
	for w.next() {
		if !w.selected {
			continue
		}
		vi := w.vi
		for i, def := range w.defs {
			if int(w.reps[i]) <= ownerDepth && def >= od {
				o++
			}
			if def >= ed {
				out.owner = append(out.owner, o)
				k := ""
				if def == maxDef {
					k = r.StringAt(vi)
				}
				out.key = append(out.key, k)
				if a.keys != nil {
					out.keep = append(out.keep, def == maxDef && a.keyMemo.str(r, vi))
				}
			}
			if def == maxDef {
				vi++
			}
		}
	}
	if err := w.finish(n); err != nil {
		return err
	}
	if err := countCheck(r, ownerDepth, int(o+1), owners); err != nil {
		return err
	}
	nattrs := len(out.owner)
	out.start = sized(out.start, owners+1)
	for i, o := range out.owner {
		if int(o) >= owners || (i > 0 && o < out.owner[i-1]) {
			return fmt.Errorf("%w: attribute owners out of order", column.ErrCorrupt)
		}
		out.start[o+1]++
	}
	for o := 1; o <= owners; o++ {
		out.start[o] += out.start[o-1]
	}
	if out.keep != nil {
		out.kept = sized(out.kept, owners)
		for i, o := range out.owner {
			if out.keep[i] {
				out.kept[o]++
			}
		}
	}
	out.isArray = sized(out.isArray, nattrs)
	if err := fill(ar.isArray, n, sel, d, out.isArray, getBool); err != nil {
		return err
	}
	out.vtype = sized(out.vtype, nattrs)
	if err := fill(ar.valueType, n, sel, d, out.vtype, getInt32); err != nil {
		return err
	}
	if err := fillOptional(ar.unsupported, n, sel, d, nattrs, &out.unsup, getString); err != nil {
		return err
	}
	if err := readList(ar.str, n, sel, d, out.keep, nattrs, &out.strs, getString); err != nil {
		return err
	}
	if err := readList(ar.ints, n, sel, d, out.keep, nattrs, &out.ints, getInt64); err != nil {
		return err
	}
	if err := readList(ar.doubles, n, sel, d, out.keep, nattrs, &out.doubles, getFloat); err != nil {
		return err
	}
	return readList(ar.bools, n, sel, d, out.keep, nattrs, &out.bools, getBool)
}

// readList reads one typed value list of attributes at depth d (only
// those keep marks, when it is not nil).
func readList[T any](r *column.Reader, n int, sel []bool, d int, keep []bool, nattrs int, l *list[T], get func(*column.Reader, int) T) error {
	l.size(nattrs)
	if r == nil {
		return nil
	}
	leaf := r.Leaf()
	ad, ed, maxDef := elementDef(leaf, d), elementDef(leaf, d+1), leaf.MaxDef
	w := segments(r, n, sel)
	a := int32(-1)
	for w.next() {
		if !w.selected {
			continue
		}
		vi := w.vi
		for i, def := range w.defs {
			if int(w.reps[i]) <= d && def >= ad {
				a++
			}
			if def >= ed && int(a) < nattrs && a >= 0 && (keep == nil || keep[a]) {
				if l.n[a] == 0 {
					l.first[a] = int32(len(l.vals))
				}
				l.n[a]++
				var v T
				if def == maxDef {
					v = get(r, vi)
				}
				l.vals = append(l.vals, v)
			}
			if def == maxDef {
				vi++
			}
		}
	}
	if err := w.finish(n); err != nil {
		return err
	}
	return countCheck(r, d, int(a+1), nattrs)
}

// count returns the number of generic attributes of owner o that are built.
func (ab *attrBuf) count(o int32) int {
	if !ab.read {
		return 0
	}
	if ab.keep != nil {
		return int(ab.kept[o])
	}
	return int(ab.start[o+1] - ab.start[o])
}

// value decodes attribute i in the file's layout.
func (ab *attrBuf) value(i int32, l layout) (model.Value, error) {
	if l == layoutLegacy {
		p := pqLegacyAttribute{
			Key:         ab.key[i],
			ValueType:   ab.vtype[i],
			Value:       ab.strs.of(i),
			ValueInt:    ab.ints.of(i),
			ValueDouble: ab.doubles.of(i),
			ValueBool:   ab.bools.of(i),
		}
		if ab.unsup.ok[i] {
			s := ab.unsup.v[i]
			p.ValueDropped = &s
		}
		v, err := decodeLegacyValue(&p)
		if err != nil {
			return model.Value{}, err
		}
		// The old reader converted legacy rows to the documented layout
		// first; the round trip normalizes values the same way.
		doc := encodeAttr(&model.Attribute{Key: p.Key, Value: v})
		return decodeValue(&doc)
	}
	if ab.unsup.ok[i] {
		return unmarshalAnyValue(ab.unsup.v[i])
	}
	ns, ni, nd, nb := ab.strs.n[i], ab.ints.n[i], ab.doubles.n[i], ab.bools.n[i]
	if ab.isArray[i] || ns+ni+nd+nb > 1 {
		return typedArray(ab.strs.of(i), ab.ints.of(i), ab.doubles.of(i), ab.bools.of(i)), nil
	}
	switch {
	case ns == 1:
		return model.StringValue(ab.strs.vals[ab.strs.first[i]]), nil
	case ni == 1:
		return model.IntValue(ab.ints.vals[ab.ints.first[i]]), nil
	case nd == 1:
		return model.DoubleValue(ab.doubles.vals[ab.doubles.first[i]]), nil
	case nb == 1:
		return model.BoolValue(ab.bools.vals[ab.bools.first[i]]), nil
	}
	return model.Value{}, nil
}

// appendGeneric appends owner o's generic attributes to dst, decoding
// each value in place (dst must have the capacity: see build).
func (ab *attrBuf) appendGeneric(dst []model.Attribute, o int32, l layout) ([]model.Attribute, error) {
	if !ab.read {
		return dst, nil
	}
	for i := ab.start[o]; i < ab.start[o+1]; i++ {
		if ab.keep != nil && !ab.keep[i] {
			continue
		}
		dst = append(dst, model.Attribute{})
		a := &dst[len(dst)-1]
		a.Key = ab.key[i]
		if l == layoutDocumented && !ab.unsup.ok[i] && !ab.isArray[i] &&
			ab.strs.n[i] == 1 && ab.ints.n[i]+ab.doubles.n[i]+ab.bools.n[i] == 0 {
			a.Value.Type, a.Value.Str = model.ValueString, ab.strs.vals[ab.strs.first[i]] // the common case
			continue
		}
		v, err := ab.value(i, l)
		if err != nil {
			return dst, fmt.Errorf("attribute %q: %w", ab.key[i], err)
		}
		a.Value = v
	}
	return dst, nil
}

// offsetsOf turns the parents of consecutive elements into the first
// element of each parent (len parents+1).
func offsetsOf(parent []int32, parents int, dst []int32) ([]int32, error) {
	dst = sized(dst, parents+1)
	for i, p := range parent {
		if p < 0 || int(p) >= parents || (i > 0 && p < parent[i-1]) {
			return nil, fmt.Errorf("%w: nested elements out of order", column.ErrCorrupt)
		}
		dst[p+1]++
	}
	for i := 1; i <= parents; i++ {
		dst[i] += dst[i-1]
	}
	return dst, nil
}

// builder turns a read batch into traces.
type builder struct {
	rsOff, ssOff, spanOff []int32
	eventOff, linkOff     []int32
	resCount, spanCount   []int32 // attributes per resource / span, extras included
}

// build assembles the batch's traces. Each trace gets its own arrays (so a
// trace kept by a caller does not pin the others) and attribute slices
// with capacity equal to their length (an append copies).
func (a *groupAssembler) build() ([]*model.Trace, error) {
	b := &a.b
	nrs, nss, nspans := len(b.rsTrace), len(b.ssRS), len(b.spanSS)
	// The offsets and counts only index the batch (they are the
	// assembler's own and never reach a trace): their memory serves the
	// next batch too.
	bd := &a.bd
	var err error
	if bd.rsOff, err = offsetsOf(b.rsTrace, int(b.nTraces), bd.rsOff); err != nil {
		return nil, err
	}
	if bd.ssOff, err = offsetsOf(b.ssRS, nrs, bd.ssOff); err != nil {
		return nil, err
	}
	if bd.spanOff, err = offsetsOf(b.spanSS, nss, bd.spanOff); err != nil {
		return nil, err
	}
	if bd.eventOff, err = offsetsOf(b.eventSpan, nspans, bd.eventOff); err != nil {
		return nil, err
	}
	if bd.linkOff, err = offsetsOf(b.linkSpan, nspans, bd.linkOff); err != nil {
		return nil, err
	}
	c := a.codec
	bd.resCount = sized(bd.resCount, nrs)
	for i := range nrs {
		n := b.resAttrs.count(int32(i))
		if b.service[i] != "" {
			n++
		}
		for s := range b.resStatic {
			if a.fields.ResourceAttributes && b.resStatic[s].has(i) {
				n++
			}
		}
		for s := range b.resDedicated {
			if a.fields.ResourceAttributes && c.resNames[s] != "" && b.resDedicated[s].has(i) {
				n++
			}
		}
		bd.resCount[i] = int32(n)
	}
	bd.spanCount = sized(bd.spanCount, nspans)
	if a.fields.SpanAttributes {
		for i := range nspans {
			n := b.spanAttrs.count(int32(i))
			if b.httpMethod.has(i) {
				n++
			}
			if b.httpURL.has(i) {
				n++
			}
			if b.httpStatus.has(i) {
				n++
			}
			for s := range b.spanDedicated {
				if c.spanNames[s] != "" && b.spanDedicated[s].has(i) {
					n++
				}
			}
			bd.spanCount[i] = int32(n)
		}
	}
	out := make([]*model.Trace, b.nTraces)
	for t := range out {
		tr, err := a.buildTrace(bd, int32(t))
		if err != nil {
			return nil, fmt.Errorf("trace %s: %w", b.traceID[t], err)
		}
		out[t] = tr
	}
	return out, nil
}

func (a *groupAssembler) buildTrace(bd *builder, t int32) (*model.Trace, error) {
	b, c, l := &a.b, a.codec, a.layout
	rsA, rsB := bd.rsOff[t], bd.rsOff[t+1]
	ssA, ssB := bd.ssOff[rsA], bd.ssOff[rsB]
	spA, spB := bd.spanOff[ssA], bd.spanOff[ssB]
	evA, evB := bd.eventOff[spA], bd.eventOff[spB]
	lkA, lkB := bd.linkOff[spA], bd.linkOff[spB]

	nattrs := 0
	for i := rsA; i < rsB; i++ {
		nattrs += int(bd.resCount[i])
	}
	for i := ssA; i < ssB; i++ {
		nattrs += b.scopeAttrs.count(i)
	}
	for i := spA; i < spB; i++ {
		nattrs += int(bd.spanCount[i])
	}
	for i := evA; i < evB; i++ {
		nattrs += b.eventAttrs.count(i)
	}
	for i := lkA; i < lkB; i++ {
		nattrs += b.linkAttrs.count(i)
	}
	ar := a.cur
	reuse := ar.reuse()
	attrs := ar.attrs.take(nattrs, reuse)[:0]
	// cut returns the attributes appended since start, or nil.
	cut := func(start int) []model.Attribute {
		if len(attrs) == start {
			return nil
		}
		return attrs[start:len(attrs):len(attrs)]
	}

	id := b.traceID[t]
	tr := ar.newTrace()
	tr.TraceID, tr.ResourceSpans = id, ar.rs.take(int(rsB-rsA), reuse)
	scopes := ar.scopes.take(int(ssB-ssA), reuse)
	spans := ar.spans.take(int(spB-spA), reuse)
	events := ar.events.take(int(evB-evA), reuse)
	links := ar.links.take(int(lkB-lkA), reuse)
	var err error
	for i := rsA; i < rsB; i++ {
		rs := &tr.ResourceSpans[i-rsA]
		start := len(attrs)
		if attrs, err = b.resAttrs.appendGeneric(attrs, i, l); err != nil {
			return nil, fmt.Errorf("resource %d: %w", i-rsA, err)
		}
		if s := b.service[i]; s != "" {
			attrs = appendStr(attrs, model.ServiceNameKey, s)
		}
		if a.fields.ResourceAttributes {
			for s, key := range resourceStatic {
				if b.resStatic[s].has(int(i)) {
					attrs = appendStr(attrs, key, b.resStatic[s].v[i])
				}
			}
			for s := range b.resDedicated {
				if c.resNames[s] != "" && b.resDedicated[s].has(int(i)) {
					attrs = appendStr(attrs, c.resNames[s], b.resDedicated[s].v[i])
				}
			}
			rs.Resource.DroppedAttributesCount = uint32(b.resDropped[i])
		}
		rs.Resource.Attributes = cut(start)
		s0, s1 := bd.ssOff[i], bd.ssOff[i+1]
		rs.ScopeSpans = scopes[s0-ssA : s1-ssA : s1-ssA]
		for j := s0; j < s1; j++ {
			ss := &rs.ScopeSpans[j-s0]
			start := len(attrs)
			if attrs, err = b.scopeAttrs.appendGeneric(attrs, j, l); err != nil {
				return nil, fmt.Errorf("scope: %w", err)
			}
			// Field by field: a composite literal is built on the stack
			// and copied (see appendStr).
			sc := &ss.Scope
			sc.Name, sc.Version = b.scopeName[j], b.scopeVersion[j]
			sc.Attributes, sc.DroppedAttributesCount = cut(start), uint32(b.scopeDropped[j])
			k0, k1 := bd.spanOff[j], bd.spanOff[j+1]
			ss.Spans = spans[k0-spA : k1-spA : k1-spA]
			for k := k0; k < k1; k++ {
				if err := a.buildSpan(bd, &ss.Spans[k-k0], k, id, &attrs, cut, events[min(bd.eventOff[k]-evA, int32(len(events))):], links[min(bd.linkOff[k]-lkA, int32(len(links))):]); err != nil {
					return nil, fmt.Errorf("span %d: %w", k-k0, err)
				}
			}
		}
	}
	return tr, nil
}

// buildSpan fills span k; events and links start at its first event and
// link in the trace's arrays.
func (a *groupAssembler) buildSpan(bd *builder, s *model.Span, k int32, id model.TraceID, attrs *[]model.Attribute,
	cut func(int) []model.Attribute, events []model.Event, links []model.Link) error {
	b, c, l := &a.b, a.codec, a.layout
	s.TraceID = id
	s.SpanID, s.ParentSpanID = b.spanID[k], b.parentSpanID[k]
	s.ParentIndex, s.NestedSetLeft, s.NestedSetRight = b.parentID[k], b.nestedLeft[k], b.nestedRight[k]
	s.Name, s.Kind, s.TraceState = b.name[k], model.SpanKind(b.kind[k]), b.traceState[k]
	s.StartTimeUnixNano, s.EndTimeUnixNano = b.start[k], b.start[k]+b.duration[k]
	s.Status.Code, s.Status.Message = model.StatusCode(b.statusCode[k]), b.statusMessage[k]
	if a.fields.SpanAttributes {
		start := len(*attrs)
		var err error
		if *attrs, err = b.spanAttrs.appendGeneric(*attrs, k, l); err != nil {
			return err
		}
		if b.httpMethod.has(int(k)) {
			*attrs = appendStr(*attrs, keyHTTPMethod, b.httpMethod.v[k])
		}
		if b.httpURL.has(int(k)) {
			*attrs = appendStr(*attrs, keyHTTPURL, b.httpURL.v[k])
		}
		if b.httpStatus.has(int(k)) {
			*attrs = appendInt(*attrs, keyHTTPStatusCode, b.httpStatus.v[k])
		}
		for i := range b.spanDedicated {
			if c.spanNames[i] != "" && b.spanDedicated[i].has(int(k)) {
				*attrs = appendStr(*attrs, c.spanNames[i], b.spanDedicated[i].v[k])
			}
		}
		s.Attributes = cut(start)
		s.DroppedAttributesCount = uint32(b.spanDropped[k])
	}
	if a.fields.Events {
		s.DroppedEventsCount = uint32(b.eventsDropped[k])
		if n := bd.eventOff[k+1] - bd.eventOff[k]; n > 0 {
			s.Events = events[:n:n]
			for e := bd.eventOff[k]; e < bd.eventOff[k+1]; e++ {
				start := len(*attrs)
				var err error
				if *attrs, err = b.eventAttrs.appendGeneric(*attrs, e, l); err != nil {
					return fmt.Errorf("event %d: %w", e-bd.eventOff[k], err)
				}
				s.Events[e-bd.eventOff[k]] = model.Event{
					TimeUnixNano:           b.start[k] + b.eventTime[e],
					Name:                   b.eventName[e],
					Attributes:             cut(start),
					DroppedAttributesCount: uint32(b.eventDropped[e]),
				}
			}
		}
	}
	if a.fields.Links {
		s.DroppedLinksCount = uint32(b.linksDropped[k])
		if n := bd.linkOff[k+1] - bd.linkOff[k]; n > 0 {
			s.Links = links[:n:n]
			for e := bd.linkOff[k]; e < bd.linkOff[k+1]; e++ {
				start := len(*attrs)
				var err error
				if *attrs, err = b.linkAttrs.appendGeneric(*attrs, e, l); err != nil {
					return fmt.Errorf("link %d: %w", e-bd.linkOff[k], err)
				}
				s.Links[e-bd.linkOff[k]] = model.Link{
					TraceID:                b.linkTraceID[e],
					SpanID:                 b.linkSpanID[e],
					TraceState:             b.linkTraceState[e],
					Attributes:             cut(start),
					DroppedAttributesCount: uint32(b.linkDropped[e]),
				}
			}
		}
	}
	return nil
}

// appendStr appends the string attribute k=v built in its slot. A
// model.Attribute built elsewhere (model.Str) is assembled on the stack
// field by field and copied whole, and that copy's wide loads wait for the
// narrow stores (a store-forwarding stall: 40% of buildTrace).
func appendStr(attrs []model.Attribute, k, v string) []model.Attribute {
	attrs = append(attrs, model.Attribute{})
	a := &attrs[len(attrs)-1]
	a.Key = k
	a.Value = model.StringValue(v)
	return attrs
}

// appendInt appends the int attribute k=v built in its slot (appendStr).
func appendInt(attrs []model.Attribute, k string, v int64) []model.Attribute {
	attrs = append(attrs, model.Attribute{})
	a := &attrs[len(attrs)-1]
	a.Key = k
	a.Value = model.IntValue(v)
	return attrs
}
