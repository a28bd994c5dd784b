package ingest

import (
	"unsafe"

	"github.com/tracectl/tracectl/model"
)

// Estimates of the encoded size of spans, used to bound memory and blocks.
// They approximate the uncompressed column bytes, which are never smaller
// than the compressed data.parquet, so a block cut at N estimated bytes is
// at most N bytes on disk.
const (
	spanFixedBytes  = 80 // IDs, times, kind, status, nested set numbers
	attrFixedBytes  = 12
	eventFixedBytes = 16
	linkFixedBytes  = 32
)

func valueBytes(v *model.Value) int {
	switch v.Type {
	case model.ValueString:
		return len(v.Str)
	case model.ValueBytes:
		return len(v.Bytes)
	case model.ValueArray:
		n := 0
		for i := range v.Array {
			n += 4 + valueBytes(&v.Array[i])
		}
		return n
	case model.ValueMap:
		return attrsBytes(v.Map)
	}
	return 8
}

func attrsBytes(attrs []model.Attribute) int {
	n := 0
	for i := range attrs {
		n += attrFixedBytes + len(attrs[i].Key) + valueBytes(&attrs[i].Value)
	}
	return n
}

// spanBytes estimates the encoded size of one span.
func spanBytes(s *model.Span) int {
	n := spanFixedBytes + len(s.Name) + len(s.TraceState) + len(s.Status.Message) + attrsBytes(s.Attributes)
	for i := range s.Events {
		n += eventFixedBytes + len(s.Events[i].Name) + attrsBytes(s.Events[i].Attributes)
	}
	for i := range s.Links {
		n += linkFixedBytes + len(s.Links[i].TraceState) + attrsBytes(s.Links[i].Attributes)
	}
	return n
}

// traceBytes estimates the encoded size of a whole trace.
func traceBytes(t *model.Trace) int {
	n := 64
	for i := range t.ResourceSpans {
		rs := &t.ResourceSpans[i]
		n += attrsBytes(rs.Resource.Attributes)
		for j := range rs.ScopeSpans {
			ss := &rs.ScopeSpans[j]
			n += len(ss.Scope.Name) + len(ss.Scope.Version) + attrsBytes(ss.Scope.Attributes)
			for k := range ss.Spans {
				n += spanBytes(&ss.Spans[k])
			}
		}
	}
	return n
}

// Heap estimates: what a decoded span costs while it waits in memory (its
// struct, attribute structs and strings, and its entry in the builder's
// de-duplication set). They drive the memory budget.
var (
	spanStructBytes  = int(unsafe.Sizeof(model.Span{})) + 64
	attrStructBytes  = int(unsafe.Sizeof(model.Attribute{}))
	eventStructBytes = int(unsafe.Sizeof(model.Event{}))
	linkStructBytes  = int(unsafe.Sizeof(model.Link{}))
)

func attrsHeapBytes(attrs []model.Attribute) int {
	n := 0
	for i := range attrs {
		n += attrStructBytes + len(attrs[i].Key) + valueBytes(&attrs[i].Value)
	}
	return n
}

// spanHeapBytes estimates the heap a decoded span holds.
func spanHeapBytes(s *model.Span) int {
	n := spanStructBytes + len(s.Name) + len(s.TraceState) + len(s.Status.Message) + attrsHeapBytes(s.Attributes)
	for i := range s.Events {
		n += eventStructBytes + len(s.Events[i].Name) + attrsHeapBytes(s.Events[i].Attributes)
	}
	for i := range s.Links {
		n += linkStructBytes + len(s.Links[i].TraceState) + attrsHeapBytes(s.Links[i].Attributes)
	}
	return n
}
