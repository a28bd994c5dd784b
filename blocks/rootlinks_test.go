package blocks

import (
	"context"
	"testing"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// rootLinkTraces returns traces of two parentless spans each, the second
// with a link within its trace carrying attrs (nil: a link without
// attributes); withLinks false leaves the links out.
func rootLinkTraces(n int, withLinks bool, attrs []model.Attribute) []*model.Trace {
	b := model.NewTraceBuilder()
	res := model.Resource{Attributes: []model.Attribute{model.Str("service.name", "svc")}}
	sc := model.Scope{Name: "s"}
	for i := 0; i < n; i++ {
		id := tid(byte(i), 0x7a)
		first := model.Span{TraceID: id, SpanID: sid(byte(i), 1), Name: "first", StartTimeUnixNano: 1e18 + uint64(i), EndTimeUnixNano: 1e18 + uint64(i) + 10}
		second := model.Span{TraceID: id, SpanID: sid(byte(i), 2), Name: "second", StartTimeUnixNano: 1e18 + uint64(i) + 1, EndTimeUnixNano: 1e18 + uint64(i) + 5}
		if withLinks {
			second.Links = []model.Link{{TraceID: id, SpanID: first.SpanID, Attributes: attrs}}
		}
		b.AddSpan(&res, "", &sc, "", first)
		b.AddSpan(&res, "", &sc, "", second)
	}
	return b.Traces()
}

// TestRootLinks reads blocks with links asked for only to tell roots
// (store.Fields.RootLinks): a block whose links may rule a span out as a
// root (an opentracing.ref_type attribute, whatever its value) returns
// them as with Links; the others leave them out. Either way every trace
// has the root a full read gives it.
func TestRootLinks(t *testing.T) {
	childOf := []model.Attribute{model.Str(model.RefTypeKey, "child_of")}
	for _, tc := range []struct {
		name      string
		traces    []*model.Trace
		wantLinks bool
	}{
		{"child_of links", rootLinkTraces(40, true, childOf), true},
		{"follows_from links", rootLinkTraces(40, true, []model.Attribute{model.Str(model.RefTypeKey, "follows_from")}), true},
		{"links with other attributes", rootLinkTraces(40, true, []model.Attribute{model.Str("peer", "x")}), false},
		{"links without attributes", rootLinkTraces(40, true, nil), false},
		{"no links", rootLinkTraces(40, false, nil), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := memStore(t)
			if _, err := s.WriteBlock(context.Background(), tc.traces, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			full := scanAll(t, s, 1, store.Request{})
			if len(full) != len(tc.traces) {
				t.Fatalf("%d traces read, %d written", len(full), len(tc.traces))
			}
			f := store.Fields{RootLinks: true}
			as := store.Fields{Links: tc.wantLinks}
			want := make([]*model.Trace, len(full))
			for i, tr := range full {
				want[i] = strip(tr, as)
			}
			got := scanAll(t, s, 1, store.Request{Fields: &f})
			if diff := diffTraces(want, got); diff != "" {
				t.Fatalf("RootLinks read as %+v (-want +got):\n%s", as, diff)
			}
			for i := range full {
				wr, wok := full[i].Root()
				gr, gok := got[i].Root()
				if wok != gok || wok && wr.Span.SpanID != gr.Span.SpanID {
					t.Errorf("trace %v: root %v (%v), want %v (%v)", full[i].TraceID, gr.Span.SpanID, gok, wr.Span.SpanID, wok)
				}
			}
		})
	}
}

// TestRootLinksNoExtraRequest: on an object store (a data.parquet read
// range by range) links asked for only to tell roots cost no request
// more than links asked for outright: the dictionary check that could
// leave them out would be one of its own.
func TestRootLinksNoExtraRequest(t *testing.T) {
	setWholeObjectBytes(t, 0)
	wb, bucket := newWrapBucket(t)
	s := NewStore(bucket, "tenant-a")
	attrs := []model.Attribute{model.Str(model.RefTypeKey, "follows_from")}
	if _, err := s.WriteBlock(context.Background(), rootLinkTraces(200, true, attrs), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	reqs := func(f store.Fields) int {
		wb.resetLog()
		scanAll(t, s, 1, store.Request{Fields: &f})
		return len(wb.log())
	}
	if r, l := reqs(store.Fields{RootLinks: true}), reqs(store.Fields{Links: true}); r > l {
		t.Errorf("ranged reads: %d with RootLinks, %d with Links", r, l)
	}
}
