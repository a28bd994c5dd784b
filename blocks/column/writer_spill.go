package column

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// pageSpill keeps a row group's encoded pages in memory up to keep bytes
// and writes the others to a temporary file, read back when the row group
// is written: a writer's memory then does not grow with its row groups
// (Tempo writes them 100 MB large). The file is created on first need
// and unlinked at once where the system allows it, so that nothing is
// left behind by a crash; the next row groups reuse it. When the file
// cannot be created or written (no such directory, a full disk), the
// pages stay in memory, as they would without a spill: spilling never
// fails a write.
type pageSpill struct {
	dir  string
	keep int64

	mu     sync.Mutex
	held   int64 // page bytes of this row group in memory
	f      *os.File
	path   string // to remove at close: it could not be unlinked at once
	off    int64  // the end of this row group's pages in f
	buf    []byte // a page read back
	failed bool   // the file failed: every page from then on in memory
}

// storedPage is an encoded page: its bytes, or where they are in the
// spill file.
type storedPage struct {
	mem []byte
	off int64
	n   int
}

// newPageSpill returns a spill into dir, nil (every page in memory) when
// dir is "".
func newPageSpill(dir string, keep int64) *pageSpill {
	if dir == "" {
		return nil
	}
	return &pageSpill{dir: dir, keep: keep}
}

// store keeps the page made of parts.
func (s *pageSpill) store(parts ...[]byte) storedPage {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if s != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.held+int64(n) > s.keep && s.open() {
			if p, ok := s.write(parts, n); ok {
				return p
			}
		}
		s.held += int64(n)
	}
	// Each page its own slice: a row group's pages are never copied as
	// they accumulate.
	page := make([]byte, 0, n)
	for _, p := range parts {
		page = append(page, p...)
	}
	return storedPage{mem: page, n: n}
}

// write appends the page made of parts, n bytes, to the file.
func (s *pageSpill) write(parts [][]byte, n int) (storedPage, bool) {
	off := s.off
	for _, p := range parts {
		if _, err := s.f.WriteAt(p, off); err != nil {
			s.failed = true
			return storedPage{}, false
		}
		off += int64(len(p))
	}
	p := storedPage{off: s.off, n: n}
	s.off = off
	return p, true
}

// open creates the file once, and reports whether it is there.
func (s *pageSpill) open() bool {
	if s.failed || s.f != nil {
		return !s.failed
	}
	f, err := os.CreateTemp(s.dir, "tracectl-pages-*")
	if err != nil {
		s.failed = true
		return false
	}
	if os.Remove(f.Name()) != nil {
		s.path = f.Name() // removed at close instead (Windows)
	}
	s.f = f
	return true
}

// writePage writes page p to w.
func (s *pageSpill) writePage(w io.Writer, p storedPage) error {
	if p.mem != nil || p.n == 0 {
		_, err := w.Write(p.mem)
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cap(s.buf) < p.n {
		s.buf = make([]byte, p.n)
	}
	b := s.buf[:p.n]
	if _, err := s.f.ReadAt(b, p.off); err != nil {
		return fmt.Errorf("parquet page spill: %w", err)
	}
	_, err := w.Write(b)
	return err
}

// reset makes room for the next row group, once every page of this one
// is written.
func (s *pageSpill) reset() {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.held, s.off = 0, 0
	s.mu.Unlock()
}

// close removes the file, if any.
func (s *pageSpill) close() {
	if s == nil || s.f == nil {
		return
	}
	s.f.Close()
	if s.path != "" {
		os.Remove(s.path)
	}
	s.f = nil
}
