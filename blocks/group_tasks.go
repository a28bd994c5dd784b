package blocks

import (
	"context"
	"slices"
	"sync"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// inRange returns the blocks of metas whose time range overlaps req's.
func inRange(metas []Meta, req *store.Request) []Meta {
	var cand []Meta
	for _, m := range metas {
		if req.Overlaps(m.TimeRange()) {
			cand = append(cand, m)
		}
	}
	return cand
}

// blockOpener keeps the footer a worker opened while its tasks are of the
// same block (an opened file reads one row group at a time, so each worker
// opens its own).
type blockOpener struct {
	file *pfile
	pos  int
	// handed are footers opened before the scan (nil: none).
	handed *footers
	// light opens light footers (Block.openLight), for a scan that reads
	// them whole only where it reads (pfile.wholeFooter).
	light bool
}

func newBlockOpener(handed *footers) *blockOpener { return &blockOpener{pos: -1, handed: handed} }

// open returns block cand[pos] and its opened footer; a nil footer when
// the block is damaged and left out (Store.Damaged), also when a task
// met damage in its pages after the footer was opened.
func (o *blockOpener) open(ctx context.Context, s *Store, cand []Meta, pos int) (*Block, *pfile, error) {
	b := s.block(cand[pos])
	if o.pos == pos && o.file != nil && s.leftOut(b.key(dataObject)) {
		o.file = nil
	}
	if o.pos != pos {
		f := o.handed.take(ctx, pos)
		if f == nil || s.leftOut(b.key(dataObject)) {
			var err error
			if f, err = s.openOrSkipAs(ctx, b, o.light); err != nil {
				return nil, nil, err
			}
		}
		o.file, o.pos = f, pos
	}
	return b, o.file, nil
}

// groupWorker is what one worker of runGroupTasks does.
type groupWorker struct {
	// task handles one task of block b, opened as file, and returns the
	// parts of split traces it built.
	task func(ctx context.Context, b *Block, file *pfile, t scanTask) ([]*model.Trace, error)
	// merged, when not nil, takes a split trace whose parts are all in,
	// merged (the holders given to runGroupTasks count them: with nil
	// holders, none is known complete); without it, or for a trace with
	// a part left unread, the parts are returned.
	merged func(t *model.Trace)
	// done, when not nil, is called once after the worker's last task if
	// no worker failed, one worker at a time.
	done func()
	// passed, when not nil, counts what the worker's tasks have passed on
	// so far (traces handed to a callback, rows counted or aggregated), so
	// that a task failing on damage can tell whether it passed anything
	// on; without it, every task is taken to have.
	passed func() int64
}

// taskDamage is what one runGroupTasks knows of the blocks it leaves out
// for damage in their pages: which, and how many tasks of each began.
type taskDamage struct {
	mu      sync.Mutex
	bad     map[int]bool
	started map[int]int
}

// begin reports whether a task of block pos may run (the block is not
// left out) and counts it as begun.
func (d *taskDamage) begin(pos int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.bad[pos] {
		return false
	}
	d.started[pos]++
	return true
}

// isBad reports whether block pos was left out.
func (d *taskDamage) isBad(pos int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.bad[pos]
}

// leaveOut leaves block pos out and reports whether rows of it may have
// been passed on: by the task that met the damage (passed) or by another
// task of the block that began before.
func (d *taskDamage) leaveOut(pos int, passed bool) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.bad[pos] = true
	return passed || d.started[pos] > 1
}

// spreadAll reports whether every row-group task of cand may take a
// second goroutine (see pfile.spreadRows): there are fewer row groups
// than cores to read them with (Concurrency: GOMAXPROCS or --concurrency).
func (s *Store) spreadAll(cand []Meta) bool {
	return len(rowGroupTasks(cand)) < s.Concurrency()
}

// spreadBlocks reports, by position in cand, whether the row groups of a
// block may take a second goroutine each when counting or aggregating:
// all when spreadAll, and otherwise those larger than a core's share of
// cand, which would end last with the other cores idle. (A 1M-span ingest
// writes two blocks of about 35% and 65% of the spans.) A search does not
// spread them: its cores stay busy building the traces that matched, and
// the second half's readers decode the group's dictionaries again.
func (s *Store) spreadBlocks(cand []Meta) []bool {
	out := make([]bool, len(cand))
	n := s.Concurrency()
	all := s.spreadAll(cand)
	var total int64
	for _, m := range cand {
		total += int64(m.Size)
	}
	for i, m := range cand {
		out[i] = all || int64(m.Size)/int64(max(m.TotalRecords, 1)) > total/int64(n)
	}
	return out
}

// runGroupTasks runs the row-group tasks of cand on scanWorkers(cand) workers
// (opening the blocks, or taking the footers handed to it),
// each made by newWorker, and returns the parts of split traces they
// built, by trace ID: with holders (the split-trace pass's count of each
// trace's parts) and a worker's merged, only those of traces not merged
// on the way. A task that meets damage in its block's pages leaves
// the block out: it is recorded for Store.Damaged (partly read when the
// task or another of the block may have passed rows of it on), the
// block's tasks not begun are skipped and its parts of split traces not
// merged yet dropped (a part merged before stays, as rows passed on do:
// the block was begun by more than one task, so it is recorded partly
// read). Any other error cancels the others and is returned, as is the
// caller's cancellation.
func (s *Store) runGroupTasks(parent context.Context, cand []Meta, handed *footers, holders *splitHolders, newWorker func() groupWorker) (map[model.TraceID][]blockCopy, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	prog := s.trackScan(cand)
	tasks := scanOrder(cand, store.Request{}) // (counts and aggregations keep no newest traces)
	work := make(chan scanTask, len(tasks))
	for _, t := range tasks {
		work <- t
	}
	close(work)
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		held  = newHeldParts(holders)
		dmg   = &taskDamage{bad: map[int]bool{}, started: map[int]int{}}
	)
	// complete sets part p of block pos aside and, when it is its trace's
	// last part, returns the trace merged (nil when every part is of
	// blocks left out).
	complete := func(pos int, p *model.Trace) *model.Trace {
		mu.Lock()
		cs := held.add(pos, p)
		mu.Unlock()
		cs = slices.DeleteFunc(cs, func(c blockCopy) bool { return dmg.isBad(c.pos) })
		if len(cs) == 0 {
			return nil
		}
		return mergeCopies(cs)
	}
	for range min(s.scanWorkers(cand), max(len(cand), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker()
			opener := newBlockOpener(handed)
			var parts []blockCopy
			var err error
			for t := range work {
				if err = ctx.Err(); err != nil {
					break
				}
				var b *Block
				var file *pfile
				if b, file, err = opener.open(ctx, s, cand, t.pos); err != nil {
					break
				}
				if file == nil || !dmg.begin(t.pos) {
					prog.block(t.pos)
					continue // damaged, left out
				}
				var mark int64
				if w.passed != nil {
					mark = w.passed()
				}
				var ps []*model.Trace
				ps, err = w.task(ctx, b, file, t)
				if d, ok := pageDamage(ctx, err); ok {
					passed := w.passed == nil || w.passed() != mark
					s.leaveOut(d, dmg.leaveOut(t.pos, passed))
					prog.block(t.pos)
					err = nil
					continue
				}
				if err != nil {
					break
				}
				t.done(prog, file)
				for _, p := range ps {
					if w.merged == nil {
						parts = append(parts, blockCopy{t.pos, p})
					} else if m := complete(t.pos, p); m != nil {
						w.merged(m)
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
				}
				cancel()
				return
			}
			if w.done != nil {
				w.done()
			}
			for _, p := range parts {
				held.keep(p)
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = parent.Err()
	}
	if first != nil {
		return nil, first
	}
	return held.rest(dmg.isBad), nil
}

// done counts the task's row groups done, and its block when the task
// ran to the block's end.
func (t scanTask) done(prog *scanProgress, p *pfile) {
	if t.to == 0 {
		prog.block(t.pos)
		return
	}
	prog.groups(t.pos, min(t.to, len(p.file.RowGroups()))-t.from)
}

// eachGroup calls f with each row group of the task that the request's
// time range does not rule out, stopping at the first error or when ctx
// is done.
func (t scanTask) eachGroup(ctx context.Context, p *pfile, req *store.Request, f func(g int) error) error {
	end := len(p.file.RowGroups())
	if t.to > 0 {
		end = min(t.to, end)
	}
	for g := t.from; g < end; g++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if p.skipGroup(g, req) {
			continue
		}
		if err := f(g); err != nil {
			return err
		}
	}
	return nil
}
