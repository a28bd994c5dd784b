package blocks

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand"
	"reflect"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/codec/input"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// assembleCase is a block whose row groups the assembler must read exactly
// as parquet-go's row reconstruction (groupRows + codec.fromRow) does.
type assembleCase struct {
	name  string
	store *Store
}

func assembleCases(t *testing.T) []assembleCase {
	t.Helper()
	ctx := context.Background()
	var cases []assembleCase
	ded := []DedicatedColumn{{Scope: ScopeResource, Name: "ip"}, {Name: "instance"}, {Name: "span.str"}}
	s, _, _ := writtenParquet(t, roundTripTraces(), WriteOptions{DedicatedColumns: ded})
	cases = append(cases, assembleCase{"round trip", s})
	cases = append(cases, assembleCase{"legacy round trip", legacyStore(t)})
	cases = append(cases, assembleCase{"tempo", tempoStore(t)})
	cases = append(cases, assembleCase{"data page v1", v1PageStore(t)})

	fx, err := input.DecodeTraces(ctx, []string{fixtures.Path(t, "")}, input.Options{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	model.SortTraces(fx)
	s = memStore(t)
	// Small row groups: batches and row groups cut traces at many places.
	if _, err := s.WriteBlock(ctx, fx, WriteOptions{RowGroupBytes: 64 << 10, DedicatedColumns: []DedicatedColumn{{Name: "http.route"}, {Scope: ScopeResource, Name: "host.name"}}}); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, assembleCase{"fixtures", s})

	g := gen.New(gen.Options{Seed: 7, PIIRate: 0.3, ErrorRate: 0.2})
	var gt []*model.Trace
	for range 300 {
		gt = append(gt, g.Trace())
	}
	model.SortTraces(gt)
	s = memStore(t)
	if _, err := s.WriteBlock(ctx, gt, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, assembleCase{"generated", s})
	return cases
}

// referenceGroup reads row group g the old way: parquet-go rows converted
// by codec.fromRow.
func referenceGroup(t *testing.T, b *Block, p *pfile, g int, f *store.Fields) []*model.Trace {
	t.Helper()
	rows, err := p.openGroup(g, f)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.close()
	var out []*model.Trace
	for {
		row, err := rows.next()
		if err != nil {
			t.Fatal(err)
		}
		if row == nil {
			return out
		}
		tr, err := b.codec.fromRow(row)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tr)
	}
}

// assembleGroup reads row group g with the assembler in batches of the
// given size, building the rows sel marks (nil: all).
func assembleGroup(t *testing.T, b *Block, p *pfile, g int, pr projection, batch int, sel []bool) []*model.Trace {
	t.Helper()
	off, n := p.groupRange(g)
	if err := p.r.prefetch(off, n); err != nil {
		t.Fatal(err)
	}
	defer p.r.release()
	a := newGroupAssembler(p, g, b.codec, pr)
	defer a.close()
	var out []*model.Trace
	for row := 0; a.remaining() > 0; {
		n := int(min(int64(batch), a.remaining()))
		var s []bool
		if sel != nil {
			s = sel[row : row+n]
		}
		ts, err := a.read(n, s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ts...)
		row += n
	}
	return out
}

// TestAssemble holds the column assembler to the row reader on every row
// group of every case, for every projection, batch size and a random
// selection of rows. Equality is strict: nil and empty slices differ.
func TestAssemble(t *testing.T) {
	projections := []*store.Fields{nil}
	for _, f := range everyFields() {
		projections = append(projections, &f)
	}
	rng := rand.New(rand.NewSource(1))
	for _, c := range assembleCases(t) {
		t.Run(c.name, func(t *testing.T) {
			groups := 0
			blocks := eachRowGroup(t, c.store, func(m Meta, b *Block, p *pfile, g int) {
				groups++
				for _, f := range projections {
					want := referenceGroup(t, b, p, g, f)
					for _, size := range []int{1, 3, 1000} {
						got := assembleGroup(t, b, p, g, projection{fields: f}, size, nil)
						if d := strictDiff(want, got); d != "" {
							t.Fatalf("block %s group %d fields %+v batch %d:\n%s", m.BlockID, g, f, size, d)
						}
					}
					sel := make([]bool, len(want))
					var picked []*model.Trace
					for i := range sel {
						if sel[i] = rng.Intn(3) == 0; sel[i] {
							picked = append(picked, want[i])
						}
					}
					got := assembleGroup(t, b, p, g, projection{fields: f}, 4, sel)
					if len(picked) == 0 && len(got) == 0 {
						continue
					}
					if d := strictDiff(picked, got); d != "" {
						t.Fatalf("block %s group %d fields %+v, selected rows:\n%s", m.BlockID, g, f, d)
					}
				}
			})
			t.Logf("%d blocks, %d row groups", blocks, groups)
		})
	}
}

// TestAssembleKeys: with attribute keys asked for, the assembler builds
// the full traces with every other attribute left out, whether the keys
// are generic, static or dedicated columns.
func TestAssembleKeys(t *testing.T) {
	for _, c := range assembleCases(t) {
		t.Run(c.name, func(t *testing.T) {
			eachRowGroup(t, c.store, func(m Meta, b *Block, p *pfile, g int) {
				want := referenceGroup(t, b, p, g, nil)
				// Every other key of the data, plus static and dedicated ones.
				seen := map[string]bool{}
				for _, tr := range want {
					eachAttrList(tr, func(as *[]model.Attribute) {
						for _, a := range *as {
							seen[a.Key] = true
						}
					})
				}
				all := slices.Sorted(maps.Keys(seen))
				keys := map[string]bool{model.ServiceNameKey: true, keyHTTPMethod: true, "k8s.pod.name": true, "instance": true, "http.route": true}
				for i := 0; i < len(all); i += 2 {
					keys[all[i]] = true
				}
				kept := 0
				for _, tr := range want {
					eachAttrList(tr, func(as *[]model.Attribute) {
						var out []model.Attribute
						for _, a := range *as {
							if keys[a.Key] {
								out = append(out, a)
							}
						}
						*as = out
						kept += len(out)
					})
				}
				if kept == 0 && len(want) > 0 {
					t.Fatalf("block %s group %d: no attribute kept: the test proves nothing", m.BlockID, g)
				}
				got := assembleGroup(t, b, p, g, projection{keys: keys}, 3, nil)
				if d := strictDiff(want, got); d != "" {
					t.Fatalf("block %s group %d keys %v:\n%s", m.BlockID, g, slices.Sorted(maps.Keys(keys)), d)
				}
			})
		})
	}
}

// eachAttrList calls f with every attribute list of tr.
func eachAttrList(tr *model.Trace, f func(as *[]model.Attribute)) {
	for i := range tr.ResourceSpans {
		rs := &tr.ResourceSpans[i]
		f(&rs.Resource.Attributes)
		for j := range rs.ScopeSpans {
			ss := &rs.ScopeSpans[j]
			f(&ss.Scope.Attributes)
			for k := range ss.Spans {
				sp := &ss.Spans[k]
				f(&sp.Attributes)
				for e := range sp.Events {
					f(&sp.Events[e].Attributes)
				}
				for l := range sp.Links {
					f(&sp.Links[l].Attributes)
				}
			}
		}
	}
}

// eachRowGroup calls f with every row group of every block of st, each
// block opened once, and returns the number of blocks (at least one).
func eachRowGroup(t *testing.T, st *Store, f func(m Meta, b *Block, p *pfile, g int)) int {
	t.Helper()
	ctx := context.Background()
	metas, err := st.Blocks(ctx)
	if err != nil || len(metas) == 0 {
		t.Fatalf("blocks: %v %v", metas, err)
	}
	for _, m := range metas {
		b := st.block(m)
		p, err := b.open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for g := range p.file.RowGroups() {
			f(m, b, p, g)
		}
	}
	return len(metas)
}

// strictDiff compares traces telling nil from empty slices; doubles compare
// bit for bit (NaN equals NaN).
func strictDiff(want, got []*model.Trace) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	opt := cmp.Comparer(func(a, b model.Value) bool {
		return a.Equal(b) && (a.Array() == nil) == (b.Array() == nil) && (a.Map() == nil) == (b.Map() == nil) && (a.Bytes() == nil) == (b.Bytes() == nil)
	})
	if len(want) != len(got) {
		return fmt.Sprintf("%d traces, want %d", len(got), len(want))
	}
	for i := range want { // the first differing trace only: cmp is slow on many
		if d := cmp.Diff(want[i], got[i], opt); d != "" {
			return fmt.Sprintf("trace %d (%s):\n%s", i, want[i].TraceID, d)
		}
	}
	return ""
}

// v1PageStore rewrites the round-trip block with data page v1 and tiny
// pages, where rows continue from one page to the next.
func v1PageStore(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	ded := []DedicatedColumn{{Scope: ScopeResource, Name: "ip"}, {Name: "instance"}}
	s, m, _ := writtenParquet(t, roundTripTraces(), WriteOptions{DedicatedColumns: ded})
	b, err := s.OpenBlock(ctx, m.BlockID)
	if err != nil {
		t.Fatal(err)
	}
	rewriteData(t, s, m, rawRows(t, b), traceSchema(), parquet.DataPageVersion(1), parquet.PageBufferSize(64))
	return s
}

// rewriteData replaces block m's data.parquet with rows written in schema
// with opts, and its meta's size and footer size with the new file's.
func rewriteData(t *testing.T, s *Store, m Meta, rows []pqTrace, schema *parquet.Schema, opts ...parquet.WriterOption) {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[pqTrace](&buf, append([]parquet.WriterOption{schema}, opts...)...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if err := s.put(context.Background(), joinKey(s.tenant, m.BlockID.String(), dataObject), data); err != nil {
		t.Fatal(err)
	}
	m.Size = uint64(len(data))
	m.FooterSize = uint32(data[len(data)-8]) | uint32(data[len(data)-7])<<8 | uint32(data[len(data)-6])<<16 | uint32(data[len(data)-5])<<24
	putMeta(t, s, m)
}
