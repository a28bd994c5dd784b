package compact

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/tracectl/tracectl/blocks"
)

// Output is one merge Run carried out.
type Output struct {
	Group Group       `json:"group"`
	Meta  blocks.Meta `json:"output"`
	// Traces and Spans were written (after merging copies).
	Traces int `json:"traces"`
	Spans  int `json:"spans"`
	// Cut are the traces MaxTraceBytes cut (a trace with no span left is
	// not written).
	Cut []CutTrace `json:"cut"`
	// CopiedRowGroups counts the input row groups copied whole into the
	// output, not encoded again (see copyGroupBytes).
	CopiedRowGroups int `json:"copiedRowGroups"`
}

// copyGroupBytes is the compressed size from which an input row group that
// no other input interleaves is copied whole: a quarter of the output's
// row-group size. Smaller ones are merged into larger row groups, as
// copying them would keep them small through every level of compaction.
func copyGroupBytes(opts Options) int64 {
	rg := opts.RowGroupBytes
	if rg <= 0 {
		rg = blocks.DefaultRowGroupBytes
	}
	return rg / 4
}

// Retired is an input an interrupted run had merged but not retired.
type Retired struct {
	Input  uuid.UUID `json:"input"`
	Output uuid.UUID `json:"output"`
}

// Result says what Run did (or, in a dry run, would do).
type Result struct {
	DryRun bool `json:"dryRun"`
	// Blocks is the number of live blocks planned from.
	Blocks int     `json:"blocks"`
	Groups []Group `json:"groups"`
	// Outputs are the merges done (empty in a dry run).
	Outputs []Output `json:"outputs"`
	// Recovered are inputs retired now because an earlier, interrupted
	// run had already written their output.
	Recovered []Retired `json:"recovered"`
	// Finished are blocks whose retirement (MarkCompacted) an
	// interrupted run had started: they had meta.json and
	// meta.compacted.json.
	Finished []uuid.UUID `json:"finished"`
	// Deleted are compacted blocks removed after CompactedRetention (in
	// a dry run, those a run would remove now).
	Deleted []blocks.Meta `json:"deleted"`
	// Orphans are block folders without meta.json removed after their
	// age limit (see deleteOrphans; in a dry run, those a run would
	// remove now).
	Orphans []uuid.UUID `json:"orphans"`
}

// Run compacts the store's live blocks once: it repairs what an
// interrupted run left, plans (Plan), merges every group, then deletes
// compacted blocks and abandoned outputs older than CompactedRetention.
// See the package doc for the protocol and why it loses and duplicates no
// span whatever step is interrupted. The result is filled as far as Run
// got, also on error.
func Run(ctx context.Context, st *blocks.Store, opts Options) (*Result, error) {
	opts = opts.withDefaults()
	res := &Result{DryRun: opts.DryRun, Groups: []Group{}, Outputs: []Output{},
		Recovered: []Retired{}, Finished: []uuid.UUID{}, Deleted: []blocks.Meta{}, Orphans: []uuid.UUID{}}
	metas, err := st.Blocks(ctx)
	if err != nil {
		return res, err
	}
	prov, err := provenances(ctx, st, metas)
	if err != nil {
		return res, err
	}
	if !opts.DryRun {
		if metas, err = recoverOutputs(ctx, st, metas, prov, res); err != nil {
			return res, err
		}
	}
	res.Blocks = len(metas)
	marks := map[uuid.UUID]string{}
	for id, p := range prov {
		if p.Mark != "" {
			marks[id] = p.Mark
		}
	}
	if res.Groups, err = readablePlan(ctx, st, metas, marks, opts); err != nil {
		return res, err
	}
	if res.Groups == nil {
		res.Groups = []Group{} // [] in JSON, never null
	}
	if opts.DryRun {
		return res, dueForDeletion(ctx, st, opts, res, metas)
	}
	groups, outs, err := mergeReplanning(ctx, st, res.Groups, marks, opts)
	res.Outputs = append(res.Outputs, outs...)
	if err != nil {
		return res, err
	}
	res.Groups = append([]Group{}, groups...) // [] in JSON, never null
	if err := sweep(ctx, st, opts, &res.Finished, &res.Deleted); err != nil {
		return res, err
	}
	return res, deleteOrphans(ctx, st, opts, res)
}

// readablePlan plans the compaction of metas, leaving out every block
// whose data.parquet does not open (st.Damaged names it): a damaged block
// is neither merged nor retired, and the other blocks are planned without
// it. A dry run opens every footer; a real run only checks the footers
// (Store.CheckFooter) that its merges decode right after: damage that only
// decoding finds fails the merge, which plans its group again without
// that block (mergeReplanning).
func readablePlan(ctx context.Context, st *blocks.Store, metas []blocks.Meta, marks map[uuid.UUID]string, opts Options) ([]Group, error) {
	checked := map[uuid.UUID]bool{}
	for {
		groups := Plan(metas, marks, opts)
		var check []blocks.Meta
		for _, g := range groups {
			for _, m := range g.metas {
				if !checked[m.BlockID] {
					checked[m.BlockID] = true
					check = append(check, m)
				}
			}
		}
		damaged := make([]bool, len(check))
		err := eachAtOnce(ctx, objectRequestsAtOnce, check, func(ctx context.Context, i int, m blocks.Meta) error {
			checkFooter := st.CheckFooter
			if opts.DryRun {
				checkFooter = st.CheckReadable
			}
			err := checkFooter(ctx, m)
			if errors.As(err, new(*blocks.DamagedError)) {
				damaged[i] = true
				return nil
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		bad := map[uuid.UUID]bool{}
		for i, m := range check {
			if damaged[i] {
				bad[m.BlockID] = true
			}
		}
		if len(bad) == 0 {
			return groups, nil
		}
		metas = slices.DeleteFunc(slices.Clone(metas), func(m blocks.Meta) bool { return bad[m.BlockID] })
	}
}

// provenances reads the rewrite.json of every block of metas.
func provenances(ctx context.Context, st *blocks.Store, metas []blocks.Meta) (map[uuid.UUID]blocks.Provenance, error) {
	ps := make([]blocks.Provenance, len(metas))
	err := eachAtOnce(ctx, objectRequestsAtOnce, metas, func(ctx context.Context, i int, m blocks.Meta) error {
		var err error
		ps[i], err = st.Provenance(ctx, m.BlockID)
		return err
	})
	if err != nil {
		return nil, err
	}
	prov := make(map[uuid.UUID]blocks.Provenance, len(metas))
	for i, m := range metas {
		prov[m.BlockID] = ps[i]
	}
	return prov, nil
}

// objectRequestsAtOnce bounds the small per-block requests (rewrite.json,
// footers, retirements, deletions) that Run and Retain make at once: on an
// object store each is a round trip, made for every block.
const objectRequestsAtOnce = 16

// requestsAtOnce is how many blocks Run and Retain change at once (each
// change is a few requests, round trips on an object store, independent
// of the other blocks'): objectRequestsAtOnce, or one at a time when one
// merge at a time was asked for.
func requestsAtOnce(opts Options) int {
	if opts.Concurrency == 1 {
		return 1
	}
	return objectRequestsAtOnce
}

// eachAtOnce calls fn for every block of metas, n at a time, and returns
// the first error (which cancels the calls not begun).
func eachAtOnce(ctx context.Context, n int, metas []blocks.Meta, fn func(ctx context.Context, i int, m blocks.Meta) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(n)
	for i, m := range metas {
		g.Go(func() error { return fn(gctx, i, m) })
	}
	return g.Wait()
}

// recoverOutputs retires live blocks that a live output already holds
// (its CompactedFrom) and returns the live blocks left.
func recoverOutputs(ctx context.Context, st *blocks.Store, metas []blocks.Meta, prov map[uuid.UUID]blocks.Provenance, res *Result) ([]blocks.Meta, error) {
	live := map[uuid.UUID]bool{}
	for _, m := range metas {
		live[m.BlockID] = true
	}
	retired := map[uuid.UUID]bool{}
	for _, m := range metas {
		if retired[m.BlockID] {
			continue // its own output holds it: not a source of truth
		}
		for _, in := range prov[m.BlockID].CompactedFrom {
			if !live[in] || retired[in] || in == m.BlockID {
				continue
			}
			if err := retire(ctx, st, in); err != nil {
				return nil, err
			}
			retired[in] = true
			res.Recovered = append(res.Recovered, Retired{Input: in, Output: m.BlockID})
		}
	}
	var left []blocks.Meta
	for _, m := range metas {
		if !retired[m.BlockID] {
			left = append(left, m)
		}
	}
	return left, nil
}

// retire marks a block compacted; one already retired (by an overlapping
// run) is not an error.
func retire(ctx context.Context, st *blocks.Store, id uuid.UUID) error {
	if err := st.MarkCompacted(ctx, id); err != nil && !errors.Is(err, blocks.ErrBlockNotFound) {
		return err
	}
	return nil
}

// mergeReplanning merges the groups (mergeAll). A merge that meets a
// damaged input (a page of its data.parquet that does not decode) wrote
// nothing live and retired nothing: its group is planned again without
// that block (st.Damaged names it) and merged, while the other groups go
// on. It returns the groups merged, the damaged ones replaced by their new
// plans, with their outputs in the same order, and the first other error.
func mergeReplanning(ctx context.Context, st *blocks.Store, groups []Group, marks map[uuid.UUID]string, opts Options) ([]Group, []Output, error) {
	var doneGroups []Group
	var done []Output
	for len(groups) > 0 {
		outs, errs := mergeAll(ctx, st, groups, opts)
		var again []Group
		var first error
		for i, g := range groups {
			var d *blocks.DamagedError
			switch {
			case errs[i] == nil:
				if outs[i].Meta.BlockID != uuid.Nil {
					doneGroups, done = append(doneGroups, g), append(done, outs[i])
				}
			case errors.As(errs[i], &d) && ctx.Err() == nil:
				st.NoteDamage(d) // named as a read names it (a copy's damage is not yet)
				bad, ok := d.BlockID()
				if !ok || !slices.ContainsFunc(g.metas, func(m blocks.Meta) bool { return m.BlockID == bad }) {
					first = cmpFirst(first, errs[i])
					continue
				}
				rest := slices.DeleteFunc(slices.Clone(g.metas), func(m blocks.Meta) bool { return m.BlockID == bad })
				sub, err := readablePlan(ctx, st, rest, marks, opts)
				if err != nil {
					first = cmpFirst(first, err)
					continue
				}
				again = append(again, sub...)
			default:
				first = cmpFirst(first, errs[i])
			}
		}
		if first != nil {
			return doneGroups, done, first
		}
		groups = again
	}
	return doneGroups, done, nil
}

// cmpFirst returns the error to report of first and err: the earlier,
// unless it is a cancellation (which another error caused).
func cmpFirst(first, err error) error {
	if first == nil || errors.Is(first, context.Canceled) {
		return err
	}
	return first
}

// mergeAll merges the groups, opts.Concurrency at a time. It returns each
// group's output and error, in group order. An error cancels the merges
// still running (their outputs are never made live), unless it is a
// damaged input, which concerns that group alone.
func mergeAll(ctx context.Context, st *blocks.Store, groups []Group, opts Options) ([]Output, []error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	outs := make([]Output, len(groups))
	errs := make([]error, len(groups))
	n := opts.Concurrency
	if n <= 0 {
		n = defaultMerges(st, groups)
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, g := range groups {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			errs[i] = ctx.Err()
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			outs[i], errs[i] = merge(ctx, st, g, opts)
			if errs[i] != nil && !errors.As(errs[i], new(*blocks.DamagedError)) {
				cancel()
			}
		}()
	}
	wg.Wait()
	return outs, errs
}

// defaultMerges is how many merges run at once without Options.Concurrency:
// one per core, or more on an object store when every group is small
// (blocks.Store.WritesAtOnce).
func defaultMerges(st *blocks.Store, groups []Group) int {
	sizes := make([]uint64, len(groups))
	for i, g := range groups {
		for _, m := range g.metas {
			sizes[i] += m.Size
		}
	}
	return st.WritesAtOnce(runtime.GOMAXPROCS(0), sizes)
}

// merge writes one group's output completely, then retires its inputs.
func merge(ctx context.Context, st *blocks.Store, g Group, opts Options) (Output, error) {
	// Input row groups that no other input interleaves, and large enough
	// to stand as output row groups, are copied whole (not with a cap:
	// it may cut their traces). Where the traces belie the plan (made
	// from footer statistics), the group is merged again without copies.
	//
	// Inputs that share no trace are merged column by column, no trace
	// decoded (blocks.Store.ColumnMerge); where they share one, or damage
	// is met, the merge goes trace by trace.
	var out Output
	err := blocks.ErrTraceMergeNeeded
	if opts.MaxTraceBytes == 0 {
		out, err = columnMerged(ctx, st, g, opts)
	}
	if errors.Is(err, blocks.ErrTraceMergeNeeded) {
		out, err = writeMerged(ctx, st, g, opts, opts.MaxTraceBytes == 0)
	}
	if errors.Is(err, blocks.ErrCopyPlan) {
		out, err = writeMerged(ctx, st, g, opts, false)
	}
	if err != nil {
		return out, err
	}
	// The inputs are retired independently of one another (the output
	// holds them all), so their requests overlap.
	err = eachAtOnce(ctx, requestsAtOnce(opts), g.metas, func(ctx context.Context, _ int, in blocks.Meta) error {
		if err := retire(ctx, st, in.BlockID); err != nil {
			return fmt.Errorf("%s written, but retiring input %s failed (the next run finishes it): %w", out.Meta.BlockID, in.BlockID, err)
		}
		return nil
	})
	return out, err
}

// mergeWriteOptions are the options of a group's output block: the next
// compaction level, the group's dedicated columns and mark, and its inputs
// recorded as the block's sources.
func mergeWriteOptions(g Group, opts Options) blocks.WriteOptions {
	ids := make([]uuid.UUID, len(g.metas))
	level := uint32(0)
	for i, m := range g.metas {
		ids[i] = m.BlockID
		level = max(level, m.CompactionLevel)
	}
	return blocks.WriteOptions{
		RowGroupBytes:     opts.RowGroupBytes,
		CompactionLevel:   level + 1,
		DedicatedColumns:  g.DedicatedColumns,
		ReplicationFactor: g.metas[0].ReplicationFactor,
		Mark:              g.Mark,
		CompactedFrom:     ids,
	}
}

// columnMerged writes the merge of one group's inputs as a new block
// column by column (nothing is retired); an error wrapping
// blocks.ErrTraceMergeNeeded says the merge must go trace by trace.
func columnMerged(ctx context.Context, st *blocks.Store, g Group, opts Options) (Output, error) {
	res, err := st.ColumnMerge(ctx, g.metas, mergeWriteOptions(g, opts), copyGroupBytes(opts))
	if err != nil {
		return Output{}, err
	}
	return Output{Group: g, Meta: res.Meta, Traces: res.Traces, Spans: res.Spans, Cut: []CutTrace{},
		CopiedRowGroups: res.CopiedRowGroups}, nil
}

// writeMerged writes the merge of one group's inputs as a new block
// (nothing is retired), copying whole the row groups it can when copies
// is set.
func writeMerged(ctx context.Context, st *blocks.Store, g Group, opts Options, copies bool) (Output, error) {
	out := Output{Group: g, Cut: []CutTrace{}}
	w, err := blocks.NewBlockWriter(ctx, st, mergeWriteOptions(g, opts))
	if err != nil {
		return out, err
	}
	var cp *blocks.MergeCopier
	if copies {
		if cp, err = st.PlanMergeCopies(ctx, g.metas, w, copyGroupBytes(opts)); err != nil {
			w.Abort()
			return out, err
		}
		defer cp.Close() // after the writer's Finish or Abort below
	}
	it := st.TracesOf(ctx, g.metas)
	for it.Next() {
		t := it.At()
		if opts.MaxTraceBytes > 0 {
			var cut *CutTrace
			if t, cut = capTrace(t, opts.MaxTraceBytes); cut != nil {
				out.Cut = append(out.Cut, *cut)
				if cut.Kept == 0 {
					continue
				}
			}
		}
		out.Traces++
		out.Spans += t.SpanCount()
		if err := cp.Add(w, t, it); err != nil {
			it.Close()
			w.Abort()
			return out, err
		}
	}
	err = it.Err()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err == nil && out.Traces == 0 {
		err = fmt.Errorf("group of %d blocks: no trace left under the trace size cap (%d bytes); nothing written, inputs kept", len(g.metas), opts.MaxTraceBytes)
	}
	if err != nil {
		w.Abort()
		return out, err
	}
	m, err := w.Finish()
	if err != nil {
		w.Abort()
		return out, err
	}
	out.Meta = m
	out.CopiedRowGroups = cp.Copied()
	return out, nil
}

// sweep finishes interrupted retirements and deletes compacted blocks
// whose compactedTime is older than CompactedRetention.
func sweep(ctx context.Context, st *blocks.Store, opts Options, finished *[]uuid.UUID, deleted *[]blocks.Meta) error {
	due, isLive, err := sweepDue(ctx, st, opts)
	if err != nil {
		return err
	}
	work := st.TrackBlocks(due)
	done := make([]bool, len(due))
	err = eachAtOnce(ctx, requestsAtOnce(opts), due, func(ctx context.Context, i int, m blocks.Meta) error {
		if isLive[m.BlockID] {
			// MarkCompacted was cut short after meta.compacted.json.
			if err := retire(ctx, st, m.BlockID); err != nil {
				return err
			}
		} else if err := st.DeleteCompactedBlock(ctx, m.BlockID); err != nil {
			return err
		}
		done[i] = true
		work.Done(i)
		return nil
	})
	for i, m := range due {
		switch {
		case !done[i]:
		case isLive[m.BlockID]:
			*finished = append(*finished, m.BlockID)
		default:
			*deleted = append(*deleted, m)
		}
	}
	return err
}

// sweepDue returns the compacted blocks sweep acts on: those whose
// retirement was cut short (still live: isLive) and those older than
// CompactedRetention.
func sweepDue(ctx context.Context, st *blocks.Store, opts Options) (due []blocks.Meta, isLive map[uuid.UUID]bool, err error) {
	comp, err := st.CompactedBlocks(ctx)
	if err != nil {
		return nil, nil, err
	}
	live, err := st.Blocks(ctx)
	if err != nil {
		return nil, nil, err
	}
	isLive = map[uuid.UUID]bool{}
	for _, m := range live {
		isLive[m.BlockID] = true
	}
	cutoff := opts.Now().Add(-opts.CompactedRetention)
	for _, m := range comp {
		if isLive[m.BlockID] || !m.CompactedTime.After(cutoff) {
			due = append(due, m)
		}
	}
	return due, isLive, nil
}

// dueForDeletion fills a dry run's Deleted and Orphans with what a run
// would delete after its planned merges (res.Groups, of the live blocks
// metas): compacted blocks past CompactedRetention, the merged inputs
// too when it is zero (retired, then deleted at once), and orphaned
// folders past their age limit, judged with the merged inputs no longer
// live (see deleteOrphans).
func dueForDeletion(ctx context.Context, st *blocks.Store, opts Options, res *Result, metas []blocks.Meta) error {
	merged := map[uuid.UUID]bool{}
	for _, g := range res.Groups {
		for _, in := range g.Inputs {
			merged[in.BlockID] = true
		}
	}
	due, isLive, err := sweepDue(ctx, st, opts)
	if err != nil {
		return err
	}
	for _, m := range due {
		if !isLive[m.BlockID] {
			res.Deleted = append(res.Deleted, m)
		}
	}
	if opts.CompactedRetention == 0 {
		for _, m := range metas {
			if merged[m.BlockID] {
				res.Deleted = append(res.Deleted, m)
			}
		}
	}
	res.Orphans, err = orphansDue(ctx, st, opts, merged)
	return err
}

// deleteOrphans removes block folders without meta.json. Outputs of
// interrupted runs whose rewrite.json lists inputs none of which is live
// any more go after CompactedRetention untouched. Every other folder (a
// killed ingest's temporary data.parquet, a redact's or a compaction's
// output whose inputs are live, another writer's) goes after OrphanGrace
// untouched: a writer still at work keeps touching its folder, and
// publishes meta.json seconds after data.parquet is complete. An output
// still being written by an overlapping run has live inputs (it retires
// them only after its meta.json), unless yet another run merged them
// meanwhile; the age limits cover that case for runs shorter than them.
func deleteOrphans(ctx context.Context, st *blocks.Store, opts Options, res *Result) error {
	due, err := orphansDue(ctx, st, opts, nil)
	if err != nil {
		return err
	}
	for _, id := range due {
		if err := st.DeleteBlock(ctx, id); err != nil {
			return err
		}
		res.Orphans = append(res.Orphans, id)
	}
	return nil
}

// orphansDue returns the block folders without meta.json that
// deleteOrphans deletes now, taking the blocks of retiring (a dry run's
// planned inputs) as no longer live.
func orphansDue(ctx context.Context, st *blocks.Store, opts Options, retiring map[uuid.UUID]bool) ([]uuid.UUID, error) {
	orphans, err := st.OrphanBlocks(ctx)
	if err != nil || len(orphans) == 0 {
		return []uuid.UUID{}, err
	}
	metas, err := st.Blocks(ctx)
	if err != nil {
		return nil, err
	}
	live := map[uuid.UUID]bool{}
	for _, m := range metas {
		live[m.BlockID] = !retiring[m.BlockID]
	}
	retained := opts.Now().Add(-opts.CompactedRetention)
	grace := opts.Now().Add(-opts.OrphanGrace)
	due := []uuid.UUID{}
	for _, o := range orphans {
		p, err := st.Provenance(ctx, o.BlockID)
		if err != nil {
			return nil, err
		}
		fromLive := slices.ContainsFunc(p.CompactedFrom, func(id uuid.UUID) bool { return live[id] })
		switch {
		case len(p.CompactedFrom) > 0 && !fromLive:
			// An output whose inputs are retired: kept as long as
			// compacted blocks are.
			if o.Modified.After(retained) {
				continue
			}
		case o.Modified.After(grace):
			// Maybe still being written: an ingest, a redact, another
			// writer (Tempo), or a compaction whose inputs are live.
			continue
		}
		due = append(due, o.BlockID)
	}
	return due, nil
}
