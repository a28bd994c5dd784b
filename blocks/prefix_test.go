package blocks

import (
	"context"
	"testing"

	"github.com/tracectl/tracectl/model"
)

func TestTraceIDsWithPrefix(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	ids := []string{"ab120000000000000000000000000001", "ab130000000000000000000000000002", "ab1f0000000000000000000000000003", "cd000000000000000000000000000004"}
	for i, hexID := range ids {
		id, err := model.ParseTraceID(hexID)
		if err != nil {
			t.Fatal(err)
		}
		tr := &model.Trace{TraceID: id, ResourceSpans: []model.ResourceSpans{{ScopeSpans: []model.ScopeSpans{{Spans: []model.Span{{
			TraceID: id, SpanID: model.SpanID{1}, Name: "s", StartTimeUnixNano: 1e18 + uint64(i), EndTimeUnixNano: 1e18 + 10}}}}}}}
		// One block per trace, and two traces in one block.
		if i == 3 {
			continue
		}
		batch := []*model.Trace{tr}
		if i == 2 {
			last, _ := model.ParseTraceID(ids[3])
			batch = append(batch, &model.Trace{TraceID: last, ResourceSpans: []model.ResourceSpans{{ScopeSpans: []model.ScopeSpans{{Spans: []model.Span{{
				TraceID: last, SpanID: model.SpanID{2}, Name: "s", StartTimeUnixNano: 1e18, EndTimeUnixNano: 1e18 + 10}}}}}}})
		}
		if _, err := s.WriteBlock(ctx, batch, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		prefix string
		limit  int
		want   []string
	}{
		{"ab12", 5, ids[:1]},
		{"AB1", 5, ids[:3]},
		{"ab1", 2, ids[:2]},
		{"c", 5, ids[3:]},
		{"ef", 5, nil},
		{ids[2], 5, ids[2:3]},
	} {
		got, err := s.TraceIDsWithPrefix(ctx, tc.prefix, tc.limit)
		if err != nil {
			t.Fatalf("%s: %v", tc.prefix, err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %v, want %v", tc.prefix, got, tc.want)
		}
		for i := range got {
			if got[i].String() != tc.want[i] {
				t.Fatalf("%s: %v, want %v", tc.prefix, got, tc.want)
			}
		}
	}
	if _, err := s.TraceIDsWithPrefix(ctx, "xyz", 5); err == nil {
		t.Fatal("non-hex prefix: no error")
	}
}
