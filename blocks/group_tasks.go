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
		if req.Overlaps(m.timeRange()) {
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
}

func newBlockOpener() *blockOpener { return &blockOpener{pos: -1} }

// open returns block cand[pos] and its opened footer; a nil footer when
// the block is damaged and left out (Store.Damaged), also when a task
// met damage in its pages after the footer was opened.
func (o *blockOpener) open(ctx context.Context, s *Store, cand []Meta, pos int) (*Block, *pfile, error) {
	b := s.block(cand[pos])
	if o.pos == pos && o.file != nil && s.leftOut(b.key(dataObject)) {
		o.file = nil
	}
	if o.pos != pos {
		f, err := s.openOrSkip(ctx, b)
		if err != nil {
			return nil, nil, err
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
	// done, when not nil, is called once after the worker's last task if
	// no worker failed, one worker at a time.
	done func()
}

// runGroupTasks runs the row-group tasks of cand on Concurrency() workers,
// each made by newWorker, and returns the parts of split traces they
// built, by trace ID. A task that meets damage in its block's pages leaves
// the block out: it is recorded for Store.Damaged, as partly read (the
// workers may have passed on rows of it), the block's other tasks are
// skipped and its parts of split traces dropped. Any other error cancels
// the others and is returned, as is the caller's cancellation.
func (s *Store) runGroupTasks(parent context.Context, cand []Meta, newWorker func() groupWorker) (map[model.TraceID][]blockCopy, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	prog := s.trackScan(cand)
	tasks := rowGroupTasks(cand)
	work := make(chan scanTask, len(tasks))
	for _, t := range tasks {
		work <- t
	}
	close(work)
	var (
		mu     sync.Mutex
		first  error
		wg     sync.WaitGroup
		copies = map[model.TraceID][]blockCopy{}
		bad    = map[int]bool{} // blocks left out for damage in their pages
	)
	for range min(s.Concurrency(), max(len(cand), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker()
			opener := newBlockOpener()
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
				if file == nil {
					prog.block(t.pos)
					continue // damaged, left out
				}
				var ps []*model.Trace
				ps, err = w.task(ctx, b, file, t)
				if d, ok := pageDamage(ctx, err); ok {
					s.leaveOut(d, true)
					prog.block(t.pos)
					mu.Lock()
					bad[t.pos] = true
					mu.Unlock()
					err = nil
					continue
				}
				if err != nil {
					break
				}
				t.done(prog, file)
				for _, p := range ps {
					parts = append(parts, blockCopy{t.pos, p})
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
				copies[p.t.TraceID] = append(copies[p.t.TraceID], p)
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
	for id, cs := range copies {
		cs = slices.DeleteFunc(cs, func(c blockCopy) bool { return bad[c.pos] })
		if len(cs) == 0 {
			delete(copies, id)
		} else {
			copies[id] = cs
		}
	}
	return copies, nil
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
