// Package chart draws time series as text charts for terminals.
package chart

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Point is one sample of a series.
type Point struct {
	Time  time.Time
	Value float64
}

// levels are the eighth blocks used for the top cell of a column.
var levels = []rune{' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'}

// Render draws ps as a column chart over [start, end]: width columns, each
// showing the largest value of the points whose time falls in it (empty
// without one), height rows, the y axis labelled with the minimum (or zero)
// and maximum, the x axis with start and end.
func Render(title string, ps []Point, start, end time.Time, width, height int) string {
	var b strings.Builder
	b.WriteString(title)
	b.WriteByte('\n')
	if len(ps) == 0 || width < 1 || height < 1 {
		b.WriteString("  (no samples)\n")
		return b.String()
	}
	cols := group(ps, start, end, width)
	lo, hi := 0.0, math.Inf(-1)
	for _, v := range cols {
		if !math.IsInf(v, -1) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if hi <= lo {
		hi = lo + 1
	}
	top, bottom := format(hi), format(lo)
	pad := max(len(top), len(bottom))
	for row := height - 1; row >= 0; row-- {
		label := ""
		switch row {
		case height - 1:
			label = top
		case 0:
			label = bottom
		}
		fmt.Fprintf(&b, "%*s ┤", pad, label)
		for _, v := range cols {
			if math.IsInf(v, -1) {
				b.WriteRune(' ')
				continue
			}
			eighths := int(math.Round((v - lo) / (hi - lo) * float64(height*8)))
			cell := eighths - row*8
			switch {
			case cell >= 8:
				b.WriteRune(levels[8])
			case cell <= 0 && row == 0:
				b.WriteRune('▁') // a point at the bottom: the baseline
			case cell <= 0:
				b.WriteRune(' ')
			default:
				b.WriteRune(levels[cell])
			}
		}
		b.WriteByte('\n')
	}
	first, last := start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339)
	gap := max(1, len(cols)-len(first)-len(last))
	fmt.Fprintf(&b, "%*s  %s%s%s\n", pad, "", first, strings.Repeat(" ", gap), last)
	return b.String()
}

// group places ps in width columns spanning [start, end] by time, keeping
// the largest value of each column (-Inf: no point).
func group(ps []Point, start, end time.Time, width int) []float64 {
	out := make([]float64, width)
	for i := range out {
		out[i] = math.Inf(-1)
	}
	span := end.Sub(start)
	for _, p := range ps {
		c := 0
		if span > 0 {
			c = int(float64(p.Time.Sub(start)) / float64(span) * float64(width-1))
		}
		c = min(max(c, 0), width-1)
		out[c] = math.Max(out[c], p.Value)
	}
	return out
}

func format(v float64) string { return fmt.Sprintf("%.4g", v) }
