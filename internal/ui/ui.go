// Package ui renders command results for people (aligned tables, progress
// on a terminal) and for scripts (TSV, JSON). Only cmd/tracectl imports it.
package ui

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"golang.org/x/term"
)

// IO bundles the standard streams and whether they are terminals.
type IO struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	OutTTY bool
	ErrTTY bool
}

// System returns the process's streams with terminal detection.
func System() *IO {
	return &IO{
		In:     os.Stdin,
		Out:    os.Stdout,
		Err:    os.Stderr,
		OutTTY: isTerminal(os.Stdout),
		ErrTTY: isTerminal(os.Stderr),
	}
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// OutWidth is the width of the terminal stdout is, or 0 when it is not one.
func (s *IO) OutWidth() int {
	if !s.OutTTY {
		return 0
	}
	return width(s.Out)
}

// ErrWidth is the width of the terminal stderr is, or 0 when it is not one.
func (s *IO) ErrWidth() int {
	if !s.ErrTTY {
		return 0
	}
	return width(s.Err)
}

// width is the width of the terminal w writes to (through wrappers with
// an Unwrap method), or 0.
func width(w io.Writer) int {
	for {
		u, ok := w.(interface{ Unwrap() io.Writer })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	n, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return n
}

// Table writes rows under header: an aligned table when tty is true, else
// tab-separated lines with a header line (so `cut`/`awk` scripts can name
// columns by the first line).
func Table(w io.Writer, tty bool, header []string, rows [][]string) error {
	if !tty {
		t := NewRows(w, false, header)
		for _, r := range rows {
			if err := t.Add(r); err != nil {
				return err
			}
		}
		return t.Flush()
	}
	return alignedTable(w, header, rows)
}

// Rows writes a table a row at a time, as Table does: tab-separated lines
// written as they come when tty is false (so a table of a million rows
// is never held), an aligned table at Flush when it is true (sizing the
// columns needs every row).
type Rows struct {
	out     io.Writer
	bw      *bufio.Writer
	header  []string
	rows    [][]string
	scratch []byte // scratch of line
}

// NewRows starts a table under header.
func NewRows(w io.Writer, tty bool, header []string) *Rows {
	r := &Rows{out: w, header: header}
	if !tty {
		r.bw = bufio.NewWriterSize(w, 64<<10)
		r.line(header)
	}
	return r
}

func (r *Rows) line(cells []string) {
	r.scratch = AppendLine(r.scratch[:0], cells)
	r.bw.Write(r.scratch)
}

// AppendLine appends the tab-separated line of cells that Rows writes when
// it is not aligning.
func AppendLine(dst []byte, cells []string) []byte {
	for i, c := range cells {
		if i > 0 {
			dst = append(dst, '\t')
		}
		dst = append(dst, c...)
	}
	return append(dst, '\n')
}

// Aligned reports whether the rows are kept for an aligned table.
func (r *Rows) Aligned() bool { return r.bw == nil }

// WriteLines writes lines made with AppendLine (only when not Aligned).
func (r *Rows) WriteLines(b []byte) error {
	_, err := r.bw.Write(b)
	return err
}

// Add writes (or, for an aligned table, keeps) one row.
func (r *Rows) Add(row []string) error {
	if r.bw == nil {
		r.rows = append(r.rows, row)
		return nil
	}
	r.line(row)
	return nil
}

// Flush writes what is left: the buffered lines, or the aligned table.
func (r *Rows) Flush() error {
	if r.bw == nil {
		return alignedTable(r.out, r.header, r.rows)
	}
	return r.bw.Flush()
}

// alignedTable renders rows under header with aligned columns.
func alignedTable(w io.Writer, header []string, rows [][]string) error {
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenRows: tw.Off, BetweenColumns: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off},
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.On),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
	)
	t.Header(header)
	if err := t.Bulk(rows); err != nil {
		return err
	}
	return t.Render()
}

// JSON writes v as indented JSON followed by a newline.
func JSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // a query's ">" stays ">"
	return enc.Encode(v)
}

// JSONLine writes v as one line of JSON.
func JSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Bytes formats a byte count with a binary unit (B, KiB, MiB, GiB).
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// BrokenPipe wraps a command's stdout: the first write that fails with
// EPIPE (the reader, such as head, has gone) calls stop once, so the
// command stops its work, and Broken reports it from then on, so the
// command can end quietly with success, as Unix tools do under
// `set -o pipefail`. Other errors pass through untouched.
type BrokenPipe struct {
	w      io.Writer
	stop   func()
	once   sync.Once
	broken atomic.Bool
}

// NewBrokenPipe wraps w; stop is called on the first EPIPE.
func NewBrokenPipe(w io.Writer, stop func()) *BrokenPipe {
	return &BrokenPipe{w: w, stop: stop}
}

// Write writes p to the wrapped writer.
func (b *BrokenPipe) Write(p []byte) (int, error) {
	n, err := b.w.Write(p)
	if err != nil && errors.Is(err, syscall.EPIPE) {
		b.broken.Store(true)
		b.once.Do(b.stop)
	}
	return n, err
}

// Broken reports whether a write failed with EPIPE.
func (b *BrokenPipe) Broken() bool { return b.broken.Load() }

// Unwrap returns the wrapped writer.
func (b *BrokenPipe) Unwrap() io.Writer { return b.w }
