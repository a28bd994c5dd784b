package blocks

import (
	"context"
	"fmt"
	"sync"

	"github.com/tracectl/tracectl/model"
)

// Walk calls fn with every trace of every live block, without merging
// copies of a trace held by several blocks (a scan for data that must not
// be there has to see every copy). Row groups are decoded Concurrency() at
// a time, in no particular order; fn is called from one goroutine at a
// time. The first error from fn or from reading stops the walk.
func (s *Store) Walk(ctx context.Context, fn func(Meta, *model.Trace) error) error {
	metas, err := s.Blocks(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type task struct {
		block *Block
		group int
	}
	tasks := make(chan task)
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		cancel()
	}
	for range s.Concurrency() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each worker opens its own copy of a block's footer: an
			// opened file reads one row group at a time.
			var cur *Block
			var f *pfile
			for t := range tasks {
				if t.block != cur {
					cur, f = t.block, nil
					var err error
					if f, err = t.block.open(ctx); err != nil {
						fail(err)
						continue
					}
				}
				if f == nil {
					continue
				}
				if err := walkGroup(t.block, f, t.group, func(tr *model.Trace) error {
					mu.Lock()
					defer mu.Unlock()
					if first != nil {
						return first
					}
					return fn(t.block.meta, tr)
				}); err != nil {
					fail(err)
				}
			}
		}()
	}
feed:
	for _, m := range metas {
		b := s.block(m)
		f, err := b.open(ctx)
		if err != nil {
			fail(err)
			break
		}
		for g := range f.file.RowGroups() {
			select {
			case tasks <- task{b, g}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(tasks)
	wg.Wait()
	if first == nil {
		first = ctx.Err() // the caller's cancellation
	}
	return first
}

// walkGroup decodes row group g of b and calls fn with each trace.
func walkGroup(b *Block, f *pfile, g int, fn func(*model.Trace) error) error {
	rows, err := f.openGroupSchema(g, projectedSchema(f.layout, nil))
	if err != nil {
		return err
	}
	defer rows.close()
	for {
		row, err := rows.next()
		if err != nil || row == nil {
			return err
		}
		t, err := b.codec.fromRow(row)
		if err != nil {
			return fmt.Errorf("%s: %w", b.key(dataObject), err)
		}
		if err := fn(t); err != nil {
			return err
		}
	}
}
