package zipkin

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// decodeFixture decodes a shared fixture and returns the emitted batches.
func decodeFixture(t *testing.T, rel string, dec codec.Decoder) ([]codec.Batch, error) {
	t.Helper()
	f, err := os.Open(fixtures.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []codec.Batch
	err = dec(rel, f, func(b codec.Batch) error {
		out = append(out, b)
		return nil
	})
	return out, err
}

func decodeString(dec codec.Decoder, in string) ([]codec.Batch, error) {
	var out []codec.Batch
	err := dec("in.json", strings.NewReader(in), func(b codec.Batch) error {
		out = append(out, b)
		return nil
	})
	return out, err
}

type stats struct {
	traces, spans, errors int
	services              []string
}

func statsOf(bs []codec.Batch) stats {
	traces := map[model.TraceID]bool{}
	svcs := map[string]bool{}
	var st stats
	for _, b := range bs {
		for _, rs := range b {
			if n := rs.Resource.ServiceName(); n != "" {
				svcs[n] = true
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					traces[s.TraceID] = true
					st.spans++
					if s.Status.Code == model.StatusError {
						st.errors++
					}
				}
			}
		}
	}
	st.traces = len(traces)
	for s := range svcs {
		st.services = append(st.services, s)
	}
	sort.Strings(st.services)
	return st
}

// spans returns every span with its resource and scope, in emitted order.
func allSpans(bs []codec.Batch) []model.SpanRef {
	var out []model.SpanRef
	for _, b := range bs {
		for i := range b {
			rs := &b[i]
			for j := range rs.ScopeSpans {
				ss := &rs.ScopeSpans[j]
				for k := range ss.Spans {
					out = append(out, model.SpanRef{Resource: &rs.Resource, Scope: &ss.Scope, Span: &ss.Spans[k]})
				}
			}
		}
	}
	return out
}

// findSpan returns the span with the given hex span ID (and kind, if not
// unspecified); it fails the test when there is not exactly one.
func findSpan(t *testing.T, bs []codec.Batch, spanID string) model.SpanRef {
	t.Helper()
	id, err := model.ParseSpanID(spanID)
	if err != nil {
		t.Fatal(err)
	}
	var found []model.SpanRef
	for _, r := range allSpans(bs) {
		if r.Span.SpanID == id {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("span %s: found %d spans, want 1", spanID, len(found))
	}
	return found[0]
}

func attr(attrs []model.Attribute, key string) (model.Value, bool) {
	return model.Find(attrs, key)
}

// dump renders batches as stable text for golden files.
func dump(bs []codec.Batch) string {
	var b strings.Builder
	for i, batch := range bs {
		fmt.Fprintf(&b, "batch %d\n", i)
		for _, rs := range batch {
			fmt.Fprintf(&b, "  resource%s\n", attrsText(rs.Resource.Attributes))
			for _, ss := range rs.ScopeSpans {
				fmt.Fprintf(&b, "    scope %q %q%s\n", ss.Scope.Name, ss.Scope.Version, attrsText(ss.Scope.Attributes))
				for _, s := range ss.Spans {
					fmt.Fprintf(&b, "      span %s %s parent=%s kind=%s name=%q\n", s.TraceID, s.SpanID, s.ParentSpanID, s.Kind, s.Name)
					fmt.Fprintf(&b, "        time %d..%d status=%s %q", s.StartTimeUnixNano, s.EndTimeUnixNano, s.Status.Code, s.Status.Message)
					if s.TraceState != "" {
						fmt.Fprintf(&b, " tracestate=%q", s.TraceState)
					}
					b.WriteString("\n")
					for _, a := range s.Attributes {
						fmt.Fprintf(&b, "        attr %s\n", attrText(a))
					}
					for _, e := range s.Events {
						fmt.Fprintf(&b, "        event %d %q%s\n", e.TimeUnixNano, e.Name, attrsText(e.Attributes))
					}
					for _, l := range s.Links {
						fmt.Fprintf(&b, "        link %s %s%s\n", l.TraceID, l.SpanID, attrsText(l.Attributes))
					}
				}
			}
		}
	}
	return b.String()
}

func attrText(a model.Attribute) string {
	return fmt.Sprintf("%s=%s:%q", a.Key, a.Value.Type, a.Value.AsString())
}

func attrsText(as []model.Attribute) string {
	var b strings.Builder
	for _, a := range as {
		b.WriteString(" ")
		b.WriteString(attrText(a))
	}
	return b.String()
}

// golden compares got with testdata/name.golden, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from decoded output; diff:\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff shows the first differing lines.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, wl, gl)
		}
	}
	return ""
}
