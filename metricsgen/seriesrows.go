package metricsgen

import (
	"slices"
	"unsafe"
)

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
	// recent remembers admitted rows by the memory of their label
	// strings (see rowOf).
	recent [256]recentRow
	keyBuf []byte
}

// recentRow is a label set (its strings' data and lengths identify it)
// and its row.
type recentRow struct {
	labels []Label
	row    *seriesRow
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

// rowOf is row for labels, without building their key when the same
// label strings (the same memory: a service name from one dictionary, a
// constant kind) came recently: most spans and edges repeat a few label
// sets, and building and hashing the key took a tenth of metricsgen's
// CPU. Strings with the same data pointer and length are equal, and the
// strings a row remembers stay alive with it, so a hit is the row that
// row would return. Refused label sets are never remembered: the
// limiter counts each of their observations.
func (sr *seriesRows) rowOf(labels []Label) *seriesRow {
	h := uint64(len(labels))
	for _, l := range labels {
		h = h*0x9e3779b97f4a7c15 + uint64(uintptr(unsafe.Pointer(unsafe.StringData(l.Value)))) + uint64(len(l.Value))
	}
	r := &sr.recent[(h^h>>29)%uint64(len(sr.recent))]
	if r.row != nil && sameStrings(r.labels, labels) {
		return r.row
	}
	sr.keyBuf = appendKey(sr.keyBuf[:0], labels)
	row := sr.row(sr.keyBuf, labels)
	if row != sr.overflow {
		r.labels, r.row = append(r.labels[:0], labels...), row
	}
	return row
}

// sameStrings reports whether a and b hold the same strings in the same
// memory.
func sameStrings(a, b []Label) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameString(a[i].Name, b[i].Name) || !sameString(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

func sameString(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
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
func (sr *seriesRows) add(r *seriesRow, i int, step int64, v float64, ex *Exemplar) {
	sr.fams[i].add(sr.series(r, i), step, v, ex)
}

// observe records ns nanoseconds in family i (a histogram) for row r.
func (sr *seriesRows) observe(r *seriesRow, i int, step int64, ns uint64, ex *Exemplar) {
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
