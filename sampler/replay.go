package sampler

import (
	"context"
	"time"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// Options tune a Replay.
type Options struct {
	// Start and End bound the traces read (zero: open).
	Start, End time.Time
	// Slow is the duration from which a trace counts as slow in the
	// report (default 1s).
	Slow time.Duration
	// OnDecision, when set, sees every decision in simulated time order
	// (evictions when they happen); t is always nil, as traces are not
	// kept, and d only valid during the call.
	OnDecision func(t *model.Trace, d *Decision) error
	// Explain names traces to decide with reasons and sub-policy votes
	// (Decision.Votes of the others have votes only).
	Explain map[model.TraceID]*model.Trace
	// OnOutcome, when set, sees every trace's Outcome, after OnDecision
	// sees its Decision. The replay then keeps every leaf policy's reason and the
	// OTLP size of every trace until its decision, which costs memory.
	OnOutcome func(o *Outcome) error

	noReasons bool // with OnOutcome: leave Outcome.Reason empty (Diff)
}

// PolicyStats counts one top-level policy's votes over a replay.
type PolicyStats struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Matched counts traces the policy voted Sampled (or Dropped, for a
	// drop policy) on.
	Matched int64 `json:"matched"`
	// Decided counts traces whose final decision this policy made.
	Decided int64 `json:"decided"`
}

// Report is what a replay kept and dropped.
type Report struct {
	Traces     int64 `json:"traces"`
	Spans      int64 `json:"spans"`
	KeptTraces int64 `json:"kept_traces"`
	KeptSpans  int64 `json:"kept_spans"`
	// DroppedTraces and DroppedSpans count what is not kept; DroppedByPolicy
	// the traces of them
	// a drop policy removed.
	DroppedTraces   int64 `json:"dropped_traces"`
	DroppedSpans    int64 `json:"dropped_spans"`
	DroppedByPolicy int64 `json:"dropped_by_drop_policy"`
	// EvictedTraces counts dropped traces that left the num_traces table
	// before their decision (the Collector discards them undecided).
	EvictedTraces   int64         `json:"evicted_traces"`
	EvictedSpans    int64         `json:"evicted_spans"`
	KeepRatio       float64       `json:"keep_ratio"`
	ErrorTraces     int64         `json:"error_traces"`
	ErrorTracesKept int64         `json:"error_traces_kept"`
	Slow            time.Duration `json:"-"`
	SlowMs          int64         `json:"slow_threshold_ms"`
	SlowTraces      int64         `json:"slow_traces"`
	SlowTracesKept  int64         `json:"slow_traces_kept"`
	// BytesIn and BytesKept estimate the traces' stored size (see
	// EstimateBytes); SavedRatio is the share the sampling would save.
	BytesIn    int64         `json:"estimated_bytes_in"`
	BytesKept  int64         `json:"estimated_bytes_kept"`
	SavedRatio float64       `json:"estimated_saved_ratio"`
	Policies   []PolicyStats `json:"policies"`
}

// NewReport returns an empty report for cfg.
func NewReport(cfg *Config, slow time.Duration) *Report {
	if slow <= 0 {
		slow = time.Second
	}
	r := &Report{Slow: slow, SlowMs: slow.Milliseconds(), Policies: make([]PolicyStats, len(cfg.Policies))}
	for i, p := range cfg.Policies {
		r.Policies[i] = PolicyStats{Name: p.Name, Type: p.Type}
	}
	return r
}

// Add counts one trace and its decision.
func (r *Report) Add(t *model.Trace, d *Decision) {
	start, end := t.TimeRange()
	r.add(int64(t.SpanCount()), EstimateBytes(t), hasError(t), end-start, d)
}

func (r *Report) add(spans, size int64, isErr bool, dur uint64, d *Decision) {
	r.Traces++
	r.Spans += spans
	r.BytesIn += size
	kept := d.Kept()
	if kept {
		r.KeptTraces++
		r.KeptSpans += spans
		r.BytesKept += size
	} else {
		r.DroppedTraces++
		r.DroppedSpans += spans
		if d.Final == Dropped {
			r.DroppedByPolicy++
		}
		if d.Evicted {
			r.EvictedTraces++
			r.EvictedSpans += spans
		}
	}
	if isErr {
		r.ErrorTraces++
		if kept {
			r.ErrorTracesKept++
		}
	}
	if dur >= uint64(r.Slow) {
		r.SlowTraces++
		if kept {
			r.SlowTracesKept++
		}
	}
	for i, v := range d.Votes {
		if !v.Skipped && (v.Vote == Sampled || v.Vote == Dropped) {
			r.Policies[i].Matched++
		}
		if v.Policy == d.Policy && d.Final != NotSampled {
			r.Policies[i].Decided++
		}
	}
}

// finish computes the ratios.
func (r *Report) finish() {
	if r.Traces > 0 {
		r.KeepRatio = float64(r.KeptTraces) / float64(r.Traces)
	}
	if r.BytesIn > 0 {
		r.SavedRatio = 1 - float64(r.BytesKept)/float64(r.BytesIn)
	}
}

func hasError(t *model.Trace) bool {
	found := false
	t.Spans(func(r model.SpanRef) bool {
		found = r.Span.Status.Code == model.StatusError
		return !found
	})
	return found
}

// Replay decides every trace of src in the time range on the simulated
// clock (see simulate) and returns the totals. Traces are read unordered
// with every field (policies may look at any attribute); each trace's leaf
// votes are recorded, then traces are decided in arrival order.
func Replay(ctx context.Context, src store.Source, cfg *Config, opts Options) (*Report, error) {
	// A record keeps numbers and votes of its trace, never the trace:
	// the source may reuse its memory.
	it, err := src.Traces(ctx, store.Request{Start: opts.Start, End: opts.End, Unordered: true, Reuse: true})
	if err != nil {
		return nil, err
	}
	return replay(ctx, it, cfg, opts)
}

// Finish computes the report's ratios after the last Add.
func (r *Report) Finish() { r.finish() }

// EstimateBytes is a rough size of a trace at rest: a fixed cost per
// span, resource and attribute plus the bytes of names and values. It is
// meant for ratios ("how much would this keep"), not absolute sizes.
func EstimateBytes(t *model.Trace) int64 {
	var n int64
	for i := range t.ResourceSpans {
		rs := &t.ResourceSpans[i]
		n += 16 + attrBytes(rs.Resource.Attributes)
		for j := range rs.ScopeSpans {
			ss := &rs.ScopeSpans[j]
			n += 8 + int64(len(ss.Scope.Name)+len(ss.Scope.Version))
			for k := range ss.Spans {
				s := &ss.Spans[k]
				n += 64 + int64(len(s.Name)+len(s.TraceState)+len(s.Status.Message)) + attrBytes(s.Attributes)
				for _, e := range s.Events {
					n += 16 + int64(len(e.Name)) + attrBytes(e.Attributes)
				}
				for _, l := range s.Links {
					n += 32 + attrBytes(l.Attributes)
				}
			}
		}
	}
	return n
}

func attrBytes(as []model.Attribute) int64 {
	var n int64
	for i := range as {
		n += 4 + int64(len(as[i].Key)) + valueBytes(&as[i].Value)
	}
	return n
}

func valueBytes(v *model.Value) int64 {
	switch v.Type {
	case model.ValueString:
		return int64(len(v.Str))
	case model.ValueBytes:
		return int64(len(v.Bytes()))
	case model.ValueArray:
		var n int64
		arr := v.Array()
		for i := range arr {
			n += 1 + valueBytes(&arr[i])
		}
		return n
	case model.ValueMap:
		return attrBytes(v.Map())
	}
	return 8
}
