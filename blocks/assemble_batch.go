package blocks

import (
	"fmt"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/model"
)

// batch holds the values of a batch's selected rows, one array per column
// and nesting level, indexed by element number (see levelWalker).
type batch struct {
	nTraces int32
	traceID []model.TraceID

	// parent of each element: resource spans → trace, scope spans →
	// resource spans, span → scope spans, event/link → span.
	rsTrace []int32
	ssRS    []int32
	spanSS  []int32

	service      []string
	resDropped   []int32
	resStatic    [numResourceStatic]optional[string]
	resDedicated [maxDedicated]optional[string]
	resAttrs     attrBuf

	scopeName, scopeVersion []string
	scopeDropped            []int32
	scopeAttrs              attrBuf

	spanID, parentSpanID              []model.SpanID
	parentID, nestedLeft, nestedRight []int32
	name, traceState, statusMessage   []string
	kind, statusCode                  []int64
	start, duration                   []uint64
	spanDropped                       []int32
	eventsDropped, linksDropped       []int32
	httpMethod, httpURL               optional[string]
	httpStatus                        optional[int64]
	spanDedicated                     [maxDedicated]optional[string]
	spanAttrs                         attrBuf

	eventSpan    []int32
	eventTime    []uint64
	eventName    []string
	eventDropped []int32
	eventAttrs   attrBuf

	linkSpan       []int32
	linkTraceID    []model.TraceID
	linkSpanID     []model.SpanID
	linkTraceState []string
	linkDropped    []int32
	linkAttrs      attrBuf
}

// optional holds an optional column's values and which are set.
type optional[T any] struct {
	v  []T
	ok []bool
}

func (o *optional[T]) size(n int) {
	o.v = sized(o.v, n)
	o.ok = sized(o.ok, n)
}

// has reports whether element k has a value (none past the values held:
// see fillColumn).
func (o *optional[T]) has(k int) bool { return k < len(o.ok) && o.ok[k] }

// sized returns s with length n, zeroed, reusing its capacity.
func sized[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// attrBuf holds the generic attributes of one owner kind of a batch.
type attrBuf struct {
	read    bool    // the attribute columns were read
	owner   []int32 // owner element of each attribute (nondecreasing)
	start   []int32 // per owner: first attribute (len owners+1)
	key     []string
	keep    []bool  // per attribute: built (nil: every attribute)
	kept    []int32 // per owner: attributes built (with keep)
	isArray []bool
	vtype   []int32
	unsup   optional[string]
	strs    list[string]
	ints    list[int64]
	doubles list[float64]
	bools   list[bool]
}

// list holds one typed value list per attribute.
type list[T any] struct {
	first, n []int32
	vals     []T
}

func (l *list[T]) size(n int) {
	l.first = sized(l.first, n)
	l.n = sized(l.n, n)
	l.vals = l.vals[:0]
}

func (l *list[T]) of(i int32) []T { return l.vals[l.first[i] : l.first[i]+l.n[i]] }

func (b *batch) reset() {
	b.nTraces = 0
	b.traceID = b.traceID[:0]
	b.rsTrace, b.ssRS, b.spanSS = b.rsTrace[:0], b.ssRS[:0], b.spanSS[:0]
	b.start = b.start[:0]
	b.eventSpan, b.linkSpan = b.eventSpan[:0], b.linkSpan[:0]
	for _, a := range []*attrBuf{&b.resAttrs, &b.scopeAttrs, &b.spanAttrs, &b.eventAttrs, &b.linkAttrs} {
		a.read = false
	}
}

// readStructure walks the span start times, which give every trace's
// resource spans, scope spans and spans (including empty lists).
func (a *groupAssembler) readStructure(n int, sel []bool) error {
	b := &a.b
	r := a.rd.start
	l := r.Leaf()
	d1, d2, d3, maxDef := l.DefAt[0], l.DefAt[1], l.DefAt[2], l.MaxDef
	w := segments(r, n, sel)
	for w.next() {
		if !w.selected {
			continue
		}
		vi := w.vi
		for i, def := range w.defs {
			rep := w.reps[i]
			if rep == 0 {
				b.nTraces++
			}
			if rep <= depthRS && def >= d1 {
				b.rsTrace = append(b.rsTrace, b.nTraces-1)
			}
			if rep <= depthSS && def >= d2 {
				b.ssRS = append(b.ssRS, int32(len(b.rsTrace)-1))
			}
			if def >= d3 {
				b.spanSS = append(b.spanSS, int32(len(b.ssRS)-1))
				var v uint64
				if def == maxDef {
					v = uint64(r.Int64At(vi))
				}
				b.start = append(b.start, v)
			}
			if def == maxDef {
				vi++
			}
		}
	}
	return w.finish(n)
}

// fill walks r, a leaf at depth d, and stores get(r, value) at dst[k] for
// the value of element k at depth d of the selected rows; dst has one
// entry per element.
func fill[T any](r *column.Reader, n int, sel []bool, d int, dst []T, get func(*column.Reader, int) T) error {
	if r == nil {
		return nil
	}
	return eachValue(r, n, sel, d, len(dst), func(k, vi int) error {
		dst[k] = get(r, vi)
		return nil
	})
}

// fillOptional is fill for an optional column: o.ok marks the set values.
func fillOptional[T any](r *column.Reader, n int, sel []bool, d int, count int, o *optional[T], get func(*column.Reader, int) T) error {
	o.size(count)
	if r == nil {
		return nil
	}
	return eachValue(r, n, sel, d, count, func(k, vi int) error {
		o.v[k], o.ok[k] = get(r, vi), true
		return nil
	})
}

// fillColumn is fillOptional for a static or dedicated attribute column
// of the batch, which the projection may leave unread (r nil): o then
// holds no value (optional.has), rather than count unset ones, cleared
// (13 span columns of 17 bytes a span: 28 MiB held by the two workers of
// a count over blocks of 132k spans).
func fillColumn[T any](r *column.Reader, n int, sel []bool, d int, count int, o *optional[T], get func(*column.Reader, int) T) error {
	if r == nil {
		o.v, o.ok = o.v[:0], o.ok[:0]
		return nil
	}
	return fillOptional(r, n, sel, d, count, o, get)
}

// children walks the first column of nested elements (events, links) at
// depth d under the parents elements at depth d-1: it appends each
// element's parent to parent and calls value for each of its values.
func children(r *column.Reader, n int, sel []bool, d, parents int, parent []int32, value func(*column.Reader, int)) ([]int32, error) {
	l := r.Leaf()
	pd, ed, maxDef := elementDef(l, d-1), elementDef(l, d), l.MaxDef
	w := segments(r, n, sel)
	p := int32(-1)
	for w.next() {
		if !w.selected {
			continue
		}
		vi := w.vi
		for i, def := range w.defs {
			if int(w.reps[i]) <= d-1 && def >= pd {
				p++
			}
			if def >= ed {
				parent = append(parent, p)
				if def == maxDef {
					value(r, vi)
				}
			}
			if def == maxDef {
				vi++
			}
		}
	}
	if err := w.finish(n); err != nil {
		return nil, err
	}
	return parent, countCheck(r, d-1, int(p+1), parents)
}

// Value getters for fill: value i of the reader's current page.
func getString(r *column.Reader, i int) string { return r.StringAt(i) }
func getInt64(r *column.Reader, i int) int64   { return r.Int64At(i) }
func getUint64(r *column.Reader, i int) uint64 { return uint64(r.Int64At(i)) }
func getInt32(r *column.Reader, i int) int32   { return r.Int32At(i) }
func getBool(r *column.Reader, i int) bool     { return r.BoolAt(i) }
func getFloat(r *column.Reader, i int) float64 { return r.Float64At(i) }

func getSpanID(r *column.Reader, i int) (model.SpanID, error) {
	id, ok := model.SpanIDFromBytes(r.BytesAt(i))
	if !ok {
		return id, fmt.Errorf("%w: span ID %x longer than 8 bytes", column.ErrCorrupt, r.BytesAt(i))
	}
	return id, nil
}

func getTraceID(r *column.Reader, i int) (model.TraceID, error) {
	id, ok := model.TraceIDFromBytes(r.BytesAt(i))
	if !ok {
		return id, fmt.Errorf("%w: trace ID %x longer than 16 bytes", column.ErrCorrupt, r.BytesAt(i))
	}
	return id, nil
}

// fillChecked is fill for values that may be invalid (IDs).
func fillChecked[T any](r *column.Reader, n int, sel []bool, d int, dst []T, get func(*column.Reader, int) (T, error)) error {
	if r == nil {
		return nil
	}
	return eachValue(r, n, sel, d, len(dst), func(k, vi int) (err error) {
		dst[k], err = get(r, vi)
		return err
	})
}

// readColumns fills the batch from every open column but the structure.
func (a *groupAssembler) readColumns(n int, sel []bool) error {
	b, r := &a.b, &a.rd
	nrs, nss, nspans := len(b.rsTrace), len(b.ssRS), len(b.spanSS)
	b.traceID = sized(b.traceID, int(b.nTraces))
	if err := fillChecked(r.traceID, n, sel, 0, b.traceID, getTraceID); err != nil {
		return err
	}

	b.service = sized(b.service, nrs)
	if err := fill(r.serviceName, n, sel, depthRS, b.service, getString); err != nil {
		return err
	}
	b.resDropped = sized(b.resDropped, nrs)
	if err := fill(r.resDropped, n, sel, depthRS, b.resDropped, getInt32); err != nil {
		return err
	}
	for i := range r.resStatic {
		if err := fillColumn(r.resStatic[i], n, sel, depthRS, nrs, &b.resStatic[i], getString); err != nil {
			return err
		}
	}
	for i := range r.resDedicated {
		if err := fillColumn(r.resDedicated[i], n, sel, depthRS, nrs, &b.resDedicated[i], getString); err != nil {
			return err
		}
	}
	if err := a.readAttrs(r.resAttrs, n, sel, depthRS, nrs, &b.resAttrs); err != nil {
		return err
	}

	b.scopeName, b.scopeVersion = sized(b.scopeName, nss), sized(b.scopeVersion, nss)
	b.scopeDropped = sized(b.scopeDropped, nss)
	if err := fill(r.scopeName, n, sel, depthSS, b.scopeName, getString); err != nil {
		return err
	}
	if err := fill(r.scopeVersion, n, sel, depthSS, b.scopeVersion, getString); err != nil {
		return err
	}
	if err := fill(r.scopeDropped, n, sel, depthSS, b.scopeDropped, getInt32); err != nil {
		return err
	}
	if err := a.readAttrs(r.scopeAttrs, n, sel, depthSS, nss, &b.scopeAttrs); err != nil {
		return err
	}

	b.spanID, b.parentSpanID = sized(b.spanID, nspans), sized(b.parentSpanID, nspans)
	b.parentID, b.nestedLeft, b.nestedRight = sized(b.parentID, nspans), sized(b.nestedLeft, nspans), sized(b.nestedRight, nspans)
	b.name, b.traceState, b.statusMessage = sized(b.name, nspans), sized(b.traceState, nspans), sized(b.statusMessage, nspans)
	b.kind, b.statusCode, b.duration = sized(b.kind, nspans), sized(b.statusCode, nspans), sized(b.duration, nspans)
	b.spanDropped, b.eventsDropped, b.linksDropped = sized(b.spanDropped, nspans), sized(b.eventsDropped, nspans), sized(b.linksDropped, nspans)
	steps := []func() error{
		func() error { return fillChecked(r.spanID, n, sel, depthSpan, b.spanID, getSpanID) },
		func() error { return fillChecked(r.parentSpanID, n, sel, depthSpan, b.parentSpanID, getSpanID) },
		func() error { return fill(r.parentID, n, sel, depthSpan, b.parentID, getInt32) },
		func() error { return fill(r.nestedLeft, n, sel, depthSpan, b.nestedLeft, getInt32) },
		func() error { return fill(r.nestedRight, n, sel, depthSpan, b.nestedRight, getInt32) },
		func() error { return fill(r.name, n, sel, depthSpan, b.name, getString) },
		func() error { return fill(r.kind, n, sel, depthSpan, b.kind, getInt64) },
		func() error { return fill(r.traceState, n, sel, depthSpan, b.traceState, getString) },
		func() error { return fill(r.duration, n, sel, depthSpan, b.duration, getUint64) },
		func() error { return fill(r.statusCode, n, sel, depthSpan, b.statusCode, getInt64) },
		func() error { return fill(r.statusMessage, n, sel, depthSpan, b.statusMessage, getString) },
		func() error { return fill(r.spanDropped, n, sel, depthSpan, b.spanDropped, getInt32) },
		func() error { return fill(r.eventsDropped, n, sel, depthSpan, b.eventsDropped, getInt32) },
		func() error { return fill(r.linksDropped, n, sel, depthSpan, b.linksDropped, getInt32) },
		func() error { return fillColumn(r.httpMethod, n, sel, depthSpan, nspans, &b.httpMethod, getString) },
		func() error { return fillColumn(r.httpURL, n, sel, depthSpan, nspans, &b.httpURL, getString) },
		func() error { return fillColumn(r.httpStatus, n, sel, depthSpan, nspans, &b.httpStatus, getInt64) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	for i := range r.spanDedicated {
		if err := fillColumn(r.spanDedicated[i], n, sel, depthSpan, nspans, &b.spanDedicated[i], getString); err != nil {
			return err
		}
	}
	if err := a.readAttrs(r.spanAttrs, n, sel, depthSpan, nspans, &b.spanAttrs); err != nil {
		return err
	}
	if err := a.readEvents(n, sel); err != nil {
		return err
	}
	return a.readLinks(n, sel)
}

// readEvents reads span events: TimeSinceStartNano gives their structure.
func (a *groupAssembler) readEvents(n int, sel []bool) error {
	b, r := &a.b, &a.rd
	b.eventSpan, b.eventTime = b.eventSpan[:0], b.eventTime[:0]
	if r.eventTime == nil {
		return nil
	}
	var err error
	b.eventSpan, err = children(r.eventTime, n, sel, depthEvent, len(b.spanSS), b.eventSpan, func(r *column.Reader, i int) {
		b.eventTime = append(b.eventTime, uint64(r.Int64At(i)))
	})
	if err != nil {
		return err
	}
	nev := len(b.eventSpan)
	if len(b.eventTime) != nev {
		return fmt.Errorf("%w: event without a time", column.ErrCorrupt)
	}
	b.eventName, b.eventDropped = sized(b.eventName, nev), sized(b.eventDropped, nev)
	if err := fill(r.eventName, n, sel, depthEvent, b.eventName, getString); err != nil {
		return err
	}
	if err := fill(r.eventDropped, n, sel, depthEvent, b.eventDropped, getInt32); err != nil {
		return err
	}
	return a.readAttrs(r.eventAttrs, n, sel, depthEvent, nev, &b.eventAttrs)
}

// readLinks reads span links: TraceID gives their structure.
func (a *groupAssembler) readLinks(n int, sel []bool) error {
	b, r := &a.b, &a.rd
	b.linkSpan, b.linkTraceID = b.linkSpan[:0], b.linkTraceID[:0]
	if r.linkTraceID == nil {
		return nil
	}
	var err error
	var idErr error
	b.linkSpan, err = children(r.linkTraceID, n, sel, depthEvent, len(b.spanSS), b.linkSpan, func(r *column.Reader, i int) {
		id, err := getTraceID(r, i)
		if err != nil && idErr == nil {
			idErr = err
		}
		b.linkTraceID = append(b.linkTraceID, id)
	})
	if err == nil {
		err = idErr
	}
	if err != nil {
		return err
	}
	nl := len(b.linkSpan)
	if len(b.linkTraceID) != nl {
		return fmt.Errorf("%w: link without a trace ID", column.ErrCorrupt)
	}
	b.linkSpanID, b.linkTraceState, b.linkDropped = sized(b.linkSpanID, nl), sized(b.linkTraceState, nl), sized(b.linkDropped, nl)
	if err := fillChecked(r.linkSpanID, n, sel, depthEvent, b.linkSpanID, getSpanID); err != nil {
		return err
	}
	if err := fill(r.linkTraceState, n, sel, depthEvent, b.linkTraceState, getString); err != nil {
		return err
	}
	if err := fill(r.linkDropped, n, sel, depthEvent, b.linkDropped, getInt32); err != nil {
		return err
	}
	return a.readAttrs(r.linkAttrs, n, sel, depthEvent, nl, &b.linkAttrs)
}
