// Package workers runs the iterations of a loop on a bounded number of
// goroutines.
//
// It stands in for a goroutine per iteration (errgroup.Group with
// SetLimit) where iterations are many and short, such as one small read
// per block among hundreds: every new goroutine starts on a 2 KiB stack
// and grows it again, copying it each time it doubles, while a few
// long-lived goroutines grow theirs once. A trace lookup among 248
// overlapping blocks grew stacks 140 times with a goroutine per block and
// 20 times with workers.
package workers

import (
	"context"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// Each calls do(ctx, i) for every i in [0, n), on at most limit
// goroutines (limit < 1 means one), which take the indexes in increasing
// order. The first error cancels the context the other calls get, no
// further index is taken, and Each returns that error once the calls
// under way have returned; so does a cancellation of ctx. With one
// goroutine the calls run on the caller's. The context do gets is
// cancelled when Each returns: what outlives a call must keep ctx.
func Each(ctx context.Context, n, limit int, do func(ctx context.Context, i int) error) error {
	if limit = max(1, min(limit, n)); limit == 1 {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		for i := range n {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := do(ctx, i); err != nil {
				return err
			}
		}
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	var next atomic.Int64
	for range limit {
		g.Go(func() error {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return nil
				}
				if err := gctx.Err(); err != nil {
					return err
				}
				if err := do(gctx, i); err != nil {
					return err
				}
			}
		})
	}
	return g.Wait()
}
