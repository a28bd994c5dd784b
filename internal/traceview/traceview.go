// Package traceview lays out one trace for people: spans in tree order with
// their depth, and a timeline waterfall like the trace views of Tempo and
// Jaeger.
package traceview

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/tracectl/tracectl/model"
)

// Row is one span in tree order.
type Row struct {
	Depth int
	model.SpanRef
}

// Rows returns the spans of t depth-first, children ordered by start time.
// Spans whose parent is missing (orphans) are listed after the real roots,
// as roots of their own.
func Rows(t *model.Trace) []Row {
	var refs []model.SpanRef
	t.Spans(func(r model.SpanRef) bool { refs = append(refs, r); return true })
	byID := map[model.SpanID][]int{}
	for i, r := range refs {
		byID[r.Span.SpanID] = append(byID[r.Span.SpanID], i)
	}
	parentOf := func(i int) int {
		s := refs[i].Span
		if s.Kind == model.KindServer {
			for _, j := range byID[s.SpanID] {
				if j != i && refs[j].Span.Kind == model.KindClient {
					return j
				}
			}
		}
		if s.ParentSpanID.IsZero() {
			return -1
		}
		best := -1
		for _, j := range byID[s.ParentSpanID] {
			if j != i && (best < 0 || refs[j].Span.Kind == model.KindServer) {
				best = j
			}
		}
		return best
	}
	children := make([][]int, len(refs))
	var roots, orphans []int
	for i := range refs {
		p := parentOf(i)
		switch {
		case p >= 0:
			children[p] = append(children[p], i)
		case refs[i].Span.ParentSpanID.IsZero():
			roots = append(roots, i)
		default:
			orphans = append(orphans, i)
		}
	}
	byStart := func(ix []int) {
		sort.SliceStable(ix, func(a, b int) bool {
			return refs[ix[a]].Span.StartTimeUnixNano < refs[ix[b]].Span.StartTimeUnixNano
		})
	}
	out := make([]Row, 0, len(refs))
	seen := make([]bool, len(refs))
	var walk func(i, depth int)
	walk = func(i, depth int) {
		if seen[i] {
			return
		}
		seen[i] = true
		out = append(out, Row{Depth: depth, SpanRef: refs[i]})
		byStart(children[i])
		for _, c := range children[i] {
			walk(c, depth+1)
		}
	}
	byStart(roots)
	byStart(orphans)
	for _, r := range append(roots, orphans...) {
		walk(r, 0)
	}
	// Spans only reachable through a cycle.
	for i := range refs {
		walk(i, 0)
	}
	return out
}

// Waterfall draws the trace as a timeline: service, indented name, a bar
// scaled to the trace's duration, and the duration. Error spans are marked
// with "!" and drawn with '#' instead of '='.
func Waterfall(w io.Writer, t *model.Trace, barWidth int) error {
	if barWidth < 10 {
		barWidth = 10
	}
	rows := Rows(t)
	start, end := t.TimeRange()
	total := end - start
	labels := make([]string, len(rows))
	svcs := make([]string, len(rows))
	lw, sw := 0, len("service")
	for i, r := range rows {
		labels[i] = strings.Repeat("  ", r.Depth) + r.Span.Name
		svcs[i] = r.Resource.ServiceName()
		lw = max(lw, len([]rune(labels[i])))
		sw = max(sw, len([]rune(svcs[i])))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "trace %s  %d spans  %s\n", t.TraceID, len(rows), fmtDur(total))
	for i, r := range rows {
		s := r.Span
		from, to := 0, barWidth
		if total > 0 {
			from = int(float64(s.StartTimeUnixNano-start) / float64(total) * float64(barWidth))
			to = int(float64(s.StartTimeUnixNano-start+s.Duration()) / float64(total) * float64(barWidth))
		}
		from = min(max(from, 0), barWidth-1)
		to = min(max(to, from+1), barWidth)
		fill, mark := "=", " "
		if s.Status.Code == model.StatusError {
			fill, mark = "#", "!"
		}
		bar := strings.Repeat(" ", from) + strings.Repeat(fill, to-from) + strings.Repeat(" ", barWidth-to)
		fmt.Fprintf(&b, "%s %-*s  %-*s |%s| %s\n", mark, sw, svcs[i], lw, labels[i], bar, fmtDur(s.Duration()))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtDur(ns uint64) string {
	d := time.Duration(ns)
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.String()
	}
}

// FmtDuration renders nanoseconds for people (1.25s, 3.4ms, 850µs).
func FmtDuration(ns uint64) string { return fmtDur(ns) }
