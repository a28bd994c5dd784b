package blocks

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/tracectl/tracectl/internal/blobtest"
	"github.com/tracectl/tracectl/internal/gen"
)

// TestPlanMergeCopiesReadsFootersAtOnce: the footers of the inputs are
// requested at once, not one after another (on an object store each is a
// round trip). Each footer read waits until a second one is in flight;
// read one at a time, the first would wait in vain.
func TestPlanMergeCopiesReadsFootersAtOnce(t *testing.T) {
	ctx := context.Background()
	var (
		mu      sync.Mutex
		armed   bool
		waiting int
		both    = make(chan struct{})
	)
	hooks := blobtest.Hooks{Before: func(op blobtest.Op) error {
		mu.Lock()
		if !armed || op.Kind != blobtest.Read || !strings.HasSuffix(op.Key, "/"+dataObject) {
			mu.Unlock()
			return nil
		}
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
	}}
	inner := memblob.OpenBucket(nil)
	defer inner.Close()
	s := NewStore(blobtest.Wrap(inner, hooks), "tenant-a")
	traces := gen.New(gen.Options{Seed: 11}).Distinct(300)
	var metas []Meta
	for i := range 3 {
		m, err := s.WriteBlock(ctx, traces[i*100:(i+1)*100], WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		metas = append(metas, m)
	}
	w, err := NewBlockWriter(ctx, s, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	mu.Lock()
	armed = true
	mu.Unlock()
	mc, err := s.PlanMergeCopies(ctx, metas, w, 1)
	mu.Lock()
	armed = false
	mu.Unlock()
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
	ctx := context.Background()
	var mu sync.Mutex
	var armed bool
	keys := map[string]int{}
	failed := make(chan struct{})
	hooks := blobtest.Hooks{Before: func(op blobtest.Op) error {
		mu.Lock()
		i, ok := keys[op.Key]
		a := armed
		mu.Unlock()
		if !a || op.Kind != blobtest.Read || !ok || !strings.HasSuffix(op.Key, dataObject) {
			return nil
		}
		switch i {
		case 0:
			select {
			case <-failed:
			case <-time.After(2 * time.Second):
			}
			return io.ErrUnexpectedEOF
		case 1:
			defer close(failed)
			return errors.New("connection reset")
		}
		return nil
	}}
	inner := memblob.OpenBucket(nil)
	defer inner.Close()
	s := NewStore(blobtest.Wrap(inner, hooks), "tenant-a")
	traces := gen.New(gen.Options{Seed: 11}).Distinct(300)
	var metas []Meta
	for i := range 3 {
		m, err := s.WriteBlock(ctx, traces[i*100:(i+1)*100], WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		keys[s.block(m).key(dataObject)] = i
		metas = append(metas, m)
	}
	w, err := NewBlockWriter(ctx, s, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	mu.Lock()
	armed = true
	mu.Unlock()
	_, err = s.PlanMergeCopies(ctx, metas, w, 1)
	if !errors.As(err, new(*DamagedError)) {
		t.Fatalf("PlanMergeCopies: %v; want input 0's damage (as one after another)", err)
	}
}
