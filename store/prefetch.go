package store

import (
	"sync"

	"github.com/tracectl/tracectl/model"
)

// Prefetch returns an iterator over it's traces that calls it.Next on a
// goroutine of its own, up to two batches of batch traces ahead, so that
// decoding the next traces (a merge of spilled runs) overlaps with what the
// caller does with the current ones. it's traces must stay valid after its
// Next. Close stops the goroutine and closes it.
func Prefetch(it TraceIterator, batch int) TraceIterator {
	p := &prefetchIter{src: it, ch: make(chan []*model.Trace, 2), stop: make(chan struct{})}
	p.wg.Add(1)
	go p.run(max(batch, 1))
	return p
}

type prefetchIter struct {
	src  TraceIterator
	ch   chan []*model.Trace
	stop chan struct{}
	wg   sync.WaitGroup
	err  error // src's, set before ch is closed

	buf    []*model.Trace
	pos    int
	cur    *model.Trace
	done   bool // ch was closed
	closed bool
}

func (p *prefetchIter) run(batch int) {
	defer p.wg.Done()
	defer close(p.ch)
	for {
		b := make([]*model.Trace, 0, batch)
		for len(b) < batch && p.src.Next() {
			b = append(b, p.src.At())
		}
		if len(b) > 0 {
			select {
			case p.ch <- b:
			case <-p.stop:
				return
			}
		}
		if len(b) < batch {
			p.err = p.src.Err()
			return
		}
	}
}

func (p *prefetchIter) Next() bool {
	for p.pos >= len(p.buf) {
		b, ok := <-p.ch
		if !ok {
			p.cur, p.buf, p.done = nil, nil, true
			return false
		}
		p.buf, p.pos = b, 0
	}
	p.cur = p.buf[p.pos]
	p.buf[p.pos] = nil
	p.pos++
	return true
}

func (p *prefetchIter) At() *model.Trace { return p.cur }

// Err is the source's error once Next has returned false (the goroutine
// sets it before it closes ch).
func (p *prefetchIter) Err() error {
	if !p.done {
		return nil
	}
	return p.err
}

func (p *prefetchIter) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	close(p.stop)
	p.wg.Wait()
	return p.src.Close()
}
