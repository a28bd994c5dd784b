package blocks

import (
	"context"
	"testing"

	"github.com/tracectl/tracectl/store"
)

// TestStreamedMerge: TracesOf, which reads large row groups a window of
// each column chunk at a time, returns exactly what the prefetching merge
// returns, at several window sizes (down to windows smaller than a page)
// and concurrencies, on our blocks and Tempo's legacy-layout block, and
// holds no window larger than streamWindow.
func TestStreamedMerge(t *testing.T) {
	ctx := context.Background()
	oldWindow, oldAbove := streamWindow, streamAbove
	defer func() { streamWindow, streamAbove = oldWindow, oldAbove }()
	streamAbove = 0 // stream every row group
	for name, s := range map[string]*Store{"ours": splitTraceStore(t), "tempo": tempoStore(t)} {
		metas, err := s.Blocks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := scanAll(t, s, 1, store.Request{})
		for _, window := range []int64{100, 4 << 10, 1 << 20} {
			for _, n := range []int{1, 3} {
				streamWindow = window
				s.SetConcurrency(n)
				got := readAllTraces(t, s.TracesOf(ctx, metas))
				if diff := diffTraces(want, got); diff != "" {
					t.Fatalf("%s, window %d, concurrency %d: streamed merge differs (-prefetched +streamed):\n%s", name, window, n, diff)
				}
			}
		}
		s.SetConcurrency(0)
	}

	// The column assembler's reader keeps at most one window per column
	// chunk, each at most streamWindow bytes (reads longer than a window
	// excepted).
	streamWindow = 4 << 10
	setWholeObjectBytes(t, 0) // windows, however small the object
	s := splitTraceStore(t)
	metas, _ := s.Blocks(ctx)
	b := s.block(metas[0])
	f, err := b.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.loadChunks(0, assemblerColumns(f.leaves, b.codec, projection{})); err != nil {
		t.Fatal(err)
	}
	defer f.r.release()
	a := newGroupAssembler(f, 0, b.codec, projection{})
	defer a.close()
	maxWin, n := 0, 0
	for a.remaining() > 0 {
		ts, err := a.read(1, nil)
		if err != nil {
			t.Fatal(err)
		}
		n += len(ts)
		for _, w := range f.r.cwins {
			maxWin = max(maxWin, len(w.buf))
		}
		if len(f.r.wins) != 0 {
			t.Fatal("streaming read prefetched a whole range")
		}
	}
	if n == 0 || maxWin == 0 || int64(maxWin) > 64<<10 {
		t.Fatalf("%d rows read, largest window %d bytes (window size %d)", n, maxWin, streamWindow)
	}
}

// TestLocalStreamAbove: a block of a file:// bucket streams row groups
// above localStreamAbove, one of another bucket above streamAbove.
func TestLocalStreamAbove(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		url  string
		want int64
	}{{"mem://", streamAbove}, {"file://" + t.TempDir(), localStreamAbove}} {
		b, err := OpenBucket(ctx, tc.url)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		f, _ := openSmallBlock(t, NewStore(b, "tenant-a"))
		if got := f.r.streamThreshold(); got != tc.want || localStreamAbove >= streamAbove {
			t.Errorf("%s: streams above %d bytes, want %d", tc.url, got, tc.want)
		}
	}
}
