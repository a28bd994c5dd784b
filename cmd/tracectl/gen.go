package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/internal/ui"
)

type genOptions struct {
	out       string
	spans     int
	fileSpans int
	json      bool
	format    string
	seed      int64
	services  int
	start     string
	rate      float64
}

func newGenCmd(g *globals) *cobra.Command {
	o := &genOptions{}
	cmd := &cobra.Command{
		Use:   "gen --out DIR",
		Short: "Generate realistic synthetic traces as OTLP (or Zipkin) files",
		Long: `Write reproducible synthetic traces as OTLP protobuf files (or OTLP JSON, or
Zipkin v2 JSON), for benchmarks and demos: a gateway in front of 10–50 microservices, 5–60 spans per
trace, HTTP, database, cache and Kafka spans with OpenTelemetry semantic
convention attributes, log-normal durations, about 2% error traces, 0.5% slow
outliers and 1% of traces with PII-like attributes (e-mails, card numbers) for
redact. The same --seed gives the same bytes. Ingest them with
"tracectl ingest DIR".

Exit status:
  0    files written
  2    error: bad flags, I/O failure`,
		Example: `  tracectl gen --out /tmp/traces --spans 1000000
  tracectl gen --out /tmp/traces-json --spans 100000 --json --seed 7 --services 30
  tracectl gen --out /tmp/traces-zipkin --spans 100000 --format zipkin-v2
  tracectl gen --out /tmp/traces-jaeger --spans 100000 --format jaeger-json
  tracectl gen --out /tmp/t --spans 1000000 && tracectl ingest /tmp/t`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.out == "" {
				return fmt.Errorf("--out DIR is required")
			}
			if o.services < 10 || o.services > 50 {
				return fmt.Errorf("--services %d: want 10 to 50", o.services)
			}
			format := codec.Format(o.format)
			if o.json {
				if cmd.Flags().Changed("format") && format != codec.FormatOTLPJSON {
					return fmt.Errorf("--json and --format %s: give one of them", o.format)
				}
				format = codec.FormatOTLPJSON
			}
			if !slices.Contains(gen.Formats, format) {
				return fmt.Errorf("--format %q: want one of %s", o.format, strings.Join(codec.Names(gen.Formats), ", "))
			}
			opts := gen.Options{Seed: o.seed, Services: o.services, TracesPerSecond: o.rate}
			if o.start != "" {
				t, err := parseTimeFlag("--start", o.start)
				if err != nil {
					return err
				}
				opts.Start = t
			}
			began := time.Now()
			sum, err := gen.New(opts).WriteFiles(cmd.Context(), gen.FileOptions{
				Dir: o.out, Spans: o.spans, FileSpans: o.fileSpans, Format: format,
				Progress: func(n int) { g.bar.Count("gen: ", "spans", int64(n), int64(o.spans)) },
			})
			g.bar.Clear()
			if err != nil {
				return err
			}
			fmt.Fprintf(g.io.Err, "wrote %d files: %d traces, %d spans, %s in %s\n",
				sum.Files, sum.Traces, sum.Spans, ui.Bytes(sum.Bytes), time.Since(began).Round(time.Millisecond))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.out, "out", "", "directory to write the files to (created if missing)")
	f.IntVar(&o.spans, "spans", 100_000, "spans to generate")
	f.IntVar(&o.fileSpans, "file-spans", 100_000, "spans per file")
	f.BoolVar(&o.json, "json", false, "write OTLP JSON instead of protobuf (--format otlp-json)")
	f.StringVar(&o.format, "format", string(codec.FormatOTLPProto), "file format: otlp-proto, otlp-json, zipkin-v2 (a JSON array of spans, as the Collector's zipkin exporter sends them) or jaeger-json (a Jaeger query-API response, as the UI exports traces)")
	f.Int64Var(&o.seed, "seed", 1, "random seed; the same seed gives the same files")
	f.IntVar(&o.services, "services", 12, "services in the topology (10–50)")
	f.StringVar(&o.start, "start", "", "start of the first trace (RFC 3339 or Unix seconds; default 2026-01-01T00:00:00Z)")
	f.Float64Var(&o.rate, "rate", 50, "traces per second (sets how the traces spread over time)")
	return cmd
}
