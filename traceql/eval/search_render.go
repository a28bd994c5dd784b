package eval

import (
	"runtime"
	"sync"
)

// renderChunk is how many results one goroutine renders at a time.
var renderChunk = 256 // a variable for tests

// Render calls render with every trace found, with its rank (0 first), on
// up to GOMAXPROCS goroutines, and write with the bytes render appended
// to dst, one chunk of results at a time, in rank order. Spilled results
// are read back by the goroutine that renders them; at most a few chunks
// are held at once. render must not keep t or dst; it stops at the first
// error of either function. Each is the one-trace-at-a-time form.
func (r *SearchResult) Render(render func(rank int, t *TraceResult, dst []byte) ([]byte, error), write func([]byte) error) error {
	n := r.Len()
	chunks := (n + renderChunk - 1) / renderChunk
	workers := min(runtime.GOMAXPROCS(0), chunks)
	// Workers render chunks in any order, each into its own slot; the
	// writer takes the slots in order. At most 2×workers chunks are
	// rendered and not yet written (inFlight).
	type rendered struct {
		buf []byte
		err error
	}
	slots := make([]chan rendered, chunks)
	for c := range slots {
		slots[c] = make(chan rendered, 1)
	}
	inFlight := make(chan struct{}, 2*workers)
	free := make(chan []byte, 2*workers) // written chunks' buffers, for reuse
	next := make(chan int)
	stop := make(chan struct{})
	go func() {
		defer close(next)
		for c := range chunks {
			select {
			case inFlight <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case next <- c:
			case <-stop:
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rd := r.reader()
			rd.mem = &resultMemory{} // render keeps no result
			for c := range next {
				var buf []byte
				select {
				case buf = <-free:
				default:
				}
				var err error
				for i := c * renderChunk; i < min(n, (c+1)*renderChunk) && err == nil; i++ {
					var t *TraceResult
					if t, err = rd.result(i); err == nil {
						buf, err = render(i, t, buf)
					}
				}
				slots[c] <- rendered{buf, err}
			}
		}()
	}
	var err error
	for c := 0; c < chunks && err == nil; c++ {
		res := <-slots[c]
		if err = res.err; err == nil {
			err = write(res.buf)
		}
		select {
		case free <- res.buf[:0]:
		default:
		}
		<-inFlight
	}
	close(stop)
	wg.Wait()
	return err
}

// resultReader reads results by rank, spilled ones with buffers of its
// own (one per goroutine).
type resultReader struct {
	r  *SearchResult
	rf *resultFile
	// mem, when set, is reused by every spilled result read (valid until
	// the next read).
	mem *resultMemory
}

func (r *SearchResult) reader() *resultReader {
	rd := &resultReader{r: r}
	if r.file != nil {
		rd.rf = &resultFile{f: r.file.f, mapped: r.file.mapped}
	}
	return rd
}

// result returns the result of rank i.
func (rd *resultReader) result(i int) (*TraceResult, error) {
	if rd.rf == nil {
		return rd.r.Traces[i], nil
	}
	ref := rd.r.spilled[i]
	if ref.tr != nil {
		return ref.tr, nil
	}
	return rd.rf.read(ref.off, ref.size, rd.mem)
}
