package model

import "testing"

// TestTraceBuilderSpansWithoutID: spans without a span ID are kept apart
// unless they are copies of each other; spans with an ID merge by ID and
// kind as before.
func TestTraceBuilderSpansWithoutID(t *testing.T) {
	tid := TraceID{1}
	span := func(name string, id byte, start uint64) Span {
		s := Span{TraceID: tid, Name: name, StartTimeUnixNano: start, EndTimeUnixNano: start + 10, Kind: KindServer}
		if id != 0 {
			s.SpanID = SpanID{id}
		}
		return s
	}
	tests := []struct {
		name       string
		spans      []Span
		kept, dups int
	}{
		{"distinct spans without ID", []Span{span("a", 0, 1), span("b", 0, 1), span("a", 0, 2)}, 3, 0},
		{"copies without ID", []Span{span("a", 0, 1), span("a", 0, 1)}, 1, 1},
		{"same ID", []Span{span("a", 7, 1), span("b", 7, 2)}, 1, 1},
		{"IDs and no ID", []Span{span("a", 7, 1), span("a", 0, 1)}, 2, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewTraceBuilder()
			res, sc := Resource{}, Scope{}
			for _, s := range tc.spans {
				b.AddSpan(&res, "", &sc, "", s)
			}
			if b.Spans != tc.kept || b.Duplicates != tc.dups {
				t.Errorf("kept %d, dropped %d; want %d, %d", b.Spans, b.Duplicates, tc.kept, tc.dups)
			}
			if got := MergeTraces(b.Traces()[0], &Trace{TraceID: tid}).SpanCount(); got != tc.kept {
				t.Errorf("merged: %d spans, want %d", got, tc.kept)
			}
		})
	}
}
