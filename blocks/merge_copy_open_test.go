package blocks

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/tracectl/tracectl/internal/blobtest"
	"github.com/tracectl/tracectl/internal/gen"
)

// planWithFooterHook writes three blocks of 100 traces to a mem:// bucket
// and plans their merge (every row group large enough to copy); each read
// of an input's data.parquet while planning goes through onRead first,
// with the input's index, and fails with its error.
func planWithFooterHook(t *testing.T, onRead func(input int) error) (*MergeCopier, error) {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	armed := false
	inputs := map[string]int{}
	hooks := blobtest.Hooks{Before: func(op blobtest.Op) error {
		mu.Lock()
		i, ok := inputs[op.Key]
		ok = ok && armed && op.Kind == blobtest.Read
		mu.Unlock()
		if !ok {
			return nil
		}
		return onRead(i)
	}}
	inner := memblob.OpenBucket(nil)
	t.Cleanup(func() { inner.Close() })
	s := NewStore(blobtest.Wrap(inner, hooks), "tenant-a")
	traces := gen.New(gen.Options{Seed: 11}).Distinct(300)
	var metas []Meta
	for i := range 3 {
		m, err := s.WriteBlock(ctx, traces[i*100:(i+1)*100], WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		inputs[s.block(m).key(dataObject)] = i
		metas = append(metas, m)
	}
	w, err := NewBlockWriter(ctx, s, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Abort)
	mu.Lock()
	armed = true
	mu.Unlock()
	defer func() {
		mu.Lock()
		armed = false
		mu.Unlock()
	}()
	return s.PlanMergeCopies(ctx, metas, w, 1)
}

// TestPlanMergeCopiesReadsFootersAtOnce: the footers of the inputs are
// requested at once, not one after another (on an object store each is a
// round trip). Each footer read waits until a second one is in flight;
// read one at a time, the first would wait in vain.
func TestPlanMergeCopiesReadsFootersAtOnce(t *testing.T) {
	var mu sync.Mutex
	waiting := 0
	both := make(chan struct{})
	mc, err := planWithFooterHook(t, func(int) error {
		mu.Lock()
		if waiting++; waiting == 2 {
			close(both)
		}
		mu.Unlock()
		select {
		case <-both:
			return nil
		case <-time.After(10 * time.Second):
			return errors.New("no second footer read while the first one was in flight")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	if mc == nil || len(mc.groups) != 3 {
		t.Fatalf("planned %v, want each input's row group copied", mc)
	}
}

// TestPlanMergeCopiesErrorInInputOrder: the footers are read at once, but
// the error is the first input's in their order, as when read one after
// another. Input 0's footer is damaged (a short read) and input 1's read
// fails first (a bucket failure): the answer is input 0's damage, which
// compact leaves out and plans again without, not the failed read, which
// would stop it.
func TestPlanMergeCopiesErrorInInputOrder(t *testing.T) {
	failed := make(chan struct{})
	var once sync.Once
	_, err := planWithFooterHook(t, func(i int) error {
		switch i {
		case 0:
			select {
			case <-failed:
			case <-time.After(2 * time.Second):
			}
			return io.ErrUnexpectedEOF
		case 1:
			defer once.Do(func() { close(failed) })
			return errors.New("connection reset")
		}
		return nil
	})
	if !errors.As(err, new(*DamagedError)) {
		t.Fatalf("PlanMergeCopies: %v; want input 0's damage (as one after another)", err)
	}
}
