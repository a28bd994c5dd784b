// Package traceqltest runs TraceQL search conformance scripts
// (traceql/testdata/search/*.test) against any store.Source. The format is
// documented in README.md beside this file.
//
// Glossary:
//   - Script: a *.test file of load / eval commands with expected results.
//   - Data set: the traces loaded by consecutive `load` lines; every eval
//     that follows runs against one Source built from it.
//   - Case: one `eval` with its expectation lines.
package traceqltest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tracectl/tracectl/codec/input"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/traceql/eval"
)

// OpenFunc builds the Source a data set is queried through.
type OpenFunc func(t *testing.T, traces []*model.Trace) store.Source

// Script is a parsed *.test file.
type Script struct {
	Path  string
	Steps []Step
}

// Step is a data set and the cases run against it.
type Step struct {
	Loads []string // absolute paths of trace files
	// Blocks are absolute paths of block directories (loaded with
	// Options.LoadBlock).
	Blocks []string
	Cases  []*Case
}

// Case is one eval command with its expectations.
type Case struct {
	Line    int
	Query   string
	Opts    eval.SearchOptions
	Ordered bool

	Count    int // -1: not given
	None     bool
	Error    string // expect error substring
	HasError bool
	Traces   []ExpectedTrace
	// SpanAttrs are `attr` lines: span ID -> key -> value text.
	SpanAttrs []ExpectedAttrs
}

// ExpectedAttrs is an `attr <spanID> key=value ...` line: the span is in
// the result and carries these attributes (values compared as text).
type ExpectedAttrs struct {
	SpanID string
	Attrs  [][2]string
}

// ExpectedTrace is an expected matching trace.
type ExpectedTrace struct {
	ID string // normalised hex
	// SpanSets is nil when the spansets are not checked.
	SpanSets []ExpectedSpanSet
}

// ExpectedSpanSet is an expected spanset: span IDs (normalised, sorted)
// and the matched count.
type ExpectedSpanSet struct {
	Spans   []string
	Matched int
}

func (s ExpectedSpanSet) String() string {
	return strings.Join(s.Spans, " ") + " matched=" + strconv.Itoa(s.Matched)
}

// normID lower-cases a hex ID and trims leading zeros.
func normID(s string) string {
	s = strings.TrimLeft(strings.ToLower(s), "0")
	if s == "" {
		return "0"
	}
	return s
}

// ParseFile reads a script.
func ParseFile(path string, fixtureRoot string) (*Script, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := &Script{Path: path}
	var step *Step
	var cur *Case
	lineNo := 0
	errf := func(format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", path, lineNo, fmt.Sprintf(format, args...))
	}
	scan := bufio.NewScanner(f)
	scan.Buffer(make([]byte, 1<<20), 1<<20)
	for scan.Scan() {
		lineNo++
		raw := scan.Text()
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		indented := raw[0] == ' ' || raw[0] == '\t'
		if indented {
			if cur == nil {
				return nil, errf("expectation outside an eval")
			}
			if err := cur.parseExpect(line); err != nil {
				return nil, errf("%v", err)
			}
			continue
		}
		cur = nil
		cmd, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch cmd {
		case "load", "load-block":
			if step == nil || len(step.Cases) > 0 {
				sc.Steps = append(sc.Steps, Step{})
				step = &sc.Steps[len(sc.Steps)-1]
			}
			p := rest
			if strings.HasPrefix(p, "./") {
				p = filepath.Join(filepath.Dir(path), p)
			} else {
				p = filepath.Join(fixtureRoot, filepath.FromSlash(p))
			}
			if cmd == "load-block" {
				step.Blocks = append(step.Blocks, p)
			} else {
				step.Loads = append(step.Loads, p)
			}
		case "eval":
			if step == nil {
				return nil, errf("eval before any load")
			}
			c, err := parseEval(rest)
			if err != nil {
				return nil, errf("%v", err)
			}
			c.Line = lineNo
			step.Cases = append(step.Cases, c)
			cur = c
		default:
			return nil, errf("unknown command %q", cmd)
		}
	}
	if err := scan.Err(); err != nil {
		return nil, err
	}
	for _, st := range sc.Steps {
		for _, c := range st.Cases {
			if !c.HasError && !c.None && c.Count < 0 && len(c.Traces) == 0 && len(c.SpanAttrs) == 0 {
				return nil, fmt.Errorf("%s:%d: eval without expectation", path, c.Line)
			}
		}
	}
	return sc, nil
}

func parseTime(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

func parseEval(rest string) (*Case, error) {
	c := &Case{Count: -1}
	for {
		word, tail, _ := strings.Cut(rest, " ")
		k, v, isOpt := strings.Cut(word, "=")
		if word == "ordered" {
			c.Ordered = true
		} else if isOpt && (k == "limit" || k == "spss" || k == "start" || k == "end") {
			switch k {
			case "limit", "spss":
				n, err := strconv.Atoi(v)
				if err != nil {
					return nil, fmt.Errorf("bad %s: %v", k, err)
				}
				if k == "limit" {
					c.Opts.Limit = n
				} else {
					c.Opts.SpansPerSpanSet = n
				}
			case "start", "end":
				tm, err := parseTime(v)
				if err != nil {
					return nil, fmt.Errorf("bad %s: %v", k, err)
				}
				if k == "start" {
					c.Opts.Start = tm
				} else {
					c.Opts.End = tm
				}
			}
		} else {
			break
		}
		rest = strings.TrimSpace(tail)
	}
	if rest == "" {
		return nil, fmt.Errorf("eval without query")
	}
	c.Query = rest
	return c, nil
}

func (c *Case) parseExpect(line string) error {
	switch {
	case strings.HasPrefix(line, "expect error"):
		c.HasError = true
		c.Error = strings.TrimSpace(strings.TrimPrefix(line, "expect error"))
		return nil
	case strings.HasPrefix(line, "attr "):
		f := strings.Fields(line)
		if len(f) < 3 {
			return fmt.Errorf("attr needs a span ID and key=value pairs")
		}
		if _, err := model.ParseSpanID(f[1]); err != nil {
			return fmt.Errorf("bad span ID %q: %v", f[1], err)
		}
		ea := ExpectedAttrs{SpanID: normID(f[1])}
		for _, kv := range f[2:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("bad attribute %q, want key=value", kv)
			}
			ea.Attrs = append(ea.Attrs, [2]string{k, v})
		}
		c.SpanAttrs = append(c.SpanAttrs, ea)
		return nil
	case line == "none":
		c.None = true
		return nil
	case strings.HasPrefix(line, "count "):
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "count ")))
		if err != nil {
			return fmt.Errorf("bad count: %v", err)
		}
		c.Count = n
		return nil
	}
	id, sets, hasSets := strings.Cut(line, ":")
	id = strings.TrimSpace(id)
	if _, err := model.ParseTraceID(id); err != nil {
		return fmt.Errorf("bad expectation %q: %v", line, err)
	}
	et := ExpectedTrace{ID: normID(id)}
	if hasSets {
		et.SpanSets = []ExpectedSpanSet{}
		for _, part := range strings.Split(sets, ";") {
			var es ExpectedSpanSet
			es.Matched = -1
			for _, w := range strings.Fields(part) {
				if m, ok := strings.CutPrefix(w, "matched="); ok {
					n, err := strconv.Atoi(m)
					if err != nil {
						return fmt.Errorf("bad matched: %v", err)
					}
					es.Matched = n
					continue
				}
				if _, err := model.ParseSpanID(w); err != nil {
					return fmt.Errorf("bad span ID %q: %v", w, err)
				}
				es.Spans = append(es.Spans, normID(w))
			}
			if len(es.Spans) == 0 {
				return fmt.Errorf("empty spanset in %q", line)
			}
			if es.Matched < 0 {
				es.Matched = len(es.Spans)
			}
			sort.Strings(es.Spans)
			et.SpanSets = append(et.SpanSets, es)
		}
		sortSets(et.SpanSets)
	}
	c.Traces = append(c.Traces, et)
	return nil
}

func sortSets(s []ExpectedSpanSet) {
	sort.Slice(s, func(i, j int) bool { return s[i].String() < s[j].String() })
}

// LoadTraces decodes files into traces with nested sets computed.
func LoadTraces(paths []string) ([]*model.Trace, error) {
	return input.DecodeTraces(context.Background(), paths, input.Options{})
}

// Options configures RunWithOptions.
type Options struct {
	// Open builds the Source a data set is queried through.
	Open OpenFunc
	// LoadBlock reads a block directory (`load-block` lines, for example
	// the vParquet4 block written by Tempo) into traces. Data sets that
	// load a block are skipped when it is nil: only a block reader can
	// decode them.
	LoadBlock func(t *testing.T, dir string) []*model.Trace
}

// Run executes every *.test script in dir against sources built by open.
func Run(t *testing.T, dir string, open OpenFunc) {
	t.Helper()
	RunWithOptions(t, dir, Options{Open: open})
}

// RunWithOptions executes every *.test script in dir.
func RunWithOptions(t *testing.T, dir string, opts Options) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.test"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no *.test scripts in %s", dir)
	}
	root, err := fixtures.Dir()
	if err != nil {
		t.Fatalf("shared fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			sc, err := ParseFile(f, root)
			if err != nil {
				t.Fatal(err)
			}
			RunScript(t, sc, opts)
		})
	}
}

// RunScript runs one parsed script.
func RunScript(t *testing.T, sc *Script, opts Options) {
	for i, st := range sc.Steps {
		if len(st.Blocks) > 0 && opts.LoadBlock == nil {
			t.Logf("%s: data set %d loads a block and no block loader is configured: skipped", filepath.Base(sc.Path), i+1)
			continue
		}
		traces, err := LoadTraces(st.Loads)
		if err != nil {
			t.Fatalf("%s: load: %v", sc.Path, err)
		}
		for _, b := range st.Blocks {
			traces = append(traces, opts.LoadBlock(t, b)...)
		}
		src := opts.Open(t, traces)
		for _, c := range st.Cases {
			name := fmt.Sprintf("line%d", c.Line)
			t.Run(name, func(t *testing.T) {
				res, err := eval.Search(context.Background(), src, c.Query, c.Opts)
				if msg := c.Check(res, err); msg != "" {
					t.Errorf("%s:%d: %s\n%s", filepath.Base(sc.Path), c.Line, c.Query, msg)
				}
			})
		}
	}
}

// Check compares a search result with the expectation and describes any
// difference ("" when they agree).
func (c *Case) Check(res *eval.SearchResult, err error) string {
	if c.HasError {
		if err == nil {
			return fmt.Sprintf("expected error containing %q, got %d traces", c.Error, len(res.Traces))
		}
		if !strings.Contains(err.Error(), c.Error) {
			return fmt.Sprintf("expected error containing %q, got %v", c.Error, err)
		}
		return ""
	}
	if err != nil {
		return fmt.Sprintf("unexpected error: %v", err)
	}
	got := map[string]*eval.TraceResult{}
	var gotOrder []string
	for _, tr := range res.Traces {
		id := normID(tr.TraceID.String())
		got[id] = tr
		gotOrder = append(gotOrder, id)
	}
	var b strings.Builder
	if c.None && len(res.Traces) != 0 {
		fmt.Fprintf(&b, "expected no traces, got %v\n", gotOrder)
	}
	if c.Count >= 0 && len(res.Traces) != c.Count {
		fmt.Fprintf(&b, "expected %d traces, got %d: %v\n", c.Count, len(res.Traces), gotOrder)
	}
	var wantOrder []string
	for _, et := range c.Traces {
		wantOrder = append(wantOrder, et.ID)
		tr := got[et.ID]
		if tr == nil {
			fmt.Fprintf(&b, "missing trace %s\n", et.ID)
			continue
		}
		if et.SpanSets == nil {
			continue
		}
		var gs []ExpectedSpanSet
		for _, ss := range tr.SpanSets {
			var es ExpectedSpanSet
			for _, sp := range ss.Spans {
				es.Spans = append(es.Spans, normID(sp.SpanID.String()))
			}
			sort.Strings(es.Spans)
			es.Matched = ss.Matched
			gs = append(gs, es)
		}
		sortSets(gs)
		if !slices.EqualFunc(gs, et.SpanSets, func(a, b ExpectedSpanSet) bool { return a.String() == b.String() }) {
			fmt.Fprintf(&b, "trace %s spansets:\n  got  %v\n  want %v\n", et.ID, gs, et.SpanSets)
		}
	}
	spans := map[string]*eval.SpanResult{}
	for _, tr := range res.Traces {
		for _, ss := range tr.SpanSets {
			for _, sp := range ss.Spans {
				spans[normID(sp.SpanID.String())] = sp
			}
		}
	}
	for _, ea := range c.SpanAttrs {
		sp := spans[ea.SpanID]
		if sp == nil {
			fmt.Fprintf(&b, "attr: span %s is not in the result\n", ea.SpanID)
			continue
		}
		for _, kv := range ea.Attrs {
			v, ok := model.Find(sp.Attributes, kv[0])
			switch {
			case !ok && kv[1] != "<absent>":
				fmt.Fprintf(&b, "attr: span %s has no %s (has %v)\n", ea.SpanID, kv[0], sp.Attributes)
			case ok && v.AsString() != kv[1]:
				fmt.Fprintf(&b, "attr: span %s %s = %q, want %q\n", ea.SpanID, kv[0], v.AsString(), kv[1])
			}
		}
	}
	if c.Count < 0 && !c.None && len(c.Traces) > 0 {
		extra := []string{}
		for _, id := range gotOrder {
			if !slices.Contains(wantOrder, id) {
				extra = append(extra, id)
			}
		}
		if len(extra) > 0 {
			fmt.Fprintf(&b, "unexpected traces %v\n", extra)
		}
	}
	if c.Ordered && !slices.Equal(gotOrder, wantOrder) {
		fmt.Fprintf(&b, "order: got %v, want %v\n", gotOrder, wantOrder)
	}
	return b.String()
}
