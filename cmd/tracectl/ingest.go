package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/input"
	"github.com/tracectl/tracectl/ingest"
	"github.com/tracectl/tracectl/internal/ui"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/redact"
)

type ingestOptions struct {
	format         string
	skipBad        bool
	maxBlockBytes  int64
	maxBlockTraces int
	memoryBudget   int64
	maxInputBytes  int64
	redactRules    string
	hashKeyFile    string
	dedicated      *dedicatedFlag
	output         *outputFlag
	paths          []string
}

func newIngestCmd(g *globals, runF func(*ingestOptions) error) *cobra.Command {
	o := &ingestOptions{output: newOutputFlag("table", "table", "json"), dedicated: newDedicatedFlag()}
	cmd := &cobra.Command{
		Use:   "ingest PATH...",
		Short: "Decode trace files and write them as blocks",
		Long: `Decode OTLP (JSON, JSON lines, protobuf), Jaeger (UI/API JSON, api_v2
proto-JSON) and Zipkin (v1, v2 JSON) files and write their traces as
vParquet4 blocks. The format is detected per file (--format forces one);
.gz and .zst files are decompressed; directories are walked; "-" reads stdin.

Nothing is written until every input has been read, so a bad file leaves
the bucket untouched (with --skip-bad it is reported and skipped whole).
Files in a directory that are not trace files (CSV, READMEs, Jaeger
Thrift) are skipped and listed on stderr, and the exit status is 1 —
the rest is ingested; --skip-bad accepts skipped files (exit 0).
Spans repeated in the input (same trace, span ID and kind) are stored once.
Traces are sorted by ID and cut into blocks of at most --max-block-bytes
(estimated encoded size) and --max-block-traces.

--redact RULES.yaml applies a redaction rules file (see "tracectl redact")
to every span as it is decoded, before anything is buffered, spilled or
written; blocks written so are marked, and "tracectl redact" with the same
rules and key skips them.

--dedicated-columns puts string attributes in vParquet4's spare
dedicated columns (ten per scope), as Tempo's parquet_dedicated_columns
does, and lists them in meta.json; queries on them read one column
instead of the generic attribute lists. The value is "none", a list such
as span.http.route,resource.deployment.environment, or a .yaml/.json file
holding Tempo's list of {scope: span|resource, name, type: string}
(optionally under parquet_dedicated_columns). In tracectl.yaml the key
ingest.dedicated-columns takes either form. The default is span
http.request.method, url.path, url.route, server.address and http.route
(the HTTP attributes of current semantic conventions, which vParquet4's
static http.method/http.url columns miss); "tracectl blocks analyse"
suggests columns for your data.

` + exitCodesHelp,
		Example: `  tracectl ingest traces.json otlp-dump.jsonl.gz jaeger-export.json
  tracectl ingest --bucket s3://my-bucket?region=eu-west-1 ./exports/
  cat spans.pb | tracectl ingest --format otlp-proto -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.paths = args
			if o.format != "" {
				if _, err := codec.ParseFormat(o.format); err != nil {
					return err
				}
			}
			if runF != nil {
				return runF(o)
			}
			return runIngest(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "", "force the input format (otlp-json, otlp-proto, otlp-yaml, jaeger-json, zipkin-v1, zipkin-v2)")
	f.BoolVar(&o.skipBad, "skip-bad", false, "skip files that fail to decode (whole) and files that are not trace files, report them and exit 0")
	byteSizeVar(f, &o.maxBlockBytes, "max-block-bytes", ingest.DefaultMaxBlockBytes, "cut blocks at this estimated encoded size (bytes, or with a unit: 256MiB)")
	f.IntVar(&o.maxBlockTraces, "max-block-traces", 0, "cut blocks at this many traces (0: no limit)")
	byteSizeVar(f, &o.maxInputBytes, "max-input-bytes", input.DefaultMaxInputBytes, "largest input file once decompressed; a compressed file may also not expand more than 200 times past 64MiB (each a clear error for that file)")
	byteSizeVar(f, &o.memoryBudget, "memory-budget", ingest.DefaultMemoryBudget, "approximate heap bytes of decoded spans held, those decoded ahead included, before sorted runs are spilled to disk (512MiB, 2GiB, ...)")
	f.StringVar(&o.redactRules, "redact", "", "apply this redaction rules file before anything is written")
	f.StringVar(&o.hashKeyFile, "hash-key-file", "", "key for keyed hashing in --redact rules (HMAC-SHA-256)")
	f.Var(o.dedicated, "dedicated-columns", "attributes written to dedicated columns: none, span.NAME,resource.NAME,... or a .yaml/.json file of Tempo's {scope, name, type} list")
	addOutputFlag(f, o.output)
	return cmd
}

func runIngest(cmd *cobra.Command, g *globals, o *ingestOptions) error {
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	setIngestMemoryLimit(ctx, o.memoryBudget)
	opts := ingest.Options{
		Format:         codec.Format(o.format),
		SkipBad:        o.skipBad,
		Stdin:          g.io.In,
		MaxBlockBytes:  o.maxBlockBytes,
		MaxBlockTraces: o.maxBlockTraces,
		MemoryBudget:   o.memoryBudget,
		MaxInputBytes:  o.maxInputBytes,
	}
	opts.Write.DedicatedColumns = o.dedicated.cols
	var eng *redact.Engine
	if o.redactRules != "" {
		var err error
		if eng, err = loadRules(o.redactRules, o.hashKeyFile); err != nil {
			return err
		}
		opts.Redact = func(rs *model.ResourceSpans) { eng.ApplyResourceSpans(rs) }
		opts.Write.Mark = eng.Digest()
	} else if o.hashKeyFile != "" {
		return errors.New("ingest: --hash-key-file needs --redact")
	}
	st, closeFn, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	opts.Progress = func(s ingest.Stats) {
		if s.Writing {
			g.bar.Count(fmt.Sprintf("ingest: %d files read, writing block %d ", s.Files, s.Blocks+1), "spans", int64(s.Written), int64(s.Spans))
			return
		}
		g.bar.Count(fmt.Sprintf("ingest: %d files, %s buffered ", s.Files, ui.Bytes(s.Bytes)), "spans", int64(s.Spans), 0)
	}
	start := time.Now()
	res, err := ingest.Run(ctx, st, o.paths, opts)
	g.bar.Clear()
	if err != nil {
		return err
	}
	if len(res.Blocks) > 0 {
		updateIndex(ctx, g, st)
	}
	for _, p := range res.RemovedSpills {
		fmt.Fprintf(g.io.Err, "ingest: removed %s, spilled runs of an ingest that was killed\n", p)
	}
	if eng != nil {
		for _, s := range eng.Stats() {
			fmt.Fprintf(g.io.Err, "redact: rule %s: %d spans, %d resources changed (%d deleted, %d hashed, %d masked)\n",
				s.Rule, s.Spans, s.Resources+s.Scopes, s.Deleted, s.Hashed, s.Masked)
		}
	}
	for _, sk := range res.Skipped {
		fmt.Fprintf(g.io.Err, "ingest: skipped %s: %v\n", sk.File, sk.Err)
	}
	for _, b := range res.Bad {
		fmt.Fprintf(g.io.Err, "ingest: skipped bad file: %v\n", b.Err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(g.io.Err, "tracectl: warning: %v\n", w.Err)
	}
	if n := len(res.Stored); n > 0 {
		fmt.Fprintf(g.io.Err, "ingest: %d of %d blocks (%d spans) were already stored by an earlier run on the same input and options: not written again\n",
			n, n+len(res.Blocks), res.StoredSpans)
	}
	if o.output.value == "json" {
		if err := ui.JSON(g.io.Out, ingestJSON(res, time.Since(start))); err != nil {
			return err
		}
		return skippedError(res, o.skipBad)
	}
	rows := make([][]string, 0, len(res.Blocks))
	for _, m := range res.Blocks {
		rows = append(rows, []string{m.BlockID.String(), strconv.Itoa(int(m.TotalObjects)), fmtTime(m.StartTime, g.io.OutTTY), fmtTime(m.EndTime, g.io.OutTTY), ui.Bytes(int64(m.Size))})
	}
	if err := ui.Table(g.io.Out, g.io.OutTTY, []string{"block id", "traces", "start", "end", "size"}, rows); err != nil {
		return err
	}
	fmt.Fprintf(g.io.Err, "ingested %d files: %d traces, %d spans (%d duplicates dropped) into %d blocks in %s%s%s\n",
		res.Files, res.Traces, res.Spans, res.Duplicates, len(res.Blocks), time.Since(start).Round(time.Millisecond),
		peakSummary(), skippedSummary(res, o.skipBad))
	return skippedError(res, o.skipBad)
}

// peakSummary states the peak memory (resident set) of the ingest, which
// --memory-budget bounds only in part (see the README).
func peakSummary() string {
	if p := peakRSS(); p > 0 {
		return ", peak memory " + ui.Bytes(p)
	}
	return ""
}

// skippedSummary ends the summary line with the files left out, if any.
func skippedSummary(res *ingest.Result, skipBad bool) string {
	n := len(res.Skipped) + len(res.Bad)
	switch {
	case n == 0:
		return ""
	case skipBad:
		return fmt.Sprintf("; %d files skipped (--skip-bad)", n)
	}
	return fmt.Sprintf("; %d files skipped", n)
}

// skippedError makes an ingest that left files out exit 1, unless
// --skip-bad accepted that: a cron job pointed at the wrong folder (or
// at files in a format tracectl cannot read) must not pass in silence.
func skippedError(res *ingest.Result, skipBad bool) error {
	n := len(res.Skipped) + len(res.Bad)
	if n == 0 || skipBad {
		return nil
	}
	done := "the others were ingested"
	if res.Files == 0 {
		done = "nothing was ingested"
	}
	return &checkFailedError{msg: fmt.Sprintf("tracectl: %d of %d files skipped (named above), %s; --skip-bad accepts skipped files",
		n, n+res.Files, done)}
}

type ingestReport struct {
	Files      int          `json:"files"`
	BadFiles   []badFileOut `json:"badFiles"`
	Skipped    []badFileOut `json:"skipped"`
	Warnings   []badFileOut `json:"warnings"`
	Traces     int          `json:"traces"`
	Spans      int          `json:"spans"`
	Duplicates int          `json:"duplicates"`
	Blocks     []any        `json:"blocks"`
	// StoredBlocks are the blocks an earlier run on the same input and
	// options had stored (ingest.Result.Stored).
	StoredBlocks []any   `json:"storedBlocks"`
	Seconds      float64 `json:"seconds"`
	// PeakRSSBytes is the process's peak resident set (0: unknown).
	PeakRSSBytes int64 `json:"peakRSSBytes"`
}

type badFileOut struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

func ingestJSON(res *ingest.Result, d time.Duration) ingestReport {
	r := ingestReport{Files: res.Files, Traces: res.Traces, Spans: res.Spans, Duplicates: res.Duplicates,
		Seconds: d.Seconds(), PeakRSSBytes: peakRSS(), BadFiles: []badFileOut{}, Skipped: []badFileOut{}, Warnings: []badFileOut{}, Blocks: []any{}, StoredBlocks: []any{}}
	for _, w := range res.Warnings {
		r.Warnings = append(r.Warnings, badFileOut{File: w.File, Error: w.Err.Error()})
	}
	for _, b := range res.Skipped {
		r.Skipped = append(r.Skipped, badFileOut{File: b.File, Error: b.Err.Error()})
	}
	for _, b := range res.Bad {
		r.BadFiles = append(r.BadFiles, badFileOut{File: b.File, Error: b.Err.Error()})
	}
	for _, m := range res.Blocks {
		r.Blocks = append(r.Blocks, m)
	}
	for _, m := range res.Stored {
		r.StoredBlocks = append(r.StoredBlocks, m)
	}
	return r
}

// fmtTime renders times as RFC 3339 in UTC (also on a terminal: traces
// cross time zones).
func fmtTime(t time.Time, _ bool) string { return t.UTC().Format(time.RFC3339) }
