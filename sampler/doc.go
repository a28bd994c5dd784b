// Package sampler replays the OpenTelemetry Collector's tail_sampling
// processor over stored traces.
//
// Glossary:
//
//   - Config: one tail_sampling processor block (decision_wait,
//     num_traces, decision_cache, sample_on_first_match, policies) read
//     from a Collector config file or a bare processor block, with
//     positions for errors.
//   - Policy: one named entry of policies; its type decides how it votes.
//     and, not, drop and composite hold sub-policies.
//   - Vote: what one policy says about one trace: Sampled, NotSampled or
//     Dropped (drop policies only).
//   - Decision: the final verdict for a trace (sampled, not_sampled,
//     dropped), the policy that decided it and every policy's vote with a
//     reason and its sub-policies' votes, so reports and tests can name
//     the rule; or the note that the trace was evicted before its
//     decision.
//   - Report: the totals of a Replay over a store.Source.
//
// Semantics follow contrib v0.161 with default feature gates: drop
// policies run first, inverted decisions are gone (invert_match yields a
// plain vote), and the final decision is dropped > sampled > not sampled.
// Policies are evaluated on the whole stored trace, which is what the
// Collector sees when every span of a trace arrives within decision_wait,
// walking its spans in storage order (resource-spans, then scope-spans
// entries), which ingest keeps as the spans were read: the Collector
// walks them in the order they arrived. Only latency with an upper bound
// depends on that order for its vote (it stops at the first span after
// which the window is in the band, so a prefix can meet a band the whole
// trace misses); the reasons of the first-match policies name the first
// matching span in that order.
//
// The simulated clock (clock.go, sim.go): a trace arrives when its first
// span ends, with all its spans, and is decided decision_wait later;
// arrivals and decisions run in time order (decisions first at equal
// times, ties by trace ID). rate_limiting, bytes_limiting and composite,
// at any depth, read the decision time as "now". A trace arriving when
// num_traces traces are held evicts the oldest held trace by arrival,
// decided or not (a decided trace is held until evicted unless the
// decision cache for its outcome is on); one evicted before its decision
// is dropped undecided, as the Collector does. block_on_overflow turns
// eviction off. Late spans do not exist in this model.
//
// ottl_condition evaluates the common OTTL subset (see ottl.go).
// trace_flags is not supported yet (the stored model has no span flags):
// Parse reports it as an error.
package sampler
