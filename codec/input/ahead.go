package input

import (
	"context"
	"sync"

	"github.com/tracectl/tracectl/codec"
)

// ahead holds the batches decoded but not yet emitted, one queue per
// input in flight, under one bound on their total weight: a file may
// always queue one batch (so the one being emitted never waits for the
// files behind it), and more while the total stays within limit. The
// bound is soft by those single batches (one per file in flight) and by
// the batches being decoded. Batches leave each queue in the order they
// came, so emit sees the input order whatever the decoders' pace.
type ahead struct {
	mu      sync.Mutex
	cond    sync.Cond
	weigh   func(codec.Batch) int64
	limit   int64
	total   int64 // weight of every queued batch
	stopped bool  // the context ended: nothing more is queued or waited for
}

// batchQueue is one input's batches waiting to be emitted.
type batchQueue struct {
	items  []queuedBatch
	head   int // items[head:] are waiting
	closed bool
}

type queuedBatch struct {
	b codec.Batch
	w int64
}

// newAhead bounds the queued batches by limit as weigh weighs them; a
// limit of 0 lets each input queue one batch only. Once ctx ends, put
// refuses batches and get drops them.
func newAhead(ctx context.Context, limit int64, weigh func(codec.Batch) int64) *ahead {
	a := &ahead{limit: limit, weigh: weigh}
	a.cond.L = &a.mu
	context.AfterFunc(ctx, a.stop)
	return a
}

// stop makes put refuse batches and get drop them, at once.
func (a *ahead) stop() {
	a.mu.Lock()
	a.stopped = true
	a.cond.Broadcast()
	a.mu.Unlock()
}

// put queues b on q, waiting while q holds a batch and b would take the
// total past the limit. It reports false if the context ended first.
func (a *ahead) put(q *batchQueue, b codec.Batch) bool {
	var w int64
	if a.limit > 0 {
		w = max(a.weight(b), 1) // even empty batches count, so there is a bound on them
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for !a.stopped && len(q.items) > q.head && (a.limit == 0 || a.total+w > a.limit) {
		a.cond.Wait()
	}
	if a.stopped {
		return false
	}
	q.items = append(q.items, queuedBatch{b: b, w: w})
	a.total += w
	a.cond.Broadcast()
	return true
}

// get takes the next batch of q, waiting for one; ok is false once q is
// closed and empty. After the context ended it drops what q holds and
// waits for q to close, so the decoder is done when it returns false.
func (a *ahead) get(q *batchQueue) (b codec.Batch, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for {
		if !a.stopped && len(q.items) > q.head {
			it := q.items[q.head]
			q.items[q.head] = queuedBatch{}
			if q.head++; q.head == len(q.items) {
				q.items, q.head = q.items[:0], 0
			}
			a.total -= it.w
			a.cond.Broadcast()
			return it.b, true
		}
		if q.closed {
			return nil, false
		}
		a.cond.Wait()
	}
}

// close marks q complete: get drains it, then reports false.
func (a *ahead) close(q *batchQueue) {
	a.mu.Lock()
	q.closed = true
	a.cond.Broadcast()
	a.mu.Unlock()
}

// weight is weigh(b), or b's spans without a weigh function.
func (a *ahead) weight(b codec.Batch) int64 {
	if a.weigh != nil {
		return a.weigh(b)
	}
	return int64(b.SpanCount())
}
