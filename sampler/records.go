package sampler

import "bytes"

// recordChunk is how many records one chunk of a records list holds.
const recordChunk = 1 << 14

// records is a list of replay records kept in fixed-size chunks, so that
// growing it never copies (and never holds twice) every record: a replay
// of 10M spans keeps about 800k of them. It sorts by arrival, then ID.
type records struct {
	chunks [][]record
	n      int
}

// add appends r.
func (rs *records) add(r record) {
	if rs.n%recordChunk == 0 {
		rs.chunks = append(rs.chunks, make([]record, 0, recordChunk))
	}
	c := &rs.chunks[len(rs.chunks)-1]
	*c = append(*c, r)
	rs.n++
}

// at returns record i.
func (rs *records) at(i int) *record { return &rs.chunks[i/recordChunk][i%recordChunk] }

func (rs *records) Len() int { return rs.n }

func (rs *records) Less(i, j int) bool {
	a, b := rs.at(i), rs.at(j)
	if a.arrival != b.arrival {
		return a.arrival < b.arrival
	}
	return bytes.Compare(a.id[:], b.id[:]) < 0
}

func (rs *records) Swap(i, j int) {
	a, b := rs.at(i), rs.at(j)
	*a, *b = *b, *a
}
