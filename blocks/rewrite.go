package blocks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/tracectl/tracectl/model"
)

// RewriteFunc changes a trace in place and reports whether it changed.
// Rewrite calls it exactly once per trace of each block it reads.
type RewriteFunc func(*model.Trace) (changed bool, err error)

// RewriteOptions control Rewrite.
type RewriteOptions struct {
	// Mark identifies the transform (redact uses a digest of its rules
	// and key). Blocks written with the same Mark are skipped, since a
	// transform such as hashing is not idempotent, and the new block's ID
	// is derived from the old ID and Mark, so that a run after a crash
	// finds the work already done instead of writing it twice.
	Mark string
	// DryRun applies the function to every trace and reports which
	// blocks would be rewritten, writing and deleting nothing.
	DryRun bool
	// RowGroupBytes of the new blocks (default DefaultRowGroupBytes).
	RowGroupBytes int64
	// Fork, when set, gives each block a transform of its own in place of
	// Rewrite's fn, so that several blocks can be rewritten at once: one
	// per core, or on an object store whose blocks are all small,
	// SmallRemoteWrites at a time (their requests overlap; see
	// WritesAtOnce). Without it blocks are rewritten one after the other.
	// Each block's done is called once its
	// work is over, in block order, whatever order the blocks finished
	// in (a transform that counts what it did adds up the same way).
	Fork func() (fn RewriteFunc, done func())
	// Changes, when not zero, are the only parts of traces fn changes
	// (it adds, removes and reorders no span, scope or resource). With
	// Fork, a new block then copies the columns of every other part from
	// the old one, row group by row group, instead of encoding them again.
	// The new block has the old one's row groups (RowGroupBytes is not
	// used). A block whose traces cannot be written that way (fn made two
	// resources the same, the block was not written by tracectl, or a
	// chunk to copy is damaged) is rewritten in full with a new Fork; the
	// abandoned one's done is never called.
	Changes model.TraceParts
}

// BlockRewrite is one block Rewrite replaced (or would replace).
type BlockRewrite struct {
	Old Meta `json:"old"`
	// New is the replacement's meta (zero in a dry run).
	New Meta `json:"new"`
	// Traces were read; Changed of them were changed by the function.
	Traces  int `json:"traces"`
	Changed int `json:"changed"`
	// CopiedChunks counts the column chunks of the new block copied from
	// the old one as they were (RewriteOptions.Changes), not encoded again.
	CopiedChunks int `json:"copiedChunks"`
	// Resumed is set when a previous, interrupted run had already
	// written the replacement: only the old block was removed.
	Resumed bool `json:"resumed"`
}

// RewriteResult says what Rewrite did.
type RewriteResult struct {
	// Blocks is the number of live blocks examined.
	Blocks int `json:"blocks"`
	// Skipped counts blocks already carrying the Mark.
	Skipped int `json:"skipped"`
	// Damaged counts blocks left as they are because their data.parquet
	// does not open or one of its pages does not decode (named by
	// Store.Damaged).
	Damaged   int            `json:"damaged"`
	Rewritten []BlockRewrite `json:"rewritten"`
	// Recovered lists leftovers of blocks an interrupted run had started
	// to delete after replacing them; they were deleted now.
	Recovered []uuid.UUID `json:"recovered"`
}

type rewriteMark struct {
	Mark          string      `json:"mark"`
	From          uuid.UUID   `json:"from"`
	CompactedFrom []uuid.UUID `json:"compactedFrom,omitempty"`
}

// Provenance is what a block's rewrite.json records about how the block
// was made; zero for a block written by ingest or by Tempo.
type Provenance struct {
	// Mark is the transform that produced the block (see RewriteOptions).
	Mark string
	// RewrittenFrom is the block Rewrite replaced with this one.
	RewrittenFrom uuid.UUID
	// CompactedFrom are the blocks a compaction merged into this one.
	CompactedFrom []uuid.UUID
}

// Provenance reads the rewrite.json of block folder id (live, compacted
// or orphaned); a folder without one has the zero Provenance.
func (s *Store) Provenance(ctx context.Context, id uuid.UUID) (Provenance, error) {
	mk, err := s.readMark(ctx, id)
	if err != nil {
		return Provenance{}, err
	}
	return Provenance{Mark: mk.Mark, RewrittenFrom: mk.From, CompactedFrom: mk.CompactedFrom}, nil
}

// ReplacementID is the ID Rewrite gives the block replacing old under mark.
func ReplacementID(old uuid.UUID, mark string) uuid.UUID {
	return uuid.NewSHA1(old, []byte("tracectl-rewrite:"+mark))
}

// Rewrite applies fn to every trace of every live block and replaces each
// block in which fn changed something, never in place: the new block is
// written completely (meta.json last, so it appears whole), then the old
// block is retired as a compaction retires its inputs (MarkCompacted:
// meta.compacted.json, then meta.json removed); compact and retain delete
// it after their compacted retention. A reader that listed the old block
// before it was retired can still read it (deleting it at once lost its
// traces for such a reader, or left the block out as damaged). Blocks
// where nothing changed are left alone. Whatever step a crash interrupts,
// no trace is lost: before the new meta.json lands readers see the old
// block; after it and before the old meta.json is removed they see both
// and merge the copies (as for any trace in two blocks); after that only
// the new. Running Rewrite again with the same Mark completes the work:
// it finds the replacement by its derived ID, retires the old block (or
// deletes the leftovers of an older version's deletion), and does not
// transform a trace twice.
func (s *Store) Rewrite(ctx context.Context, fn RewriteFunc, opts RewriteOptions) (*RewriteResult, error) {
	res := &RewriteResult{Rewritten: []BlockRewrite{}, Recovered: []uuid.UUID{}} // [] in JSON, never null
	if !opts.DryRun && opts.Mark != "" {
		if err := s.recoverRetired(ctx, opts.Mark, res); err != nil {
			return res, err
		}
	}
	metas, err := s.Blocks(ctx)
	if err != nil {
		return res, err
	}
	live := map[uuid.UUID]bool{}
	for _, m := range metas {
		live[m.BlockID] = true
	}
	prog := s.trackScan(metas)
	outs := make([]rewriteOutcome, len(metas))
	workers := 1
	if opts.Fork != nil {
		workers = s.rewriteWorkers(metas)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	groups := semaphore.NewWeighted(rewriteGroupBytes)
	for i, m := range metas {
		held := rowGroupWeight(m)
		if gctx.Err() != nil || groups.Acquire(gctx, held) != nil {
			break
		}
		g.Go(func() error {
			defer groups.Release(held)
			if gctx.Err() != nil {
				return nil // another block failed
			}
			newFn := func() RewriteFunc { return fn }
			if opts.Fork != nil {
				newFn = func() RewriteFunc {
					f, done := opts.Fork()
					outs[i].done = done // the last fork's: an abandoned one's counts are dropped
					return f
				}
			}
			var err error
			outs[i].kind, outs[i].br, err = s.rewriteOne(gctx, m, live, newFn, opts)
			outs[i].started = true
			prog.block(i) // skipped, resumed or rewritten
			return err
		})
	}
	err = g.Wait()
	if err == nil {
		err = ctx.Err()
	}
	for _, o := range outs {
		if o.done != nil {
			o.done()
		}
		if !o.started {
			continue
		}
		res.Blocks++
		switch o.kind {
		case blockSkipped:
			res.Skipped++
		case blockDamaged:
			res.Damaged++
		case blockRewritten:
			res.Rewritten = append(res.Rewritten, *o.br)
		}
	}
	return res, err
}

// rewriteOutcome is what Rewrite did with one block.
type rewriteOutcome struct {
	started bool // rewriteOne ran (and maybe failed)
	kind    int  // one of the block* constants
	br      *BlockRewrite
	done    func() // the block's Fork done
}

// What Rewrite did with a block.
const (
	blockUnchanged = iota
	blockSkipped
	blockDamaged
	blockRewritten // or resumed
)

// rewriteGroupBytes bounds the row groups of the blocks rewritten at once,
// each weighed by its average compressed row group (rowGroupWeight): a
// rewrite holds about one being read and one being written. The two
// blocks of 1M generated spans (28 and 52 MB, one row group each) are
// rewritten at once, at 253–254 MiB peak RSS instead of 222–226; two of
// 52 MB one after the other, as at once they took 392–400 MiB, not 229.
var rewriteGroupBytes int64 = 96 << 20 // a variable for tests

// rowGroupWeight is m's average compressed row group, at most
// rewriteGroupBytes.
func rowGroupWeight(m Meta) int64 {
	return min(int64(m.Size/uint64(max(m.TotalRecords, 1))), rewriteGroupBytes)
}

// rewriteWorkers is how many blocks of metas Rewrite works on at once:
// one per core, as compact merges, or more on an object store when they
// are small (WritesAtOnce). A block's reader and writer take less than
// two cores between them: one block at a time kept 2 cores 65–80% busy.
// Large row groups are held to fewer at once (rewriteGroupBytes).
func (s *Store) rewriteWorkers(metas []Meta) int {
	sizes := make([]uint64, len(metas))
	for i, m := range metas {
		sizes[i] = m.Size
	}
	return s.WritesAtOnce(runtime.GOMAXPROCS(0), sizes)
}

// rewriteOne is Rewrite's work on one live block m, with the transform
// newFn returns (a new one when a column-wise rewrite is abandoned).
func (s *Store) rewriteOne(ctx context.Context, m Meta, live map[uuid.UUID]bool, newFn func() RewriteFunc, opts RewriteOptions) (int, *BlockRewrite, error) {
	b := s.block(m)
	if opts.Mark != "" {
		mk, err := s.readMark(ctx, m.BlockID)
		if err != nil {
			return 0, nil, err
		}
		if mk.Mark == opts.Mark {
			return blockSkipped, nil, nil
		}
		if newID := ReplacementID(m.BlockID, opts.Mark); live[newID] {
			// An earlier run wrote the replacement and stopped
			// before the old block was retired.
			if !opts.DryRun {
				if err := s.MarkCompacted(ctx, m.BlockID); err != nil {
					return 0, nil, err
				}
			}
			nm, _ := s.readMeta(ctx, newID, metaObject)
			return blockRewritten, &BlockRewrite{Old: m, New: nm, Resumed: true}, nil
		}
	}
	// A block whose data.parquet does not open is left as it is and
	// named (Store.Damaged): never rewritten from what could be read.
	if err := s.CheckReadable(ctx, m); err != nil {
		var d *DamagedError
		if errors.As(err, &d) {
			return blockDamaged, nil, nil
		}
		return 0, nil, err
	}
	tryCopy := opts.Changes != 0 && opts.Fork != nil && !opts.DryRun
	br, err := s.rewriteBlock(ctx, b, newFn(), opts, tryCopy)
	if errors.Is(err, errCopyShape) || errors.Is(err, errCopyDamaged) || errors.Is(err, ErrCopyPlan) {
		br, err = s.rewriteBlock(ctx, b, newFn(), opts, false)
	}
	if d, ok := pageDamage(ctx, err); ok {
		// Damage inside a page: the replacement was aborted, the
		// block stays as it is and is named.
		s.leaveOut(d, false)
		return blockDamaged, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	if br != nil {
		return blockRewritten, br, nil
	}
	return blockUnchanged, nil, nil
}

// recoverRetired deletes orphan folders (no meta.json) whose replacement
// under mark is live: an earlier run crashed while deleting them.
func (s *Store) recoverRetired(ctx context.Context, mark string, res *RewriteResult) error {
	orphans, err := s.Orphans(ctx)
	if err != nil {
		return err
	}
	for _, o := range orphans {
		id, err := uuid.Parse(strings.TrimPrefix(o, s.tenant+"/"))
		if err != nil {
			continue
		}
		if _, err := s.readMeta(ctx, ReplacementID(id, mark), metaObject); err != nil {
			if isNotFound(err) {
				continue // an unrelated orphan: not ours to delete
			}
			return err
		}
		if err := s.DeleteBlock(ctx, id); err != nil {
			return err
		}
		res.Recovered = append(res.Recovered, id)
	}
	return nil
}

// readMark reads block folder id's rewrite.json; a folder without one has
// the zero mark, and one a listing showed without it is not asked for.
func (s *Store) readMark(ctx context.Context, id uuid.UUID) (rewriteMark, error) {
	var mk rewriteMark
	if s.known.markAbsent(id) {
		return mk, nil // listed without one (see knownObjects)
	}
	key := joinKey(s.tenant, id.String(), markObject)
	data, err := readAll(ctx, s.bucket, key)
	if isNotFound(err) {
		return mk, nil
	}
	if err != nil {
		return mk, err
	}
	if err := json.Unmarshal(data, &mk); err != nil {
		return mk, fmt.Errorf("%s: %w", key, err)
	}
	return mk, nil
}

// rewriteBlock replaces one block if fn changes any of its traces; it
// returns nil when nothing changed. A first pass stops at the first
// changed trace; the second pass copies the traces before it unchanged,
// writes the changed one, and transforms the rest, so fn sees each trace
// once and unchanged blocks cost one read and no write. With tryCopy the
// columns fn leaves unchanged are copied (rewrite_copy.go) if the block
// allows it; errCopyShape says a trace did not, and nothing was written.
func (s *Store) rewriteBlock(ctx context.Context, b *Block, fn RewriteFunc, opts RewriteOptions, tryCopy bool) (*BlockRewrite, error) {
	br := &BlockRewrite{Old: b.meta}
	first := -1
	var firstTrace *model.Trace
	var firstShape uint64
	err := b.each(ctx, func(i int, t *model.Trace) (bool, error) {
		br.Traces++
		var shape uint64
		if tryCopy {
			shape = traceShape(t)
		}
		changed, err := fn(t)
		if err != nil {
			return false, fmt.Errorf("%s: trace %s: %w", b.prefix, t.TraceID, err)
		}
		if changed {
			br.Changed++
			if first < 0 {
				first, firstTrace, firstShape = i, t, shape
			}
		}
		// A dry run reads everything to count; a real run stops here.
		return opts.DryRun || first < 0, nil
	})
	if err != nil {
		return nil, err
	}
	if first < 0 {
		return nil, nil
	}
	if opts.DryRun {
		return br, nil
	}
	newID := uuid.New()
	if opts.Mark != "" {
		newID = ReplacementID(b.meta.BlockID, opts.Mark)
		// Leftovers of an interrupted write of the same replacement.
		if err := s.DeleteBlock(ctx, newID); err != nil {
			return nil, err
		}
	}
	w, err := NewBlockWriter(ctx, s, WriteOptions{
		RowGroupBytes:     opts.RowGroupBytes,
		CompactionLevel:   b.meta.CompactionLevel,
		DedicatedColumns:  b.meta.DedicatedColumns,
		BlockID:           newID,
		ReplicationFactor: b.meta.ReplicationFactor,
		Mark:              opts.Mark,
		RewrittenFrom:     b.meta.BlockID,
	})
	if err != nil {
		return nil, err
	}
	var cp *rewriteCopier
	if tryCopy {
		src, err := b.open(ctx)
		if err != nil {
			w.Abort()
			return nil, err
		}
		// Released once the writer, which reads the copied chunks, is done.
		defer src.r.release()
		if canCopyFrom(src, b.meta, w.meta.DedicatedColumns) {
			cp = newRewriteCopier(src, opts.Changes)
		}
	}
	br.Traces, br.Changed = 0, 0
	err = b.each(ctx, func(i int, t *model.Trace) (bool, error) {
		br.Traces++
		var shape uint64
		switch {
		case i == first:
			t, shape = firstTrace, firstShape
			br.Changed++
		case cp != nil:
			shape = traceShape(t)
		}
		if i > first {
			changed, err := fn(t)
			if err != nil {
				return false, fmt.Errorf("%s: trace %s: %w", b.prefix, t.TraceID, err)
			}
			if changed {
				br.Changed++
			}
		}
		if cp != nil {
			return true, cp.add(w, i, t, shape)
		}
		return true, w.Add(t)
	})
	if err != nil {
		w.Abort()
		return nil, err
	}
	nm, err := w.Finish()
	if err != nil {
		w.Abort()
		return nil, err
	}
	br.New = nm
	br.CopiedChunks = w.copiedChunks
	if err := s.MarkCompacted(ctx, b.meta.BlockID); err != nil {
		return br, fmt.Errorf("%s replaced by %s, but retiring it failed (run again to finish): %w", b.prefix, nm.BlockID, err)
	}
	return br, nil
}

// each calls fn with every trace of the block and its index, until fn
// returns false. A trace out of ID order ends it with a DamagedError: a
// block written from them would not be a vParquet4 block.
func (b *Block) each(ctx context.Context, fn func(int, *model.Trace) (bool, error)) error {
	it := b.iterator(ctx)
	it.idOrder = true
	defer it.Close()
	for i := 0; it.Next(); i++ {
		more, err := fn(i, it.At())
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
	}
	return it.Err()
}
