package blocks

import (
	"context"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// idStream walks the trace IDs of one block in order, holding the TraceID
// column of one row group.
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
	// at is the block's position in the scan's candidates; its footer
	// goes to handed once the last row group's IDs are loaded.
	at     int
	handed *footers
	light  bool // the footer is opened light
}

// blockGroup is row group group of the block at pos in a scan's blocks.
type blockGroup struct{ pos, group int }

// next advances to the next ID (loading row groups as needed) or sets done;
// damage in the block's TraceID pages leaves the block out and ends it.
func (st *idStream) next() error {
	st.pos++
	for st.pos >= len(st.ids) {
		if st.last {
			st.done, st.ids = true, nil
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
		}
		st.group++
		if st.group >= len(st.file.file.RowGroups()) {
			st.handed.put(st.at, st.block, st.file)
			st.done, st.ids, st.file = true, nil, nil
			return nil
		}
		if st.file.skipGroup(st.group, st.req) {
			continue
		}
		ids, err := st.file.groupIDs(st.group)
		if d, ok := pageDamage(st.ctx, err); ok {
			// Left out whole: the scan that follows skips it
			// (Store.leftOut), and nothing of it was passed on.
			st.block.store.leaveOut(d, false)
			st.done, st.ids, st.file = true, nil, nil
			return nil
		}
		if err != nil {
			return err
		}
		st.ids, st.pos = ids, 0
		st.latest = unknownStart
		if hi, ok := st.file.groupMaxSpanStart(st.group); ok {
			st.latest = hi
		}
		if st.group == len(st.file.file.RowGroups())-1 {
			// The IDs are copied out: the footer is handed now, not
			// held while the other streams catch up (700 whole
			// footers of 20 KiB took 157 MiB).
			st.handed.put(st.at, st.block, st.file)
			st.file, st.last = nil, true
		}
	}
	return nil
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
