package blocks

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/bits-and-blooms/bloom/v3"
	"github.com/google/uuid"
	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/blocks/bloomshard"
	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/model"
)

// VerifyReport is the result of Store.Verify.
type VerifyReport struct {
	Blocks  []BlockReport `json:"blocks"`
	Orphans []string      `json:"orphans"`
}

// BlockReport lists what is wrong with one block; Problems is empty for a
// sound block.
type BlockReport struct {
	BlockID  uuid.UUID `json:"blockID"`
	Traces   int       `json:"traces"`
	Spans    int       `json:"spans"`
	Problems []string  `json:"problems"`
}

// OK reports whether every block is sound and no orphan folder was found.
func (r VerifyReport) OK() bool {
	for _, b := range r.Blocks {
		if len(b.Problems) > 0 {
			return false
		}
	}
	return len(r.Orphans) == 0
}

func (br *BlockReport) addf(format string, args ...any) {
	br.Problems = append(br.Problems, fmt.Sprintf(format, args...))
}

// maxProblemsPerCheck caps repeated per-trace problems so a broken block
// does not flood the report.
const maxProblemsPerCheck = 5

// Verify re-reads every live block of the tenant and checks it against its
// meta.json, bloom shards, index and the trace-level columns derived at
// write time; it also lists orphan folders. A block that cannot be read is
// reported as a problem, not an error; the error is for listing failures.
func (s *Store) Verify(ctx context.Context) (VerifyReport, error) {
	rep := VerifyReport{Blocks: []BlockReport{}, Orphans: []string{}} // [] in JSON, never null
	ids, err := s.blockDirs(ctx)
	if err != nil {
		return rep, err
	}
	var metas []Meta
	for _, id := range ids {
		m, err := s.readMeta(ctx, id, metaObject)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			rep.Blocks = append(rep.Blocks, BlockReport{BlockID: id, Problems: []string{err.Error()}})
			continue
		}
		if m.BlockID != id {
			rep.Blocks = append(rep.Blocks, BlockReport{BlockID: id, Problems: []string{
				fmt.Sprintf("meta.json blockID %s does not match its folder", m.BlockID)}})
			continue
		}
		metas = append(metas, m)
	}
	sortMetas(metas)
	s.noteListing(ctx, metas)
	prog := s.trackScan(metas)
	for i, m := range metas {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		rep.Blocks = append(rep.Blocks, s.verifyBlock(ctx, m))
		prog.block(i)
	}
	if rep.Orphans, err = s.Orphans(ctx); err != nil {
		return rep, err
	}
	return rep, nil
}

func (s *Store) verifyBlock(ctx context.Context, m Meta) BlockReport {
	br := BlockReport{BlockID: m.BlockID, Problems: []string{}} // [] in JSON when sound
	if m.TenantID != s.tenant {
		br.addf("meta.json tenantID %q, folder tenant %q", m.TenantID, s.tenant)
	}
	if m.EndTime.Before(m.StartTime) {
		br.addf("meta.json endTime %s is before startTime %s (a time past 2262 read as 1969?)",
			m.EndTime.Format(time.RFC3339), m.StartTime.Format(time.RFC3339))
	}
	b := s.block(m)
	p, ok := s.openToVerify(ctx, b, &br)
	if !ok {
		return br
	}
	groups := len(p.file.RowGroups())
	if groups != m.TotalRecords {
		br.addf("meta totalRecords %d, %s has %d row groups", m.TotalRecords, dataObject, groups)
	}
	rc := &rowChecker{br: &br, dataKey: b.key(dataObject), codec: b.codec, filters: s.verifyBlooms(ctx, b, &br), meta: m}
	rc.start, rc.end = m.TimeRange()
	for g := 0; g < groups; g++ {
		if !rc.group(p, g) {
			return br
		}
	}
	rc.finish()
	s.verifyIndex(ctx, b, rc.groupMax, &br)
	return br
}

// openToVerify checks b's data object against its meta (size, the
// footer's magic and length) and opens it; false, with the problem in br,
// when it cannot be read.
func (s *Store) openToVerify(ctx context.Context, b *Block, br *BlockReport) (*pfile, bool) {
	m := b.meta
	dataKey := b.key(dataObject)
	attrs, err := s.bucket.Attributes(ctx, dataKey)
	if err != nil {
		br.addf("%s: %v", dataKey, err)
		return nil, false
	}
	if uint64(attrs.Size) != m.Size {
		br.addf("meta size %d, %s is %d bytes", m.Size, dataObject, attrs.Size)
	}
	// Footer: the last 8 bytes are the footer length and "PAR1".
	r := &blobReaderAt{ctx: ctx, bucket: s.bucket, key: dataKey, size: attrs.Size}
	if attrs.Size < 12 {
		br.addf("%s: %d bytes is too small for parquet", dataKey, attrs.Size)
		return nil, false
	}
	tail, err := r.readRange(attrs.Size-8, 8)
	if err != nil {
		br.addf("%v", err)
		return nil, false
	}
	if string(tail[4:]) != "PAR1" {
		br.addf("%s: bad magic footer %q", dataKey, tail[4:])
		return nil, false
	}
	if fs := binary.LittleEndian.Uint32(tail[:4]); fs != m.FooterSize {
		br.addf("meta footerSize %d, parquet footer is %d bytes", m.FooterSize, fs)
	}
	bm := m
	bm.Size = uint64(attrs.Size)
	bm.FooterSize = 0 // do not trust it for opening
	b.meta = bm
	p, err := b.open(ctx)
	if err != nil {
		br.addf("%v", err)
		return nil, false
	}
	return p, true
}

// rowChecker checks a block's rows, a row group at a time: trace IDs
// sorted, unique and in their bloom shards, each row decodable, within the
// meta's time range and with its derived columns right. It reports at
// most maxProblemsPerCheck problems of each kind.
type rowChecker struct {
	br         *BlockReport
	dataKey    string
	codec      *codec
	filters    []*bloom.BloomFilter
	meta       Meta
	start, end uint64 // the meta's time range (timeRange)
	prev       []byte // the last trace ID
	first      []byte
	groupMax   [][]byte // each row group's last trace ID
	counts     [8]int   // problems of each kind
}

func (rc *rowChecker) limited(check int, format string, args ...any) {
	rc.counts[check]++
	if rc.counts[check] <= maxProblemsPerCheck {
		rc.br.addf(format, args...)
	}
}

// group checks row group g; false, with the problem reported, when it
// cannot be read to its end.
func (rc *rowChecker) group(p *pfile, g int) bool {
	// The whole row group, once: every page is decoded by the column
	// reader the commands use, then the rows by parquet-go's.
	off, n := p.groupRange(g)
	if err := p.r.prefetch(off, n); err != nil {
		rc.br.addf("%v", err)
		return false
	}
	if err := p.checkPages(g); err != nil {
		p.r.release()
		rc.br.addf("%v", err)
		return false
	}
	rows := p.newGroupRows(g, projectedSchema(p.layout, nil))
	defer rows.close()
	var last []byte
	for {
		row, err := rows.next()
		if err != nil {
			rc.br.addf("%v", err)
			return false
		}
		if row == nil {
			break
		}
		rc.row(row)
		last = rc.prev
	}
	if last != nil {
		rc.groupMax = append(rc.groupMax, append([]byte(nil), last...))
	}
	return true
}

// row checks one row.
func (rc *rowChecker) row(row *pqTrace) {
	rc.br.Traces++
	if rc.prev != nil && bytes.Compare(rc.prev, row.TraceID) >= 0 {
		rc.limited(0, "trace %x is not after %x: IDs not sorted and unique", row.TraceID, rc.prev)
	}
	if rc.first == nil {
		rc.first = append([]byte(nil), row.TraceID...)
	}
	rc.prev = append(rc.prev[:0], row.TraceID...)
	id, ok := model.TraceIDFromBytes(row.TraceID)
	if !ok {
		rc.limited(1, "trace ID %x longer than 16 bytes", row.TraceID)
		return
	}
	if rc.filters != nil {
		shard := bloomshard.Of(id, len(rc.filters))
		if f := rc.filters[shard]; f != nil && !f.Test(id[:]) {
			rc.limited(2, "trace %s missing from its bloom shard %d", id, shard)
		}
	}
	t, err := rc.codec.fromRow(row)
	if err != nil {
		rc.limited(3, "%s: %v", rc.dataKey, err)
		return
	}
	rc.br.Spans += t.SpanCount()
	if row.StartTimeUnixNano > math.MaxInt64 || row.EndTimeUnixNano > math.MaxInt64 {
		rc.limited(4, "trace %s [%d, %d] ends after 2262: its times do not fit Unix nanoseconds", id,
			row.StartTimeUnixNano, row.EndTimeUnixNano)
	} else if row.StartTimeUnixNano < rc.start || row.EndTimeUnixNano > rc.end {
		rc.limited(4, "trace %s [%d, %d] outside meta range [%s, %s]", id,
			row.StartTimeUnixNano, row.EndTimeUnixNano, rc.meta.StartTime, rc.meta.EndTime)
	}
	if msg := checkDerived(row, t); msg != "" {
		rc.limited(5, "trace %s: %s", id, msg)
	}
}

// finish checks the rows against the meta (first and last IDs, count)
// and says how many problems of each kind were not reported.
func (rc *rowChecker) finish() {
	br, m := rc.br, rc.meta
	if len(rc.groupMax) > 0 && len(m.MaxID) > 0 && !bytes.Equal(m.MaxID, rc.groupMax[len(rc.groupMax)-1]) {
		br.addf("meta maxID %x, last trace is %x", m.MaxID, rc.groupMax[len(rc.groupMax)-1])
	}
	if rc.first != nil && len(m.MinID) > 0 && !bytes.Equal(m.MinID, rc.first) {
		br.addf("meta minID %x, first trace is %x", m.MinID, rc.first)
	}
	if br.Traces != m.TotalObjects {
		br.addf("meta totalObjects %d, %s has %d rows", m.TotalObjects, dataObject, br.Traces)
	}
	for i, n := range rc.counts {
		if n > maxProblemsPerCheck {
			br.addf("... and %d more problems of the kind above (check %d)", n-maxProblemsPerCheck, i)
		}
	}
}

// checkPages decodes every page of every column chunk of row group g (its
// bytes loaded) with the column reader the commands read with, checking
// each chunk's levels and values and that it holds the group's rows: page
// damage the row reader passes over (a column it does not read, a page it
// takes without checking) is found too.
func (p *pfile) checkPages(g int) error {
	rg := p.file.RowGroups()[g]
	chunks := rg.ColumnChunks()
	for _, l := range p.columnLeaves() {
		if !l.ok || l.Index >= len(chunks) {
			continue
		}
		rows, err := decodedRows(chunks[l.Index], l.Leaf)
		if err == nil && rows != rg.NumRows() {
			err = fmt.Errorf("%w: column %s holds %d rows, the row group %d", column.ErrCorrupt, strings.Join(l.Path, "."), rows, rg.NumRows())
		}
		if err != nil {
			return p.groupErr(g, err)
		}
	}
	return nil
}

// decodedRows decodes every page of a column chunk of leaf l with the
// column reader the commands read with, discarding the values, and
// returns the rows it holds.
func decodedRows(chunk parquet.ColumnChunk, l column.Leaf) (int64, error) {
	r := column.NewReader(chunk, l)
	defer r.Close()
	var rows int64
	for r.NextPage() {
		rep, _ := r.PageLevels()
		for _, x := range rep {
			if x == 0 {
				rows++
			}
		}
	}
	return rows, r.Err()
}

// verifyBlooms loads every bloom shard; nil when none could be read.
func (s *Store) verifyBlooms(ctx context.Context, b *Block, br *BlockReport) []*bloom.BloomFilter {
	n := b.meta.BloomShardCount()
	filters := make([]*bloom.BloomFilter, n)
	read := 0
	for i := 0; i < n; i++ {
		key := b.key(bloomshard.ObjectName(i))
		data, err := readAll(ctx, s.bucket, key)
		if err != nil {
			br.addf("%v", err)
			continue
		}
		f, err := bloomshard.Decode(data)
		if err != nil {
			br.addf("%s: %v", key, err)
			continue
		}
		filters[i] = f
		read++
	}
	if read == 0 {
		return nil
	}
	return filters
}

// verifyIndex checks the index object against the row groups.
func (s *Store) verifyIndex(ctx context.Context, b *Block, groupMax [][]byte, br *BlockReport) {
	key := b.key(indexObject)
	data, err := readAll(ctx, s.bucket, key)
	if isNotFound(err) {
		br.addf("%s missing (every vParquet4 block has its row groups' largest trace IDs there)", key)
		return
	}
	if err != nil {
		br.addf("%v", err)
		return
	}
	var idx indexFile
	if err := json.Unmarshal(data, &idx); err != nil {
		br.addf("%s: %v", key, err)
		return
	}
	if len(idx.RowGroups) != len(groupMax) {
		br.addf("%s lists %d row groups, %s has %d", key, len(idx.RowGroups), dataObject, len(groupMax))
		return
	}
	for i := range groupMax {
		if !bytes.Equal(idx.RowGroups[i], groupMax[i]) {
			br.addf("%s: row group %d max ID %x, data has %x", key, i, idx.RowGroups[i], groupMax[i])
		}
	}
}

// checkDerived compares the stored trace-level columns with what the spans
// imply. Empty ServiceStats and all-zero nested sets mean "not recorded"
// (blocks converted from older formats, like Tempo's own test block) and
// are accepted.
func checkDerived(row *pqTrace, t *model.Trace) string {
	start, end := t.TimeRange()
	if t.SpanCount() > 0 && (row.StartTimeUnixNano != start || row.EndTimeUnixNano != end) {
		return fmt.Sprintf("start/end %d/%d, spans give %d/%d", row.StartTimeUnixNano, row.EndTimeUnixNano, start, end)
	}
	if row.DurationNano != row.EndTimeUnixNano-row.StartTimeUnixNano {
		return fmt.Sprintf("duration %d, end-start is %d", row.DurationNano, row.EndTimeUnixNano-row.StartTimeUnixNano)
	}
	if row.TraceIDText != traceIDText(t.TraceID) {
		return fmt.Sprintf("TraceIDText %q, want %q", row.TraceIDText, traceIDText(t.TraceID))
	}
	var rootSvc, rootName string
	if root, ok := t.Root(); ok {
		rootSvc, rootName = root.Resource.ServiceName(), root.Span.Name
	}
	if row.RootServiceName != rootSvc || row.RootSpanName != rootName {
		return fmt.Sprintf("root %q/%q, spans give %q/%q", row.RootServiceName, row.RootSpanName, rootSvc, rootName)
	}
	if len(row.ServiceStats) > 0 {
		svc := t.Services()
		ok := len(svc) == len(row.ServiceStats)
		for k, v := range svc {
			if row.ServiceStats[k] != (pqServiceStats{v.SpanCount, v.ErrorCount}) {
				ok = false
			}
		}
		if !ok {
			return fmt.Sprintf("ServiceStats %v, spans give %v", row.ServiceStats, svc)
		}
	}
	// Nested sets: recompute on a copy and compare, unless none recorded.
	recorded := false
	var stored []int32
	t.Spans(func(r model.SpanRef) bool {
		s := r.Span
		stored = append(stored, s.NestedSetLeft, s.NestedSetRight, s.ParentIndex)
		if s.NestedSetLeft != 0 || s.NestedSetRight != 0 || s.ParentIndex != 0 {
			recorded = true
		}
		return true
	})
	if recorded {
		model.ComputeNestedSets(t)
		i := 0
		bad := false
		t.Spans(func(r model.SpanRef) bool {
			s := r.Span
			if stored[i] != s.NestedSetLeft || stored[i+1] != s.NestedSetRight || stored[i+2] != s.ParentIndex {
				bad = true
			}
			i += 3
			return !bad
		})
		if bad {
			return "nested sets differ from the span tree"
		}
	}
	return ""
}
