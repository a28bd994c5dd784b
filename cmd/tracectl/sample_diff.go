package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracectl/tracectl/internal/ui"
	"github.com/tracectl/tracectl/sampler"
)

// outcomeListing is what replay lists besides its report: the decisions
// as JSON lines on stdout (-o jsonl) and the kept IDs in a file.
type outcomeListing struct {
	keptPath string
	kept     sampler.KeptIDs
	line     func(*sampler.Outcome) error
	flush    func() error
}

func newOutcomeListing(g *globals, jsonl bool, keptPath string) *outcomeListing {
	l := &outcomeListing{keptPath: keptPath}
	if jsonl {
		l.line, l.flush = sampler.JSONLines(g.io.Out)
	}
	return l
}

// onOutcome is the replay's Options.OnOutcome, nil when nothing is listed
// (the replay then keeps no reasons).
func (l *outcomeListing) onOutcome() func(*sampler.Outcome) error {
	if l.line == nil && l.keptPath == "" {
		return nil
	}
	return func(o *sampler.Outcome) error {
		if l.line != nil {
			if err := l.line(o); err != nil {
				return err
			}
		}
		return l.kept.Add(o)
	}
}

func (l *outcomeListing) finish() error {
	if l.flush != nil {
		if err := l.flush(); err != nil {
			return err
		}
	}
	if l.keptPath == "" {
		return nil
	}
	ids := l.kept.IDs()
	if err := writeFileWith(l.keptPath, func(w io.Writer) error { return sampler.WriteTraceIDs(w, ids) }); err != nil {
		return fmt.Errorf("--kept-ids: %w", err)
	}
	return nil
}

// writeFileWith writes a file through a temporary file in its directory,
// renamed into place, so a reader never sees half of it.
func writeFileWith(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

type sampleDiffOptions struct {
	configs       []string
	processors    []string
	failIfChanged bool
	timeRangeFlags
	output *outputFlag
}

func newSampleDiffCmd(g *globals, runF func(*sampleDiffOptions) error) *cobra.Command {
	o := &sampleDiffOptions{output: newOutputFlag("table", "table", "json", "jsonl")}
	cmd := &cobra.Command{
		Use:   "diff --collector-config A.yaml --collector-config B.yaml",
		Short: "Show the traces whose sampling decision changes between two configs",
		Long: sampleLong + `

Replays the stored traces with config A, then with config B (each as
replay does, on the simulated clock) and reports the traces whose
decision (sampled, not_sampled, dropped) differs, with the deciding policy
on each side; counts of traces kept by A only, by B only, by both and by
neither; and the estimated storage change of going from A to B (spans, and
bytes as OTLP protobuf). The review step before a config change ships.

--collector-config is given exactly twice: A, then B. --processor picks
the tail_sampling processor in them: once for both configs, or twice (in
the order of the configs) when they need different IDs.

-o table (default) prints the counts and the changed traces; -o json one
object with the counts and "changes" (always a list); -o jsonl one JSON
object per changed trace: {"traceID", "a": {"decision", "policy"}, "b":
{...}, "spans", "bytes"}.

` + exitCodesHelp + `
  (1: with --fail-if-changed, some trace's decision changes)`,
		Example: `  tracectl sample diff --collector-config prod.yaml --collector-config new.yaml --since 24h
  tracectl sample diff --collector-config old/otelcol.yaml --collector-config otelcol.yaml \
      --processor tail_sampling --processor tail_sampling/v2 --fail-if-changed -o jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(o.configs) != 2 {
				return fmt.Errorf("--collector-config: give it exactly twice (A, then B), got %d", len(o.configs))
			}
			if len(o.processors) > 2 {
				return fmt.Errorf("--processor: give it at most twice (for A, then B), got %d", len(o.processors))
			}
			if runF != nil {
				return runF(o)
			}
			return runSampleDiff(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.configs, "collector-config", nil, "Collector config or tail_sampling processor block (YAML): A, then B")
	f.StringArrayVar(&o.processors, "processor", nil, "processor ID in the Collector configs: once for both, or twice (A, then B)")
	f.BoolVar(&o.failIfChanged, "fail-if-changed", false, "exit 1 when any trace's decision changes")
	o.timeRangeFlags.add(f, "replay traces")
	addOutputFlag(f, o.output)
	return cmd
}

func runSampleDiff(cmd *cobra.Command, g *globals, o *sampleDiffOptions) error {
	var cfgs [2]*sampler.Config
	for i, path := range o.configs {
		proc := ""
		if len(o.processors) > 0 {
			proc = o.processors[min(i, len(o.processors)-1)]
		}
		cfg, err := (&sampleConfigFlags{config: path, processor: proc}).load(g.io.Err)
		if err != nil {
			return err
		}
		cfgs[i] = cfg
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
	rep, err := sampler.Diff(ctx, st, cfgs[0], cfgs[1], sampler.Options{Start: start, End: end})
	if err != nil {
		return err
	}
	switch o.output.value {
	case "json":
		err = ui.JSON(g.io.Out, rep)
	case "jsonl":
		bw := bufio.NewWriter(g.io.Out)
		for i := range rep.Changes {
			if err = ui.JSONLine(bw, rep.Changes[i]); err != nil {
				break
			}
		}
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
	default:
		err = renderSampleDiff(g, o, rep)
	}
	if err != nil {
		return err
	}
	if o.failIfChanged && rep.Changed > 0 {
		return &checkFailedError{msg: fmt.Sprintf("sample diff: %d of %d traces change decision", rep.Changed, rep.Traces)}
	}
	return nil
}

func renderSampleDiff(g *globals, o *sampleDiffOptions, r *sampler.DiffReport) error {
	n := func(i int64) string { return strconv.FormatInt(i, 10) }
	counts := [][]string{
		{"all", n(r.Traces)},
		{"kept by A only", n(r.KeptAOnly)},
		{"kept by B only", n(r.KeptBOnly)},
		{"kept by both", n(r.KeptBoth)},
		{"kept by neither", n(r.KeptNeither)},
		{"decision changed", n(r.Changed)},
	}
	if err := ui.Table(g.io.Out, g.io.OutTTY, []string{"traces", "count"}, counts); err != nil {
		return err
	}
	if len(r.Changes) > 0 {
		fmt.Fprintln(g.io.Out)
		rows := make([][]string, len(r.Changes))
		for i, c := range r.Changes {
			rows[i] = []string{c.TraceID.String(), c.A.Decision.String(), dash(c.A.Policy), c.B.Decision.String(), dash(c.B.Policy), n(c.Spans), n(c.Bytes)}
		}
		if err := ui.Table(g.io.Out, g.io.OutTTY, []string{"trace", "A", "A policy", "B", "B policy", "spans", "bytes"}, rows); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(g.io.Out, "\nA %s keeps %d of %d traces, B %s keeps %d; %d change decision; storage change A -> B: %+d spans, %s\n",
		o.configs[0], r.KeptA, r.Traces, o.configs[1], r.KeptB, r.Changed, r.SpansChange, signedBytes(r.BytesChange))
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// signedBytes is a byte count with its sign: +1.2 KiB, -300 B, 0 B.
func signedBytes(b int64) string {
	switch {
	case b > 0:
		return "+" + ui.Bytes(b)
	case b < 0:
		return "-" + ui.Bytes(-b)
	}
	return ui.Bytes(0)
}
