package blocks

import (
	"fmt"
	"sync"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// groupAssembler builds model traces from one row group's columns, a batch
// of rows at a time, reading only the columns its projection needs and
// building only the selected rows: each column is walked once per batch
// and its values land in per-element arrays (batch), from which the traces
// are built. The result equals codec.fromRow of the same rows (TestAssemble
// holds it to that on every fixture, both layouts and every projection).
type groupAssembler struct {
	file   *pfile
	group  int
	codec  *codec
	leaves *fileLeaves
	layout layout
	fields store.Fields
	full   bool // no projection: TraceState too
	// keys, when not nil, are the only attribute keys built; keyMemo
	// tests a key against them once per dictionary entry.
	keys    map[string]bool
	keyMemo *memoTest

	// req, when it has a time range, drops rows whose trace start and
	// end (the row's StartTimeUnixNano and EndTimeUnixNano) miss it,
	// except the rows always marks (parts of traces held by several
	// blocks, which only the merged trace decides).
	req    *store.Request
	always []bool

	readers []*column.Reader // every reader but the trace times
	rd      assemblerReaders
	rows    int64 // rows consumed
	nrows   int64
	b       batch
	bd      builder // build's offsets and counts, reused batch to batch
	// pool, when not nil, recycles the memory of built traces (see
	// arena.go); cur is the arena of the last read's traces.
	pool   *arenaPool
	cur    *arena
	sel    []bool
	tstart []uint64
	tend   []uint64

	// spread skips rows on two goroutines, each moving every other
	// reader, as halves holds them: see groupRead.spread.
	spread bool
	halves [2][]*column.Reader
}

// assemblerReaders are the open column readers (nil when not read).
type assemblerReaders struct {
	traceID, traceStart, traceEnd *column.Reader

	serviceName, resDropped *column.Reader
	resStatic               [numResourceStatic]*column.Reader
	resDedicated            [maxDedicated]*column.Reader
	resAttrs                *attrReaders

	scopeName, scopeVersion, scopeDropped *column.Reader
	scopeAttrs                            *attrReaders

	spanID, parentSpanID, parentID, nestedLeft, nestedRight *column.Reader
	name, kind, traceState, start, duration                 *column.Reader
	statusCode, statusMessage                               *column.Reader
	spanDropped, eventsDropped, linksDropped                *column.Reader
	httpMethod, httpURL, httpStatus                         *column.Reader
	spanDedicated                                           [maxDedicated]*column.Reader
	spanAttrs                                               *attrReaders

	eventTime, eventName, eventDropped *column.Reader
	eventAttrs                         *attrReaders

	linkTraceID, linkSpanID, linkTraceState, linkDropped *column.Reader
	linkAttrs                                            *attrReaders
}

type attrReaders struct {
	key, isArray, valueType   *column.Reader
	str, ints, doubles, bools *column.Reader
	unsupported               *column.Reader
	depth                     int
}

// projection says what an assembler builds: the parts of spans (fields,
// nil: all) and, when keys is not nil, only the attributes with those keys.
type projection struct {
	fields *store.Fields
	keys   map[string]bool
}

// projectionOf returns the projection req asks for (nil: everything);
// service.name is always among the keys.
func projectionOf(req *store.Request) projection {
	if req == nil {
		return projection{}
	}
	pr := projection{fields: req.Fields}
	if req.AttributeKeys != nil {
		pr.keys = map[string]bool{model.ServiceNameKey: true}
		for _, k := range req.AttributeKeys {
			pr.keys[k] = true
		}
	}
	return pr
}

// groupProjection is pr for row group g of p: links asked for only to
// tell roots (store.Fields.RootLinks) are read where they may rule a span
// out as a root and left out elsewhere, and a group that may hold a span
// without an ID is read with every span attribute. model.KeyOf hashes
// such a span's attributes, and the parts of a trace split across blocks
// are merged by it: without them, two spans that differ only in their
// attributes would merge in one projection and not in another.
func (p *pfile) groupProjection(g int, pr projection) projection {
	f := pr.fields
	links := f != nil && f.RootLinks && !f.Links
	attrs := (f != nil && !f.SpanAttributes || pr.keys != nil) && p.mayHoldSpanWithoutID(g)
	if !links && !attrs {
		return pr
	}
	resolved := store.AllFields
	if f != nil {
		resolved = *f
	}
	if links {
		resolved.RootLinks = false
		resolved.Links = p.linksMayRuleOutRoots(g)
	}
	if attrs {
		resolved.SpanAttributes = true
		pr.keys = nil
	}
	pr.fields = &resolved
	return pr
}

// mayHoldSpanWithoutID reports whether row group g may hold a span whose
// ID is zero (or empty), from the SpanID column's smallest value: without
// statistics it may, and without the column every span has none.
func (p *pfile) mayHoldSpanWithoutID(g int) bool {
	l := p.leaves.spanID
	if !l.ok {
		return true
	}
	st := p.file.Metadata().RowGroups[g].Columns[l.Index].MetaData.Statistics
	lo := st.MinValue
	if len(lo) == 0 && len(st.MaxValue) == 0 {
		return !p.chunkEmpty(g, l) // no statistics (or no spans)
	}
	for _, b := range lo {
		if b != 0 {
			return false
		}
	}
	return true
}

// linksMayRuleOutRoots reports whether a span link of row group g may
// have the attribute opentracing.ref_type (model.Span.IsRoot): not when
// the group has no links or no link attributes, or when the attribute
// keys' dictionary lacks it. The dictionary is looked at only where a
// read costs no request (a file:// bucket, an object read whole): on an
// object store it would be a request of its own before the one that
// fetches the group's chunks, which take the links along instead. A
// dictionary that cannot be read says yes (the readers report the
// damage).
func (p *pfile) linksMayRuleOutRoots(g int) bool {
	l := p.leaves
	if !l.linkTraceID.ok || p.chunkEmpty(g, l.linkTraceID) {
		return false
	}
	key := l.linkAttrs.key
	if !key.ok || p.chunkEmpty(g, key) {
		return false
	}
	if !p.r.freeReads() {
		return true
	}
	lacks, err := p.dictLacks(g, key, func(k string) bool { return k == model.RefTypeKey })
	return err != nil || !lacks
}

// wants reports whether the projection builds attributes keyed key.
func (pr projection) wants(key string) bool { return pr.keys == nil || pr.keys[key] }

// assemblerColumns lists the file columns a projection reads.
func assemblerColumns(l *fileLeaves, c *codec, pr projection) []int {
	f := pr.fields
	full := f == nil || *f == store.AllFields
	fields := store.AllFields
	if f != nil {
		fields = *f
	}
	var cols []int
	add := func(ls ...leaf) {
		for _, x := range ls {
			if x.ok && !(fields.Minimal && x.minimalLeft) {
				cols = append(cols, x.Index)
			}
		}
	}
	addAttrs := func(a attrLeaves) {
		add(a.key, a.isArray, a.valueType, a.str, a.ints, a.doubles, a.bools, a.unsupported)
	}
	add(l.traceID, l.traceStart, l.traceEnd, l.serviceName, l.scopeName, l.scopeVersion,
		l.spanID, l.parentSpanID, l.parentID, l.nestedLeft, l.nestedRight, l.name, l.kind,
		l.start, l.duration, l.statusCode, l.statusMessage)
	if full {
		add(l.traceState)
	}
	// addIf adds the columns holding one attribute each (static and
	// dedicated columns) whose key the projection wants.
	addIf := func(ls []leaf, keys []string) {
		for i, x := range ls {
			if keys[i] != "" && pr.wants(keys[i]) {
				add(x)
			}
		}
	}
	if fields.ResourceAttributes {
		add(l.resDropped)
		addIf(l.resStatic[:], resourceStatic[:])
		addIf(l.resDedicated[:], c.resNames[:])
		addAttrs(l.resAttrs)
	}
	if fields.ScopeAttributes {
		add(l.scopeDropped)
		addAttrs(l.scopeAttrs)
	}
	if fields.SpanAttributes {
		add(l.spanDropped)
		addIf([]leaf{l.httpMethod, l.httpURL, l.httpStatus}, []string{keyHTTPMethod, keyHTTPURL, keyHTTPStatusCode})
		addIf(l.spanDedicated[:], c.spanNames[:])
		addAttrs(l.spanAttrs)
	}
	if fields.Events {
		add(l.eventsDropped, l.eventTime, l.eventName, l.eventDropped)
		addAttrs(l.eventAttrs)
	}
	if fields.Links {
		add(l.linksDropped, l.linkTraceID, l.linkSpanID, l.linkTraceState, l.linkDropped)
		addAttrs(l.linkAttrs)
	}
	return cols
}

// newGroupAssembler opens readers on row group g of p for the projection
// pr. The column chunks must already be readable through p.r (prefetched
// or streamed).
func newGroupAssembler(p *pfile, g int, c *codec, pr projection) *groupAssembler {
	f := pr.fields
	a := &groupAssembler{file: p, group: g, codec: c, leaves: p.leaves, layout: p.layout,
		full: f == nil || *f == store.AllFields, fields: store.AllFields, keys: pr.keys}
	if f != nil {
		a.fields = *f
	}
	if pr.keys != nil {
		a.keyMemo = newMemo(func(v model.Value, _ bool) bool { return pr.keys[v.Str] })
	}
	if b, ok := batchPool.Get().(*batch); ok {
		a.b = *b
		a.b.reset()
	}
	a.nrows = p.file.RowGroups()[g].NumRows()
	l := p.leaves
	open, openAttrs := a.open, a.openAttrs
	r := &a.rd
	r.traceID = open(l.traceID)
	if l.traceStart.ok && l.traceEnd.ok {
		r.traceStart = column.NewReader(p.file.RowGroups()[g].ColumnChunks()[l.traceStart.Index], l.traceStart.Leaf)
		r.traceEnd = column.NewReader(p.file.RowGroups()[g].ColumnChunks()[l.traceEnd.Index], l.traceEnd.Leaf)
	}
	r.serviceName, r.scopeName, r.scopeVersion = open(l.serviceName), open(l.scopeName), open(l.scopeVersion)
	r.spanID, r.parentSpanID, r.parentID = open(l.spanID), open(l.parentSpanID), open(l.parentID)
	r.nestedLeft, r.nestedRight, r.name, r.kind = open(l.nestedLeft), open(l.nestedRight), open(l.name), open(l.kind)
	r.start, r.duration, r.statusCode, r.statusMessage = open(l.start), open(l.duration), open(l.statusCode), open(l.statusMessage)
	if a.full {
		r.traceState = open(l.traceState)
	}
	if a.fields.ResourceAttributes {
		r.resDropped = open(l.resDropped)
		for i, key := range resourceStatic {
			if pr.wants(key) {
				r.resStatic[i] = open(l.resStatic[i])
			}
		}
		for i, key := range c.resNames {
			if key != "" && pr.wants(key) {
				r.resDedicated[i] = open(l.resDedicated[i])
			}
		}
		r.resAttrs = openAttrs(l.resAttrs)
	}
	if a.fields.ScopeAttributes {
		r.scopeDropped = open(l.scopeDropped)
		r.scopeAttrs = openAttrs(l.scopeAttrs)
	}
	if a.fields.SpanAttributes {
		r.spanDropped = open(l.spanDropped)
		if pr.wants(keyHTTPMethod) {
			r.httpMethod = open(l.httpMethod)
		}
		if pr.wants(keyHTTPURL) {
			r.httpURL = open(l.httpURL)
		}
		if pr.wants(keyHTTPStatusCode) {
			r.httpStatus = open(l.httpStatus)
		}
		for i, key := range c.spanNames {
			if key != "" && pr.wants(key) {
				r.spanDedicated[i] = open(l.spanDedicated[i])
			}
		}
		r.spanAttrs = openAttrs(l.spanAttrs)
	}
	// Events and links are read only where the row group has some.
	if a.fields.Events {
		r.eventsDropped = open(l.eventsDropped)
		if l.eventTime.ok && !p.chunkEmpty(g, l.eventTime) {
			r.eventTime, r.eventName, r.eventDropped = open(l.eventTime), open(l.eventName), open(l.eventDropped)
			r.eventAttrs = openAttrs(l.eventAttrs)
		}
	}
	if a.fields.Links {
		r.linksDropped = open(l.linksDropped)
		if l.linkTraceID.ok && !p.chunkEmpty(g, l.linkTraceID) {
			r.linkTraceID, r.linkSpanID = open(l.linkTraceID), open(l.linkSpanID)
			r.linkTraceState, r.linkDropped = open(l.linkTraceState), open(l.linkDropped)
			r.linkAttrs = openAttrs(l.linkAttrs)
		}
	}
	return a
}

// open returns a reader on leaf x of the assembler's row group, nil when
// the file lacks it.
func (a *groupAssembler) open(x leaf) *column.Reader {
	if !x.ok || a.fields.Minimal && x.minimalLeft {
		return nil
	}
	r := column.NewReader(a.file.file.RowGroups()[a.group].ColumnChunks()[x.Index], x.Leaf)
	a.readers = append(a.readers, r)
	return r
}

// openAttrs returns readers on an attribute group's columns (those the
// row group holds values in), nil when the file lacks the group or, with
// keys, when the key column's dictionary holds none of them (a damaged
// dictionary is left to the readers to report).
func (a *groupAssembler) openAttrs(x attrLeaves) *attrReaders {
	if !x.key.ok {
		return nil
	}
	if a.keys != nil {
		if none, err := a.file.dictLacks(a.group, x.key, func(k string) bool { return a.keys[k] }); err == nil && none {
			return nil
		}
	}
	x = a.file.readable(a.group, x)
	return &attrReaders{key: a.open(x.key), isArray: a.open(x.isArray), valueType: a.open(x.valueType),
		str: a.open(x.str), ints: a.open(x.ints), doubles: a.open(x.doubles), bools: a.open(x.bools),
		unsupported: a.open(x.unsupported), depth: x.depth}
}

// close releases every reader.
func (a *groupAssembler) close() {
	a.cur.release()
	a.cur = nil
	for _, r := range a.readers {
		r.Close()
	}
	if a.rd.traceStart != nil {
		a.rd.traceStart.Close()
		a.rd.traceEnd.Close()
	}
	a.readers = nil
	b := a.b
	a.b = batch{}
	batchPool.Put(&b)
}

// batchPool holds the batch buffers of closed assemblers for the next:
// a scan of many small row groups (a compaction of 990 blocks of 1,000
// spans) allocated them afresh for each.
var batchPool sync.Pool // *batch

// remaining returns the rows not yet consumed.
func (a *groupAssembler) remaining() int64 { return a.nrows - a.rows }

// skip consumes the next n rows of every column but the trace times
// without building them.
func (a *groupAssembler) skip(n int) error {
	var err error
	if a.spread && n >= spreadSkipRows && len(a.readers) >= spreadSkipColumns && !a.file.r.streaming() {
		err = a.skipSpread(n)
	} else {
		err = skipRows(a.readers, a.rows, n)
	}
	if err != nil {
		return a.wrap(err)
	}
	a.rows += int64(n)
	return nil
}

// A skip of at least spreadSkipRows rows over at least spreadSkipColumns
// columns is split over two goroutines when spread is set: it mostly
// lands beyond the pages the readers hold, and decoding the page it lands
// in, column by column, is most of the work of a search that keeps a few
// traces of a row group (a limit-20 search on 114k spans: 20 skips of 25
// columns).
const (
	spreadSkipRows    = 64
	spreadSkipColumns = 8
)

// skipSpread is skipRows for a.readers on two goroutines (halves[h]
// holds the readers h, h+2, h+4, ...). When both fail, the error is the
// one of the reader first in a.readers, as skipRows reports it.
func (a *groupAssembler) skipSpread(n int) error {
	if len(a.halves[0])+len(a.halves[1]) != len(a.readers) {
		a.halves = [2][]*column.Reader{}
		for i, r := range a.readers {
			a.halves[i%2] = append(a.halves[i%2], r)
		}
	}
	var second error
	var secondAt int
	done := make(chan struct{})
	go func() {
		defer close(done)
		secondAt, second = skipRowsAt(a.halves[1], a.rows, n)
	}()
	firstAt, err := skipRowsAt(a.halves[0], a.rows, n)
	<-done
	if second != nil && (err == nil || 2*secondAt+1 < 2*firstAt) {
		err = second
	}
	return err
}

// skipAll is skip for every column, the trace times included (before a
// batch is read).
func (a *groupAssembler) skipAll(n int) error {
	if a.rd.traceStart != nil {
		if err := skipRows([]*column.Reader{a.rd.traceStart, a.rd.traceEnd}, a.rows, n); err != nil {
			return a.wrap(err)
		}
	}
	return a.skip(n)
}

// skipRows moves readers at row cur on by n rows: through the offset index
// when that passes whole pages, else entry by entry.
func skipRows(readers []*column.Reader, cur int64, n int) error {
	_, err := skipRowsAt(readers, cur, n)
	return err
}

// skipRowsAt is skipRows that also returns the index of the reader that
// failed.
func skipRowsAt(readers []*column.Reader, cur int64, n int) (int, error) {
	for i, r := range readers {
		jumped, err := r.JumpToRow(cur, cur+int64(n))
		if err != nil {
			return i, err
		}
		if jumped {
			continue
		}
		if got := r.SkipRows(n); got != n {
			if err := r.Err(); err != nil {
				return i, err
			}
			return i, fmt.Errorf("%w: column %v ends %d rows early", column.ErrCorrupt, r.Leaf().Path, n-got)
		}
	}
	return len(readers), nil
}

func (a *groupAssembler) wrap(err error) error {
	return a.file.groupErr(a.group, err)
}

// times reads the trace start and end of the next n rows.
func (a *groupAssembler) times(n int) error {
	a.tstart, a.tend = a.tstart[:0], a.tend[:0]
	for _, c := range []struct {
		r   *column.Reader
		dst *[]uint64
	}{{a.rd.traceStart, &a.tstart}, {a.rd.traceEnd, &a.tend}} {
		for i := 0; i < n; i++ {
			if !c.r.More() {
				if err := c.r.Err(); err != nil {
					return err
				}
				return fmt.Errorf("%w: column %v ends early", column.ErrCorrupt, c.r.Leaf().Path)
			}
			if c.r.Rep() != 0 || !c.r.Present() {
				return fmt.Errorf("%w: column %v is not one value per row", column.ErrCorrupt, c.r.Leaf().Path)
			}
			*c.dst = append(*c.dst, uint64(c.r.Int64()))
			c.r.Advance()
		}
	}
	return nil
}

// read consumes the next n rows and builds those sel marks (nil: all)
// whose trace time range overlaps the request's.
func (a *groupAssembler) read(n int, sel []bool) ([]*model.Trace, error) {
	if a.req != nil && (!a.req.Start.IsZero() || !a.req.End.IsZero()) && a.rd.traceStart != nil {
		if err := a.times(n); err != nil {
			return nil, a.wrap(err)
		}
		a.sel = sized(a.sel, n)
		for i := range n {
			keep := a.always != nil && a.always[a.rows+int64(i)]
			a.sel[i] = (sel == nil || sel[i]) && (keep || a.req.Overlaps(a.tstart[i], a.tend[i]))
		}
		sel = a.sel
	} else if a.rd.traceStart != nil {
		a.rd.traceStart.SkipRows(n)
		a.rd.traceEnd.SkipRows(n)
	}
	if sel != nil {
		any := false
		for _, s := range sel[:n] {
			any = any || s
		}
		if !any {
			return nil, a.skip(n)
		}
	}
	b := &a.b
	b.reset()
	if err := a.readStructure(n, sel); err != nil {
		return nil, a.wrap(err)
	}
	if err := a.readColumns(n, sel); err != nil {
		return nil, a.wrap(err)
	}
	a.rows += int64(n)
	a.cur.release() // the assembler's hold on the last read's traces
	a.cur = a.pool.get()
	out, err := a.build()
	if err != nil {
		return nil, a.wrap(err)
	}
	return out, nil
}
