package ingest_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/ingest"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/nezha"
	"github.com/tracectl/tracectl/model"
)

// nezhaCSVs returns the paths of the six Nezha span CSVs.
func nezhaCSVs(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for _, f := range nezha.Files {
		out = append(out, fixtures.Path(tb, "nezha/"+f))
	}
	return out
}

// convertNezha writes the Nezha CSVs as OTLP files into a temporary
// directory and returns it with the conversion stats.
func convertNezha(tb testing.TB, format nezha.Format) (string, nezha.ConvertStats) {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "otlp-"+string(format))
	st, err := nezha.Convert(dir, nezhaCSVs(tb), nezha.ConvertOptions{Format: format})
	if err != nil {
		tb.Fatal(err)
	}
	if st.Spans != nezha.TotalSpans || st.Traces != nezha.TotalTraces ||
		st.Spans-st.RepeatedSpans != nezha.DistinctSpans || st.Traces-st.RepeatedTraces != nezha.DistinctTraces {
		tb.Fatalf("converted %+v, want %d spans in %d traces, %d and %d distinct",
			st, nezha.TotalSpans, nezha.TotalTraces, nezha.DistinctSpans, nezha.DistinctTraces)
	}
	return dir, st
}

// wantSpan is what a stored span must look like.
type wantSpan struct {
	parent     model.SpanID
	name       string
	kind       model.SpanKind
	start, end uint64
	service    string
	pod        string
}

type spanKey struct {
	trace model.TraceID
	span  model.SpanID
}

// TestIngestNezhaOTLP ingests the Nezha traces converted to OTLP and reads
// every block back: of the 87,911 spans read, the 87,812 distinct ones (in
// 1,772 traces) land, each once, each trace whole in one block, with the
// fields of its CSV row; the 99 spans of the three traces that two
// TrainTicket files share are dropped as duplicates.
func TestIngestNezhaOTLP(t *testing.T) {
	want := map[spanKey]wantSpan{}
	for _, path := range nezhaCSVs(t) {
		rss, err := nezha.ReadCSV(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, rs := range rss {
			pod, _ := model.Find(rs.Resource.Attributes, nezha.PodNameKey)
			for _, s := range rs.ScopeSpans[0].Spans {
				want[spanKey{s.TraceID, s.SpanID}] = wantSpan{s.ParentSpanID, s.Name, s.Kind,
					s.StartTimeUnixNano, s.EndTimeUnixNano, rs.Resource.ServiceName(), pod.Str}
			}
		}
	}
	if len(want) != nezha.DistinctSpans {
		t.Fatalf("%d distinct spans in the CSVs, want %d", len(want), nezha.DistinctSpans)
	}

	jsonDir, _ := convertNezha(t, nezha.JSON)
	protoDir, _ := convertNezha(t, nezha.Proto)
	cases := []struct {
		name      string
		dir       string
		opts      ingest.Options
		minRuns   int
		minBlocks int
	}{
		{"json", jsonDir, ingest.Options{}, 0, 1},
		{"proto", protoDir, ingest.Options{}, 0, 1},
		// A small budget and block size: spill-and-merge and block cutting.
		{"json spill", jsonDir, ingest.Options{MemoryBudget: 2 << 20, MaxBlockBytes: 4 << 20}, 2, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			tc.opts.TempDir = t.TempDir()
			b, err := blocks.OpenBucket(ctx, "mem://")
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			st := blocks.NewStore(b, "single-tenant")
			res, err := ingest.Run(ctx, st, []string{tc.dir}, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.SpansRead != nezha.TotalSpans || res.Spans != nezha.DistinctSpans ||
				res.Duplicates != nezha.TotalSpans-nezha.DistinctSpans || res.Traces != nezha.DistinctTraces ||
				len(res.Bad) != 0 || len(res.Skipped) != 0 {
				t.Fatalf("result: read %d spans, wrote %d spans in %d traces, %d duplicates, %d bad, %d skipped; want %d read, %d in %d traces written",
					res.SpansRead, res.Spans, res.Traces, res.Duplicates, len(res.Bad), len(res.Skipped),
					nezha.TotalSpans, nezha.DistinctSpans, nezha.DistinctTraces)
			}
			t.Logf("%d spill runs, %d blocks", res.Runs, len(res.Blocks))
			if res.Runs < tc.minRuns || len(res.Blocks) < tc.minBlocks {
				t.Errorf("%d runs, %d blocks; want at least %d and %d", res.Runs, len(res.Blocks), tc.minRuns, tc.minBlocks)
			}

			infos, err := st.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(infos) != len(res.Blocks) {
				t.Fatalf("List: %d blocks, ingest wrote %d", len(infos), len(res.Blocks))
			}
			var listSpans int64
			listTraces := 0
			for _, bi := range infos {
				listSpans += bi.Spans
				listTraces += bi.TotalObjects
			}
			if listSpans != nezha.DistinctSpans || listTraces != nezha.DistinctTraces {
				t.Errorf("List: %d spans, %d traces", listSpans, listTraces)
			}

			got := map[spanKey]bool{}
			home := map[model.TraceID]int{}
			for i, bi := range infos {
				blk, err := st.OpenBlock(ctx, bi.BlockID)
				if err != nil {
					t.Fatal(err)
				}
				it, err := blk.Traces(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for it.Next() {
					tr := it.At()
					if j, dup := home[tr.TraceID]; dup {
						t.Fatalf("trace %s in blocks %d and %d", tr.TraceID, j, i)
					}
					home[tr.TraceID] = i
					tr.Spans(func(r model.SpanRef) bool {
						s := r.Span
						k := spanKey{tr.TraceID, s.SpanID}
						if got[k] {
							t.Errorf("span %s of trace %s stored twice", s.SpanID, tr.TraceID)
						}
						got[k] = true
						w, ok := want[k]
						pod, _ := model.Find(r.Resource.Attributes, nezha.PodNameKey)
						g := wantSpan{s.ParentSpanID, s.Name, s.Kind, s.StartTimeUnixNano, s.EndTimeUnixNano, r.Resource.ServiceName(), pod.Str}
						if !ok || g != w {
							t.Errorf("span %s of trace %s: stored %+v, want %+v (in input: %v)", s.SpanID, tr.TraceID, g, w, ok)
						}
						return !t.Failed()
					})
				}
				if err := it.Err(); err != nil {
					t.Fatal(err)
				}
				it.Close()
				if t.Failed() {
					return
				}
			}
			if len(got) != nezha.DistinctSpans || len(home) != nezha.DistinctTraces {
				t.Errorf("read back %d spans in %d traces, want %d in %d", len(got), len(home), nezha.DistinctSpans, nezha.DistinctTraces)
			}
		})
	}
}
