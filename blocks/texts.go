package blocks

import (
	"context"
	"fmt"
	"sync"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/model"
)

// A TextSink receives the values a scan for personal data reads
// (redact.Scanner is one): every attribute value, span and event names and
// status messages, without building traces.
type TextSink interface {
	// Group starts the next traces and spans; the span numbers Value
	// gets count from 0 again.
	Group(traces, spans int)
	// Value is one value found at where (resource, scope, span, event,
	// link for attributes; span_name, event_name, status_message) under
	// key ("" for names and messages). span numbers the value's span in
	// the group; resource and scope values have span -1 and stand for the
	// spans below them.
	//
	// Value reports whether v holds anything the sink looks for,
	// whatever its place: a value it returns false for may not be
	// handed to it again.
	Value(where, key string, v model.Value, span, spans int) bool
}

// ScanTexts hands the text of every span of every live block to sinks
// made by newSink, one per worker (newSink is called one at a time).
// Copies of a trace held by several blocks are each scanned, as Walk
// does. It returns the number of blocks scanned: those left out as
// damaged (Store.Damaged) are not counted.
func (s *Store) ScanTexts(ctx context.Context, newSink func() TextSink) (int, error) {
	metas, err := s.Blocks(ctx)
	if err != nil {
		return 0, err
	}
	var mu sync.Mutex
	_, err = s.runGroupTasks(ctx, metas, nil, nil, func() groupWorker {
		mu.Lock()
		sink := newSink()
		mu.Unlock()
		return groupWorker{task: func(ctx context.Context, b *Block, file *pfile, t scanTask) ([]*model.Trace, error) {
			return nil, t.eachGroup(ctx, file, nil, func(g int) error {
				return file.scanTexts(ctx, g, b.codec, sink)
			})
		}}
	})
	return s.notLeftOut(metas), err
}

// scanTexts reads row group g's text columns a batch at a time into sink.
func (p *pfile) scanTexts(ctx context.Context, g int, c *codec, sink TextSink) error {
	a := newTextAssembler(p, g, c)
	defer a.close()
	cols := make([]int, 0, len(a.readers))
	for _, r := range a.readers {
		cols = append(cols, r.Leaf().Index)
	}
	if err := p.loadChunks(g, cols); err != nil {
		return err
	}
	defer p.r.release()
	memo := newTextMemo()
	for a.remaining() > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := int(min(a.remaining(), rowBatch))
		if err := a.readTexts(n, sink, memo); err != nil {
			return a.wrap(err)
		}
	}
	return nil
}

// newTextAssembler opens, on row group g, the span structure and the
// columns that hold text: names, status messages, string columns and
// the string values of generic attributes (every value list in the legacy
// layout, whose value type decides which list counts).
func newTextAssembler(p *pfile, g int, c *codec) *groupAssembler {
	a := &groupAssembler{file: p, group: g, codec: c, leaves: p.leaves, layout: p.layout}
	a.nrows = p.file.RowGroups()[g].NumRows()
	l, r := p.leaves, &a.rd
	attrs := func(x attrLeaves) *attrReaders {
		if p.layout == layoutDocumented {
			x.isArray.ok, x.ints.ok, x.doubles.ok, x.bools.ok = false, false, false, false
		}
		return a.openAttrs(x)
	}
	r.start = a.open(l.start)
	r.serviceName = a.open(l.serviceName)
	for i := range l.resStatic {
		r.resStatic[i] = a.open(l.resStatic[i])
	}
	for i := range l.resDedicated {
		if c.resNames[i] != "" {
			r.resDedicated[i] = a.open(l.resDedicated[i])
		}
	}
	r.resAttrs = attrs(l.resAttrs)
	r.scopeAttrs = attrs(l.scopeAttrs)
	r.name, r.statusMessage = a.open(l.name), a.open(l.statusMessage)
	r.httpMethod, r.httpURL = a.open(l.httpMethod), a.open(l.httpURL)
	for i := range l.spanDedicated {
		if c.spanNames[i] != "" {
			r.spanDedicated[i] = a.open(l.spanDedicated[i])
		}
	}
	r.spanAttrs = attrs(l.spanAttrs)
	if l.eventTime.ok && !p.chunkEmpty(g, l.eventTime) {
		r.eventTime, r.eventName = a.open(l.eventTime), a.open(l.eventName)
		r.eventAttrs = attrs(l.eventAttrs)
	}
	if l.linkTraceID.ok && !p.chunkEmpty(g, l.linkTraceID) {
		r.linkTraceID = a.open(l.linkTraceID)
		r.linkAttrs = attrs(l.linkAttrs)
	}
	return a
}

// readTexts reads the next n rows and hands their text to sink: each text
// column is walked once, and a dictionary value the sink found nothing in
// is not handed to it again (textMemo).
func (a *groupAssembler) readTexts(n int, sink TextSink, memo *textMemo) error {
	b, r := &a.b, &a.rd
	b.reset()
	if err := a.readStructure(n, nil); err != nil {
		return err
	}
	a.rows += int64(n)
	nrs, nss, nspans := len(b.rsTrace), len(b.ssRS), len(b.spanSS)
	sink.Group(int(b.nTraces), nspans)

	// Spans below each scope and resource (values there stand for them).
	ssSpans, rsSpans := make([]int, nss), make([]int, nrs)
	for _, ss := range b.spanSS {
		ssSpans[ss]++
	}
	for ss, rs := range b.ssRS {
		rsSpans[rs] += ssSpans[ss]
	}
	var err error
	if r.eventTime != nil {
		if b.eventSpan, err = children(r.eventTime, n, nil, depthEvent, nspans, b.eventSpan, func(*column.Reader, int) {}); err != nil {
			return err
		}
	}
	if r.linkTraceID != nil {
		if b.linkSpan, err = children(r.linkTraceID, n, nil, depthEvent, nspans, b.linkSpan, func(*column.Reader, int) {}); err != nil {
			return err
		}
	}
	res := textOwners{"resource", depthRS, nrs, func(o int) (int, int) { return -1, rsSpans[o] }}
	scope := textOwners{"scope", depthSS, nss, func(o int) (int, int) { return -1, ssSpans[o] }}
	span := textOwners{"span", depthSpan, nspans, func(o int) (int, int) { return o, 1 }}
	event := textOwners{"event", depthEvent, len(b.eventSpan), func(o int) (int, int) { return int(b.eventSpan[o]), 1 }}
	link := textOwners{"link", depthEvent, len(b.linkSpan), func(o int) (int, int) { return int(b.linkSpan[o]), 1 }}

	cols := []textColumn{
		{r.serviceName, res, "resource", model.ServiceNameKey},
		{r.name, span, "span_name", ""},
		{r.statusMessage, span, "status_message", ""},
		{r.httpMethod, span, "span", keyHTTPMethod},
		{r.httpURL, span, "span", keyHTTPURL},
		{r.eventName, event, "event_name", ""},
	}
	for i, key := range resourceStatic {
		cols = append(cols, textColumn{r.resStatic[i], res, "resource", key})
	}
	for i, key := range a.codec.resNames {
		cols = append(cols, textColumn{r.resDedicated[i], res, "resource", key})
	}
	for i, key := range a.codec.spanNames {
		cols = append(cols, textColumn{r.spanDedicated[i], span, "span", key})
	}
	for _, c := range cols {
		if c.r == nil {
			continue
		}
		err := eachValue(c.r, n, nil, c.own.depth, c.own.count, func(o, vi int) error {
			sp, spans := c.own.span(o)
			memo.value(sink, c.r, vi, c.where, c.key, sp, spans)
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, g := range []struct {
		ar  *attrReaders
		buf *attrBuf
		own textOwners
	}{{r.resAttrs, &b.resAttrs, res}, {r.scopeAttrs, &b.scopeAttrs, scope}, {r.spanAttrs, &b.spanAttrs, span},
		{r.eventAttrs, &b.eventAttrs, event}, {r.linkAttrs, &b.linkAttrs, link}} {
		if err := a.attrTexts(g.ar, g.buf, n, g.own, sink, memo); err != nil {
			return fmt.Errorf("%s attributes: %w", g.own.where, err)
		}
	}
	return nil
}

// textOwners are the elements at one depth that values belong to: where
// the values are, and the span (and number of spans) a value of owner o
// stands for.
type textOwners struct {
	where string
	depth int
	count int
	span  func(o int) (span, spans int)
}

// textColumn is a string column whose values are the attribute key (or
// the name or message) at where.
type textColumn struct {
	r          *column.Reader
	own        textOwners
	where, key string
}

// attrTexts hands the values of the generic attributes of own to sink. In
// the documented layout a value is its string list, walked here with the
// memo, unless it is OTLP JSON in ValueUnsupported (decoded as the
// assembler does, see attrBuf.value); in the legacy layout the value type
// decides, so every list is read and each value decoded.
func (a *groupAssembler) attrTexts(ar *attrReaders, ab *attrBuf, n int, own textOwners, sink TextSink, memo *textMemo) error {
	if ar == nil || ar.key == nil {
		return nil
	}
	legacy := a.layout == layoutLegacy
	cols := *ar
	if !legacy {
		cols.str = nil // walked below
	}
	if err := a.readAttrs(&cols, n, nil, own.depth, own.count, ab); err != nil {
		return err
	}
	for i, o := range ab.owner {
		if !legacy && !ab.unsup.ok[i] {
			continue
		}
		v, err := ab.value(int32(i), a.layout)
		if err != nil {
			return fmt.Errorf("attribute %q: %w", ab.key[i], err)
		}
		sp, spans := own.span(int(o))
		sink.Value(own.where, ab.key[i], v, sp, spans)
	}
	if legacy || ar.str == nil {
		return nil
	}
	r, d, nattrs := ar.str, own.depth+1, len(ab.owner)
	leaf := r.Leaf()
	ad, ed, maxDef := elementDef(leaf, d), elementDef(leaf, d+1), leaf.MaxDef
	w := segments(r, n, nil)
	at := -1
	for w.next() {
		vi := w.vi
		for i, def := range w.defs {
			if int(w.reps[i]) <= d && def >= ad {
				at++
			}
			if def == maxDef {
				if def >= ed && at >= 0 && at < nattrs && !ab.unsup.ok[at] {
					sp, spans := own.span(int(ab.owner[at]))
					memo.value(sink, r, vi, own.where, ab.key[at], sp, spans)
				}
				vi++
			}
		}
	}
	if err := w.finish(n); err != nil {
		return err
	}
	return countCheck(r, d, at+1, nattrs)
}

// textMemo remembers, per dictionary of the row group's column chunks,
// the values a sink found nothing in, so that each distinct dictionary
// value is looked at once.
type textMemo struct {
	dict  *column.Dict
	clean []bool
	dicts map[*column.Dict][]bool
}

func newTextMemo() *textMemo { return &textMemo{dicts: map[*column.Dict][]bool{}} }

// value hands value vi of r's current page to sink unless it is empty or
// a dictionary value known to be clean.
func (m *textMemo) value(sink TextSink, r *column.Reader, vi int, where, key string, span, spans int) {
	idx, d, ok := r.DictIndexAt(vi)
	if !ok {
		if s := r.StringAt(vi); s != "" {
			sink.Value(where, key, model.StringValue(s), span, spans)
		}
		return
	}
	if d != m.dict {
		m.dict, m.clean = d, m.dicts[d]
		if m.clean == nil {
			m.clean = make([]bool, d.Len())
			m.dicts[d] = m.clean
		}
	}
	if m.clean[idx] {
		return
	}
	if s := d.String(idx); s == "" || !sink.Value(where, key, model.StringValue(s), span, spans) {
		m.clean[idx] = true
	}
}
