package gen

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/model"
)

// TestShape generates 10,000 traces and checks the promised shape: 5–60
// spans, one root, children inside their parents, the error, slow and PII
// rates, and every service of the topology used.
func TestShape(t *testing.T) {
	const n = 10_000
	g := New(Options{Seed: 1, Services: 20})
	var errTraces, piiTraces, spans int
	minSpans, maxSpans, maxDepth := 1<<30, 0, 0
	services := map[string]bool{}
	var lastStart uint64
	for i := 0; i < n; i++ {
		tr := g.Trace()
		c := tr.SpanCount()
		spans += c
		minSpans, maxSpans = min(minSpans, c), max(maxSpans, c)
		byID := map[model.SpanID]model.Span{}
		failed, pii, roots := false, false, 0
		tr.Spans(func(r model.SpanRef) bool {
			byID[r.Span.SpanID] = *r.Span
			services[r.Resource.ServiceName()] = true
			if r.Span.Status.Code == model.StatusError {
				failed = true
			}
			for _, a := range r.Span.Attributes {
				if a.Key == "user.email" || a.Key == "payment.card_number" {
					pii = true
				}
			}
			if r.Span.ParentSpanID.IsZero() {
				roots++
			}
			return true
		})
		if roots != 1 {
			t.Fatalf("trace %s: %d roots", tr.TraceID, roots)
		}
		for _, s := range byID {
			if s.EndTimeUnixNano < s.StartTimeUnixNano {
				t.Fatalf("span %s ends before it starts", s.SpanID)
			}
			depth := 0
			for p, ok := byID[s.ParentSpanID]; ok; p, ok = byID[p.ParentSpanID] {
				depth++
				if s.Kind != model.KindConsumer && p.Kind != model.KindProducer &&
					(s.StartTimeUnixNano < p.StartTimeUnixNano || s.EndTimeUnixNano > p.EndTimeUnixNano) && depth == 1 {
					t.Fatalf("span %s (%s) is not inside its parent %s (%s)", s.SpanID, s.Name, p.SpanID, p.Name)
				}
			}
			maxDepth = max(maxDepth, depth)
		}
		if failed {
			errTraces++
		}
		if pii {
			piiTraces++
		}
		start, _ := tr.TimeRange()
		if start < lastStart {
			// Roots start in order; a trace's start is its root's.
			t.Fatalf("trace %d starts before the previous one", i)
		}
		lastStart = start
	}
	t.Logf("%d traces, %d spans (%d–%d per trace), depth ≤ %d, %d error traces, %d with PII, %d services",
		n, spans, minSpans, maxSpans, maxDepth, errTraces, piiTraces, len(services))
	if minSpans < 5 || maxSpans > 60 {
		t.Errorf("spans per trace %d–%d, want 5–60", minSpans, maxSpans)
	}
	if maxDepth < 4 {
		t.Errorf("depth ≤ %d: want deeper traces", maxDepth)
	}
	if r := float64(errTraces) / n; r < 0.01 || r > 0.03 {
		t.Errorf("error traces %.2f%%, want 1–3%%", 100*r)
	}
	if r := float64(piiTraces) / n; r < 0.003 || r > 0.02 {
		t.Errorf("PII traces %.2f%%, want about 1%%", 100*r)
	}
	if len(services) < 15 {
		t.Errorf("%d services used of 20", len(services))
	}
}

// TestReproducible: the same seed gives byte-identical OTLP.
func TestReproducible(t *testing.T) {
	encode := func(seed int64) []byte {
		g := New(Options{Seed: seed})
		var ts []*model.Trace
		for i := 0; i < 200; i++ {
			ts = append(ts, g.Trace())
		}
		var b bytes.Buffer
		if err := otlp.EncodeProto(&b, ts); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b, c := encode(7), encode(7), encode(8)
	if !bytes.Equal(a, b) {
		t.Error("seed 7 gave different output twice")
	}
	if bytes.Equal(a, c) {
		t.Error("seeds 7 and 8 gave the same output")
	}
}

func TestLuhn(t *testing.T) {
	g := New(Options{Seed: 3})
	for i := 0; i < 100; i++ {
		card := luhnCard(g.rng)
		sum := 0
		for j := 0; j < 16; j++ {
			v := int(card[15-j] - '0')
			if j%2 == 1 {
				if v *= 2; v > 9 {
					v -= 9
				}
			}
			sum += v
		}
		if len(card) != 16 || sum%10 != 0 {
			t.Fatalf("%s fails the Luhn check", card)
		}
	}
}

// TestWriteFiles writes OTLP files and decodes them back: the spans of
// the generated traces, batched per service.
func TestWriteFiles(t *testing.T) {
	for _, json := range []bool{false, true} {
		dir := t.TempDir()
		sum, err := New(Options{Seed: 2}).WriteFiles(context.Background(), FileOptions{Dir: dir, Spans: 3000, FileSpans: 1000, JSON: json})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Files < 3 || sum.Spans < 3000 || sum.Spans >= 3060 {
			t.Fatalf("json %v: %+v", json, sum)
		}
		want := map[model.TraceID]int{}
		g := New(Options{Seed: 2})
		for n := 0; n < sum.Traces; n++ {
			tr := g.Trace()
			want[tr.TraceID] = tr.SpanCount()
		}
		got := map[model.TraceID]int{}
		files, _ := filepath.Glob(filepath.Join(dir, "traces-*"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var batch codec.Batch
			emit := func(b codec.Batch) error { batch = append(batch, b...); return nil }
			if json {
				err = otlp.DecodeJSON(f, bytes.NewReader(data), emit)
			} else {
				err = otlp.DecodeProto(f, bytes.NewReader(data), emit)
			}
			if err != nil {
				t.Fatal(err)
			}
			services := map[string]bool{}
			for _, rs := range batch {
				svc := rs.Resource.ServiceName()
				if services[svc] {
					t.Errorf("%s: service %s has two ResourceSpans", f, svc)
				}
				services[svc] = true
				for _, ss := range rs.ScopeSpans {
					for _, sp := range ss.Spans {
						got[sp.TraceID]++
					}
				}
			}
		}
		if len(got) != len(want) {
			t.Fatalf("json %v: %d traces in the files, want %d", json, len(got), len(want))
		}
		for id, n := range want {
			if got[id] != n {
				t.Errorf("json %v: trace %s has %d spans in the files, want %d", json, id, got[id], n)
			}
		}
	}
}
