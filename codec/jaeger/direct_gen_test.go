package jaeger_test

import (
	"bytes"
	"io"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/jaeger"
	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
)

// Generated traces written as the Jaeger UI exports them (every kind,
// status, scope, event and link that gen makes) decode to the same model
// with or without the translator.
func TestDirectGeneratedAsTranslator(t *testing.T) {
	in, traces, _ := generated(t, gen.Options{Seed: 7, ErrorRate: 0.2, SlowRate: 0.1, PIIRate: 0.1}, 20000)
	var got, want []codec.Batch
	if err := jaeger.DecodeJSON("gen.json", bytes.NewReader(in.Bytes()), func(b codec.Batch) error { got = append(got, b); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := jaeger.DecodeJSONTranslated("gen.json", bytes.NewReader(in.Bytes()), func(b codec.Batch) error { want = append(want, b); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(want) != traces {
		t.Fatalf("%d batches, want %d", len(want), traces)
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("batches differ (-translated +direct):\n%s", cmp.Diff(want, got))
	}
}

// BenchmarkDecodeJSON decodes 50,000 generated spans written as a query-API
// response: DecodeJSON, and the roads it replaced as references.
func BenchmarkDecodeJSON(b *testing.B) {
	in, _, spans := generated(b, gen.Options{Seed: 1}, 50000)
	for _, bc := range []struct {
		name   string
		decode func(string, io.Reader, codec.EmitFunc) error
	}{
		{"DecodeJSON", jaeger.DecodeJSON},
		{"translated", jaeger.DecodeJSONTranslated},
		{"walked-translated", jaeger.DecodeJSONWalked},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(in.Len()))
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.decode("gen.json", bytes.NewReader(in.Bytes()), func(codec.Batch) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(spans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
		})
	}
}

// generated writes at least n generated spans as a query-API response and
// returns it with the number of traces and spans.
func generated(tb testing.TB, opts gen.Options, n int) (in *bytes.Buffer, traces, spans int) {
	tb.Helper()
	g := gen.New(opts)
	var ts []*model.Trace
	for spans < n {
		tr := g.Trace()
		ts = append(ts, tr)
		spans += tr.SpanCount()
	}
	in = &bytes.Buffer{}
	if err := jaeger.EncodeUI(in, ts); err != nil {
		tb.Fatal(err)
	}
	return in, len(ts), spans
}
