package blocks

import (
	"encoding/hex"
	"fmt"
	"math"
	"unsafe"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/model"
)

// encoder turns traces straight into the leaf column values of
// data.parquet, with their repetition and definition levels, in the
// documented layout (pqTrace; see encode_layout.go for the levels). It is
// what parquet-go's reflection over a pqTrace row would produce, without
// building the row: the levels and values of a batch of traces are
// collected per column (column.Values) and the BlockWriter hands each
// trace's run of each column to the parquet column writer (write).
//
// Strings are referenced, not copied: the traces' strings must stay
// unchanged until the batch is written (Go strings are). Trace, span and
// link IDs, which live in the traces' structs, are copied into the batch.
type encoder struct {
	lay   *traceLayout
	codec *codec

	cols  []column.Values // per leaf column, the entries of the batch
	ends  []colEnd        // per trace and column, the end of its run in cols
	ids   []model.TraceID
	bytes []byte // copies of IDs and the hex trace IDs
	nvals int    // entries in cols

	taken []bool              // scratch: attributes moved to a static or dedicated column
	svc   []model.ServiceStat // scratch: ServiceStats of one trace

	// copy, when set, is the copied row group the batch's rows belong to:
	// its copied leaves are not written (BlockWriter.beginCopy); endCopy
	// ends the group after the batch.
	copy    *groupCopy
	endCopy bool
	sk      encodeSkip // the trace being added: e.copy's sections not encoded
}

// colEnd is where a trace's run of a column ends in the encoder's
// column.Values: its entries, byte arrays and other values.
type colEnd struct{ entries, byteArrays, nums int }

func newEncoder(c *codec) *encoder {
	l := docLayout()
	return &encoder{lay: l, codec: c, cols: make([]column.Values, l.numLeaves)}
}

// rows is the number of traces encoded since the last reset.
func (e *encoder) rows() int { return len(e.ids) }

// reset empties the batch, dropping its references to the traces.
func (e *encoder) reset() {
	for i := range e.cols {
		c := &e.cols[i]
		clear(c.ByteArrays)
		c.Reps, c.Defs, c.ByteArrays, c.Nums = c.Reps[:0], c.Defs[:0], c.ByteArrays[:0], c.Nums[:0]
	}
	e.ends = e.ends[:0]
	e.ids = e.ids[:0]
	e.bytes = e.bytes[:0]
	e.nvals = 0
	e.copy, e.endCopy = nil, false
}

// write hands each trace's values to the column writers, one trace (row)
// at a time, as parquet-go's GenericWriter does, so pages are cut at the
// same rows. after is called once per trace, after its row is complete;
// column errors are prefixed with key (the object's). The leaves a copied
// row group copies (e.copy) are left out.
func (e *encoder) write(key string, fw *column.FileWriter, after func(model.TraceID) error) error {
	n := len(e.cols)
	pos := make([]colEnd, n)
	var skip []bool
	if e.copy != nil {
		skip = e.copy.copied
	}
	for r := range e.ids {
		ends := e.ends[r*n : (r+1)*n]
		for c, end := range ends {
			if skip != nil && skip[c] {
				pos[c] = end
				continue
			}
			from, col := pos[c], &e.cols[c]
			err := fw.Chunk(c).WriteValues(column.Values{
				Reps:       col.Reps[from.entries:end.entries],
				Defs:       col.Defs[from.entries:end.entries],
				ByteArrays: col.ByteArrays[from.byteArrays:end.byteArrays],
				Nums:       col.Nums[from.nums:end.nums],
			})
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			pos[c] = end
		}
		if err := after(e.ids[r]); err != nil {
			return err
		}
	}
	return nil
}

// add encodes t, which must be rebatched (rebatch), as the next row and
// returns its time range (zero without spans).
func (e *encoder) add(t *model.Trace) (start, end uint64) {
	l := e.lay
	var rootService, rootSpan string
	start, end, rootService, rootSpan = summary(t)
	e.sk = encodeSkip{}
	if e.copy != nil {
		e.sk = e.copy.skip
	}
	e.putBytes(l.traceID, t.TraceID[:], 0, 0)
	off := len(e.bytes)
	e.bytes = appendTraceIDText(e.bytes, t.TraceID)
	e.putByteArray(l.traceIDText, e.bytes[off:len(e.bytes):len(e.bytes)], 0, 0)
	e.putInt64(l.start, int64(start), 0, 0)
	e.putInt64(l.end, int64(end), 0, 0)
	e.putInt64(l.duration, int64(end-start), 0, 0)
	e.putStr(l.rootService, rootService, 0, 0)
	e.putStr(l.rootSpan, rootSpan, 0, 0)
	e.serviceStats(t)

	if len(t.ResourceSpans) == 0 {
		e.nulls(l.rsFirst, l.numLeaves-1, 0, 0)
	}
	for i := range t.ResourceSpans {
		rs := &t.ResourceSpans[i]
		r := 0
		if i > 0 {
			r = depthRS
		}
		if !e.sk.resource {
			e.resource(&rs.Resource, r)
		}
		if !e.sk.scopes || !e.sk.spans() {
			e.scopeSpans(rs.ScopeSpans, r)
		}
	}

	e.ids = append(e.ids, t.TraceID)
	for c := range e.cols {
		col := &e.cols[c]
		e.ends = append(e.ends, colEnd{len(col.Reps), len(col.ByteArrays), len(col.Nums)})
	}
	return start, end
}

// summary is t.TimeRange() and the service and span name of t.Root() (empty
// without a root), in one walk.
func summary(t *model.Trace) (start, end uint64, rootService, rootSpan string) {
	first := true
	var rootRes *model.Resource
	var root *model.Span
	for i := range t.ResourceSpans {
		rs := &t.ResourceSpans[i]
		for j := range rs.ScopeSpans {
			spans := rs.ScopeSpans[j].Spans
			for k := range spans {
				sp := &spans[k]
				s, e := sp.StartTimeUnixNano, max(sp.EndTimeUnixNano, sp.StartTimeUnixNano)
				if first || s < start {
					start = s
				}
				if first || e > end {
					end = e
				}
				first = false
				if sp.IsRoot() {
					rootRes, root = &rs.Resource, sp
				}
			}
		}
	}
	if root != nil {
		rootService, rootSpan = rootRes.ServiceName(), root.Name
	}
	return start, end, rootService, rootSpan
}

// serviceStats writes the ServiceStats map: span and error counts per
// resource service.name (resources without spans count too), keys in
// ascending order as parquet-go writes a Go map; absent without resources.
func (e *encoder) serviceStats(t *model.Trace) {
	l := e.lay
	if len(t.ResourceSpans) == 0 {
		e.nulls(l.statsKey, l.statsErrors, 0, 0)
		return
	}
	e.svc = t.AppendServiceStats(e.svc[:0])
	for i, s := range e.svc {
		r := 0
		if i > 0 {
			r = 1
		}
		e.putStr(l.statsKey, s.Service, r, 2)
		e.putInt32(l.statsSpans, int32(s.SpanCount), r, 2)
		e.putInt32(l.statsErrors, int32(s.ErrorCount), r, 2)
	}
}

// resource writes one resource at repetition level r: service.name (the
// first non-empty string), the static and the dedicated columns take the
// first string attribute of their name; the rest are generic attributes.
func (e *encoder) resource(res *model.Resource, r int) {
	l := e.lay
	const d = depthRS
	attrs := res.Attributes
	taken := e.takenFor(len(attrs))
	service := -1
	var static [numResourceStatic]int
	var dedicated [maxDedicated]int
	noPicks(static[:])
	noPicks(dedicated[:])
	// One pass: each column takes the first string attribute of its name
	// (service.name the first non-empty one); a dedicated column never has
	// a static column's name (DedicatedColumn.usable).
	for i := range attrs {
		a := &attrs[i]
		if a.Value.Type != model.ValueString {
			continue
		}
		if a.Key == model.ServiceNameKey {
			if service < 0 && a.Value.Str != "" {
				service, taken[i] = i, true
			}
			continue
		}
		if si := resourceStaticIndex(a.Key); si >= 0 {
			if static[si] < 0 {
				static[si], taken[i] = i, true
			}
			continue
		}
		pickDedicated(e.codec.resNames[:len(e.codec.resSlots)], a.Key, i, dedicated[:], taken)
	}
	e.attrs(&l.resAttrs, attrs, taken, r)
	e.putInt32(l.resDropped, int32(res.DroppedAttributesCount), r, d)
	if service >= 0 {
		e.putStr(l.resService, attrs[service].Value.Str, r, d)
	} else {
		e.putStr(l.resService, "", r, d)
	}
	e.optionalStrings(l.resStatic[:], static[:], attrs, r, d)
	e.optionalStrings(l.resDedicated[:], dedicated[:], attrs, r, d)
}

// scopeSpans writes the scope-spans list of a resource at repetition
// level r.
func (e *encoder) scopeSpans(sss []model.ScopeSpans, r int) {
	l := e.lay
	if len(sss) == 0 {
		e.nulls(l.ssFirst, l.numLeaves-1, r, depthSS-1)
		return
	}
	const d = depthSS
	for j := range sss {
		ss := &sss[j]
		rj := r
		if j > 0 {
			rj = d
		}
		if !e.sk.scopes {
			e.putStr(l.scopeName, ss.Scope.Name, rj, d)
			e.putStr(l.scopeVersion, ss.Scope.Version, rj, d)
			e.attrs(&l.scopeAttrs, ss.Scope.Attributes, nil, rj)
			e.putInt32(l.scopeDropped, int32(ss.Scope.DroppedAttributesCount), rj, d)
		}
		if len(ss.Spans) == 0 {
			e.nulls(l.spansFirst, l.numLeaves-1, rj, d)
			continue
		}
		if e.sk.spans() {
			continue
		}
		for k := range ss.Spans {
			rk := rj
			if k > 0 {
				rk = depthSpan
			}
			e.span(&ss.Spans[k], rk)
		}
	}
}

// span writes one span at repetition level r.
func (e *encoder) span(s *model.Span, r int) {
	if !e.sk.spanCore {
		e.spanCore(s, r)
	}
	if !e.sk.spanAttrs {
		e.spanAttrs(s, r)
	}
	if !e.sk.events {
		e.events(s, r)
	}
	if !e.sk.links {
		e.links(s, r)
	}
}

// spanCore writes a span's own fields but its attributes.
func (e *encoder) spanCore(s *model.Span, r int) {
	l := e.lay
	const d = depthSpan
	e.putBytes(l.spanID, s.SpanID[:], r, d)
	if s.ParentSpanID.IsZero() {
		e.putByteArray(l.parentSpanID, nil, r, d)
	} else {
		e.putBytes(l.parentSpanID, s.ParentSpanID[:], r, d)
	}
	e.putInt32(l.parentID, s.ParentIndex, r, d)
	e.putInt32(l.nsLeft, s.NestedSetLeft, r, d)
	e.putInt32(l.nsRight, s.NestedSetRight, r, d)
	e.putStr(l.name, s.Name, r, d)
	e.putInt64(l.kind, int64(s.Kind), r, d)
	e.putStr(l.traceState, s.TraceState, r, d)
	e.putInt64(l.spanStart, int64(s.StartTimeUnixNano), r, d)
	e.putInt64(l.spanDur, int64(s.Duration()), r, d)
	e.putInt64(l.statusCode, int64(s.Status.Code), r, d)
	e.putStr(l.statusMessage, s.Status.Message, r, d)
}

// spanAttrs writes a span's attributes: the generic list, the dropped
// count, and the static and dedicated columns.
func (e *encoder) spanAttrs(s *model.Span, r int) {
	l := e.lay
	const d = depthSpan
	attrs := s.Attributes
	taken := e.takenFor(len(attrs))
	method, url, status := -1, -1, -1
	var dedicated [maxDedicated]int
	noPicks(dedicated[:])
	// One pass, as in resource: http.method and http.url take the first
	// string, http.status_code the first int attribute of their name.
	for i := range attrs {
		a := &attrs[i]
		switch a.Value.Type {
		case model.ValueInt:
			if status < 0 && a.Key == keyHTTPStatusCode {
				status, taken[i] = i, true
			}
		case model.ValueString:
			switch a.Key {
			case keyHTTPMethod:
				if method < 0 {
					method, taken[i] = i, true
				}
				continue
			case keyHTTPURL:
				if url < 0 {
					url, taken[i] = i, true
				}
				continue
			}
			pickDedicated(e.codec.spanNames[:len(e.codec.spanSlots)], a.Key, i, dedicated[:], taken)
		}
	}
	e.attrs(&l.spanAttrs, attrs, taken, r)
	e.putInt32(l.spanDropped, int32(s.DroppedAttributesCount), r, d)
	e.optionalString(l.httpMethod, attrs, method, r, d)
	e.optionalString(l.httpURL, attrs, url, r, d)
	if status >= 0 {
		e.putInt64(l.httpStatus, attrs[status].Value.Int, r, d+1)
	} else {
		e.putNull(l.httpStatus, r, d)
	}
	e.optionalStrings(l.spanDedicated[:], dedicated[:], attrs, r, d)
}

// events writes a span's events and its dropped events count.
func (e *encoder) events(s *model.Span, r int) {
	l := e.lay
	const d = depthSpan
	if len(s.Events) == 0 {
		e.nulls(l.eventTime, l.eventDropped, r, d)
	}
	for i := range s.Events {
		ev := &s.Events[i]
		ri := r
		if i > 0 {
			ri = depthEvent
		}
		// Wraps for events before the span start; the reader adds it
		// back with the same wrap, so the time round-trips.
		e.putInt64(l.eventTime, int64(ev.TimeUnixNano-s.StartTimeUnixNano), ri, depthEvent)
		e.putStr(l.eventName, ev.Name, ri, depthEvent)
		e.attrs(&l.eventAttrs, ev.Attributes, nil, ri)
		e.putInt32(l.eventDropped, int32(ev.DroppedAttributesCount), ri, depthEvent)
	}
	e.putInt32(l.droppedEvents, int32(s.DroppedEventsCount), r, d)
}

// links writes a span's links and its dropped links count.
func (e *encoder) links(s *model.Span, r int) {
	l := e.lay
	const d = depthSpan
	if len(s.Links) == 0 {
		e.nulls(l.linkTraceID, l.linkDropped, r, d)
	}
	for i := range s.Links {
		lk := &s.Links[i]
		ri := r
		if i > 0 {
			ri = depthEvent
		}
		e.putBytes(l.linkTraceID, lk.TraceID[:], ri, depthEvent)
		e.putBytes(l.linkSpanID, lk.SpanID[:], ri, depthEvent)
		e.putStr(l.linkTraceState, lk.TraceState, ri, depthEvent)
		e.attrs(&l.linkAttrs, lk.Attributes, nil, ri)
		e.putInt32(l.linkDropped, int32(lk.DroppedAttributesCount), ri, depthEvent)
	}
	e.putInt32(l.droppedLinks, int32(s.DroppedLinksCount), r, d)
}

// attrs writes an attribute list (skipping the taken ones) at repetition
// level r; an empty list is a null one level up.
func (e *encoder) attrs(a *attrCols, attrs []model.Attribute, taken []bool, r int) {
	n := 0
	for i := range attrs {
		if taken != nil && taken[i] {
			continue
		}
		ri := r
		if n > 0 {
			ri = a.depth
		}
		e.attr(a, &attrs[i], ri)
		n++
	}
	if n == 0 {
		e.nulls(a.key, a.unsupported, r, a.depth-1)
	}
}

// attr writes one attribute element as encodeAttr lays it out: a scalar
// string, int, double or bool is the single element of its typed list; an
// array of one scalar type (or an empty array) is that list with IsArray
// set; anything else is OTLP JSON in ValueUnsupported.
func (e *encoder) attr(a *attrCols, at *model.Attribute, r int) {
	d := a.depth
	e.putStr(a.key, at.Key, r, d)
	v := &at.Value
	var one [1]model.Value
	var list []model.Value
	typ := model.ValueEmpty
	isArray := false
	switch v.Type {
	case model.ValueString, model.ValueInt, model.ValueDouble, model.ValueBool:
		one[0] = *v
		list, typ = one[:], v.Type
	case model.ValueArray:
		vs := v.Array()
		if t, ok := arrayType(vs); ok {
			list, typ, isArray = vs, t, true
		}
	}
	if list == nil && !isArray { // empty, bytes, kvlist, mixed or nested array
		e.putBool(a.isArray, false, r, d)
		e.nulls(a.str, a.bools, r, d)
		// The JSON string lives as long as the value refers to it.
		e.putStr(a.unsupported, marshalAnyValue(*v), r, d+1)
		return
	}
	e.putBool(a.isArray, isArray, r, d)
	for c, t := range [4]model.ValueType{model.ValueString, model.ValueInt, model.ValueDouble, model.ValueBool} {
		col := a.str + c
		if t != typ || len(list) == 0 {
			e.putNull(col, r, d)
			continue
		}
		for j := range list {
			rj := r
			if j > 0 {
				rj = d + 1
			}
			e.putScalar(col, &list[j], rj, d+1)
		}
	}
	e.putNull(a.unsupported, r, d)
}

// arrayType is the element type of an array of one scalar type (empty for
// an empty array); ok is false for mixed or nested arrays.
func arrayType(vs []model.Value) (t model.ValueType, ok bool) {
	if len(vs) == 0 {
		return model.ValueEmpty, true
	}
	t = vs[0].Type
	switch t {
	case model.ValueString, model.ValueInt, model.ValueDouble, model.ValueBool:
	default:
		return 0, false
	}
	for i := range vs {
		if vs[i].Type != t {
			return 0, false
		}
	}
	return t, true
}

// optionalString writes attrs[i]'s string to an optional column, or a
// null when i is negative.
func (e *encoder) optionalString(col int, attrs []model.Attribute, i, r, d int) {
	if i < 0 {
		e.putNull(col, r, d)
		return
	}
	e.putStr(col, attrs[i].Value.Str, r, d+1)
}

// resourceStaticIndex is the index of key in resourceStatic, or -1.
func resourceStaticIndex(key string) int {
	switch key {
	case "cluster":
		return 0
	case "namespace":
		return 1
	case "pod":
		return 2
	case "container":
		return 3
	case "k8s.cluster.name":
		return 4
	case "k8s.namespace.name":
		return 5
	case "k8s.pod.name":
		return 6
	case "k8s.container.name":
		return 7
	}
	return -1
}

// noPicks marks every column of picks as taking no attribute (-1).
func noPicks(picks []int) {
	for i := range picks {
		picks[i] = -1
	}
}

// pickDedicated gives attribute i, named key, to its dedicated column
// (names holds them by slot) when that column has none yet, and marks it
// taken. A scan of the ten names at most, which compares lengths first,
// costs less than hashing every attribute key into a map.
func pickDedicated(names []string, key string, i int, picks []int, taken []bool) {
	for slot, name := range names {
		if name == key {
			if picks[slot] < 0 {
				picks[slot], taken[i] = i, true
			}
			return
		}
	}
}

// optionalStrings writes each column cols[k] with attribute picks[k] of
// attrs, or null where that is -1 (optionalString).
func (e *encoder) optionalStrings(cols, picks []int, attrs []model.Attribute, r, d int) {
	for k, c := range cols {
		e.optionalString(c, attrs, picks[k], r, d)
	}
}

// takenFor returns n cleared flags (scratch, valid until the next call).
func (e *encoder) takenFor(n int) []bool {
	if cap(e.taken) < n {
		e.taken = make([]bool, n)
	}
	e.taken = e.taken[:n]
	clear(e.taken)
	return e.taken
}

// entry adds an entry at levels r, d to column col and returns the
// column, for its value to be appended (putNull appends none).
func (e *encoder) entry(col, r, d int) *column.Values {
	c := &e.cols[col]
	c.Reps = append(c.Reps, byte(r))
	c.Defs = append(c.Defs, byte(d))
	e.nvals++
	return c
}

func (e *encoder) putInt64(col int, x int64, r, d int) {
	c := e.entry(col, r, d)
	c.Nums = append(c.Nums, uint64(x))
}

func (e *encoder) putInt32(col int, x int32, r, d int) {
	c := e.entry(col, r, d)
	c.Nums = append(c.Nums, uint64(int64(x)))
}

func (e *encoder) putDouble(col int, x float64, r, d int) {
	c := e.entry(col, r, d)
	c.Nums = append(c.Nums, math.Float64bits(x))
}

func (e *encoder) putBool(col int, b bool, r, d int) {
	c := e.entry(col, r, d)
	x := uint64(0)
	if b {
		x = 1
	}
	c.Nums = append(c.Nums, x)
}

// putStr writes s without a copy (see encoder).
func (e *encoder) putStr(col int, s string, r, d int) {
	c := e.entry(col, r, d)
	c.ByteArrays = append(c.ByteArrays, s)
}

// putByteArray writes b, which must not change until the batch is
// written, without a copy.
func (e *encoder) putByteArray(col int, b []byte, r, d int) {
	e.putStr(col, unsafe.String(unsafe.SliceData(b), len(b)), r, d)
}

// putNull writes a null at levels r, d.
func (e *encoder) putNull(col int, r, d int) {
	e.entry(col, r, d)
}

// putScalar writes a string, int, double or bool value.
func (e *encoder) putScalar(col int, v *model.Value, r, d int) {
	switch v.Type {
	case model.ValueString:
		e.putStr(col, v.Str, r, d)
	case model.ValueInt:
		e.putInt64(col, v.Int, r, d)
	case model.ValueDouble:
		e.putDouble(col, v.Double, r, d)
	default:
		e.putBool(col, v.Bool, r, d)
	}
}

// nulls writes a null at levels r, d to the leaves first..last (the
// leaves of an empty list or an absent group).
func (e *encoder) nulls(first, last, r, d int) {
	for c := first; c <= last; c++ {
		e.putNull(c, r, d)
	}
}

// putBytes writes a copy of b (an ID inside a trace's struct).
func (e *encoder) putBytes(col int, b []byte, r, d int) {
	off := len(e.bytes)
	e.bytes = append(e.bytes, b...)
	e.putByteArray(col, e.bytes[off:len(e.bytes):len(e.bytes)], r, d)
}

// appendTraceIDText appends traceIDText(id) to dst.
func appendTraceIDText(dst []byte, id model.TraceID) []byte {
	var buf [32]byte
	hex.Encode(buf[:], id[:])
	i := 0
	for i < len(buf) && buf[i] == '0' {
		i++
	}
	return append(dst, buf[i:]...)
}
