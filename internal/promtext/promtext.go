// Package promtext holds the value formatting and escaping rules of the
// Prometheus text and OpenMetrics exposition formats, shared by the
// writers of metricsgen and of TraceQL metrics.
package promtext

import (
	"math"
	"strconv"
	"strings"
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
