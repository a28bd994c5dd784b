package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

func TestSource(t *testing.T) {
	t0 := time.Unix(1000, 0)
	traces := Build(
		TraceSpec{ID: "a", Start: t0, Spans: []SpanSpec{{ID: "1", Service: "s", Name: "x", Duration: time.Second}}},
		TraceSpec{ID: "b", Start: t0.Add(time.Hour), Spans: []SpanSpec{
			{ID: "1", Service: "s", Name: "root", Duration: time.Second},
			{ID: "2", Parent: "1", Service: "t", Name: "child", Offset: time.Millisecond, Duration: time.Millisecond,
				Attrs: []model.Attribute{model.Str("k", "v")}},
		}},
	)
	if traces[1].SpanCount() != 2 || traces[1].ResourceSpans[1].ScopeSpans[0].Spans[0].ParentIndex != 1 {
		t.Fatalf("nested sets not computed: %+v", traces[1])
	}
	src := New(traces)
	ids := func(req store.Request) []string {
		it, err := src.Traces(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		var out []string
		for it.Next() {
			out = append(out, it.At().TraceID.String()[30:])
			it.At().ResourceSpans[0].Resource.Attributes[0].Value.Str = "mutated"
		}
		if it.Err() != nil {
			t.Fatal(it.Err())
		}
		return out
	}
	bID, _ := model.ParseTraceID("b")
	for _, tt := range []struct {
		name string
		req  store.Request
		want string
	}{
		{"all", store.Request{}, "0a 0b"},
		{"start", store.Request{Start: t0.Add(2 * time.Second)}, "0b"},
		{"end", store.Request{End: t0.Add(time.Minute)}, "0a"},
		{"touching", store.Request{Start: t0.Add(time.Second), End: t0.Add(time.Second)}, "0a"},
		{"ids", store.Request{TraceIDs: []model.TraceID{bID}}, "0b"},
		{"none", store.Request{Start: t0.Add(3 * time.Hour)}, ""},
	} {
		got := ""
		for i, id := range ids(tt.req) {
			if i > 0 {
				got += " "
			}
			got += id
		}
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	if traces[0].ResourceSpans[0].Resource.Attributes[0].Value.Str != "s" {
		t.Error("iterator handed out the source's own trace")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Traces(ctx, store.Request{}); err == nil {
		t.Error("cancelled context: want error")
	}
}
