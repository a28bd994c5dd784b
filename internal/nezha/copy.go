package nezha

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/tracectl/tracectl/model"
)

// Masks returns the XOR masks of copy k: zero for k = 0, otherwise
// splitmix64 output seeded by k, so different copies get unrelated IDs.
func Masks(k int) (model.TraceID, model.SpanID) {
	var tm model.TraceID
	var sm model.SpanID
	if k == 0 {
		return tm, sm
	}
	x := uint64(k) * 3
	binary.BigEndian.PutUint64(tm[:8], splitmix64(x))
	binary.BigEndian.PutUint64(tm[8:], splitmix64(x+1))
	binary.BigEndian.PutUint64(sm[:], splitmix64(x+2))
	return tm, sm
}

// splitmix64 is the finaliser of Steele et al.'s SplitMix64 generator.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Copy returns copy k of rss (see the package comment): every trace, span
// and non-zero parent ID XORed with Masks(k), so parent links stay
// consistent, and every time shifted by k*shift. rss is not changed;
// resource and scope attribute slices are shared with it. It fails if a
// mask would turn an ID into zero (astronomically unlikely, but then the
// copy would not be valid OTLP).
func Copy(rss []model.ResourceSpans, k int, shift time.Duration) ([]model.ResourceSpans, error) {
	if k < 0 {
		return nil, fmt.Errorf("copy %d: negative copy number", k)
	}
	tm, sm := Masks(k)
	delta := uint64(k) * uint64(shift)
	out := make([]model.ResourceSpans, len(rss))
	for i := range rss {
		out[i].Resource = rss[i].Resource
		out[i].ScopeSpans = make([]model.ScopeSpans, len(rss[i].ScopeSpans))
		for j := range rss[i].ScopeSpans {
			src := rss[i].ScopeSpans[j].Spans
			spans := make([]model.Span, len(src))
			for n := range src {
				s := src[n]
				for b := range s.TraceID {
					s.TraceID[b] ^= tm[b]
				}
				for b := range s.SpanID {
					s.SpanID[b] ^= sm[b]
				}
				if !s.ParentSpanID.IsZero() {
					for b := range s.ParentSpanID {
						s.ParentSpanID[b] ^= sm[b]
					}
				}
				if s.TraceID.IsZero() || s.SpanID.IsZero() || (s.ParentSpanID.IsZero() != src[n].ParentSpanID.IsZero()) {
					return nil, fmt.Errorf("copy %d: span %s of trace %s maps to a zero ID", k, src[n].SpanID, src[n].TraceID)
				}
				s.StartTimeUnixNano += delta
				s.EndTimeUnixNano += delta
				spans[n] = s
			}
			out[i].ScopeSpans[j] = model.ScopeSpans{Scope: rss[i].ScopeSpans[j].Scope, Spans: spans}
		}
	}
	return out, nil
}
