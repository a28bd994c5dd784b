package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/codec/input"
	"github.com/tracectl/tracectl/internal/bucketurl"
	"github.com/tracectl/tracectl/internal/ui"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/sampler"
	"github.com/tracectl/tracectl/store"
)

const sampleLong = `Replay OpenTelemetry Collector tail_sampling configs over stored traces.

--collector-config names a Collector config file (otelcol.yaml: the tail_sampling
processor is picked, or the one named by --processor, e.g.
tail_sampling/errors) or a bare processor block (a mapping with policies).
Semantics follow collector-contrib v0.161 with default feature gates.
Each trace is decided on all its stored spans.

Supported policy types: always_sample, latency, numeric_attribute,
probabilistic, status_code, string_attribute, span_count, trace_state,
boolean_attribute, ottl_condition (comparisons, IsMatch, and/or/not over
span and span-event paths), and, not, drop, and on a simulated clock
rate_limiting, bytes_limiting and composite (also inside and, not, drop
and composite): a trace arrives when its first span ends and is decided
decision_wait later, traces in that order; a trace arriving when
num_traces traces are held evicts the oldest, and one evicted before its
decision is dropped, as by the Collector. Not yet supported: trace_flags,
other OTTL (check reports them).

--config stays tracectl's own settings file, as for every command.`

const sampleCheckLong = `Check a Collector tail_sampling config without replaying anything.

--collector-config names a Collector config file (the tail_sampling
processor is picked, or the one named by --processor) or a bare processor
block. The file is read as the Collector reads it (collector-contrib
v0.161, default feature gates): YAML anchors, aliases and merge keys (<<)
are expanded first, so they work anywhere, whole processor blocks
included.

check refuses what the Collector refuses:
  - unknown fields and policy types, types not allowed where nested
    (composite > and > not > leaf types)
  - missing or repeated top-level policy names, repeated YAML keys
  - bad values: durations, numbers, status codes, regular expressions,
    OTTL conditions; negative num_traces, expected_new_traces_per_sec,
    maximum_trace_size_bytes and num_shards; more than 256 shards
  - tail_storage (it needs a feature gate that is off by default)
  - a merge key on something other than mappings, an alias inside its
    own value, aliases that expand past 100000 YAML nodes
and accepts what it accepts: no policies (nothing is kept), and and drop
without sub-policies (every trace matches: an empty drop drops all),
any sampling_percentage (below 0 keeps nothing, above 100 everything),
latency and span_count bounds that match nothing, missing attribute keys,
rate_limiting / bytes_limiting rates of 0 or less (the bucket never
refills: burst_capacity passes once, nothing without one), composite
totals of 0 or less or no sub-policies (nothing is kept), rate_allocation
entries naming no sub-policy or outside 0-100, unnamed sub-policies,
error_mode in any case, policy keys the Collector keeps as extension
configs (any mapping, ignored), bodies of other policy types (decoded,
not used), null values (zero).

Where the Collector would start but then panic, check reports an error
instead: sampling_percentage NaN, numeric_attribute without min_value
and max_value. It is stricter only where tracectl cannot replay the
config yet: trace_flags policies, num_shards above 1,
maximum_trace_size_bytes, decision_wait_after_root_received,
sampling_strategy span-ingest, OTTL functions other than IsMatch.

Each error is printed on stderr as file:line:col: message; an error
inside an anchored node is reported at the anchor, where it is fixed.
What the Collector accepts but ignores (an extension-config key such as
a misspelt "latancy:", another type's settings on a policy) is printed
as "warning: file:line:col: ..." with the field meant where one is near.
A valid config prints: FILE: PROCESSOR OK: N policies, decision_wait D.

Exit status:
  0    the config is valid (warnings allowed unless --lint-fatal)
  1    the config has errors, or warnings with --lint-fatal
  2    error: bad flags, unreadable file`

const sampleCheckExample = `  tracectl sample check --collector-config otelcol.yaml
  tracectl sample check --collector-config otelcol.yaml --processor tail_sampling/prod
  tracectl sample check --collector-config tail-sampling-block.yaml
  tracectl sample check --collector-config otelcol.yaml --lint-fatal   # CI: warnings fail too`

type sampleConfigFlags struct {
	config    string
	processor string
}

func (o *sampleConfigFlags) add(f *pflag.FlagSet) {
	f.StringVar(&o.config, "collector-config", "", "Collector config or tail_sampling processor block (YAML)")
	f.StringVar(&o.processor, "processor", "", "processor ID in a Collector config (default: the only tail_sampling one)")
}

// load parses the config; errors are printed whole.
// load parses the config and prints its warnings (what the Collector
// accepts but ignores) to warn.
func (o *sampleConfigFlags) load(warn io.Writer) (*sampler.Config, error) {
	if o.config == "" {
		return nil, errors.New("--collector-config: required")
	}
	data, err := os.ReadFile(o.config)
	if err != nil {
		return nil, err
	}
	cfg, err := sampler.Parse(o.config, data, o.processor)
	var list sampler.ErrorList
	if errors.As(err, &list) {
		return nil, errors.New(joinErrors(list))
	}
	if err == nil {
		printWarnings(warn, cfg.Warnings)
	}
	return cfg, err
}

// printWarnings prints a config's warnings, one per line.
func printWarnings(w io.Writer, list sampler.ErrorList) {
	for _, e := range list {
		fmt.Fprintf(w, "warning: %v\n", e)
	}
}

func joinErrors(list sampler.ErrorList) string {
	lines := make([]string, len(list))
	for i, e := range list {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

type sampleReplayOptions struct {
	sampleConfigFlags
	timeRangeFlags
	slow        time.Duration
	writeBucket string
	keptIDs     string
	output      *outputFlag
}

func newSampleCmd(g *globals) *cobra.Command {
	cmd := newGroupCmd("sample", "Replay and test Collector tail-sampling configs over stored traces",
		newSampleReplayCmd(g, nil), newSampleDiffCmd(g, nil), newSampleExplainCmd(g), newSampleCheckCmd(g), newSampleTestCmd(g))
	cmd.Long = sampleLong
	return cmd
}

func newSampleReplayCmd(g *globals, runF func(*sampleReplayOptions) error) *cobra.Command {
	o := &sampleReplayOptions{output: newOutputFlag("table", "table", "json", "jsonl")}
	cmd := &cobra.Command{
		Use:   "replay --collector-config otelcol.yaml",
		Short: "Report what a tail-sampling config would keep of the stored traces",
		Long: sampleLong + `

The report: traces and spans in and kept, dropped traces (by drop
policies, evicted from the num_traces table before their decision), keep
ratio, per policy the traces it matched and decided, error traces kept /
total, slow traces (--slow) kept / total, and the estimated storage saved.

-o jsonl lists the decisions instead: one JSON object per trace, in
decision order, with traceID (hex), decision (sampled, not_sampled or
dropped, as the Collector's metrics name them), policy (the deciding
policy, "" when none), reason, spans and bytes (the trace's OTLP protobuf
size). --kept-ids FILE writes the kept trace IDs, sorted, one hex ID per
line, with any -o: diff two such files to compare configs in CI.

` + exitCodesHelp,
		Example: `  tracectl sample replay --collector-config otelcol.yaml --since 24h
  tracectl sample replay --collector-config otelcol.yaml --processor tail_sampling/prod -o json
  tracectl sample replay --collector-config otelcol.yaml --write-bucket file://./sampled
  tracectl sample replay --collector-config otelcol.yaml -o jsonl | jq -c 'select(.decision == "sampled")'
  tracectl sample replay --collector-config new.yaml --kept-ids new.ids -o json > report.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(o)
			}
			return runSampleReplay(cmd, g, o)
		},
	}
	f := cmd.Flags()
	o.sampleConfigFlags.add(f)
	o.timeRangeFlags.add(f, "replay traces")
	durationVar(f, &o.slow, "slow", time.Second, "a trace this long or longer counts as slow in the report")
	f.StringVar(&o.writeBucket, "write-bucket", "", "also write the kept traces as one block to this bucket URL (same --tenant)")
	f.StringVar(&o.keptIDs, "kept-ids", "", "also write the kept trace IDs, sorted, one hex ID per line, to this file")
	addOutputFlag(f, o.output)
	return cmd
}

func runSampleReplay(cmd *cobra.Command, g *globals, o *sampleReplayOptions) error {
	cfg, err := o.load(g.io.Err)
	if err != nil {
		return err
	}
	start, end, err := o.timeRange(time.Now())
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	st, closeFn, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	opts := sampler.Options{Start: start, End: end, Slow: o.slow}
	kept := map[model.TraceID]bool{}
	if o.writeBucket != "" && o.writeBucket == g.bucketURL {
		return errors.New("--write-bucket: the source bucket itself (the kept traces would be stored twice)")
	}
	if o.writeBucket != "" {
		opts.OnDecision = func(_ *model.Trace, d *sampler.Decision) error {
			if d.Kept() {
				kept[d.TraceID] = true
			}
			return nil
		}
	}
	list := newOutcomeListing(g, o.output.value == "jsonl", o.keptIDs)
	opts.OnOutcome = list.onOutcome()
	rep, err := sampler.Replay(ctx, st, cfg, opts)
	if err != nil {
		return err
	}
	if rep.Traces == 0 {
		g.noteOutside(ctx, st, &o.timeRangeFlags, start, end)
	}
	if err := list.finish(); err != nil {
		return err
	}
	if o.writeBucket != "" {
		if err := writeKeptTraces(ctx, g, st, o.writeBucket, start, end, kept); err != nil {
			return fmt.Errorf("--write-bucket: %w", err)
		}
	}
	switch o.output.value {
	case "json":
		return ui.JSON(g.io.Out, rep)
	case "jsonl":
		return nil
	}
	return renderSampleReport(g, rep)
}

// writeKeptTraces copies the kept traces, read again in ID order, into one
// new block in the bucket at url.
func writeKeptTraces(ctx context.Context, g *globals, src *blocks.Store, url string, start, end time.Time, kept map[model.TraceID]bool) error {
	if len(kept) == 0 {
		fmt.Fprintln(g.io.Err, "sample: no trace kept, no block written")
		return nil
	}
	b, err := bucketurl.Open(ctx, url)
	if err != nil {
		return err
	}
	defer b.Close()
	dst := blocks.NewStore(b, g.tenant)
	metas, err := src.Blocks(ctx)
	if err != nil {
		return err
	}
	w, err := blocks.NewBlockWriter(ctx, dst, blocks.WriteOptions{DedicatedColumns: blocks.UnionDedicatedColumns(metas)})
	if err != nil {
		return err
	}
	// Only the kept traces are built: the blocks skip the other rows.
	// Blocks whose ID ranges overlap are read one at a time into sorted
	// runs, so memory does not grow with their number.
	it, err := src.SortedTraces(ctx, store.Request{Start: start, End: end,
		Filter: &store.Filter{Cond: &store.TraceCond{Op: store.OpTraceIDs, IDs: kept}}}, os.TempDir())
	if err != nil {
		w.Abort()
		return err
	}
	defer it.Close()
	for it.Next() {
		if t := it.At(); kept[t.TraceID] {
			if err := w.Add(t); err != nil {
				w.Abort()
				return err
			}
		}
	}
	if err := it.Err(); err != nil {
		w.Abort()
		return err
	}
	meta, err := w.Finish()
	if err != nil {
		return err
	}
	updateIndex(ctx, g, dst)
	if n := meta.TotalObjects; n < len(kept) {
		fmt.Fprintf(g.io.Err, "sample: wrote %d of the %d kept traces (the others are in blocks left out: see the warnings) to block %s in %s\n", n, len(kept), meta.BlockID, url)
	} else {
		fmt.Fprintf(g.io.Err, "sample: wrote %d kept traces to block %s in %s\n", n, meta.BlockID, url)
	}
	return nil
}

func renderSampleReport(g *globals, r *sampler.Report) error {
	pct := func(a, b int64) string {
		if b == 0 {
			return "-"
		}
		return strconv.FormatFloat(100*float64(a)/float64(b), 'f', 1, 64) + "%"
	}
	n := strconv.FormatInt
	row := func(name string, in, kept int64) []string {
		return []string{name, n(in, 10), n(kept, 10), n(in-kept, 10), pct(kept, in)}
	}
	rows := [][]string{
		row("traces", r.Traces, r.KeptTraces),
		row("spans", r.Spans, r.KeptSpans),
		row("error traces", r.ErrorTraces, r.ErrorTracesKept),
		row("slow traces (>= "+r.Slow.String()+")", r.SlowTraces, r.SlowTracesKept),
		{"estimated bytes", ui.Bytes(r.BytesIn), ui.Bytes(r.BytesKept), ui.Bytes(r.BytesIn - r.BytesKept), pct(r.BytesKept, r.BytesIn)},
	}
	if err := ui.Table(g.io.Out, g.io.OutTTY, []string{"", "in", "kept", "dropped", "kept %"}, rows); err != nil {
		return err
	}
	fmt.Fprintln(g.io.Out)
	prows := make([][]string, len(r.Policies))
	for i, p := range r.Policies {
		prows[i] = []string{p.Name, p.Type, n(p.Matched, 10), n(p.Decided, 10)}
	}
	if err := ui.Table(g.io.Out, g.io.OutTTY, []string{"policy", "type", "matched", "decided"}, prows); err != nil {
		return err
	}
	fmt.Fprintf(g.io.Out, "\nkept %d of %d traces (keep ratio %.4f), dropped %d (%d by drop policies, %d evicted before decision); estimated storage saved %s (%.1f%%)\n",
		r.KeptTraces, r.Traces, r.KeepRatio, r.DroppedTraces, r.DroppedByPolicy, r.EvictedTraces, ui.Bytes(r.BytesIn-r.BytesKept), 100*r.SavedRatio)
	return nil
}

func newSampleExplainCmd(g *globals) *cobra.Command {
	var o sampleConfigFlags
	alone := false
	output := newOutputFlag("text", "text", "json")
	cmd := &cobra.Command{
		Use:   "explain --collector-config otelcol.yaml TRACEID",
		Short: "Show the decision tree for one stored trace: each policy's vote with the reason",
		Long: sampleLong + `

The trace is decided in context: every stored trace is replayed on the
simulated clock, so limiters have the budget they would have had and a
trace evicted from the num_traces table before its decision says so.
--alone decides the trace by itself (full budgets, no eviction, no scan).

` + exitCodesHelp + `
  (1: no block holds the trace)`,
		Example: `  tracectl sample explain --collector-config otelcol.yaml 4bf92f3577b34da6a3ce929d0e0e4736
  tracectl sample explain --collector-config otelcol.yaml --alone -o json 4bf92f3577b34da6a3ce929d0e0e4736`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := model.ParseTraceID(args[0])
			if err != nil {
				return err
			}
			cfg, err := o.load(g.io.Err)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, closeFn, err := g.openStore(ctx)
			if err != nil {
				return err
			}
			defer closeFn()
			t, err := st.FindTrace(ctx, id)
			if errors.Is(err, blocks.ErrTraceNotFound) {
				return &checkFailedError{msg: fmt.Sprintf("trace %s not found", id)}
			}
			if err != nil {
				return err
			}
			d, err := explainDecision(ctx, st, cfg, t, alone)
			if err != nil {
				return err
			}
			if output.value == "json" {
				return ui.JSON(g.io.Out, decisionJSON(&d))
			}
			_, err = fmt.Fprint(g.io.Out, sampler.Explain(&d))
			return err
		},
	}
	o.add(cmd.Flags())
	cmd.Flags().BoolVar(&alone, "alone", false, "decide the trace by itself (full limiter budgets, never evicted) instead of replaying the bucket")
	addOutputFlag(cmd.Flags(), output)
	return cmd
}

// explainDecision decides t alone, or within a replay of src.
func explainDecision(ctx context.Context, src store.Source, cfg *sampler.Config, t *model.Trace, alone bool) (sampler.Decision, error) {
	if alone {
		return cfg.Decide(t), nil
	}
	var d *sampler.Decision
	_, err := sampler.Replay(ctx, src, cfg, sampler.Options{
		Explain: map[model.TraceID]*model.Trace{t.TraceID: t},
		OnDecision: func(_ *model.Trace, got *sampler.Decision) error {
			if got.TraceID == t.TraceID {
				c := *got
				d = &c
			}
			return nil
		},
	})
	if err != nil {
		return sampler.Decision{}, err
	}
	if d == nil {
		return cfg.Decide(t), nil
	}
	return *d, nil
}

type voteJSON struct {
	Policy string     `json:"policy"`
	Type   string     `json:"type"`
	Vote   string     `json:"vote"`
	Reason string     `json:"reason"`
	Subs   []voteJSON `json:"subs,omitempty"`
}

func votesJSON(vs []sampler.PolicyVote) []voteJSON {
	if len(vs) == 0 {
		return nil
	}
	out := make([]voteJSON, len(vs))
	for i, v := range vs {
		vote := v.Vote.String()
		if v.Skipped {
			vote = "skipped"
		}
		out[i] = voteJSON{v.Policy, v.Type, vote, v.Reason, votesJSON(v.Subs)}
	}
	return out
}

func decisionJSON(d *sampler.Decision) any {
	type evicted struct {
		At        time.Time `json:"at"`
		By        string    `json:"by_trace_id"`
		NumTraces uint64    `json:"num_traces"`
		Due       time.Time `json:"decision_due"`
	}
	out := struct {
		TraceID  string     `json:"trace_id"`
		Kept     bool       `json:"kept"`
		Decision string     `json:"decision"`
		Policy   string     `json:"policy,omitempty"`
		At       *time.Time `json:"decided_at,omitempty"`
		Evicted  *evicted   `json:"evicted,omitempty"`
		Votes    []voteJSON `json:"votes"`
	}{TraceID: d.TraceID.String(), Kept: d.Kept(), Decision: d.Final.String(), Policy: d.Policy, Votes: votesJSON(d.Votes)}
	if d.Evicted {
		out.Evicted = &evicted{d.At, d.EvictedBy.String(), d.Table, d.Due}
	} else {
		out.At = &d.At
	}
	if out.Votes == nil {
		out.Votes = []voteJSON{}
	}
	return out
}

func newSampleCheckCmd(g *globals) *cobra.Command {
	var o sampleConfigFlags
	lintFatal := false
	cmd := &cobra.Command{
		Use:     "check --collector-config otelcol.yaml",
		Short:   "Validate a tail-sampling config as the Collector loads it (file:line:col errors)",
		Long:    sampleCheckLong,
		Example: sampleCheckExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.config == "" {
				return errors.New("--collector-config: required")
			}
			data, err := os.ReadFile(o.config)
			if err != nil {
				return err
			}
			cfg, err := sampler.Parse(o.config, data, o.processor)
			var list sampler.ErrorList
			if errors.As(err, &list) {
				return &checkFailedError{msg: joinErrors(list)}
			}
			if err != nil {
				return err
			}
			name := cfg.Processor
			if name == "" {
				name = "processor block"
			}
			printWarnings(g.io.Err, cfg.Warnings)
			if lintFatal && len(cfg.Warnings) > 0 {
				return &checkFailedError{msg: fmt.Sprintf("%s: %s: %d warnings (--lint-fatal)", o.config, name, len(cfg.Warnings))}
			}
			fmt.Fprintf(g.io.Out, "%s: %s OK: %d policies, decision_wait %s\n", o.config, name, len(cfg.Policies), cfg.DecisionWait)
			return nil
		},
	}
	o.add(cmd.Flags())
	cmd.Flags().BoolVar(&lintFatal, "lint-fatal", false, "exit 1 on warnings too (fields the Collector accepts but ignores, e.g. a misspelt policy type key)")
	return cmd
}

func newSampleTestCmd(g *globals) *cobra.Command {
	junit := ""
	cmd := &cobra.Command{
		Use:   "test TESTFILE.yaml...",
		Short: "Check expected sampling decisions for traces in files (like promtool test rules)",
		Long: `Run tail-sampling policy tests. A test file names a Collector config, input
trace files (OTLP, Jaeger or Zipkin; paths relative to the test file) and
the expected decision per trace ID, optionally the deciding policy and
single policies' votes:

  config: otelcol.yaml
  processor: tail_sampling        # optional
  input_files: [traces.json]
  tests:
    - trace_id: 4bf92f3577b34da6a3ce929d0e0e4736
      decision: sampled           # sampled | not_sampled | dropped
      policy: errors              # optional
      policies: {slow: not_sampled}

The input traces are replayed together on the simulated clock, as by
replay, so limiters and num_traces act on all of them. Mismatches are
printed as a diff (- want / + got) with the deciding policy's reason.

--junit FILE also writes the results as JUnit XML for CI systems: one
testsuite per test file, one testcase per expected decision, failing
with the mismatches (written when every test file loaded, whether the
tests passed or not).

` + exitCodesHelp + `
  (1: a test failed)`,
		Example: `  tracectl sample test policies/*.test.yaml --junit sample-tests.xml`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			failed := 0
			var report sampler.JUnitSuites
			for _, file := range args {
				n, err := runSampleTestFile(cmd, g, file, &report)
				if err != nil {
					return err
				}
				failed += n
			}
			if junit != "" {
				if err := writeFileWith(junit, report.Write); err != nil {
					return fmt.Errorf("--junit: %w", err)
				}
			}
			if failed > 0 {
				return &checkFailedError{msg: fmt.Sprintf("FAILED: %d %s", failed, plural(failed, "mismatch", "mismatches"))}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&junit, "junit", "", "also write the results as JUnit XML to this file")
	return cmd
}

func runSampleTestFile(cmd *cobra.Command, g *globals, file string, report *sampler.JUnitSuites) (int, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	tf, err := sampler.ParseTestFile(file, data)
	var list sampler.ErrorList
	if errors.As(err, &list) {
		return 0, errors.New(joinErrors(list))
	}
	if err != nil {
		return 0, err
	}
	cf := sampleConfigFlags{config: tf.Path(tf.Config), processor: tf.Processor}
	cfg, err := cf.load(g.io.Err)
	if err != nil {
		return 0, err
	}
	paths := make([]string, len(tf.InputFiles))
	for i, p := range tf.InputFiles {
		paths[i] = tf.Path(p)
	}
	traces, err := input.DecodeTraces(cmd.Context(), paths, input.Options{})
	if err != nil {
		return 0, err
	}
	res := sampler.RunTests(cfg, traces, tf)
	report.Add(file, tf, res)
	if len(res.Mismatches) == 0 {
		fmt.Fprintf(g.io.Out, "%s: SUCCESS (%d passed)\n", file, res.Cases)
		return 0, nil
	}
	fmt.Fprintf(g.io.Out, "%s: FAILED (%d of %d failed)\n", file, failedCases(res.Mismatches), res.Cases)
	for _, m := range res.Mismatches {
		fmt.Fprintf(g.io.Out, "  trace %s (%s:%d) %s:\n    - want: %s\n    + got:  %s\n", m.TraceID, file, m.Line, m.What, m.Want, m.Got)
		if m.Reason != "" {
			fmt.Fprintf(g.io.Out, "      why:  %s\n", m.Reason)
		}
	}
	return len(res.Mismatches), nil
}

// failedCases counts the test cases with a mismatch (a case may have
// several; several cases may name one trace), as JUnit's failures do.
func failedCases(ms []sampler.Mismatch) int {
	seen := map[int]bool{}
	for _, m := range ms {
		seen[m.Case] = true
	}
	return len(seen)
}

// plural is one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
