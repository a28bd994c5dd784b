package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"reflect"
	"runtime"
	"testing"

	"github.com/tracectl/tracectl/internal/spill"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/store/storetest"
)

// TestSpilledResults runs searches over every fixture and generated trace
// twice, all results in memory and with all but a few spilled to a file:
// Each gives equal results in the same order, WriteTempoJSON the bytes
// an indented encoding of TempoResponse gives, a Limit below the count
// keeps the same best traces, and no file is left in the directory.
func TestSpilledResults(t *testing.T) {
	src := storetest.New(filterCorpus(t))
	queries := []string{`{ }`, `{ status = error } | select(span.http.method, resource.service.name)`,
		`{ } | select(span.user.email, span.http.status_code, span.error)`, `{ kind = server } | by(resource.service.name)`,
		`{ duration > 1ms } | avg(duration) > 2ms`}
	for _, q := range queries {
		for _, limit := range []int{1 << 20, 7} {
			mem, err := Search(context.Background(), src, q, SearchOptions{Limit: limit})
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			if len(mem.Traces) < 5 {
				t.Fatalf("%s: %d results, want a few to spill", q, len(mem.Traces))
			}
			for _, mapped := range []bool{true, false} {
				testSpilledSearch(t, src, q, limit, mem, mapped)
			}
		}
	}
	// No results: the same bytes, "traces": [].
	res, err := Search(context.Background(), src, `{ name = "no such span" }`, SearchOptions{Limit: 1 << 20, SpillDir: t.TempDir(), SpillAfter: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := res.WriteTempoJSON(&got, res.TempoMetrics()); err != nil || !bytes.Contains(got.Bytes(), []byte(`"traces": [],`)) {
		t.Errorf("no results: %v, %s", err, got.String())
	}
}

// testSpilledSearch runs q with spilled results and checks them against
// mem, reading the results file mapped into memory (where the system
// allows it) or, with mapped false, with ReadAt.
func testSpilledSearch(t *testing.T, src store.Source, q string, limit int, mem *SearchResult, mapped bool) {
	t.Helper()
	dir := t.TempDir()
	sp, err := Search(context.Background(), src, q, SearchOptions{Limit: limit, SpillDir: dir, SpillAfter: 3})
	if err != nil {
		t.Fatalf("%s spilled: %v", q, err)
	}
	if mapped && runtime.GOOS != "windows" && sp.file.mapped == nil {
		t.Fatalf("%s: the results file is not mapped", q)
	}
	if !mapped && sp.file.mapped != nil {
		if err := unmapFile(sp.file.mapped); err != nil {
			t.Fatal(err)
		}
		sp.file.mapped = nil
	}
	if sp.Traces != nil || sp.Len() != len(mem.Traces) {
		t.Fatalf("%s limit %d: spilled result holds %d traces in memory, Len %d; want none and %d",
			q, limit, len(sp.Traces), sp.Len(), len(mem.Traces))
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("%s: the results file is visible in the directory: %v", q, names)
	}
	i := 0
	err = sp.Each(func(got *TraceResult) error {
		if want := mem.Traces[i]; !reflect.DeepEqual(normalized(got), normalized(want)) {
			t.Errorf("%s limit %d: result %d\n got %+v\nwant %+v", q, limit, i, got, want)
		}
		i++
		return nil
	})
	if err != nil || i != len(mem.Traces) {
		t.Fatalf("%s: Each: %v after %d results, want %d", q, err, i, len(mem.Traces))
	}
	var want, got bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	m := mem.TempoMetrics()
	m.TotalBlocks = 3
	resp := mem.TempoResponse()
	resp.Metrics = m
	if err := enc.Encode(resp); err != nil {
		t.Fatal(err)
	}
	if err := sp.WriteTempoJSON(&got, m); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("%s limit %d: WriteTempoJSON differs from the encoder:\n%s\nwant\n%s", q, limit, got.String(), want.String())
	}
	if err := sp.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// normalized is t with empty slices as nil, as decoding leaves them.
func normalized(t *TraceResult) TraceResult {
	c := *t
	if len(c.ServiceStats) == 0 {
		c.ServiceStats = nil
	}
	c.SpanSets = nil
	for _, ss := range t.SpanSets {
		s := *ss
		if len(s.Attributes) == 0 {
			s.Attributes = nil
		}
		s.Spans = nil
		for _, sp := range ss.Spans {
			x := *sp
			if len(x.Attributes) == 0 {
				x.Attributes = nil
			}
			s.Spans = append(s.Spans, &x)
		}
		c.SpanSets = append(c.SpanSets, &s)
	}
	return c
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// FuzzDecodeResult: a damaged record is an error, never a panic; a record
// that decodes encodes to one that decodes to the same result (varints
// may have been written longer than needed).
func FuzzDecodeResult(f *testing.F) {
	src := storetest.New(filterCorpus(f))
	res, err := Search(context.Background(), src, `{ } | select(span.http.status_code, span.error)`, SearchOptions{Limit: 5})
	if err != nil {
		f.Fatal(err)
	}
	for _, tr := range res.Traces {
		f.Add(appendResult(nil, tr))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var strs spill.Strings
		tr, err := decodeResult(data, &strs)
		if err != nil {
			return
		}
		enc := appendResult(nil, tr)
		tr2, err := decodeResult(enc, &strs)
		if err != nil {
			t.Fatalf("re-encoded record %x: %v", enc, err)
		}
		if again := appendResult(nil, tr2); !bytes.Equal(again, enc) {
			t.Fatalf("record %x decodes and encodes to %x, want %x", data, again, enc)
		}
	})
}
