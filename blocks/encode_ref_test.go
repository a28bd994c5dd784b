package blocks

import (
	"bytes"
	"io"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/model"
)

// The reference encoder: how BlockWriter wrote blocks before the direct
// encoder (encode.go), through parquet-go's reflection over pqTrace rows.
// TestEncoderMatchesRowWriter holds the encoder to it byte for byte.

// referenceParquet writes traces (sorted, distinct) as data.parquet the
// way the row writer did: rebatch, toRow, one GenericWriter.Write per row,
// a row group cut after the rows of each groupRows in turn, or, without
// groupRows, once the buffered rows pass opts.RowGroupBytes.
func referenceParquet(t testing.TB, traces []*model.Trace, opts WriteOptions, groupRows ...int64) []byte {
	t.Helper()
	if opts.RowGroupBytes <= 0 {
		opts.RowGroupBytes = DefaultRowGroupBytes
	}
	var cols []DedicatedColumn
	for _, c := range opts.DedicatedColumns {
		if isUsableDedicated(c) {
			cols = append(cols, c)
		}
	}
	c := newCodec(cols)
	var buf bytes.Buffer
	counter := &countingWriter{w: &buf}
	pw := parquet.NewGenericWriter[pqTrace](counter, traceSchema(), parquet.PageBufferSize(pageBufferSize),
		parquet.KeyValueMetadata(traceTimesKey, traceTimesSpanRange))
	rows := 0
	for _, tr := range traces {
		row := c.toRow(rebatch(tr))
		if _, err := pw.Write([]pqTrace{row}); err != nil {
			t.Fatal(err)
		}
		rows++
		cut := pw.Size()-counter.n >= opts.RowGroupBytes
		if len(groupRows) > 0 {
			cut = int64(rows) == groupRows[0]
		}
		if cut {
			if len(groupRows) > 0 {
				groupRows = groupRows[1:]
			}
			if err := pw.Flush(); err != nil {
				t.Fatal(err)
			}
			rows = 0
		}
	}
	if rows > 0 {
		if err := pw.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// toRow converts a trace into a row, computing the derived trace fields.
// t should already be rebatched.
func (c *codec) toRow(t *model.Trace) pqTrace {
	start, end := t.TimeRange()
	row := pqTrace{
		TraceID:           append([]byte(nil), t.TraceID[:]...),
		TraceIDText:       traceIDText(t.TraceID),
		StartTimeUnixNano: start,
		EndTimeUnixNano:   end,
		DurationNano:      end - start,
	}
	if root, ok := t.Root(); ok {
		row.RootServiceName = root.Resource.ServiceName()
		row.RootSpanName = root.Span.Name
	}
	if svc := t.Services(); len(svc) > 0 {
		row.ServiceStats = make(map[string]pqServiceStats, len(svc))
		for k, v := range svc {
			row.ServiceStats[k] = pqServiceStats{SpanCount: v.SpanCount, ErrorCount: v.ErrorCount}
		}
	}
	row.ResourceSpans = make([]pqResourceSpans, len(t.ResourceSpans))
	for i := range t.ResourceSpans {
		rs := &t.ResourceSpans[i]
		prs := &row.ResourceSpans[i]
		c.encodeResource(&rs.Resource, &prs.Resource)
		prs.ScopeSpans = make([]pqScopeSpans, len(rs.ScopeSpans))
		for j := range rs.ScopeSpans {
			ss := &rs.ScopeSpans[j]
			pss := &prs.ScopeSpans[j]
			pss.Scope = pqScope{
				Name:                   ss.Scope.Name,
				Version:                ss.Scope.Version,
				Attrs:                  encodeAttrs(ss.Scope.Attributes, nil),
				DroppedAttributesCount: int32(ss.Scope.DroppedAttributesCount),
			}
			pss.Spans = make([]pqSpan, len(ss.Spans))
			for k := range ss.Spans {
				c.encodeSpan(&ss.Spans[k], &pss.Spans[k])
			}
		}
	}
	return row
}

func (c *codec) encodeResource(r *model.Resource, p *pqResource) {
	taken := make([]bool, len(r.Attributes))
	for i := range r.Attributes {
		a := &r.Attributes[i]
		if a.Key == model.ServiceNameKey && a.Value.Type == model.ValueString && a.Value.Str != "" {
			p.ServiceName = a.Value.Str
			taken[i] = true
			break
		}
	}
	for si, key := range resourceStatic {
		takeString(r.Attributes, taken, key, resourceStaticSlot(p, si))
	}
	for key, slot := range c.resSlots {
		takeString(r.Attributes, taken, key, p.DedicatedAttributes.slot(slot))
	}
	p.Attrs = encodeAttrs(r.Attributes, taken)
	p.DroppedAttributesCount = int32(r.DroppedAttributesCount)
}

// takeString moves the first untaken string attribute named key into *dst.
func takeString(attrs []model.Attribute, taken []bool, key string, dst **string) {
	for i := range attrs {
		if !taken[i] && attrs[i].Key == key && attrs[i].Value.Type == model.ValueString {
			s := attrs[i].Value.Str
			*dst = &s
			taken[i] = true
			return
		}
	}
}

func (c *codec) encodeSpan(s *model.Span, p *pqSpan) {
	p.SpanID = append([]byte(nil), s.SpanID[:]...)
	if !s.ParentSpanID.IsZero() {
		p.ParentSpanID = append([]byte(nil), s.ParentSpanID[:]...)
	} else {
		p.ParentSpanID = []byte{}
	}
	p.ParentID = s.ParentIndex
	p.NestedSetLeft = s.NestedSetLeft
	p.NestedSetRight = s.NestedSetRight
	p.Name = s.Name
	p.Kind = int64(s.Kind)
	p.TraceState = s.TraceState
	p.StartTimeUnixNano = s.StartTimeUnixNano
	p.DurationNano = s.Duration()
	p.StatusCode = int64(s.Status.Code)
	p.StatusMessage = s.Status.Message

	taken := make([]bool, len(s.Attributes))
	takeString(s.Attributes, taken, keyHTTPMethod, &p.HttpMethod)
	takeString(s.Attributes, taken, keyHTTPURL, &p.HttpUrl)
	for i := range s.Attributes {
		a := &s.Attributes[i]
		if a.Key == keyHTTPStatusCode && a.Value.Type == model.ValueInt {
			v := a.Value.Int
			p.HttpStatusCode = &v
			taken[i] = true
			break
		}
	}
	for key, slot := range c.spanSlots {
		takeString(s.Attributes, taken, key, p.DedicatedAttributes.slot(slot))
	}
	p.Attrs = encodeAttrs(s.Attributes, taken)
	p.DroppedAttributesCount = int32(s.DroppedAttributesCount)

	if len(s.Events) > 0 {
		p.Events = make([]pqEvent, len(s.Events))
		for i := range s.Events {
			e := &s.Events[i]
			p.Events[i] = pqEvent{
				// Wraps for events before the span start; the reader adds
				// it back with the same wrap, so the time round-trips.
				TimeSinceStartNano:     e.TimeUnixNano - s.StartTimeUnixNano,
				Name:                   e.Name,
				Attrs:                  encodeAttrs(e.Attributes, nil),
				DroppedAttributesCount: int32(e.DroppedAttributesCount),
			}
		}
	}
	p.DroppedEventsCount = int32(s.DroppedEventsCount)
	if len(s.Links) > 0 {
		p.Links = make([]pqLink, len(s.Links))
		for i := range s.Links {
			l := &s.Links[i]
			p.Links[i] = pqLink{
				TraceID:                append([]byte(nil), l.TraceID[:]...),
				SpanID:                 append([]byte(nil), l.SpanID[:]...),
				TraceState:             l.TraceState,
				Attrs:                  encodeAttrs(l.Attributes, nil),
				DroppedAttributesCount: int32(l.DroppedAttributesCount),
			}
		}
	}
	p.DroppedLinksCount = int32(s.DroppedLinksCount)
}

func encodeAttrs(attrs []model.Attribute, taken []bool) []pqAttribute {
	var out []pqAttribute
	for i := range attrs {
		if taken != nil && taken[i] {
			continue
		}
		out = append(out, encodeAttr(&attrs[i]))
	}
	return out
}

// countingWriter counts the bytes parquet-go's writer has passed on, for
// its row-group cut (Size less what it wrote) as BlockWriter made it.
type countingWriter struct {
	w    io.Writer
	n    int64
	tail [8]byte
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if n >= 8 {
		copy(c.tail[:], p[n-8:n])
	} else if n > 0 {
		copy(c.tail[:], c.tail[n:])
		copy(c.tail[8-n:], p[:n])
	}
	return n, err
}
