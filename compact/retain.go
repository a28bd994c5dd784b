package compact

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/tracectl/tracectl/blocks"
)

// DefaultOlderThan is Tempo's default block retention (14 days).
const DefaultOlderThan = 336 * time.Hour

// RetainOptions control Retain.
type RetainOptions struct {
	// OlderThan retires live blocks whose EndTime is older (default 336h).
	OlderThan time.Duration
	// CompactedRetention is how long retired blocks are kept before
	// deletion, as Options.CompactedRetention (0: 1h; negative: no delay).
	CompactedRetention time.Duration
	// DryRun reports what would be marked and deleted, changing nothing.
	DryRun bool
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// RetainResult says what Retain did (or would do).
type RetainResult struct {
	DryRun bool `json:"dryRun"`
	// Cutoff is now − OlderThan: blocks ending before it expire.
	Cutoff time.Time `json:"cutoff"`
	// Marked are the live blocks retired now.
	Marked []blocks.Meta `json:"marked"`
	// Finished are blocks whose interrupted retirement was completed.
	Finished []uuid.UUID `json:"finished"`
	// Deleted are retired blocks removed after CompactedRetention.
	Deleted []blocks.Meta `json:"deleted"`
	// Kept are live blocks whose meta.json ends before it starts (a span
	// time past 2262 read back as 1969): their age is unknown, so they
	// are not retired; blocks verify reports them.
	Kept []blocks.Meta `json:"keptInconsistent"`
}

// Retain retires the live blocks whose end time is older than OlderThan
// (meta.json → meta.compacted.json, so readers stop seeing them at once)
// and deletes the blocks retired more than CompactedRetention ago (by
// Retain or by compaction). A block retired now is deleted by a later run,
// so readers that listed it first can finish.
func Retain(ctx context.Context, st *blocks.Store, opts RetainOptions) (*RetainResult, error) {
	if opts.OlderThan <= 0 {
		opts.OlderThan = DefaultOlderThan
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	now := opts.Now()
	res := &RetainResult{DryRun: opts.DryRun, Cutoff: now.Add(-opts.OlderThan).UTC(), Marked: []blocks.Meta{},
		Finished: []uuid.UUID{}, Deleted: []blocks.Meta{}, Kept: []blocks.Meta{}}
	metas, err := st.Blocks(ctx)
	if err != nil {
		return res, err
	}
	var expired []blocks.Meta
	for _, m := range metas {
		if m.EndTime.Before(m.StartTime) {
			res.Kept = append(res.Kept, m)
			continue
		}
		// meta.json's EndTime is truncated to the second: the block may
		// hold spans ending up to a second later.
		if m.EndTime.Add(time.Second).Before(res.Cutoff) {
			expired = append(expired, m)
		}
	}
	copts := Options{CompactedRetention: opts.CompactedRetention, Now: opts.Now}.withDefaults()
	work := st.TrackBlocks(expired)
	marked := make([]bool, len(expired))
	err = eachAtOnce(ctx, requestsAtOnce(copts), expired, func(ctx context.Context, i int, m blocks.Meta) error {
		if !opts.DryRun {
			if err := retire(ctx, st, m.BlockID); err != nil {
				return err
			}
		}
		marked[i] = true
		work.Done(i)
		return nil
	})
	for i, m := range expired {
		if marked[i] {
			res.Marked = append(res.Marked, m)
		}
	}
	if err != nil {
		return res, err
	}
	if opts.DryRun {
		comp, err := st.CompactedBlocks(ctx)
		if err != nil {
			return res, err
		}
		cutoff := now.Add(-copts.CompactedRetention)
		for _, m := range comp {
			if !m.CompactedTime.After(cutoff) {
				res.Deleted = append(res.Deleted, m)
			}
		}
		return res, nil
	}
	return res, sweep(ctx, st, copts, &res.Finished, &res.Deleted)
}
