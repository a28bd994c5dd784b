package ui

import (
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Bar is a one-line progress bar on stderr (github.com/schollz/progressbar
// draws it: percentage, amount done of the total, rate and time left),
// redrawn at most ten times a second. A disabled bar (stderr is not a
// terminal, or --progress=never) writes nothing, so scripts' stderr stays
// clean. Writes through Writer erase the bar first, so the lines a command
// prints are never mixed with it; it comes back at the next Set. All
// methods are safe for concurrent use and do nothing on a nil *Bar.
type Bar struct {
	mu    sync.Mutex
	w     *barWriter
	on    bool
	width int // of the terminal, 0 if unknown

	pb    *progressbar.ProgressBar
	kind  barKind // what pb counts
	total int64   // pb's max; -1 when unknown
	desc  string  // pb's description
	last  time.Time
}

// barEvery is how often the bar is redrawn at most (a variable for tests).
var barEvery = 100 * time.Millisecond

// barKind is what a bar counts: bytes, or units named unit.
type barKind struct {
	bytes bool
	unit  string
}

// NewBar returns a bar drawn on w when on is true; termWidth (0 if
// unknown) sizes it to fit one line.
func NewBar(w io.Writer, on bool, termWidth int) *Bar {
	return &Bar{w: &barWriter{w: w}, on: on, width: termWidth}
}

// On reports whether the bar is drawn.
func (b *Bar) On() bool { return b != nil && b.on }

// Bytes shows done of total bytes after desc; total <= 0 means unknown.
func (b *Bar) Bytes(desc string, done, total int64) {
	b.set(barKind{bytes: true}, desc, done, total)
}

// Count shows done of total units (such as "spans") after desc; total <= 0
// means unknown.
func (b *Bar) Count(desc, unit string, done, total int64) {
	b.set(barKind{unit: unit}, desc, done, total)
}

func (b *Bar) set(kind barKind, desc string, done, total int64) {
	if !b.On() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if total <= 0 {
		total = -1
	} else {
		done = min(done, total)
	}
	// A finished bar has erased itself and draws no more: a scan that
	// starts after it gets a new one (and a new rate), as does a count
	// whose total becomes known (the next phase of a command).
	fresh := b.pb == nil || b.kind != kind || b.pb.IsFinished() && done < total || b.total < 0 && total > 0
	if fresh {
		b.newBar(kind, total)
	}
	// Updates are dropped rather than throttled by the library, which
	// would draw the new description with the old numbers; the last one
	// (done = total) is always drawn, which erases the bar.
	now := time.Now()
	if !fresh && now.Sub(b.last) < barEvery && done != total {
		return
	}
	b.last = now
	if total != b.total {
		b.total = total
		b.pb.ChangeMax64(total)
	}
	// Describe draws at once, beside the value drawn last; Set64 then
	// draws the new value, except the last one (done = total), which
	// erases the bar instead: a new description there would be left on
	// the line with the old value (`5/5 blocks 0%`), so it is not drawn.
	if desc != b.desc && done != total {
		b.desc = desc
		b.pb.Describe(desc)
	}
	_ = b.pb.Set64(done)
}

// newBar replaces pb (b.mu held).
func (b *Bar) newBar(kind barKind, total int64) {
	if b.pb != nil {
		_ = b.pb.Exit()
		b.clear()
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(b.w),
		progressbar.OptionUseANSICodes(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(b.barWidth()),
		progressbar.OptionSpinnerType(14),
		// Spinners are redrawn by Set only: the library's own timer
		// would write without b.mu.
		progressbar.OptionSetSpinnerChangeInterval(0),
	}
	if kind.bytes {
		opts = append(opts, progressbar.OptionShowBytes(true), progressbar.OptionUseIECUnits(true))
	} else {
		opts = append(opts, progressbar.OptionShowIts(), progressbar.OptionSetItsString(kind.unit))
	}
	if total <= 0 {
		opts = append(opts, progressbar.OptionShowTotalBytes(false), progressbar.OptionSetElapsedTime(true))
	}
	b.pb = progressbar.NewOptions64(total, opts...)
	b.kind, b.total, b.desc = kind, total, ""
}

// barWidth is the width of the bar itself: what a line of the terminal
// leaves beside the description and the numbers (about 90 columns).
func (b *Bar) barWidth() int {
	if b.width == 0 {
		return 20
	}
	return min(max(b.width-90, 10), 40)
}

// Clear erases the bar until the next Set.
func (b *Bar) Clear() {
	if !b.On() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.clear()
}

// clear erases the line if the bar is on it (b.mu held).
func (b *Bar) clear() {
	if b.w.drawn {
		b.w.drawn = false
		_, _ = io.WriteString(b.w.w, eraseLine)
	}
}

// Done erases the bar for good.
func (b *Bar) Done() {
	if !b.On() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pb != nil {
		_ = b.pb.Exit()
	}
	b.clear()
	b.on = false
}

// Writer returns w, erasing the bar before each write when the bar is on.
func (b *Bar) Writer(w io.Writer) io.Writer {
	if !b.On() {
		return w
	}
	return &clearingWriter{b: b, w: w}
}

// barWriter is where the bar draws: it notes that the line holds it.
type barWriter struct {
	w     io.Writer
	drawn bool
}

func (w *barWriter) Write(p []byte) (int, error) {
	w.drawn = string(p) != eraseLine // a finished bar erases itself
	return w.w.Write(p)
}

// eraseLine erases the terminal's current line and returns to its start.
const eraseLine = "\033[2K\r"

// clearingWriter erases the bar before every write.
type clearingWriter struct {
	b *Bar
	w io.Writer
}

func (c *clearingWriter) Write(p []byte) (int, error) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	c.b.clear()
	return c.w.Write(p)
}

// Unwrap returns the wrapped writer.
func (c *clearingWriter) Unwrap() io.Writer { return c.w }
