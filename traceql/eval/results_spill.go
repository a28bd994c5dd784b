package eval

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/tracectl/tracectl/internal/spill"
	"github.com/tracectl/tracectl/model"
)

// DefaultSpillAfter is how many results a search keeps in memory before it
// writes the next ones to SearchOptions.SpillDir (about 20 MiB of results).
const DefaultSpillAfter = 32 << 10

// resultRef is a kept result: in memory (tr), or at [off, off+size) of
// the results file. The heap compares start and id only, so a spilled
// result costs its 48 bytes here.
type resultRef struct {
	start uint64
	id    model.TraceID
	tr    *TraceResult
	off   int64
	size  int64
}

// resultFile holds the results a search spilled: records appended as they
// are found (some later dropped from the top Limit, leaving dead bytes),
// read back in rank order by Each. The file is removed as soon as it is
// created where the system allows (its name is gone while it is open), so
// a killed search leaves nothing behind; Close removes it otherwise.
type resultFile struct {
	f       *os.File
	name    string
	removed bool
	size    int64  // bytes written, pending ones included
	pending []byte // records not yet written (write)
	buf     []byte
	strs    spill.Strings
	// mapped, once the search has written every record (mapForReading),
	// is the file mapped into memory: a record is decoded where it lies,
	// without a system call and a copy each (a tenth of the CPU of a
	// search returning every trace of 1M spans). Nil where mapping is not
	// available or failed; reads then use ReadAt.
	mapped []byte
}

func newResultFile(dir string) (*resultFile, error) {
	f, err := os.CreateTemp(dir, "tracectl-results-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("search results: %w", err)
	}
	rf := &resultFile{f: f, name: f.Name()}
	rf.removed = os.Remove(rf.name) == nil
	return rf, nil
}

// write appends t and returns where its record is. Records are buffered
// (resultWriteBuffer bytes): call flush before reading.
func (rf *resultFile) write(t *TraceResult) (off, size int64, err error) {
	n := len(rf.pending)
	rf.pending = appendResult(rf.pending, t)
	off, size = rf.size, int64(len(rf.pending)-n)
	rf.size += size
	if len(rf.pending) >= resultWriteBuffer {
		err = rf.flush()
	}
	return off, size, err
}

// resultWriteBuffer is how many bytes of records are written at once.
const resultWriteBuffer = 1 << 20

// flush writes the buffered records.
func (rf *resultFile) flush() error {
	if len(rf.pending) == 0 {
		return nil
	}
	if _, err := rf.f.WriteAt(rf.pending, rf.size-int64(len(rf.pending))); err != nil {
		return fmt.Errorf("search results: %w", err)
	}
	rf.pending = rf.pending[:0]
	return nil
}

// mapForReading flushes the records and maps the file for read, when the
// system allows; no record may be written after it.
func (rf *resultFile) mapForReading() error {
	if err := rf.flush(); err != nil {
		return err
	}
	if rf.size > 0 && rf.size <= mapResultsBelow {
		if m, err := mapFile(rf.f, rf.size); err == nil {
			rf.mapped = m
		}
	}
	return nil
}

// mapResultsBelow is the largest results file mapForReading maps. Results
// are read in rank order, all over the file, and every page read stays
// in the process's resident memory while the file is mapped: a larger
// file (every trace of 10M spans) is read with ReadAt, so that peak RSS
// stays where the search's own memory puts it.
const mapResultsBelow = 64 << 20

// read returns the result at [off, off+size), decoded into into (a new
// result when into is nil, else one valid until into's next use). The
// decoded result copies what it keeps out of the record.
func (rf *resultFile) read(off, size int64, into *resultMemory) (*TraceResult, error) {
	var data []byte
	if off >= 0 && size >= 0 && off+size <= int64(len(rf.mapped)) {
		data = rf.mapped[off : off+size]
	} else {
		if int64(cap(rf.buf)) < size {
			rf.buf = make([]byte, size)
		}
		rf.buf = rf.buf[:size]
		if _, err := rf.f.ReadAt(rf.buf, off); err != nil {
			return nil, fmt.Errorf("search results: %w", err)
		}
		data = rf.buf
	}
	if into == nil {
		into = &resultMemory{}
	}
	t, err := into.decode(data, &rf.strs)
	if err != nil {
		return nil, fmt.Errorf("search results: record at %d: %w", off, err)
	}
	return t, nil
}

func (rf *resultFile) close() error {
	var err error
	if rf.mapped != nil {
		err = unmapFile(rf.mapped)
		rf.mapped = nil
	}
	err = errors.Join(err, rf.f.Close())
	if !rf.removed {
		err = errors.Join(err, os.Remove(rf.name))
	}
	return err
}

// appendResult encodes a result: every field of TraceResult, in order.
func appendResult(b []byte, t *TraceResult) []byte {
	b = append(b, t.TraceID[:]...)
	b = spill.AppendString(b, t.RootServiceName)
	b = spill.AppendString(b, t.RootTraceName)
	b = spill.AppendUvarint(b, t.StartUnixNano)
	b = spill.AppendUvarint(b, uint64(t.Duration)) //nolint:gosec // durations are not negative
	b = spill.AppendUvarint(b, uint64(len(t.ServiceStats)))
	for _, s := range t.ServiceStats {
		b = spill.AppendString(b, s.Service)
		b = spill.AppendUvarint(b, uint64(s.SpanCount))
		b = spill.AppendUvarint(b, uint64(s.ErrorCount))
	}
	b = spill.AppendUvarint(b, uint64(len(t.SpanSets)))
	for _, ss := range t.SpanSets {
		b = spill.AppendUvarint(b, uint64(ss.Matched)) //nolint:gosec // counts are not negative
		b = spill.AppendAttributes(b, ss.Attributes)
		b = spill.AppendUvarint(b, uint64(len(ss.Spans)))
		for _, sp := range ss.Spans {
			b = append(b, sp.SpanID[:]...)
			b = spill.AppendString(b, sp.Name)
			b = spill.AppendUvarint(b, sp.StartUnixNano)
			b = spill.AppendUvarint(b, uint64(sp.Duration)) //nolint:gosec // durations are not negative
			b = spill.AppendAttributes(b, sp.Attributes)
		}
	}
	return b
}

// decodeResult reads a record of appendResult.
func decodeResult(data []byte, strs *spill.Strings) (*TraceResult, error) {
	return new(resultMemory).decode(data, strs)
}

// resultMemory is the memory of one decoded result, reused by the next
// decode: spans and spansets are taken from slabs.
type resultMemory struct {
	t        TraceResult
	stats    []ServiceStat
	sets     []SpanSetResult
	setPtrs  []*SpanSetResult
	spans    []SpanResult
	spanPtrs []*SpanResult
}

// reset empties m for a result of sets spansets and spans spans in all,
// with room for them: the pointers newSpanSet and newSpan return stay
// valid until the next reset.
func (m *resultMemory) reset(sets, spans int) {
	clear(m.sets)
	clear(m.spans)
	m.sets = slices.Grow(m.sets[:0], sets)
	m.setPtrs = slices.Grow(m.setPtrs[:0], sets)
	m.spans = slices.Grow(m.spans[:0], spans)
	m.spanPtrs = slices.Grow(m.spanPtrs[:0], spans)
}

// newSpanSet returns an empty spanset result: a new one when m is nil,
// else the next of m's (listed in m.setPtrs).
func (m *resultMemory) newSpanSet() *SpanSetResult {
	if m == nil {
		return &SpanSetResult{}
	}
	m.sets = append(m.sets, SpanSetResult{})
	ss := &m.sets[len(m.sets)-1]
	m.setPtrs = append(m.setPtrs, ss)
	return ss
}

// newSpan returns a span result to fill: a new one when m is nil, else
// the next of m's.
func (m *resultMemory) newSpan() *SpanResult {
	if m == nil {
		return &SpanResult{}
	}
	m.spans = append(m.spans, SpanResult{})
	return &m.spans[len(m.spans)-1]
}

// spanList returns an empty list with room for n span pointers: new when
// m is nil, else the rest of m's.
func (m *resultMemory) spanList(n int) []*SpanResult {
	if m == nil {
		return make([]*SpanResult, 0, n)
	}
	l := len(m.spanPtrs)
	m.spanPtrs = m.spanPtrs[:l+n]
	return m.spanPtrs[l : l : l+n]
}

// decode reads a record of appendResult into m; the result is valid until
// the next decode.
func (m *resultMemory) decode(data []byte, strs *spill.Strings) (*TraceResult, error) {
	d := spill.NewDecoder(data, strs)
	clear(m.sets)
	clear(m.spans)
	m.sets, m.setPtrs, m.spans, m.spanPtrs = m.sets[:0], m.setPtrs[:0], m.spans[:0], m.spanPtrs[:0]
	m.t = TraceResult{}
	t := &m.t
	d.Bytes(t.TraceID[:])
	t.RootServiceName = d.String()
	t.RootTraceName = d.String()
	t.StartUnixNano = d.Uvarint()
	t.Duration = time.Duration(d.Uvarint()) //nolint:gosec // written from a Duration
	if n := d.Count(); n > 0 {
		m.stats = slices.Grow(m.stats[:0], n)[:n]
		t.ServiceStats = m.stats
		for i := range t.ServiceStats {
			s := &t.ServiceStats[i]
			s.Service = d.String()
			s.SpanCount = uint32(d.Uvarint())  //nolint:gosec // written from a uint32
			s.ErrorCount = uint32(d.Uvarint()) //nolint:gosec // written from a uint32
		}
	}
	if n := d.Count(); n > 0 {
		for range n {
			m.sets = append(m.sets, SpanSetResult{Matched: int(d.Uvarint())}) //nolint:gosec // written from an int
			ss := &m.sets[len(m.sets)-1]
			m.setPtrs = append(m.setPtrs, ss)
			ss.Attributes = d.Attributes()
			first := len(m.spanPtrs)
			for range d.Count() {
				m.spans = append(m.spans, SpanResult{})
				sp := &m.spans[len(m.spans)-1]
				d.Bytes(sp.SpanID[:])
				sp.Name = d.String()
				sp.StartUnixNano = d.Uvarint()
				sp.Duration = time.Duration(d.Uvarint()) //nolint:gosec // written from a Duration
				sp.Attributes = d.Attributes()
				m.spanPtrs = append(m.spanPtrs, sp)
			}
			ss.Spans = m.spanPtrs[first:len(m.spanPtrs):len(m.spanPtrs)]
			if ss.Spans == nil {
				ss.Spans = []*SpanResult{} // as decoded before: empty, not nil
			}
		}
		t.SpanSets = m.setPtrs[:n:n]
	}
	if err := d.End(); err != nil {
		return nil, err
	}
	return t, nil
}
