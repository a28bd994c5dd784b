// Package heapwatch measures the peak live heap of a piece of work, for
// benchmarks that report memory next to speed.
package heapwatch

import (
	"runtime/metrics"
	"time"
)

// Start samples the heap (runtime/metrics, no stop-the-world) every
// millisecond until the returned stop is called, and stop returns the
// largest /memory/classes/heap/objects:bytes seen: live plus not yet
// swept objects, i.e. what the heap reaches at the current GOGC.
func Start() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	peak := read()
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				peak = max(peak, read())
			}
		}
	}()
	return func() uint64 {
		close(quit)
		<-finished
		return max(peak, read())
	}
}
