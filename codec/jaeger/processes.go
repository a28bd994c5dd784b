package jaeger

import (
	"encoding/json"
	"unsafe"

	jmodel "github.com/jaegertracing/jaeger-idl/model/v1"

	"github.com/tracectl/tracectl/internal/jsonscan"
)

// procTable is the "processes" object of the trace being converted: its
// IDs, their raw values and the processes read from them so far. A trace
// names a few processes, found by a linear search (an index past
// procIndexed); the table is reused from trace to trace, and its IDs and
// values alias the trace's bytes.
type procTable struct {
	ids   []string
	raws  []json.RawMessage
	procs []*jmodel.Process
	index map[string]int // by ID, once there are more than procIndexed
}

const procIndexed = 16

// reset empties the table.
func (t *procTable) reset() {
	clear(t.ids)
	clear(t.raws)
	clear(t.procs)
	t.ids, t.raws, t.procs = t.ids[:0], t.raws[:0], t.procs[:0]
	t.index = nil
	if cap(t.ids) > maxKept {
		*t = procTable{}
	}
}

// find returns the index of id, or -1.
func (t *procTable) find(id string) int {
	if t.index != nil {
		if i, ok := t.index[id]; ok {
			return i
		}
		return -1
	}
	for i, have := range t.ids {
		if have == id {
			return i
		}
	}
	return -1
}

// add appends id with its raw value.
func (t *procTable) add(id string, raw json.RawMessage) {
	t.ids = append(t.ids, id)
	t.raws = append(t.raws, raw)
	t.procs = append(t.procs, nil)
	switch n := len(t.ids); {
	case n == procIndexed+1:
		t.index = make(map[string]int, 2*n)
		for i, id := range t.ids {
			t.index[id] = i
		}
	case n > procIndexed+1:
		t.index[id] = n - 1
	}
}

// read reads the processes object raw into the emptied table, as
// encoding/json reads it into a map[string]json.RawMessage; ok is false
// (and the table to be filled with fromMap) for an escaped or repeated
// key, whose reading it leaves to encoding/json.
func (t *procTable) read(r *uiReader, raw []byte) bool {
	t.reset()
	r.Reset(raw)
	ok := r.Object(func(key []byte) bool {
		if !jsonscan.Plain(key) {
			return false
		}
		id := unsafe.String(unsafe.SliceData(key), len(key))
		if t.find(id) >= 0 {
			return false // a repeated key: the last one wins there
		}
		v, ok := r.Skip()
		t.add(id, v)
		return ok
	})
	return ok && r.End()
}

// fromMap fills the emptied table from the map encoding/json read.
func (t *procTable) fromMap(m map[string]json.RawMessage) {
	t.reset()
	for id, raw := range m {
		t.add(id, raw)
	}
}
