package ingest

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/input"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// Defaults for Options.
const (
	DefaultMaxBlockBytes = 256 << 20
)

// Options control an ingest.
type Options struct {
	// Format forces the input format; "" detects it per file.
	Format codec.Format
	// SkipBad continues past bad files, reporting them, instead of stopping.
	SkipBad bool
	// Stdin is read for the path "-".
	Stdin io.Reader
	// MaxBlockBytes bounds a block's estimated encoded size (default 256 MiB).
	MaxBlockBytes int64
	// MaxBlockTraces bounds the traces per block; 0 means no bound.
	MaxBlockTraces int
	// MemoryBudget is how many estimated span bytes are held before spilling
	// a sorted run to TempDir; default MaxBlockBytes.
	MemoryBudget int64
	// TempDir holds spilled runs; default os.TempDir().
	TempDir string
	// Transform, when set, is applied to every complete trace before it is
	// written (redaction at ingest).
	Transform func(*model.Trace) error
	// Write configures the blocks written.
	Write blocks.WriteOptions
	// Progress, when set, is called as input is read.
	Progress func(Stats)
}

// Stats are running counts during an ingest.
type Stats struct {
	Files int
	Spans int
	Bytes int64
}

// BadFile is an input that failed to decode (or, in Skipped, whose format
// could not be told in a directory walk).
type BadFile struct {
	File string
	Err  error
}

// Result says what an ingest read and wrote.
type Result struct {
	Blocks     []blocks.Meta
	Files      int
	Bad        []BadFile
	Skipped    []BadFile
	SpansRead  int
	Spans      int
	Duplicates int
	Traces     int
	Runs       int
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
		opts.MemoryBudget = opts.MaxBlockBytes
	}
	in := &ingester{ctx: ctx, opts: opts, main: model.NewTraceBuilder()}
	defer in.removeRuns()

	rep, err := input.Decode(ctx, paths, input.Options{
		Format:     opts.Format,
		SkipBad:    opts.SkipBad,
		Stdin:      opts.Stdin,
		Decoders:   input.DefaultDecoders(),
		OnFileDone: in.fileDone,
	}, in.emit)
	if err == nil {
		err = in.err
	}
	if err != nil {
		return nil, err
	}
	res := &Result{Files: rep.FilesRead(), SpansRead: in.spansRead}
	for _, b := range rep.Bad {
		res.Bad = append(res.Bad, BadFile{File: b.File, Err: b.Err})
	}
	for _, sk := range rep.Skipped {
		res.Skipped = append(res.Skipped, BadFile{File: sk.File, Err: sk.Err})
	}
	if err := in.write(st, res); err != nil {
		return nil, err
	}
	res.Runs = len(in.runs)
	res.Duplicates = res.SpansRead - res.Spans
	return res, nil
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

	runStore *blocks.Store
	runDir   string
	runs     []*run

	// err is a spill failure met in fileDone, which cannot return it.
	err error
}

// run is a spilled, sorted temporary block.
type run struct {
	meta  blocks.Meta
	spans int // spans read into the run, duplicates included
}

func (in *ingester) emit(file string, b codec.Batch) error {
	if err := in.ctx.Err(); err != nil {
		return err
	}
	var n int64
	for i := range b {
		rs := &b[i]
		for j := range rs.ScopeSpans {
			for k := range rs.ScopeSpans[j].Spans {
				n += int64(spanBytes(&rs.ScopeSpans[j].Spans[k]))
				in.spansRead++
			}
		}
		n += int64(attrsBytes(rs.Resource.Attributes))
	}
	if in.opts.SkipBad {
		// Hold the file's batches as they came, so committing them later
		// adds spans in the same order as without staging.
		if file != in.stageFile {
			in.stage, in.stageBytes, in.stageRuns, in.stageFile = nil, 0, nil, file
		}
		in.stage = append(in.stage, b)
		in.stageBytes += n
		if in.stageBytes+in.mainBytes > in.opts.MemoryBudget && in.stageBytes > in.opts.MemoryBudget/2 {
			// A big file: spill what it has so far as its own run.
			sb := model.NewTraceBuilder()
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

func addBatch(tb *model.TraceBuilder, b codec.Batch) {
	for i := range b {
		tb.AddResourceSpans(&b[i])
	}
}

// spillMainIfFull spills the committed spans once they pass the budget.
func (in *ingester) spillMainIfFull() error {
	if in.mainBytes <= in.opts.MemoryBudget || in.main.Len() == 0 {
		return nil
	}
	r, err := in.spill(in.main)
	if err != nil {
		return err
	}
	in.runs = append(in.runs, r)
	in.mainBytes = 0
	return nil
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
			in.spansRead -= batchSpans(b)
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

func batchSpans(b codec.Batch) int {
	n := 0
	for i := range b {
		for j := range b[i].ScopeSpans {
			n += len(b[i].ScopeSpans[j].Spans)
		}
	}
	return n
}

func (in *ingester) progress() {
	if in.opts.Progress != nil {
		in.opts.Progress(Stats{Files: in.files, Spans: in.spansRead, Bytes: in.mainBytes + in.stageBytes})
	}
}

// spill writes the builder's traces as a sorted run on local disk.
func (in *ingester) spill(b *model.TraceBuilder) (*run, error) {
	if in.runStore == nil {
		dir, err := os.MkdirTemp(in.opts.TempDir, "tracectl-ingest-")
		if err != nil {
			return nil, fmt.Errorf("spill: %w", err)
		}
		bucket, err := blocks.OpenBucket(in.ctx, "file://"+dir)
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("spill: %w", err)
		}
		in.runDir, in.runStore = dir, blocks.NewStore(bucket, "runs")
	}
	spans := b.Spans + b.Duplicates
	meta, err := in.runStore.WriteBlock(in.ctx, b.Traces(), blocks.WriteOptions{})
	if err != nil {
		return nil, fmt.Errorf("spill: %w", err)
	}
	return &run{meta: meta, spans: spans}, nil
}

func (in *ingester) removeRun(r *run) {
	if in.runStore != nil {
		_ = in.runStore.DeleteBlock(context.Background(), r.meta.BlockID)
	}
}

func (in *ingester) removeRuns() {
	if in.runDir != "" {
		os.RemoveAll(in.runDir)
	}
}

// write produces the output blocks: straight from memory when nothing was
// spilled, otherwise by merging every run by trace ID.
func (in *ingester) write(st *blocks.Store, res *Result) error {
	var it store.TraceIterator
	if len(in.runs) == 0 {
		it = store.NewSliceIterator(in.main.Traces())
	} else {
		if in.main.Len() > 0 {
			r, err := in.spill(in.main)
			if err != nil {
				return err
			}
			in.runs = append(in.runs, r)
		}
		var its []store.TraceIterator
		for _, r := range in.runs {
			blk, err := in.runStore.OpenBlock(in.ctx, r.meta.BlockID)
			if err != nil {
				return err
			}
			bi, err := blk.Traces(in.ctx)
			if err != nil {
				return err
			}
			its = append(its, bi)
		}
		it = store.Merge(its...)
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

// writeChunks cuts the sorted stream into blocks bounded by MaxBlockBytes
// and MaxBlockTraces.
func (in *ingester) writeChunks(st *blocks.Store, it store.TraceIterator, res *Result) error {
	var chunk []*model.Trace
	var chunkBytes int64
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		meta, err := st.WriteBlock(in.ctx, chunk, in.opts.Write)
		if err != nil {
			return err
		}
		res.Blocks = append(res.Blocks, meta)
		chunk, chunkBytes = nil, 0
		return nil
	}
	for it.Next() {
		t := it.At()
		if in.opts.Transform != nil {
			if err := in.opts.Transform(t); err != nil {
				return fmt.Errorf("trace %s: %w", t.TraceID, err)
			}
		}
		tb := int64(traceBytes(t))
		full := len(chunk) > 0 && (chunkBytes+tb > in.opts.MaxBlockBytes ||
			(in.opts.MaxBlockTraces > 0 && len(chunk) >= in.opts.MaxBlockTraces))
		if full {
			if err := flush(); err != nil {
				return err
			}
		}
		chunk = append(chunk, t)
		chunkBytes += tb
		res.Traces++
		res.Spans += t.SpanCount()
	}
	if err := it.Err(); err != nil {
		return err
	}
	return flush()
}
