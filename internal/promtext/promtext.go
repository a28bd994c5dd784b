// Package promtext holds the value formatting and escaping rules of the
// Prometheus text and OpenMetrics exposition formats, shared by the
// writers of metricsgen and of TraceQL metrics.
package promtext

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Float formats a sample value: the shortest representation, +Inf, -Inf
// or NaN.
func Float(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case math.IsNaN(f):
		return "NaN"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// EscapeLabel escapes a label value (backslash, double quote and newline,
// the only escapes the formats define); invalid UTF-8, which they forbid,
// becomes U+FFFD.
func EscapeLabel(s string) string {
	return labelEscaper.Replace(strings.ToValidUTF8(s, "\uFFFD"))
}

var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

// EscapeHelp escapes the text of a HELP line.
func EscapeHelp(s string) string { return helpEscaper.Replace(s) }

// Writer writes exposition lines in the Prometheus text format (0.0.4:
// what promtool check metrics reads, timestamps in milliseconds) or in
// OpenMetrics 1.0 text (timestamps in seconds, exemplars, "# EOF" at the
// end: what promtool tsdb create-blocks-from openmetrics reads). Write
// errors are kept by the buffer and returned by Close.
type Writer struct {
	w  *bufio.Writer
	om bool
}

// NewWriter returns a Writer on w; openMetrics picks OpenMetrics text.
func NewWriter(w io.Writer, openMetrics bool) *Writer {
	return &Writer{w: bufio.NewWriter(w), om: openMetrics}
}

// OpenMetrics reports whether the writer writes OpenMetrics text.
func (e *Writer) OpenMetrics() bool { return e.om }

// Family starts a metric family: its HELP and TYPE lines, and in
// OpenMetrics its UNIT line when unit is set.
func (e *Writer) Family(name, typ, help, unit string) {
	fmt.Fprintf(e.w, "# HELP %s %s\n", name, EscapeHelp(help))
	fmt.Fprintf(e.w, "# TYPE %s %s\n", name, typ)
	if e.om && unit != "" {
		fmt.Fprintf(e.w, "# UNIT %s %s\n", name, unit)
	}
}

// Exemplar is the span behind a sample, written after it in OpenMetrics
// (the classic format has no exemplars).
type Exemplar struct {
	TraceID, SpanID string
	Value           float64
	Time            time.Time
}

// Sample writes one sample line: name{labels,extra} value [timestamp]
// [# {trace_id="…",span_id="…"} value time]. labels and extra are
// rendered label pairs (either may be empty); a zero ts writes no
// timestamp; ex is written only in OpenMetrics.
func (e *Writer) Sample(name, labels, extra, value string, ts time.Time, ex *Exemplar) {
	w := e.w
	w.WriteString(name)
	if labels != "" || extra != "" {
		w.WriteByte('{')
		w.WriteString(labels)
		if labels != "" && extra != "" {
			w.WriteByte(',')
		}
		w.WriteString(extra)
		w.WriteByte('}')
	}
	w.WriteByte(' ')
	w.WriteString(value)
	if !ts.IsZero() {
		w.WriteByte(' ')
		if e.om {
			w.WriteString(omTime(ts))
		} else {
			w.WriteString(strconv.FormatInt(ts.UnixMilli(), 10))
		}
	}
	if e.om && ex != nil {
		fmt.Fprintf(w, ` # {trace_id="%s",span_id="%s"} %s %s`, ex.TraceID, ex.SpanID, Float(ex.Value), omTime(ex.Time))
	}
	w.WriteByte('\n')
}

// Close ends the exposition ("# EOF" in OpenMetrics) and flushes it,
// returning the first write error.
func (e *Writer) Close() error {
	if e.om {
		e.w.WriteString("# EOF\n")
	}
	return e.w.Flush()
}

// omTime is an OpenMetrics timestamp: seconds, with a fraction when the
// time has one.
func omTime(t time.Time) string {
	ns := t.UnixNano()
	sec, frac := ns/1e9, ns%1e9
	if frac == 0 {
		return strconv.FormatInt(sec, 10)
	}
	return strings.TrimRight(fmt.Sprintf("%d.%09d", sec, frac), "0")
}
