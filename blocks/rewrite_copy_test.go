package blocks

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tracectl/tracectl/blocks/column/columntest"
	"github.com/tracectl/tracectl/model"
)

// partEdits change one part of a trace each, in every other trace (by the
// first byte of its ID), and nothing else; adding and deleting attributes
// moves values between static, dedicated and generic columns.
var partEdits = []struct {
	name string
	part model.TraceParts
	edit func(t *model.Trace) bool
}{
	{"resource attributes", model.PartResourceAttributes, func(t *model.Trace) bool {
		for i := range t.ResourceSpans {
			res := &t.ResourceSpans[i].Resource
			res.Attributes = append(res.Attributes, model.Str("redacted", "yes"))
			for j := range res.Attributes {
				if a := &res.Attributes[j]; a.Key == model.ServiceNameKey || a.Key == "host.name" {
					a.Value.Str += "#" // RootServiceName and ServiceStats follow
				}
			}
		}
		return true
	}},
	{"scope attributes", model.PartScopeAttributes, func(t *model.Trace) bool {
		for i := range t.ResourceSpans {
			for j := range t.ResourceSpans[i].ScopeSpans {
				sc := &t.ResourceSpans[i].ScopeSpans[j].Scope
				sc.Attributes = append(sc.Attributes, model.Int("scope.redacted", 1))
			}
		}
		return true
	}},
	{"span attributes", model.PartSpanAttributes, func(t *model.Trace) bool {
		t.Spans(func(r model.SpanRef) bool {
			sp := r.Span
			sp.Attributes = deleteAttrs(sp.Attributes, func(a *model.Attribute) bool {
				return a.Key == keyHTTPMethod || strings.HasPrefix(a.Key, "span.")
			})
			sp.Attributes = append(sp.Attributes, model.Str("user.email", "hashed"), model.Int(keyHTTPStatusCode, 599))
			return true
		})
		return true
	}},
	{"event attributes", model.PartEventAttributes, func(t *model.Trace) bool {
		t.Spans(func(r model.SpanRef) bool {
			for i := range r.Span.Events {
				ev := &r.Span.Events[i]
				ev.Attributes = append(deleteAttrs(ev.Attributes, func(*model.Attribute) bool { return true }), model.Bool("masked", true))
			}
			return true
		})
		return true
	}},
	{"link attributes", model.PartLinkAttributes, func(t *model.Trace) bool {
		t.Spans(func(r model.SpanRef) bool {
			for i := range r.Span.Links {
				lk := &r.Span.Links[i]
				lk.Attributes = append(lk.Attributes, model.Double("link.redacted", 0.5))
			}
			return true
		})
		return true
	}},
	{"span names", model.PartSpanNames, func(t *model.Trace) bool {
		t.Spans(func(r model.SpanRef) bool { r.Span.Name += " ****"; return true })
		return true
	}},
	{"event names", model.PartEventNames, func(t *model.Trace) bool {
		t.Spans(func(r model.SpanRef) bool {
			for i := range r.Span.Events {
				r.Span.Events[i].Name = "****"
			}
			return true
		})
		return true
	}},
	{"status messages", model.PartStatusMessages, func(t *model.Trace) bool {
		t.Spans(func(r model.SpanRef) bool { r.Span.Status.Message = "****"; return true })
		return true
	}},
}

func deleteAttrs(attrs []model.Attribute, del func(*model.Attribute) bool) []model.Attribute {
	out := attrs[:0]
	for i := range attrs {
		if !del(&attrs[i]) {
			out = append(out, attrs[i])
		}
	}
	return out
}

// partsEdit applies the edits of parts to every other trace.
func partsEdit(parts model.TraceParts) RewriteFunc {
	return func(t *model.Trace) (bool, error) {
		if t.TraceID[0]%2 == 1 {
			return false, nil
		}
		for _, pe := range partEdits {
			if parts&pe.part != 0 {
				pe.edit(t)
			}
		}
		return true, nil
	}
}

// copyRewrite writes traces as one block of s (row groups of about
// 128 KiB), rewrites it with fn declaring parts, and returns the new
// block's data.parquet and what Rewrite reported.
func copyRewrite(t *testing.T, s *Store, traces []*model.Trace, fn RewriteFunc, parts model.TraceParts) ([]byte, BlockRewrite) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.WriteBlock(ctx, traces, WriteOptions{RowGroupBytes: 128 << 10, DedicatedColumns: rewriteDedicated}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Rewrite(ctx, nil, RewriteOptions{Mark: "m", Changes: parts,
		Fork: func() (RewriteFunc, func()) { return fn, func() {} }})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rewritten) != 1 {
		t.Fatalf("%d blocks rewritten", len(res.Rewritten))
	}
	br := res.Rewritten[0]
	data, err := s.bucket.ReadAll(ctx, joinKey(s.tenant, br.New.BlockID.String(), dataObject))
	if err != nil {
		t.Fatal(err)
	}
	return data, br
}

var rewriteDedicated = []DedicatedColumn{
	{Scope: ScopeResource, Name: "host.name"}, {Name: "span.str"}, {Name: "http.route"}, {Name: "user.email"},
}

// TestRewriteCopiesColumns rewrites a block of generated traces (every
// attribute type, events, links, dedicated columns, several row groups)
// with an edit of each part in turn, and of all parts at once, declared
// in RewriteOptions.Changes: the new data.parquet must be the file a
// full encoding of the edited traces writes with the same row groups,
// byte for byte, and the columns of the other parts must have been
// copied.
func TestRewriteCopiesColumns(t *testing.T) {
	n := 1500
	if testing.Short() {
		n = 600
	}
	traces := newGeneratedTraces().next(n)
	cases := append([]struct {
		name string
		part model.TraceParts
	}{}, struct {
		name string
		part model.TraceParts
	}{"all parts", 0xFF})
	for _, pe := range partEdits {
		cases = append(cases, struct {
			name string
			part model.TraceParts
		}{pe.name, pe.part})
	}
	total := len(traceSchema().Columns())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := memStore(t)
			got, br := copyRewrite(t, s, traces, partsEdit(tc.part), tc.part)
			groups := int(br.New.TotalRecords)
			if groups < 2 || groups != br.Old.TotalRecords {
				t.Fatalf("%d row groups from %d, want the old block's (at least 2)", groups, br.Old.TotalRecords)
			}
			copied := 0
			for _, ok := range copiedLeaves(tc.part) {
				if ok {
					copied++
				}
			}
			if br.CopiedChunks != copied*groups || (tc.part != 0xFF && copied < total/2) {
				t.Errorf("%d chunks copied, want %d columns of %d in %d row groups", br.CopiedChunks, copied, total, groups)
			}
			// The reference: the same edit on the traces as stored,
			// encoded in full with the same row groups.
			edited := cloneTraces(t, traces)
			fn := partsEdit(tc.part)
			for _, tr := range edited {
				if _, err := fn(tr); err != nil {
					t.Fatal(err)
				}
			}
			want := referenceParquet(t, edited, WriteOptions{DedicatedColumns: rewriteDedicated}, rowsPerGroup(t, got)...)
			if err := columntest.SameFile(got, want, createdBy()); err != nil {
				t.Fatalf("the column-wise rewrite differs from a full encoding: %v", err)
			}
		})
	}
}

// TestRewriteCopyFallsBack: a transform whose traces cannot be stored in
// their old rows cannot copy columns: one that leaves two adjacent
// resources of a trace the same (a full rewrite merges them), and ones
// that break their word and remove or reorder spans. The block is rewritten in full
// with a new fork, whose counts alone are kept, and the result is the
// full rewrite's.
func TestRewriteCopyFallsBack(t *testing.T) {
	ctx := context.Background()
	defer SetTimeSlack(10 * time.Millisecond)() // readStore right after retirements
	pods := syntheticTraces(40, 1, 1e18)
	for _, tr := range pods[:3] {
		// Two resources that differ only by an attribute the edit deletes.
		rs := tr.ResourceSpans[0]
		rs.Resource.Attributes = append([]model.Attribute{model.Str("pod", "b")}, rs.Resource.Attributes...)
		other := tr.ResourceSpans[0].ScopeSpans[0].Spans[0]
		other.SpanID[0] ^= 0xFF
		tr.ResourceSpans = append(tr.ResourceSpans, model.ResourceSpans{
			Resource:   rs.Resource,
			ScopeSpans: []model.ScopeSpans{{Scope: rs.ScopeSpans[0].Scope, Spans: []model.Span{other}}},
		})
		tr.ResourceSpans[0].Resource.Attributes = append([]model.Attribute{model.Str("pod", "a")}, tr.ResourceSpans[0].Resource.Attributes...)
	}
	dropPods := func(t *model.Trace) (bool, error) {
		changed := false
		for i := range t.ResourceSpans {
			res := &t.ResourceSpans[i].Resource
			n := len(res.Attributes)
			res.Attributes = deleteAttrs(res.Attributes, func(a *model.Attribute) bool { return a.Key == "pod" })
			changed = changed || len(res.Attributes) != n
		}
		return changed, nil
	}
	dropSpan := func(t *model.Trace) (bool, error) {
		if t.TraceID[13]%4 != 0 {
			return false, nil
		}
		ss := &t.ResourceSpans[0].ScopeSpans[0]
		ss.Spans = ss.Spans[:len(ss.Spans)-1]
		return true, nil
	}
	swapSpans := func(t *model.Trace) (bool, error) {
		if t.TraceID[13]%4 != 0 {
			return false, nil
		}
		spans := t.ResourceSpans[0].ScopeSpans[0].Spans
		spans[0], spans[len(spans)-1] = spans[len(spans)-1], spans[0]
		return true, nil
	}
	for _, tc := range []struct {
		name   string
		traces []*model.Trace
		fn     RewriteFunc
	}{
		{"resources merged", pods, dropPods},
		{"a span removed", syntheticTraces(40, 2, 1e18), dropSpan},
		{"spans reordered", syntheticTraces(40, 3, 1e18), swapSpans},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var forks, kept, counted atomic.Int32
			fork := func() (RewriteFunc, func()) {
				forks.Add(1)
				var n int32
				return func(t *model.Trace) (bool, error) {
						changed, err := tc.fn(t)
						if changed {
							n++
						}
						return changed, err
					}, func() {
						kept.Add(1)
						counted.Add(n)
					}
			}
			s := memStore(t)
			if _, err := s.WriteBlock(ctx, cloneTraces(t, tc.traces), WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			res, err := s.Rewrite(ctx, nil, RewriteOptions{Mark: "m", Changes: model.PartResourceAttributes, Fork: fork})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rewritten) != 1 || res.Rewritten[0].CopiedChunks != 0 {
				t.Fatalf("rewritten %+v, want one block, nothing copied", res.Rewritten)
			}
			changed := int32(res.Rewritten[0].Changed)
			if forks.Load() != 2 || kept.Load() != 1 || counted.Load() != changed || changed == 0 {
				t.Errorf("%d forks, %d done, %d traces counted; want 2, 1 and %d", forks.Load(), kept.Load(), counted.Load(), changed)
			}

			full := memStore(t)
			if _, err := full.WriteBlock(ctx, cloneTraces(t, tc.traces), WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := full.Rewrite(ctx, tc.fn, RewriteOptions{Mark: "m"}); err != nil {
				t.Fatal(err)
			}
			if diff := diffTraces(readStore(t, full), readStore(t, s)); diff != "" {
				t.Fatalf("differs from the full rewrite (-full +fallback):\n%s", diff)
			}
		})
	}
}

// TestRewriteCopyDamage damages the first page header of one column of a
// block. A column the rewrite copies and the reader never decodes
// (RootSpanName, derived from the spans) costs the copy, not the block: it
// is rewritten in full, the column encoded again, as a full rewrite of the
// undamaged block writes it. A column the reader decodes (span names)
// leaves the block as it is and named, whatever the rewrite's mode.
func TestRewriteCopyDamage(t *testing.T) {
	ctx := context.Background()
	traces := syntheticTraces(40, 1, 1e18)
	fork := func() (RewriteFunc, func()) { return tagEmailsEverywhere, func() {} }
	damagedStore := func(t *testing.T, column string) (*Store, Meta) {
		s := memStore(t)
		m, err := s.WriteBlock(ctx, traces, WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		key := joinKey(s.tenant, m.BlockID.String(), dataObject)
		data, err := s.bucket.ReadAll(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		col := -1
		for i, path := range traceSchema().Columns() {
			if strings.Join(path, ".") == column {
				col = i
			}
		}
		cc := footerOf(t, data).RowGroups[0].Columns[col].MetaData
		at := cc.DataPageOffset
		if d := cc.DictionaryPageOffset; d > 0 && d < at {
			at = d
		}
		data[at] ^= 0xA5 // the first page's header
		if err := s.bucket.WriteAll(ctx, key, data, nil); err != nil {
			t.Fatal(err)
		}
		return s, m
	}

	t.Run("copied column", func(t *testing.T) {
		s, _ := damagedStore(t, "RootSpanName")
		res, err := s.Rewrite(ctx, nil, RewriteOptions{Mark: "m", Changes: model.PartSpanAttributes, Fork: fork})
		if err != nil {
			t.Fatal(err)
		}
		if res.Damaged != 0 || len(res.Rewritten) != 1 || res.Rewritten[0].CopiedChunks != 0 || len(s.Damaged()) != 0 {
			t.Fatalf("damaged %d %v, rewritten %+v; want a full rewrite", res.Damaged, s.Damaged(), res.Rewritten)
		}
		full := memStore(t)
		if _, err := full.WriteBlock(ctx, traces, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		fres, err := full.Rewrite(ctx, tagEmailsEverywhere, RewriteOptions{Mark: "m"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.bucket.ReadAll(ctx, joinKey(s.tenant, res.Rewritten[0].New.BlockID.String(), dataObject))
		if err != nil {
			t.Fatal(err)
		}
		want, err := full.bucket.ReadAll(ctx, joinKey(full.tenant, fres.Rewritten[0].New.BlockID.String(), dataObject))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatal("the rewritten block differs from a full rewrite of the undamaged block")
		}
	})

	t.Run("read column", func(t *testing.T) {
		s, m := damagedStore(t, spanColumns+"Name")
		key := joinKey(s.tenant, m.BlockID.String(), dataObject)
		res, err := s.Rewrite(ctx, nil, RewriteOptions{Mark: "m", Changes: model.PartSpanAttributes, Fork: fork})
		if err != nil {
			t.Fatal(err)
		}
		if res.Damaged != 1 || len(res.Rewritten) != 0 {
			t.Fatalf("damaged %d, rewritten %d; want the block left as damaged", res.Damaged, len(res.Rewritten))
		}
		var d *DamagedError
		if dm := s.Damaged(); len(dm) != 1 || !errors.As(dm[0], &d) || d.Key != key {
			t.Fatalf("damaged: %v, want %s", dm, key)
		}
		if metas, _ := s.Blocks(ctx); len(metas) != 1 || metas[0].BlockID != m.BlockID {
			t.Fatalf("live blocks %v, want the damaged one alone", metas)
		}
	})
}

// tagEmailsEverywhere adds a user.email to every span.
func tagEmailsEverywhere(t *model.Trace) (bool, error) {
	t.Spans(func(r model.SpanRef) bool {
		r.Span.Attributes = append(r.Span.Attributes, model.Str("user.email", "x@example.com"))
		return true
	})
	return true, nil
}

// footerOf decodes the footer of a parquet file.
func footerOf(t *testing.T, data []byte) *format.FileMetaData {
	t.Helper()
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return pf.Metadata()
}

// TestRewriteCopySkipsTempoBlocks: a block Tempo wrote (its trace times
// are not exact, its layout may be older) is rewritten in full even when
// the transform declares its parts: nothing is copied, and the traces are
// those of a full rewrite.
func TestRewriteCopySkipsTempoBlocks(t *testing.T) {
	withSlack(t, 10*time.Millisecond)
	ctx := context.Background()
	fork := func() (RewriteFunc, func()) { return tagEmailsEverywhere, func() {} }
	s := tempoStore(t)
	res, err := s.Rewrite(ctx, nil, RewriteOptions{Mark: "m", Changes: model.PartSpanAttributes, Fork: fork})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rewritten) != 1 || res.Rewritten[0].CopiedChunks != 0 {
		t.Fatalf("rewritten %+v, want the Tempo block, nothing copied", res.Rewritten)
	}
	full := tempoStore(t)
	if _, err := full.Rewrite(ctx, tagEmailsEverywhere, RewriteOptions{Mark: "m"}); err != nil {
		t.Fatal(err)
	}
	if diff := diffTraces(readStore(t, full), readStore(t, s)); diff != "" {
		t.Fatalf("differs from the full rewrite (-full +declared):\n%s", diff)
	}
}

// TestRewriteCopyRequests: on an object store, a row group's copied
// chunks and their page indexes are fetched in a few ranged reads, not one
// per chunk: the whole column-wise rewrite reads the old data.parquet in
// about as many requests as a full rewrite does.
func TestRewriteCopyRequests(t *testing.T) {
	setWholeObjectBytes(t, 0) // ranged reads, as for a large block
	ctx := context.Background()
	traces := newGeneratedTraces().next(600)
	reads := func(parts model.TraceParts) (int, int) {
		w, bucket := newWrapBucket(t)
		s := NewStore(bucket, "tenant-a")
		m, err := s.WriteBlock(ctx, traces, WriteOptions{RowGroupBytes: 128 << 10})
		if err != nil {
			t.Fatal(err)
		}
		key := joinKey(s.tenant, m.BlockID.String(), dataObject)
		w.mu.Lock()
		w.reads = nil
		w.mu.Unlock()
		res, err := s.Rewrite(ctx, nil, RewriteOptions{Mark: "m", Changes: parts,
			Fork: func() (RewriteFunc, func()) { return tagEmailsEverywhere, func() {} }})
		if err != nil || len(res.Rewritten) != 1 {
			t.Fatalf("%v %+v", err, res)
		}
		if parts != 0 && res.Rewritten[0].CopiedChunks == 0 {
			t.Fatal("nothing copied")
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		n := 0
		for _, r := range w.reads {
			if r.key == key {
				n++
			}
		}
		return n, m.TotalRecords
	}
	full, groups := reads(0)
	copied, _ := reads(model.PartSpanAttributes)
	t.Logf("%d reads of data.parquet column-wise, %d in full, %d row groups", copied, full, groups)
	if groups < 2 || copied > full+4*groups+4 {
		t.Errorf("%d reads of data.parquet column-wise, %d in full, %d row groups", copied, full, groups)
	}
}
