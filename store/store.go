// Package store is the storage-agnostic contract between trace storage
// (blocks, in-memory test sources) and the code that reads traces (TraceQL
// evaluation, sampling, metrics generation).
//
// Glossary:
//   - Source: anything that can stream traces for a Request.
//   - Request: a time range and optional trace IDs; hints that a source may
//     use to skip data. Readers re-check everything, so a source that ignores
//     a hint is still correct.
//   - TraceIterator: the Next/At/Err/Close stream of traces a Source returns.
package store

import (
	"context"
	"math"
	"sync/atomic"
	"time"

	"github.com/tracectl/tracectl/model"
)

// Request selects traces. Zero times mean unbounded.
type Request struct {
	// Start and End bound the trace time range: a trace is selected when
	// [trace start, trace end] overlaps [Start, End].
	Start, End time.Time
	// TraceIDs, when not empty, restricts the result to these traces.
	TraceIDs []model.TraceID
	// Fields, when not nil, names the parts of spans the reader needs;
	// a source may leave the others out of the traces it returns (column
	// projection) or return them anyway. Nil means everything.
	Fields *Fields
	// AttributeKeys, when not nil, are the only attribute keys the reader
	// looks up in the parts Fields asks for: a source may leave other
	// attributes out. Resource service.name is always returned.
	AttributeKeys []string
	// Unordered says the reader does not need traces in ascending ID
	// order: a source may return them in any order (each trace still once
	// and whole), which lets it bound its memory independently of how
	// many blocks it reads.
	Unordered bool
	// Reuse says the reader keeps no trace, nor anything in one (spans,
	// attribute slices), past its next call of Next or Close: a source
	// may then build the next traces in the same memory. Strings may be
	// kept: they are never reused.
	Reuse bool
	// Filter, when not nil, is a condition every trace the reader wants
	// passes: a source may leave out the others (see Filter).
	Filter *Filter
	// Newest, when not nil, says the reader keeps only the traces that
	// start latest: a source should read its newest data first and may
	// leave out traces that start before the threshold (Trace.TimeRange's
	// start), which the reader raises as it finds results.
	Newest *Threshold
	// NewestCount, with Newest, is how many traces the reader keeps. A
	// source may then raise Newest itself to the start of the
	// NewestCount-th latest of traces it will return that are certain to
	// be kept (they pass an exact Filter, lie inside the time range and
	// are whole in what it reads): no trace starting earlier can be kept.
	NewestCount int
}

// Threshold is a start time (Unix ns) that only rises, shared by a reader
// and a source's goroutines.
type Threshold struct{ v atomic.Uint64 }

// Load returns the threshold.
func (t *Threshold) Load() uint64 { return t.v.Load() }

// Raise sets the threshold to ns if that is higher.
func (t *Threshold) Raise(ns uint64) {
	for {
		old := t.v.Load()
		if ns <= old || t.v.CompareAndSwap(old, ns) {
			return
		}
	}
}

// Fields names the optional parts of spans. Span and trace IDs, parent
// links, nested sets, name, kind, times, status, resource service.name (as
// a string) and scope name and version are always returned; a part that is
// left out comes with its dropped count, and span trace state may be left
// out of any projection.
type Fields struct {
	SpanAttributes     bool // span attributes (incl. those in dedicated columns)
	ResourceAttributes bool // resource attributes other than service.name
	ScopeAttributes    bool // instrumentation scope attributes
	Events             bool // span events with their attributes
	Links              bool // span links with their attributes
	// RootLinks asks for links only to tell which spans may be a trace's
	// root (model.Span.IsRoot): a source may leave them out where none
	// can rule a span out, with no link attribute opentracing.ref_type.
	// Links asks for all of them.
	RootLinks bool
	// Minimal lets a source also leave out nested-set numbers and parent
	// indexes (zero: unknown), scope names and versions and every dropped
	// count: what a reader that aggregates spans by service, name, kind,
	// status and time never looks at. (Not status messages: the
	// de-duplication key of a span without an ID, model.KeyOf, hashes
	// them.)
	Minimal bool
}

// AllFields asks for every part of the spans.
var AllFields = Fields{SpanAttributes: true, ResourceAttributes: true, ScopeAttributes: true, Events: true, Links: true}

// Source streams traces.
type Source interface {
	Traces(ctx context.Context, req Request) (TraceIterator, error)
}

// TraceIterator is a stream of traces. At is valid after Next returned true;
// the trace it returns belongs to the caller (sources never reuse it), so
// callers may keep traces across calls to Next.
type TraceIterator interface {
	Next() bool
	At() *model.Trace
	Err() error
	Close() error
}

// BatchIterator is a TraceIterator whose traces may instead be taken a
// batch at a time, by several goroutines at once: for consumers whose
// result does not depend on the order of traces, so that they work on
// every core. An iterator is read with Next or with NextBatch, not both.
type BatchIterator interface {
	TraceIterator
	// NextBatch returns the next batch of traces, or false at the end or
	// after an error (Err). With Request.Reuse the batch's traces stay
	// valid until release is called, which it must be, once.
	NextBatch() (traces []*model.Trace, release func(), ok bool)
}

// Overlaps reports whether [start, end] (Unix ns) overlaps the request range.
func (r Request) Overlaps(start, end uint64) bool {
	if !r.Start.IsZero() && end < unixNano(r.Start) {
		return false
	}
	if !r.End.IsZero() && start > unixNano(r.End) {
		return false
	}
	return true
}

// Covers reports whether [start, end] lies inside the requested range,
// so that every trace within it overlaps the range.
func (r Request) Covers(start, end uint64) bool {
	return (r.Start.IsZero() || start >= unixNano(r.Start)) && (r.End.IsZero() || end <= unixNano(r.End))
}

// unixNano is t in Unix nanoseconds as stored spans hold them: a time
// before 1970 is 0 (it wrapped to the far future, so a range starting
// then matched nothing), one after 2262 the largest.
func unixNano(t time.Time) uint64 {
	switch {
	case t.Before(time.Unix(0, 0)):
		return 0
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return uint64(t.UnixNano())
}

// SliceIterator iterates over traces held in memory.
type SliceIterator struct {
	traces []*model.Trace
	i      int
}

// NewSliceIterator returns an iterator over ts.
func NewSliceIterator(ts []*model.Trace) *SliceIterator { return &SliceIterator{traces: ts, i: -1} }

// Next advances to the next trace.
func (it *SliceIterator) Next() bool { it.i++; return it.i < len(it.traces) }

// At returns the current trace.
func (it *SliceIterator) At() *model.Trace { return it.traces[it.i] }

// Err always returns nil.
func (it *SliceIterator) Err() error { return nil }

// Close does nothing.
func (it *SliceIterator) Close() error { return nil }

// Collect drains it into a slice and closes it.
func Collect(it TraceIterator) ([]*model.Trace, error) {
	var out []*model.Trace
	for it.Next() {
		out = append(out, it.At())
	}
	err := it.Err()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	return out, err
}
