package sampler

import (
	"math"
	"time"

	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/model"
)

// The simulated clock. rate_limiting, bytes_limiting, composite and the
// num_traces table depend on when the Collector receives and decides each
// trace, which a replay cannot observe. tracectl takes a trace to arrive
// when its first span ends (spans are exported when they end), all its
// spans with it, and decides it decision_wait later; the limiters read
// that decision time as "now". sim.go runs the timeline.

// rateSpec is a rate_limiting policy: a token bucket of spans refilled at
// sps per second holding at most burst (default 2 × sps), full at the
// start; a trace passes when the bucket holds its span count. At sps 0 or
// below it never refills: burst tokens pass once, and a burst of 0 or
// below (the default then) passes nothing.
type rateSpec struct{ sps, burst int64 }

// compositeSpec is a composite policy: the first sub-policy that samples
// decides; the trace is kept if that sub-policy's spans in the current
// second plus the trace's stay within its allocation and the total.
type compositeSpec struct {
	maxTotal int64
	alloc    []int64 // per sub-policy
}

// tokenBucket mirrors golang.org/x/time/rate.Limiter.AllowN, which the
// Collector uses, including its float arithmetic.
type tokenBucket struct {
	limit  float64
	burst  int64
	tokens float64
	last   time.Time
}

func newTokenBucket(r rateSpec) *tokenBucket {
	return &tokenBucket{limit: float64(r.sps), burst: r.burst, tokens: float64(r.burst)}
}

func (b *tokenBucket) allowN(now time.Time, n int64) bool {
	last := b.last
	if now.Before(last) {
		last = now
	}
	tokens := b.tokens
	if b.limit > 0 {
		tokens += now.Sub(last).Seconds() * b.limit
	}
	if burst := float64(b.burst); tokens > burst {
		tokens = burst
	}
	tokens -= float64(n)
	// A rate of 0 or less never refills and makes any shortfall an
	// infinite wait; so does a wait past the int64 range (x/time/rate caps
	// it rather than converting it).
	var wait time.Duration
	if tokens < 0 {
		if d := -tokens / b.limit * 1e9; b.limit <= 0 || d > math.MaxInt64 {
			wait = math.MaxInt64
		} else {
			wait = time.Duration(d)
		}
	}
	if n > b.burst || wait > 0 {
		return false
	}
	b.last, b.tokens = now, tokens
	return true
}

type compositeState struct {
	second  int64
	started bool
	used    []int64
}

// state is the mutable state of a config's stateful policies, at any
// depth, created on first use.
type state struct {
	buckets map[*Policy]*tokenBucket
	comps   map[*Policy]*compositeState
}

func newState() *state {
	return &state{buckets: map[*Policy]*tokenBucket{}, comps: map[*Policy]*compositeState{}}
}

func (s *state) bucket(p *Policy, r rateSpec) *tokenBucket {
	b := s.buckets[p]
	if b == nil {
		b = newTokenBucket(r)
		s.buckets[p] = b
	}
	return b
}

func (s *state) composite(p *Policy) *compositeState {
	cs := s.comps[p]
	if cs == nil {
		cs = &compositeState{used: make([]int64, len(p.Subs))}
		s.comps[p] = cs
	}
	return cs
}

// anyPolicy reports whether f holds for a policy of c at any depth.
func (c *Config) anyPolicy(f func(*Policy) bool) bool {
	var walk func(ps []*Policy) bool
	walk = func(ps []*Policy) bool {
		for _, p := range ps {
			if f(p) || walk(p.Subs) {
				return true
			}
		}
		return false
	}
	return walk(c.Policies)
}

// Stateful reports whether the config has policies, at any depth, that
// depend on the simulated clock.
func (c *Config) Stateful() bool {
	return c.anyPolicy(func(p *Policy) bool { return p.rate != nil || p.bytes != nil || p.comp != nil })
}

// limitsBytes reports whether the config has a bytes_limiting policy (so
// traces need their OTLP size).
func (c *Config) limitsBytes() bool {
	return c.anyPolicy(func(p *Policy) bool { return p.bytes != nil })
}

// Arrival is when the simulated Collector receives t: its earliest span
// end (or start, if later).
func Arrival(t *model.Trace) time.Time {
	var first uint64
	seen := false
	t.Spans(func(r model.SpanRef) bool {
		if e := max(r.Span.EndTimeUnixNano, r.Span.StartTimeUnixNano); !seen || e < first {
			first, seen = e, true
		}
		return true
	})
	return time.Unix(0, int64(first)).UTC()
}

// DecisionTime is when the simulated Collector decides t: its arrival
// plus decision_wait.
func (c *Config) DecisionTime(t *model.Trace) time.Time {
	return Arrival(t).Add(c.DecisionWait)
}

// protoSizeIf is the trace's size as OTLP protobuf, which bytes_limiting
// charges, when needed, else 0. The Collector measures the batches a trace
// arrived in; a stored trace has adjacent identical resources and scopes
// merged, so the size can differ from the original batches' by their
// repeated resources.
func protoSizeIf(need bool, t *model.Trace) int64 {
	if !need {
		return 0
	}
	return otlp.ProtoSize(t)
}
