// Package storetest provides an in-memory store.Source and small trace
// builders for tests of code that reads traces through the store contract.
//
// Glossary:
//   - Source: a store.Source over a fixed slice of traces, honouring the
//     Request time range and trace IDs like a block reader would.
//   - TraceSpec / SpanSpec: a compact description of a trace (spans with
//     parent links, services and attributes) turned into a model.Trace with
//     nested sets computed, for hand-written test cases.
package storetest

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// Source is an in-memory store.Source. The zero value is an empty source.
type Source struct {
	traces []*model.Trace
	// Requests counts calls to Traces.
	requests atomic.Int64
}

var _ store.Source = (*Source)(nil)

// New returns a source over traces. The traces are not copied, but a trace
// handed out by the iterator is a deep copy, so callers may keep or modify it
// (the store contract says traces belong to the caller).
func New(traces []*model.Trace) *Source {
	return &Source{traces: traces}
}

// Requests returns how many times Traces was called.
func (s *Source) Requests() int64 { return s.requests.Load() }

// Traces returns the traces that overlap req's time range and, when
// req.TraceIDs is set, have one of those IDs, in the order they were given.
func (s *Source) Traces(ctx context.Context, req store.Request) (store.TraceIterator, error) {
	s.requests.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*model.Trace
	for _, t := range s.traces {
		if len(req.TraceIDs) > 0 && !slices.Contains(req.TraceIDs, t.TraceID) {
			continue
		}
		start, end := t.TimeRange()
		if !req.Overlaps(start, end) {
			continue
		}
		out = append(out, t)
	}
	return &iterator{ctx: ctx, traces: out, i: -1}, nil
}

type iterator struct {
	ctx    context.Context
	traces []*model.Trace
	i      int
	cur    *model.Trace
	err    error
}

func (it *iterator) Next() bool {
	if it.err != nil {
		return false
	}
	if err := it.ctx.Err(); err != nil {
		it.err = err
		return false
	}
	it.i++
	if it.i >= len(it.traces) {
		return false
	}
	it.cur = CloneTrace(it.traces[it.i])
	return true
}

func (it *iterator) At() *model.Trace { return it.cur }
func (it *iterator) Err() error       { return it.err }
func (it *iterator) Close() error     { return nil }

// CloneTrace returns a deep copy of t.
func CloneTrace(t *model.Trace) *model.Trace {
	c := &model.Trace{TraceID: t.TraceID, ResourceSpans: make([]model.ResourceSpans, len(t.ResourceSpans))}
	for i, rs := range t.ResourceSpans {
		crs := model.ResourceSpans{Resource: rs.Resource, ScopeSpans: make([]model.ScopeSpans, len(rs.ScopeSpans))}
		crs.Resource.Attributes = cloneAttrs(rs.Resource.Attributes)
		for j, ss := range rs.ScopeSpans {
			css := model.ScopeSpans{Scope: ss.Scope, Spans: make([]model.Span, len(ss.Spans))}
			css.Scope.Attributes = cloneAttrs(ss.Scope.Attributes)
			for k, sp := range ss.Spans {
				sp.Attributes = cloneAttrs(sp.Attributes)
				sp.Events = slices.Clone(sp.Events)
				for e := range sp.Events {
					sp.Events[e].Attributes = cloneAttrs(sp.Events[e].Attributes)
				}
				sp.Links = slices.Clone(sp.Links)
				for l := range sp.Links {
					sp.Links[l].Attributes = cloneAttrs(sp.Links[l].Attributes)
				}
				css.Spans[k] = sp
			}
			crs.ScopeSpans[j] = css
		}
		c.ResourceSpans[i] = crs
	}
	return c
}

func cloneAttrs(a []model.Attribute) []model.Attribute {
	if a == nil {
		return nil
	}
	out := make([]model.Attribute, len(a))
	for i, x := range a {
		out[i] = model.Attribute{Key: x.Key, Value: cloneValue(x.Value)}
	}
	return out
}

func cloneValue(v model.Value) model.Value {
	switch v.Type {
	case model.ValueBytes:
		v = model.BytesValue(slices.Clone(v.Bytes()))
	case model.ValueArray:
		if v.Array() != nil {
			arr := make([]model.Value, len(v.Array()))
			for i, e := range v.Array() {
				arr[i] = cloneValue(e)
			}
			v = model.ArrayValue(arr...)
		}
	case model.ValueMap:
		v = model.MapValue(cloneAttrs(v.Map())...)
	}
	return v
}

// ReadAll returns every trace src holds (store.Request{}: no filter),
// failing tb on an error.
func ReadAll(tb testing.TB, src store.Source) []*model.Trace {
	tb.Helper()
	it, err := src.Traces(context.Background(), store.Request{})
	if err != nil {
		tb.Fatal(err)
	}
	defer it.Close()
	var out []*model.Trace
	for it.Next() {
		out = append(out, it.At())
	}
	if err := it.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}
