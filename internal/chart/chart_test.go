package chart

import (
	"strings"
	"testing"
	"time"
)

func TestRender(t *testing.T) {
	t0 := time.Date(2026, 8, 19, 9, 40, 0, 0, time.UTC)
	var ps []Point
	for i, v := range []float64{0, 1, 2, 4, 8, 4, 2, 1} {
		ps = append(ps, Point{t0.Add(time.Duration(i) * time.Minute), v})
	}
	got := Render(`{service="a"}`, ps, t0, t0.Add(7*time.Minute), 8, 4)
	want := `{service="a"}
8 ┤    █   
  ┤    █   
  ┤   ███  
0 ┤▁▄█████▄
   2026-08-19T09:40:00Z 2026-08-19T09:47:00Z
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Wider series are grouped by maximum into the width.
	var many []Point
	for i := 0; i < 100; i++ {
		many = append(many, Point{t0.Add(time.Duration(i) * time.Second), float64(i % 10)})
	}
	lines := strings.Split(Render("x", many, t0, t0.Add(99*time.Second), 20, 3), "\n")
	if w := len([]rune(lines[1])) - len([]rune("9 ┤")); w != 20 {
		t.Errorf("chart is %d columns wide, want 20:\n%s", w, strings.Join(lines, "\n"))
	}
	// A sparse series leaves empty columns where it has no point.
	sparse := Render("s", []Point{{t0, 5}, {t0.Add(9 * time.Minute), 5}}, t0, t0.Add(9*time.Minute), 10, 1)
	if !strings.Contains(sparse, "5 ┤█        █\n") {
		t.Errorf("sparse series:\n%s", sparse)
	}
	if !strings.Contains(Render("empty", nil, t0, t0, 10, 3), "(no samples)") {
		t.Error("empty series not reported")
	}
}
