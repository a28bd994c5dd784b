package zipkin

import (
	"fmt"
	"hash/fnv"

	"github.com/tracectl/tracectl/model"
)

// Spans without a start time.
//
// Zipkin lets a span leave out "timestamp" (v1 and v2): the span was sent
// in pieces, or it is one side of a shared RPC whose other side carries the
// time. The Collector's translators put such a span at the Unix epoch (v2)
// or at the wall clock (v1 without annotations), marked with the attribute
// otel.zipkin.absentField.startTime. Stored so, a trace would span 1970 to
// now, and no time range or retention would ever leave its block out.
//
// The decoders take the time from where Zipkin itself finds it instead:
//  1. annotations: the earliest annotation starts the span, and it ends
//     after its duration, else at the latest annotation (for v1 the
//     translator already does this, which gives cs→cr for a client and
//     sr→ss for a server, as Zipkin's V1SpanConverter does);
//  2. another span of the file with the same trace and span ID and the same
//     service: a piece of the same span, which Zipkin merges into one
//     (zipkin2.internal.Trace.merge; zipkin-lens mergeV2ById takes the
//     first timestamp and duration of the pieces);
//  3. another span with the same ID from another service: the other side
//     of a shared RPC span, which zipkin-lens draws as one row with the
//     client's (or else the server's) timestamp (span-row.js newSpanRow);
//  4. the parent span (same trace, span ID = parentId): the span starts
//     with its parent (its own duration, if any, is kept).
//
// A span none of these place is an error naming the file, the line:col and
// JSON path of the span: tracectl never stores a span at 1970 in silence.
// Only spans of the same file are looked at, those read before the span and
// up to 1000 spans (one emitted batch) after it, or any later span when the
// span is carried over to the next batch (see decoder.place).

// spanKey identifies a span within a file (client and server halves of a
// shared span have one key).
type spanKey struct {
	trace model.TraceID
	span  model.SpanID
}

// svcKey is a spanKey qualified by the hash of the service name.
type svcKey struct {
	spanKey
	svc uint64
}

// spanTimes are a placed span's start and end (Unix nanoseconds).
type spanTimes struct {
	start, end uint64
	svc        uint64 // hash of the service name of the first span with the key
}

// timeIndex remembers the times of the spans decoded so far in a file: the
// first placed span of each ID, and, for IDs seen again from another
// service, that service's first span. About 60 bytes per span.
type timeIndex struct {
	first map[spanKey]spanTimes
	other map[svcKey]spanTimes
}

func (x *timeIndex) add(k spanKey, svc uint64, start, end uint64) {
	if x.first == nil {
		x.first = map[spanKey]spanTimes{}
	}
	f, ok := x.first[k]
	switch {
	case !ok:
		x.first[k] = spanTimes{start: start, end: end, svc: svc}
	case f.svc != svc:
		if x.other == nil {
			x.other = map[svcKey]spanTimes{}
		}
		sk := svcKey{k, svc}
		if _, ok := x.other[sk]; !ok {
			x.other[sk] = spanTimes{start: start, end: end, svc: svc}
		}
	}
}

// sameService returns the times of a span with key k from service svc.
func (x *timeIndex) sameService(k spanKey, svc uint64) (spanTimes, bool) {
	if f, ok := x.first[k]; ok && f.svc == svc {
		return f, true
	}
	t, ok := x.other[svcKey{k, svc}]
	return t, ok
}

// anyService returns the times of the first span with key k.
func (x *timeIndex) anyService(k spanKey) (spanTimes, bool) {
	t, ok := x.first[k]
	return t, ok
}

// pendingSpan is a span without a start time, waiting in the current batch
// (at ri, si, k) to be placed.
type pendingSpan struct {
	key       spanKey
	parent    model.SpanID
	svc       uint64
	duration  uint64
	err       error // the positioned error if it is never placed
	ri, si, k int
}

// resolve finds a start and end for p from the spans indexed so far.
func (x *timeIndex) resolve(p *pendingSpan) (start, end uint64, ok bool) {
	own := func(t spanTimes) (uint64, uint64, bool) {
		if p.duration > 0 {
			return t.start, t.start + p.duration, true
		}
		return t.start, max(t.end, t.start), true
	}
	if t, ok := x.sameService(p.key, p.svc); ok {
		return own(t)
	}
	if t, ok := x.anyService(p.key); ok {
		return own(t)
	}
	if p.parent != (model.SpanID{}) {
		if t, ok := x.anyService(spanKey{p.key.trace, p.parent}); ok {
			return t.start, t.start + p.duration, true
		}
	}
	return 0, 0, false
}

// untimed reports whether the translators left s without a start time.
func untimed(s *model.Span) bool {
	if s.StartTimeUnixNano != 0 {
		return false
	}
	v, ok := model.Find(s.Attributes, absentStart)
	return ok && v.Type == model.ValueBool && v.Bool
}

// fromEvents places an untimed span by its annotations (events): it starts
// at the earliest and ends after its duration, else at the latest.
func fromEvents(s *model.Span) bool {
	var first, last uint64
	for _, e := range s.Events {
		if e.TimeUnixNano == 0 {
			continue
		}
		if first == 0 || e.TimeUnixNano < first {
			first = e.TimeUnixNano
		}
		last = max(last, e.TimeUnixNano)
	}
	if first == 0 {
		return false
	}
	dur := s.EndTimeUnixNano - s.StartTimeUnixNano
	s.StartTimeUnixNano = first
	if dur > 0 {
		s.EndTimeUnixNano = first + dur
	} else {
		s.EndTimeUnixNano = last
	}
	return true
}

func serviceHash(r *model.Resource) uint64 {
	h := fnv.New64a()
	h.Write([]byte(r.ServiceName()))
	return h.Sum64()
}

// errNoTime explains a span that could not be placed in time.
func errNoTime(p *pendingSpan) error {
	parent := ""
	if p.parent != (model.SpanID{}) {
		parent = fmt.Sprintf(" or its parent %s", p.parent)
	}
	return fmt.Errorf("missing, no annotation has a time, and no span of this file with ID %s%s has one: "+
		"cannot tell when the span ran (Zipkin's translators would store it at the Unix epoch, 1970)", p.key.span, parent)
}
