package store

import (
	"context"
	"encoding/binary"
	"math"
	"sort"
	"strings"

	"github.com/tracectl/tracectl/model"
)

// SpanAggregator is implemented by sources that can aggregate spans per
// group and time interval without building traces (TraceQL metrics such
// as `{ status = error } | rate() by (resource.service.name)`).
type SpanAggregator interface {
	// AggregateSpans aggregates the spans of req's time range that spec
	// selects; every span counts once, in its trace merged from all blocks.
	AggregateSpans(ctx context.Context, req Request, spec *AggregateSpec) (*Aggregate, error)
}

// AggregateSpec says which spans to aggregate and how.
type AggregateSpec struct {
	// Spans selects the spans (its semantics are SpanCond.Match's on the
	// whole trace); nil selects every span.
	Spans *SpanCond
	// GroupBy are the fields whose values group the spans. Only span,
	// resource and scope attributes and the span intrinsics (name, status,
	// status message, kind, duration) may be used.
	GroupBy []Field
	// Slots is the number of time intervals; Slot maps a span's start
	// (Unix ns) to one, or to -1 when the span is outside them.
	Slots int
	Slot  func(startUnixNano uint64) int
	// Exemplars is how many spans each group keeps per interval as
	// exemplars: those of lowest rank, RankSpan(RankTrace(t), s) for span s
	// of trace t (0: none). The rank comes in two steps so that a source
	// computes a trace's part once for all its spans.
	Exemplars int
	RankTrace func(model.TraceID) uint64
	RankSpan  func(trace uint64, s model.SpanID) uint64
	// Durations keeps every counted span's duration (Span.Duration) per
	// group and interval, for functions of the duration.
	Durations bool
}

// Aggregate is the answer of SpanAggregator.
type Aggregate struct {
	Groups []*SpanGroup // in order of Key
	// InspectedTraces and InspectedSpans count the traces with a span the
	// spec selects (in any interval) and their spans.
	InspectedTraces, InspectedSpans int
}

// SpanGroup aggregates the spans sharing their GroupBy values.
type SpanGroup struct {
	Values  []model.Value // one per GroupBy field
	Present []bool        // false where the span has no such value
	Count   []uint64      // spans per interval
	// Exemplars per interval: the spans of lowest rank, at most
	// AggregateSpec.Exemplars, in no particular order.
	Exemplars [][]ExemplarSpan
	// Durations per interval (AggregateSpec.Durations).
	Durations []Durations
}

// Durations are the span durations of one interval, in nanoseconds and in
// no particular order: those under 2^32 ns (4.3 s, nearly all of them) in
// 4 bytes, the rest in 8, so that 10M spans' durations take about 40 MB
// instead of 80.
type Durations struct {
	Small []uint32
	Large []uint64
}

// Add adds a duration.
func (ds *Durations) Add(ns uint64) {
	if ns < 1<<32 {
		ds.Small = append(ds.Small, uint32(ns))
	} else {
		ds.Large = append(ds.Large, ns)
	}
}

// AddAll adds the durations of o.
func (ds *Durations) AddAll(o *Durations) {
	ds.Small = append(ds.Small, o.Small...)
	ds.Large = append(ds.Large, o.Large...)
}

// Each calls f with every duration.
func (ds *Durations) Each(f func(ns uint64)) {
	for _, d := range ds.Small {
		f(uint64(d))
	}
	for _, d := range ds.Large {
		f(d)
	}
}

// ExemplarSpan is a span kept as an exemplar.
type ExemplarSpan struct {
	TraceID       model.TraceID
	SpanID        model.SpanID
	StartUnixNano uint64
	DurationNano  uint64
	Rank          uint64
}

// GroupSet accumulates SpanGroups by key; AddTrace is the reference
// aggregation of one whole trace, which a source's own must agree with.
type GroupSet struct {
	spec   *AggregateSpec
	byKey  map[string]*SpanGroup
	traces int
	spans  int
}

// NewGroupSet returns an empty set for spec.
func NewGroupSet(spec *AggregateSpec) *GroupSet {
	return &GroupSet{spec: spec, byKey: map[string]*SpanGroup{}}
}

// Group returns the group of the given values, creating it.
func (gs *GroupSet) Group(values []model.Value, present []bool) *SpanGroup {
	k := GroupKey(values, present)
	if g, ok := gs.byKey[k]; ok {
		return g
	}
	g := &SpanGroup{Values: values, Present: present, Count: make([]uint64, gs.spec.Slots)}
	if gs.spec.Exemplars > 0 {
		g.Exemplars = make([][]ExemplarSpan, gs.spec.Slots)
	}
	if gs.spec.Durations {
		g.Durations = make([]Durations, gs.spec.Slots)
	}
	gs.byKey[k] = g
	return g
}

// AddExemplar offers a span as an exemplar of interval slot.
func (gs *GroupSet) AddExemplar(g *SpanGroup, slot int, e ExemplarSpan) {
	g.Exemplars[slot] = KeepFirst(g.Exemplars[slot], gs.spec.Exemplars, e, ExemplarSpan.Before)
}

// KeepFirst offers e to kept, which holds at most n values: it is added
// while there is room, and otherwise replaces the last of them in the
// order before gives if it comes before that one. It returns kept. This
// is how exemplars are picked, here and by the reference evaluator
// (traceql/eval), each with its own order.
func KeepFirst[T any](kept []T, n int, e T, before func(a, b T) bool) []T {
	if len(kept) < n {
		return append(kept, e)
	}
	last := 0
	for i := range kept {
		if before(kept[last], kept[i]) {
			last = i
		}
	}
	if len(kept) > 0 && before(e, kept[last]) {
		kept[last] = e
	}
	return kept
}

// Before orders exemplars by rank, then start and duration: spans of one
// trace without an ID share their rank, and which of them is kept must
// not depend on the order they come in.
func (e ExemplarSpan) Before(f ExemplarSpan) bool {
	if e.Rank != f.Rank {
		return e.Rank < f.Rank
	}
	if e.StartUnixNano != f.StartUnixNano {
		return e.StartUnixNano < f.StartUnixNano
	}
	return e.DurationNano < f.DurationNano
}

// AddInspected adds to the inspected counts.
func (gs *GroupSet) AddInspected(traces, spans int) { gs.traces += traces; gs.spans += spans }

// Inspected returns the traces and spans counted inspected so far.
func (gs *GroupSet) Inspected() (traces, spans int) { return gs.traces, gs.spans }

// Merge adds the groups of o (built for the same spec).
func (gs *GroupSet) Merge(o *GroupSet) {
	for _, og := range o.byKey {
		g := gs.Group(og.Values, og.Present)
		for i, n := range og.Count {
			g.Count[i] += n
		}
		for i := range og.Durations {
			g.Durations[i].AddAll(&og.Durations[i])
		}
		for slot, ex := range og.Exemplars {
			for _, e := range ex {
				gs.AddExemplar(g, slot, e)
			}
		}
	}
	gs.traces += o.traces
	gs.spans += o.spans
}

// AddTrace aggregates the spans of t that the spec selects.
func (gs *GroupSet) AddTrace(t *model.Trace) {
	spec := gs.spec
	selected := 0
	var traceRank uint64
	if spec.Exemplars > 0 {
		traceRank = spec.RankTrace(t.TraceID)
	}
	t.Spans(func(r model.SpanRef) bool {
		if spec.Spans != nil && !spec.Spans.Match(t, r) {
			return true
		}
		selected++
		slot := spec.Slot(r.Span.StartTimeUnixNano)
		if slot < 0 {
			return true
		}
		values := make([]model.Value, len(spec.GroupBy))
		present := make([]bool, len(spec.GroupBy))
		for i, f := range spec.GroupBy {
			values[i], present[i] = FieldValue(t, r, f)
		}
		g := gs.Group(values, present)
		g.Count[slot]++
		if spec.Durations {
			g.Durations[slot].Add(r.Span.Duration())
		}
		if spec.Exemplars > 0 {
			gs.AddExemplar(g, slot, ExemplarSpan{TraceID: t.TraceID, SpanID: r.Span.SpanID,
				StartUnixNano: r.Span.StartTimeUnixNano, DurationNano: r.Span.Duration(),
				Rank: spec.RankSpan(traceRank, r.Span.SpanID)})
		}
		return true
	})
	if selected > 0 {
		gs.traces++
		gs.spans += t.SpanCount()
	}
}

// Result returns the groups in key order.
func (gs *GroupSet) Result() *Aggregate {
	keys := make([]string, 0, len(gs.byKey))
	for k := range gs.byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	a := &Aggregate{InspectedTraces: gs.traces, InspectedSpans: gs.spans}
	for _, k := range keys {
		a.Groups = append(a.Groups, gs.byKey[k])
	}
	return a
}

// GroupKey is a map key for GroupBy values: equal values (type and
// content, doubles bit for bit) give equal keys.
func GroupKey(values []model.Value, present []bool) string {
	var b strings.Builder
	for i, v := range values {
		if !present[i] {
			b.WriteByte(0)
			continue
		}
		b.WriteByte(1)
		writeValueKey(&b, v)
	}
	return b.String()
}

func writeValueKey(b *strings.Builder, v model.Value) {
	b.WriteByte(byte(v.Type))
	var n [8]byte
	switch v.Type {
	case model.ValueString:
		binary.LittleEndian.PutUint64(n[:], uint64(len(v.Str)))
		b.Write(n[:])
		b.WriteString(v.Str)
	case model.ValueInt:
		binary.LittleEndian.PutUint64(n[:], uint64(v.Int))
		b.Write(n[:])
	case model.ValueDouble:
		binary.LittleEndian.PutUint64(n[:], math.Float64bits(v.Double))
		b.Write(n[:])
	case model.ValueBool:
		if v.Bool {
			b.WriteByte(1)
		} else {
			b.WriteByte(0)
		}
	case model.ValueBytes:
		binary.LittleEndian.PutUint64(n[:], uint64(len(v.Bytes())))
		b.Write(n[:])
		b.Write(v.Bytes())
	case model.ValueArray:
		binary.LittleEndian.PutUint64(n[:], uint64(len(v.Array())))
		b.Write(n[:])
		for _, e := range v.Array() {
			writeValueKey(b, e)
		}
	case model.ValueMap:
		binary.LittleEndian.PutUint64(n[:], uint64(len(v.Map())))
		b.Write(n[:])
		for _, a := range v.Map() {
			binary.LittleEndian.PutUint64(n[:], uint64(len(a.Key)))
			b.Write(n[:])
			b.WriteString(a.Key)
			writeValueKey(b, a.Value)
		}
	}
}

// FieldValue returns the value of field f on span r of t, as SpanCond
// tests see it; ok is false when the span has none. Event and link
// attributes have no single value (ok false).
func FieldValue(t *model.Trace, r model.SpanRef, f Field) (model.Value, bool) {
	s := r.Span
	switch f.Kind {
	case FieldSpanName:
		return model.StringValue(s.Name), true
	case FieldSpanStatus:
		return model.IntValue(int64(s.Status.Code)), true
	case FieldSpanStatusMessage:
		return model.StringValue(s.Status.Message), true
	case FieldSpanKind:
		return model.IntValue(int64(s.Kind)), true
	case FieldSpanDuration:
		return model.IntValue(int64(s.Duration())), true
	case FieldTraceDuration:
		start, end := t.TimeRange()
		return model.IntValue(int64(end - start)), true
	case FieldSpanAttr:
		return model.Find(s.Attributes, f.Name)
	case FieldResourceAttr:
		return model.Find(r.Resource.Attributes, f.Name)
	case FieldScopeAttr:
		return model.Find(r.Scope.Attributes, f.Name)
	}
	return model.Value{}, false
}
