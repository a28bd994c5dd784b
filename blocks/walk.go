package blocks

import (
	"context"
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
	tasks := make(chan scanTask, len(metas))
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
			var file *pfile
			filePos := -1
			for t := range tasks {
				b := s.block(metas[t.pos])
				if filePos != t.pos {
					f, err := b.open(ctx)
					if err != nil {
						fail(err)
						return
					}
					file, filePos = f, t.pos
				}
				it := t.iterator(ctx, b, file)
				for it.Next() {
					mu.Lock()
					err := first
					if err == nil {
						err = fn(b.meta, it.At())
					}
					mu.Unlock()
					if err != nil {
						it.Close()
						fail(err)
						return
					}
				}
				if err := it.Err(); err != nil {
					fail(err)
					return
				}
			}
		}()
	}
feed:
	for _, t := range rowGroupTasks(metas) {
		select {
		case tasks <- t:
		case <-ctx.Done():
			break feed
		}
	}
	close(tasks)
	wg.Wait()
	if first == nil {
		first = ctx.Err() // the caller's cancellation
	}
	return first
}
