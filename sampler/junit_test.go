package sampler

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

// TestJUnit writes the JUnit XML of a passing and a failing test file
// (golden) and reads it back with encoding/xml to check the shape CI
// systems expect.
func TestJUnit(t *testing.T) {
	cfg, err := Parse("policies.yaml", []byte(policiesYAML), "")
	if err != nil {
		t.Fatal(err)
	}
	var j JUnitSuites
	for _, f := range []struct{ name, yaml string }{
		{"pass.test.yaml", `
config: policies.yaml
input_files: [traces.json]
tests:
  - {trace_id: "01", decision: sampled, policy: always}
  - {trace_id: "02", decision: dropped}
`},
		{"fail.test.yaml", `
config: policies.yaml
input_files: [traces.json]
tests:
  - trace_id: "01"
    decision: sampled
  - trace_id: "03"
    decision: not_sampled
    policy: errors
    policies: {re: not_sampled, nope: sampled}
  - trace_id: "99"
    decision: sampled
`},
	} {
		tf, err := ParseTestFile(f.name, []byte(f.yaml))
		if err != nil {
			t.Fatal(err)
		}
		j.Add(f.name, tf, RunTests(cfg, fixtureTraces(), tf))
	}
	var b bytes.Buffer
	if err := j.Write(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "junit.golden", b.String())

	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Cases    []struct {
				Name      string `xml:"name,attr"`
				ClassName string `xml:"classname,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 5 || doc.Failures != 2 || len(doc.Suites) != 2 {
		t.Fatalf("testsuites: %d tests, %d failures, %d suites; want 5, 2, 2", doc.Tests, doc.Failures, len(doc.Suites))
	}
	for i, want := range []struct {
		name            string
		tests, failures int
		failed          []bool
	}{{"pass.test.yaml", 2, 0, []bool{false, false}}, {"fail.test.yaml", 3, 2, []bool{false, true, true}}} {
		s := doc.Suites[i]
		if s.Name != want.name || s.Tests != want.tests || s.Failures != want.failures || len(s.Cases) != want.tests {
			t.Errorf("suite %d: %s %d tests %d failures %d cases, want %+v", i, s.Name, s.Tests, s.Failures, len(s.Cases), want)
			continue
		}
		for k, c := range s.Cases {
			if (c.Failure != nil) != want.failed[k] || c.ClassName != want.name || !strings.HasPrefix(c.Name, "trace ") {
				t.Errorf("%s case %d: %+v", s.Name, k, c)
			}
			if c.Failure != nil && (c.Failure.Message == "" || !strings.Contains(c.Failure.Text, want.name+":")) {
				t.Errorf("%s case %d: failure without message or located text: %+v", s.Name, k, c.Failure)
			}
		}
	}
}
