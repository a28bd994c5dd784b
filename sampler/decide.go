package sampler

import (
	"time"

	"github.com/tracectl/tracectl/model"
)

// PolicyVote is one policy's vote on a trace, with the reason.
type PolicyVote struct {
	Policy string `json:"policy"`
	Type   string `json:"type"`
	Vote   Vote   `json:"-"`
	Reason string `json:"reason"`
	// Skipped is true for policies not evaluated because an earlier one
	// decided (a drop, a sample with sample_on_first_match, a sub-policy
	// of and/drop after one said no, of composite after one said yes).
	Skipped bool `json:"skipped,omitempty"`
	// Subs are the votes of and/not/drop/composite sub-policies, when the
	// decision was made with reasons (Decide, Options.Explain).
	Subs []PolicyVote `json:"subs,omitempty"`
}

// Decision is the final verdict on one trace.
type Decision struct {
	TraceID model.TraceID
	// Final is Sampled, NotSampled or Dropped.
	Final Vote
	// Policy is the policy that decided: the first that sampled, or the
	// drop policy; "" when nothing sampled.
	Policy string
	Votes  []PolicyVote
	// At is the simulated decision time (arrival + decision_wait), or the
	// eviction time.
	At time.Time
	// Evicted is set when the trace left the num_traces table before its
	// decision (Final is then NotSampled and Votes empty): EvictedBy is the
	// trace whose arrival pushed it out, Table the table size.
	Evicted   bool
	EvictedBy model.TraceID
	Table     uint64
	// Due is when an evicted trace would have been decided.
	Due time.Time
}

// Kept reports whether the trace is forwarded.
func (d *Decision) Kept() bool { return d.Final == Sampled }

// Decide runs the policies over t alone as the Collector does at decision
// time: drop policies first (the first that votes Dropped ends it), then
// the rest in order (ending at the first Sampled with
// sample_on_first_match); dropped beats sampled beats not sampled.
// Stateful policies (rate_limiting, bytes_limiting, composite) see t
// alone, with full budgets, at its simulated decision time, and t is never
// evicted; Replay runs them over all traces on the simulated clock.
func (c *Config) Decide(t *model.Trace) Decision {
	w := walker{c: c, t: t, now: c.DecisionTime(t), spans: int64(t.SpanCount()),
		bytes: protoSizeIf(c.limitsBytes(), t), st: newState(), tree: true}
	return w.decide(t.TraceID)
}
