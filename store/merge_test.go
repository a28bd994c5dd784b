package store

import (
	"testing"

	"github.com/tracectl/tracectl/model"
)

func traceWith(id byte, spans ...byte) *model.Trace {
	t := &model.Trace{TraceID: model.TraceID{15: id}}
	ss := model.ScopeSpans{}
	for _, s := range spans {
		ss.Spans = append(ss.Spans, model.Span{TraceID: t.TraceID, SpanID: model.SpanID{7: s}, Name: "op"})
	}
	t.ResourceSpans = []model.ResourceSpans{{ScopeSpans: []model.ScopeSpans{ss}}}
	return t
}

type idSpans struct{ id, spans int }

func TestMerge(t *testing.T) {
	tests := []struct {
		name   string
		inputs [][]*model.Trace
		want   []idSpans
		err    bool
	}{
		{
			name:   "disjoint",
			inputs: [][]*model.Trace{{traceWith(1, 1), traceWith(3, 1)}, {traceWith(2, 1, 2)}},
			want:   []idSpans{{1, 1}, {2, 2}, {3, 1}},
		},
		{
			name:   "same trace in two inputs, one duplicate span",
			inputs: [][]*model.Trace{{traceWith(1, 1, 2)}, {traceWith(1, 2, 3)}, {}},
			want:   []idSpans{{1, 3}},
		},
		{
			name:   "unsorted input",
			inputs: [][]*model.Trace{{traceWith(2, 1), traceWith(1, 1)}},
			err:    true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var its []TraceIterator
			for _, in := range tc.inputs {
				its = append(its, NewSliceIterator(in))
			}
			m := Merge(its...)
			defer m.Close()
			var got []idSpans
			for m.Next() {
				got = append(got, idSpans{int(m.At().TraceID[15]), m.At().SpanCount()})
			}
			if (m.Err() != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", m.Err(), tc.err)
			}
			if tc.err {
				return
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}
