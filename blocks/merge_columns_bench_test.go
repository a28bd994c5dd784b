package blocks

import (
	"context"
	"testing"

	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
)

// BenchmarkMerge merges 8 blocks of about 100k generated spans in all into
// one on a file:// bucket, column by column (ColumnMerge) and trace by
// trace (the old merge: every trace decoded and encoded again), for
// blocks of consecutive trace-ID ranges (as one ingest writes them) and
// for blocks whose traces alternate.
//
//	go test ./blocks -run '^$' -bench BenchmarkMerge -benchtime 5x
func BenchmarkMerge(b *testing.B) {
	traces := gen.New(gen.Options{Seed: 21}).Distinct(8000)
	spans := 0
	for _, t := range traces {
		spans += t.SpanCount()
	}
	const inputs = 8
	layouts := []struct {
		name  string
		parts func() [][]*model.Trace
	}{
		{"consecutive", func() [][]*model.Trace {
			var parts [][]*model.Trace
			for i := range inputs {
				parts = append(parts, traces[i*len(traces)/inputs:(i+1)*len(traces)/inputs])
			}
			return parts
		}},
		{"alternating", func() [][]*model.Trace {
			parts := make([][]*model.Trace, inputs)
			for i, t := range traces {
				parts[i%inputs] = append(parts[i%inputs], t)
			}
			return parts
		}},
	}
	ctx := context.Background()
	for _, l := range layouts {
		for _, how := range []string{"columns", "traces"} {
			b.Run(l.name+"/"+how, func(b *testing.B) {
				s := fileStore(b)
				var metas []Meta
				for _, p := range l.parts() {
					m, err := s.WriteBlock(ctx, p, WriteOptions{})
					if err != nil {
						b.Fatal(err)
					}
					metas = append(metas, m)
				}
				for b.Loop() {
					var m Meta
					if how == "columns" {
						res, err := s.ColumnMerge(ctx, metas, WriteOptions{}, 0)
						if err != nil {
							b.Fatal(err)
						}
						m = res.Meta
					} else {
						m = mergeByTraces(b, s, metas)
					}
					b.StopTimer()
					if err := s.DeleteBlock(ctx, m.BlockID); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				b.ReportMetric(float64(spans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
			})
		}
	}
}

// mergeByTraces merges metas into a new block trace by trace, as compact
// does when the inputs share a trace.
func mergeByTraces(b *testing.B, s *Store, metas []Meta) Meta {
	b.Helper()
	ctx := context.Background()
	w, err := NewBlockWriter(ctx, s, WriteOptions{})
	if err != nil {
		b.Fatal(err)
	}
	it := s.TracesOf(ctx, metas)
	defer it.Close()
	for it.Next() {
		if err := w.Add(it.At()); err != nil {
			b.Fatal(err)
		}
	}
	if err := it.Err(); err != nil {
		b.Fatal(err)
	}
	m, err := w.Finish()
	if err != nil {
		b.Fatal(err)
	}
	return m
}
