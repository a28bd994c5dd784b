package blocks

import (
	"context"
	"errors"
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
