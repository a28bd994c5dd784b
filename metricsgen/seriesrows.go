package metricsgen

import "slices"

// seriesRows finds, with one map lookup per observation, the series a
// label set has in each of several families recorded together (span
// metrics' calls and latency, the service graph's five families), and
// asks the --max-series limiter once per admitted label set.
type seriesRows struct {
	fams []*familyAcc
	lim  *limiter
	// rows holds the admitted label sets by key; refused ones are not
	// kept (there may be millions), they share overflow.
	rows     map[string]*seriesRow
	overflow *seriesRow
}

// seriesRow is one label set's series in each family, each made on its
// first observation (a family without one has no series for it).
type seriesRow struct {
	key    []byte
	labels []Label
	series []*seriesAcc
}

func newSeriesRows(lim *limiter, fams ...*familyAcc) *seriesRows {
	return &seriesRows{fams: fams, lim: lim, rows: map[string]*seriesRow{}}
}

// row returns the row to record labels (whose key is key) under: its own,
// or the overflow row once the limiter refuses it.
func (sr *seriesRows) row(key []byte, labels []Label) *seriesRow {
	if r := sr.rows[string(key)]; r != nil {
		return r
	}
	if !sr.lim.allows(key, labels) {
		if sr.overflow == nil {
			sr.overflow = sr.newRow(overflowKey, overflowLabels)
		}
		return sr.overflow
	}
	r := sr.newRow(key, labels)
	sr.rows[string(key)] = r
	return r
}

func (sr *seriesRows) newRow(key []byte, labels []Label) *seriesRow {
	return &seriesRow{key: slices.Clone(key), labels: slices.Clone(labels), series: make([]*seriesAcc, len(sr.fams))}
}

// add counts v on family i (a counter) for row r.
func (sr *seriesRows) add(r *seriesRow, i int, step int64, v float64, ex Exemplar) {
	sr.fams[i].add(sr.series(r, i), step, v, ex)
}

// observe records ns nanoseconds in family i (a histogram) for row r.
func (sr *seriesRows) observe(r *seriesRow, i int, step int64, ns uint64, ex Exemplar) {
	sr.fams[i].observe(sr.series(r, i), step, ns, ex)
}

func (sr *seriesRows) series(r *seriesRow, i int) *seriesAcc {
	s := r.series[i]
	if s == nil {
		s = sr.fams[i].seriesOf(r.key, r.labels)
		r.series[i] = s
	}
	return s
}
