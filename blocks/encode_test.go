package blocks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/blocks/column/columntest"
	"github.com/tracectl/tracectl/codec/input"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
)

// TestEncoderMatchesRowWriter writes the same traces with BlockWriter (the
// direct encoder and tracectl's page encoder, column.FileWriter) and with
// the reference row writer (parquet-go's reflection over pqTrace and its
// writer, encode_ref_test.go): the two data.parquet files must be
// identical byte for byte but for created_by, and the traces read back from the new
// block (the column reader) must equal those the row reader and
// codec.fromRow read from the reference file.
func TestEncoderMatchesRowWriter(t *testing.T) {
	ctx := context.Background()
	ded := []DedicatedColumn{
		{Scope: ScopeResource, Name: "ip"}, {Scope: ScopeResource, Name: "host.name"},
		{Name: "instance"}, {Name: "span.str"}, {Name: "http.route"}, {Name: "db.system"},
		{Name: "http.method"}, // second occurrence after the static column took the first
	}
	fx, err := input.DecodeTraces(ctx, []string{fixtures.Path(t, "")}, input.Options{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	model.SortTraces(fx)
	// Generated traces, in blocks of 10k (memory stays bounded).
	n := 100_000
	if testing.Short() {
		n = 5_000
	}
	g := newGeneratedTraces()

	type encodeCase struct {
		name   string
		traces []*model.Trace
		opts   WriteOptions
		gen    int // when traces is nil: the next gen generated traces
	}
	tests := []encodeCase{
		{"round trip", roundTripTraces(), WriteOptions{}, 0},
		{"round trip, dedicated", roundTripTraces(), WriteOptions{DedicatedColumns: ded}, 0},
		{"round trip, one trace per row group", roundTripTraces(), WriteOptions{RowGroupBytes: 1, DedicatedColumns: ded}, 0},
		{"no spans", []*model.Trace{{TraceID: tid(1)}, {TraceID: tid(2), ResourceSpans: []model.ResourceSpans{{}}}}, WriteOptions{}, 0},
		{"fixtures", fx, WriteOptions{DedicatedColumns: ded}, 0},
		{"fixtures, small row groups", fx, WriteOptions{RowGroupBytes: 64 << 10}, 0},
	}
	for i := 0; i < n; i += 10_000 {
		k := min(n-i, 10_000)
		tests = append(tests, encodeCase{fmt.Sprintf("generated %d-%d", i, i+k), nil,
			WriteOptions{RowGroupBytes: 16 << 20, DedicatedColumns: ded}, k})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.traces == nil {
				tc.traces = g.next(tc.gen)
			}
			s, m, got := writtenParquet(t, tc.traces, tc.opts)
			// Row groups cut at the same rows: parquet-go's estimate of
			// a row group's size differs a little from column.FileWriter's
			// (TestRowGroupCuts checks the cuts).
			want := referenceParquet(t, tc.traces, tc.opts, rowsPerGroup(t, got)...)
			if err := columntest.SameFile(got, want, createdBy()); err != nil {
				t.Errorf("data.parquet differs from parquet-go's row writer's: %v", err)
			}
			if m.TotalRecords < 1 || (tc.opts.RowGroupBytes == 1 && m.TotalRecords != len(tc.traces)) {
				t.Errorf("%d row groups for %d traces", m.TotalRecords, len(tc.traces))
			}
			wantTraces := rowReaderTraces(t, want, newCodec(m.DedicatedColumns))
			b, err := s.OpenBlock(ctx, m.BlockID)
			if err != nil {
				t.Fatal(err)
			}
			it, err := b.Traces(ctx)
			if err != nil {
				t.Fatal(err)
			}
			gotTraces := readAllTraces(t, it)
			if len(gotTraces) != len(tc.traces) {
				t.Fatalf("read %d traces, wrote %d", len(gotTraces), len(tc.traces))
			}
			// One trace at a time: cmp is slow on many traces.
			for i := range wantTraces {
				if diff := diffTraces(wantTraces[i:i+1], gotTraces[i:i+1]); diff != "" {
					t.Fatalf("trace %d differs (-row writer +encoder):\n%s", i, diff)
				}
			}
		})
	}
}

// rowsPerGroup returns the rows of each row group of a parquet file.
func rowsPerGroup(t testing.TB, b []byte) []int64 {
	t.Helper()
	pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var rows []int64
	for _, g := range pf.Metadata().RowGroups {
		rows = append(rows, g.NumRows)
	}
	return rows
}

// rowReaderTraces reads a data.parquet the old way: parquet-go's row
// reader into pqTrace, converted by codec.fromRow.
func rowReaderTraces(t *testing.T, data []byte, c *codec) []*model.Trace {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	r := parquet.NewGenericReader[pqTrace](f)
	defer r.Close()
	var out []*model.Trace
	rows := make([]pqTrace, 64)
	for {
		n, err := r.Read(rows)
		for i := range n {
			tr, err := c.fromRow(&rows[i])
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, tr)
		}
		clear(rows)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// generatedTraces hands out traces of internal/gen (seed 11), every tenth
// enriched with what gen does not make: attributes of every type on
// resources, scopes, spans, events and links, events, links, a resource
// without attributes and one without spans.
type generatedTraces struct {
	g    *gen.Generator
	rng  *rand.Rand
	seen map[model.TraceID]bool
	n    int
}

func newGeneratedTraces() *generatedTraces {
	return &generatedTraces{
		g:    gen.New(gen.Options{Seed: 11, PIIRate: 0.2, ErrorRate: 0.1}),
		rng:  rand.New(rand.NewSource(11)),
		seen: map[model.TraceID]bool{},
	}
}

// next returns the next n traces, sorted by ID.
func (g *generatedTraces) next(n int) []*model.Trace {
	out := make([]*model.Trace, 0, n)
	for len(out) < n {
		tr := g.g.Trace()
		if g.seen[tr.TraceID] {
			continue
		}
		g.seen[tr.TraceID] = true
		if g.n%10 == 0 {
			enrich(g.rng, tr)
		}
		g.n++
		out = append(out, tr)
	}
	model.SortTraces(out)
	return out
}

func enrich(rng *rand.Rand, tr *model.Trace) {
	pick := func(prefix string) []model.Attribute {
		// Without the NaN (the round-trip cases have it), so that the
		// comparison can use reflect.DeepEqual: cmp on 100k traces is slow.
		all := slices.DeleteFunc(everyValue(prefix), func(a model.Attribute) bool { return a.Key == prefix+"nan" })
		rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		return all[:1+rng.Intn(len(all))]
	}
	rs := &tr.ResourceSpans[rng.Intn(len(tr.ResourceSpans))]
	rs.Resource.Attributes = append(rs.Resource.Attributes, pick("res.")...)
	rs.Resource.Attributes = append(rs.Resource.Attributes, model.Str("ip", fmt.Sprint(rng.Intn(4))))
	ss := &rs.ScopeSpans[rng.Intn(len(rs.ScopeSpans))]
	ss.Scope.Attributes = append(ss.Scope.Attributes, pick("scope.")...)
	ss.Scope.DroppedAttributesCount = uint32(rng.Intn(3))
	for k := range ss.Spans {
		sp := &ss.Spans[k]
		if rng.Intn(2) == 0 {
			continue
		}
		sp.Attributes = append(sp.Attributes, pick("span.")...)
		sp.Attributes = append(sp.Attributes, model.Str("instance", fmt.Sprint("i-", rng.Intn(9))))
		for range rng.Intn(3) {
			sp.Events = append(sp.Events, model.Event{
				TimeUnixNano: sp.StartTimeUnixNano + uint64(rng.Intn(1000)) - 100,
				Name:         fmt.Sprint("event", rng.Intn(5)),
				Attributes:   pick("ev."),
			})
		}
		for range rng.Intn(3) {
			var lt model.TraceID
			var ls model.SpanID
			rng.Read(lt[:])
			rng.Read(ls[:])
			sp.Links = append(sp.Links, model.Link{TraceID: lt, SpanID: ls, TraceState: "k=v", Attributes: pick("link."),
				DroppedAttributesCount: uint32(rng.Intn(2))})
		}
		sp.DroppedEventsCount, sp.DroppedLinksCount = uint32(rng.Intn(2)), uint32(rng.Intn(2))
	}
	// A resource without attributes holding one span of the trace, and a
	// resource without spans.
	first := &tr.ResourceSpans[0].ScopeSpans[0]
	moved := first.Spans[len(first.Spans)-1]
	first.Spans = first.Spans[:len(first.Spans)-1]
	tr.ResourceSpans = append(tr.ResourceSpans,
		model.ResourceSpans{ScopeSpans: []model.ScopeSpans{{Spans: []model.Span{moved}}}},
		model.ResourceSpans{Resource: model.Resource{Attributes: []model.Attribute{model.Str("service.name", "idle")}}})
}

// TestRebatcherMatchesRebatch: the rebatcher's copy of an ordered trace
// equals what rebatch builds, and other traces go through rebatch.
func TestRebatcherMatchesRebatch(t *testing.T) {
	fx, err := input.DecodeTraces(context.Background(), []string{fixtures.Path(t, "")}, input.Options{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	traces := append(append(fx, roundTripTraces()...), newGeneratedTraces().next(3000)...)
	var r rebatcher
	fast := 0
	for _, tr := range traces {
		want := rebatch(tr)
		ordered, _ := model.IsOrdered(tr, nil)
		got := r.rebatch(tr)
		if ordered {
			fast++
			if got == tr || got == want {
				t.Fatalf("trace %s: ordered, but not copied", tr.TraceID)
			}
		}
		if diff := diffTraces([]*model.Trace{want}, []*model.Trace{got}); diff != "" {
			t.Fatalf("trace %s (ordered %v) differs (-rebatch +rebatcher):\n%s", tr.TraceID, ordered, diff)
		}
	}
	if fast < len(traces)/2 || fast == len(traces) {
		t.Fatalf("%d of %d traces ordered: the cases do not test both paths", fast, len(traces))
	}
}

func TestResourceStaticIndex(t *testing.T) {
	for i, k := range resourceStatic {
		if got := resourceStaticIndex(k); got != i {
			t.Errorf("resourceStaticIndex(%q) = %d, want %d", k, got, i)
		}
	}
	if got := resourceStaticIndex("service.name"); got != -1 {
		t.Errorf("resourceStaticIndex(service.name) = %d", got)
	}
}

// TestDedicatedNeverStatic: the encoder takes static and dedicated columns
// in one pass over the attributes, which is what taking the static ones
// first does only because no usable dedicated column has a static column's
// name.
func TestDedicatedNeverStatic(t *testing.T) {
	for _, k := range append([]string{model.ServiceNameKey}, resourceStatic[:]...) {
		if c := (DedicatedColumn{Scope: ScopeResource, Name: k}); isUsableDedicated(c) {
			t.Errorf("%+v is usable", c)
		}
	}
	for _, k := range []string{keyHTTPMethod, keyHTTPURL, keyHTTPStatusCode} {
		if c := (DedicatedColumn{Scope: ScopeSpan, Name: k}); isUsableDedicated(c) {
			t.Errorf("%+v is usable", c)
		}
	}
}

// TestRowGroupCuts: BlockWriter cuts a row group once column.FileWriter's
// estimate of it (encoded pages, the values not yet in a page, counted
// uncompressed, and the dictionaries) passes RowGroupBytes, as it cut
// with parquet-go's estimate: the row groups number about what parquet-go's
// gave (whose estimate also counted up to 32 KiB of the previous group
// still in its write buffer, so it cut a little earlier at small limits).
func TestRowGroupCuts(t *testing.T) {
	traces := newGeneratedTraces().next(3000)
	for _, limit := range []int64{128 << 10, 1 << 20, 8 << 20} {
		opts := WriteOptions{RowGroupBytes: limit}
		_, _, got := writtenParquet(t, traces, opts)
		want := referenceParquet(t, traces, opts)
		gotRows, wantRows := rowsPerGroup(t, got), rowsPerGroup(t, want)
		if n, w := float64(len(gotRows)), float64(len(wantRows)); n < 0.75*w || n > w+1 {
			t.Errorf("limit %d: %d row groups, parquet-go's estimate cut %d", limit, len(gotRows), len(wantRows))
		}
		total := int64(0)
		for _, n := range gotRows {
			total += n
		}
		if total != int64(len(traces)) {
			t.Errorf("limit %d: %d rows in the row groups, want %d", limit, total, len(traces))
		}
	}
}
