package eval_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store/storetest"
	"github.com/tracectl/tracectl/traceql/eval"
)

// wideTrace is one trace of n spans: a root, n/100 mid spans under it and
// the rest spread under the mid spans.
func wideTrace(n int) []*model.Trace {
	spec := storetest.TraceSpec{ID: "beef", Start: t0}
	spec.Spans = append(spec.Spans, storetest.SpanSpec{ID: "1", Service: "root", Name: "root", Duration: time.Second})
	mids := n / 100
	for i := 0; i < mids; i++ {
		spec.Spans = append(spec.Spans, storetest.SpanSpec{ID: fmt.Sprintf("%x", 0x10000+i), Parent: "1", Service: "mid", Name: "mid",
			Offset: time.Duration(i) * time.Microsecond, Duration: time.Millisecond})
	}
	for i := 0; len(spec.Spans) < n; i++ {
		spec.Spans = append(spec.Spans, storetest.SpanSpec{ID: fmt.Sprintf("%x", 0x100000+i), Parent: fmt.Sprintf("%x", 0x10000+i%mids),
			Service: "leaf", Name: "leaf", Offset: time.Duration(i) * time.Microsecond, Duration: time.Microsecond,
			Attrs: []model.Attribute{model.Int("i", int64(i))}})
	}
	return storetest.Build(spec)
}

func BenchmarkSearchWideTrace(b *testing.B) {
	src := storetest.New(wideTrace(50000))
	for _, q := range []string{
		`{ span.i % 7 = 0 }`,
		`{ resource.service.name = "mid" } >> { span.i > 100 }`,
		`{ } ~ { }`,
		`{ } !< { }`,
		`{ } | by(resource.service.name) | count() > 10`,
	} {
		b.Run(q, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := eval.Search(context.Background(), src, q, eval.SearchOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
