package redact_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/ingest"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/redact"
)

// BenchmarkApply measures the engine alone with the README's rules (three
// rules, every detector) over the shared fixtures plus the planted PII,
// and reports spans/s. The traces are reused: after the first pass the
// PII is masked, so later passes measure scanning clean data, the common
// case. Run: go test ./redact -run '^$' -bench Apply
func BenchmarkApply(b *testing.B) {
	st := newStore(b)
	loadFixtures(b, st, ingest.Options{})
	traces := readAll(b, st)
	spans := 0
	for _, t := range traces {
		spans += t.SpanCount()
	}
	e, err := redact.Load(rulesFile, redact.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, t := range traces {
			e.Apply(t)
		}
	}
	b.ReportMetric(float64(spans*b.N)/b.Elapsed().Seconds(), "spans/s")
}

// BenchmarkRewrite measures redact end to end on a mem:// bucket, as the
// command runs it: read every block, apply the rules, write the changed
// blocks (column-wise), retire the old.
func BenchmarkRewrite(b *testing.B) {
	ctx := context.Background()
	var spans atomic.Int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := newStore(b)
		loadFixtures(b, st, ingest.Options{})
		e, err := redact.Load(rulesFile, redact.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := rewriteAsCommand(ctx, st, e, &spans); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(spans.Load())/b.Elapsed().Seconds(), "spans/s")
}

// rewriteAsCommand rewrites st's blocks with e as the redact command does:
// a fork of the engine per block, the rules' parts declared (column-wise
// rewrites); spans, when not nil, counts the spans the rules saw.
func rewriteAsCommand(ctx context.Context, st *blocks.Store, e *redact.Engine, spans *atomic.Int64) (*blocks.RewriteResult, error) {
	fork := func() (blocks.RewriteFunc, func()) {
		f := e.Fork()
		return func(tr *model.Trace) (bool, error) {
			if spans != nil {
				spans.Add(int64(tr.SpanCount()))
			}
			return f.Apply(tr), nil
		}, func() { e.Join(f) }
	}
	return st.Rewrite(ctx, nil, blocks.RewriteOptions{Mark: e.Digest(), Fork: fork, Changes: e.Changes()})
}

// BenchmarkRewriteLarge rewrites one block of 20,000 synthetic spans
// (2,000 traces of 10 spans, six attributes each, an e-mail in one span
// of each trace), the per-block costs amortised.
func BenchmarkRewriteLarge(b *testing.B) {
	ctx := context.Background()
	tb := model.NewTraceBuilder()
	res := model.Resource{Attributes: []model.Attribute{model.Str("service.name", "api"), model.Str("host.name", "node-7")}}
	sc := model.Scope{Name: "lib"}
	for i := 0; i < 2000; i++ {
		var id model.TraceID
		id[0], id[1], id[15] = byte(i>>8), byte(i), 1
		for j := 0; j < 10; j++ {
			var sid model.SpanID
			sid[0], sid[7] = byte(j), 1
			sp := model.Span{TraceID: id, SpanID: sid, Name: "GET /items", Kind: model.KindServer,
				StartTimeUnixNano: 1e18 + uint64(i)*1e6, EndTimeUnixNano: 1e18 + uint64(i)*1e6 + 5e5,
				Attributes: []model.Attribute{model.Str("http.method", "GET"), model.Str("http.route", "/items/{id}"),
					model.Int("http.status_code", 200), model.Str("net.peer.name", "cart"), model.Str("user.agent", "Mozilla/5.0 (X11; Linux x86_64)"),
					model.Str("note", "ok")}}
			if j == 3 {
				sp.Attributes[5] = model.Str("note", "contact u"+string(rune('a'+i%26))+"@example.com")
			}
			tb.AddSpan(&res, "", &sc, "", sp)
		}
	}
	traces := tb.Traces()
	var spans atomic.Int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := newStore(b)
		if _, err := st.WriteBlock(ctx, traces, blocks.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		e, err := redact.Load(rulesFile, redact.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := rewriteAsCommand(ctx, st, e, &spans); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(spans.Load())/b.Elapsed().Seconds(), "spans/s")
}
