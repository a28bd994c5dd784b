package sampler

import (
	"context"
	"slices"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// DiffSide is one config's decision on a trace.
type DiffSide struct {
	Decision Vote
	Policy   string // the deciding policy, "" when none
	Evicted  bool
}

// MarshalJSON writes {"decision", "policy"} (and "evicted" when true).
func (s DiffSide) MarshalJSON() ([]byte, error) {
	return marshalJSON(struct {
		Decision string `json:"decision"`
		Policy   string `json:"policy"`
		Evicted  bool   `json:"evicted,omitempty"`
	}{s.Decision.String(), s.Policy, s.Evicted})
}

// DiffChange is a trace whose decision differs between the two configs.
type DiffChange struct {
	TraceID model.TraceID `json:"-"`
	A       DiffSide      `json:"a"`
	B       DiffSide      `json:"b"`
	Spans   int64         `json:"spans"`
	// Bytes is the trace's OTLP protobuf size (as in Outcome).
	Bytes int64 `json:"bytes"`
}

// MarshalJSON adds the hex trace ID as "traceID".
func (c DiffChange) MarshalJSON() ([]byte, error) {
	type plain DiffChange
	return marshalJSON(struct {
		TraceID string `json:"traceID"`
		plain
	}{c.TraceID.String(), plain(c)})
}

// DiffReport compares the decisions of two configs over the same traces.
type DiffReport struct {
	Traces int64 `json:"traces"`
	// KeptA and KeptB count the traces each config keeps; the four
	// counts after them split all traces by who keeps them.
	KeptA       int64 `json:"kept_a"`
	KeptB       int64 `json:"kept_b"`
	KeptAOnly   int64 `json:"kept_a_only"`
	KeptBOnly   int64 `json:"kept_b_only"`
	KeptBoth    int64 `json:"kept_both"`
	KeptNeither int64 `json:"kept_neither"`
	// Changed counts the traces whose decision (sampled, not_sampled,
	// dropped) differs, including not_sampled <-> dropped.
	Changed int64 `json:"changed"`
	// SpansChange and BytesChange are what B keeps minus what A keeps:
	// the estimated storage change of switching from A to B (bytes as
	// OTLP protobuf).
	SpansChange int64 `json:"spans_change"`
	BytesChange int64 `json:"bytes_change"`
	// Changes are the changed traces by trace ID; never nil.
	Changes []DiffChange `json:"changes"`
}

// Diff replays the traces of src in the time range of opts with config a,
// then with b (reading src twice, so the two replays need no more memory
// than one plus a small entry per trace), and reports the traces whose
// decision changes. Each replay is a full Replay on the simulated clock.
func Diff(ctx context.Context, src store.Source, a, b *Config, opts Options) (*DiffReport, error) {
	type side struct {
		DiffSide
		spans, bytes int64
	}
	seen := map[model.TraceID]side{}
	o := Options{Start: opts.Start, End: opts.End, noReasons: true}
	o.OnOutcome = func(out *Outcome) error {
		seen[out.TraceID] = side{DiffSide{out.Decision, out.Policy, out.Evicted}, out.Spans, out.Bytes}
		return nil
	}
	if _, err := Replay(ctx, src, a, o); err != nil {
		return nil, err
	}
	r := &DiffReport{Changes: []DiffChange{}}
	o.OnOutcome = func(out *Outcome) error {
		sa, ok := seen[out.TraceID]
		if !ok { // not read in the first pass: the source changed
			sa = side{DiffSide: DiffSide{Decision: NotSampled}, spans: out.Spans, bytes: out.Bytes}
		}
		delete(seen, out.TraceID)
		r.add(sa.DiffSide, DiffSide{out.Decision, out.Policy, out.Evicted}, out.TraceID, out.Spans, out.Bytes)
		return nil
	}
	if _, err := Replay(ctx, src, b, o); err != nil {
		return nil, err
	}
	for id, sa := range seen { // read in the first pass only
		r.add(sa.DiffSide, DiffSide{Decision: NotSampled}, id, sa.spans, sa.bytes)
	}
	slices.SortFunc(r.Changes, func(x, y DiffChange) int { return slices.Compare(x.TraceID[:], y.TraceID[:]) })
	return r, nil
}

func (r *DiffReport) add(a, b DiffSide, id model.TraceID, spans, bytes int64) {
	r.Traces++
	ka, kb := a.Decision == Sampled, b.Decision == Sampled
	switch {
	case ka && kb:
		r.KeptBoth++
	case ka:
		r.KeptAOnly++
	case kb:
		r.KeptBOnly++
	default:
		r.KeptNeither++
	}
	if ka {
		r.KeptA++
		r.SpansChange -= spans
		r.BytesChange -= bytes
	}
	if kb {
		r.KeptB++
		r.SpansChange += spans
		r.BytesChange += bytes
	}
	if a.Decision != b.Decision {
		r.Changed++
		r.Changes = append(r.Changes, DiffChange{TraceID: id, A: a, B: b, Spans: spans, Bytes: bytes})
	}
}
