package compact

import (
	"sort"

	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/model"
)

// CutTrace is a trace that MaxTraceBytes cut during a merge.
type CutTrace struct {
	TraceID model.TraceID `json:"traceID"`
	// Bytes is the merged trace's size as OTLP protobuf, before the cut.
	Bytes int64 `json:"bytes"`
	// Spans were in the merged trace; Kept were written.
	Spans int `json:"spans"`
	Kept  int `json:"kept"`
}

// capTrace cuts t to at most max bytes of OTLP protobuf (otlp.ProtoSize,
// the measure of Tempo's max_bytes_per_trace). It keeps root spans first
// (no parent, or a parent the trace lacks), then the other spans by start
// time, so what survives is the trace's top and its earliest work. It
// returns t itself when it fits; cut is nil then.
func capTrace(t *model.Trace, max int64) (*model.Trace, *CutTrace) {
	size := otlp.ProtoSize(t)
	if size <= max {
		return t, nil
	}
	order := keepOrder(t)
	// The largest prefix of order that fits, by binary search: sizes grow
	// with the prefix.
	lo, hi := 0, len(order)-1 // prefix lo fits; prefix hi+1 does not
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if otlp.ProtoSize(prefixTrace(t, order, mid)) <= max {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return prefixTrace(t, order, lo), &CutTrace{TraceID: t.TraceID, Bytes: size, Spans: len(order), Kept: lo}
}

// spanPos locates a span in a trace.
type spanPos struct{ r, s, k int }

// keepOrder lists t's spans in the order capTrace keeps them.
func keepOrder(t *model.Trace) []spanPos {
	ids := map[model.SpanID]bool{}
	var pos []spanPos
	for r := range t.ResourceSpans {
		for s := range t.ResourceSpans[r].ScopeSpans {
			for k := range t.ResourceSpans[r].ScopeSpans[s].Spans {
				ids[t.ResourceSpans[r].ScopeSpans[s].Spans[k].SpanID] = true
				pos = append(pos, spanPos{r, s, k})
			}
		}
	}
	span := func(p spanPos) *model.Span { return &t.ResourceSpans[p.r].ScopeSpans[p.s].Spans[p.k] }
	root := func(s *model.Span) bool { return s.ParentSpanID.IsZero() || !ids[s.ParentSpanID] }
	sort.SliceStable(pos, func(i, j int) bool {
		a, b := span(pos[i]), span(pos[j])
		if ra, rb := root(a), root(b); ra != rb {
			return ra
		}
		return a.StartTimeUnixNano < b.StartTimeUnixNano
	})
	return pos
}

// prefixTrace is t with only the first n spans of order, empty scopes and
// resources left out, nested sets recomputed.
func prefixTrace(t *model.Trace, order []spanPos, n int) *model.Trace {
	keep := make(map[spanPos]bool, n)
	for _, p := range order[:n] {
		keep[p] = true
	}
	out := &model.Trace{TraceID: t.TraceID}
	for r, rs := range t.ResourceSpans {
		nrs := model.ResourceSpans{Resource: rs.Resource}
		for s, ss := range rs.ScopeSpans {
			nss := model.ScopeSpans{Scope: ss.Scope}
			for k, sp := range ss.Spans {
				if keep[spanPos{r, s, k}] {
					nss.Spans = append(nss.Spans, sp)
				}
			}
			if len(nss.Spans) > 0 {
				nrs.ScopeSpans = append(nrs.ScopeSpans, nss)
			}
		}
		if len(nrs.ScopeSpans) > 0 {
			out.ResourceSpans = append(out.ResourceSpans, nrs)
		}
	}
	model.ComputeNestedSets(out)
	return out
}
