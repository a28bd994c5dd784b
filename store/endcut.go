package store

import (
	"context"

	"github.com/tracectl/tracectl/model"
)

// A Cutter is a Source whose data comes in units (blocks) that it can
// order by how late their spans end, so that a search keeping only the
// newest traces (Request.Newest) may read the latest units alone.
//
// Why that can be exact: a trace's part in a unit starts no later than the
// unit's End, and a trace starts no later than any of its parts. Say a
// search over the first n units finds Limit results, the last of which
// starts after End(n), and none of the results has a part in the units
// left out (Absent). Every trace starting as late as that last result has
// all its parts in the first n units, so the search saw it whole; the
// results are whole too; so the answer is the one a search over every
// unit gives.
type Cutter interface {
	Source
	// CutByEnd returns the units req may read, latest end first, or nil
	// when it has no units to order.
	CutByEnd(ctx context.Context, req Request) (EndCut, error)
}

// EndCut is a Cutter's units for one request, latest end first.
type EndCut interface {
	// Len is the number of units.
	Len() int
	// End returns the latest time (Unix ns) a span of unit i may end at:
	// End(i) >= End(i+1).
	End(i int) uint64
	// First returns a Source over units [0, n) alone.
	First(n int) Source
	// Absent reports whether no unit in [n, Len()) holds a part of any
	// trace of ids.
	Absent(ctx context.Context, n int, ids []model.TraceID) (bool, error)
}
