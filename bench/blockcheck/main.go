// Command blockcheck reads every span of every live block in a bucket and
// checks that each trace sits in exactly one block and each span
// (trace ID, span ID, kind) occurs once; it prints block, trace and span
// counts and the data bytes per span, and fails when -want-spans or
// -want-traces is given and differs:
//
//	go run ./bench/blockcheck -bucket file:///tmp/bench-bucket -want-spans 1054932
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/model"
)

func main() {
	bucket := flag.String("bucket", "", "bucket URL (file://, mem://, ...)")
	tenant := flag.String("tenant", "single-tenant", "tenant")
	wantSpans := flag.Int("want-spans", -1, "expected span count (-1: do not check)")
	wantTraces := flag.Int("want-traces", -1, "expected trace count (-1: do not check)")
	flag.Parse()
	if err := run(context.Background(), *bucket, *tenant, *wantSpans, *wantTraces); err != nil {
		fmt.Fprintln(os.Stderr, "blockcheck:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url, tenant string, wantSpans, wantTraces int) error {
	b, err := blocks.OpenBucket(ctx, url)
	if err != nil {
		return err
	}
	defer b.Close()
	st := blocks.NewStore(b, tenant)
	infos, err := st.List(ctx)
	if err != nil {
		return err
	}
	var footerSpans int64
	var size uint64
	traces, spans := 0, 0
	home := map[model.TraceID]string{} // trace -> block holding it
	for _, info := range infos {
		footerSpans += info.Spans
		size += info.Size
		id := info.BlockID.String()
		blk, err := st.OpenBlock(ctx, info.BlockID)
		if err != nil {
			return err
		}
		it, err := blk.Traces(ctx)
		if err != nil {
			return err
		}
		blockTraces, blockSpans := 0, 0
		for it.Next() {
			t := it.At()
			if prev, dup := home[t.TraceID]; dup {
				it.Close()
				return fmt.Errorf("trace %s is in blocks %s and %s", t.TraceID, prev, id)
			}
			home[t.TraceID] = id
			seen := map[model.SpanKey]bool{}
			t.Spans(func(r model.SpanRef) bool {
				k := model.KeyOf(r.Span)
				if seen[k] {
					err = fmt.Errorf("block %s, trace %s: span %s twice", id, t.TraceID, r.Span.SpanID)
					return false
				}
				seen[k] = true
				blockSpans++
				return true
			})
			if err != nil {
				it.Close()
				return err
			}
			blockTraces++
		}
		if err := it.Err(); err != nil {
			it.Close()
			return fmt.Errorf("block %s: %w", id, err)
		}
		it.Close()
		if blockTraces != info.TotalObjects || int64(blockSpans) != info.Spans {
			return fmt.Errorf("block %s: read %d traces, %d spans; meta says %d traces, footer %d spans",
				id, blockTraces, blockSpans, info.TotalObjects, info.Spans)
		}
		traces += blockTraces
		spans += blockSpans
	}
	perSpan := 0.0
	if spans > 0 {
		perSpan = float64(size) / float64(spans)
	}
	fmt.Printf("blocks=%d traces=%d spans=%d data_bytes=%d bytes_per_span=%.2f\n", len(infos), traces, spans, size, perSpan)
	if wantSpans >= 0 && spans != wantSpans {
		return fmt.Errorf("%d spans, want %d", spans, wantSpans)
	}
	if wantTraces >= 0 && traces != wantTraces {
		return fmt.Errorf("%d traces, want %d", traces, wantTraces)
	}
	return nil
}
