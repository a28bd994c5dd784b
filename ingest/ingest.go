package ingest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/input"
	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/internal/spill"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// Defaults for Options.
const (
	DefaultMaxBlockBytes = 256 << 20
	DefaultMemoryBudget  = 128 << 20
)

// Options control an ingest.
type Options struct {
	// Format forces the input format; "" detects it per file.
	Format codec.Format
	// SkipBad continues past bad files, reporting them, instead of stopping.
	SkipBad bool
	// MaxInputBytes bounds one input once decompressed (see
	// input.Options.MaxInputBytes; 0: input.DefaultMaxInputBytes).
	MaxInputBytes int64
	// Stdin is read for the path "-".
	Stdin io.Reader
	// MaxBlockBytes bounds a block's estimated encoded size (default 256 MiB).
	MaxBlockBytes int64
	// MaxBlockTraces bounds the traces per block; 0 means no bound.
	MaxBlockTraces int
	// MemoryBudget is roughly how much heap decoded spans may take, those
	// decoded ahead of the file being added included (half of it),
	// before they are spilled as a sorted run to TempDir (default 128 MiB).
	MemoryBudget int64
	// TempDir holds spilled runs; default os.TempDir().
	TempDir string
	// Transform, when set, is applied to every complete trace before it is
	// written.
	Transform func(*model.Trace) error
	// Redact, when set, is applied to every decoded resource and its spans
	// as soon as they are decoded, before they are buffered, spilled to a
	// temporary run or written: nothing it removes ever reaches a disk.
	Redact func(*model.ResourceSpans)
	// Write configures the blocks written.
	Write blocks.WriteOptions
	// NoResume gives the blocks random IDs. By default a block's ID is
	// derived from the inputs' bytes, the options that shape the blocks
	// and its place in the run, so that running an ingest again on the
	// same inputs (after a kill, or by mistake) stores no trace twice:
	// blocks an earlier run published are found and counted in
	// Result.Stored instead (see resume.go). Set it when Transform
	// changes traces in a way the options do not describe.
	NoResume bool
	// Progress, when set, is called as input is read.
	Progress func(Stats)
}

// Stats are running counts during an ingest: while input is read (Files,
// Spans, Bytes), then while blocks are written (Writing set, Written and
// Blocks counting up; Spans, the spans read, is the total to write,
// duplicates included).
type Stats struct {
	Files int
	Spans int
	Bytes int64
	// Writing is set once every input is read and blocks are written.
	Writing bool
	// Written counts the spans written to blocks so far.
	Written int
	// Blocks counts the blocks finished so far.
	Blocks int
}

// BadFile is an input that failed to decode (or, in Skipped, whose format
// could not be told in a directory walk).
type BadFile struct {
	File string
	Err  error
}

// Result says what an ingest read and wrote.
type Result struct {
	Blocks []blocks.Meta
	// Stored are blocks an earlier run of the same ingest (same input
	// bytes and options) had published: their traces were not written
	// again. StoredSpans counts their spans (also counted in Spans).
	Stored      []blocks.Meta
	StoredSpans int
	Files       int
	Bad         []BadFile
	Skipped     []BadFile
	// Warnings are what the decoders worked around in files that were
	// ingested (see input.Report.Warnings), in the BadFile form.
	Warnings   []BadFile
	SpansRead  int
	Spans      int
	Duplicates int
	Traces     int
	// Runs counts the sorted runs spilled to disk (0: all fit in memory).
	Runs int
	// RemovedSpills are the spill directories of killed ingests that this
	// run removed from TempDir.
	RemovedSpills []string
}

// Run decodes paths and writes their traces as blocks to st. Nothing is
// written to st until every input has been read, so a bad input (without
// SkipBad) leaves the bucket as it was; if writing fails part-way, the
// blocks this run wrote are removed again.
func Run(ctx context.Context, st *blocks.Store, paths []string, opts Options) (*Result, error) {
	if opts.MaxBlockBytes <= 0 {
		opts.MaxBlockBytes = DefaultMaxBlockBytes
	}
	if opts.MemoryBudget <= 0 {
		opts.MemoryBudget = DefaultMemoryBudget
	}
	in := &ingester{ctx: ctx, opts: opts, main: model.NewOrderedTraceBuilder()}
	defer in.removeRuns()
	leftovers := removeDeadRuns(opts.TempDir)

	rep, err := input.Decode(ctx, paths, in.decodeOptions(), in.emit)
	if err == nil {
		err = in.err
	}
	if err != nil {
		return nil, err
	}
	res := &Result{Files: rep.FilesRead(), SpansRead: in.spansRead, RemovedSpills: leftovers}
	for _, b := range rep.Bad {
		res.Bad = append(res.Bad, BadFile{File: b.File, Err: b.Err})
	}
	for _, sk := range rep.Skipped {
		res.Skipped = append(res.Skipped, BadFile{File: sk.File, Err: sk.Err})
	}
	for _, w := range rep.Warnings {
		res.Warnings = append(res.Warnings, BadFile{File: w.File, Err: w.Err})
	}
	in.digest = runDigest(rep.Files, &in.opts)
	if err := in.write(st, res); err != nil {
		return nil, err
	}
	res.Runs = in.spilled
	res.Duplicates = res.SpansRead - res.Spans
	return res, nil
}

// decodeOptions are the options of the ingest's input.Decode.
func (in *ingester) decodeOptions() input.Options {
	return input.Options{
		Format:        in.opts.Format,
		SkipBad:       in.opts.SkipBad,
		MaxInputBytes: in.opts.MaxInputBytes,
		Stdin:         in.opts.Stdin,
		Decoders:      input.DecodersWithBatch(decodeBatchBytes(in.opts.MemoryBudget)),
		AheadBytes:    aheadBytes(in.opts.MemoryBudget),
		Weigh:         batchBytes,
		OnFileDone:    in.fileDone,
	}
}

// ingester holds the state of one Run.
type ingester struct {
	ctx  context.Context
	opts Options

	spansRead int
	files     int

	// main holds committed spans; mainBytes estimates their size.
	main      *model.TraceBuilder
	mainBytes int64
	// stage holds the current file's spans when SkipBad is set, so a bad
	// file can be dropped whole.
	stage      []codec.Batch
	stageBytes int64
	stageRuns  []*run
	stageFile  string

	runDir string
	runs   []*run

	// digest names the run's blocks (see resume.go).
	digest [sha256.Size]byte

	// err is a spill failure met in fileDone, which cannot return it.
	err error
	// spilled counts runs written (before any merging of runs).
	spilled int
	// writing is the run being spilled on a goroutine of its own while
	// the next one fills (see spillMainIfFull); nil when none is.
	writing *runWrite
}

// runWrite is a run being written: err is set before done is closed;
// bytes are its spans' (still held until it is written).
type runWrite struct {
	done  chan struct{}
	err   error
	bytes int64
}

// run is a spilled, sorted temporary file of traces.
type run struct {
	path  string
	spans int // spans read into the run, duplicates included
}

func (in *ingester) emit(file string, b codec.Batch) error {
	if err := in.ctx.Err(); err != nil {
		return err
	}
	if in.opts.Redact != nil {
		for i := range b {
			in.opts.Redact(&b[i])
		}
	}
	n := batchBytes(b)
	in.spansRead += b.SpanCount()
	if in.opts.SkipBad {
		// Hold the file's batches as they came, so committing them later
		// adds spans in the same order as without staging.
		if file != in.stageFile {
			in.stage, in.stageBytes, in.stageRuns, in.stageFile = nil, 0, nil, file
		}
		in.stage = append(in.stage, b)
		in.stageBytes += n
		if in.stageBytes+in.mainBytes > in.held() && in.stageBytes > in.held()/2 {
			// A big file: spill what it has so far as its own run.
			sb := model.NewOrderedTraceBuilder()
			for _, sbatch := range in.stage {
				addBatch(sb, sbatch)
			}
			r, err := in.spill(sb)
			if err != nil {
				return err
			}
			in.stageRuns = append(in.stageRuns, r)
			in.stage, in.stageBytes = nil, 0
		}
		in.progress()
		return nil
	}
	addBatch(in.main, b)
	in.mainBytes += n
	if err := in.spillMainIfFull(); err != nil {
		return err
	}
	in.progress()
	return nil
}

// decodeBatchBytes is how much protobuf input is decoded into one batch
// under a memory budget. The decoders run ahead of the builder by a few
// batches (one queued and one being decoded per file in flight), each
// some four times its input once decoded: at 4 MiB they would take as
// much as a 64 MiB budget. A 32nd of the budget, within 1 to 4 MiB (4 MiB
// at the default budget, 2 MiB at 64 MiB).
func decodeBatchBytes(budget int64) int {
	return int(min(max(budget/32, 1<<20), otlp.DefaultProtoChunkBytes))
}

// aheadBytes is the share of the memory budget for batches decoded ahead
// of the one being added (input.Options.AheadBytes): half. Files are
// emitted in input order, so the decoder of the file behind the one being
// added waits once the share is full; formats emitted a trace at a time
// (Jaeger, Zipkin, OTLP JSON) fill it, a file of 100k spans weighing
// 80-100 MiB decoded. With a quarter, a decoder waited for much of a
// Jaeger or Zipkin ingest (6-14% slower at 1M spans); protobuf batches,
// megabytes each, barely use it. Once the input is read, the merge of the
// spilled runs takes the share (fanIn).
func aheadBytes(budget int64) int64 { return budget / 2 }

// held is how much of the budget committed and staged spans may take:
// what the batches decoded ahead do not.
func (in *ingester) held() int64 {
	return in.opts.MemoryBudget - aheadBytes(in.opts.MemoryBudget)
}

func addBatch(tb *model.TraceBuilder, b codec.Batch) {
	for i := range b {
		tb.AddResourceSpans(&b[i])
	}
}

// spillMainIfFull spills the committed spans once they pass the budget.
// The first run is written at once. Once an ingest spills, the rest of
// the input will be spilled too, so the runs after it are half the
// budget, each written on a goroutine of its own while the next half
// fills (the decoders waited on the builder while a run was written); a
// full half waits for the run before it. Half runs are made while their
// number stays within half the merge's fan-in, so they add at most a
// quarter of the fan-in to the runs to merge (a 10M-span ingest spills
// 178 runs at the default budget, merged at once at its fan-in of 256);
// then runs are whole and written at once again, as they are with
// SkipBad (where a file's staged spans are spilled as runs of their own
// once they pass half the spans' share).
func (in *ingester) spillMainIfFull() error {
	half := in.spilled > 0 && !in.opts.SkipBad && in.spilled < fanIn(in.opts.MemoryBudget)/2
	limit := in.held()
	if half || in.writing != nil {
		limit /= 2 // the run being written may hold the other half
	}
	if in.mainBytes <= limit || in.main.Len() == 0 {
		return nil
	}
	if err := in.waitRun(); err != nil {
		return err
	}
	if !half {
		r, err := in.spill(in.main)
		if err != nil {
			return err
		}
		in.runs = append(in.runs, r)
		in.mainBytes = 0
		return nil
	}
	r, write, err := in.startRun(in.main)
	if err != nil {
		return err
	}
	w := &runWrite{done: make(chan struct{}), bytes: in.mainBytes}
	in.main, in.mainBytes = model.NewOrderedTraceBuilder(), 0
	in.runs = append(in.runs, r)
	in.writing = w
	go func() {
		defer close(w.done)
		w.err = write()
	}()
	return nil
}

// writeRun writes a run's traces to a spill file (a variable for tests).
var writeRun = spill.Write

// waitRun waits for the run being written, if any, and returns its error.
func (in *ingester) waitRun() error {
	w := in.writing
	if w == nil {
		return nil
	}
	<-w.done
	in.writing = nil
	return w.err
}

// fileDone commits (or, after an error, drops) the staged spans of a file.
func (in *ingester) fileDone(file string, err error) {
	in.files++
	if !in.opts.SkipBad || in.stageFile != file {
		return
	}
	stage, runs, bytes := in.stage, in.stageRuns, in.stageBytes
	in.stage, in.stageRuns, in.stageFile, in.stageBytes = nil, nil, "", 0
	if err != nil {
		for _, r := range runs {
			in.removeRun(r)
		}
		for _, b := range stage {
			in.spansRead -= b.SpanCount()
		}
		for _, r := range runs {
			in.spansRead -= r.spans
		}
		return
	}
	if len(runs) > 0 && in.main.Len() > 0 {
		// Keep runs in input order, so that of two different spans with
		// the same key the first one read wins, as it does in memory.
		r, serr := in.spill(in.main)
		if serr != nil {
			in.err = serr
			return
		}
		in.runs = append(in.runs, r)
		in.mainBytes = 0
	}
	in.runs = append(in.runs, runs...)
	for _, b := range stage {
		addBatch(in.main, b)
	}
	in.mainBytes += bytes
	if serr := in.spillMainIfFull(); serr != nil && in.err == nil {
		in.err = serr
	}
	in.progress()
}

func (in *ingester) progress() {
	if in.opts.Progress != nil {
		held := in.mainBytes + in.stageBytes
		if w := in.writing; w != nil {
			select {
			case <-w.done:
			default:
				held += w.bytes // not written yet
			}
		}
		in.opts.Progress(Stats{Files: in.files, Spans: in.spansRead, Bytes: held})
	}
}

// spill writes the builder's traces as a sorted run on local disk.
func (in *ingester) spill(b *model.TraceBuilder) (*run, error) {
	r, write, err := in.startRun(b)
	if err != nil {
		return nil, err
	}
	if err := write(); err != nil {
		return nil, err
	}
	return r, nil
}

// startRun names a new run for the spans of b and returns the write that
// stores them in it, which spillMainIfFull may run on a goroutine of its
// own. Nested sets are computed by the block writer, after the merge.
func (in *ingester) startRun(b *model.TraceBuilder) (*run, func() error, error) {
	r, err := in.newRun()
	if err != nil {
		return nil, nil, err
	}
	r.spans = b.Spans + b.Duplicates
	return r, func() error {
		if err := writeRun(r.path, b.SortedTraces()); err != nil {
			return fmt.Errorf("spill: %w", err)
		}
		return nil
	}, nil
}

// newRun names the file of the next run, creating the runs' temporary
// directory on first use.
func (in *ingester) newRun() (*run, error) {
	if in.runDir == "" {
		dir, err := os.MkdirTemp(in.opts.TempDir, runDirPattern())
		if err != nil {
			return nil, fmt.Errorf("spill: %w", err)
		}
		in.runDir = dir
	}
	in.spilled++
	return &run{path: filepath.Join(in.runDir, fmt.Sprintf("run-%06d", in.spilled))}, nil
}

func (in *ingester) removeRun(r *run) {
	_ = os.Remove(r.path)
}

func (in *ingester) removeRuns() {
	_ = in.waitRun() // its files go too; an ingest that failed has its error already
	if in.runDir != "" {
		os.RemoveAll(in.runDir)
	}
}

// write produces the output blocks: straight from memory when nothing was
// spilled, otherwise by merging every run by trace ID.
func (in *ingester) write(st *blocks.Store, res *Result) error {
	if err := in.waitRun(); err != nil {
		return err
	}
	var it store.TraceIterator
	if len(in.runs) == 0 {
		it = &releasingIterator{traces: in.main.SortedTraces()}
		in.main = model.NewOrderedTraceBuilder()
	} else {
		if in.main.Len() > 0 {
			r, err := in.spill(in.main)
			if err != nil {
				return err
			}
			in.runs = append(in.runs, r)
		}
		runs, err := spill.MergeDown(in.runs, fanIn(in.opts.MemoryBudget), in.mergeRuns)
		if err != nil {
			return err
		}
		in.runs = runs
		merged, err := in.openRuns(in.runs)
		if err != nil {
			return err
		}
		// The runs are read and merged on a goroutine of their own, ahead
		// of the block writer's encoding.
		it = store.Prefetch(merged, prefetchTraces)
	}
	defer it.Close()

	err := in.writeChunks(st, it, res)
	if err != nil {
		// Take back what this run made visible: all or nothing.
		for _, m := range res.Blocks {
			_ = st.DeleteBlock(context.Background(), m.BlockID)
		}
		res.Blocks = nil
	}
	return err
}

// prefetchTraces is how many merged traces are handed to the block writer
// at a time (two such batches may wait).
const prefetchTraces = 64

// fanIn is how many runs are merged at once under a memory budget: as
// many as the share of the budget spans held leave (the decoders', see
// aheadBytes, now that the input is read) holds at runReadBytes each,
// within minFanIn and maxFanIn. Each round of merging before the last
// writes and reads its runs' traces once more: at the default budget a
// 10M-span ingest spills 178 runs, merged in one round; a fan-in of 32
// once merged 90 in two extra rounds (15% of its time).
func fanIn(budget int64) int {
	return int(min(max(aheadBytes(budget)/runReadBytes, minFanIn), maxFanIn))
}

const (
	// runReadBytes is about what an open run holds while merged: a
	// compressed and a decoded spill block, its read buffer and one
	// decoded trace (see spill.Open).
	runReadBytes = 256 << 10
	minFanIn     = 16
	// maxFanIn keeps the open files well under the usual limit of 1024.
	maxFanIn = 256
)

// openRuns returns the k-way merge of runs, in run order (so of two
// different spans with one key, the one read first wins).
func (in *ingester) openRuns(runs []*run) (store.TraceIterator, error) {
	paths := make([]string, len(runs))
	for i, r := range runs {
		paths[i] = r.path
	}
	it, err := spill.OpenMerge(paths)
	if err != nil {
		return nil, fmt.Errorf("spill: %w", err)
	}
	return it, nil
}

// mergeRuns merges runs into one new run, streaming, and removes them.
// The runs are read and merged on a goroutine of their own, ahead of the
// encoding of the new run.
func (in *ingester) mergeRuns(runs []*run) (*run, error) {
	merged, err := in.openRuns(runs)
	if err != nil {
		return nil, err
	}
	it := store.Prefetch(merged, prefetchTraces)
	defer it.Close()
	out, err := in.newRun()
	if err != nil {
		return nil, err
	}
	_, err = spill.WriteFrom(out.path, it)
	if err := it.Err(); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("spill: %w", err)
	}
	for _, r := range runs {
		out.spans += r.spans
		in.removeRun(r)
	}
	return out, nil
}

// writeChunks streams the sorted traces into blocks with blocks.BlockWriter,
// starting a new block before one would pass MaxBlockBytes (estimated) or
// MaxBlockTraces, then publishes them all (their meta.json) at the end.
// Only the writer's current row group is held in memory.
func (in *ingester) writeChunks(st *blocks.Store, it store.TraceIterator, res *Result) error {
	namer, err := newBlockNamer(in.ctx, st, in.digest, in.opts.NoResume)
	if err != nil {
		return err
	}
	var w *blocks.BlockWriter
	var stored *blocks.Meta // what block k may repeat (see resume.go)
	var blockBytes int64
	var blockTraces, blockSpans int
	finish := func() error {
		if w == nil {
			return nil
		}
		meta, err := w.Finish()
		w = nil
		if err != nil {
			return err
		}
		if stored != nil && sameTraces(&meta, stored) {
			// An earlier run of this ingest published these traces.
			res.Stored = append(res.Stored, *stored)
			res.StoredSpans += blockSpans
			return st.DeleteBlock(in.ctx, meta.BlockID)
		}
		res.Blocks = append(res.Blocks, meta)
		return nil
	}
	defer func() {
		if w != nil {
			w.Abort()
		}
	}()
	progress := func() {
		if in.opts.Progress != nil {
			in.opts.Progress(Stats{Files: in.files, Spans: in.spansRead, Writing: true,
				Written: res.Spans, Blocks: len(res.Blocks) + len(res.Stored)})
		}
	}
	progress()
	for it.Next() {
		if res.Traces > 0 && res.Traces%progressTraces == 0 {
			progress()
		}
		t := it.At()
		if in.opts.Transform != nil {
			model.ComputeNestedSets(t)
			if err := in.opts.Transform(t); err != nil {
				return fmt.Errorf("trace %s: %w", t.TraceID, err)
			}
		}
		tb := int64(traceBytes(t))
		full := w != nil && (blockBytes+tb > in.opts.MaxBlockBytes ||
			(in.opts.MaxBlockTraces > 0 && blockTraces >= in.opts.MaxBlockTraces))
		if full {
			if err := finish(); err != nil {
				return err
			}
		}
		if w == nil {
			wo := in.opts.Write
			wo.Unpublished = true // published together at the end
			if wo.TempDir == "" {
				wo.TempDir = in.opts.TempDir // its pages wait with the spilled runs
			}
			var nw *blocks.BlockWriter
			if nw, stored, err = namer.writer(in.ctx, len(res.Blocks)+len(res.Stored), wo); err != nil {
				return err
			}
			w, blockBytes, blockTraces, blockSpans = nw, 0, 0, 0
		}
		if err := w.Add(t); err != nil {
			return err
		}
		n := t.SpanCount()
		blockBytes += tb
		blockTraces++
		blockSpans += n
		res.Traces++
		res.Spans += n
	}
	if err := it.Err(); err != nil {
		return err
	}
	if err := finish(); err != nil {
		return err
	}
	// Every block is complete: make them visible, one meta.json each.
	// Until here a crash leaves only orphan folders (compact deletes
	// them); a crash among these writes leaves some published, which a
	// rerun finds under the same names (resume.go).
	for _, m := range res.Blocks {
		if err := st.Publish(in.ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// progressTraces is how often (in traces) the writing of blocks reports
// progress.
const progressTraces = 256

// releasingIterator hands out traces held in memory and drops its own
// reference to each as it goes, so written traces can be collected.
type releasingIterator struct {
	traces []*model.Trace
	cur    *model.Trace
}

func (r *releasingIterator) Next() bool {
	if len(r.traces) == 0 {
		r.cur = nil
		return false
	}
	r.cur, r.traces[0] = r.traces[0], nil
	r.traces = r.traces[1:]
	return true
}
func (r *releasingIterator) At() *model.Trace { return r.cur }
func (r *releasingIterator) Err() error       { return nil }
func (r *releasingIterator) Close() error     { r.traces = nil; return nil }
