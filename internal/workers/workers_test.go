package workers

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestEachCallsEveryIndexOnce(t *testing.T) {
	for _, tc := range []struct{ n, limit int }{
		{0, 4}, {1, 4}, {5, 1}, {5, 0}, {5, -3}, {100, 3}, {3, 100}, {1000, 32},
	} {
		calls := make([]atomic.Int32, tc.n)
		var running, most atomic.Int32
		err := Each(context.Background(), tc.n, tc.limit, func(ctx context.Context, i int) error {
			r := running.Add(1)
			for m := most.Load(); r > m && !most.CompareAndSwap(m, r); m = most.Load() {
			}
			time.Sleep(10 * time.Microsecond)
			calls[i].Add(1)
			running.Add(-1)
			return nil
		})
		if err != nil {
			t.Fatalf("n=%d limit=%d: %v", tc.n, tc.limit, err)
		}
		for i := range calls {
			if c := calls[i].Load(); c != 1 {
				t.Errorf("n=%d limit=%d: index %d called %d times", tc.n, tc.limit, i, c)
			}
		}
		if want := int32(max(1, tc.limit)); most.Load() > want {
			t.Errorf("n=%d limit=%d: %d calls at once", tc.n, tc.limit, most.Load())
		}
	}
}

func TestEachTakesIndexesInOrder(t *testing.T) {
	var order []int
	if err := Each(context.Background(), 50, 1, func(_ context.Context, i int) error {
		order = append(order, i) // one goroutine: no lock needed
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(order) != 50 {
		t.Fatalf("%d calls, want 50", len(order))
	}
	for i, got := range order {
		if got != i {
			t.Fatalf("call %d had index %d", i, got)
		}
	}
}

func TestEachRunsLimitCallsAtOnce(t *testing.T) {
	const limit = 4
	var running atomic.Int32
	all := make(chan struct{})
	var once sync.Once
	err := Each(context.Background(), 20, limit, func(context.Context, int) error {
		if running.Add(1) == limit {
			once.Do(func() { close(all) })
		}
		defer running.Add(-1)
		select {
		case <-all:
			return nil
		case <-time.After(5 * time.Second):
			return errors.New("the other calls never ran beside this one")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEachContextEndsWithIt(t *testing.T) {
	for _, limit := range []int{1, 4} {
		var kept []context.Context
		var mu sync.Mutex
		Each(context.Background(), 8, limit, func(ctx context.Context, _ int) error {
			mu.Lock()
			kept = append(kept, ctx)
			mu.Unlock()
			return nil
		})
		for _, ctx := range kept {
			if ctx.Err() == nil {
				t.Fatalf("limit %d: a call's context is still live after Each returned", limit)
			}
		}
	}
}

func TestEachStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	for _, limit := range []int{1, 4} {
		var started, after, cancelled atomic.Int32
		err := Each(context.Background(), 1000, limit, func(ctx context.Context, i int) error {
			switch {
			case i == 10:
				// Fail once the other goroutines are under way with
				// the next indexes.
				for deadline := time.Now().Add(time.Second); started.Load() < int32(limit-1) && time.Now().Before(deadline); {
					time.Sleep(time.Millisecond)
				}
				return boom
			case i > 10 && i < 10+limit:
				started.Add(1)
				select {
				case <-ctx.Done():
					cancelled.Add(1)
				case <-time.After(time.Second):
				}
			case i >= 10+limit:
				after.Add(1)
			}
			return nil
		})
		if !errors.Is(err, boom) {
			t.Fatalf("limit %d: error %v, want boom", limit, err)
		}
		if n := after.Load(); n > 0 {
			t.Errorf("limit %d: %d indexes taken after the error", limit, n)
		}
		if n := cancelled.Load(); n != int32(limit-1) {
			t.Errorf("limit %d: %d of the %d calls under way saw the cancellation", limit, n, limit-1)
		}
	}
}

func TestEachReturnsTheCancellation(t *testing.T) {
	for _, limit := range []int{1, 4} {
		ctx, cancel := context.WithCancel(context.Background())
		var calls atomic.Int32
		err := Each(ctx, 100, limit, func(ctx context.Context, i int) error {
			if calls.Add(1) == 5 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("limit %d: error %v after a cancellation, want context.Canceled", limit, err)
		}
		if n := calls.Load(); n >= 100 {
			t.Errorf("limit %d: all %d indexes ran after the cancellation", limit, n)
		}
	}
}
