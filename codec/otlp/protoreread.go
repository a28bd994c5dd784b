package otlp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tracectl/tracectl/codec"
)

// splitAt is split for a resource_spans field that was passed over
// instead of held: head is its tag and length, its payload the n bytes at
// off in ra. Its fields are found by reading their tags back through a
// window of ra; then each scope spans is read back whole when it is at
// most maxBytes, and otherwise a group of spans at a time, so memory
// follows maxBytes however large the field. The groups, and so the
// batches, warnings and errors, are those split gives for the field held
// whole; a field they cannot be found in (malformed, or using groups) is
// read back whole and decoded as before.
func (s *protoStream) splitAt(ra io.ReaderAt, head []byte, off, n int64, maxBytes int) error {
	w := &window{ra: ra, end: off + n}
	resHead, scopes, ok, err := w.cut(off, off+n)
	if err == nil && (!ok || scopes == 0) {
		// Read back whole and decoded as held.
		var chunk []byte
		if chunk, err = w.appendRange(append([]byte(nil), head...), off, off+n); err == nil {
			return s.chunk(chunk, maxBytes)
		}
	}
	if err != nil {
		return s.readBackError(err)
	}
	bufs := groupBufs{msg: takeBuf(), scope: takeBuf()}
	defer func() { giveBuf(bufs.msg); giveBuf(bufs.scope) }()
	j := 0
	_, err = w.fields(off, off+n, func(f wireField) error {
		if f.num != 2 || f.typ != protowire.BytesType {
			return nil
		}
		j++
		return s.scopeGroupsAt(w, &bufs, resHead, f.value, f.end, j-1, maxBytes)
	})
	s.base++
	if err != nil {
		return s.readBackError(err)
	}
	return nil
}

// groupBufs are the buffers scopeGroupsAt reuses: a group's message, and a
// scope spans read back whole.
type groupBufs struct{ msg, scope []byte }

// scopeGroupsAt is scopeGroups for the jth scope spans, at [start, end) of
// w. One of at most maxBytes, or one its spans cannot be found in, is read
// back whole and given to scopeGroups; of a larger one the other fields
// are read first, then the spans a group at a time.
func (s *protoStream) scopeGroupsAt(w *window, bufs *groupBufs, resHead []byte, start, end int64, j, maxBytes int) error {
	var scopeHead []byte
	spans, ok := 0, false
	var err error
	if end-start > int64(maxBytes) {
		if scopeHead, spans, ok, err = w.cut(start, end); err != nil {
			return err
		}
	}
	if !ok || spans == 0 {
		if bufs.scope, err = w.appendRange(bufs.scope[:0], start, end); err != nil {
			return err
		}
		return scopeGroups(&bufs.msg, resHead, bufs.scope, j, maxBytes, s.emitGroup)
	}
	buf := &bufs.msg
	// The spans of the group being gathered: the k-th and on, size bytes
	// in the ranges of w (consecutive spans make one range).
	var ranges []int64
	first, k, size := 0, 0, 0
	emit := func() error {
		*buf = groupHead((*buf)[:0], resHead, scopeHead, size)
		for i := 0; i < len(ranges); i += 2 {
			var err error
			if *buf, err = w.appendRange(*buf, ranges[i], ranges[i+1]); err != nil {
				return err
			}
		}
		return s.emitGroup(spanGroup{msg: *buf, scope: j, firstSpan: first})
	}
	_, err = w.fields(start, end, func(f wireField) error {
		if f.num != 2 || f.typ != protowire.BytesType {
			return nil
		}
		l := int(f.end - f.start)
		if k > first && size+l > maxBytes {
			if err := emit(); err != nil {
				return err
			}
			first, size, ranges = k, 0, ranges[:0]
		}
		if n := len(ranges); n > 0 && ranges[n-1] == f.start {
			ranges[n-1] = f.end
		} else {
			ranges = append(ranges, f.start, f.end)
		}
		k++
		size += l
		return nil
	})
	if err != nil {
		return err
	}
	return emit()
}

// cut is cutMessage's count for the message at [start, end) of w, cut at
// its field 2 (scope spans of a resource spans, spans of a scope spans):
// head holds the other fields, as written and in order, and parts counts
// the field 2s. ok is false where fields stops.
func (w *window) cut(start, end int64) (head []byte, parts int, ok bool, err error) {
	ok, err = w.fields(start, end, func(f wireField) error {
		if f.num == 2 && f.typ == protowire.BytesType {
			parts++
			return nil
		}
		var err error
		head, err = w.appendRange(head, f.start, f.end)
		return err
	})
	return head, parts, ok, err
}

// readBackError names the file for a failed read of a part passed over;
// an error of a group's decoding or emission is returned as it is.
func (s *protoStream) readBackError(err error) error {
	var re *readBackErr
	if errors.As(err, &re) {
		return &codec.DecodeError{File: s.name, Offset: re.off,
			Err: fmt.Errorf("reading back a large resource spans: %w", re.err)}
	}
	return err
}

// readBackErr is a failed read of w at off.
type readBackErr struct {
	off int64
	err error
}

func (e *readBackErr) Error() string { return e.err.Error() }

// window reads fields of the message bytes in ra up to end, through a
// buffer of the bytes around the last read.
type window struct {
	ra  io.ReaderAt
	end int64
	buf []byte
	at  int64 // offset of buf[0]
}

// windowBytes is how much the window reads at a time (a variable so that
// tests can make it small).
var windowBytes = 64 << 10

// peek returns up to n bytes at off (fewer only at end).
func (w *window) peek(off int64, n int) ([]byte, error) {
	if off >= w.at && off+int64(n) <= w.at+int64(len(w.buf)) {
		return w.buf[off-w.at : off-w.at+int64(n)], nil
	}
	if cap(w.buf) != windowBytes {
		w.buf = make([]byte, windowBytes)
	}
	size := int(min(int64(cap(w.buf)), w.end-off))
	w.buf = w.buf[:size]
	w.at = off
	got, err := w.ra.ReadAt(w.buf, off)
	if got < size {
		w.buf = w.buf[:0]
		return nil, w.readErr(off+int64(got), err)
	}
	return w.buf[:min(n, size)], nil
}

// appendRange appends the bytes [start, end) to dst: through the window
// when they fit in it (the small fields of a resource or scope), else
// read at once.
func (w *window) appendRange(dst []byte, start, end int64) ([]byte, error) {
	n := int(end - start)
	if n <= windowBytes {
		b, err := w.peek(start, n)
		return append(dst, b...), err
	}
	dst = append(dst, make([]byte, n)...)
	got, err := w.ra.ReadAt(dst[len(dst)-n:], start)
	if got < n {
		return dst[:len(dst)-n], w.readErr(start+int64(got), err)
	}
	return dst, nil
}

func (w *window) readErr(off int64, err error) error {
	if err == nil || err == io.EOF {
		err = errors.New("the input ended early: it changed while it was read")
	}
	return &readBackErr{off: off, err: err}
}

// wireField is a field of a message in a window: its number and wire
// type, and the offsets of its tag, its value (after a length) and its end.
type wireField struct {
	num               protowire.Number
	typ               protowire.Type
	start, value, end int64
}

// fields calls f with each field of the message at [start, end) of w, in
// order. ok is false, after the fields before it, at a field cutMessage
// would find malformed, or a group (the other wire types are read).
func (w *window) fields(start, end int64, f func(wireField) error) (ok bool, err error) {
	for off := start; off < end; {
		b, err := w.peek(off, int(min(end-off, 2*binary.MaxVarintLen64)))
		if err != nil {
			return false, err
		}
		num, typ, tagLen := protowire.ConsumeTag(b)
		if tagLen < 0 {
			return false, nil
		}
		fd := wireField{num: num, typ: typ, start: off, value: off + int64(tagLen)}
		rest := end - fd.value
		switch typ {
		case protowire.VarintType:
			_, n := protowire.ConsumeVarint(b[tagLen:])
			if n < 0 {
				return false, nil
			}
			fd.end = fd.value + int64(n)
		case protowire.Fixed32Type, protowire.Fixed64Type:
			size := int64(4)
			if typ == protowire.Fixed64Type {
				size = 8
			}
			if rest < size {
				return false, nil
			}
			fd.end = fd.value + size
		case protowire.BytesType:
			v, n := protowire.ConsumeVarint(b[tagLen:])
			if n < 0 || v > uint64(rest-int64(n)) {
				return false, nil
			}
			fd.value += int64(n)
			fd.end = fd.value + int64(v)
		default:
			return false, nil
		}
		if err := f(fd); err != nil {
			return false, err
		}
		off = fd.end
	}
	return true, nil
}

// holdLargeFields makes the decoder hold a large resource spans of an input
// it cannot read again, as it did before spooling (tests compare both).
var holdLargeFields = false

// reread passes over a large resource spans of an input that can be read
// again (at), and reads it back from there.
type reread struct {
	s        *protoStream
	at       io.ReaderAt
	maxBytes int
	off      int64 // of the payload passed over last
}

func (r *reread) begin(off int64) (io.Writer, bool) { r.off = off; return nil, true }
func (r *reread) end() []byte                       { return nil }
func (r *reread) decode(head []byte, n int64) error {
	return r.s.splitAt(r.at, head, r.off, n, r.maxBytes)
}

// spool is a temporary file that takes a large resource spans of an input
// that cannot be read again (stdin, compressed files), so that it is read
// back a group of spans at a time as from a file. The file is removed as
// soon as it is created: it goes away with the process, however that ends.
// Without a temporary file, or once a write to it fails (a full $TMPDIR),
// the field is held in memory instead.
type spool struct {
	s        *protoStream
	maxBytes int
	f        *os.File
	err      error  // creating f
	written  int64  // bytes of the payload in f
	held     []byte // the payload, once a write to f failed (else nil)
}

func (sp *spool) begin(int64) (io.Writer, bool) {
	if sp.f == nil && sp.err == nil {
		sp.f, sp.err = os.CreateTemp("", "tracectl-otlp-*")
		if sp.err == nil {
			if err := os.Remove(sp.f.Name()); err != nil {
				// Where an open file cannot be removed: hold instead.
				sp.f.Close()
				os.Remove(sp.f.Name())
				sp.f, sp.err = nil, err
			}
		}
	}
	if sp.err != nil {
		return nil, false
	}
	if err := sp.f.Truncate(0); err != nil {
		return nil, false
	}
	if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
		return nil, false
	}
	sp.written, sp.held = 0, nil
	return sp, true
}

// Write writes p to the file; after a failed write, the payload so far is
// read back into memory and the rest is kept there.
func (sp *spool) Write(p []byte) (int, error) {
	n := len(p)
	if sp.held == nil {
		m, err := sp.f.Write(p)
		sp.written += int64(m)
		if err == nil {
			return n, nil
		}
		sp.held = make([]byte, sp.written, sp.written+int64(len(p)-m))
		if _, err := sp.f.ReadAt(sp.held, 0); err != nil {
			return m, err
		}
		p = p[m:]
	}
	sp.held = append(sp.held, p...)
	return n, nil
}

func (sp *spool) end() []byte { return sp.held }

func (sp *spool) decode(head []byte, n int64) error {
	return sp.s.splitAt(sp.f, head, 0, n, sp.maxBytes)
}

func (sp *spool) close() {
	if sp.f != nil {
		sp.f.Close()
	}
}
