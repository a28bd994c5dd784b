package model

import (
	"cmp"
	"encoding/binary"
	"hash/fnv"
	"math"
	"slices"
	"strings"
)

// SpanKey identifies a span inside a trace for de-duplication. Kind is part
// of the key because Zipkin client and server halves share a SpanID.
// Spans without a span ID (OTLP allows an empty one; the Collector's own
// test data has some) are told apart by their content instead, so that
// only true copies merge.
type SpanKey struct {
	SpanID SpanID
	Kind   SpanKind
	// Content hashes the span when SpanID is zero (0 otherwise).
	Content uint64
}

// KeyOf returns s's de-duplication key.
func KeyOf(s *Span) SpanKey {
	k := SpanKey{SpanID: s.SpanID, Kind: s.Kind}
	if s.SpanID.IsZero() {
		var sb strings.Builder
		writeString(&sb, s.Name)
		sb.Write(s.ParentSpanID[:])
		writeUint(&sb, s.StartTimeUnixNano)
		writeUint(&sb, s.EndTimeUnixNano)
		writeUint(&sb, uint64(s.Status.Code))
		writeString(&sb, s.Status.Message)
		writeAttrsKey(&sb, s.Attributes)
		h := fnv.New64a()
		h.Write([]byte(sb.String()))
		k.Content = h.Sum64()
	}
	return k
}

// TraceBuilder assembles traces from spans that arrive in any order and
// grouping, dropping duplicate spans (same SpanKey within a trace; the
// first one added stays).
//
// How spans are grouped depends on the constructor. NewTraceBuilder merges
// identical resources and scopes wherever they occur: a span joins the
// first entry of its resource and scope, so spans that came after another
// resource's may move ahead of them. NewOrderedTraceBuilder keeps the
// order spans are added in: a span joins the trace's last resource-spans
// entry only when that entry's resource is identical (and that entry's
// last scope-spans entry only when the scope is), otherwise it opens a new
// entry. Walking an ordered trace (Trace.Spans) visits its spans in the
// order they were added, which is the order the Collector's
// tail_sampling processor evaluates them in.
type TraceBuilder struct {
	traces  map[TraceID]*builderTrace
	ordered bool
	// Duplicates counts spans dropped as duplicates.
	Duplicates int
	// Spans counts spans kept.
	Spans int
}

type builderTrace struct {
	trace     *Trace
	resources map[string]int   // resource key -> index in ResourceSpans
	scopes    []map[string]int // per resource: scope key -> index in ScopeSpans
	seen      spanKeySet
}

// NewTraceBuilder returns an empty builder that merges identical resources
// and scopes wherever they occur.
func NewTraceBuilder() *TraceBuilder {
	return &TraceBuilder{traces: map[TraceID]*builderTrace{}}
}

// NewOrderedTraceBuilder returns an empty builder that keeps the order
// spans are added in, merging a resource or scope only into the entry
// just before it.
func NewOrderedTraceBuilder() *TraceBuilder {
	return &TraceBuilder{traces: map[TraceID]*builderTrace{}, ordered: true}
}

// Len returns the number of traces held.
func (b *TraceBuilder) Len() int { return len(b.traces) }

// AddResourceSpans adds every span of rs, each to the trace named by its
// TraceID. Resource and scope are shared by reference-free copy.
func (b *TraceBuilder) AddResourceSpans(rs *ResourceSpans) {
	if !b.ordered {
		rkey := resourceKey(&rs.Resource)
		for i := range rs.ScopeSpans {
			ss := &rs.ScopeSpans[i]
			skey := scopeKey(&ss.Scope)
			for k := range ss.Spans {
				b.AddSpan(&rs.Resource, rkey, &ss.Scope, skey, ss.Spans[k])
			}
		}
		return
	}
	for i := range rs.ScopeSpans {
		ss := &rs.ScopeSpans[i]
		// Spans of one trace usually come one after another: each run
		// is added with one lookup of its trace and one grow of its list.
		for spans := ss.Spans; len(spans) > 0; {
			n := 1
			for n < len(spans) && spans[n].TraceID == spans[0].TraceID {
				n++
			}
			b.addRun(&rs.Resource, &ss.Scope, spans[:n])
			spans = spans[n:]
		}
	}
}

// addRun is AddSpan for spans of one trace, in an ordered builder.
func (b *TraceBuilder) addRun(res *Resource, sc *Scope, spans []Span) {
	bt := b.trace(spans[0].TraceID)
	var dst *ScopeSpans
	for k := range spans {
		s := &spans[k]
		if !bt.seen.add(KeyOf(s)) {
			b.Duplicates++
			continue
		}
		b.Spans++
		if dst == nil {
			dst = bt.orderedScope(res, sc)
			dst.Spans = slices.Grow(dst.Spans, len(spans)-k)
		}
		dst.Spans = append(dst.Spans, *s)
	}
}

// trace returns the trace being built for id, starting it if new.
func (b *TraceBuilder) trace(id TraceID) *builderTrace {
	bt := b.traces[id]
	if bt == nil {
		bt = &builderTrace{trace: &Trace{TraceID: id}}
		if !b.ordered {
			bt.resources = map[string]int{}
		}
		b.traces[id] = bt
	}
	return bt
}

// AddTrace adds every span of t.
func (b *TraceBuilder) AddTrace(t *Trace) {
	for i := range t.ResourceSpans {
		b.AddResourceSpans(&t.ResourceSpans[i])
	}
}

// AddSpan adds one span under the given resource and scope. rkey and skey
// are their keys (resourceKey, scopeKey), or empty to have them computed;
// an ordered builder ignores them and compares the resource and scope
// themselves.
func (b *TraceBuilder) AddSpan(res *Resource, rkey string, sc *Scope, skey string, s Span) {
	bt := b.trace(s.TraceID)
	if !bt.seen.add(KeyOf(&s)) {
		b.Duplicates++
		return
	}
	b.Spans++

	if b.ordered {
		ss := bt.orderedScope(res, sc)
		ss.Spans = append(ss.Spans, s)
		return
	}
	if rkey == "" {
		rkey = resourceKey(res)
	}
	if skey == "" {
		skey = scopeKey(sc)
	}
	ri, ok := bt.resources[rkey]
	if !ok {
		ri = len(bt.trace.ResourceSpans)
		bt.resources[rkey] = ri
		bt.trace.ResourceSpans = append(bt.trace.ResourceSpans, ResourceSpans{Resource: *res})
		bt.scopes = append(bt.scopes, map[string]int{})
	}
	rs := &bt.trace.ResourceSpans[ri]
	si, ok := bt.scopes[ri][skey]
	if !ok {
		si = len(rs.ScopeSpans)
		bt.scopes[ri][skey] = si
		rs.ScopeSpans = append(rs.ScopeSpans, ScopeSpans{Scope: *sc})
	}
	rs.ScopeSpans[si].Spans = append(rs.ScopeSpans[si].Spans, s)
}

// orderedScope returns the scope-spans entry that spans of res and sc go
// to in an ordered builder: the trace's last one when its resource and
// scope have the same keys as res and sc (compared without building the
// keys, see sameResource), otherwise a new one, under a new
// resource-spans entry unless only the scope differs.
func (bt *builderTrace) orderedScope(res *Resource, sc *Scope) *ScopeSpans {
	t := bt.trace
	n := len(t.ResourceSpans)
	if n == 0 || !sameResource(&t.ResourceSpans[n-1].Resource, res) {
		t.ResourceSpans = append(t.ResourceSpans, ResourceSpans{Resource: *res})
		n++
	}
	rs := &t.ResourceSpans[n-1]
	m := len(rs.ScopeSpans)
	if m == 0 || !sameScope(&rs.ScopeSpans[m-1].Scope, sc) {
		rs.ScopeSpans = append(rs.ScopeSpans, ScopeSpans{Scope: *sc})
		m++
	}
	return &rs.ScopeSpans[m-1]
}

// Traces returns the assembled traces sorted by TraceID and empties the
// builder. Nested sets are computed for each trace.
func (b *TraceBuilder) Traces() []*Trace {
	out := b.SortedTraces()
	for _, t := range out {
		ComputeNestedSets(t)
	}
	return out
}

// SortedTraces is Traces without computing nested sets (spans keep the
// NestedSetLeft, NestedSetRight and ParentIndex they were added with):
// for callers that compute them later anyway, as blocks.BlockWriter does.
func (b *TraceBuilder) SortedTraces() []*Trace {
	out := make([]*Trace, 0, len(b.traces))
	for _, bt := range b.traces {
		out = append(out, bt.trace)
	}
	SortTraces(out)
	b.traces = map[TraceID]*builderTrace{}
	return out
}

// SortTraces sorts traces by TraceID ascending (the block row order).
func SortTraces(ts []*Trace) {
	slices.SortFunc(ts, func(a, b *Trace) int { return CompareTraceIDs(a.TraceID, b.TraceID) })
}

// CompareTraceIDs orders trace IDs bytewise, as two big-endian halves
// (converting the arrays to strings made the arguments escape: one
// allocation per comparison).
func CompareTraceIDs(a, b TraceID) int {
	if c := cmp.Compare(binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8])); c != 0 {
		return c
	}
	return cmp.Compare(binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:]))
}

// MergeTraces combines parts or copies of the same trace into one, in
// argument order, dropping duplicate spans by SpanKey (the first copy
// stays). Resource-spans and scope-spans entries keep their order (see
// NewOrderedTraceBuilder): the spans of ts[1] follow those of ts[0], and
// an entry is merged only into an identical one just before it. The
// result has nested sets recomputed.
func MergeTraces(ts ...*Trace) *Trace {
	t := MergeSpans(ts...)
	ComputeNestedSets(t)
	return t
}

// MergeSpans is MergeTraces without computing nested sets: the spans keep
// the ones they had in their part. For callers that compute them later
// anyway, as blocks.BlockWriter does.
func MergeSpans(ts ...*Trace) *Trace {
	b := NewOrderedTraceBuilder()
	for _, t := range ts {
		b.AddTrace(t)
	}
	out := b.SortedTraces()
	if len(out) == 0 {
		return &Trace{}
	}
	return out[0]
}

func resourceKey(r *Resource) string {
	var sb strings.Builder
	sb.Grow(attrsKeySize(r.Attributes) + 2*binary.MaxVarintLen64)
	writeAttrsKey(&sb, r.Attributes)
	writeUint(&sb, uint64(r.DroppedAttributesCount))
	return sb.String()
}

func scopeKey(s *Scope) string {
	var sb strings.Builder
	sb.Grow(len(s.Name) + len(s.Version) + attrsKeySize(s.Attributes) + 4*binary.MaxVarintLen64)
	writeString(&sb, s.Name)
	writeString(&sb, s.Version)
	writeAttrsKey(&sb, s.Attributes)
	writeUint(&sb, uint64(s.DroppedAttributesCount))
	return sb.String()
}

// attrsKeySize is about the bytes writeAttrsKey writes for attrs (at
// least as many for strings and numbers), so that a key is built in one
// allocation.
func attrsKeySize(attrs []Attribute) int {
	n := binary.MaxVarintLen64
	for i := range attrs {
		n += len(attrs[i].Key) + 2 + binary.MaxVarintLen64
		if attrs[i].Value.Type == ValueString {
			n += len(attrs[i].Value.Str)
		}
	}
	return n
}

func writeAttrsKey(sb *strings.Builder, attrs []Attribute) {
	writeUint(sb, uint64(len(attrs)))
	for i := range attrs {
		writeString(sb, attrs[i].Key)
		writeValueKey(sb, &attrs[i].Value)
	}
}

func writeValueKey(sb *strings.Builder, v *Value) {
	sb.WriteByte(byte(v.Type))
	switch v.Type {
	case ValueString:
		writeString(sb, v.Str)
	case ValueInt:
		writeUint(sb, uint64(v.Int))
	case ValueDouble:
		writeUint(sb, math.Float64bits(v.Double))
	case ValueBool:
		if v.Bool {
			sb.WriteByte(1)
		} else {
			sb.WriteByte(0)
		}
	case ValueBytes:
		writeString(sb, string(v.Bytes()))
	case ValueArray:
		arr := v.Array()
		writeUint(sb, uint64(len(arr)))
		for i := range arr {
			writeValueKey(sb, &arr[i])
		}
	case ValueMap:
		writeAttrsKey(sb, v.Map())
	}
}

func writeString(sb *strings.Builder, s string) {
	writeUint(sb, uint64(len(s)))
	sb.WriteString(s)
}

func writeUint(sb *strings.Builder, u uint64) {
	var buf [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(buf[:], u)
	sb.Write(buf[:n])
}

// smallKeySet is how many keys a spanKeySet holds in a list before it
// builds a map: most traces have a few dozen spans or fewer, and a scan of
// a short list costs less than hashing into (and allocating) a map.
const smallKeySet = 32

// spanKeySet is the set of span keys a trace holds.
type spanKeySet struct {
	list []SpanKey
	m    map[SpanKey]struct{} // every key, once the list would grow past smallKeySet
}

// add adds k and reports whether it was new.
func (ks *spanKeySet) add(k SpanKey) bool {
	if ks.m != nil {
		if _, dup := ks.m[k]; dup {
			return false
		}
		ks.m[k] = struct{}{}
		return true
	}
	for i := range ks.list {
		if ks.list[i] == k {
			return false
		}
	}
	if len(ks.list) < smallKeySet {
		ks.list = append(ks.list, k)
		return true
	}
	ks.m = make(map[SpanKey]struct{}, 2*smallKeySet)
	for _, l := range ks.list {
		ks.m[l] = struct{}{}
	}
	ks.list = nil
	ks.m[k] = struct{}{}
	return true
}
