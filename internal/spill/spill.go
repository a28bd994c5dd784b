// Package spill writes traces to a local temporary file and reads them
// back, for external sorting (ingest's sorted runs). The file is an s2
// stream of length-prefixed records, one per trace, in a compact binary
// encoding of model.Trace that round-trips every field. It is private to
// one process: no versioning, no compatibility promise.
package spill

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/s2"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// blockSize is the size of the compressed blocks of a spill file. A merge
// holds one reader per run, each with a compressed and a decoded block
// and a read buffer (readBufferSize): at s2's default of 1 MiB that is
// 2.2 MiB a run, more than the run's traces in hand; at 64 KiB it is
// about 150 KiB, so that a merge can take a hundred runs at once. The
// files are some 14% larger than with 256 KiB blocks.
const blockSize = 64 << 10

// readBufferSize is a Reader's buffer over the decoded stream.
const readBufferSize = 16 << 10

// Writer appends traces to a spill file.
type Writer struct {
	f   *os.File
	zw  *s2.Writer
	buf []byte
	n   int
}

// Create starts a spill file at path.
func Create(path string) (*Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &Writer{f: f, zw: s2.NewWriter(f, s2.WriterConcurrency(1), s2.WriterBlockSize(blockSize))}, nil
}

// Add appends one trace.
func (w *Writer) Add(t *model.Trace) error {
	w.buf = appendTrace(w.buf[:0], t)
	var hdr [binary.MaxVarintLen64]byte
	if _, err := w.zw.Write(hdr[:binary.PutUvarint(hdr[:], uint64(len(w.buf)))]); err != nil {
		return w.fail(err)
	}
	if _, err := w.zw.Write(w.buf); err != nil {
		return w.fail(err)
	}
	w.n++
	return nil
}

// Traces is how many traces were added.
func (w *Writer) Traces() int { return w.n }

// Close flushes and closes the file.
func (w *Writer) Close() error {
	err := w.zw.Close()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", w.f.Name(), err)
	}
	return nil
}

func (w *Writer) fail(err error) error {
	w.zw.Close()
	w.f.Close()
	return fmt.Errorf("%s: %w", w.f.Name(), err)
}

// Write writes traces to a new spill file at path.
func Write(path string, traces []*model.Trace) error {
	w, err := Create(path)
	if err != nil {
		return err
	}
	for _, t := range traces {
		if err := w.Add(t); err != nil {
			return err
		}
	}
	return w.Close()
}

// WriteFrom writes the traces of it, in its order, to a new spill file at
// path and returns how many it wrote. It stops at the end of it or at its
// failure, which it leaves to the caller (it.Err): its own error is the
// file's.
func WriteFrom(path string, it store.TraceIterator) (int, error) {
	w, err := Create(path)
	if err != nil {
		return 0, err
	}
	for it.Next() {
		if err := w.Add(it.At()); err != nil {
			return 0, err
		}
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	return w.Traces(), nil
}

// Reader reads a spill file back, trace by trace, in the order written. It
// implements store.TraceIterator.
type Reader struct {
	f   *os.File
	r   *bufio.Reader
	cur *model.Trace
	err error
	// slab is where the attribute lists of the next traces are cut from.
	slab model.AttrBlock
}

// Open opens a spill file for reading.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &Reader{f: f, r: bufio.NewReaderSize(s2.NewReader(f, s2.ReaderMaxBlockSize(blockSize)), readBufferSize),
		slab: model.AttrBlock{Size: slabAttrs}}, nil
}

// Next decodes the next trace.
func (r *Reader) Next() bool {
	if r.err != nil || r.f == nil {
		return false
	}
	n, err := binary.ReadUvarint(r.r)
	if err == io.EOF {
		r.cur = nil
		return false
	}
	if err == nil && n > 1<<31 {
		err = errors.New("record too large")
	}
	var rec []byte
	if err == nil {
		// Each record gets a buffer of its own, which the decoded trace's
		// strings point into: one allocation per trace instead of one per
		// string, and no lookups to share them.
		rec = make([]byte, n)
		_, err = io.ReadFull(r.r, rec)
	}
	if err == nil {
		r.cur, err = decodeOwnedTrace(rec, &r.slab)
	}
	if err != nil {
		r.err = fmt.Errorf("%s: %w", r.f.Name(), err)
		r.cur = nil
		return false
	}
	return true
}

// At returns the current trace; it stays valid after Next.
func (r *Reader) At() *model.Trace { return r.cur }

// Err returns the error that stopped the reader.
func (r *Reader) Err() error { return r.err }

// Close closes the file.
func (r *Reader) Close() error {
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// OpenMerge opens the runs at paths, each in ascending trace-ID order, and
// returns their merge by ID (store.Merge: copies of a trace combined in
// the order of paths). Closing it closes every run.
func OpenMerge(paths []string) (store.TraceIterator, error) {
	its := make([]store.TraceIterator, 0, len(paths))
	for _, p := range paths {
		r, err := Open(p)
		if err != nil {
			for _, o := range its {
				o.Close()
			}
			return nil, err
		}
		its = append(its, r)
	}
	return store.Merge(its...), nil
}

// MergeDown merges adjacent runs, the first ones first, until at most
// fanIn (at least 2) are left, so that a final merge holds a bounded
// number of read buffers however many runs there are. Each round merges
// as few runs as leave fanIn, not fanIn of them: 130 runs at a fan-in of
// 128 merge 3 first, and the other 127 are not written again. merge
// combines runs (in their order) into one run, which takes their place,
// so copies of a trace still combine in run order.
func MergeDown[R any](runs []R, fanIn int, merge func(runs []R) (R, error)) ([]R, error) {
	fanIn = max(fanIn, 2)
	for len(runs) > fanIn {
		n := min(fanIn, len(runs)-fanIn+1)
		r, err := merge(runs[:n])
		if err != nil {
			return nil, err
		}
		runs = append([]R{r}, runs[n:]...)
	}
	return runs, nil
}
