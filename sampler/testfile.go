package sampler

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// TestFile is a policy test file (promtool's "test rules" model): a
// config, input trace files and the expected decision per trace.
//
//	config: otelcol.yaml            # relative to the test file
//	processor: tail_sampling/main   # optional
//	input_files: [traces.json]      # OTLP, Jaeger or Zipkin files
//	tests:
//	  - trace_id: 4bf92f3577b34da6a3ce929d0e0e4736
//	    decision: sampled           # sampled | not_sampled | dropped
//	    policy: errors              # optional: the deciding policy
//	    policies:                   # optional: votes of single policies or sub-policies
//	      slow: not_sampled
type TestFile struct {
	Config     string     `yaml:"config"`
	Processor  string     `yaml:"processor"`
	InputFiles []string   `yaml:"input_files"`
	Tests      []TestCase `yaml:"tests"`
	// Dir is the test file's directory; Config and InputFiles are
	// relative to it.
	Dir string `yaml:"-"`
}

// TestCase is the expected outcome for one trace.
type TestCase struct {
	TraceID  string            `yaml:"trace_id"`
	Decision string            `yaml:"decision"`
	Policy   *string           `yaml:"policy"`
	Policies map[string]string `yaml:"policies"`
	Line     int               `yaml:"-"`
	Col      int               `yaml:"-"`
	node     *yaml.Node        // the case as written, for its values' positions
}

// ParseTestFile reads a test file; unknown fields are errors.
func ParseTestFile(file string, data []byte) (*TestFile, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var tf TestFile
	if err := dec.Decode(&tf); err != nil {
		return nil, yamlError(file, err)
	}
	var doc yaml.Node
	_ = yaml.Unmarshal(data, &doc)
	if len(doc.Content) > 0 {
		if tests := lookup(doc.Content[0], "tests"); tests != nil {
			for i, n := range tests.Content {
				if i < len(tf.Tests) {
					tf.Tests[i].Line, tf.Tests[i].Col, tf.Tests[i].node = n.Line, n.Column, n
				}
			}
		}
	}
	var errs ErrorList
	if tf.Config == "" {
		errs = append(errs, &Error{File: file, Msg: "config: required"})
	}
	if len(tf.InputFiles) == 0 {
		errs = append(errs, &Error{File: file, Msg: "input_files: required"})
	}
	for _, tc := range tf.Tests {
		// at reports at the value of the case's field path (the case
		// itself when a key is missing).
		at := func(path []string, msg string, args ...any) {
			line, col := tc.Line, tc.Col
			n := tc.node
			for _, k := range path {
				if n == nil || n.Kind != yaml.MappingNode {
					n = nil
					break
				}
				n = lookup(n, k)
			}
			if n != nil {
				line, col = n.Line, n.Column
			}
			errs = append(errs, &Error{File: file, Line: line, Col: col, Msg: fmt.Sprintf(msg, args...)})
		}
		if _, err := model.ParseTraceID(tc.TraceID); err != nil {
			at([]string{"trace_id"}, "%v", err)
		}
		if _, err := ParseVote(tc.Decision); err != nil {
			at([]string{"decision"}, "decision: %v", err)
		}
		for p, v := range tc.Policies {
			if _, err := ParseVote(v); err != nil {
				at([]string{"policies", p}, "policies.%s: %v", p, err)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	tf.Dir = filepath.Dir(file)
	return &tf, nil
}

// Path resolves a path of the test file.
func (tf *TestFile) Path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(tf.Dir, p)
}

// Mismatch is one expectation that did not hold.
type Mismatch struct {
	TraceID string
	Case    int // index in TestFile.Tests
	Line    int
	What    string // "decision", "policy" or "policies.NAME"
	Want    string
	Got     string
	Reason  string
}

func (m Mismatch) String() string {
	s := fmt.Sprintf("trace %s (line %d): %s: want %s, got %s", m.TraceID, m.Line, m.What, m.Want, m.Got)
	if m.Reason != "" {
		s += " (" + m.Reason + ")"
	}
	return s
}

// TestResult is the outcome of running a test file.
type TestResult struct {
	Cases      int
	Mismatches []Mismatch
}

// RunTests replays all traces on the simulated clock, as Replay does (so
// limiters and num_traces see every input trace), and compares the
// decisions of the traces named by the test cases.
func RunTests(cfg *Config, traces []*model.Trace, tf *TestFile) TestResult {
	byID := make(map[model.TraceID]*model.Trace, len(traces))
	for _, t := range traces {
		byID[t.TraceID] = t
	}
	live := map[model.TraceID]*model.Trace{}
	for _, tc := range tf.Tests {
		if id, err := model.ParseTraceID(tc.TraceID); err == nil && byID[id] != nil {
			live[id] = byID[id]
		}
	}
	decisions := map[model.TraceID]Decision{}
	_, _ = replay(context.Background(), store.NewSliceIterator(traces), cfg, Options{Explain: live,
		OnDecision: func(_ *model.Trace, d *Decision) error {
			if live[d.TraceID] != nil {
				decisions[d.TraceID] = *d
			}
			return nil
		}})
	res := TestResult{Cases: len(tf.Tests)}
	for i, tc := range tf.Tests {
		id, _ := model.ParseTraceID(tc.TraceID)
		miss := func(what, want, got, reason string) {
			res.Mismatches = append(res.Mismatches, Mismatch{TraceID: id.String(), Case: i, Line: tc.Line, What: what, Want: want, Got: got, Reason: reason})
		}
		t := byID[id]
		if t == nil {
			miss("trace", "present", "not in the input files", "")
			continue
		}
		d := decisions[id]
		want, _ := ParseVote(tc.Decision)
		if d.Final != want {
			got := d.Final.String()
			if d.Evicted {
				got += " (evicted before decision)"
			}
			miss("decision", want.String(), got, summary(&d))
		}
		if tc.Policy != nil && *tc.Policy != d.Policy {
			miss("policy", quoteOrNone(*tc.Policy), quoteOrNone(d.Policy), summary(&d))
		}
		names := make([]string, 0, len(tc.Policies))
		for p := range tc.Policies {
			names = append(names, p)
		}
		sort.Strings(names)
		for _, p := range names {
			w, _ := ParseVote(tc.Policies[p])
			got := findVote(d.Votes, p)
			switch {
			case got == nil && d.Evicted:
				miss("policies."+p, w.String(), "not evaluated (evicted before decision)", "")
			case got == nil:
				miss("policies."+p, w.String(), "no such policy", "")
			case got.Skipped:
				miss("policies."+p, w.String(), "not evaluated", "")
			case got.Vote != w:
				miss("policies."+p, w.String(), got.Vote.String(), got.Reason)
			}
		}
	}
	return res
}

// findVote finds a policy's vote by name, top-level policies first, then
// sub-policies depth first (sub-policy names need not be unique).
func findVote(vs []PolicyVote, name string) *PolicyVote {
	for i := range vs {
		if vs[i].Policy == name {
			return &vs[i]
		}
	}
	for i := range vs {
		if v := findVote(vs[i].Subs, name); v != nil {
			return v
		}
	}
	return nil
}

func quoteOrNone(s string) string {
	if s == "" {
		return "none"
	}
	return fmt.Sprintf("%q", s)
}

// summary is a one-line account of a decision: the deciding policy's
// reason, or every policy's.
func summary(d *Decision) string {
	if d.Evicted {
		return evictedReason(d)
	}
	var parts []string
	for _, v := range d.Votes {
		if v.Skipped {
			continue
		}
		if d.Policy == "" || v.Policy == d.Policy {
			parts = append(parts, fmt.Sprintf("%q: %s", v.Policy, v.Reason))
		}
	}
	return strings.Join(parts, "; ")
}

// evictedReason says why an evicted trace has no decision.
func evictedReason(d *Decision) string {
	return fmt.Sprintf("evicted from the num_traces table (%d traces) at %s when trace %s arrived, before its decision due at %s: the Collector discards its spans undecided",
		d.Table, d.At.Format(time.RFC3339Nano), d.EvictedBy, d.Due.Format(time.RFC3339Nano))
}

// Explain renders a decision as a tree: the verdict, then one line per
// policy with its vote and reason, sub-policies indented under theirs.
func Explain(d *Decision) string {
	var b strings.Builder
	verdict := "keep"
	if !d.Kept() {
		verdict = "drop"
	}
	fmt.Fprintf(&b, "trace %s: %s (%s", d.TraceID, verdict, d.Final)
	switch {
	case d.Evicted:
		b.WriteString(", evicted before decision)\n  ")
		b.WriteString(evictedReason(d))
		b.WriteString("\n")
		return b.String()
	case d.Policy != "":
		fmt.Fprintf(&b, " by policy %q", d.Policy)
	}
	b.WriteString(")\n")
	var tree func(vs []PolicyVote, indent string)
	tree = func(vs []PolicyVote, indent string) {
		for _, v := range vs {
			mark := v.Vote.String()
			if v.Skipped {
				mark = "skipped"
			}
			fmt.Fprintf(&b, "%s%-12s %q (%s): %s\n", indent, mark, v.Policy, v.Type, v.Reason)
			tree(v.Subs, indent+"  ")
		}
	}
	tree(d.Votes, "  ")
	return b.String()
}
