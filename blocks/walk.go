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
// time. The first error from fn or from reading stops the walk; a damaged
// block is left out instead (Store.Damaged), from where the damage is met
// when it is inside its pages.
func (s *Store) Walk(ctx context.Context, fn func(Meta, *model.Trace) error) error {
	metas, err := s.Blocks(ctx)
	if err != nil {
		return err
	}
	var mu sync.Mutex // fn is called one trace at a time
	stopped := false  // fn returned an error: no more calls (its worker reports it)
	_, err = s.runGroupTasks(ctx, metas, nil, nil, func() groupWorker {
		var calls int64 // this worker's calls of fn
		return groupWorker{task: func(ctx context.Context, b *Block, file *pfile, t scanTask) ([]*model.Trace, error) {
			it := t.iterator(ctx, b, file)
			defer it.Close()
			for it.Next() {
				mu.Lock()
				if stopped {
					mu.Unlock()
					return nil, nil
				}
				err := ctx.Err() // another worker failed
				if err == nil {
					err = fn(b.meta, it.At())
					calls++
					stopped = err != nil
				}
				mu.Unlock()
				if err != nil {
					return nil, err
				}
			}
			return nil, it.Err()
		}, passed: func() int64 { return calls }}
	})
	return err
}
