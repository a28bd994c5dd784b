package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracectl/tracectl/internal/chart"
	"github.com/tracectl/tracectl/internal/ui"
	"github.com/tracectl/tracectl/traceql"
	"github.com/tracectl/tracectl/traceql/eval"
)

type metricsOptions struct {
	query string
	timeRangeFlags
	step        time.Duration
	instant     bool
	approx      bool
	allSteps    bool
	plot        bool
	concurrency int
	output      *outputFlag
	// failAbove, failBelow: --fail-if-above / --fail-if-below, when set.
	failAbove, failBelow *float64
}

func newMetricsCmd(g *globals) *cobra.Command {
	o := &metricsOptions{output: newOutputFlag("table", "table", "json", "prom", "openmetrics")}
	cmd := &cobra.Command{
		Use:   "metrics QUERY",
		Short: "Evaluate a TraceQL metrics query into time series",
		Long: `Evaluate a TraceQL metrics query (rate, count_over_time, min/max/sum/avg_over_time,
quantile_over_time, histogram_over_time, by(), topk/bottomk and value filters)
over the tenant's blocks. Spans count by their start time; interval i covers
(edge-step, edge] and is stamped at its right edge. "-" reads the query from
stdin. The range defaults to all stored data (from the blocks' metas;
--since/--start/--end narrow it); with none stored, the last hour.

Quantiles are exact by default (every value of a series and interval is kept;
linear interpolation between closest ranks); --approx uses Tempo's
power-of-two buckets instead, dropping values below 2 and float attributes.

Output formats:
  table  one row per series: labels, then a column per step (or min, avg,
         max and last value when there are more than 8 steps); --plot draws
         a text chart of each series instead
  json   the JSON of Tempo's GET /api/metrics/query_range response
  prom   Prometheus text exposition: the last sample of each series, or every
         sample with its timestamp (--all-steps); histogram_over_time is a
         histogram (cumulative _bucket{le}, _sum, _count) for histogram_quantile
  openmetrics
         OpenMetrics text for promtool tsdb create-blocks-from openmetrics:
         every sample with its timestamp, histogram_over_time as a
         gaugehistogram with exemplars on its buckets, "# EOF" at the end

Exit status:
  0    the query ran (and no sample crossed --fail-if-above/--fail-if-below)
  1    a sample is above --fail-if-above or below --fail-if-below
  2    error: bad query (shown with a caret), bad flags, bucket or I/O failure`,
		Example: `  tracectl metrics '{ } | rate() by (resource.service.name)' --since 6h --step 5m
  tracectl metrics '{ status = error } | count_over_time()' --start 2024-05-01T00:00:00Z --end 2024-05-02T00:00:00Z
  tracectl metrics '{ span.http.route = "/api" } | quantile_over_time(duration, .5, .99)' --instant -o json
  tracectl metrics '{ } | rate() by (resource.service.name) | topk(3)' -o prom --all-steps
  tracectl metrics '{ } | histogram_over_time(duration)' -o openmetrics > m.om && promtool tsdb create-blocks-from openmetrics m.om data/`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := queryArg(g, args[0])
			if err != nil {
				return err
			}
			o.query = q
			return runMetrics(cmd, g, o)
		},
	}
	f := cmd.Flags()
	o.timeRangeFlags.add(f, "count spans")
	durationVar(f, &o.step, "step", 0, "interval width (default: about range/240, as Tempo picks it)")
	f.BoolVar(&o.instant, "instant", false, "one value per series over the whole range")
	f.BoolVar(&o.approx, "approx", false, "quantiles from Tempo's power-of-two buckets instead of exact values")
	f.BoolVar(&o.allSteps, "all-steps", false, "prom output: every sample with its timestamp, not only the last")
	f.BoolVar(&o.plot, "plot", false, "table output: draw a text chart of each series")
	f.IntVar(&o.concurrency, "concurrency", 0, "blocks decoded at once, one row group each; bounds memory (0 = one per core; on an object store whose row groups are small, up to 16 to overlap requests)")
	var above, below float64
	f.Float64Var(&above, "fail-if-above", 0, "exit with status 1 when a sample of any series is above this value")
	f.Float64Var(&below, "fail-if-below", 0, "exit with status 1 when a sample of any series is below this value")
	cmd.PreRun = func(cmd *cobra.Command, _ []string) {
		if cmd.Flags().Changed("fail-if-above") {
			o.failAbove = &above
		}
		if cmd.Flags().Changed("fail-if-below") {
			o.failBelow = &below
		}
	}
	addOutputFlag(f, o.output)
	return cmd
}

// gate reports the first sample that crosses --fail-if-above or
// --fail-if-below, and how many do.
func (o *metricsOptions) gate(res *eval.MetricsResult) error {
	var first string
	n := 0
	for _, s := range res.Series {
		for _, p := range s.Samples {
			var what string
			switch {
			case o.failAbove != nil && p.Value > *o.failAbove:
				what = "above " + eval.FormatValue(*o.failAbove) + " (--fail-if-above)"
			case o.failBelow != nil && p.Value < *o.failBelow:
				what = "below " + eval.FormatValue(*o.failBelow) + " (--fail-if-below)"
			default:
				continue
			}
			if n == 0 {
				first = fmt.Sprintf("%s = %s at %s, %s", eval.PromLabels(s), eval.FormatValue(p.Value),
					time.UnixMilli(p.TimestampMs).UTC().Format(time.RFC3339), what)
			}
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return &checkFailedError{msg: fmt.Sprintf("metrics: %s; %d samples in all", first, n)}
}

func runMetrics(cmd *cobra.Command, g *globals, o *metricsOptions) error {
	root, err := traceql.Parse(o.query)
	if err != nil {
		return queryError(o.query, err)
	}
	if !root.IsMetrics() {
		return queryError(o.query, eval.ErrNotMetricsQuery)
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
	st.SetConcurrency(o.concurrency)
	if !o.given() {
		// Like every read command, all stored data by default.
		if lo, hi, ok, err := storedRange(ctx, st); err != nil {
			return err
		} else if ok {
			start, end = lo.Add(-time.Second), hi
		}
	}
	res, err := eval.MetricsExpr(ctx, st, root, eval.MetricsOptions{
		Start: start, End: end, Step: o.step, Instant: o.instant, Approx: o.approx,
		// Only Tempo's JSON and OpenMetrics carry exemplars.
		NoExemplars: o.output.value != "json" && o.output.value != "openmetrics",
	})
	if err != nil {
		return err
	}
	if len(res.Series) == 0 {
		g.noteOutside(ctx, st, &o.timeRangeFlags, res.Start, res.End)
	}
	switch {
	case o.output.value == "json":
		err = res.WriteTempoJSON(g.io.Out)
	case o.output.value == "prom" || o.output.value == "openmetrics":
		err = eval.WriteExposition(g.io.Out, res, eval.ExpositionOptions{
			Name: metricName(root), OpenMetrics: o.output.value == "openmetrics", AllSteps: o.allSteps,
		})
	case o.plot:
		err = plotMetrics(g, res)
	default:
		err = renderMetricsTable(g, res)
	}
	if err != nil {
		return err
	}
	return o.gate(res)
}

// plotMetrics draws every series as a text chart, as wide as the terminal
// (80 columns when stdout is not one).
func plotMetrics(g *globals, res *eval.MetricsResult) error {
	width := 80
	if w := g.io.OutWidth(); w > 0 {
		width = w
	}
	for _, s := range res.Series {
		ps := make([]chart.Point, len(s.Samples))
		for i, p := range s.Samples {
			ps[i] = chart.Point{Time: time.UnixMilli(p.TimestampMs), Value: p.Value}
		}
		steps := 1
		if res.Step > 0 {
			steps = int(res.End.Sub(res.Start)/res.Step) + 1
		}
		cols := min(max(10, width-12), steps)
		if _, err := fmt.Fprintln(g.io.Out, chart.Render(eval.PromLabels(s), ps, res.Start, res.End, cols, 8)); err != nil {
			return err
		}
	}
	return nil
}

// metricName is the metric name of -o prom: the metrics function.
func metricName(root *traceql.RootExpr) string {
	var name string
	traceql.Inspect(root, func(n traceql.Node) bool {
		if f, ok := n.(*traceql.MetricsFunc); ok && name == "" {
			name = f.Op.String()
		}
		return true
	})
	return name
}

func renderMetricsTable(g *globals, res *eval.MetricsResult) error {
	header, rows := eval.MetricsTable(res)
	return ui.Table(g.io.Out, g.io.OutTTY, header, rows)
}
