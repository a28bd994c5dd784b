package querybench

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/internal/heapwatch"
	"github.com/tracectl/tracectl/internal/nezha"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/traceql/eval"
)

const (
	tenant        = "bench"
	defaultSpans  = 100_000
	datasetFormat = "v1" // bump when the dataset layout changes
	// rowGroupBytes is smaller than blocks.DefaultRowGroupBytes so that
	// every block has several row groups (what skipping and per-group
	// decoding act on).
	rowGroupBytes = 16 << 20
)

// dataset is a built (or cached) bucket of blocks.
type dataset struct {
	root   string
	spans  int
	traces int
	blocks int
}

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return def
}

// baseTraces reads the six Nezha CSVs once, dropping the three traces that
// appear in two files.
func baseTraces(tb testing.TB) []*model.Trace {
	dir, err := nezha.DefaultDir()
	if err != nil {
		tb.Skip(err)
	}
	seen := map[model.TraceID]bool{}
	var out []*model.Trace
	for _, f := range nezha.Files {
		rss, err := nezha.ReadCSV(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			tb.Fatal(err)
		}
		for _, t := range nezha.GroupTraces(rss) {
			if !seen[t.TraceID] {
				seen[t.TraceID] = true
				out = append(out, t)
			}
		}
	}
	return out
}

var (
	dsOnce sync.Once
	ds     dataset
	dsErr  error
)

// getDataset builds the dataset for TRACECTL_BENCH_SPANS, or reuses the one
// cached under the temp dir. Copy k of the Nezha traces is shifted by k
// hours; copies are dealt to blocks in runs, so blocks cover mostly
// disjoint hours (as blocks cut by ingest time do).
func getDataset(tb testing.TB) dataset {
	dsOnce.Do(func() { ds, dsErr = buildDataset(tb) })
	if dsErr != nil {
		tb.Fatal(dsErr)
	}
	return ds
}

func buildDataset(tb testing.TB) (dataset, error) {
	want := envInt("TRACECTL_BENCH_SPANS", defaultSpans)
	wantBlocks := envInt("TRACECTL_BENCH_BLOCKS", 0)
	name := fmt.Sprintf("tracectl-querybench-%s-%d", datasetFormat, want)
	if wantBlocks > 0 {
		name += fmt.Sprintf("-%dblocks", wantBlocks)
	}
	root := filepath.Join(os.TempDir(), name)
	done := filepath.Join(root, "DONE")
	if b, err := os.ReadFile(done); err == nil {
		var d dataset
		if _, err := fmt.Sscanf(string(b), "%d %d %d", &d.spans, &d.traces, &d.blocks); err == nil {
			d.root = root
			return d, nil
		}
	}
	if err := os.RemoveAll(root); err != nil {
		return dataset{}, err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return dataset{}, err
	}
	base := baseTraces(tb)
	var rss []model.ResourceSpans
	for _, t := range base {
		rss = append(rss, t.ResourceSpans...)
	}
	perCopy := nezha.SpanCount(rss)
	copies := (want + perCopy - 1) / perCopy
	nblocks := max(8, min(copies, 16))
	if wantBlocks > 0 {
		nblocks = wantBlocks
	}
	ctx := context.Background()
	bkt, err := blocks.OpenBucket(ctx, "file://"+root)
	if err != nil {
		return dataset{}, err
	}
	defer bkt.Close()
	st := blocks.NewStore(bkt, tenant)
	d := dataset{root: root}
	// Copies are assigned to blocks in contiguous runs; with fewer copies
	// than blocks, a copy's traces are split across blocks.
	totalTraces := copies * len(base)
	per := (totalTraces + nblocks - 1) / nblocks
	var cur []*model.Trace
	flush := func() error {
		if len(cur) == 0 {
			return nil
		}
		model.SortTraces(cur)
		if _, err := st.WriteBlock(ctx, cur, blocks.WriteOptions{RowGroupBytes: rowGroupBytes}); err != nil {
			return err
		}
		d.blocks++
		cur = nil
		return nil
	}
	for k := 0; k < copies; k++ {
		c, err := nezha.Copy(rss, k, time.Hour)
		if err != nil {
			return dataset{}, err
		}
		for _, t := range nezha.GroupTraces(c) {
			cur = append(cur, t)
			d.traces++
			d.spans += t.SpanCount()
			if len(cur) >= per {
				if err := flush(); err != nil {
					return dataset{}, err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return dataset{}, err
	}
	if err := os.WriteFile(done, fmt.Appendf(nil, "%d %d %d\n", d.spans, d.traces, d.blocks), 0o644); err != nil {
		return dataset{}, err
	}
	return d, nil
}

var queries = []struct{ name, q string }{
	{"service", `{ resource.service.name = "frontend" }`},
	{"attribute", `{ resource.k8s.pod.name = "cartservice-579f59597d-wc2lz" }`},
	{"regex", `{ name =~ ".*Cart.*" }`},
	{"duration", `{ duration > 100ms }`},
	{"structural", `{ resource.service.name = "frontend" } >> { resource.service.name = "cartservice" }`},
	{"aggregate", `{ } | count() > 50`},
}

func openStore(b *testing.B, d dataset) *blocks.Store {
	bkt, err := blocks.OpenBucket(context.Background(), "file://"+d.root)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bkt.Close() })
	st := blocks.NewStore(bkt, tenant)
	if n := envInt("TRACECTL_BENCH_CONCURRENCY", 0); n > 0 {
		st.SetConcurrency(n)
	}
	return st
}

// measure runs f b.N times and reports spans/s and the peak live heap.
func measure(b *testing.B, d dataset, f func() int) {
	runtime.GC()
	b.ResetTimer()
	stop := heapwatch.Start()
	n := 0
	for i := 0; i < b.N; i++ {
		n = f()
	}
	peak := stop()
	b.StopTimer()
	b.ReportMetric(float64(d.spans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(n), "results")
}

func BenchmarkQuery(b *testing.B) {
	d := getDataset(b)
	b.Logf("dataset: %d spans, %d traces, %d blocks in %s", d.spans, d.traces, d.blocks, d.root)
	ctx := context.Background()
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			st := openStore(b, d)
			measure(b, d, func() int {
				res, err := eval.Search(ctx, st, q.q, eval.SearchOptions{Limit: 20})
				if err != nil {
					b.Fatal(err)
				}
				return len(res.Traces)
			})
		})
	}
	// timerange: the service query over the first 30 minutes of the data
	// (what --since does), so block and row-group skipping can act.
	b.Run("timerange", func(b *testing.B) {
		st := openStore(b, d)
		metas, err := st.Blocks(ctx)
		if err != nil {
			b.Fatal(err)
		}
		start := metas[0].StartTime
		for _, m := range metas {
			if m.StartTime.Before(start) {
				start = m.StartTime
			}
		}
		opts := eval.SearchOptions{Limit: 20, Start: start, End: start.Add(30 * time.Minute)}
		measure(b, d, func() int {
			res, err := eval.Search(ctx, st, queries[0].q, opts)
			if err != nil {
				b.Fatal(err)
			}
			return len(res.Traces)
		})
	})
	// fullscan: every trace decoded (all columns), nothing evaluated.
	b.Run("fullscan", func(b *testing.B) {
		st := openStore(b, d)
		measure(b, d, func() int {
			it, err := st.Traces(ctx, store.Request{})
			if err != nil {
				b.Fatal(err)
			}
			defer it.Close()
			spans := 0
			for it.Next() {
				spans += it.At().SpanCount()
			}
			if err := it.Err(); err != nil {
				b.Fatal(err)
			}
			if spans != d.spans {
				b.Fatalf("scanned %d spans, want %d", spans, d.spans)
			}
			return spans
		})
	})
	// fullscan-unordered: every trace decoded (all columns) the way queries
	// scan: blocks independently, memory bounded by the concurrency.
	b.Run("fullscan-unordered", func(b *testing.B) {
		st := openStore(b, d)
		measure(b, d, func() int {
			it, err := st.Traces(ctx, store.Request{Unordered: true})
			if err != nil {
				b.Fatal(err)
			}
			defer it.Close()
			spans := 0
			for it.Next() {
				spans += it.At().SpanCount()
			}
			if err := it.Err(); err != nil {
				b.Fatal(err)
			}
			if spans != d.spans {
				b.Fatalf("scanned %d spans, want %d", spans, d.spans)
			}
			return spans
		})
	})
	// fullscan-query: the match-all query, with a limit that keeps every trace.
	b.Run("fullscan-query", func(b *testing.B) {
		st := openStore(b, d)
		measure(b, d, func() int {
			res, err := eval.Search(ctx, st, `{ }`, eval.SearchOptions{Limit: math.MaxInt32})
			if err != nil {
				b.Fatal(err)
			}
			return len(res.Traces)
		})
	})
}

// BenchmarkMetrics runs TraceQL metrics queries over the whole dataset at
// the default step.
func BenchmarkMetrics(b *testing.B) {
	d := getDataset(b)
	ctx := context.Background()
	st := openStore(b, d)
	metas, err := st.Blocks(ctx)
	if err != nil {
		b.Fatal(err)
	}
	start, end := metas[0].StartTime, metas[0].EndTime
	for _, m := range metas {
		start = minTime(start, m.StartTime)
		if m.EndTime.After(end) {
			end = m.EndTime
		}
	}
	opts := eval.MetricsOptions{Start: start.Add(-time.Second), End: end.Add(time.Second)}
	for _, q := range []struct{ name, q string }{
		{"rate-by-service", `{ } | rate() by (resource.service.name)`},
		{"quantile-p99", `{ } | quantile_over_time(duration, .99)`},
	} {
		b.Run(q.name, func(b *testing.B) {
			st := openStore(b, d)
			measure(b, d, func() int {
				res, err := eval.Metrics(ctx, st, q.q, opts)
				if err != nil {
					b.Fatal(err)
				}
				return len(res.Series)
			})
		})
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
