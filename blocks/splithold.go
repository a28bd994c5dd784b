package blocks

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/tracectl/tracectl/model"
)

// An unordered scan, a count or an aggregation holds the parts of a split
// trace from the row group it reads first to the one holding its last
// part (see scan.go). Over blocks that follow each other in time that is
// a few traces; over blocks that each hold every trace of the same span
// of time (the same files ingested twice; Tempo's blocks before
// compaction, each trace in as many as its replication factor) it is
// every trace of the blocks read first: 1 GiB for two ingests of 1M
// spans. The split-trace pass estimates that peak from where each part
// is and the order the row groups are read in; where the parts would
// take more than the ordered merge, which reads the blocks side by side,
// that merge is used instead (preferOrdered).

// maxHeldSplitBytes is the encoded bytes of split-trace parts an
// unordered read may hold at once (estimated by heldSplits) whatever the
// ordered merge would cost (a variable for tests).
var maxHeldSplitBytes int64 = 10 << 20

// heldExpansion: a part, built, takes about ten times its encoded size.
const heldExpansion = 10

// mergeBytesPerBlock is about what the ordered merge holds for each block
// it reads side by side: 825 MiB over 200 small blocks (a variable for
// tests).
var mergeBytesPerBlock int64 = 4 << 20

// preferOrdered reports whether the ordered merge of blocks should read
// instead of an unordered read holding an estimated peak of encoded
// split-trace parts: past maxHeldSplitBytes, when the parts built would
// take more than the merge, which reads the blocks side by side (over 201
// blocks, 31 MiB of parts, 18 held in fact, cost less than the merge).
func preferOrdered(peak int64, blocks int) bool {
	return peak > maxHeldSplitBytes && heldExpansion*peak > mergeBytesPerBlock*int64(blocks)
}

// heldSplits estimates the bytes of split-trace parts an unordered read
// holds at once. Each part counts its block's average encoded trace from
// the task that reads it until the task reading the trace's last part,
// and a task's workers later, since the tasks read at once may finish in
// any order.
type heldSplits struct {
	task  [][]int // by block position: the task index reading each row group
	lag   int     // tasks read at the same time, less one
	delta []int64 // by task index: the change in bytes held once it is read
}

// newHeldSplits prepares the estimate for tasks (in the order they are
// handed out) of the blocks cand, read by workers goroutines.
func newHeldSplits(cand []Meta, tasks []scanTask, workers int) *heldSplits {
	h := &heldSplits{task: make([][]int, len(cand)), lag: max(workers-1, 0)}
	for i, m := range cand {
		h.task[i] = make([]int, max(m.TotalRecords, 1))
	}
	for k, t := range tasks {
		h.task[t.pos][t.from] = k
	}
	h.delta = make([]int64, len(tasks)+h.lag+1)
	return h
}

// taskOf returns the index of the task reading row group bg (the last
// task of a block reads the groups its meta does not count).
func (h *heldSplits) taskOf(bg blockGroup) int {
	ts := h.task[bg.pos]
	return ts[min(bg.group, len(ts)-1)]
}

// add counts a split trace whose parts are in the row groups at, of
// blocks whose average encoded trace is sizes.
func (h *heldSplits) add(at []blockGroup, sizes []int64) {
	last := 0
	for _, bg := range at {
		last = max(last, h.taskOf(bg))
	}
	for i, bg := range at {
		b := sizes[i]
		if k := h.taskOf(bg); k < last {
			h.delta[k] += b
			h.delta[last+h.lag] -= b
		}
	}
}

// peak returns the most bytes held at once.
func (h *heldSplits) peak() int64 {
	var held, peak int64
	for _, d := range h.delta {
		held += d
		peak = max(peak, held)
	}
	return peak
}

// heldParts holds the parts of split traces read so far, each trace's
// until its last part is in (splitHolders.count): unorderedIterator and
// runGroupTasks merge a trace then. The caller guards it with its own
// lock.
type heldParts struct {
	holders *splitHolders
	held    map[model.TraceID][]blockCopy
	// peak is the most traces whose parts were held at once (for tests).
	peak int
}

func newHeldParts(h *splitHolders) *heldParts {
	return &heldParts{holders: h, held: map[model.TraceID][]blockCopy{}}
}

// add sets part t of the block at pos aside. When it is its trace's last
// part, it returns all the trace's parts, which it no longer holds.
func (p *heldParts) add(pos int, t *model.Trace) []blockCopy {
	cs := append(p.held[t.TraceID], blockCopy{pos, t})
	if n := p.holders.count(t.TraceID); n == 0 || len(cs) < n {
		p.held[t.TraceID] = cs
		p.peak = max(p.peak, len(p.held))
		return nil
	}
	delete(p.held, t.TraceID)
	return cs
}

// keep sets a part aside until rest, whatever the count of its parts.
func (p *heldParts) keep(c blockCopy) {
	p.held[c.t.TraceID] = append(p.held[c.t.TraceID], c)
}

// rest returns the parts still held, by trace, less those of the blocks
// bad reports (a trace left without parts is left out), and holds them no
// longer.
func (p *heldParts) rest(bad func(pos int) bool) map[model.TraceID][]blockCopy {
	out := p.held
	for id, cs := range out {
		if cs = slices.DeleteFunc(cs, func(c blockCopy) bool { return bad(c.pos) }); len(cs) == 0 {
			delete(out, id)
		} else {
			out[id] = cs
		}
	}
	p.held = nil
	return out
}

// splitHolders are the traces the split-trace pass found in more than one
// block, the row groups holding their parts, and each one's number of
// parts (so that a read merges it once they are in) and bound, for a
// search keeping its newest traces (store.Request.Newest). Every span of
// a merged split trace comes from one of its parts, so the trace starts
// no later than the latest span start of the row groups holding them
// (their statistics), whichever parts are merged (a part left out for
// damage, a duplicate span kept from another part) and even if a part
// has no span (a trace without spans starts at 0). Once that bound is
// below the threshold, the trace cannot be kept: its holders may be
// skipped and the trace dropped.
//
// The traces are kept in ID order, as the pass finds them, 28 bytes each
// (two maps took about 100): maxSplitTraces of them take 14 MiB.
type splitHolders struct {
	// groups: for each holder, the latest bound of the split traces it
	// holds parts of (at least its own latest span start); nil when not
	// asked for (newSplitHolders).
	groups map[blockGroup]uint64
	// ids are the split traces in ascending order; latest and parts are
	// each one's bound and number of parts: its rows in the row groups
	// the scan does not rule out by time (one a block, unless a block
	// holds it in several rows).
	ids    []idKey
	latest []uint64
	parts  []int32
}

// idKey is a trace ID as big-endian halves, which order as the ID.
type idKey struct{ hi, lo uint64 }

func idKeyOf(id *model.TraceID) idKey {
	return idKey{binary.BigEndian.Uint64(id[:8]), binary.BigEndian.Uint64(id[8:])}
}

func (k idKey) less(o idKey) bool { return k.hi < o.hi || k.hi == o.hi && k.lo < o.lo }

// newSplitHolders returns empty holders for the split-trace pass; with
// groups, it also records each holder's bound, which only a search
// keeping its newest traces reads (blockIterator.skipGroup).
func newSplitHolders(groups bool) *splitHolders {
	h := &splitHolders{}
	if groups {
		h.groups = map[blockGroup]uint64{}
	}
	return h
}

// add records split trace k, held by the row groups at (one entry a
// part); latest is the latest span start of all of them. IDs come in
// ascending order (idStream reads each block's in order).
func (h *splitHolders) add(k idKey, at []blockGroup, latest uint64, parts int) {
	h.ids = append(h.ids, k)
	h.latest = append(h.latest, latest)
	h.parts = append(h.parts, int32(min(parts, math.MaxInt32)))
	if h.groups == nil {
		return
	}
	for _, bg := range at {
		h.groups[bg] = max(h.groups[bg], latest)
	}
}

// reset empties h for another pass.
func (h *splitHolders) reset() {
	h.ids, h.latest, h.parts = h.ids[:0], h.latest[:0], h.parts[:0]
	clear(h.groups)
}

// len returns the number of split traces.
func (h *splitHolders) len() int {
	if h == nil {
		return 0
	}
	return len(h.ids)
}

// index returns the position of id among the split traces.
func (h *splitHolders) index(id model.TraceID) (int, bool) {
	if h.len() == 0 {
		return 0, false
	}
	k := idKeyOf(&id)
	i, j := 0, len(h.ids)
	for i < j {
		m := int(uint(i+j) >> 1)
		if h.ids[m].less(k) {
			i = m + 1
		} else {
			j = m
		}
	}
	return i, i < len(h.ids) && h.ids[i] == k
}

// has reports whether id is a split trace.
func (h *splitHolders) has(id model.TraceID) bool {
	_, ok := h.index(id)
	return ok
}

// anyIn reports whether a split trace's ID lies in [lo, hi] (trace IDs as
// bytes).
func (h *splitHolders) anyIn(lo, hi []byte) bool {
	if h.len() == 0 || len(lo) != len(model.TraceID{}) || len(hi) != len(lo) {
		return h.len() > 0
	}
	i, _ := h.index(model.TraceID(lo))
	return i < len(h.ids) && !idKeyOf((*model.TraceID)(hi)).less(h.ids[i])
}

// count returns the number of parts of split trace id (0 when it is not
// one): its rows in the row groups the scan does not rule out by time.
func (h *splitHolders) count(id model.TraceID) int {
	if h == nil {
		return 0
	}
	if i, ok := h.index(id); ok {
		return int(h.parts[i])
	}
	return 0
}

// holderLatest returns the bound of row group bg: the latest start of its own
// spans and of the split traces it holds parts of; held is false when it
// holds none.
func (h *splitHolders) holderLatest(bg blockGroup) (latest uint64, held bool) {
	if h == nil {
		return 0, false
	}
	latest, held = h.groups[bg]
	return latest, held
}

// dropped reports whether split trace id cannot be kept under threshold
// th: it starts before it.
func (h *splitHolders) dropped(id model.TraceID, th uint64) bool {
	i, ok := h.index(id)
	return ok && h.latest[i] < th
}

// traceBytes returns the average encoded trace of the block p opens, as
// its meta's size over the rows of its footer (a meta's trace count may
// be missing).
func (p *pfile) traceBytes(m Meta) int64 {
	var rows int64
	for _, rg := range p.file.Metadata().RowGroups {
		rows += rg.NumRows
	}
	return int64(m.Size) / max(rows, 1)
}
