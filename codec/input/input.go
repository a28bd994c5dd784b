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
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/cespare/xxhash/v2"
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
	return DecodersWithBatch(otlp.DefaultProtoChunkBytes)
}

// DecodersWithBatch is DefaultDecoders with OTLP protobuf decoded about
// batchBytes of input at a time (see otlp.ProtoDecoder), so that a caller
// short of memory holds fewer decoded spans ahead.
func DecodersWithBatch(batchBytes int) map[codec.Format]codec.Decoder {
	return map[codec.Format]codec.Decoder{
		codec.FormatOTLPJSON:   otlp.DecodeJSON,
		codec.FormatOTLPProto:  otlp.ProtoDecoder(batchBytes),
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
	// Workers is how many files are decoded at once (default
	// GOMAXPROCS, at most 4).
	Workers int
	// AheadBytes bounds the batches decoded and not yet emitted, all
	// inputs together, as Weigh weighs them; each input may still hold
	// one. 0 lets each input hold one batch only: enough for protobuf
	// input, whose batches are megabytes, but formats emitted a trace at a
	// time then keep one file decoding ahead of the one being emitted for
	// only a trace.
	AheadBytes int64
	// Weigh estimates the memory of a batch for AheadBytes; nil counts
	// its spans.
	Weigh func(codec.Batch) int64
	// MaxInputBytes bounds what one input may hold once decompressed
	// (0: DefaultMaxInputBytes; negative: no bound). A compressed input
	// past 64 MiB may also not expand more than MaxExpansion times.
	MaxInputBytes int64
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
	// Digest is the XXH64 of the file's bytes as stored (compressed or
	// not): what tells one input from another when an ingest is run again
	// (see ingest.Options.NoResume). It hashes 11 times faster than
	// SHA-256 but is no cryptographic hash: two inputs made to collide
	// would name a rerun's blocks alike, and a rerun takes a stored block
	// for its own when their trace count, first and last trace IDs and
	// time range agree (by accident: a chance of 2⁻⁶⁴ per pair of inputs).
	Digest  uint64
	Batches int
	Spans   int
	// Warnings are problems the decoder worked around (see codec.Warner).
	Warnings []*codec.DecodeError
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
	// Warnings lists what the decoders worked around in the files decoded
	// (strings that were not UTF-8, Jaeger IDs that were not hex), one per
	// kind and file.
	Warnings []FileIssue
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
//
// Up to Options.Workers files are decoded at once, ahead of the one being
// emitted; emit still sees every batch in input order, from one goroutine.
func Decode(ctx context.Context, paths []string, opts Options, emit func(file string, b codec.Batch) error) (Report, error) {
	if opts.Decoders == nil {
		opts.Decoders = DefaultDecoders()
	}
	if opts.Workers <= 0 {
		opts.Workers = min(runtime.GOMAXPROCS(0), 4)
	}
	d := &decoder{ctx: ctx, opts: opts, emit: emit, rep: Report{
		Spans:   map[codec.Format]int{},
		Batches: map[codec.Format]int{},
	}}
	var inputs []inputFile
	for _, p := range paths {
		inputs = d.collect(p, inputs)
	}
	return d.rep, d.decodeAll(inputs)
}

type decoder struct {
	ctx   context.Context
	opts  Options
	emit  func(string, codec.Batch) error
	rep   Report
	ahead *ahead
}

// inputFile is one input to decode: a file, stdin, or a path that could
// not be read (err set).
type inputFile struct {
	path   string
	walked bool // found in a directory walk
	stdin  bool
	err    error
}

// collect appends the inputs path stands for.
func (d *decoder) collect(p string, out []inputFile) []inputFile {
	if p == "-" {
		return append(out, inputFile{path: StdinName, stdin: true})
	}
	fi, err := os.Stat(p)
	if err != nil {
		return append(out, inputFile{path: p, err: &codec.DecodeError{File: p, Offset: -1, Err: err}})
	}
	if !fi.IsDir() {
		return append(out, inputFile{path: p})
	}
	filepath.WalkDir(p, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			out = append(out, inputFile{path: path, err: &codec.DecodeError{File: path, Offset: -1, Err: err}})
			return nil
		}
		if path != p && strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case e.Type().IsRegular():
			out = append(out, inputFile{path: path, walked: true})
		case e.Type()&fs.ModeSymlink != 0:
			out = append(out, linkInput(path))
		}
		return nil
	})
	return out
}

// linkInput is the input of a symbolic link met in a directory walk: the
// file it points to, or, for a directory, an entry skipped (the walk does
// not follow links, which may loop); a link to nothing is an error like
// any entry that cannot be read.
func linkInput(path string) inputFile {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return inputFile{path: path, err: &codec.DecodeError{File: path, Offset: -1, Err: err}}
	case fi.IsDir():
		return inputFile{path: path, walked: true, err: &skipError{errors.New("symbolic link to a directory, not followed (name the directory to ingest it)")}}
	case !fi.Mode().IsRegular():
		return inputFile{path: path, walked: true, err: &skipError{fmt.Errorf("symbolic link to a special file (%s), not read", fi.Mode().Type())}}
	}
	return inputFile{path: path, walked: true}
}

// decodeJob decodes one input on its own goroutine, handing its batches
// over on q; stat and err are set before q is closed.
type decodeJob struct {
	in   inputFile
	q    batchQueue
	stat FileStat
	err  error
}

// decodeAll decodes the inputs, Workers at a time, and emits their batches
// in input order.
func (d *decoder) decodeAll(inputs []inputFile) error {
	ctx, cancel := context.WithCancel(d.ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	d.ahead = newAhead(ctx, d.opts.AheadBytes, d.opts.Weigh)
	jobs := make([]*decodeJob, len(inputs))
	started := 0
	startUpTo := func(n int) {
		for ; started < min(n, len(inputs)); started++ {
			j := &decodeJob{in: inputs[started]}
			jobs[started] = j
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer d.ahead.close(&j.q)
				j.stat, j.err = d.decodeInput(ctx, j)
			}()
		}
	}
	for i := range inputs {
		startUpTo(i + d.opts.Workers)
		j := jobs[i]
		var emitErr error
		for {
			b, ok := d.ahead.get(&j.q)
			if !ok {
				break // closed, or cancelled and the job has finished
			}
			if emitErr != nil {
				continue // drain, so the job can finish
			}
			if err := d.ctx.Err(); err != nil {
				emitErr = err
			} else if err := d.emit(j.in.path, b); err != nil {
				emitErr = err
			}
			if emitErr != nil {
				cancel()
				d.ahead.stop() // drop what is queued now, not once AfterFunc runs
			}
		}
		if emitErr == nil && ctx.Err() != nil {
			// Stopped with batches dropped: the file is not done.
			emitErr = ctx.Err()
		}
		jobs[i] = nil
		if emitErr != nil {
			return emitErr
		}
		if err := d.result(j.in.path, j.stat, j.err); err != nil {
			return err
		}
	}
	return nil
}

// decodeInput opens and decodes one input, sending its batches on j.ch.
func (d *decoder) decodeInput(ctx context.Context, j *decodeJob) (FileStat, error) {
	if j.in.err != nil {
		return FileStat{}, j.in.err
	}
	send := func(b codec.Batch) error {
		if !d.ahead.put(&j.q, b) {
			return &emitError{err: ctx.Err()}
		}
		return nil
	}
	if j.in.stdin {
		in := d.opts.Stdin
		if in == nil {
			in = os.Stdin
		}
		return d.decodeStream(ctx, StdinName, in, nil, false, send)
	}
	if err := ctx.Err(); err != nil {
		return FileStat{}, err
	}
	f, err := os.Open(j.in.path)
	if err != nil {
		return FileStat{}, &codec.DecodeError{File: j.in.path, Offset: -1, Err: err}
	}
	defer f.Close()
	// A regular file can be read again where a decoder passed over a
	// large part (see codec.WarnReader.At).
	var at io.ReaderAt
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		at = f
	}
	return d.decodeStream(ctx, j.in.path, f, at, j.in.walked, send)
}

// result files one input's outcome under the report and decides whether
// to go on.
func (d *decoder) result(file string, stat FileStat, err error) error {
	if err == nil {
		d.rep.Files = append(d.rep.Files, stat)
		for _, w := range stat.Warnings {
			d.rep.Warnings = append(d.rep.Warnings, FileIssue{File: file, Err: w})
		}
		d.rep.Spans[stat.Format] += stat.Spans
		d.rep.Batches[stat.Format] += stat.Batches
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

// decodeStream decompresses, sniffs and decodes one input, passing its
// batches to emit.
func (d *decoder) decodeStream(ctx context.Context, name string, r io.Reader, at io.ReaderAt, walked bool, emit func(codec.Batch) error) (FileStat, error) {
	br := bufio.NewReaderSize(r, SniffLen)
	raw := &countingReader{r: br, h: xxhash.New()}
	rd, comp, closeFn, err := decompress(bufio.NewReaderSize(raw, SniffLen))
	if err != nil {
		return FileStat{}, &codec.DecodeError{File: name, Offset: 0, Err: err}
	}
	var lr *limitedReader
	if limit := d.opts.MaxInputBytes; limit >= 0 {
		if limit == 0 {
			limit = DefaultMaxInputBytes
		}
		lr = &limitedReader{r: rd, raw: raw, limit: limit, compressed: comp != ""}
		rd = bufio.NewReaderSize(lr, SniffLen)
	}
	defer closeFn()
	// Decoders need not know about a UTF-8 byte order mark.
	skipped := int64(0)
	if bom, _ := rd.Peek(len(utf8BOM)); bytes.Equal(bom, utf8BOM) {
		rd.Discard(len(utf8BOM))
		skipped = int64(len(utf8BOM))
	}
	format := d.opts.Format
	if format == "" {
		head, err := rd.Peek(SniffLen)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			// A read error (e.g. corrupt compressed data) before any decoding.
			if len(head) == 0 {
				return FileStat{}, &codec.DecodeError{File: name, Offset: 0, Err: err}
			}
		}
		format, err = Sniff(head)
		if err != nil {
			if walked {
				return FileStat{}, &skipError{err: err}
			}
			return FileStat{}, &codec.DecodeError{File: name, Offset: -1, Err: err}
		}
	}
	dec := d.opts.Decoders[format]
	if dec == nil {
		return FileStat{}, &codec.DecodeError{File: name, Offset: -1, Err: fmt.Errorf("%w: no decoder for format %s", ErrUnknownFormat, format)}
	}
	stat := FileStat{File: name, Format: format, Compression: comp}
	wr := &codec.WarnReader{Reader: rd}
	if at != nil && comp == "" {
		wr.At = io.NewSectionReader(at, skipped, math.MaxInt64-skipped)
	}
	err = dec(name, wr, func(b codec.Batch) error {
		if err := ctx.Err(); err != nil {
			return &emitError{err: err}
		}
		// Decoders replace bytes that are not UTF-8 and warn; this catches
		// any left (a Jaeger tag holding a JSON object keeps its text).
		codec.FixBatchUTF8(b)
		stat.Batches++
		stat.Spans += b.SpanCount()
		return emit(b)
	})
	if err != nil {
		var ee *emitError
		var de *codec.DecodeError
		switch {
		case lr != nil && lr.tripped != nil && !errors.As(err, &ee):
			// Whatever the decoder made of the read error (a position
			// past the limit, a JSON path), the file is too large.
			err = &codec.DecodeError{File: name, Offset: -1, Err: lr.tripped}
		case !errors.As(err, &ee) && !errors.As(err, &de):
			err = &codec.DecodeError{File: name, Offset: -1, Err: err}
		}
		return FileStat{}, err
	}
	stat.Warnings = wr.Warnings
	// The digest covers the whole input, also what follows the data a
	// decoder stops at.
	if _, err := io.Copy(io.Discard, raw); err != nil {
		return FileStat{}, &codec.DecodeError{File: name, Offset: raw.n, Err: err}
	}
	stat.Digest = raw.h.Sum64()
	return stat, nil
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// Input limits: an input larger than this once decompressed is an error
// for that file, as is a compressed one that expands more than
// MaxExpansion times past expansionFloor bytes (a 2 MB gzip of 2 GiB of
// spaces would otherwise exhaust memory and take the other files with it).
const (
	DefaultMaxInputBytes = 4 << 30
	MaxExpansion         = 200
	expansionFloor       = 64 << 20
)

// ErrInputTooLarge is the error of an input past the limits above.
var ErrInputTooLarge = errors.New("input too large")

// countingReader counts and hashes the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
	h *xxhash.Digest
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.h.Write(p[:n])
	return n, err
}

// limitedReader fails once more than limit bytes were read through it,
// or, for a compressed input, once the bytes read pass expansionFloor and
// MaxExpansion times the compressed bytes read (raw).
type limitedReader struct {
	r          io.Reader
	raw        *countingReader
	limit, n   int64
	compressed bool
	// tripped is the error of the limit passed, once it was.
	tripped error
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.tripped != nil {
		return 0, l.tripped
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	switch {
	case l.n > l.limit:
		l.tripped = fmt.Errorf("%w: more than %d bytes (--max-input-bytes)", ErrInputTooLarge, l.limit)
	case l.compressed && l.n > expansionFloor && l.n > MaxExpansion*l.raw.n:
		l.tripped = fmt.Errorf("%w: %d compressed bytes expand to more than %d (over %d times: a compression bomb?)",
			ErrInputTooLarge, l.raw.n, l.n, MaxExpansion)
	default:
		return n, err
	}
	return n, l.tripped
}

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
