package blocks

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/tracectl/tracectl/blocks/bloomshard"
	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/internal/buildinfo"
	"github.com/tracectl/tracectl/model"
)

// DefaultRowGroupBytes is Tempo's default row group size.
const DefaultRowGroupBytes = 100 << 20

// ErrEmptyBlock is returned by Finish when no trace was added.
var ErrEmptyBlock = errors.New("blocks: no traces to write")

// WriteOptions control how a block is written.
type WriteOptions struct {
	// RowGroupBytes cuts a row group once the buffered rows exceed it
	// (default DefaultRowGroupBytes).
	RowGroupBytes int64
	// CompactionLevel is recorded in meta.json (0 for fresh blocks).
	CompactionLevel uint32
	// DedicatedColumns assigns attributes to spare columns (default none).
	DedicatedColumns []DedicatedColumn
	// BlockID names the block; a random UUID when zero.
	BlockID uuid.UUID
	// ReplicationFactor is recorded in meta.json (default 1).
	ReplicationFactor uint32
	// Mark, when set, is recorded in the block (object rewrite.json,
	// written before meta.json) as the transform that produced it;
	// Rewrite skips blocks that carry its own Mark. Tempo ignores the
	// object.
	Mark string
	// RewrittenFrom is recorded next to Mark: the block this one replaces.
	RewrittenFrom uuid.UUID
	// CompactedFrom, when set, is recorded next to Mark: the blocks whose
	// traces this one holds (a compaction's inputs), so that a run after a
	// crash can retire inputs whose output is already live. With Mark or
	// CompactedFrom set, rewrite.json is the block's first object, so even
	// an interrupted write (an orphan) tells where it came from.
	CompactedFrom []uuid.UUID
	// Claim makes the block's first object a claim on its folder
	// (claim.json, written only if the folder has none): NewBlockWriter
	// fails with ErrBlockClaimed when another writer holds a claim there,
	// so two writers given one BlockID (an ingest and a rerun of it at
	// the same time) never write into, or clean up, each other's block.
	Claim bool
	// TempDir holds the encoded pages of a row group past its first 16
	// MiB until the row group is written (in a file unlinked at once);
	// default os.TempDir().
	TempDir string
	// Unpublished makes Finish stop before meta.json: the block stays
	// invisible to readers (an orphan folder) until Store.Publish writes
	// its meta. A writer of several blocks that must appear together
	// publishes them all at the end.
	Unpublished bool
}

// BlockWriter streams traces, in ascending TraceID order, into a new block.
// Add encodes each trace into column values (encode.go) and a writer
// goroutine hands them, row by row, to the page encoder of data.parquet
// (column.FileWriter; a few batches may wait in between); only the row
// group's encoded pages and the list of trace IDs (16 bytes each, for the bloom
// filter sized at Finish) stay in memory. Nothing is visible to readers until
// Finish writes meta.json.
type BlockWriter struct {
	ctx    context.Context
	cancel context.CancelFunc
	store  *Store
	opts   WriteOptions
	meta   Meta
	codec  *codec
	prefix string

	bw      *objectWriter
	pw      *column.FileWriter
	written []string // object keys created so far

	ids        []model.TraceID
	start, end uint64
	err        error
	done       bool

	// Add encodes traces into column values (encoder) and a writer
	// goroutine hands them to pw's column chunks, so encoding and page
	// writing overlap. pending collects traces until a
	// batch is full; written batches come back through free.
	rebatch    rebatcher
	pending    *encoder
	batches    chan *encoder
	free       chan *encoder
	stopRows   sync.Once
	writerDone chan struct{}
	writeMu    sync.Mutex
	writeErr   error // the writer goroutine's first error
	// Owned by the writer goroutine until writerDone is closed:
	groupMax  [][]byte // max trace ID of each flushed row group
	groupRows int
	lastID    model.TraceID
	groupCopy *groupCopy // the copied row group being written
	// copiedChunks counts the column chunks copied (read after Finish).
	copiedChunks int

	copying *groupCopy // Add's side: the copied row group being added
	// columnMerged says the rows were merged column by column from other
	// blocks (mergeColumns): the writer goroutine is stopped, and Add is
	// refused.
	columnMerged bool
}

// A batch is sent to the writer goroutine once it holds writeBatch traces
// or batchValues column values; writeQueue batches may wait for it.
const (
	writeBatch  = 32
	batchValues = 1 << 13
	writeQueue  = 2
)

// NewBlockWriter starts a block in s. Call Add for each trace, then Finish,
// or Abort to give up (Abort is safe after Finish).
func NewBlockWriter(ctx context.Context, s *Store, opts WriteOptions) (*BlockWriter, error) {
	if opts.RowGroupBytes <= 0 {
		opts.RowGroupBytes = DefaultRowGroupBytes
	}
	if opts.ReplicationFactor == 0 {
		opts.ReplicationFactor = 1
	}
	if opts.BlockID == uuid.Nil {
		opts.BlockID = uuid.New()
	}
	cols := usableDedicated(opts.DedicatedColumns)
	ctx, cancel := context.WithCancel(ctx)
	w := &BlockWriter{
		ctx:    ctx,
		cancel: cancel,
		store:  s,
		opts:   opts,
		codec:  newCodec(cols),
		prefix: joinKey(s.tenant, opts.BlockID.String()),
		start:  math.MaxUint64,
		meta: Meta{
			Format:            FormatVParquet4,
			BlockID:           opts.BlockID,
			TenantID:          s.tenant,
			CompactionLevel:   opts.CompactionLevel,
			Encoding:          "none",
			DedicatedColumns:  cols,
			ReplicationFactor: opts.ReplicationFactor,
		},
	}
	if opts.Claim {
		if err := w.claim(); err != nil {
			cancel()
			return nil, err
		}
	}
	if opts.Mark != "" || len(opts.CompactedFrom) > 0 {
		mk, _ := json.Marshal(rewriteMark{Mark: opts.Mark, From: opts.RewrittenFrom, CompactedFrom: opts.CompactedFrom})
		if err := w.put(markObject, mk); err != nil {
			w.cleanup()
			cancel()
			return nil, err
		}
	}
	key := w.key(dataObject)
	bw := s.newObjectWriter(ctx, key)
	w.written = append(w.written, key)
	w.bw = bw
	pw, err := column.NewFileWriter(bw, traceSchema(), column.FileOptions{
		PageBytes: pageBufferSize,
		KeyValue:  [][2]string{{traceTimesKey, traceTimesSpanRange}},
		CreatedBy: createdBy(),
		SpillDir:  cmp.Or(opts.TempDir, os.TempDir()), KeepPageBytes: keepPageBytes,
	})
	if err != nil {
		w.cleanup()
		cancel()
		return nil, err
	}
	w.pw = pw
	w.batches = make(chan *encoder, writeQueue)
	w.free = make(chan *encoder, writeQueue+2)
	w.writerDone = make(chan struct{})
	go w.writeRows()
	return w, nil
}

// usableDedicated returns the dedicated columns of cols a writer uses.
func usableDedicated(cols []DedicatedColumn) []DedicatedColumn {
	var usable []DedicatedColumn
	for _, c := range cols {
		if isUsableDedicated(c) {
			usable = append(usable, c)
		}
	}
	return usable
}

// writeRows is the writer goroutine: it writes each batch to the parquet
// writer, one row at a time, cutting a row group once the buffered rows
// pass RowGroupBytes. After an error it records it, cancels the block's
// context and only drains.
func (w *BlockWriter) writeRows() {
	defer close(w.writerDone)
	failed := false
	for b := range w.batches {
		if !failed {
			if err := w.writeBatch(b); err != nil {
				w.writeMu.Lock()
				w.writeErr = err
				w.writeMu.Unlock()
				w.cancel()
				failed = true
			}
		}
		// A batch grown by a very large trace is left to the collector
		// rather than kept for reuse.
		large := b.nvals > 4*batchValues
		b.reset()
		if !large {
			select {
			case w.free <- b:
			default:
			}
		}
	}
}

// rowWritten counts a written row and cuts the row group when it is full.
func (w *BlockWriter) rowWritten(id model.TraceID) error {
	w.groupRows++
	w.lastID = id
	if w.pw.GroupSize() >= w.opts.RowGroupBytes {
		return w.flushGroup()
	}
	return nil
}

// sendRows hands the pending batch to the writer goroutine.
func (w *BlockWriter) sendRows() error {
	if w.pending == nil || (w.pending.rows() == 0 && !w.pending.endCopy) {
		return nil
	}
	select {
	case w.batches <- w.pending:
	case <-w.ctx.Done():
		return w.ctxErr()
	}
	w.pending = nil
	return nil
}

// batch returns the batch to encode into: the pending one, a written one
// or a new one.
func (w *BlockWriter) batch() *encoder {
	if w.pending == nil {
		select {
		case w.pending = <-w.free:
		default:
			w.pending = getEncoder(w.codec)
		}
		w.pending.copy = w.copying
	}
	return w.pending
}

// stopWriter ends the writer goroutine and waits for it.
func (w *BlockWriter) stopWriter() {
	w.stopRows.Do(func() { close(w.batches) })
	<-w.writerDone
	for {
		select {
		case e := <-w.free:
			encoderPool.Put(e)
		default:
			return
		}
	}
}

// encoderPool holds the written (reset) batches of finished writers for
// the next writer: a compaction writing 248 small blocks allocated each
// one's batches afresh.
var encoderPool sync.Pool // *encoder

// getEncoder returns an empty batch for codec c.
func getEncoder(c *codec) *encoder {
	if e, ok := encoderPool.Get().(*encoder); ok {
		e.codec = c
		return e
	}
	return newEncoder(c)
}

// ctxErr is the writer goroutine's error if it failed, else the context's.
func (w *BlockWriter) ctxErr() error {
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	if w.writeErr != nil {
		return w.writeErr
	}
	return w.ctx.Err()
}

func (w *BlockWriter) key(name string) string { return joinKey(w.prefix, name) }

// BlockID returns the ID of the block being written.
func (w *BlockWriter) BlockID() uuid.UUID { return w.opts.BlockID }

// Add appends a trace. IDs must be strictly ascending. The trace is
// rebatched (duplicate spans dropped, adjacent identical resources and
// scopes merged, span order kept) and its nested sets recomputed before
// it is written. Any error
// (including an out-of-order ID or a canceled context) aborts the block:
// the objects written so far are deleted and later calls fail.
func (w *BlockWriter) Add(t *model.Trace) error {
	if w.err != nil {
		return w.err
	}
	if w.done {
		return errors.New("blocks: Add after Finish")
	}
	if w.columnMerged {
		return w.fail(errors.New("blocks: Add after a column merge"))
	}
	if w.ctx.Err() != nil {
		return w.fail(w.ctxErr())
	}
	if n := len(w.ids); n > 0 && model.CompareTraceIDs(w.ids[n-1], t.TraceID) >= 0 {
		return w.fail(fmt.Errorf("%s: trace %s added after %s: traces must be in ascending ID order without duplicates",
			w.key(dataObject), t.TraceID, w.ids[n-1]))
	}
	rt := w.rebatch.rebatch(t)
	b := w.batch()
	start, end := b.add(rt)
	w.ids = append(w.ids, t.TraceID)
	if rt.SpanCount() > 0 {
		w.start = min(w.start, start)
		w.end = max(w.end, end)
	}
	if b.rows() >= writeBatch || b.nvals >= batchValues {
		if err := w.sendRows(); err != nil {
			return w.fail(err)
		}
	}
	return nil
}

func (w *BlockWriter) flushGroup() error {
	if w.groupRows == 0 {
		return nil
	}
	if err := w.pw.Flush(); err != nil {
		return fmt.Errorf("%s: %w", w.key(dataObject), err)
	}
	w.groupMax = append(w.groupMax, append([]byte(nil), w.lastID[:]...))
	w.groupRows = 0
	return nil
}

func (w *BlockWriter) fail(err error) error {
	if w.err == nil {
		w.err = err
		w.cleanup()
	}
	return err
}

// cleanup cancels the in-flight object and deletes the objects written.
func (w *BlockWriter) cleanup() {
	w.cancel()
	if w.batches != nil {
		w.stopWriter()
	}
	if w.pw != nil {
		w.pw.Discard()
	}
	if w.bw != nil {
		w.bw.Abort() // canceled: the object is not created
		w.bw = nil
	}
	// Deleting uses a fresh context: the caller's may be the one canceled.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), 30*time.Second)
	defer cancel()
	for _, k := range w.written {
		_ = w.store.bucket.Delete(ctx, k)
	}
	w.written = nil
	// On a file:// bucket, the folder fileblob made for the objects
	// (listings never show an empty one, so nothing else removes it).
	w.store.removeLocalFolder(w.opts.BlockID)
}

// Abort discards the block. It is a no-op after a successful Finish.
func (w *BlockWriter) Abort() {
	if w.done && w.err == nil {
		return
	}
	if w.err == nil {
		w.err = errors.New("blocks: writer aborted")
	}
	w.cleanup()
}

// Finish completes data.parquet, writes the bloom shards and the index,
// then meta.json last (unless Unpublished), and returns the meta.
func (w *BlockWriter) Finish() (Meta, error) {
	if w.err != nil {
		return Meta{}, w.err
	}
	if w.done {
		return Meta{}, errors.New("blocks: Finish called twice")
	}
	m, err := w.finish()
	if err != nil {
		return Meta{}, w.fail(err)
	}
	w.done = true
	w.cancel()
	return m, nil
}

func (w *BlockWriter) finish() (Meta, error) {
	dataKey := w.key(dataObject)
	if len(w.ids) == 0 {
		return Meta{}, fmt.Errorf("%s: %w", dataKey, ErrEmptyBlock)
	}
	if w.copying != nil {
		return Meta{}, fmt.Errorf("%w: %s: a copied row group was not ended", ErrCopyPlan, dataKey)
	}
	if err := w.sendRows(); err != nil {
		return Meta{}, err
	}
	w.stopWriter()
	if err := w.ctxErr(); err != nil {
		return Meta{}, err
	}
	if err := w.flushGroup(); err != nil {
		return Meta{}, err
	}
	if err := w.pw.Close(); err != nil {
		return Meta{}, fmt.Errorf("%s: %w", dataKey, err)
	}
	if err := w.ctx.Err(); err != nil {
		return Meta{}, fmt.Errorf("%s: %w", dataKey, err)
	}
	bw := w.bw
	w.bw = nil
	if err := bw.Close(); err != nil {
		return Meta{}, fmt.Errorf("%s: %w", dataKey, err)
	}
	m := w.meta
	m.Size = uint64(w.pw.Size())
	m.FooterSize = w.pw.FooterSize()
	m.TotalObjects = len(w.ids)
	m.TotalRecords = len(w.groupMax)
	m.MinID = append([]byte(nil), w.ids[0][:]...)
	m.MaxID = append([]byte(nil), w.ids[len(w.ids)-1][:]...)
	if w.start == math.MaxUint64 {
		w.start = 0
	}
	m.StartTime, m.EndTime = metaTimes(w.start, w.end)

	filters := bloomshard.NewSet(len(w.ids))
	for _, id := range w.ids {
		filters.Add(id)
	}
	m.BloomShards = filters.Len()
	for i := range filters.Len() {
		b, err := filters.Marshal(i)
		if err != nil {
			return Meta{}, fmt.Errorf("%s: %w", w.key(bloomshard.ObjectName(i)), err)
		}
		if err := w.put(bloomshard.ObjectName(i), b); err != nil {
			return Meta{}, err
		}
	}
	idx, _ := json.Marshal(indexFile{RowGroups: w.groupMax})
	if err := w.put(indexObject, idx); err != nil {
		return Meta{}, err
	}
	if w.opts.Unpublished {
		return m, nil
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return Meta{}, err
	}
	if err := w.put(metaObject, mb); err != nil {
		return Meta{}, err
	}
	return m, nil
}

// Publish writes the meta.json of a block a BlockWriter finished with
// Unpublished, which makes it visible to readers.
func (s *Store) Publish(ctx context.Context, m Meta) error {
	mb, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return s.put(ctx, joinKey(s.tenant, m.BlockID.String(), metaObject), mb)
}

func (w *BlockWriter) put(name string, data []byte) error {
	key := w.key(name)
	if err := w.ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	w.written = append(w.written, key)
	return w.store.put(w.ctx, key, data)
}

// metaTimes converts a span time range to meta.json's second precision.
// Both ends are truncated to the second, as Tempo does (its own block has
// spans ending up to a second after endTime); readers widen the end by a
// second (Meta.timeRange). Times past what Unix nanoseconds in an int64
// hold (ingest rejects them; a block written elsewhere may have them) are
// taken as that last time, never wrapped to 1969.
func metaTimes(start, end uint64) (time.Time, time.Time) {
	at := func(ns uint64) time.Time {
		return time.Unix(0, int64(min(ns, math.MaxInt64))).UTC().Truncate(time.Second)
	}
	return at(start), at(end)
}

// indexFile is the block's "index" object: the max trace ID of every row
// group (base64 in JSON).
type indexFile struct {
	RowGroups [][]byte `json:"rowGroups"`
}

// WriteBlock writes traces (sorted by TraceID, distinct) as one block and
// returns its meta. On error nothing visible is left behind and the objects
// written so far are deleted.
func (s *Store) WriteBlock(ctx context.Context, traces []*model.Trace, opts WriteOptions) (Meta, error) {
	w, err := NewBlockWriter(ctx, s, opts)
	if err != nil {
		return Meta{}, err
	}
	for _, t := range traces {
		if err := w.Add(t); err != nil {
			w.Abort()
			return Meta{}, err
		}
	}
	m, err := w.Finish()
	if err != nil {
		w.Abort()
		return Meta{}, err
	}
	return m, nil
}

// keepPageBytes is how many bytes of a row group's encoded pages a
// writer keeps in memory; the others wait in a temporary file until the
// row group is written (column.FileOptions.SpillDir). Tests lower it.
var keepPageBytes int64 = 16 << 20

// pageBufferSize bounds a column's page before compression. Readers hold
// one decoded page per column of every block they merge, so smaller pages
// keep a many-input compaction's memory down.
var pageBufferSize = 64 << 10

// createdBy is data.parquet's created_by, in the format's
// "<application> version <version> (build <build>)" form: tracectl
// encodes the pages (column.FileWriter), not parquet-go's writer.
var createdBy = sync.OnceValue(func() string {
	info := buildinfo.Read(FormatVParquet4)
	build := info.Commit
	if build == "" {
		build = "unknown"
	}
	return fmt.Sprintf("tracectl version %s (build %s)", strings.Trim(info.Version, "()"), build)
})
