package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/ui"
)

// TestSampleDiffFlags checks sample diff's flag parsing without work.
func TestSampleDiffFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		err  string
	}{
		{"two configs, two processors", []string{"--collector-config", "a.yaml", "--collector-config", "b.yaml", "--processor", "tail_sampling", "--processor", "tail_sampling/v2", "--since", "2h", "--fail-if-changed", "-o", "jsonl"}, ""},
		{"one config", []string{"--collector-config", "a.yaml"}, "--collector-config: give it exactly twice (A, then B), got 1"},
		{"three configs", []string{"--collector-config", "a", "--collector-config", "b", "--collector-config", "c"}, "--collector-config: give it exactly twice (A, then B), got 3"},
		{"three processors", []string{"--collector-config", "a", "--collector-config", "b", "--processor", "x", "--processor", "y", "--processor", "z"}, "--processor: give it at most twice (for A, then B), got 3"},
		{"bad output", []string{"--collector-config", "a", "--collector-config", "b", "-o", "yaml"}, `invalid argument "yaml" for "-o, --output" flag: must be one of table|json|jsonl`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got *sampleDiffOptions
			cmd := newSampleDiffCmd(&globals{io: &ui.IO{}}, func(o *sampleDiffOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			err := cmd.Execute()
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.configs) != 2 || got.configs[1] != "b.yaml" || len(got.processors) != 2 || got.processors[1] != "tail_sampling/v2" ||
				!got.failIfChanged || got.output.value != "jsonl" || got.since != 2*time.Hour {
				t.Fatalf("options = %+v", got)
			}
		})
	}
}

// TestSampleTestJUnit runs `sample test --junit` and reads the report back
// with encoding/xml.
func TestSampleTestJUnit(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"otelcol.yaml": "policies: [{name: errors, type: status_code, status_code: {status_codes: [ERROR]}}]\n",
		"ok.test.yaml": "config: otelcol.yaml\ninput_files: [" + fixtures.Path(t, "jaeger/skills/sibling_errors.json") + "]\ntests:\n" +
			"  - {trace_id: 7c4f1a90b3e84d2f9a6c5e8017b3d264, decision: sampled, policy: errors}\n",
		"bad.test.yaml": "config: otelcol.yaml\ninput_files: [" + fixtures.Path(t, "jaeger/skills/sibling_errors.json") + "]\ntests:\n" +
			"  - {trace_id: 7c4f1a90b3e84d2f9a6c5e8017b3d264, decision: not_sampled}\n  - {trace_id: 7c4f1a90b3e84d2f9a6c5e8017b3d264, decision: sampled}\n",
		// Two failing cases of one trace (one with two mismatches) and
		// a passing one.
		"worse.test.yaml": "config: otelcol.yaml\ninput_files: [" + fixtures.Path(t, "jaeger/skills/sibling_errors.json") + "]\ntests:\n" +
			"  - {trace_id: 7c4f1a90b3e84d2f9a6c5e8017b3d264, decision: not_sampled, policy: slow}\n" +
			"  - {trace_id: 7c4f1a90b3e84d2f9a6c5e8017b3d264, decision: dropped}\n" +
			"  - {trace_id: 7c4f1a90b3e84d2f9a6c5e8017b3d264, decision: sampled}\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "junit.xml")
	code, stdout, stderr := run(t, "sample", "test", filepath.Join(dir, "ok.test.yaml"), filepath.Join(dir, "bad.test.yaml"), "--junit", out)
	if code != exitCheckFailed {
		t.Fatalf("exit %d, want %d (stderr %s)", code, exitCheckFailed, stderr)
	}
	// Headlines count test cases, as the JUnit report does.
	for _, want := range []string{"ok.test.yaml: SUCCESS (1 passed)\n", "bad.test.yaml: FAILED (1 of 2 failed)\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "FAILED: 1 mismatch\n") {
		t.Errorf("stderr: %s", stderr)
	}
	_, stdout, stderr = run(t, "sample", "test", filepath.Join(dir, "worse.test.yaml"))
	if want := "worse.test.yaml: FAILED (2 of 3 failed)\n"; !strings.Contains(stdout, want) || !strings.Contains(stderr, "FAILED: 3 mismatches") {
		t.Errorf("stdout %q, stderr %q: want %q and 3 mismatches", stdout, stderr, want)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if doc.Tests != 3 || doc.Failures != 1 || len(doc.Suites) != 2 || len(doc.Suites[1].Cases) != 2 {
		t.Fatalf("%d tests, %d failures, suites %+v", doc.Tests, doc.Failures, doc.Suites)
	}
	if f := doc.Suites[1].Cases[0].Failure; f == nil || f.Message != "decision: want not_sampled, got sampled" {
		t.Errorf("failing case: %+v", doc.Suites[1].Cases[0])
	}
	if doc.Suites[1].Cases[1].Failure != nil || doc.Suites[0].Cases[0].Failure != nil {
		t.Errorf("passing cases failed: %+v", doc.Suites)
	}
}
