package blocks

import (
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
// is and the order the row groups are read in; past maxHeldSplitBytes the
// ordered merge is used instead, which reads the blocks side by side.

// maxHeldSplitBytes bounds the encoded bytes of the split-trace parts an
// unordered read may hold at once (estimated by heldSplits). Built, a
// trace takes about ten times its encoded size, so this is some 100 MiB
// of heap (a variable for tests).
var maxHeldSplitBytes int64 = 10 << 20

// heldSplits estimates the bytes of split-trace parts an unordered read
// holds at once. Each part counts its block's average encoded trace
// (meta size over traces) from the task that reads it until the task
// reading the trace's last part, and a task's workers later, since the
// tasks read at once may finish in any order.
type heldSplits struct {
	task  [][]int // by block position: the task index reading each row group
	bytes []int64 // by block position: its average encoded trace
	lag   int     // tasks read at the same time, less one
	delta []int64 // by task index: the change in bytes held once it is read
	total int64   // every part counted
}

// newHeldSplits prepares the estimate for tasks (in the order they are
// handed out) of the blocks cand, read by workers goroutines.
func newHeldSplits(cand []Meta, tasks []scanTask, workers int) *heldSplits {
	h := &heldSplits{task: make([][]int, len(cand)), bytes: make([]int64, len(cand)), lag: max(workers-1, 0)}
	for i, m := range cand {
		h.bytes[i] = int64(m.Size) / int64(max(m.TotalObjects, 1))
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

// add counts a split trace whose parts are in the row groups at.
func (h *heldSplits) add(at []blockGroup) {
	last := 0
	for _, bg := range at {
		last = max(last, h.taskOf(bg))
	}
	for _, bg := range at {
		b := h.bytes[bg.pos]
		h.total += b
		if k := h.taskOf(bg); k < last {
			h.delta[k] += b
			h.delta[last+h.lag] -= b
		}
	}
}

// peak returns the most bytes held at once. With unsorted, parts are not
// merged as they complete but at the end (splitHolders.parts), so all of
// them are held.
func (h *heldSplits) peak(unsorted bool) int64 {
	if unsorted {
		return h.total
	}
	var held, peak int64
	for _, d := range h.delta {
		held += d
		peak = max(peak, held)
	}
	return peak
}

// heldParts holds the parts of split traces read so far, each trace's
// until its last part is in (splitHolders.parts): unorderedIterator and
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
	if n := p.holders.parts(t.TraceID); n == 0 || len(cs) < n {
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
