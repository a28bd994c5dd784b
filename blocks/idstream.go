package blocks

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/tracectl/tracectl/internal/workers"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// idStream walks the trace IDs of one block in ascending order, holding
// the TraceID column of one row group, or, in a block whose row groups'
// statistics do not put them in ID order (written by another writer), of
// every row group it reads. Within a row group, IDs out of order are
// sorted. (A merge of streams out of order misses a trace's parts: a
// trace split across blocks went unnoticed and came out twice.) A row
// group starting below the end of the one before, against the statistics,
// is damage: the block is left out.
type idStream struct {
	ctx   context.Context
	block *Block
	req   *store.Request
	file  *pfile
	group int
	ids   []model.TraceID
	pos   int
	done  bool
	last  bool // the last row group's IDs are loaded, the footer handed
	// traceBytes is the block's average encoded trace (heldSplits).
	traceBytes int64
	// latest is the latest span start of the row group (from its
	// statistics; unknownStart when they do not say).
	latest uint64
	// whole: the block's row groups are not in ID order, so the IDs of
	// all are loaded at once; groupOf holds each ID's row group and
	// latestOf each row group's latest.
	whole    bool
	groupOf  []int32
	latestOf []uint64
	// reordered: IDs were put in order, so that the block's rows are not
	// in ID order (and the ordered merge cannot read it).
	reordered bool
	// end is the last ID of the row groups loaded (loaded: there was one).
	end    model.TraceID
	loaded bool
	// at is the block's position in the scan's candidates; its footer
	// goes to handed once the last row group's IDs are loaded.
	at     int
	handed *footers
	light  bool // the footer is opened light
}

// blockGroup is row group group of the block at pos in a scan's blocks.
type blockGroup struct{ pos, group int }

// current returns the row group of the current ID and the latest start of
// its spans.
func (st *idStream) current() (group int, latest uint64) {
	if st.whole {
		g := int(st.groupOf[st.pos])
		return g, st.latestOf[g]
	}
	return st.group, st.latest
}

// next advances to the next ID (loading row groups as needed) or sets done;
// damage in the block's TraceID pages leaves the block out and ends it.
func (st *idStream) next() error {
	st.pos++
	for st.pos >= len(st.ids) {
		if st.last {
			st.done, st.ids, st.groupOf = true, nil, nil
			return nil
		}
		if st.file == nil {
			f, err := st.block.store.openOrSkipAs(st.ctx, st.block, st.light)
			if err != nil {
				return err
			}
			if f == nil { // damaged, left out
				st.done, st.ids = true, nil
				return nil
			}
			st.file = f
			st.traceBytes = f.traceBytes(st.block.meta)
			st.whole = !f.groupsInIDOrder()
		}
		var err error
		if st.whole {
			err = st.loadAll()
		} else {
			err = st.loadGroup()
		}
		if err != nil || st.done {
			return err
		}
	}
	return nil
}

// loadGroup loads the IDs of the next row group, unless the request rules
// it out.
func (st *idStream) loadGroup() error {
	st.group++
	if st.group >= len(st.file.file.RowGroups()) {
		st.handed.put(st.at, st.block, st.file)
		st.done, st.ids, st.file = true, nil, nil
		return nil
	}
	if st.file.skipGroup(st.group, st.req) {
		return nil
	}
	ids, err := st.groupIDs(st.group)
	if err != nil || st.done {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	if sortTraceIDs(ids) {
		st.reordered = true
	}
	if st.loaded && model.CompareTraceIDs(ids[0], st.end) < 0 {
		// Statistics that misstate the IDs (mayHold trusts them too).
		st.block.store.leaveOut(&DamagedError{Key: st.block.key(dataObject), Err: fmt.Errorf(
			"row group %d: trace ID %v below %v of the row group before, which its statistics do not show", st.group, ids[0], st.end)}, false)
		st.done, st.ids, st.file = true, nil, nil
		return nil
	}
	st.end, st.loaded = ids[len(ids)-1], true
	st.ids, st.pos = ids, 0
	st.latest = st.groupLatest(st.group)
	if st.group == len(st.file.file.RowGroups())-1 {
		// The IDs are copied out: the footer is handed now, not
		// held while the other streams catch up (700 whole
		// footers of 20 KiB took 157 MiB).
		st.handed.put(st.at, st.block, st.file)
		st.file, st.last = nil, true
	}
	return nil
}

// loadAll loads the IDs of every row group the request does not rule out,
// in ID order, each with its row group (20 bytes a trace).
func (st *idStream) loadAll() error {
	n := len(st.file.file.RowGroups())
	var all idsByGroup
	st.latestOf = make([]uint64, n)
	for g := range n {
		if st.file.skipGroup(g, st.req) {
			continue
		}
		ids, err := st.groupIDs(g)
		if err != nil || st.done {
			return err
		}
		all.ids = append(all.ids, ids...)
		for range ids {
			all.groups = append(all.groups, int32(g))
		}
		st.latestOf[g] = st.groupLatest(g)
	}
	if !sort.IsSorted(all) { // without statistics, a block may still be in order
		sort.Sort(all)
		st.reordered = true
	}
	st.ids, st.groupOf, st.pos = all.ids, all.groups, 0
	st.handed.put(st.at, st.block, st.file)
	st.file, st.last = nil, true
	return nil
}

// drainIDs reads the rest of the IDs of every stream that loads a row
// group at a time, n streams at once, so that reordered is known for
// each. The streams are no longer merged afterwards: their IDs were
// skipped.
func drainIDs(ctx context.Context, streams []*idStream, n int) error {
	return workers.Each(ctx, len(streams), n, func(ctx context.Context, i int) error {
		for st := streams[i]; !st.done && !st.whole; {
			if err := ctx.Err(); err != nil {
				return err
			}
			st.pos = len(st.ids) // next loads the next row group
			if err := st.next(); err != nil {
				return err
			}
		}
		return nil
	})
}

// idsByGroup sorts trace IDs and their row groups by ID.
type idsByGroup struct {
	ids    []model.TraceID
	groups []int32
}

func (a idsByGroup) Len() int           { return len(a.ids) }
func (a idsByGroup) Less(i, j int) bool { return model.CompareTraceIDs(a.ids[i], a.ids[j]) < 0 }
func (a idsByGroup) Swap(i, j int) {
	a.ids[i], a.ids[j] = a.ids[j], a.ids[i]
	a.groups[i], a.groups[j] = a.groups[j], a.groups[i]
}

// groupIDs returns the trace IDs of row group g. Damage in its pages
// leaves the block out (the scan that follows skips it, Store.leftOut)
// and ends the stream (done).
func (st *idStream) groupIDs(g int) ([]model.TraceID, error) {
	ids, err := st.file.groupIDs(g)
	if d, ok := pageDamage(st.ctx, err); ok {
		st.block.store.leaveOut(d, false)
		st.done, st.ids, st.groupOf, st.file = true, nil, nil, nil
		return nil, nil
	}
	return ids, err
}

// groupLatest returns the latest span start of row group g from its
// statistics (unknownStart when they do not say).
func (st *idStream) groupLatest(g int) uint64 {
	if hi, ok := st.file.groupMaxSpanStart(g); ok {
		return hi
	}
	return unknownStart
}

// sortTraceIDs sorts ids unless they are in order already (as a
// vParquet4 block's are), and reports whether it did.
func sortTraceIDs(ids []model.TraceID) bool {
	if slices.IsSortedFunc(ids, model.CompareTraceIDs) {
		return false
	}
	slices.SortFunc(ids, model.CompareTraceIDs)
	return true
}

// idHeap is a min-heap of streams by their current ID. Each entry holds
// the ID as two integers, so that a comparison reads the heap alone (a
// merge of 200 blocks compares each ID about 15 times).
type idHeap []idEntry

// idEntry is a stream and its current ID.
type idEntry struct {
	key idKey
	st  *idStream
}

func (st *idStream) entry() idEntry {
	return idEntry{idKeyOf(&st.ids[st.pos]), st}
}

func (e idEntry) less(f idEntry) bool { return e.key.less(f.key) }

func (h idHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

// down moves the stream at i down to its place.
func (h idHeap) down(i int) {
	for {
		m := 2*i + 1
		if m >= len(h) {
			return
		}
		if r := m + 1; r < len(h) && h[r].less(h[m]) {
			m = r
		}
		if !h[m].less(h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
