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
	// decided (a drop, or a sample with sample_on_first_match).
	Skipped bool `json:"skipped,omitempty"`
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
}

// Kept reports whether the trace is forwarded.
func (d *Decision) Kept() bool { return d.Final == Sampled }

// Decide runs the policies over t as the Collector does at decision
// time: drop policies first (the first that votes Dropped ends it), then
// the rest in order (ending at the first Sampled with
// sample_on_first_match); dropped beats sampled beats not sampled.
// Stateful policies (rate_limiting, bytes_limiting, composite) see t alone, with full
// budgets, at its simulated decision time; Replay runs them over all
// traces in decision-time order.
func (c *Config) Decide(t *model.Trace) Decision {
	var st *state
	now := time.Time{}
	if c.Stateful() {
		st, now = c.newState(), c.DecisionTime(t)
	}
	return c.decide(t.TraceID, int64(t.SpanCount()), protoSizeIf(c.limitsBytes(), t), now, liveVoter{c, t}, st)
}
