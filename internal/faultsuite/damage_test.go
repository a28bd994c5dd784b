package faultsuite

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tracectl/tracectl/blocks"
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
	fn   func(data []byte) []byte
}

func flipAt(frac float64) func([]byte) []byte {
	return func(d []byte) []byte {
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
	{"missing", nil},
	{"empty", func([]byte) []byte { return nil }},
	{"garbage", func([]byte) []byte { return []byte("this is not what the object should hold") }},
	{"truncated", func(d []byte) []byte { return d[:len(d)/2] }},
	{"zeroed", func(d []byte) []byte { return make([]byte, len(d)) }},
	{"head flipped", flipAt(0)},
	{"middle flipped", flipAt(0.5)},
	{"tail flipped", func(d []byte) []byte { return flipAt(float64(max(0, len(d)-16)) / float64(max(1, len(d))))(d) }},
	{"huge length", func(d []byte) []byte {
		// A length field at the start read as 2^31.
		return append([]byte{0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f}, d...)
	}},
}

// objects are every object of a block, and the meta of a retired block.
var objects = []string{"meta.json", "data.parquet", "bloom-0", "index", "rewrite.json", "meta.compacted.json"}

// TestDamagedObjects damages each object of one of three blocks in each
// way, and checks that nothing panics and that: verify reports that block
// (listing the others sound); a full read returns every span of the other
// blocks exactly once, and the damaged block's spans either whole (the
// object is not needed to scan it) or not at all with the block named as
// damaged; trace lookups find the other blocks' traces and give an error
// naming the block or not-found for its own (found, when the damaged
// object is a bloom shard, the index or the mark); compact, redact and retain
// leave every span of the sound blocks readable exactly once.
func TestDamagedObjects(t *testing.T) {
	for _, obj := range objects {
		for _, d := range damages {
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
	if d.fn == nil {
		if err := st.Bucket().Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
	} else {
		data, err := st.Bucket().ReadAll(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Bucket().WriteAll(ctx, key, d.fn(data), nil); err != nil {
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

	// A full read.
	rst := blocks.NewStore(st.Bucket(), tenant)
	got, err := readSpans(ctx, rst)
	leftOut := len(rst.Damaged()) > 0
	switch {
	case err != nil && !leftOut:
		t.Logf("outcome: the read stops: %v", err)
		if !strings.Contains(err.Error(), id) {
			t.Errorf("read: %v: does not name the block", err)
		}
	case leftOut:
		t.Logf("outcome: left out: %v", rst.Damaged())
		for _, e := range rst.Damaged() {
			if !strings.Contains(e.Error(), id) {
				t.Errorf("left out %v, not block %s", e, id)
			}
		}
		if err := (expect{must: good}).check(got); err != nil {
			t.Errorf("read, the damaged block left out:\n%v", err)
		}
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

	// Maintenance: redact, compact, retain; the sound blocks' spans stay.
	mustStay := func(what string) {
		t.Helper()
		rst := blocks.NewStore(st.Bucket(), tenant)
		got, err := readSpans(ctx, rst)
		if err != nil {
			// Damage inside a page stops the read, naming the block.
			if !strings.Contains(err.Error(), id) {
				t.Fatalf("read after %s: %v: does not name the block", what, err)
			}
			return
		}
		for k := range good {
			if got[k] != 1 {
				t.Fatalf("after %s: span %s of a sound block read %d times", what, k, got[k])
			}
		}
	}
	if _, err := st.Rewrite(ctx, redactBlocks12, blocks.RewriteOptions{Mark: "faults"}); err != nil && !strings.Contains(err.Error(), id) {
		t.Errorf("redact: %v: does not name the block", err)
	}
	mustStay("redact")
	if _, err := compact.Run(ctx, st, compact.Options{Concurrency: 1}); err != nil && !strings.Contains(err.Error(), id) {
		t.Errorf("compact: %v: does not name the block", err)
	}
	mustStay("compact")
	if _, err := compact.Retain(ctx, st, compact.RetainOptions{OlderThan: 100 * 365 * 24 * time.Hour}); err != nil && !strings.Contains(err.Error(), id) {
		t.Errorf("retain: %v: does not name the block", err)
	}
	mustStay("retain")
}
