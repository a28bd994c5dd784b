package gen

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/jaeger"
	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/codec/zipkin"
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

// TestWriteFiles writes OTLP protobuf, OTLP JSON and Zipkin v2 files and
// decodes them back: the spans of the generated traces (IDs, parents,
// names, times), batched per service in OTLP.
func TestWriteFiles(t *testing.T) {
	type spanFacts struct {
		parent     model.SpanID
		name       string
		start, end uint64
	}
	for _, format := range Formats {
		dir := t.TempDir()
		sum, err := New(Options{Seed: 2}).WriteFiles(context.Background(), FileOptions{Dir: dir, Spans: 3000, FileSpans: 1000, Format: format})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Files < 3 || sum.Spans < 3000 || sum.Spans >= 3060 {
			t.Fatalf("%s: %+v", format, sum)
		}
		want := map[model.TraceID]map[model.SpanID]spanFacts{}
		g := New(Options{Seed: 2})
		for n := 0; n < sum.Traces; n++ {
			tr := g.Trace()
			want[tr.TraceID] = map[model.SpanID]spanFacts{}
			tr.Spans(func(r model.SpanRef) bool {
				s := r.Span
				want[tr.TraceID][s.SpanID] = spanFacts{s.ParentSpanID, s.Name, s.StartTimeUnixNano, s.EndTimeUnixNano}
				return true
			})
		}
		got := map[model.TraceID]map[model.SpanID]spanFacts{}
		files, _ := filepath.Glob(filepath.Join(dir, "traces-*"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var batch codec.Batch
			emit := func(b codec.Batch) error { batch = append(batch, b...); return nil }
			switch format {
			case codec.FormatOTLPJSON:
				err = otlp.DecodeJSON(f, bytes.NewReader(data), emit)
			case codec.FormatZipkinV2:
				err = zipkin.DecodeV2(f, bytes.NewReader(data), emit)
			case codec.FormatJaegerJSON:
				err = jaeger.DecodeJSON(f, bytes.NewReader(data), emit)
			default:
				err = otlp.DecodeProto(f, bytes.NewReader(data), emit)
			}
			if err != nil {
				t.Fatal(err)
			}
			services := map[string]bool{}
			for _, rs := range batch {
				svc := rs.Resource.ServiceName()
				if services[svc] && format != codec.FormatZipkinV2 && format != codec.FormatJaegerJSON {
					t.Errorf("%s: service %s has two ResourceSpans", f, svc)
				}
				services[svc] = true
				for _, ss := range rs.ScopeSpans {
					for _, s := range ss.Spans {
						if got[s.TraceID] == nil {
							got[s.TraceID] = map[model.SpanID]spanFacts{}
						}
						got[s.TraceID][s.SpanID] = spanFacts{s.ParentSpanID, s.Name, s.StartTimeUnixNano, s.EndTimeUnixNano}
					}
				}
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d traces in the files, want %d", format, len(got), len(want))
		}
		same := func(a, b spanFacts) bool { return a == b }
		near := func(a, b uint64) bool { return max(a, b)-min(a, b) <= 2000 }
		switch format {
		case codec.FormatZipkinV2:
			// Zipkin has microseconds and lowercase span names.
			same = func(a, b spanFacts) bool {
				return a.parent == b.parent && a.name == strings.ToLower(b.name) && near(a.start, b.start) && near(a.end, b.end)
			}
		case codec.FormatJaegerJSON:
			// Jaeger has microseconds.
			same = func(a, b spanFacts) bool {
				return a.parent == b.parent && a.name == b.name && near(a.start, b.start) && near(a.end, b.end)
			}
		}
		for id, spans := range want {
			if !maps.EqualFunc(got[id], spans, same) {
				t.Errorf("%s: trace %s has spans %v in the files, want %v", format, id, got[id], spans)
			}
		}
	}
}
