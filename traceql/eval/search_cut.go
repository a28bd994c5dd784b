package eval

import (
	"context"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/traceql"
)

// A search keeps the Limit traces that start latest. Over a source of
// many units (blocks) that tell how late their spans end, it first reads
// only the units that end latest, and stops there when their answer is
// provably the whole answer (store.Cutter says when). Blocks ingested one
// after another (a cron job's, Tempo's) cover successive stretches of
// time: the latest few hold the answer, and the others, whose every
// footer a search would otherwise open, are left unread but for their
// bloom filters.
const (
	// cutFirst is how many units the first try reads (so a source of
	// fewer than cutFirst*cutMaxShare units is read whole at once).
	cutFirst = 4
	// cutMaxShare bounds the units a try reads to a share (1/cutMaxShare)
	// of them. Tries that fail cost at most about twice the last one, so
	// a search whose answer is spread over the whole time range (blocks
	// that overlap in time, or few matches) reads at most about a quarter
	// more than without trying.
	cutMaxShare = 8
)

// searchLatest answers the search from the latest units of c alone when
// that settles it, as store.Cutter explains, and else from all of them.
// Tries read more units each time, up to a share of them (cutMaxShare).
// The metrics of the answer count what every try inspected.
func searchLatest(ctx context.Context, c store.Cutter, e *evaluator, root *traceql.RootExpr, opts SearchOptions) (*SearchResult, error) {
	cut, err := c.CutByEnd(ctx, searchRequest(root, opts))
	if err != nil {
		return nil, err
	}
	if cut == nil {
		res, _, err := searchIn(ctx, c, e, searchRequest(root, opts), opts)
		return res, err
	}
	var tried SearchMetrics
	answer := func(res *SearchResult) *SearchResult {
		res.Metrics.InspectedTraces += tried.InspectedTraces
		res.Metrics.InspectedSpans += tried.InspectedSpans
		return res
	}
	for n := cutFirst; n <= cut.Len()/cutMaxShare; {
		res, worst, err := searchIn(ctx, cut.First(n), e, searchRequest(root, opts), opts)
		if err != nil {
			return nil, err
		}
		if worst > cut.End(n) {
			ids, err := resultIDs(res)
			var absent bool
			if err == nil {
				absent, err = cut.Absent(ctx, n, ids)
			}
			if err != nil {
				res.Close()
				return nil, err
			}
			if absent {
				return answer(res), nil
			}
		}
		tried.InspectedTraces += res.Metrics.InspectedTraces
		tried.InspectedSpans += res.Metrics.InspectedSpans
		n = nextCut(cut, n, worst, res.Len(), opts.Limit)
		if err := res.Close(); err != nil {
			return nil, err
		}
	}
	res, _, err := searchIn(ctx, cut.First(cut.Len()), e, searchRequest(root, opts), opts)
	if err != nil {
		return nil, err
	}
	return answer(res), nil
}

// nextCut returns how many units the try after one over n units reads,
// given what it found: found results, the last of which started at worst
// when there were limit of them. With all of them, every unit that may
// hold a trace starting at worst or later (their start can only rise as
// units are added); with fewer, as many more units as that rate of results
// needs to find all (none found: as many as allowed). Always at least
// twice n.
func nextCut(cut store.EndCut, n int, worst uint64, found, limit int) int {
	next := 2 * n
	switch {
	case found >= limit:
		for next < cut.Len() && cut.End(next) >= worst {
			next++
		}
	case found > 0:
		next = max(next, n*limit/found+1)
	default:
		next = cut.Len()
	}
	return next
}

// resultIDs returns the trace IDs of res's results.
func resultIDs(res *SearchResult) ([]model.TraceID, error) {
	ids := make([]model.TraceID, 0, res.Len())
	err := res.Each(func(tr *TraceResult) error {
		ids = append(ids, tr.TraceID)
		return nil
	})
	return ids, err
}
