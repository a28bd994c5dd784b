package faultsuite

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/internal/blobtest"
)

// TestReadAtEveryStep runs a reader against each job at every
// interleaving of one of the job's mutations with the reader's requests:
// the job stops before its mutation k; the reader starts, and before its
// request r the mutation k lands; the job then waits for the reader to end
// before going on. So the reader's requests before r see the tenant as
// after k−1 mutations, the others as after k: a listing taken before a
// block was published or retired and meta or data read after it. In a
// second round the job runs to its end before request r (a reader slow
// enough to span the rest of the job). Every
// read must see each span exactly once (an ingest's new spans and
// retain's expired ones at most once) and leave no block out as damaged.
// The short form takes every sixth k and, of the reader's requests, the
// first, the last and two between.
func TestReadAtEveryStep(t *testing.T) {
	for _, j := range jobs {
		t.Run(j.name, func(t *testing.T) {
			t.Parallel()
			steps := mutations(t, j)
			for k := 1; k <= len(steps); k++ {
				if !sample(k-1, len(steps), 6) {
					continue
				}
				t.Run(stepName(k-1, steps[k-1]), func(t *testing.T) {
					reads := 0
					defer func() { t.Logf("%d reads checked", reads) }()
					for _, rest := range []bool{false, true} {
						// The read all before mutation k tells how many
						// requests it makes.
						n, err := interleave(t, j, k, 0, rest)
						reads++
						if err != nil {
							t.Fatalf("a read before mutation %d: %v", k, err)
						}
						for r := 1; r <= n; r++ {
							if !full() && r != n && r%max(1, n/3) != 1 {
								continue
							}
							reads++
							if _, err := interleave(t, j, k, r, rest); err != nil {
								t.Fatalf("request %d of %d of the read sees mutation %d (and the later ones: %v): %v", r, n, k, rest, err)
							}
						}
					}
				})
			}
		})
	}
}

// interleave runs the reader with mutation k of job j (rest: and all the
// later ones) landing before its request r (see TestReadAtEveryStep; 0:
// after the read), checks what it read and returns how many requests it
// made.
func interleave(t *testing.T, j job, k, r int, rest bool) (int, error) {
	ctx := context.Background()
	st := newStore(t)
	during, done := j.setup(t, st)

	atK, goK, doneK, readerDone := make(chan struct{}), make(chan struct{}), make(chan struct{}), make(chan struct{})
	var n int
	var kOp blobtest.Op
	var mu sync.Mutex
	// Mutations the job makes at once (compact and retain change blocks
	// concurrently) land one at a time, so that mutation k is the k-th to
	// land whatever their order.
	var one sync.Mutex
	writer := blobtest.Hooks{
		Before: func(op blobtest.Op) error {
			if !op.Kind.Mutation() {
				return nil
			}
			one.Lock()
			mu.Lock()
			n++
			i := n
			if i == k {
				kOp = op
			}
			mu.Unlock()
			switch i {
			case k:
				close(atK)
				<-goK
			case k + 1:
				if !rest {
					<-readerDone
				}
			}
			return nil
		},
		After: func(op blobtest.Op, err error) error {
			if !op.Kind.Mutation() {
				return err
			}
			mu.Lock()
			last := n == k && op == kOp
			mu.Unlock()
			one.Unlock()
			if last {
				close(doneK)
			}
			return err
		},
	}
	jobErr, jobDone := make(chan error, 1), make(chan struct{})
	go func() {
		jobErr <- j.run(ctx, blocks.NewStore(blobtest.Wrap(st.Bucket(), writer), tenant))
		close(jobDone)
	}()
	select {
	case <-atK:
	case err := <-jobErr:
		return 0, fmt.Errorf("the job ended (%v) before its mutation %d", err, k)
	}

	var requests atomic.Int64
	var release sync.Once
	land := func() {
		release.Do(func() {
			close(goK)
			if rest {
				<-jobDone
			} else {
				<-doneK
			}
		})
	}
	reader := blobtest.Hooks{Before: func(op blobtest.Op) error {
		if requests.Add(1) == int64(r) {
			land()
		}
		return nil
	}}
	rst := blocks.NewStore(blobtest.Wrap(st.Bucket(), reader), tenant)
	rst.SetConcurrency(1)
	got, readErr := readSpans(ctx, rst)
	made := int(requests.Load())
	land()
	close(readerDone)
	if err := <-jobErr; err != nil {
		return made, fmt.Errorf("the job failed: %v", err)
	}
	if readErr != nil {
		return made, fmt.Errorf("the read failed: %v", readErr)
	}
	if err := during.check(got); err != nil {
		return made, fmt.Errorf("the read:\n%v", err)
	}
	after, err := readSpans(ctx, blocks.NewStore(st.Bucket(), tenant))
	if err != nil {
		return made, fmt.Errorf("a read after the job: %v", err)
	}
	if err := done.check(after); err != nil {
		return made, fmt.Errorf("a read after the job:\n%v", err)
	}
	return made, nil
}
