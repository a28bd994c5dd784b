package blocks

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"

	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/store"
)

// Block is one block of a Store, opened from its meta.json.
type Block struct {
	store  *Store
	meta   Meta
	codec  *codec
	prefix string
}

// Meta returns the block's meta.json.
func (b *Block) Meta() Meta { return b.meta }

func (b *Block) key(name string) string { return joinKey(b.prefix, name) }

// pfile is an opened data.parquet backed by ranged reads.
type pfile struct {
	r      *blobReaderAt
	file   *parquet.File
	layout layout // attribute layout, from the file's schema
	leaves *fileLeaves
	// exactTimes says the trace-level time columns are exact (traceTimesKey).
	exactTimes bool
	// startCol and endCol are the leaf indexes of StartTimeUnixNano and
	// EndTimeUnixNano (-1 when absent), for row-group skipping.
	startCol, endCol int
	// cols caches columnsOf per projected schema.
	cols map[*parquet.Schema][]int
	// resolved is the resolution of the file's schema, shared with the
	// files of the same schema (see columnLeaves).
	resolved *resolvedSchema
	// light is set for a footer opened with only lightColumns
	// (Block.openLight); whole is the whole footer once opened for it.
	light bool
	whole *pfile
}

// columnLeaves returns the leaf of every column of the file, by column
// index, resolved once per schema.
func (p *pfile) columnLeaves() []leaf { return p.resolved.columnLeaves(p.file.Schema()) }

// wholeObjectBytes is the size up to which a data.parquet on an object
// store is read whole when opened (a variable for tests): a round trip
// costs more than its bytes.
var wholeObjectBytes int64 = 1 << 20

// open reads only the parquet footer (one ranged read when meta.footerSize
// is known), or the whole object when it is small and remote: the magic
// header, page index and bloom filters are skipped.
func (b *Block) open(ctx context.Context) (*pfile, error) { return b.openFile(ctx, true, false) }

// openLight opens the block's footer with only the lightColumns
// (column.Pruner: a quarter of the time of open or less):
// enough to read its trace IDs (groupIDs) and to decide from statistics
// whether to skip its row groups (blockIterator.skipGroup), not to read
// spans (pfile.wholeFooter). A small remote object is read whole, as open
// reads it: its trace IDs then cost no second request.
func (b *Block) openLight(ctx context.Context) (*pfile, error) { return b.openFile(ctx, true, true) }

// lightColumns says whether a column (by path) is kept by openLight: the
// trace ID and times and the span start times, read by a split-trace pass
// and the skip decisions of a search, and what resolveSchema checks (the
// service and scope names and the resource attributes' layout columns, two
// of the four in either layout): eight columns.
func lightColumns(path []string) bool {
	return slices.ContainsFunc(lightPaths, func(p []string) bool { return slices.Equal(p, path) })
}

// lightPruner opens light footers.
var lightPruner = column.NewPruner(lightColumns)

var lightPaths = [][]string{
	{"TraceID"}, {"StartTimeUnixNano"}, {"EndTimeUnixNano"},
	path(pathResource, []string{"ServiceName"}),
	path(pathScope, []string{"Name"}),
	path(pathSpan, []string{"StartTimeUnixNano"}),
	path(resourceAttrPath, []string{"IsArray"}),
	path(resourceAttrPath, []string{"ValueUnsupported"}),
	path(resourceAttrPath, []string{"ValueType"}),
	path(resourceAttrPath, []string{"ValueDropped"}),
}

// errLightFooter is returned by a read of spans given a light footer (a
// bug: see pfile.wholeFooter).
var errLightFooter = errors.New("internal error: spans read from a light footer")

// wholeFooter returns p, or for a light footer the block's whole one,
// opened by open the first time, then kept with it (open's nil, a damaged
// block left out, is returned as it is).
func (p *pfile) wholeFooter(open func() (*pfile, error)) (*pfile, error) {
	if !p.light {
		return p, nil
	}
	if p.whole == nil {
		var err error
		if p.whole, err = open(); err != nil || p.whole == nil {
			return nil, err
		}
	}
	return p.whole, nil
}

// openFile is open; without whole, a small remote object is read as a
// large one is, its footer first, then what is asked for; with light, it
// is openLight.
func (b *Block) openFile(ctx context.Context, whole, light bool) (*pfile, error) {
	key := b.key(dataObject)
	r, err := b.footerReader(ctx, whole)
	if err != nil {
		return nil, err
	}
	size := r.size
	opts := []parquet.FileOption{
		parquet.SkipMagicBytes(true),
		parquet.SkipPageIndex(true),
		parquet.SkipBloomFilters(true),
	}
	var f *parquet.File
	if light {
		// A footer pruning does not take (fields out of the usual order,
		// damage) is opened whole, which tells which.
		if f, err = lightPruner.Open(r, size, opts...); err != nil {
			light = false
		}
	}
	if !light {
		f, err = column.OpenFile(r, size, opts...)
	}
	if r.whole == nil || err != nil {
		r.release()
	}
	if err != nil {
		return nil, damaged(key, err)
	}
	rs, err := resolveSchema(f)
	if err != nil {
		r.release()
		return nil, damaged(key, err)
	}
	leaves := rs.leaves
	pf := &pfile{r: r, file: f, layout: rs.layout, leaves: leaves, startCol: rs.startCol, endCol: rs.endCol, resolved: rs, light: light}
	if v, ok := f.Lookup(traceTimesKey); ok && v == traceTimesSpanRange {
		pf.exactTimes = leaves.traceStart.ok && leaves.traceEnd.ok && leaves.traceDuration.ok
	}
	return pf, nil
}

// checkFooter reports, as open would, whether the block's parquet footer
// opens: a DamagedError when it does not. A footer that passes the checks
// made before decoding (column.CheckFooter: magic, length, thrift lengths)
// and whose metadata fills it exactly is taken without decoding it; any
// other is opened.
func (b *Block) checkFooter(ctx context.Context) error {
	r, err := b.footerReader(ctx, false)
	if err != nil {
		return err
	}
	exact, err := column.CheckFooter(r, r.size)
	r.release()
	if err != nil || exact {
		return damaged(b.key(dataObject), err)
	}
	f, err := b.open(ctx)
	if err == nil {
		f.r.release()
	}
	return err
}

// footerReader returns a reader of the block's data.parquet holding its
// footer: one ranged read (of meta.footerSize when known), or, when whole
// is set, the whole object if it is small and remote (a round trip costs
// more than its bytes). Errors are DamagedErrors or failed reads.
func (b *Block) footerReader(ctx context.Context, whole bool) (*blobReaderAt, error) {
	key := b.key(dataObject)
	size := int64(b.meta.Size)
	if size == 0 {
		attrs, err := b.store.bucket.Attributes(ctx, key)
		if err != nil {
			return nil, damaged(key, &readError{fmt.Errorf("%s: %w", key, err)})
		}
		size = attrs.Size
	}
	r := &blobReaderAt{ctx: ctx, bucket: b.store.bucket, key: key, size: size, local: b.store.isLocal()}
	if d := b.store.localTenantDir(); d != "" {
		r.path = filepath.Join(d, b.meta.BlockID.String(), dataObject)
	}
	if whole && !r.local && size <= wholeObjectBytes {
		// A small object on an object store is read whole by the
		// footer's request: reading its row groups costs none more.
		buf, err := r.readRange(0, size)
		if err != nil {
			r.release()
			return nil, damaged(key, err)
		}
		r.whole = buf
	} else {
		// One ranged read for the footer: meta.footerSize when known,
		// else a guess that covers most footers (parquet-go reads the
		// rest if not).
		tail := int64(64 << 10)
		if b.meta.FooterSize > 0 {
			tail = int64(b.meta.FooterSize) + 8
		}
		tail = min(tail, size)
		if err := r.prefetch(size-tail, tail); err != nil {
			r.release() // the file it opened, on a local bucket
			return nil, damaged(key, err)
		}
	}
	return r, nil
}

// groupRange returns the byte range of row group i's column chunks.
func (p *pfile) groupRange(i int) (off, n int64) {
	lo, hi := int64(-1), int64(0)
	for c := range p.file.Metadata().RowGroups[i].Columns {
		r := p.chunkRange(i, c)
		if lo < 0 || r.off < lo {
			lo = r.off
		}
		hi = max(hi, r.off+r.n)
	}
	if lo < 0 {
		return 0, 0
	}
	return lo, hi - lo
}

// chunkRange is the byte range of one column chunk of row group i.
func (p *pfile) chunkRange(i, col int) byteRange {
	c := p.file.Metadata().RowGroups[i].Columns[col]
	start := c.MetaData.DataPageOffset
	if c.MetaData.DictionaryPageOffset > 0 && c.MetaData.DictionaryPageOffset < start {
		start = c.MetaData.DictionaryPageOffset
	}
	return byteRange{start, c.MetaData.TotalCompressedSize}
}

// offsetIndexRanges returns the byte ranges of the offset indexes of row
// group i's chunks of cols (every column when cols is nil), coalesced:
// parquet-go reads a chunk's offset index when a reader first jumps over
// pages of it, and these ranges let one request serve all the columns.
// Ranges outside the file are left out (parquet-go reports them).
func (p *pfile) offsetIndexRanges(i int, cols []int) []byteRange {
	chunks := p.file.Metadata().RowGroups[i].Columns
	add := func(rs []byteRange, c int) []byteRange {
		cc := chunks[c]
		if cc.OffsetIndexOffset <= 0 || cc.OffsetIndexLength <= 0 || cc.OffsetIndexOffset+int64(cc.OffsetIndexLength) > p.r.size {
			return rs
		}
		return append(rs, byteRange{cc.OffsetIndexOffset, int64(cc.OffsetIndexLength)})
	}
	var rs []byteRange
	if cols == nil {
		for c := range chunks {
			rs = add(rs, c)
		}
	} else {
		for _, c := range cols {
			if c >= 0 && c < len(chunks) {
				rs = add(rs, c)
			}
		}
	}
	return coalesce(sortRanges(rs), maxChunkGap)
}

// maxChunkGap is the largest gap between two needed column chunks that is
// read rather than skipped with a second request (a variable for tests).
var maxChunkGap int64 = 256 << 10

// groupRanges returns the byte ranges of the column chunks of row group i
// that schema s reads (all of them for the file's own schema), coalesced.
func (p *pfile) groupRanges(i int, s *parquet.Schema) []byteRange {
	cols := p.columnsOf(s)
	if cols == nil {
		off, n := p.groupRange(i)
		return []byteRange{{off, n}}
	}
	rs := make([]byteRange, 0, len(cols))
	for _, c := range cols {
		rs = append(rs, p.chunkRange(i, c))
	}
	sort.Slice(rs, func(a, b int) bool { return rs[a].off < rs[b].off })
	return coalesce(rs, maxChunkGap)
}

// columnsOf returns the file's column indexes of the leaves of a projected
// schema, or nil when s reads every column.
func (p *pfile) columnsOf(s *parquet.Schema) []int {
	if cols, ok := p.cols[s]; ok {
		return cols
	}
	paths := s.Columns()
	var cols []int
	if len(paths) < len(p.file.Schema().Columns()) {
		for _, path := range paths {
			if c, ok := p.file.Schema().Lookup(path...); ok {
				cols = append(cols, c.ColumnIndex)
			}
		}
	}
	if p.cols == nil {
		p.cols = map[*parquet.Schema][]int{}
	}
	p.cols[s] = cols
	return cols
}

// groupMinID returns row group i's smallest trace ID from the TraceID
// column statistics (nil when the writer recorded none).
func (p *pfile) groupMinID(i int) []byte {
	cols := p.file.Metadata().RowGroups[i].Columns
	if len(cols) == 0 {
		return nil
	}
	st := cols[0].MetaData.Statistics
	if len(st.MinValue) > 0 {
		return st.MinValue
	}
	return st.Min
}

// groupTimeRange returns row group i's [min start, max end] (Unix ns) from
// the StartTimeUnixNano and EndTimeUnixNano column statistics of the
// footer; ok is false when either is missing.
func (p *pfile) groupTimeRange(i int) (start, end uint64, ok bool) {
	if p.startCol < 0 || p.endCol < 0 {
		return 0, 0, false
	}
	cols := p.file.Metadata().RowGroups[i].Columns
	if p.startCol >= len(cols) || p.endCol >= len(cols) {
		return 0, 0, false
	}
	lo, okLo := statUint64(cols[p.startCol].MetaData.Statistics.MinValue, cols[p.startCol].MetaData.Statistics.Min)
	hi, okHi := statUint64(cols[p.endCol].MetaData.Statistics.MaxValue, cols[p.endCol].MetaData.Statistics.Max)
	return lo, hi, okLo && okHi
}

// groupMaxSpanStart returns the latest span start of row group g from the
// span StartTimeUnixNano statistics.
func (p *pfile) groupMaxSpanStart(g int) (uint64, bool) {
	if !p.leaves.start.ok {
		return 0, false
	}
	st := p.file.Metadata().RowGroups[g].Columns[p.leaves.start.Index].MetaData.Statistics
	return statUint64(st.MaxValue, st.Max)
}

// startsInside reports whether every span of row group g starts inside
// the request's time range, so that each of its traces overlaps the range
// (a trace ends no earlier than it starts): always for an unbounded
// range, else when the footer's span start statistics lie inside it. A
// minimum above the maximum (signed order in an old writer's statistics)
// says nothing.
func (p *pfile) startsInside(g int, req *store.Request) bool {
	if req.Start.IsZero() && req.End.IsZero() {
		return true
	}
	if !p.leaves.start.ok {
		return false
	}
	st := p.file.Metadata().RowGroups[g].Columns[p.leaves.start.Index].MetaData.Statistics
	lo, okLo := statUint64(st.MinValue, st.Min)
	hi, okHi := p.groupMaxSpanStart(g)
	return okLo && okHi && lo <= hi && req.Covers(lo, hi)
}

// statUint64 decodes a plain-encoded INT64 statistic (8 bytes, little
// endian), preferring the current field over the deprecated one.
func statUint64(v, deprecated []byte) (uint64, bool) {
	if len(v) == 0 {
		v = deprecated
	}
	if len(v) != 8 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(v), true
}

// groupErr names the file and row group g in a read error; corrupt data
// (column.ErrCorrupt) becomes a DamagedError (see decodeErr).
func (p *pfile) groupErr(g int, err error) error {
	return decodeErr(p.r.key, fmt.Errorf("%s: row group %d: %w", p.r.key, g, err))
}

// skipGroup reports whether row group i cannot hold a trace of req: its
// time statistics do not overlap the request range. Without statistics
// nothing is skipped.
func (p *pfile) skipGroup(i int, req *store.Request) bool {
	if req == nil || (req.Start.IsZero() && req.End.IsZero()) {
		return false
	}
	start, end, ok := p.groupTimeRange(i)
	return ok && !req.Overlaps(start, end)
}
