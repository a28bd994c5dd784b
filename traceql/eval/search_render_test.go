package eval

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/tracectl/tracectl/store/storetest"
)

// TestRender renders the results of searches over the fixtures, in memory
// and spilled, on several goroutines in small chunks: the bytes written
// are Each's, in rank order, written once per chunk, also on one
// goroutine, and a failing render or write stops Render with that error.
func TestRender(t *testing.T) {
	defer func(n int) { renderChunk = n }(renderChunk)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	src := storetest.New(filterCorpus(t))
	line := func(rank int, tr *TraceResult, dst []byte) ([]byte, error) {
		dst = fmt.Appendf(dst, "%d ", rank)
		return tr.AppendTempoJSON(dst)
	}
	for _, procs := range []int{1, 4} {
		runtime.GOMAXPROCS(procs)
		for _, spillAfter := range []int{0, 3} {
			res, err := Search(context.Background(), src, `{ } | select(span.http.method)`,
				SearchOptions{Limit: 1 << 20, SpillDir: t.TempDir(), SpillAfter: spillAfter})
			if err != nil {
				t.Fatal(err)
			}
			if res.Len() < 20 {
				t.Fatalf("%d results, want enough for several chunks", res.Len())
			}
			var want []byte
			rank := 0
			if err := res.Each(func(tr *TraceResult) error {
				var err error
				want, err = line(rank, tr, want)
				rank++
				return err
			}); err != nil {
				t.Fatal(err)
			}
			for _, chunk := range []int{1, 3, 256} {
				renderChunk = chunk
				var got bytes.Buffer
				writes := 0
				err := res.Render(line, func(b []byte) error { writes++; got.Write(b); return nil })
				if err != nil || !bytes.Equal(got.Bytes(), want) {
					t.Errorf("spill after %d, chunk %d: Render: %v, output differs from Each's:\n%s\nwant\n%s", spillAfter, chunk, err, got.Bytes(), want)
				}
				if wantWrites := (res.Len() + chunk - 1) / chunk; writes != wantWrites {
					t.Errorf("spill after %d, chunk %d: %d writes, want %d", spillAfter, chunk, writes, wantWrites)
				}

				bad := errors.New("bad trace")
				failAt := res.Len() / 2
				got.Reset()
				err = res.Render(func(rank int, tr *TraceResult, dst []byte) ([]byte, error) {
					if rank == failAt {
						return dst, bad
					}
					return line(rank, tr, dst)
				}, func(b []byte) error { got.Write(b); return nil })
				if !errors.Is(err, bad) {
					t.Errorf("chunk %d: a failing render gave %v, want %v", chunk, err, bad)
				}
				if wantLines := failAt / chunk * chunk; bytes.Count(got.Bytes(), []byte("\n")) != wantLines {
					t.Errorf("chunk %d: %d lines written before the failing chunk, want %d", chunk, bytes.Count(got.Bytes(), []byte("\n")), wantLines)
				}

				full := errors.New("disk full")
				writes = 0
				err = res.Render(line, func([]byte) error { writes++; return full })
				if !errors.Is(err, full) || writes != 1 {
					t.Errorf("chunk %d: a failing write gave %v after %d writes, want %v after 1", chunk, err, writes, full)
				}
			}
			if err := res.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
}
