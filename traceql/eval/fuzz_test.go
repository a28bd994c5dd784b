package eval_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tracectl/tracectl/store/storetest"
	"github.com/tracectl/tracectl/traceql/eval"
	"github.com/tracectl/tracectl/traceql/traceqltest"
)

// FuzzSearch evaluates arbitrary queries over the structural fixture. It
// fails only on panics: parse, validation and evaluation errors are fine.
// Seeds: every eval line of the conformance scripts and traceql/testdata/valid.txt.
func FuzzSearch(f *testing.F) {
	files, _ := filepath.Glob("../testdata/search/*.test")
	for _, file := range files {
		sc, err := traceqltest.ParseFile(file, "")
		if err != nil {
			f.Fatal(err)
		}
		for _, st := range sc.Steps {
			for _, c := range st.Cases {
				f.Add(c.Query)
			}
		}
	}
	for _, q := range readCorpus(f, "../testdata/valid.txt") {
		f.Add(q)
	}
	traces, err := traceqltest.LoadTraces([]string{"../testdata/search/structural.json"})
	if err != nil {
		f.Fatal(err)
	}
	src := storetest.New(traces)
	f.Fuzz(func(t *testing.T, q string) {
		res, err := eval.Search(context.Background(), src, q, eval.SearchOptions{SpansPerSpanSet: 2})
		if err == nil {
			if _, err := res.TempoJSON(); err != nil {
				t.Fatalf("%q: %v", q, err)
			}
		}
	})
}
