package nezha

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
)

// Counts from shared/testdata/external/nezha/PROVENANCE.md.
var fileCases = []struct {
	rel                     string
	spans, traces, services int
}{
	{"onlineboutique/construct_2022-08-23_17_00_trace.csv", 22969, 502, 10},
	{"onlineboutique/rca_2022-08-22_03_53_trace.csv", 23019, 497, 10},
	{"onlineboutique/rca_2022-08-22_04_02_trace.csv", 22345, 515, 10},
	{"trainticket/construct_2023-01-29_08_50_trace.csv", 4890, 71, 25},
	{"trainticket/rca_2023-01-29_08_43_trace.csv", 4445, 53, 27},
	{"trainticket/rca_2023-01-29_08_52_trace.csv", 10243, 137, 28},
}

func TestReadCSVFixtures(t *testing.T) {
	if len(fileCases) != len(Files) {
		t.Fatalf("Files has %d entries, the table %d", len(Files), len(fileCases))
	}
	var spans, traces int
	type rowKey struct {
		trace model.TraceID
		span  model.SpanID
	}
	type rowVal struct {
		span model.Span
		pod  string
		file string
	}
	distinct := map[rowKey]rowVal{}
	distinctTraces := map[model.TraceID]bool{}
	for i, tc := range fileCases {
		if Files[i] != tc.rel {
			t.Errorf("Files[%d] = %s, want %s", i, Files[i], tc.rel)
		}
		t.Run(tc.rel, func(t *testing.T) {
			rss, err := ReadCSV(fixtures.Path(t, "nezha/"+tc.rel))
			if err != nil {
				t.Fatal(err)
			}
			services := map[string]bool{}
			kinds := map[model.SpanKind]int{}
			spanTrace := map[model.SpanID]model.TraceID{}
			roots := 0
			for _, rs := range rss {
				svc := rs.Resource.ServiceName()
				pod, _ := model.Find(rs.Resource.Attributes, PodNameKey)
				if svc == "" || !strings.HasPrefix(pod.Str, svc+"-") {
					t.Errorf("resource service.name %q, pod %q", svc, pod.Str)
				}
				services[svc] = true
				for _, s := range rs.ScopeSpans[0].Spans {
					k := rowKey{s.TraceID, s.SpanID}
					if prev, ok := distinct[k]; ok && (prev.span.Name != s.Name || prev.pod != pod.Str ||
						prev.span.StartTimeUnixNano != s.StartTimeUnixNano || prev.span.EndTimeUnixNano != s.EndTimeUnixNano ||
						prev.span.ParentSpanID != s.ParentSpanID) {
						t.Errorf("span %s of trace %s differs from its copy in %s", s.SpanID, s.TraceID, prev.file)
					}
					distinct[k] = rowVal{s, pod.Str, tc.rel}
					distinctTraces[s.TraceID] = true
					kinds[s.Kind]++
					spanTrace[s.SpanID] = s.TraceID
					if s.ParentSpanID.IsZero() {
						roots++
						if s.Kind != model.KindServer {
							t.Errorf("root %s has kind %v", s.SpanID, s.Kind)
						}
					}
				}
			}
			got := GroupTraces(rss)
			if n := SpanCount(rss); n != tc.spans {
				t.Errorf("spans = %d, want %d", n, tc.spans)
			}
			if len(got) != tc.traces {
				t.Errorf("traces = %d, want %d", len(got), tc.traces)
			}
			if roots != tc.traces {
				t.Errorf("roots = %d, want one per trace (%d)", roots, tc.traces)
			}
			if len(services) != tc.services {
				t.Errorf("services = %d, want %d", len(services), tc.services)
			}
			// PROVENANCE: complete traces, no orphans.
			for _, tr := range got {
				tr.Spans(func(r model.SpanRef) bool {
					if p := r.Span.ParentSpanID; !p.IsZero() && spanTrace[p] != tr.TraceID {
						t.Errorf("trace %s: span %s has parent %s outside the trace", tr.TraceID, r.Span.SpanID, p)
					}
					return true
				})
			}
			if kinds[model.KindServer] == 0 || kinds[model.KindClient] == 0 {
				t.Errorf("kinds %v: want both server and client spans", kinds)
			}
			t.Logf("%d spans, %d traces, %d services; kinds: server %d, client %d, unspecified %d",
				tc.spans, len(got), len(services), kinds[model.KindServer], kinds[model.KindClient], kinds[model.KindUnspecified])
			spans += tc.spans
			traces += len(got)
		})
	}
	if !t.Failed() && (spans != TotalSpans || traces != TotalTraces) {
		t.Errorf("totals %d spans, %d traces; want %d, %d", spans, traces, TotalSpans, TotalTraces)
	}
	// Two TrainTicket files share three traces, row for row.
	if len(distinct) != DistinctSpans || len(distinctTraces) != DistinctTraces {
		t.Errorf("distinct: %d spans, %d traces; want %d, %d", len(distinct), len(distinctTraces), DistinctSpans, DistinctTraces)
	}
}

func TestDecode(t *testing.T) {
	const (
		tid  = "01db723f5de73f1e8954a6d76d02e140"
		root = tid + ",ab872b6a0755789d,root,frontend-579b9bff58-t2dbm,Recv,100,300,0\n"
		kid  = tid + ",dc6c7991b9101cf8,ab872b6a0755789d,frontend-579b9bff58-t2dbm,Currency/Get,110,200,0\n"
		srv  = tid + ",00000000000000aa,dc6c7991b9101cf8,currencyservice-5d8c7b9c8b-abcde,Get,120,190,0\n"
		inr  = tid + ",00000000000000bb,00000000000000aa,currencyservice-5d8c7b9c8b-abcde,convert,130,140,0\n"
	)
	rss, err := Decode("x.csv", strings.NewReader(Header+"\n"+root+kid+srv+inr))
	if err != nil {
		t.Fatal(err)
	}
	if len(rss) != 2 {
		t.Fatalf("%d resources, want 2 (one per pod)", len(rss))
	}
	want := []struct {
		service, name string
		kind          model.SpanKind
		start, end    uint64
	}{
		{"frontend", "Recv", model.KindServer, 100, 300},
		{"frontend", "Currency/Get", model.KindClient, 110, 200},
		{"currencyservice", "Get", model.KindServer, 120, 190},
		{"currencyservice", "convert", model.KindUnspecified, 130, 140},
	}
	i := 0
	for _, rs := range rss {
		for _, s := range rs.ScopeSpans[0].Spans {
			w := want[i]
			if rs.Resource.ServiceName() != w.service || s.Name != w.name || s.Kind != w.kind ||
				s.StartTimeUnixNano != w.start || s.EndTimeUnixNano != w.end {
				t.Errorf("span %d: %s %q %v %d..%d, want %+v", i, rs.Resource.ServiceName(), s.Name, s.Kind,
					s.StartTimeUnixNano, s.EndTimeUnixNano, w)
			}
			i++
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	const good = "01db723f5de73f1e8954a6d76d02e140,ab872b6a0755789d,root,frontend-579b9bff58-t2dbm,Recv,100,300,0\n"
	cases := []struct {
		name, in, want string
	}{
		{"empty", "", "x.csv:1: empty file"},
		{"bad header", "TraceID,SpanID\n", "x.csv:1:"},
		{"other header", strings.Replace(Header, "PodName", "Pod", 1) + "\n", `x.csv:1: header is "TraceID,SpanID,ParentID,Pod,`},
		{"field count", Header + "\n" + good + "a,b\n", "x.csv:3:"},
		{"trace id", Header + "\n" + good + strings.Replace(good, "01db", "zzdb", 1), `x.csv:3: trace ID "zzdb`},
		{"zero trace", Header + "\n" + "0,1,root,p-a-b,n,1,2,0\n", "x.csv:2: trace ID \"0\" is all zeros"},
		{"parent", Header + "\n" + strings.Replace(good, "root", "ROOT", 1), "x.csv:2: parent: span ID \"ROOT\""},
		{"start", Header + "\n" + strings.Replace(good, ",100,", ",1e2,", 1), `x.csv:2: StartTimeUnixNano "1e2"`},
		{"end before start", Header + "\n" + strings.Replace(good, ",100,300,", ",300,100,", 1), "x.csv:2: EndTimeUnixNano 100 is before"},
		{"duration", Header + "\n" + strings.Replace(good, ",0\n", ",-1\n", 1), `x.csv:2: column Duration "-1"`},
		{"no pod", Header + "\n" + strings.Replace(good, "frontend-579b9bff58-t2dbm", "", 1), "x.csv:2: PodName is empty"},
		{"repeat", Header + "\n" + good + good, "x.csv:3: span ab872b6a0755789d of trace 01db723f5de73f1e8954a6d76d02e140 repeats line 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode("x.csv", strings.NewReader(tc.in))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v, want prefix %q", err, tc.want)
			}
		})
	}
}

func TestServiceOf(t *testing.T) {
	for pod, want := range map[string]string{
		"frontend-579b9bff58-t2dbm":          "frontend",
		"ts-gateway-service-6f6cfc45b-h5m2n": "ts-gateway-service",
		"redis-cart":                         "redis-cart",
		"solo":                               "solo",
	} {
		if got := ServiceOf(pod); got != want {
			t.Errorf("ServiceOf(%q) = %q, want %q", pod, got, want)
		}
	}
}

func TestCopy(t *testing.T) {
	rss, err := ReadCSV(fixtures.Path(t, "nezha/"+Files[4]))
	if err != nil {
		t.Fatal(err)
	}
	c0, err := Copy(rss, 0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c3, err := Copy(rss, 3, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	orig := GroupTraces(rss)
	t0, t3 := GroupTraces(c0), GroupTraces(c3)
	if len(t3) != len(orig) || SpanCount(c3) != SpanCount(rss) {
		t.Fatalf("copy 3: %d traces %d spans, want %d %d", len(t3), SpanCount(c3), len(orig), SpanCount(rss))
	}
	ids := map[model.TraceID]bool{}
	for i := range orig {
		if t0[i].TraceID != orig[i].TraceID {
			t.Fatalf("copy 0 changed trace %s", orig[i].TraceID)
		}
		ids[orig[i].TraceID] = true
	}
	for i, tr := range t3 {
		if ids[tr.TraceID] {
			t.Fatalf("copy 3 reuses trace ID %s", tr.TraceID)
		}
		// Same shape: every parent is still in the trace; times shifted.
		spans := map[model.SpanID]bool{}
		tr.Spans(func(r model.SpanRef) bool { spans[r.Span.SpanID] = true; return true })
		var origStart uint64
		orig[i].Spans(func(r model.SpanRef) bool { origStart = r.Span.StartTimeUnixNano; return false })
		first := true
		tr.Spans(func(r model.SpanRef) bool {
			if p := r.Span.ParentSpanID; !p.IsZero() && !spans[p] {
				t.Errorf("copy 3, trace %s: parent %s of %s lost", tr.TraceID, p, r.Span.SpanID)
			}
			if first && r.Span.StartTimeUnixNano != origStart+uint64(3*time.Hour) {
				t.Errorf("copy 3, trace %s: start %d, want %d + 3h", tr.TraceID, r.Span.StartTimeUnixNano, origStart)
			}
			first = false
			return true
		})
	}
	// The input is left alone.
	if again := GroupTraces(rss); again[0].TraceID != orig[0].TraceID {
		t.Fatal("Copy changed its input")
	}
}

// Convert's files decode, with the OTLP decoders ingest uses, to the spans
// it says it wrote.
func TestConvert(t *testing.T) {
	csv := fixtures.Path(t, "nezha/"+Files[4])
	for _, f := range []struct {
		format Format
		dec    codec.Decoder
		ext    string
	}{{JSON, otlp.DecodeJSON, ".jsonl"}, {Proto, otlp.DecodeProto, ".pb"}} {
		t.Run(string(f.format), func(t *testing.T) {
			dir := t.TempDir()
			st, err := Convert(dir, []string{csv}, ConvertOptions{Copies: 2, Format: f.format})
			if err != nil {
				t.Fatal(err)
			}
			if st.Spans != 2*4445 || st.Traces != 2*53 {
				t.Fatalf("stats %+v, want %d spans %d traces", st, 2*4445, 2*53)
			}
			b := model.NewTraceBuilder()
			ents, _ := os.ReadDir(dir)
			if len(ents) != st.Files {
				t.Fatalf("%d files in dir, stats say %d", len(ents), st.Files)
			}
			for _, e := range ents {
				if filepath.Ext(e.Name()) != f.ext {
					t.Errorf("file %s", e.Name())
				}
				data, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				err = f.dec(e.Name(), bytes.NewReader(data), func(batch codec.Batch) error {
					for i := range batch {
						b.AddResourceSpans(&batch[i])
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			if b.Spans != st.Spans || b.Duplicates != 0 || b.Len() != st.Traces {
				t.Fatalf("decoded %d spans (%d duplicates) in %d traces, want %d in %d", b.Spans, b.Duplicates, b.Len(), st.Spans, st.Traces)
			}
		})
	}
	// Repeats in the input are written again and counted.
	st, err := Convert(t.TempDir(), []string{csv, csv}, ConvertOptions{})
	if err != nil || st.RepeatedTraces != 53 || st.RepeatedSpans != 4445 {
		t.Fatalf("same file twice: %+v, %v; want 53 traces, 4445 spans repeated", st, err)
	}
}
