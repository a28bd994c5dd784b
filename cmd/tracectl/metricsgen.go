package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracectl/tracectl/internal/ui"
	"github.com/tracectl/tracectl/metricsgen"
)

type metricsgenOptions struct {
	timeRangeFlags
	naming           string
	generators       []string
	dimensions       []string
	events           bool
	eventDimensions  []string
	graphDimensions  []string
	buckets          string
	durationUnit     string
	graphBuckets     string
	maxSeries        int
	peerAttributes   []string
	dbAttributes     []string
	virtualNodeLabel bool
	at               string
	step             time.Duration
	graph            bool
	output           *outputFlag
}

var metricsgenFormats = []string{"prom", "openmetrics", "json", "table", "dot", "mermaid"}

// The values of --duration-unit: milliseconds (the default) and seconds.
const (
	unitMilliseconds = "ms"
	unitSeconds      = "s"
)

// durationUnits lists them, for completion.
var durationUnits = []string{unitMilliseconds, unitSeconds}

func newMetricsgenCmd(g *globals, runF func(*metricsgenOptions) error) *cobra.Command {
	o := &metricsgenOptions{output: newOutputFlag("prom", metricsgenFormats...)}
	cmd := &cobra.Command{
		Use:   "metricsgen",
		Short: "Print span metrics and service-graph metrics of stored traces",
		Long: `Aggregate the traces in the bucket into the metrics that Tempo's
metrics-generator and the OpenTelemetry Collector's spanmetrics and
servicegraph connectors produce, to backfill dashboards and alerts.

Span metrics: a calls counter and a duration histogram per service, span
name, span kind and status code (plus --dimensions). Service graph: requests,
failed requests and server/client latency histograms per client -> server
edge (CLIENT/PRODUCER span paired with its SERVER/CONSUMER child), with
virtual nodes for callers and callees that are not traced.

--naming tempo (default): traces_spanmetrics_calls_total,
traces_spanmetrics_latency_* (seconds), labels service, span_name, span_kind,
status_code. --naming otel: traces_span_metrics_calls_total,
traces_span_metrics_duration_milliseconds_*, label service_name, and the
service graph's failed and client_/server_ dimension labels.

A span counts when its end time is in --since/--start/--end. Without --at or
--step samples carry no timestamp; --at stamps them all; --step emits the
running totals every STEP (by span end time) for backfilling with
promtool tsdb create-blocks-from openmetrics.

Output formats:
  prom         Prometheus text format (what promtool check metrics reads)
  openmetrics  OpenMetrics text with exemplars (trace_id, span_id) on
               _bucket and _total samples, ending in # EOF
  json         families, series and points for scripts
  table, dot, mermaid
               with --graph: the dependency graph (nodes with requests per
               second and error rate, edges with calls); json works too

` + exitCodesHelp,
		Example: `  tracectl metricsgen --since 1h > metrics.prom && promtool check metrics < metrics.prom
  tracectl metricsgen --dimensions http.method,http.status_code --max-series 5000
  tracectl metricsgen --naming otel --graph-dimensions deployment.environment
  tracectl metricsgen --start 2026-08-19T09:00:00Z --end 2026-08-19T10:00:00Z --step 15s -o openmetrics > backfill.om
  tracectl metricsgen --graph -o dot | dot -Tsvg > services.svg`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.graph && !cmd.Flags().Changed("output") {
				o.output.value = "table"
			}
			if err := o.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runMetricsgen(cmd, g, o)
		},
	}
	f := cmd.Flags()
	o.timeRangeFlags.add(f, "use spans ending")
	f.StringVar(&o.naming, "naming", "tempo", "metric and label names: tempo or otel")
	f.StringSliceVar(&o.generators, "generators", []string{"span-metrics", "service-graph"}, "what to generate: span-metrics, service-graph")
	f.StringSliceVar(&o.dimensions, "dimensions", nil, "extra span-metrics labels from span or resource attributes (KEY or KEY=DEFAULT)")
	f.BoolVar(&o.events, "events", false, "also count span events (traces_spanmetrics_events_total / traces_span_metrics_events_total)")
	f.StringSliceVar(&o.eventDimensions, "event-dimensions", nil, "extra labels of the events counter, from span, event or resource attributes (KEY or KEY=DEFAULT); implies --events")
	f.StringSliceVar(&o.graphDimensions, "graph-dimensions", nil, "extra service-graph labels from resource or span attributes of each side")
	f.StringVar(&o.buckets, "buckets", "", "span-metrics histogram bounds, e.g. 5ms,10ms,100ms,1s (default: the naming's)")
	f.StringVar(&o.durationUnit, "duration-unit", unitMilliseconds, "--naming otel: unit of the duration histogram, ms or s (the Collector's histogram.unit)")
	f.StringVar(&o.graphBuckets, "graph-buckets", "", "service-graph histogram bounds (default: the naming's)")
	f.IntVar(&o.maxSeries, "max-series", 0, "cap on label sets per generator; more go to one otel_metric_overflow=\"true\" series (0: no cap)")
	f.StringSliceVar(&o.peerAttributes, "peer-attributes", []string{"peer.service", "db.name", "db.system"}, "client span attributes naming an uninstrumented server (first present wins)")
	f.StringSliceVar(&o.dbAttributes, "database-attributes", []string{"db.name"}, "attributes that make a client span a database edge")
	f.BoolVar(&o.virtualNodeLabel, "virtual-node-label", false, "add virtual_node=\"client\"|\"server\" to edges with a virtual node")
	f.StringVar(&o.at, "at", "", "stamp every sample with this time (RFC 3339 or Unix seconds)")
	durationVar(f, &o.step, "step", 0, "emit running totals every STEP (e.g. 15s) with timestamps")
	f.BoolVar(&o.graph, "graph", false, "print the service dependency graph instead of metrics (-o table|dot|mermaid|json)")
	addOutputFlag(f, o.output)
	return cmd
}

// check rejects flag combinations that cannot work.
func (o *metricsgenOptions) check() error {
	format := o.output.value
	graphOnly := format == "table" || format == "dot" || format == "mermaid"
	if o.graph && (format == "prom" || format == "openmetrics") {
		return fmt.Errorf("--graph prints the graph: use -o table, dot, mermaid or json")
	}
	if !o.graph && graphOnly {
		return fmt.Errorf("-o %s needs --graph", format)
	}
	for _, g := range o.generators {
		if g != "span-metrics" && g != "service-graph" {
			return fmt.Errorf("--generators: unknown generator %q (want span-metrics, service-graph)", g)
		}
	}
	if o.graph && !slices.Contains(o.generators, "service-graph") {
		return fmt.Errorf("--graph needs the service-graph generator")
	}
	return nil
}

// libOptions turns the flags into metricsgen.Options.
func (o *metricsgenOptions) libOptions(now time.Time) (metricsgen.Options, error) {
	var opts metricsgen.Options
	var err error
	if opts.Naming, err = metricsgen.ParseNaming(o.naming); err != nil {
		return opts, fmt.Errorf("--naming: %w", err)
	}
	opts.NoExemplars = o.output.value != "openmetrics" // the only format that shows them
	opts.SpanMetrics = slices.Contains(o.generators, "span-metrics")
	opts.ServiceGraph = slices.Contains(o.generators, "service-graph")
	for _, d := range o.dimensions {
		dim, err := metricsgen.ParseDimension(d)
		if err != nil {
			return opts, fmt.Errorf("--dimensions: %w", err)
		}
		opts.Dimensions = append(opts.Dimensions, dim)
	}
	opts.Events = o.events || len(o.eventDimensions) > 0
	for _, d := range o.eventDimensions {
		dim, err := metricsgen.ParseDimension(d)
		if err != nil {
			return opts, fmt.Errorf("--event-dimensions: %w", err)
		}
		opts.EventDimensions = append(opts.EventDimensions, dim)
	}
	for _, d := range o.graphDimensions {
		if d = strings.TrimSpace(d); d == "" {
			return opts, fmt.Errorf("--graph-dimensions: empty attribute name")
		}
		opts.GraphDimensions = append(opts.GraphDimensions, d)
	}
	if o.buckets != "" {
		if opts.Buckets, err = metricsgen.ParseBuckets(o.buckets); err != nil {
			return opts, fmt.Errorf("--buckets: %w", err)
		}
	}
	if o.graphBuckets != "" {
		if opts.GraphBuckets, err = metricsgen.ParseBuckets(o.graphBuckets); err != nil {
			return opts, fmt.Errorf("--graph-buckets: %w", err)
		}
	}
	switch o.durationUnit {
	case unitMilliseconds:
	case unitSeconds:
		opts.Seconds = true
	default:
		return opts, fmt.Errorf("--duration-unit %q: want ms or s", o.durationUnit)
	}
	opts.MaxSeries = o.maxSeries
	opts.PeerAttributes = o.peerAttributes
	opts.DatabaseAttributes = o.dbAttributes
	opts.VirtualNodeLabel = o.virtualNodeLabel
	if o.at != "" {
		if opts.At, err = parseTimeFlag("--at", o.at); err != nil {
			return opts, err
		}
	}
	opts.Step = o.step
	if opts.Start, opts.End, err = o.timeRange(now); err != nil {
		return opts, err
	}
	opts.EndIsNow = !opts.End.IsZero() && o.end == ""
	return opts, nil
}

func runMetricsgen(cmd *cobra.Command, g *globals, o *metricsgenOptions) error {
	opts, err := o.libOptions(time.Now())
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	st, closeFn, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	res, err := metricsgen.Generate(ctx, st, opts)
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(g.io.Err, "warning: %s\n", w)
	}
	if res.Stats.Spans == 0 {
		g.noteOutside(ctx, st, &o.timeRangeFlags, opts.Start, opts.End)
	}
	if g.io.ErrTTY {
		fmt.Fprintf(g.io.Err, "metricsgen: %s\n", res.Stats)
	}
	if o.graph {
		switch o.output.value {
		case "dot":
			return res.Graph.WriteDOT(g.io.Out)
		case "mermaid":
			return res.Graph.WriteMermaid(g.io.Out)
		case "json":
			return ui.JSON(g.io.Out, res.Graph)
		default:
			return renderGraphTable(g, res.Graph)
		}
	}
	switch o.output.value {
	case "json":
		return ui.JSON(g.io.Out, res.ToJSON())
	case "openmetrics":
		return metricsgen.WriteText(g.io.Out, res, metricsgen.FormatOpenMetrics)
	default:
		return metricsgen.WriteText(g.io.Out, res, metricsgen.FormatProm)
	}
}

// renderGraphTable prints one row per edge with the server's totals.
func renderGraphTable(g *globals, gr *metricsgen.Graph) error {
	rows := make([][]string, 0, len(gr.Edges))
	for _, e := range gr.Edges {
		rows = append(rows, []string{
			e.Client, e.Server, e.ConnectionType,
			strconv.FormatUint(e.Requests, 10), strconv.FormatUint(e.Failed, 10),
			strconv.FormatFloat(100*e.ErrorRate, 'f', 1, 64) + "%",
			strconv.FormatFloat(e.AvgServerSeconds*1000, 'f', 1, 64) + "ms",
		})
	}
	if err := ui.Table(g.io.Out, g.io.OutTTY, []string{"client", "server", "type", "calls", "failed", "error rate", "avg server time"}, rows); err != nil {
		return err
	}
	if !g.io.OutTTY {
		return nil
	}
	fmt.Fprintln(g.io.Out)
	nrows := make([][]string, 0, len(gr.Nodes))
	for _, n := range gr.Nodes {
		kind := "service"
		if n.Virtual {
			kind = "virtual"
		}
		nrows = append(nrows, []string{n.Name, kind, strconv.FormatUint(n.Requests, 10),
			strconv.FormatFloat(n.RPS, 'f', 3, 64), strconv.FormatFloat(100*n.ErrorRate, 'f', 1, 64) + "%"})
	}
	return ui.Table(g.io.Out, g.io.OutTTY, []string{"node", "kind", "requests", "rps", "error rate"}, nrows)
}
