package blocks

import (
	"os"
	"sync/atomic"

	"github.com/tracectl/tracectl/model"
)

// Reusing the memory of built traces (store.Request.Reuse). An assembler
// builds the traces of one read into an arena: slabs of spans, scopes,
// attributes and so on, each trace a window of them. With a pool the
// arena returns to it once nothing holds its traces any more, and the
// next read builds into the same memory: a scan whose consumer drops each
// trace before asking for the next one allocates almost nothing per span.
//
// Holds are counted: the assembler holds its current arena until its next
// read or close; every trace handed to the consumer holds its arena until
// the consumer moves past it; a trace kept longer (a part of a trace
// split across blocks, kept until its other parts are in) is copied out
// (detach), so that the arena still returns to the pool: pinning it
// instead kept a whole read's memory for one part, and where late spans
// put parts in every block, the memory of every block.

// arena holds the traces of one read.
type arena struct {
	pool  *arenaPool // nil: every take allocates, nothing is reused
	holds atomic.Int32

	traces slab[model.Trace]
	rs     slab[model.ResourceSpans]
	scopes slab[model.ScopeSpans]
	spans  slab[model.Span]
	events slab[model.Event]
	links  slab[model.Link]
	attrs  slab[model.Attribute]
}

// slab hands out consecutive windows of one backing array.
type slab[T any] struct{ buf []T }

// take returns n zero values: a window of the slab when reusing (three-
// index, so appends cannot run into the next window), else new memory.
func (s *slab[T]) take(n int, reuse bool) []T {
	if !reuse || n == 0 {
		if n == 0 {
			return nil
		}
		return make([]T, n)
	}
	if len(s.buf)+n > cap(s.buf) {
		// Windows already handed out keep the old array alive.
		s.buf = make([]T, 0, max(2*cap(s.buf), n, 256))
	}
	p := len(s.buf)
	s.buf = s.buf[:p+n]
	out := s.buf[p : p+n : p+n]
	clear(out)
	return out
}

func (s *slab[T]) reset() { s.buf = s.buf[:0] }

func (ar *arena) reuse() bool { return ar.pool != nil }

// newTrace returns a zero trace in the arena.
func (ar *arena) newTrace() *model.Trace {
	if !ar.reuse() {
		return &model.Trace{}
	}
	return &ar.traces.take(1, true)[0]
}

// hold adds a holder of the arena's traces.
func (ar *arena) hold() {
	if ar != nil && ar.pool != nil {
		ar.holds.Add(1)
	}
}

// release drops a hold; the last one returns the arena to its pool.
func (ar *arena) release() {
	if ar == nil || ar.pool == nil {
		return
	}
	if ar.holds.Add(-1) == 0 {
		ar.pool.put(ar)
	}
}

// detach returns a copy of t in memory of its own, one allocation per
// kind of slice: no arena reuses it. Strings and composite values (bytes,
// arrays, maps) are shared: assemblers never reuse them.
func detach(t *model.Trace) *model.Trace {
	var n struct{ rs, scopes, spans, events, links, attrs int }
	n.rs = len(t.ResourceSpans)
	for i := range t.ResourceSpans {
		r := &t.ResourceSpans[i]
		n.attrs += len(r.Resource.Attributes)
		n.scopes += len(r.ScopeSpans)
		for j := range r.ScopeSpans {
			ss := &r.ScopeSpans[j]
			n.attrs += len(ss.Scope.Attributes)
			n.spans += len(ss.Spans)
			for k := range ss.Spans {
				sp := &ss.Spans[k]
				n.attrs += len(sp.Attributes)
				n.events += len(sp.Events)
				n.links += len(sp.Links)
				for e := range sp.Events {
					n.attrs += len(sp.Events[e].Attributes)
				}
				for l := range sp.Links {
					n.attrs += len(sp.Links[l].Attributes)
				}
			}
		}
	}
	var m arena // no pool: never reused
	m.rs.buf = make([]model.ResourceSpans, 0, n.rs)
	m.scopes.buf = make([]model.ScopeSpans, 0, n.scopes)
	m.spans.buf = make([]model.Span, 0, n.spans)
	m.events.buf = make([]model.Event, 0, n.events)
	m.links.buf = make([]model.Link, 0, n.links)
	m.attrs.buf = make([]model.Attribute, 0, n.attrs)
	out := &model.Trace{TraceID: t.TraceID, ResourceSpans: copyInto(&m.rs, t.ResourceSpans)}
	for i := range out.ResourceSpans {
		r := &out.ResourceSpans[i]
		r.Resource.Attributes = copyInto(&m.attrs, r.Resource.Attributes)
		r.ScopeSpans = copyInto(&m.scopes, r.ScopeSpans)
		for j := range r.ScopeSpans {
			ss := &r.ScopeSpans[j]
			ss.Scope.Attributes = copyInto(&m.attrs, ss.Scope.Attributes)
			ss.Spans = copyInto(&m.spans, ss.Spans)
			for k := range ss.Spans {
				sp := &ss.Spans[k]
				sp.Attributes = copyInto(&m.attrs, sp.Attributes)
				sp.Events = copyInto(&m.events, sp.Events)
				for e := range sp.Events {
					sp.Events[e].Attributes = copyInto(&m.attrs, sp.Events[e].Attributes)
				}
				sp.Links = copyInto(&m.links, sp.Links)
				for l := range sp.Links {
					sp.Links[l].Attributes = copyInto(&m.attrs, sp.Links[l].Attributes)
				}
			}
		}
	}
	return out
}

// copyInto returns a copy of src in a window of s (nil for nil, empty for
// empty).
func copyInto[T any](s *slab[T], src []T) []T {
	if src == nil {
		return nil
	}
	if len(src) == 0 {
		return []T{}
	}
	out := s.take(len(src), true)
	copy(out, src)
	return out
}

// arenaPool keeps free arenas for a scan's assemblers.
type arenaPool struct {
	free   chan *arena
	poison bool
}

// poisonEnv names the environment variable that makes released arenas
// overwrite their traces with garbage before reuse: a test run with it
// set fails wherever a consumer keeps a trace it was told it may not.
const poisonEnv = "TRACECTL_TEST_POISON_REUSED"

func newArenaPool(size int) *arenaPool {
	return &arenaPool{free: make(chan *arena, size), poison: os.Getenv(poisonEnv) != ""}
}

// get returns an empty arena with one hold (its assembler's).
func (p *arenaPool) get() *arena {
	if p == nil {
		return &arena{}
	}
	var ar *arena
	select {
	case ar = <-p.free:
	default:
		ar = &arena{pool: p}
	}
	ar.holds.Store(1)
	return ar
}

func (p *arenaPool) put(ar *arena) {
	if p.poison {
		ar.poisonAll()
	}
	for _, reset := range []func(){ar.traces.reset, ar.rs.reset, ar.scopes.reset, ar.spans.reset,
		ar.events.reset, ar.links.reset, ar.attrs.reset} {
		reset()
	}
	select {
	case p.free <- ar:
	default: // enough free arenas: let this one go
	}
}

// poisonAll overwrites everything the arena handed out, so that a trace
// used after its release shows it.
func (ar *arena) poisonAll() {
	bad := "poisoned: used after release"
	var id model.SpanID
	for i := range id {
		id[i] = 0xee
	}
	for i := range ar.spans.buf {
		ar.spans.buf[i] = model.Span{Name: bad, SpanID: id, ParentSpanID: id, StartTimeUnixNano: 1, EndTimeUnixNano: 1 << 62}
	}
	for i := range ar.attrs.buf {
		ar.attrs.buf[i] = model.Str(bad, bad)
	}
	for i := range ar.events.buf {
		ar.events.buf[i] = model.Event{Name: bad}
	}
	for i := range ar.links.buf {
		ar.links.buf[i] = model.Link{TraceState: bad}
	}
	for i := range ar.traces.buf {
		ar.traces.buf[i].TraceID[0] ^= 0xee
	}
	for i := range ar.rs.buf {
		ar.rs.buf[i].Resource = model.Resource{Attributes: []model.Attribute{model.Str(model.ServiceNameKey, bad)}}
	}
	for i := range ar.scopes.buf {
		ar.scopes.buf[i].Scope = model.Scope{Name: bad}
	}
}
