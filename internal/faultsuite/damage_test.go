package faultsuite

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/blocks/column/columntest"
	"github.com/tracectl/tracectl/compact"
	"github.com/tracectl/tracectl/model"
)

// lookupMisses counts the traces of ts a lookup does not find.
func lookupMisses(ctx context.Context, st *blocks.Store, ts []*model.Trace) int {
	n := 0
	for _, tr := range ts {
		if _, err := blocks.NewStore(st.Bucket(), tenant).FindTrace(ctx, tr.TraceID); err != nil {
			n++
		}
	}
	return n
}

// damage changes an object's bytes; nil deletes it.
type damage struct {
	name string
	fn   func(t testing.TB, data []byte) []byte
	// read says the damage is in pages every full read decodes: the
	// read must leave the block out.
	read bool
}

func flipAt(frac float64) func(testing.TB, []byte) []byte {
	return func(_ testing.TB, d []byte) []byte {
		d = bytes.Clone(d)
		i := int(float64(len(d)) * frac)
		for j := i; j < i+16 && j < len(d); j++ {
			d[j] ^= 0x5a
		}
		return d
	}
}

// damages are what a copy, a disk or a tool can do to any object.
var damages = []damage{
	{name: "missing", fn: nil},
	{name: "empty", fn: func(testing.TB, []byte) []byte { return nil }},
	{name: "garbage", fn: func(testing.TB, []byte) []byte { return []byte("this is not what the object should hold") }},
	{name: "truncated", fn: func(_ testing.TB, d []byte) []byte { return d[:len(d)/2] }},
	{name: "zeroed", fn: func(_ testing.TB, d []byte) []byte { return make([]byte, len(d)) }},
	{name: "head flipped", fn: flipAt(0)},
	{name: "middle flipped", fn: flipAt(0.5)},
	{name: "tail flipped", fn: func(t testing.TB, d []byte) []byte {
		return flipAt(float64(max(0, len(d)-16))/float64(max(1, len(d))))(t, d)
	}},
	{name: "huge length", fn: func(_ testing.TB, d []byte) []byte {
		// A length field at the start read as 2^31.
		return append([]byte{0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f}, d...)
	}},
}

// pageDamages hit data.parquet where the footer check cannot see them:
// at a quarter and three quarters of the file, and in the first page of
// columns every full read decodes, in its header and in its data
// (compressed or not), in the first row group and in the last.
var pageDamages = []damage{
	{name: "quarter flipped", fn: flipAt(0.25)},
	{name: "three quarters flipped", fn: flipAt(0.75)},
	flipFirstPage("TraceID", "TraceID", 0, true),
	flipFirstPage("TraceID", "TraceID", 0, false),
	flipFirstPage("ServiceName", "rs.list.element.Resource.ServiceName", 0, true),
	flipFirstPage("ServiceName", "rs.list.element.Resource.ServiceName", 0, false),
	flipFirstPage("span Name", spanColumn+"Name", 0, true),
	flipFirstPage("span Name", spanColumn+"Name", 0, false),
	flipFirstPage("span StartTimeUnixNano", spanColumn+"StartTimeUnixNano", 0, false),
	flipFirstPage("span attribute ValueInt", spanColumn+"Attrs.list.element.ValueInt.list.element", 0, true),
	flipFirstPage("span attribute ValueInt", spanColumn+"Attrs.list.element.ValueInt.list.element", 0, false),
	// Met after the traces of the row groups before were returned.
	flipFirstPage("span Name in the last row group", spanColumn+"Name", -1, false),
	flipFirstPage("TraceID in the last row group", "TraceID", -1, true),
}

// spanColumn is the path prefix of the span columns.
const spanColumn = "rs.list.element.ss.list.element.Spans.list.element."

// flipFirstPage flips up to 16 bytes of the first page of column path in
// row group group (-1: the last): at the start of its header, or in the
// middle of its data.
func flipFirstPage(name, path string, group int, header bool) damage {
	where := "data"
	if header {
		where = "header"
	}
	return damage{name: "first page " + where + " of " + name, read: true, fn: func(_ testing.TB, d []byte) []byte {
		p, err := columntest.FirstPage(d, group, path)
		if err != nil {
			return nil // not the file the test wrote: damaged all the same
		}
		r := p.Payload
		at := (r[0] + r[1]) / 2
		if header {
			r, at = p.Header, p.Header[0]
		}
		d = bytes.Clone(d)
		for i := at; i < at+16 && i < r[1]; i++ {
			d[i] ^= 0x5a
		}
		return d
	}}
}

// objects are every object of a block, and the meta of a retired block.
var objects = []string{"meta.json", "data.parquet", "bloom-0", "index", "rewrite.json", "meta.compacted.json"}

// TestDamagedObjects damages each object of one of three blocks in each
// way (data.parquet also inside its pages), and checks that nothing panics
// and that: verify reports that block (listing the others sound); a full
// read never stops, returns every span of the other blocks exactly once,
// and the damaged block's spans either whole (the object is not needed to
// scan it) or, the block named as damaged, not at all (at most once each
// when it is named as partly read: damage inside a page is met after
// the traces before it were returned); trace lookups find the other
// blocks' traces and give an error naming the block or not-found for its
// own (found, when the damaged object is a bloom shard, the index or the
// mark); compact, redact and retain leave every span of the sound blocks
// readable exactly once, and a block whose data.parquet they leave out
// live and untouched.
func TestDamagedObjects(t *testing.T) {
	for _, obj := range objects {
		ds := damages
		if obj == "data.parquet" {
			ds = append(slices.Clone(damages), pageDamages...)
		}
		for _, d := range ds {
			t.Run(obj+"/"+d.name, func(t *testing.T) {
				t.Parallel()
				damaged(t, obj, d)
			})
		}
	}
}

func damaged(t *testing.T, obj string, d damage) {
	ctx := context.Background()
	st := newStore(t)
	var metas []blocks.Meta
	var sets []spanSet
	var traces [][]*model.Trace
	for b := range 3 {
		ts := blockTraces(b, base.Add(time.Duration(b)*5*time.Minute), false)
		// The middle block is redacted (it has a rewrite.json) and has
		// several row groups.
		opts := blocks.WriteOptions{RowGroupBytes: 4 << 10}
		if b == 1 {
			opts.Mark = "earlier-rules"
		}
		m, err := st.WriteBlock(ctx, ts, opts)
		if err != nil {
			t.Fatal(err)
		}
		metas, sets, traces = append(metas, m), append(sets, spansOf(ts)), append(traces, ts)
	}
	bad := metas[1]
	if obj == "meta.compacted.json" {
		// A retired block (long ago: compact and retain delete it).
		retireLongAgo(t, st, 3)
		retired, err := st.CompactedBlocks(ctx)
		if err != nil || len(retired) != 1 {
			t.Fatalf("retired: %v %v", retired, err)
		}
		bad = retired[0]
	}
	key := tenant + "/" + bad.BlockID.String() + "/" + obj
	var before []byte // the object as written
	if d.fn == nil {
		if err := st.Bucket().Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
	} else {
		data, err := st.Bucket().ReadAll(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		before = data
		if err := st.Bucket().WriteAll(ctx, key, d.fn(t, data), nil); err != nil {
			t.Fatal(err)
		}
	}
	id := bad.BlockID.String()
	retired := obj == "meta.compacted.json"
	// A block without meta.json is no block (an orphan folder): readers
	// do not see it.
	gone := obj == "meta.json" && d.fn == nil
	good := union(sets[0], sets[2])
	if retired {
		good = union(good, sets[1])
	}

	// verify names the block, or its folder as an orphan.
	rep, err := st.Verify(ctx)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	named := false
	for _, b := range rep.Blocks {
		if b.BlockID == bad.BlockID && len(b.Problems) > 0 {
			named = true
		} else if len(b.Problems) > 0 {
			t.Errorf("verify: sound block %s: %v", b.BlockID, b.Problems)
		}
	}
	for _, o := range rep.Orphans {
		named = named || strings.Contains(o, id)
	}
	// Objects a reader does not need may be damaged unseen: a retired
	// block's meta, a mark that still decodes, and a bloom shard that
	// still holds every trace ID of the block.
	if !named && !retired && obj != "rewrite.json" && (obj != "bloom-0" || lookupMisses(ctx, st, traces[1]) > 0) {
		t.Errorf("verify does not name block %s: %+v", id, rep)
	}

	// A full read: it never stops on a damaged object.
	rst := blocks.NewStore(st.Bucket(), tenant)
	got, err := readSpansLeavingOut(ctx, rst)
	if err != nil {
		t.Fatalf("the read stops: %v", err)
	}
	leftOut := len(rst.Damaged()) > 0
	switch {
	case leftOut:
		partial := false
		for _, e := range rst.Damaged() {
			if !strings.Contains(e.Error(), id) {
				t.Errorf("left out %v, not block %s", e, id)
			}
			var de *blocks.DamagedError
			partial = partial || errors.As(e, &de) && de.Partial
		}
		t.Logf("outcome: left out (partly read: %v): %v", partial, rst.Damaged())
		want := expect{must: good}
		if partial {
			want.may = sets[1]
		}
		if err := want.check(got); err != nil {
			t.Errorf("read, the damaged block left out:\n%v", err)
		}
	case d.read:
		t.Errorf("damage in pages a read decodes, but the block was read whole")
	default:
		t.Logf("outcome: read whole (gone: %v)", gone)
		want := good
		if !retired && !gone {
			want = union(good, sets[1])
		}
		if err := (expect{must: want}).check(got); err != nil {
			t.Errorf("read, no block left out:\n%v", err)
		}
	}

	// Trace lookups.
	lst := blocks.NewStore(st.Bucket(), tenant)
	for _, b := range []int{0, 2} {
		tid := traces[b][2].TraceID
		if tr, err := lst.FindTrace(ctx, tid); err != nil {
			t.Errorf("trace get %s of a sound block: %v", tid, err)
		} else if tr.SpanCount() != traces[b][2].SpanCount() {
			t.Errorf("trace get %s of a sound block: %d spans, want %d", tid, tr.SpanCount(), traces[b][2].SpanCount())
		}
	}
	// The damaged block's own trace: found when the object is not what
	// holds the data (a damaged bloom shard or index is searched
	// around), else not found or an error naming the block.
	tid := traces[1][3].TraceID
	_, err = lst.FindTrace(ctx, tid)
	switch {
	case err == nil:
	case obj != "meta.json" && obj != "data.parquet":
		t.Errorf("trace get %s of a block with a damaged %s: %v", tid, obj, err)
	case !errors.Is(err, blocks.ErrTraceNotFound) && !strings.Contains(err.Error(), id):
		t.Errorf("trace get %s of the damaged block: %v: does not name it", tid, err)
	}

	// Maintenance: redact, compact, retain; the sound blocks' spans stay,
	// and a block the read left out for its data.parquet stays live and
	// is neither rewritten nor merged.
	keep := obj == "data.parquet" && leftOut
	mustStay := func(what string, err error) {
		t.Helper()
		if err != nil && (obj == "data.parquet" || !strings.Contains(err.Error(), id)) {
			t.Errorf("%s: %v", what, err)
		}
		rst := blocks.NewStore(st.Bucket(), tenant)
		got, err := readSpansLeavingOut(ctx, rst)
		if err != nil {
			t.Fatalf("the read after %s stops: %v", what, err)
		}
		if err := (expect{must: good, may: sets[1]}).check(got); err != nil {
			t.Fatalf("after %s:\n%v", what, err)
		}
		if !keep {
			return
		}
		live, err := st.Blocks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(live, func(m blocks.Meta) bool { return m.BlockID == bad.BlockID }) {
			t.Fatalf("after %s: the damaged block is no longer live", what)
		}
		if now, err := st.Bucket().ReadAll(ctx, key); d.fn != nil && (err != nil || !bytes.Equal(now, d.fn(t, before))) {
			t.Fatalf("after %s: the damaged object changed (%v)", what, err)
		}
	}
	res, err := st.Rewrite(ctx, redactBlocks12, blocks.RewriteOptions{Mark: "faults"})
	if err == nil && keep && res.Damaged != 1 {
		t.Errorf("redact: %d blocks left as damaged, want 1", res.Damaged)
	}
	mustStay("redact", err)
	_, err = compact.Run(ctx, st, compact.Options{Concurrency: 1})
	mustStay("compact", err)
	_, err = compact.Retain(ctx, st, compact.RetainOptions{OlderThan: 100 * 365 * 24 * time.Hour})
	mustStay("retain", err)
}
