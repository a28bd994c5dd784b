package blocks

import (
	"context"
	"errors"
	"io"
	"strings"

	"gocloud.dev/gcerrors"
)

// DamagedError says that a block object was read but does not decode: a
// data.parquet shorter than its meta says, or whose footer or schema is
// not a vParquet4 file's. Read commands leave such a block out (Store.
// Damaged names it); compaction leaves it out of its plans; nothing
// deletes it.
type DamagedError struct {
	Key string // object key
	Err error
}

func (e *DamagedError) Error() string {
	msg := e.Err.Error()
	if !strings.HasPrefix(msg, e.Key) {
		msg = e.Key + ": " + msg
	}
	return "damaged block object " + msg
}

func (e *DamagedError) Unwrap() error { return e.Err }

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
	if errors.As(err, &re) && !errors.Is(re, io.EOF) && !errors.Is(re, io.ErrUnexpectedEOF) && gcerrors.Code(re) != gcerrors.NotFound {
		return err
	}
	return &DamagedError{Key: key, Err: err}
}

// openOrSkip opens block b's footer for a read that may leave a damaged
// block out: it then records the damage (Store.Damaged) and returns nil.
func (s *Store) openOrSkip(ctx context.Context, b *Block) (*pfile, error) {
	f, err := s.openRecorded(ctx, b)
	if errors.As(err, new(*DamagedError)) {
		return nil, nil
	}
	return f, err
}

// CheckReadable opens the footer of block m: a DamagedError (also recorded
// for Store.Damaged) when the block cannot be read, another error when the
// bucket failed.
func (s *Store) CheckReadable(ctx context.Context, m Meta) error {
	_, err := s.openRecorded(ctx, s.block(m))
	return err
}

// openRecorded opens block b's footer, recording damage for Store.Damaged.
func (s *Store) openRecorded(ctx context.Context, b *Block) (*pfile, error) {
	f, err := b.open(ctx)
	var d *DamagedError
	if errors.As(err, &d) {
		s.skipDamaged(d.Key, d)
	}
	return f, err
}
