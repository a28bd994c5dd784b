package eval

import (
	"container/heap"
	"errors"
	"slices"

	"github.com/tracectl/tracectl/model"
)

// resultKeeper keeps the best Limit results of a search: a plain slice
// until Limit are kept, then a heap whose top is the worst kept. Past
// SpillAfter results (with a SpillDir), results go to a file as they
// come and only their references stay in memory.
type resultKeeper struct {
	limit, spillAfter int
	spillDir          string
	h                 resultHeap
	file              *resultFile
	mem               resultMemory // reused by each result spilled at once
}

func newResultKeeper(opts SearchOptions) *resultKeeper {
	return &resultKeeper{limit: opts.Limit, spillAfter: opts.SpillAfter, spillDir: opts.SpillDir}
}

// admits reports whether a trace starting at start with ID id would rank
// among the results kept so far.
func (k *resultKeeper) admits(start uint64, id model.TraceID) bool {
	return k.h.Len() < k.limit || better(start, id, k.h[0].start, k.h[0].id)
}

// memory is where the next result is to be built: nil (fresh memory)
// until results go to the file, then memory reused from one to the next.
func (k *resultKeeper) memory() *resultMemory {
	if k.file != nil {
		return &k.mem
	}
	return nil
}

// keep adds ref, which admits let in. Once Limit results are kept, full is
// true and worst is the start of the worst: traces starting earlier
// cannot enter.
func (k *resultKeeper) keep(ref resultRef) (worst uint64, full bool, err error) {
	if k.file == nil && k.spillDir != "" && k.h.Len() >= k.spillAfter && k.limit > k.spillAfter {
		if k.file, err = newResultFile(k.spillDir); err != nil {
			return 0, false, err
		}
	}
	if k.file != nil {
		if ref.off, ref.size, err = k.file.write(ref.tr); err != nil {
			return 0, false, err
		}
		ref.tr = nil
	}
	h := &k.h
	switch {
	case h.Len() < k.limit-1:
		if len(*h) == cap(*h) {
			// Doubling: append grows a long slice by a quarter, which
			// copied the kept refs five times over into fresh memory
			// (a tenth of the CPU of a search returning every trace).
			*h = slices.Grow(*h, max(len(*h), 256))
		}
		*h = append(*h, ref) // a plain slice until Limit are kept, then a heap
		return 0, false, nil
	case h.Len() == k.limit-1:
		*h = append(*h, ref)
		heap.Init(h)
	default:
		(*h)[0] = ref // better than the worst kept (admits)
		heap.Fix(h, 0)
	}
	return (*h)[0].start, true, nil
}

// finish puts the results kept in res, in rank order: as Traces, or, when
// some went to the file, as references read back by Each.
func (k *resultKeeper) finish(res *SearchResult) error {
	refs := []resultRef(k.h)
	slices.SortFunc(refs, func(a, b resultRef) int {
		if better(a.start, a.id, b.start, b.id) {
			return -1
		}
		return 1
	})
	if k.file != nil {
		if err := k.file.mapForReading(); err != nil {
			return err
		}
		res.spilled, res.file = refs, k.file
		k.file = nil // res owns it
		return nil
	}
	res.Traces = make([]*TraceResult, len(refs))
	for i, ref := range refs {
		res.Traces[i] = ref.tr
	}
	return nil
}

// close removes the results file, if any, after err (returned with the
// file's error, if any).
func (k *resultKeeper) close(err error) error {
	if k.file != nil {
		err = errors.Join(err, k.file.close())
		k.file = nil
	}
	return err
}

// better reports whether trace a ranks before trace b: later start first,
// then smaller trace ID.
func better(aStart uint64, aID model.TraceID, bStart uint64, bID model.TraceID) bool {
	if aStart != bStart {
		return aStart > bStart
	}
	return model.CompareTraceIDs(aID, bID) < 0
}

// resultHeap is a min-heap by rank: the worst kept trace is at the top.
type resultHeap []resultRef

func (h resultHeap) Len() int { return len(h) }
func (h resultHeap) Less(i, j int) bool {
	return better(h[j].start, h[j].id, h[i].start, h[i].id)
}
func (h resultHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *resultHeap) Push(x any)   { *h = append(*h, x.(resultRef)) }
func (h *resultHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
