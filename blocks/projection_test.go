package blocks

import (
	"context"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// everyFields lists all 32 combinations of store.Fields.
func everyFields() []store.Fields {
	var out []store.Fields
	for m := 0; m < 32; m++ {
		out = append(out, store.Fields{
			SpanAttributes:     m&1 != 0,
			ResourceAttributes: m&2 != 0,
			ScopeAttributes:    m&4 != 0,
			Events:             m&8 != 0,
			Links:              m&16 != 0,
		})
	}
	// Minimal with no part, with the attributes metricsgen reads, and
	// with every part.
	for _, f := range []store.Fields{{}, {SpanAttributes: true, ResourceAttributes: true}, store.AllFields} {
		f.Minimal = true
		out = append(out, f)
	}
	return out
}

// strip is what a projection to f must return for a fully read trace: the
// parts f leaves out removed (and the span trace state unless f is
// AllFields), and resource attributes reduced to the service.name of the
// ServiceName column (the last non-empty string service.name: generic
// attributes come first on reading).
func strip(t *model.Trace, f store.Fields) *model.Trace {
	c := *t
	c.ResourceSpans = append([]model.ResourceSpans(nil), t.ResourceSpans...)
	for i := range c.ResourceSpans {
		rs := &c.ResourceSpans[i]
		if f.Minimal {
			rs.Resource.DroppedAttributesCount = 0
		}
		if !f.ResourceAttributes {
			var svc []model.Attribute
			for _, a := range rs.Resource.Attributes {
				if a.Key == model.ServiceNameKey && a.Value.Type == model.ValueString && a.Value.Str != "" {
					svc = []model.Attribute{a}
				}
			}
			rs.Resource = model.Resource{Attributes: svc}
		}
		rs.ScopeSpans = append([]model.ScopeSpans(nil), rs.ScopeSpans...)
		for j := range rs.ScopeSpans {
			ss := &rs.ScopeSpans[j]
			if !f.ScopeAttributes {
				ss.Scope = model.Scope{Name: ss.Scope.Name, Version: ss.Scope.Version}
			}
			if f.Minimal {
				ss.Scope.Name, ss.Scope.Version, ss.Scope.DroppedAttributesCount = "", "", 0
			}
			ss.Spans = append([]model.Span(nil), ss.Spans...)
			for k := range ss.Spans {
				sp := &ss.Spans[k]
				if f != store.AllFields {
					sp.TraceState = ""
				}
				if !f.SpanAttributes {
					sp.Attributes, sp.DroppedAttributesCount = nil, 0
				}
				if !f.Events {
					sp.Events, sp.DroppedEventsCount = nil, 0
				}
				if !f.Links {
					sp.Links, sp.DroppedLinksCount = nil, 0
				}
				if f.Minimal {
					sp.NestedSetLeft, sp.NestedSetRight, sp.ParentIndex = 0, 0, 0
					sp.DroppedAttributesCount, sp.DroppedEventsCount, sp.DroppedLinksCount = 0, 0, 0
					sp.Events = slices.Clone(sp.Events)
					for e := range sp.Events {
						sp.Events[e].DroppedAttributesCount = 0
					}
					sp.Links = slices.Clone(sp.Links)
					for l := range sp.Links {
						sp.Links[l].DroppedAttributesCount = 0
					}
				}
			}
		}
	}
	return &c
}

// TestProjection reads blocks with combinations of Fields and checks that
// each returns exactly the fully read traces minus the parts it leaves
// out: all 32 on a block of every attribute type, event and link (our
// layout), and no part, each single part and all parts on Tempo's block
// (legacy layout; comparing its 570 spans is the slow part).
func TestProjection(t *testing.T) {
	ours := memStore(t)
	if _, err := ours.WriteBlock(context.Background(), roundTripTraces(), WriteOptions{
		DedicatedColumns: []DedicatedColumn{{Scope: "span", Name: "instance", Type: "string"}, {Scope: "resource", Name: "ip", Type: "string"}},
	}); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*Store{"ours": ours, "tempo": tempoStore(t)} {
		full := scanAll(t, s, 1, store.Request{})
		if len(full) == 0 {
			t.Fatalf("%s: no traces", name)
		}
		combos := everyFields()
		if name == "tempo" {
			combos = []store.Fields{{}, {SpanAttributes: true}, {ResourceAttributes: true},
				{ScopeAttributes: true}, {Events: true}, {Links: true}, {SpanAttributes: true, Minimal: true}}
		}
		for _, f := range combos {
			want := make([]*model.Trace, len(full))
			for i, tr := range full {
				want[i] = strip(tr, f)
			}
			for _, n := range []int{1, 2} {
				if name == "tempo" && n > 1 {
					continue
				}
				got := scanAll(t, s, n, store.Request{Fields: &f})
				if diff := diffTraces(want, got); diff != "" {
					t.Errorf("%s, %+v, concurrency %d (-want +got):\n%s", name, f, n, diff)
				}
			}
		}
		all := store.AllFields
		if diff := diffTraces(full, scanAll(t, s, 1, store.Request{Fields: &all})); diff != "" {
			t.Errorf("%s: AllFields differs from a full read:\n%s", name, diff)
		}
	}
}

// TestProjectionReadsLess checks that a projected scan fetches only the
// needed column chunks: fewer data.parquet bytes than a full scan, and
// fewer still with fewer parts.
func TestProjectionReadsLess(t *testing.T) {
	setWholeObjectBytes(t, 0) // the reads of the columns projected
	ctx := context.Background()
	wb, bucket := newWrapBucket(t)
	s := NewStore(bucket, "tenant-a")
	if _, err := s.WriteBlock(ctx, syntheticTraces(200, 1, 1e18), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	read := func(req store.Request) int64 {
		wb.resetLog()
		scanAll(t, s, 1, req)
		var n int64
		for _, r := range wb.log() {
			n += r.n
		}
		return n
	}
	// Fetch every chunk on its own, as for chunks far apart in a big file.
	defer func(g int64) { maxChunkGap = g }(maxChunkGap)
	maxChunkGap = 0
	none, attrs := store.Fields{}, store.Fields{SpanAttributes: true}
	fullBytes, attrBytes, noneBytes := read(store.Request{}), read(store.Request{Fields: &attrs}), read(store.Request{Fields: &none})
	t.Logf("bytes read: full %d, span attributes %d, intrinsics %d", fullBytes, attrBytes, noneBytes)
	if !(noneBytes < attrBytes && attrBytes < fullBytes) {
		t.Errorf("bytes read: full %d, span attributes %d, intrinsics %d: want strictly decreasing", fullBytes, attrBytes, noneBytes)
	}
}

func TestKeepColumn(t *testing.T) {
	none, spanAttrs := store.Fields{}, store.Fields{SpanAttributes: true}
	for _, tc := range []struct {
		path string
		f    *store.Fields
		want bool
	}{
		{"rs.ss.Spans.Attrs.Key", nil, true},
		{"TraceID", &none, true},
		{"ServiceStats.value.SpanCount", &none, false},
		{"rs.Resource.ServiceName", &none, true},
		{"rs.Resource.Attrs.Value", &none, false},
		{"rs.ss.Scope.Name", &none, true},
		{"rs.ss.Spans.Name", &none, true},
		{"rs.ss.Spans.NestedSetLeft", &none, true},
		{"rs.ss.Spans.Attrs.Value", &none, false},
		{"rs.ss.Spans.Attrs.Value", &spanAttrs, true},
		{"rs.ss.Spans.HttpMethod", &spanAttrs, true},
		{"rs.ss.Spans.Events.Name", &spanAttrs, false},
		{"rs.ss.Spans.TraceState", &spanAttrs, false},
	} {
		if got := keepColumn(splitPath(tc.path), tc.f); got != tc.want {
			t.Errorf("keepColumn(%s, %+v) = %v, want %v", tc.path, tc.f, got, tc.want)
		}
	}
}

func splitPath(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// TestProjectionsMergeAlike: the parts of a trace held by two blocks
// merge to the same spans whatever the projection. Each block has a span
// without an ID that differs from the other's only in its status message
// or its attributes, which model.KeyOf hashes: a projection that left them
// out would merge the two.
func TestProjectionsMergeAlike(t *testing.T) {
	for _, differ := range []string{"status message", "attributes"} {
		t.Run(differ, func(t *testing.T) {
			s := memStore(t)
			writeSplitTrace(t, s, func(i int, z *model.Span) {
				if differ == "status message" {
					z.Status.Message = string(rune('a' + i))
				} else {
					z.Attributes = []model.Attribute{model.Int("i", int64(i))}
				}
			})
			checkMergesAlike(t, s, 4)
		})
	}
}

// TestProjectionsMergeAlikeWithoutSpanIDs: a data.parquet without a
// SpanID column opens (the column is not among the required ones) and
// every span reads without an ID, so the parts of a split trace merge by
// content, attributes included, whatever the projection (found by review).
func TestProjectionsMergeAlikeWithoutSpanIDs(t *testing.T) {
	s := memStore(t)
	metas := writeSplitTrace(t, s, func(i int, z *model.Span) {
		z.SpanID = sid(byte(i + 3))
		z.Attributes = []model.Attribute{model.Int("i", int64(i))}
	})
	root, _, _ := prune(traceSchema(), nil, func(path []string) bool {
		return !(len(path) == 4 && path[2] == "Spans" && path[3] == "SpanID")
	})
	for _, m := range metas {
		b, err := s.OpenBlock(context.Background(), m.BlockID)
		if err != nil {
			t.Fatal(err)
		}
		rewriteData(t, s, m, rawRows(t, b), parquet.NewSchema("Trace", root))
	}
	// The two "own" spans, alike but for their IDs, merge; the two Z
	// spans, apart in their attributes, do not.
	checkMergesAlike(t, s, 3)
}

// writeSplitTrace writes one trace as two blocks: block i holds a span
// with ID i+1 and a span Z without an ID, which set changes.
func writeSplitTrace(t *testing.T, s *Store, set func(i int, z *model.Span)) []Meta {
	t.Helper()
	id := tid(0x42, 0x42)
	var metas []Meta
	for i := range 2 {
		b := model.NewTraceBuilder()
		res := model.Resource{Attributes: []model.Attribute{model.Str("service.name", "svc")}}
		sc := model.Scope{Name: "s"}
		b.AddSpan(&res, "", &sc, "", model.Span{TraceID: id, SpanID: sid(byte(i + 1)), Name: "own", StartTimeUnixNano: 1e18, EndTimeUnixNano: 1e18 + 10})
		z := model.Span{TraceID: id, Name: "Z", StartTimeUnixNano: 1e18, EndTimeUnixNano: 1e18 + 5, Status: model.Status{Code: model.StatusError}}
		set(i, &z)
		b.AddSpan(&res, "", &sc, "", z)
		m, err := s.WriteBlock(context.Background(), b.Traces(), WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		metas = append(metas, m)
	}
	return metas
}

// checkMergesAlike reads s's one trace fully and with projections that
// leave span attributes or status messages out (or keep some keys only):
// each must hold spans spans.
func checkMergesAlike(t *testing.T, s *Store, spans int) {
	t.Helper()
	for _, req := range []store.Request{
		{},
		{Fields: &store.Fields{}},
		{Fields: &store.Fields{Minimal: true}},
		{Fields: &store.Fields{SpanAttributes: true}, AttributeKeys: []string{"other"}},
		{AttributeKeys: []string{}},
	} {
		got := scanAll(t, s, 1, req)
		if n := spanCounts(got); len(n) != 1 || n[0] != spans {
			t.Errorf("fields %v, keys %v: span counts %v; want [%d]", req.Fields, req.AttributeKeys, n, spans)
		}
	}
}

func spanCounts(ts []*model.Trace) []int {
	var n []int
	for _, t := range ts {
		n = append(n, t.SpanCount())
	}
	return n
}
