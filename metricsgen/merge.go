package metricsgen

import (
	"context"
	"runtime"
	"sync"

	"github.com/tracectl/tracectl/store"
)

// Without --max-series, nothing a generator records depends on the order
// of traces: counts and durations are summed as integers, exemplars are
// chosen by end time (keepLatest), and edges are paired within a trace.
// Generate then aggregates on every core, one generator per goroutine
// taking batches of traces from the source, and merges the generators at
// the end: the result is the one generator's, to the byte.

// generateParallel aggregates it on workers goroutines into g.
func generateParallel(ctx context.Context, g *Generator, it store.BatchIterator, workers int) error {
	gens := make([]*Generator, workers)
	gens[0] = g
	for i := 1; i < workers; i++ {
		var err error
		if gens[i], err = newGenerator(g.o); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for i := range gens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = addBatches(ctx, gens[i], it)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	for _, o := range gens[1:] {
		g.merge(o)
	}
	return nil
}

// addBatches adds the batches of it to g until it ends or ctx does.
func addBatches(ctx context.Context, g *Generator, it store.BatchIterator) error {
	for {
		traces, release, ok := it.NextBatch()
		if !ok {
			return nil
		}
		for _, t := range traces {
			g.Add(t)
		}
		release()
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// parallelWorkers is how many generators Generate runs for opts: one per
// core, or one when the result depends on trace order (--max-series).
func parallelWorkers(o *Options) int {
	if o.MaxSeries > 0 {
		return 1
	}
	return runtime.GOMAXPROCS(0)
}

// merge adds what o aggregated to g; o is not used afterwards.
func (g *Generator) merge(o *Generator) {
	g.stats.Traces += o.stats.Traces
	g.stats.Spans += o.stats.Spans
	g.stats.NoService += o.stats.NoService
	if o.lo > 0 && (g.lo == 0 || o.lo < g.lo) {
		g.lo = o.lo
	}
	g.hi = max(g.hi, o.hi)
	g.tl.lastStep = max(g.tl.lastStep, o.tl.lastStep)
	if g.sm != nil {
		g.sm.calls.merge(o.sm.calls)
		g.sm.latency.merge(o.sm.latency)
		if g.sm.events != nil {
			g.sm.events.merge(o.sm.events)
		}
	}
	if g.sg != nil {
		for i, f := range g.sg.rows.fams {
			f.merge(o.sg.rows.fams[i])
		}
		g.sg.unpaired += o.sg.unpaired
		g.graph.merge(o.graph)
	}
}

// merge adds the series of o to f.
func (f *familyAcc) merge(o *familyAcc) {
	for key, os := range o.series {
		s := f.series[key]
		if s == nil {
			f.series[key] = os
			continue
		}
		for step, od := range os.steps {
			d := s.steps[step]
			if d == nil {
				s.steps[step] = od
				continue
			}
			d.value += od.value
			d.count += od.count
			d.sumNs += od.sumNs
			for i := range d.buckets {
				d.buckets[i] += od.buckets[i]
			}
			for i, ex := range od.ex {
				if ex != nil {
					keepLatest(&d.ex[i], ex, ex.Value)
				}
			}
		}
	}
}

// merge adds the services and edges of o to a.
func (a *graphAcc) merge(o *graphAcc) {
	for name := range o.real {
		a.real[name] = true
	}
	a.edges += o.edges
	for k, ox := range o.acc {
		x := a.acc[k]
		if x == nil {
			a.acc[k] = ox
			continue
		}
		x.requests += ox.requests
		x.failed += ox.failed
		x.serverNs += ox.serverNs
	}
}
