package blocks

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"

	"github.com/google/uuid"
	"gocloud.dev/gcerrors"

	"github.com/tracectl/tracectl/blocks/column"
)

// DamagedError says that a block object was read but does not decode: a
// data.parquet shorter than its meta says, whose footer or schema is not a
// vParquet4 file's, or one of whose pages (a page header, compressed page
// data, levels, values) does not decode. Read commands leave such a block
// out (Store.Damaged names it); compaction leaves it out of its plans;
// nothing deletes it.
type DamagedError struct {
	Key string // object key
	Err error
	// Partial says that rows of the block read before the damage was met
	// may have been passed on: the answer holds part of the block.
	Partial bool
}

func (e *DamagedError) Error() string {
	msg := e.Err.Error()
	if !strings.HasPrefix(msg, e.Key) {
		msg = e.Key + ": " + msg
	}
	if e.Partial {
		msg += "; partly read: rows of the block read before the damage may be in the answer"
	}
	return "damaged block object " + msg
}

func (e *DamagedError) Unwrap() error { return e.Err }

// BlockID returns the ID of the block whose object is damaged (the folder
// of Key); ok is false when Key is not in a block folder.
func (e *DamagedError) BlockID() (id uuid.UUID, ok bool) {
	parts := strings.Split(e.Key, "/")
	if len(parts) < 2 {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(parts[len(parts)-2])
	return id, err == nil
}

// readError is a failed read of a bucket object (not its content).
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }

func (e *readError) Unwrap() error { return e.err }

// damaged wraps err, met opening object key, as a DamagedError unless it
// is a failed read (the bucket, not the object, may be at fault: the
// command fails and can be retried) or a cancellation. A read past the
// object's end is damage (the object is shorter than its meta says), and
// so is a missing object.
func damaged(key string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var re *readError
	if errors.As(err, &re) && !errors.Is(re, io.EOF) && !errors.Is(re, io.ErrUnexpectedEOF) &&
		gcerrors.Code(re) != gcerrors.NotFound && !errors.Is(re, fs.ErrNotExist) {
		return err
	}
	return &DamagedError{Key: key, Err: err}
}

// pageDamage returns the DamagedError in err, met reading a block's pages
// under ctx, when the read may leave the block out for it: not when ctx is
// done (a cancelled read fails in ways that are no damage) nor for a failed
// bucket read (damaged keeps those as they are).
func pageDamage(ctx context.Context, err error) (*DamagedError, bool) {
	var d *DamagedError
	if err == nil || ctx.Err() != nil || !errors.As(err, &d) {
		return nil, false
	}
	return d, true
}

// decodeErr wraps err, met decoding the pages of object key, as a
// DamagedError when it is corrupt data (column.ErrCorrupt), not a failed
// bucket read or a cancellation.
func decodeErr(key string, err error) error {
	if err == nil || !errors.Is(err, column.ErrCorrupt) {
		return err
	}
	return damaged(key, err)
}

// NoteDamage records the damaged block object err names (a *DamagedError
// in its chain), for Damaged, as a read that leaves a block out does: a
// caller that leaves a block out for damage found otherwise (a merge that
// met it copying a chunk) calls it. Other errors are ignored.
func (s *Store) NoteDamage(err error) {
	var d *DamagedError
	if errors.As(err, &d) {
		s.leaveOut(d, false)
	}
}

// leaveOut records the damaged block object of d for Store.Damaged;
// partial says that rows of it may have been passed on before. A block
// once recorded stays partial.
func (s *Store) leaveOut(d *DamagedError, partial bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.damaged[d.Key].(*DamagedError); ok && old.Partial {
		partial = true
	}
	c := *d
	c.Partial = c.Partial || partial
	if s.damaged == nil {
		s.damaged = map[string]error{}
	}
	s.damaged[d.Key] = &c
}

// leftOut reports whether the read of object key was left out as damaged
// before: later reads leave the whole block out.
func (s *Store) leftOut(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.damaged[key]
	return ok
}

// notLeftOut counts the blocks of metas a scan of them read, whole or in
// part: those whose data file no read left out as damaged, and those
// whose damage was met after some of their rows were passed on.
func (s *Store) notLeftOut(metas []Meta) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range metas {
		d, ok := s.damaged[joinKey(s.tenant, m.BlockID.String(), dataObject)]
		if de, partial := d.(*DamagedError); !ok || partial && de.Partial {
			n++
		}
	}
	return n
}

// openOrSkip opens block b's footer for a read that may leave a damaged
// block out: it then records the damage (Store.Damaged) and returns nil. A
// block an earlier read left out is not opened again.
func (s *Store) openOrSkip(ctx context.Context, b *Block) (*pfile, error) {
	return s.openOrSkipAs(ctx, b, false)
}

// openOrSkipAs is openOrSkip, opening a light footer (Block.openLight)
// with light.
func (s *Store) openOrSkipAs(ctx context.Context, b *Block, light bool) (*pfile, error) {
	if s.leftOut(b.key(dataObject)) {
		return nil, nil
	}
	f, err := s.openRecorded(ctx, b, light)
	if errors.As(err, new(*DamagedError)) {
		return nil, nil
	}
	return f, err
}

// CheckReadable opens the footer of block m: a DamagedError (also recorded
// for Store.Damaged) when the block cannot be read, another error when the
// bucket failed.
func (s *Store) CheckReadable(ctx context.Context, m Meta) error {
	_, err := s.openRecorded(ctx, s.block(m), false)
	return err
}

// CheckFooter is CheckReadable without decoding the footer when its
// lengths hold and its metadata fills it exactly (column.CheckFooter);
// other footers are opened. It is for a caller that opens the block right
// after (a compaction's merge), which then meets the damage only decoding
// finds (a schema that is no trace schema) and reports it as damage.
func (s *Store) CheckFooter(ctx context.Context, m Meta) error {
	err := s.block(m).checkFooter(ctx)
	s.NoteDamage(err)
	return err
}

// openRecorded opens block b's footer (a light one with light: see
// Block.openLight), recording damage for Store.Damaged.
func (s *Store) openRecorded(ctx context.Context, b *Block, light bool) (*pfile, error) {
	f, err := b.openFile(ctx, true, light)
	s.NoteDamage(err)
	return f, err
}
