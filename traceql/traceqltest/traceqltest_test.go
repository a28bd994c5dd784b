package traceqltest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/traceql/eval"
)

func writeScript(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.test")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseFile(t *testing.T) {
	p := writeScript(t, `# comment
load ./a.json
load jaeger/x.json
eval limit=2 spss=1 start=100 end=2025-01-01T00:00:00Z ordered { .a = 1 } | count() > 1
    0ab: 01 2 matched=5 ; 3
    cd
eval { }
    expect error boom
load ./b.json
eval { }
    count 3
eval { }
    none
`)
	sc, err := ParseFile(p, "/fixtures")
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Steps) != 2 || len(sc.Steps[0].Cases) != 2 || len(sc.Steps[1].Cases) != 2 {
		t.Fatalf("steps: %+v", sc.Steps)
	}
	if got := sc.Steps[0].Loads; got[0] != filepath.Join(filepath.Dir(p), "a.json") || got[1] != "/fixtures/jaeger/x.json" {
		t.Errorf("loads: %v", got)
	}
	c := sc.Steps[0].Cases[0]
	if c.Query != "{ .a = 1 } | count() > 1" || c.Opts.Limit != 2 || c.Opts.SpansPerSpanSet != 1 || !c.Ordered ||
		!c.Opts.Start.Equal(time.Unix(100, 0)) || c.Opts.End.Year() != 2025 || c.Line != 4 {
		t.Errorf("case: %+v", c)
	}
	if len(c.Traces) != 2 || c.Traces[0].ID != "ab" || c.Traces[1].SpanSets != nil {
		t.Fatalf("traces: %+v", c.Traces)
	}
	sets := c.Traces[0].SpanSets
	if len(sets) != 2 || sets[0].String() != "1 2 matched=5" || sets[1].String() != "3 matched=1" {
		t.Errorf("spansets: %v", sets)
	}
	if !sc.Steps[0].Cases[1].HasError || sc.Steps[0].Cases[1].Error != "boom" {
		t.Errorf("error case: %+v", sc.Steps[0].Cases[1])
	}
	if sc.Steps[1].Cases[0].Count != 3 || !sc.Steps[1].Cases[1].None {
		t.Errorf("count/none: %+v %+v", sc.Steps[1].Cases[0], sc.Steps[1].Cases[1])
	}
}

func TestParseFileErrors(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"eval { }\n    none\n", ":1: eval before any load"},
		{"load x\n    none\n", ":2: expectation outside an eval"},
		{"load x\neval { }\n", ":2: eval without expectation"},
		{"load x\neval { }\n    zz: 1\n", ":3: bad expectation"},
		{"load x\neval { }\n    ab: q\n", ":3: bad span ID"},
		{"load x\nfrobnicate\n", ":2: unknown command"},
		{"load x\neval limit=x { }\n", ":2: bad limit"},
	} {
		_, err := ParseFile(writeScript(t, tt.text), "/f")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want %q", tt.text, err, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	id := func(s string) model.TraceID { v, _ := model.ParseTraceID(s); return v }
	sid := func(s string) model.SpanID { v, _ := model.ParseSpanID(s); return v }
	res := &eval.SearchResult{Traces: []*eval.TraceResult{
		{TraceID: id("b"), SpanSets: []*eval.SpanSetResult{{Matched: 4, Spans: []*eval.SpanResult{{SpanID: sid("1")}, {SpanID: sid("2")}}}}},
		{TraceID: id("a")},
	}}
	for _, tt := range []struct {
		expect string
		ok     bool
	}{
		{"b: 2 1 matched=4\na", true},
		{"b\na", true},
		{"count 2", true},
		{"ordered:b\na", true},
		{"ordered:a\nb", false},
		{"b: 1 2\na", false}, // matched defaults to the listed count
		{"b: 1 matched=4\na", false},
		{"b", false}, // a is unexpected
		{"b\na\nc", false},
		{"count 1", false},
		{"none", false},
		{"expect error x", false},
	} {
		c := &Case{Count: -1}
		lines := tt.expect
		if rest, ok := strings.CutPrefix(lines, "ordered:"); ok {
			c.Ordered, lines = true, rest
		}
		for _, l := range strings.Split(lines, "\n") {
			if err := c.parseExpect(l); err != nil {
				t.Fatal(err)
			}
		}
		if msg := c.Check(res, nil); (msg == "") != tt.ok {
			t.Errorf("%q: ok=%v, message %q", tt.expect, tt.ok, msg)
		}
	}
}
