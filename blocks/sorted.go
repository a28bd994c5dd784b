package blocks

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tracectl/tracectl/internal/spill"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// SortedTraces returns the traces that pass req in ascending ID order, as
// Traces does, with memory that does not grow with the number of blocks.
// Where the blocks' ID ranges are disjoint (as one ingest writes them),
// that is Traces: its merge reads one block after the other. Where they
// overlap, a merge by ID would hold a row group's readers for every block
// at once; here each block is read alone, its traces written to a sorted
// run in a temporary directory under dir, and the runs merged, at most
// sortFanIn at once (spill.MergeDown when there are more). Copies of a trace in
// several blocks are combined in block order, as Traces combines them,
// though their nested sets are left as stored (store.Merge; a
// BlockWriter computes them). req.Filter must be nil or decide a trace by
// its ID alone (store.OpTraceIDs), so that each block may apply it to its
// part; the time range is tested on the merged traces.
func (s *Store) SortedTraces(ctx context.Context, req store.Request, dir string) (store.TraceIterator, error) {
	if req.Filter != nil && !byIDOnly(req.Filter) || len(req.TraceIDs) > 0 || req.Unordered {
		return nil, fmt.Errorf("blocks: SortedTraces takes no filter but trace IDs, and no ID list")
	}
	metas, err := s.readBlocks(ctx)
	if err != nil {
		return nil, err
	}
	cand := inRange(metas, &req)
	if len(cand) <= 1 || idRangesDisjoint(cand) {
		return s.scanOrdered(ctx, cand, req), nil
	}
	tmp, err := os.MkdirTemp(dir, "tracectl-sort-")
	if err != nil {
		return nil, fmt.Errorf("sorting traces: %w", err)
	}
	runs, err := s.blockRuns(ctx, cand, &req, tmp)
	if err == nil {
		runs, err = spill.MergeDown(runs, sortFanIn, func(group []string) (string, error) {
			return mergeRunFiles(group, tmp)
		})
	}
	var merged store.TraceIterator
	if err == nil {
		merged, err = openRuns(runs)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return &sortedIterator{src: merged, req: &req, dir: tmp}, nil
}

// sortFanIn is how many runs SortedTraces merges at once: each open run
// holds about 150 KiB (spill's blocks and read buffer). Tests lower it.
var sortFanIn = 64

// blockRuns writes the traces of each block of cand that pass req's
// filter (not its time range: a part outside it may belong to a trace
// inside) to a run of its own in dir, in block order; blocks without such
// traces have none.
func (s *Store) blockRuns(ctx context.Context, cand []Meta, req *store.Request, dir string) ([]string, error) {
	prog := s.trackScan(cand)
	// The block being read decodes ahead of the run being written, its
	// filter on a second core.
	var sem chan struct{}
	if n := s.scanWorkers(cand); n > 1 {
		sem = make(chan struct{}, n)
	}
	var runs []string
	for i, m := range cand {
		it := s.block(m).iterator(ctx)
		// As the merge of overlapping blocks sets a block: the filter
		// applied to its part of a trace, the time range left to the
		// merged trace, a damaged block left out.
		it.req, it.pos, it.filter, it.mergedTime, it.skipDamaged, it.prog = req, i, true, true, true, prog
		it.sem, it.spread, it.idOrder = sem, true, true // the runs are merged by trace ID
		path := filepath.Join(dir, fmt.Sprintf("block-%06d", i))
		n, err := writeRun(path, it)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			runs = append(runs, path)
		} else {
			os.Remove(path)
		}
	}
	return runs, nil
}

// writeRun writes the traces of it, in its order, to a run at path and
// closes it; it returns how many there were.
func writeRun(path string, it store.TraceIterator) (int, error) {
	defer it.Close()
	n, err := spill.WriteFrom(path, it)
	if err := it.Err(); err != nil {
		return 0, err
	}
	if err != nil {
		return 0, fmt.Errorf("sorting traces: %w", err)
	}
	return n, nil
}

// mergeRunFiles merges runs, in order, into a new run in dir and removes
// them.
func mergeRunFiles(runs []string, dir string) (string, error) {
	it, err := openRuns(runs)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, "merged-")
	if err != nil {
		it.Close()
		return "", fmt.Errorf("sorting traces: %w", err)
	}
	f.Close()
	if _, err := writeRun(f.Name(), it); err != nil {
		return "", err
	}
	for _, r := range runs {
		os.Remove(r)
	}
	return f.Name(), nil
}

// openRuns returns the merge of runs by trace ID, copies combined in run
// order.
func openRuns(runs []string) (store.TraceIterator, error) {
	it, err := spill.OpenMerge(runs)
	if err != nil {
		return nil, fmt.Errorf("sorting traces: %w", err)
	}
	return it, nil
}

// sortedIterator is SortedTraces' merge of runs: it leaves out merged
// traces outside the time range and removes the runs when closed.
type sortedIterator struct {
	src store.TraceIterator
	req *store.Request
	dir string
	cur *model.Trace
}

func (it *sortedIterator) Next() bool {
	for it.src.Next() {
		if t := it.src.At(); it.req.Overlaps(t.TimeRange()) {
			it.cur = t
			return true
		}
	}
	return false
}

func (it *sortedIterator) At() *model.Trace { return it.cur }
func (it *sortedIterator) Err() error       { return it.src.Err() }

func (it *sortedIterator) Close() error {
	err := it.src.Close()
	os.RemoveAll(it.dir)
	return err
}
