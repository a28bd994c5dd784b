package input

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/jaeger"
	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/codec/zipkin"
)

// StdinName is the file name used for "-" in reports and errors.
const StdinName = "<stdin>"

// DefaultDecoders returns a decoder for every format tracectl supports.
func DefaultDecoders() map[codec.Format]codec.Decoder {
	return map[codec.Format]codec.Decoder{
		codec.FormatOTLPJSON:   otlp.DecodeJSON,
		codec.FormatOTLPProto:  otlp.DecodeProto,
		codec.FormatOTLPYAML:   otlp.DecodeYAML,
		codec.FormatJaegerJSON: jaeger.DecodeJSON,
		codec.FormatZipkinV1:   zipkin.DecodeV1,
		codec.FormatZipkinV2:   zipkin.DecodeV2,
	}
}

// Options controls Decode.
type Options struct {
	// Format forces one format for every input; "" sniffs each file.
	Format codec.Format
	// SkipBad records a file that fails to decode in Report.Bad and goes
	// on; without it the first such error ends Decode.
	SkipBad bool
	// Decoders maps formats to decoders; nil means DefaultDecoders().
	Decoders map[codec.Format]codec.Decoder
	// Stdin is read for the path "-"; nil means os.Stdin.
	Stdin io.Reader
	// OnFileDone, when set, is called after each file with nil or the
	// error that made it bad (the batches it emitted before failing are
	// then to be discarded). Files skipped as unknown are not reported.
	OnFileDone func(file string, err error)
}

// FileIssue is a file that was skipped or could not be decoded.
type FileIssue struct {
	File string
	Err  error
}

// FileStat says what was decoded from one file.
type FileStat struct {
	File        string
	Format      codec.Format
	Compression string // "", "gzip" or "zstd"
	Batches     int
	Spans       int
}

// Report summarises a Decode call.
type Report struct {
	// Files lists every file decoded successfully, in order.
	Files []FileStat
	// Skipped lists files met in a directory walk whose format could not
	// be told.
	Skipped []FileIssue
	// Bad lists files that failed to decode (only with SkipBad).
	Bad []FileIssue
	// Spans and Batches count what was emitted, per format.
	Spans   map[codec.Format]int
	Batches map[codec.Format]int
}

// FilesRead is the number of files decoded successfully.
func (r *Report) FilesRead() int { return len(r.Files) }

// TotalSpans is the number of spans emitted over all formats.
func (r *Report) TotalSpans() int {
	n := 0
	for _, c := range r.Spans {
		n += c
	}
	return n
}

// emitError marks an error returned by the caller's emit function, which
// Decode returns unchanged and never counts as a bad file.
type emitError struct{ err error }

func (e *emitError) Error() string { return e.err.Error() }
func (e *emitError) Unwrap() error { return e.err }

// Decode reads every input in paths in order and calls emit with each
// decoded batch and the name of the file it came from. A path is a file, a
// directory (walked recursively in lexical order, skipping hidden entries
// and reporting files of unknown format as skipped) or "-" for Stdin. gzip
// and zstd input is decompressed, recognised by its magic bytes. Decode
// errors are *codec.DecodeError naming the file; an error from emit or a
// cancelled ctx stops Decode and is returned as is.
func Decode(ctx context.Context, paths []string, opts Options, emit func(file string, b codec.Batch) error) (Report, error) {
	if opts.Decoders == nil {
		opts.Decoders = DefaultDecoders()
	}
	d := &decoder{ctx: ctx, opts: opts, emit: emit, rep: Report{
		Spans:   map[codec.Format]int{},
		Batches: map[codec.Format]int{},
	}}
	for _, p := range paths {
		if err := d.path(p); err != nil {
			return d.rep, err
		}
	}
	return d.rep, nil
}

type decoder struct {
	ctx  context.Context
	opts Options
	emit func(string, codec.Batch) error
	rep  Report
}

func (d *decoder) path(p string) error {
	if p == "-" {
		in := d.opts.Stdin
		if in == nil {
			in = os.Stdin
		}
		return d.result(StdinName, d.decodeStream(StdinName, in, false))
	}
	fi, err := os.Stat(p)
	if err != nil {
		return d.result(p, &codec.DecodeError{File: p, Offset: -1, Err: err})
	}
	if !fi.IsDir() {
		return d.result(p, d.file(p, false))
	}
	return filepath.WalkDir(p, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return d.result(path, &codec.DecodeError{File: path, Offset: -1, Err: err})
		}
		if path != p && strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() {
			return nil
		}
		return d.result(path, d.file(path, true))
	})
}

// result files err under the report and decides whether to go on.
func (d *decoder) result(file string, err error) error {
	if err == nil {
		if d.opts.OnFileDone != nil {
			d.opts.OnFileDone(file, nil)
		}
		return nil
	}
	var ee *emitError
	if errors.As(err, &ee) {
		return ee.err
	}
	if ctxErr := d.ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		return err
	}
	var sk *skipError
	if errors.As(err, &sk) {
		d.rep.Skipped = append(d.rep.Skipped, FileIssue{File: file, Err: sk.err})
		return nil
	}
	if d.opts.OnFileDone != nil {
		d.opts.OnFileDone(file, err)
	}
	if d.opts.SkipBad {
		d.rep.Bad = append(d.rep.Bad, FileIssue{File: file, Err: err})
		return nil
	}
	return err
}

// skipError marks a file of unknown format met in a directory walk.
type skipError struct{ err error }

func (e *skipError) Error() string { return e.err.Error() }
func (e *skipError) Unwrap() error { return e.err }

func (d *decoder) file(path string, walked bool) error {
	if err := d.ctx.Err(); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return &codec.DecodeError{File: path, Offset: -1, Err: err}
	}
	defer f.Close()
	return d.decodeStream(path, f, walked)
}

// decodeStream decompresses, sniffs and decodes one input.
func (d *decoder) decodeStream(name string, r io.Reader, walked bool) error {
	br := bufio.NewReaderSize(r, SniffLen)
	rd, comp, closeFn, err := decompress(br)
	if err != nil {
		return &codec.DecodeError{File: name, Offset: 0, Err: err}
	}
	defer closeFn()
	// Decoders need not know about a UTF-8 byte order mark.
	if bom, _ := rd.Peek(len(utf8BOM)); bytes.Equal(bom, utf8BOM) {
		rd.Discard(len(utf8BOM))
	}
	format := d.opts.Format
	if format == "" {
		head, err := rd.Peek(SniffLen)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			// A read error (e.g. corrupt compressed data) before any decoding.
			if len(head) == 0 {
				return &codec.DecodeError{File: name, Offset: 0, Err: err}
			}
		}
		format, err = Sniff(head)
		if err != nil {
			if walked {
				return &skipError{err: err}
			}
			return &codec.DecodeError{File: name, Offset: -1, Err: err}
		}
	}
	dec := d.opts.Decoders[format]
	if dec == nil {
		return &codec.DecodeError{File: name, Offset: -1, Err: fmt.Errorf("%w: no decoder for format %s", ErrUnknownFormat, format)}
	}
	stat := FileStat{File: name, Format: format, Compression: comp}
	err = dec(name, rd, func(b codec.Batch) error {
		if err := d.ctx.Err(); err != nil {
			return &emitError{err: err}
		}
		stat.Batches++
		stat.Spans += spanCount(b)
		if err := d.emit(name, b); err != nil {
			return &emitError{err: err}
		}
		return nil
	})
	if err != nil {
		var ee *emitError
		var de *codec.DecodeError
		if !errors.As(err, &ee) && !errors.As(err, &de) {
			err = &codec.DecodeError{File: name, Offset: -1, Err: err}
		}
		return err
	}
	d.rep.Files = append(d.rep.Files, stat)
	d.rep.Spans[format] += stat.Spans
	d.rep.Batches[format] += stat.Batches
	return nil
}

func spanCount(b codec.Batch) int {
	n := 0
	for i := range b {
		for j := range b[i].ScopeSpans {
			n += len(b[i].ScopeSpans[j].Spans)
		}
	}
	return n
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// decompress wraps br in a gzip or zstd reader when its first bytes are
// that format's magic number. The returned reader can be peeked for
// sniffing.
func decompress(br *bufio.Reader) (*bufio.Reader, string, func(), error) {
	magic, _ := br.Peek(4)
	switch {
	case len(magic) >= 2 && magic[0] == gzipMagic[0] && magic[1] == gzipMagic[1]:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "", nil, fmt.Errorf("gzip: %w", err)
		}
		return bufio.NewReaderSize(zr, SniffLen), "gzip", func() { zr.Close() }, nil
	case len(magic) == 4 && string(magic) == string(zstdMagic):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, "", nil, fmt.Errorf("zstd: %w", err)
		}
		return bufio.NewReaderSize(zr, SniffLen), "zstd", zr.Close, nil
	}
	return br, "", func() {}, nil
}
