package metricsgen

import "time"

// JSON is the -o json document: stable field names for scripts.
type JSON struct {
	Families []JSONFamily `json:"families"`
	Stats    Stats        `json:"stats"`
	Warnings []string     `json:"warnings"`
}

// JSONFamily is a Family in JSON.
type JSONFamily struct {
	Name   string       `json:"name"`
	Type   string       `json:"type"`
	Unit   string       `json:"unit,omitempty"`
	Help   string       `json:"help"`
	Bounds []float64    `json:"bounds,omitempty"`
	Series []JSONSeries `json:"series"`
}

// JSONSeries is a Series in JSON: labels as an object.
type JSONSeries struct {
	Labels map[string]string `json:"labels"`
	Points []JSONPoint       `json:"points"`
}

// JSONPoint is a Point in JSON; Buckets are cumulative, one per bound.
type JSONPoint struct {
	Time    *time.Time `json:"time,omitempty"`
	Value   *float64   `json:"value,omitempty"`
	Count   *uint64    `json:"count,omitempty"`
	Sum     *float64   `json:"sum,omitempty"`
	Buckets []uint64   `json:"buckets,omitempty"`
}

// ToJSON converts res for -o json.
func (res *Result) ToJSON() JSON {
	out := JSON{Families: []JSONFamily{}, Stats: res.Stats, Warnings: res.Warnings}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, f := range res.Families {
		jf := JSONFamily{Name: f.Name, Type: f.Type, Unit: f.Unit, Help: f.Help, Bounds: f.Bounds, Series: []JSONSeries{}}
		if f.Type == Counter {
			jf.Name += "_total"
		}
		for _, s := range f.Series {
			js := JSONSeries{Labels: map[string]string{}}
			for _, l := range s.Labels {
				js.Labels[l.Name] = l.Value
			}
			for _, p := range s.Points {
				jp := JSONPoint{}
				if !p.Time.IsZero() {
					t := p.Time
					jp.Time = &t
				}
				if f.Type == Counter {
					v := p.Value
					jp.Value = &v
				} else {
					c, sum := p.Count, p.Sum
					jp.Count, jp.Sum, jp.Buckets = &c, &sum, p.Buckets
				}
				js.Points = append(js.Points, jp)
			}
			jf.Series = append(jf.Series, js)
		}
		out.Families = append(out.Families, jf)
	}
	return out
}
