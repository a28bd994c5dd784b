// Package sampler replays the OpenTelemetry Collector's tail_sampling
// processor over stored traces.
//
// Glossary:
//
//   - Config: one tail_sampling processor block (decision_wait,
//     num_traces, sample_on_first_match, policies) read from a Collector
//     config file or a bare processor block, with positions for errors.
//   - Policy: one named entry of policies; its type decides how it votes.
//   - Vote: what one policy says about one trace: Sampled, NotSampled or
//     Dropped (drop policies only).
//   - Decision: the final verdict for a trace (sampled, not_sampled,
//     dropped), the policy that decided it and every policy's vote with a
//     reason, so reports and tests can name the rule.
//   - Report: the totals of a Replay over a store.Source.
//
// Semantics follow contrib v0.161 with default feature gates: drop
// policies run first, inverted decisions are gone (invert_match yields a
// plain vote), and the final decision is dropped > sampled > not sampled.
// Policies are evaluated on the whole stored trace, which is what the
// Collector sees when every span of a trace arrives within decision_wait.
// rate_limiting, bytes_limiting and composite depend on arrival: they run on a simulated
// clock (see clock.go). ottl_condition evaluates the common OTTL subset
// (see ottl.go). trace_flags is not supported yet (the stored model has
// no span flags): Parse reports it as an error.
package sampler
