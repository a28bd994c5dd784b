package sampler

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// JUnit XML for `sample test --junit`: one <testsuite> per test file, one
// <testcase> per expected decision (a tests entry), failing with the
// mismatches of that entry. The shape is the common one CI systems read
// (Jenkins, GitLab, GitHub reporters): testsuites > testsuite >
// testcase > failure.

// JUnitSuites is the document root.
type JUnitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is one test file.
type JUnitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []JUnitCase `xml:"testcase"`
}

// JUnitCase is one expected decision.
type JUnitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *JUnitFailure `xml:"failure,omitempty"`
}

// JUnitFailure holds a case's mismatches: the first in message, all of
// them (with reasons) in the text.
type JUnitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// Add appends the suite of test file file with its result.
func (j *JUnitSuites) Add(file string, tf *TestFile, res TestResult) {
	s := JUnitSuite{Name: file, Tests: len(tf.Tests), Cases: make([]JUnitCase, len(tf.Tests))}
	for i, tc := range tf.Tests {
		name := fmt.Sprintf("trace %s: %s", tc.TraceID, tc.Decision)
		if tc.Policy != nil {
			name += fmt.Sprintf(" by policy %s", quoteOrNone(*tc.Policy))
		}
		s.Cases[i] = JUnitCase{Name: name, ClassName: file, File: file, Line: tc.Line}
	}
	for _, m := range res.Mismatches {
		c := &s.Cases[m.Case]
		if c.Failure == nil {
			c.Failure = &JUnitFailure{Message: fmt.Sprintf("%s: want %s, got %s", m.What, m.Want, m.Got), Type: "mismatch"}
			s.Failures++
		}
		var b strings.Builder
		b.WriteString(c.Failure.Text)
		fmt.Fprintf(&b, "%s:%d: %s\n", file, m.Line, m)
		c.Failure.Text = b.String()
	}
	j.Suites = append(j.Suites, s)
	j.Tests += s.Tests
	j.Failures += s.Failures
}

// Write writes the document with an XML header.
func (j *JUnitSuites) Write(w io.Writer) error {
	if j.Name == "" {
		j.Name = "tracectl sample test"
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(j); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
