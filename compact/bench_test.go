package compact

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/internal/heapwatch"
	"github.com/tracectl/tracectl/model"
)

// BenchmarkCompact merges every block of a bucket into one and reports
// the time, the peak live heap and the bytes per span before and after.
//
// TRACECTL_BENCH_SPANS (default 100000) and TRACECTL_BENCH_BLOCKS
// (default 20) size a synthetic dataset (10-span traces, each block a
// slice of the trace IDs, some traces split over two blocks). When the
// query benchmark's cached dataset for that span count exists
// ($TMPDIR/tracectl-querybench-v1-<spans>, see internal/querybench), a copy
// of it is compacted instead (its block count wins) unless
// TRACECTL_BENCH_SYNTHETIC is set.
// TRACECTL_BENCH_CONCURRENCY sets the store's scan concurrency (blocks
// decoded ahead at once; default GOMAXPROCS). For the figure:
//
//	TRACECTL_BENCH_SPANS=5000000 go test ./compact -run '^$' -bench Compact -benchtime 1x -timeout 60m
func BenchmarkCompact(b *testing.B) {
	spans := envInt("TRACECTL_BENCH_SPANS", 100_000)
	nblocks := envInt("TRACECTL_BENCH_BLOCKS", 20)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		root := b.TempDir()
		tenant := "bench"
		cached := filepath.Join(os.TempDir(), fmt.Sprintf("tracectl-querybench-v1-%d", spans))
		if _, err := os.Stat(filepath.Join(cached, "DONE")); err == nil && os.Getenv("TRACECTL_BENCH_SYNTHETIC") == "" {
			// Copy, never touch the cache in place.
			if out, err := exec.Command("cp", "-a", cached+"/.", root).CombinedOutput(); err != nil {
				b.Fatalf("copy %s: %v: %s", cached, err, out)
			}
		} else {
			writeSynthetic(b, root, tenant, spans, nblocks)
		}
		bkt, err := blocks.OpenBucket(ctx, "file://"+root)
		if err != nil {
			b.Fatal(err)
		}
		st := blocks.NewStore(bkt, tenant)
		st.SetConcurrency(envInt("TRACECTL_BENCH_CONCURRENCY", 0))
		infos, err := st.List(ctx)
		if err != nil {
			b.Fatal(err)
		}
		var inBytes uint64
		var inSpans int64
		for _, bi := range infos {
			inBytes += bi.Size
			inSpans += bi.Spans
		}
		runtime.GC()
		stop := heapwatch.Start()
		b.StartTimer()
		start := time.Now()
		res, err := Run(ctx, st, Options{Window: 1 << 62, MaxInputs: len(infos), CompactedRetention: -1, RowGroupBytes: 16 << 20})
		elapsed := time.Since(start)
		b.StopTimer()
		peak := stop()
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Outputs) != 1 {
			b.Fatalf("%d outputs, want 1", len(res.Outputs))
		}
		out := res.Outputs[0]
		b.ReportMetric(float64(len(infos)), "blocks")
		b.ReportMetric(float64(inSpans), "spans")
		b.ReportMetric(elapsed.Seconds(), "s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(inBytes)/float64(inSpans), "B/span-before")
		b.ReportMetric(float64(out.Meta.Size)/float64(out.Spans), "B/span-after")
		if int64(out.Spans) != inSpans {
			b.Logf("spans: %d in, %d out (duplicates merged)", inSpans, out.Spans)
		}
		bkt.Close()
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// writeSynthetic writes spans spans as 10-span traces over nblocks blocks
// in one hour; every tenth trace of a block is split with the next block.
func writeSynthetic(b *testing.B, root, tenant string, spans, nblocks int) {
	ctx := context.Background()
	bkt, err := blocks.OpenBucket(ctx, "file://"+root)
	if err != nil {
		b.Fatal(err)
	}
	defer bkt.Close()
	st := blocks.NewStore(bkt, tenant)
	traces := spans / 10
	per := (traces + nblocks - 1) / nblocks
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]model.TraceID, traces)
	for i := range ids {
		for j := 0; j < 16; j += 8 {
			v := rng.Uint64()
			for k := 0; k < 8; k++ {
				ids[i][j+k] = byte(v >> (8 * k))
			}
		}
	}
	services := []string{"frontend", "cart", "checkout", "payment", "shipping"}
	split := func(i, blk int) bool { return i%10 == 0 && blk+1 < nblocks }
	addSpans := func(tb *model.TraceBuilder, i, from, to int) {
		start := uint64(base.Add(time.Duration(i) * time.Hour / time.Duration(traces)).UnixNano())
		sc := model.Scope{Name: "bench"}
		for s := from; s < to; s++ {
			res := model.Resource{Attributes: []model.Attribute{model.Str("service.name", services[(i+s)%len(services)]),
				model.Str("k8s.pod.name", fmt.Sprintf("pod-%d", (i+s)%50))}}
			var sid, parent model.SpanID
			sid[0], sid[6], sid[7] = byte(s+1), byte(i>>8), byte(i)
			if s > 0 {
				parent[0], parent[6], parent[7] = 1, byte(i>>8), byte(i)
			}
			tb.AddSpan(&res, "", &sc, "", model.Span{TraceID: ids[i], SpanID: sid, ParentSpanID: parent,
				Name: fmt.Sprintf("op-%d", s), Kind: model.KindServer,
				StartTimeUnixNano: start + uint64(s)*1e5, EndTimeUnixNano: start + uint64(s)*1e5 + uint64(rng.IntN(1e7)),
				Attributes: []model.Attribute{model.Str("http.method", "GET"), model.Int("http.status_code", 200),
					model.Str("user.id", strconv.Itoa(rng.IntN(1000)))}})
		}
	}
	for blk := 0; blk < nblocks; blk++ {
		tb := model.NewTraceBuilder()
		for i := blk * per; i < min((blk+1)*per, traces); i++ {
			if split(i, blk) {
				addSpans(tb, i, 0, 5)
			} else {
				addSpans(tb, i, 0, 10)
			}
		}
		// The second half of the previous block's split traces.
		for i := (blk - 1) * per; blk > 0 && i < blk*per; i++ {
			if split(i, blk-1) {
				addSpans(tb, i, 5, 10)
			}
		}
		if tb.Len() == 0 {
			continue
		}
		if _, err := st.WriteBlock(ctx, tb.Traces(), blocks.WriteOptions{RowGroupBytes: 16 << 20}); err != nil {
			b.Fatal(err)
		}
	}
}
