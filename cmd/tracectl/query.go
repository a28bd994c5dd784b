package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/internal/traceview"
	"github.com/tracectl/tracectl/internal/ui"
	"github.com/tracectl/tracectl/traceql"
	"github.com/tracectl/tracectl/traceql/eval"
)

type queryOptions struct {
	query string
	timeRangeFlags
	limit       int
	spss        int
	spans       bool
	count       bool
	failIfEmpty bool
	failIfFound bool
	explain     bool
	concurrency int
	output      *outputFlag
}

func newQueryCmd(g *globals, runF func(*queryOptions) error) *cobra.Command {
	o := &queryOptions{output: newOutputFlag("table", "table", "json", "jsonl")}
	cmd := &cobra.Command{
		Use:   "query QUERY",
		Short: "Search traces with TraceQL",
		Long: `Evaluate a TraceQL search query over the tenant's blocks and print the
matching traces, most recent first. "-" reads the query from stdin.

Output formats:
  table  one row per trace: trace ID, root service, root span, start,
         duration, matched spans (--spans adds the matched spans under it)
  json   the JSON of Tempo's GET /api/search response
  jsonl  one trace per line, in the same shape as json's traces[]

Exit status:
  0    the query ran (and matched, with --fail-if-empty; matched nothing,
       with --fail-if-found)
  1    nothing matched and --fail-if-empty was given, or something matched
       and --fail-if-found was given
  2    error: bad query (shown with a caret), bad flags, bucket or I/O failure`,
		Example: `  tracectl query '{ resource.service.name = "api" && status = error }'
  tracectl query '{ span.http.status_code >= 500 } | count() > 2' --since 1h -o json | jq '.traces[].traceID'
  tracectl query '{ name = "db_query" } >> { duration > 100ms }' --spans
  tracectl query --count '{ status = error }'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := queryArg(g, args[0])
			if err != nil {
				return err
			}
			o.query = q
			if runF != nil {
				return runF(o)
			}
			return runQuery(cmd, g, o)
		},
	}
	f := cmd.Flags()
	o.timeRangeFlags.add(f, "search traces")
	f.IntVar(&o.limit, "limit", eval.DefaultLimit, "maximum number of traces (0: the default)")
	f.IntVar(&o.spss, "spss", 3, "spans shown per spanset (matched counts them all)")
	f.BoolVar(&o.spans, "spans", false, "table output: list the matched spans under each trace")
	f.BoolVar(&o.count, "count", false, "print only the number of matching traces")
	f.BoolVar(&o.failIfEmpty, "fail-if-empty", false, "exit with status 1 when nothing matches")
	f.BoolVar(&o.failIfFound, "fail-if-found", false, "exit with status 1 when anything matches (a CI gate: no error traces)")
	cmd.MarkFlagsMutuallyExclusive("fail-if-empty", "fail-if-found")
	f.BoolVar(&o.explain, "explain", false, "print the canonical query and its syntax tree instead of running it")
	f.IntVar(&o.concurrency, "concurrency", 0, "blocks decoded at once, one row group each; bounds memory (0 = one per core; on an object store whose row groups are small, up to 16 to overlap requests)")
	addOutputFlag(f, o.output)
	return cmd
}

// querySpillAfter is eval.SearchOptions.SpillAfter (0: its default); tests
// lower it.
var querySpillAfter = 0

func runQuery(cmd *cobra.Command, g *globals, o *queryOptions) error {
	if o.explain {
		out, err := traceql.Explain(o.query)
		if out != "" {
			fmt.Fprint(g.io.Out, out)
		}
		if err != nil {
			return queryError(o.query, err)
		}
		return nil
	}
	root, err := traceql.Parse(o.query)
	if err != nil {
		return queryError(o.query, err)
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
	// A search keeping many traces (a high --limit) writes them to a
	// temporary file past eval.DefaultSpillAfter, so memory stays bounded.
	res, err := eval.SearchExpr(ctx, st, root, eval.SearchOptions{
		Limit: o.limit, SpansPerSpanSet: o.spss, Start: start, End: end, CountOnly: o.count,
		SpillDir: os.TempDir(), SpillAfter: querySpillAfter,
	})
	if err != nil {
		return err
	}
	defer res.Close()
	switch {
	case o.count:
		fmt.Fprintln(g.io.Out, res.Metrics.MatchedTraces)
	case o.output.value == "json":
		m := res.TempoMetrics()
		if err := blockMetrics(ctx, st, &m, start, end); err != nil {
			return err
		}
		if err := res.WriteTempoJSON(g.io.Out, m); err != nil {
			return err
		}
	case o.output.value == "jsonl":
		bw := bufio.NewWriterSize(g.io.Out, 64<<10)
		err := res.Render(func(_ int, t *eval.TraceResult, dst []byte) ([]byte, error) {
			return t.AppendTempoJSON(dst)
		}, func(b []byte) error {
			_, err := bw.Write(b)
			return err
		})
		if err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
	default:
		if err := renderQueryTable(g, res, o.spans); err != nil {
			return err
		}
	}
	matched := res.Len() > 0 || res.Metrics.MatchedTraces > 0
	if !matched {
		g.noteOutside(ctx, st, &o.timeRangeFlags, start, end)
	}
	if o.failIfEmpty && !matched {
		return &checkFailedError{msg: "query: no traces matched"}
	}
	if o.failIfFound && matched {
		return &checkFailedError{msg: fmt.Sprintf("query: %d traces matched (--fail-if-found)", max(res.Len(), res.Metrics.MatchedTraces))}
	}
	return nil
}

// blockMetrics fills the block counts of Tempo's search metrics: the live
// blocks whose time range overlaps the search, and their bytes, from the
// listing the search made (st lists again only if it made none).
func blockMetrics(ctx context.Context, st *blocks.Store, m *eval.TempoSearchMetrics, start, end time.Time) error {
	metas, ok := st.Listed()
	if !ok {
		var err error
		if metas, err = st.Blocks(ctx); err != nil {
			return err
		}
	}
	var blocks, bytes uint64
	for _, m := range metas {
		if (!start.IsZero() && m.EndTime.Add(time.Second).Before(start)) || (!end.IsZero() && m.StartTime.After(end)) {
			continue
		}
		blocks++
		bytes += m.Size
	}
	m.TotalBlocks = uint32(blocks)
	m.TotalBlockBytes = strconv.FormatUint(bytes, 10)
	m.InspectedBytes = strconv.FormatUint(bytes, 10)
	return nil
}

func renderQueryTable(g *globals, res *eval.SearchResult, spans bool) error {
	// Rows go out as they are read back: a terminal's aligned table keeps
	// them, tab-separated lines (a pipe) do not, and are made on several
	// goroutines.
	table := ui.NewRows(g.io.Out, g.io.OutTTY, []string{"trace id", "root service", "root name", "start", "duration", "matched"})
	var err error
	if table.Aligned() {
		err = res.Each(func(t *eval.TraceResult) error {
			for _, row := range queryTableRows(t, spans) {
				if err := table.Add(row); err != nil {
					return err
				}
			}
			return nil
		})
	} else {
		err = res.Render(func(_ int, t *eval.TraceResult, dst []byte) ([]byte, error) {
			for _, row := range queryTableRows(t, spans) {
				dst = ui.AppendLine(dst, row)
			}
			return dst, nil
		}, table.WriteLines)
	}
	if err != nil {
		return err
	}
	return table.Flush()
}

// queryTableRows are the table rows of one trace: the trace, then with
// spans its spansets' spans.
func queryTableRows(t *eval.TraceResult, spans bool) [][]string {
	matched := 0
	for _, ss := range t.SpanSets {
		matched += ss.Matched
	}
	rows := [][]string{{
		t.TraceID.String(), t.RootServiceName, t.RootTraceName,
		time.Unix(0, int64(t.StartUnixNano)).UTC().Format(time.RFC3339Nano),
		traceview.FmtDuration(uint64(t.Duration)), strconv.Itoa(matched),
	}}
	if !spans {
		return rows
	}
	for _, ss := range t.SpanSets {
		for _, sp := range ss.Spans {
			var attrs []string
			for _, a := range sp.Attributes {
				attrs = append(attrs, a.Key+"="+a.Value.AsString())
			}
			rows = append(rows, []string{
				"  " + sp.SpanID.String(), "", sp.Name,
				time.Unix(0, int64(sp.StartUnixNano)).UTC().Format(time.RFC3339Nano),
				traceview.FmtDuration(uint64(sp.Duration)), strings.Join(attrs, " "),
			})
		}
	}
	return rows
}
