package jsonpos

// Cursor reads a Stream's input straight from the bytes its LineReader
// keeps, for a decoder that walks the common shape of its input itself,
// faster than the tokenizer, and hands the rest to the tokenizer (Stream.
// Resume) from the last point it committed: one where the tokenizer's
// state is one that a Resume prefix can rebuild.
type Cursor struct {
	lr      *LineReader
	Pos     int64 // the next byte to look at
	ReadErr error // what the last read returned besides bytes (io.EOF too)
	Commit  int64 // where the tokenizer can take over (see CommitHere)
	// ForgetEvery is how far Pos moves between the times CommitHere lets
	// Lines forget (CursorChunk when 0); forgetting moves the bytes kept
	// after Pos, so a reader that keeps much ahead forgets less often.
	ForgetEvery int64
	forgot      int64 // where Lines was last told to forget
}

// CursorChunk is how much a Cursor reads at a time.
const CursorChunk = 64 << 10

// Cursor returns a cursor at the start of the Stream's input; the Stream's
// tokenizer must not have read anything.
func (s *Stream) Cursor() *Cursor { return &Cursor{lr: s.lr} }

// Bytes returns the bytes read from Pos on.
func (c *Cursor) Bytes() []byte { return c.lr.From(c.Pos) }

// From returns the bytes read from offset off on.
func (c *Cursor) From(off int64) []byte { return c.lr.From(off) }

// CommitHere marks Pos as a point the tokenizer can take over at, and
// lets Lines forget the bytes before it once it has moved ForgetEvery past
// the last time: slices of them are then no longer valid, and errors
// before Pos lose their line numbers.
func (c *Cursor) CommitHere() {
	c.Commit = c.Pos
	every := c.ForgetEvery
	if every == 0 {
		every = CursorChunk
	}
	if c.Pos-c.forgot >= every {
		c.lr.Forget(c.Pos)
		c.forgot = c.Pos
	}
}

// CommitKeeping is CommitHere without forgetting anything.
func (c *Cursor) CommitKeeping() { c.Commit = c.Pos }

// Peek skips white space and returns the next byte; ok is false at the end
// of the input or a read error.
func (c *Cursor) Peek() (byte, bool) {
	for {
		b := c.lr.From(c.Pos)
		for i, ch := range b {
			switch ch {
			case ' ', '\t', '\n', '\r':
				continue
			}
			c.Pos += int64(i)
			return ch, true
		}
		c.Pos += int64(len(b))
		if !c.Fill() {
			return 0, false
		}
	}
}

// Fill reads more input; false once there is no more.
func (c *Cursor) Fill() bool {
	for c.ReadErr == nil {
		n, err := c.lr.ReadMore(CursorChunk)
		c.ReadErr = err
		if n > 0 {
			return true
		}
	}
	return false
}

// ValueEnd finds the end of the object or array at Pos by its brackets,
// reading more as needed; ok is false at the end of the input, a read
// error, or once the value passes max bytes. The brackets need not match:
// what is between them is for the caller to check.
func (c *Cursor) ValueEnd(max int) (end int64, ok bool) {
	depth, inStr, esc := 0, false, false
	i := 0
	for {
		b := c.lr.From(c.Pos)
		for ; i < len(b); i++ {
			ch := b[i]
			switch {
			case esc:
				esc = false
			case inStr:
				switch ch {
				case '\\':
					esc = true
				case '"':
					inStr = false
				}
			case ch == '"':
				inStr = true
			case ch == '{' || ch == '[':
				depth++
			case ch == '}' || ch == ']':
				if depth--; depth == 0 {
					return c.Pos + int64(i) + 1, true
				}
			}
		}
		if i > max || !c.Fill() {
			return 0, false
		}
	}
}
