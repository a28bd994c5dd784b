package redact_test

import (
	"context"
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

// BenchmarkRewrite measures redact end to end on a mem:// bucket: read
// every block, apply the rules, write the changed blocks, delete the old.
func BenchmarkRewrite(b *testing.B) {
	ctx := context.Background()
	var spans int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := newStore(b)
		loadFixtures(b, st, ingest.Options{})
		e, err := redact.Load(rulesFile, redact.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := st.Rewrite(ctx, func(tr *model.Trace) (bool, error) {
			spans += tr.SpanCount()
			return e.Apply(tr), nil
		}, blocks.RewriteOptions{Mark: e.Digest()}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(spans)/b.Elapsed().Seconds(), "spans/s")
}
