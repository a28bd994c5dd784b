package store

import (
	"container/heap"
	"errors"
	"fmt"

	"github.com/tracectl/tracectl/model"
)

// Merge combines iterators that each yield traces in ascending TraceID order
// into one ascending stream. Copies of the same trace from several inputs are
// combined with model.MergeSpans in input order (the spans of its[1] after
// those of its[0]; duplicate spans dropped), which leaves their nested sets
// as they were: a consumer that needs them computes them (a BlockWriter
// does). Memory holds one trace per input plus the trace being merged.
func Merge(its ...TraceIterator) TraceIterator {
	m := &mergeIter{its: its}
	return m
}

type mergeIter struct {
	its     []TraceIterator
	h       mergeHeap
	started bool
	cur     *model.Trace
	err     error
	// Merged counts traces that were found in more than one input.
	merged int
}

type mergeItem struct {
	t   *model.Trace
	src int
}

type mergeHeap []mergeItem

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	c := model.CompareTraceIDs(h[i].t.TraceID, h[j].t.TraceID)
	if c != 0 {
		return c < 0
	}
	return h[i].src < h[j].src
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(mergeItem)) }
func (h *mergeHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// advance pulls the next trace of input i onto the heap, checking order.
func (m *mergeIter) advance(i int, prev *model.Trace) bool {
	it := m.its[i]
	if !it.Next() {
		if err := it.Err(); err != nil {
			m.err = err
			return false
		}
		return true
	}
	t := it.At()
	if prev != nil && model.CompareTraceIDs(t.TraceID, prev.TraceID) <= 0 {
		m.err = fmt.Errorf("merge: input %d is not sorted by trace ID at %s", i, t.TraceID)
		return false
	}
	heap.Push(&m.h, mergeItem{t: t, src: i})
	return true
}

func (m *mergeIter) Next() bool {
	if m.err != nil {
		return false
	}
	if !m.started {
		m.started = true
		for i := range m.its {
			if !m.advance(i, nil) {
				return false
			}
		}
	}
	if m.h.Len() == 0 {
		return false
	}
	first := heap.Pop(&m.h).(mergeItem)
	group := []*model.Trace{first.t}
	if !m.advance(first.src, first.t) {
		return false
	}
	for m.h.Len() > 0 && m.h[0].t.TraceID == first.t.TraceID {
		next := heap.Pop(&m.h).(mergeItem)
		group = append(group, next.t)
		if !m.advance(next.src, next.t) {
			return false
		}
	}
	if len(group) == 1 {
		m.cur = group[0]
	} else {
		m.merged++
		m.cur = model.MergeSpans(group...)
	}
	return true
}

func (m *mergeIter) At() *model.Trace { return m.cur }
func (m *mergeIter) Err() error       { return m.err }

func (m *mergeIter) Close() error {
	var errs []error
	for _, it := range m.its {
		errs = append(errs, it.Close())
	}
	return errors.Join(errs...)
}
