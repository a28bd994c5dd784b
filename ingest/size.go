package ingest

import (
	"unsafe"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/model"
)

// sizeModel gives the fixed cost of each kind of item; variable-length
// content (names, keys, string values) is added on top.
type sizeModel struct {
	span, attr, event, link int
}

// encoded estimates the uncompressed column bytes of spans, which are never
// smaller than the compressed data.parquet, so a block cut at N estimated
// bytes is at most N bytes on disk. It bounds blocks.
var encoded = sizeModel{
	span:  80, // IDs, times, kind, status, nested set numbers
	attr:  12,
	event: 16,
	link:  32,
}

// heap estimates what a decoded span holds in memory while it waits: its
// struct, attribute structs and strings, and its entry in the builder's
// de-duplication set. It drives the memory budget.
var heap = sizeModel{
	span:  int(unsafe.Sizeof(model.Span{})) + 64,
	attr:  int(unsafe.Sizeof(model.Attribute{})),
	event: int(unsafe.Sizeof(model.Event{})),
	link:  int(unsafe.Sizeof(model.Link{})),
}

func (m sizeModel) value(v *model.Value) int {
	switch v.Type {
	case model.ValueString:
		return len(v.Str)
	case model.ValueBytes:
		return len(v.Bytes())
	case model.ValueArray:
		n := 0
		arr := v.Array()
		for i := range arr {
			n += 4 + m.value(&arr[i])
		}
		return n
	case model.ValueMap:
		return m.attrs(v.Map())
	}
	return 8
}

func (m sizeModel) attrs(attrs []model.Attribute) int {
	n := 0
	for i := range attrs {
		n += m.attr + len(attrs[i].Key) + m.value(&attrs[i].Value)
	}
	return n
}

// spanSize estimates one span.
func (m sizeModel) spanSize(s *model.Span) int {
	n := m.span + len(s.Name) + len(s.TraceState) + len(s.Status.Message) + m.attrs(s.Attributes)
	for i := range s.Events {
		n += m.event + len(s.Events[i].Name) + m.attrs(s.Events[i].Attributes)
	}
	for i := range s.Links {
		n += m.link + len(s.Links[i].TraceState) + m.attrs(s.Links[i].Attributes)
	}
	return n
}

// batchBytes estimates what a decoded batch holds in memory (heap).
func batchBytes(b codec.Batch) int64 {
	var n int64
	for i := range b {
		rs := &b[i]
		for j := range rs.ScopeSpans {
			for k := range rs.ScopeSpans[j].Spans {
				n += int64(heap.spanSize(&rs.ScopeSpans[j].Spans[k]))
			}
		}
		n += int64(heap.attrs(rs.Resource.Attributes))
	}
	return n
}

// traceBytes estimates the encoded size of a whole trace.
func traceBytes(t *model.Trace) int {
	n := 64
	for i := range t.ResourceSpans {
		rs := &t.ResourceSpans[i]
		n += encoded.attrs(rs.Resource.Attributes)
		for j := range rs.ScopeSpans {
			ss := &rs.ScopeSpans[j]
			n += len(ss.Scope.Name) + len(ss.Scope.Version) + encoded.attrs(ss.Scope.Attributes)
			for k := range ss.Spans {
				n += encoded.spanSize(&ss.Spans[k])
			}
		}
	}
	return n
}
