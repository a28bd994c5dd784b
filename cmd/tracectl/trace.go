package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/internal/traceview"
	"github.com/tracectl/tracectl/internal/ui"
	"github.com/tracectl/tracectl/model"
)

// minPrefixDigits is the shortest trace ID prefix trace get looks up
// (shorter ones would read every block's IDs for little).
const minPrefixDigits = 6

type traceGetOptions struct {
	arg    string // the ID as typed
	id     model.TraceID
	output *outputFlag
}

func newTraceCmd(g *globals, runF func(*traceGetOptions) error) *cobra.Command {
	o := &traceGetOptions{output: newOutputFlag("table", "table", "tree", "json", "tempo-json", "otlp-json")}
	get := &cobra.Command{
		Use:   "get TRACEID",
		Short: "Find a trace by ID and print it",
		Long: `Find a trace by ID across the tenant's blocks and print it. Each block's
bloom filter is checked first, so only blocks that may hold the trace are
opened, and only the row group that holds it is read. Copies of the trace
found in several blocks are merged (duplicate spans dropped). An ID shorter
than 32 digits is a 64-bit (Jaeger, Zipkin) ID first; when no trace has it,
6 or more digits are also taken as a prefix of one trace's 32-digit ID
(several matches are an error listing them).

Output formats:
  table      one row per span in tree order (default)
  tree       a timeline waterfall; error spans are marked with "!"
  json       {"batches":[...]} with OTLP/JSON inside (hex IDs, numeric kind
             and status), as pdata writes it
  tempo-json exactly what Tempo's GET /api/traces/<id> returns for
             Accept: application/json: {"batches":[...]} in protobuf's JSON
             mapping (base64 IDs, SPAN_KIND_SERVER, STATUS_CODE_ERROR,
             64-bit integers as strings), for tools written against Tempo
  otlp-json  OTLP JSON ({"resourceSpans":[...]}), which tracectl ingest reads back
All JSON forms are read back by tracectl ingest.

Exit status:
  0    the trace was found
  1    no block holds the trace
  2    error: bad trace ID, bucket or I/O failure`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := model.ParseTraceID(args[0])
			if err != nil {
				return err
			}
			o.id, o.arg = id, args[0]
			if runF != nil {
				return runF(o)
			}
			return runTraceGet(cmd, g, o)
		},
	}
	addOutputFlag(get.Flags(), o.output)
	return newGroupCmd("trace", "Work with single traces", get)
}

func runTraceGet(cmd *cobra.Command, g *globals, o *traceGetOptions) error {
	ctx := cmd.Context()
	st, closeFn, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	t, err := st.FindTrace(ctx, o.id)
	if errors.Is(err, blocks.ErrTraceNotFound) && len(o.arg) >= minPrefixDigits && len(o.arg) < 32 {
		// Not a (64-bit or full) ID of a stored trace: a unique prefix?
		var ids []model.TraceID
		if ids, err = st.TraceIDsWithPrefix(ctx, o.arg, 6); err == nil {
			switch len(ids) {
			case 0:
				err = blocks.ErrTraceNotFound
			case 1:
				o.id = ids[0]
				t, err = st.FindTrace(ctx, o.id)
			default:
				names := make([]string, len(ids))
				for i, id := range ids {
					names[i] = id.String()
				}
				if len(ids) == 6 {
					names[5] = "…"
				}
				return fmt.Errorf("trace ID prefix %q: several traces start so (%s); give more of it", o.arg, strings.Join(names, ", "))
			}
		}
	}
	if errors.Is(err, blocks.ErrTraceNotFound) {
		return &checkFailedError{msg: fmt.Sprintf("trace %s not found", o.id)}
	}
	if err != nil {
		return err
	}
	switch o.output.value {
	case "otlp-json":
		return otlp.EncodeJSON(g.io.Out, []*model.Trace{t})
	case "json":
		return otlp.EncodeTempoJSON(g.io.Out, t)
	case "tempo-json":
		return otlp.EncodeTempoAPIJSON(g.io.Out, t)
	case "tree":
		return traceview.Waterfall(g.io.Out, t, 60)
	}
	return renderSpanTable(g, t)
}

func renderSpanTable(g *globals, t *model.Trace) error {
	start, _ := t.TimeRange()
	var rows [][]string
	for _, r := range traceview.Rows(t) {
		s := r.Span
		parent := ""
		if !s.ParentSpanID.IsZero() {
			parent = s.ParentSpanID.String()
		}
		name := s.Name
		if g.io.OutTTY {
			name = strings.Repeat("  ", r.Depth) + name
		}
		rows = append(rows, []string{
			s.SpanID.String(), parent, r.Resource.ServiceName(), name, s.Kind.String(), s.Status.Code.String(),
			traceview.FmtDuration(s.StartTimeUnixNano - start), traceview.FmtDuration(s.Duration()),
		})
	}
	return ui.Table(g.io.Out, g.io.OutTTY, []string{"span id", "parent", "service", "name", "kind", "status", "offset", "duration"}, rows)
}
