package sampler

import (
	"fmt"
	"math"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/model"
)

// protoSizeIf is ProtoSize(t) when needed, else 0.
func protoSizeIf(need bool, t *model.Trace) int64 {
	if !need {
		return 0
	}
	return ProtoSize(t)
}

// The simulated clock. rate_limiting and composite depend on when the
// Collector decides each trace, which a replay cannot observe. tracectl
// takes the first span of a trace to arrive at its end time (spans are
// exported when they end), decides the trace decision_wait later, and
// decides traces in that order (ties by trace ID); the limiters read that
// decision time as "now".

// rateSpec is a rate_limiting policy: a token bucket of spans refilled at
// sps per second holding at most burst (default 2 × sps), full at the
// start; a trace passes when the bucket holds its span count.
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
	var wait time.Duration
	if tokens < 0 {
		if b.limit <= 0 {
			wait = math.MaxInt64
		} else {
			wait = time.Duration(1e9 * (-tokens / b.limit))
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

// state is the mutable state of a config's stateful policies.
type state struct {
	buckets map[int]*tokenBucket
	comps   map[int]*compositeState
}

func (c *Config) newState() *state {
	s := &state{buckets: map[int]*tokenBucket{}, comps: map[int]*compositeState{}}
	for i, p := range c.Policies {
		switch {
		case p.rate != nil:
			s.buckets[i] = newTokenBucket(*p.rate)
		case p.bytes != nil:
			s.buckets[i] = newTokenBucket(*p.bytes)
		case p.comp != nil:
			s.comps[i] = &compositeState{used: make([]int64, len(p.Subs))}
		}
	}
	return s
}

// Stateful reports whether the config has policies that depend on the
// simulated clock.
func (c *Config) Stateful() bool {
	for _, p := range c.Policies {
		if p.rate != nil || p.bytes != nil || p.comp != nil {
			return true
		}
	}
	return false
}

// DecisionTime is when the simulated Collector decides t: its earliest
// span end plus decision_wait.
func (c *Config) DecisionTime(t *model.Trace) time.Time {
	var first uint64
	seen := false
	t.Spans(func(r model.SpanRef) bool {
		if e := max(r.Span.EndTimeUnixNano, r.Span.StartTimeUnixNano); !seen || e < first {
			first, seen = e, true
		}
		return true
	})
	return time.Unix(0, int64(first)).Add(c.DecisionWait).UTC()
}

// voter gives the votes of stateless policies: evaluated on the spot
// (Decide) or read back from a replay record.
type voter interface {
	top(i int) (Vote, string)
	sub(i, j int) (Vote, string)
}

type liveVoter struct {
	c *Config
	t *model.Trace
}

func (v liveVoter) top(i int) (Vote, string) { return v.c.Policies[i].eval.evaluate(v.t) }
func (v liveVoter) sub(i, j int) (Vote, string) {
	return v.c.Policies[i].Subs[j].eval.evaluate(v.t)
}

// limitsBytes reports whether the config has a bytes_limiting policy (so
// traces need their OTLP size).
func (c *Config) limitsBytes() bool {
	for _, p := range c.Policies {
		if p.bytes != nil {
			return true
		}
	}
	return false
}

// ProtoSize is the size of t marshaled as an OTLP protobuf TracesData,
// which bytes_limiting charges. The Collector measures the batches a trace
// arrived in; a stored trace has its resources and scopes merged, so the
// size can differ from the original batches' by their repeated resources.
func ProtoSize(t *model.Trace) int64 {
	return int64((&ptrace.ProtoMarshaler{}).TracesSize(otlp.ToPdata([]*model.Trace{t})))
}

// decide combines the votes in policy order, running stateful policies
// against st at now; spans and bytes are the trace's span count and OTLP
// size (bytes only needed with bytes_limiting).
func (c *Config) decide(id model.TraceID, spans, bytes int64, now time.Time, v voter, st *state) Decision {
	d := Decision{TraceID: id, Final: NotSampled, Votes: make([]PolicyVote, 0, len(c.Policies))}
	stop := false
	for i, p := range c.Policies {
		pv := PolicyVote{Policy: p.Name, Type: p.Type}
		if stop {
			pv.Skipped = true
			pv.Reason = "not evaluated"
			d.Votes = append(d.Votes, pv)
			continue
		}
		switch {
		case p.rate != nil:
			ok := st.buckets[i].allowN(now, spans)
			pv.Vote = voteOf(ok)
			pv.Reason = fmt.Sprintf("%d spans at %s: ", spans, now.Format(time.RFC3339Nano))
			if ok {
				pv.Reason += fmt.Sprintf("within %d spans/s (burst %d)", p.rate.sps, p.rate.burst)
			} else {
				pv.Reason += fmt.Sprintf("over %d spans/s (burst %d)", p.rate.sps, p.rate.burst)
			}
		case p.bytes != nil:
			ok := st.buckets[i].allowN(now, bytes)
			pv.Vote = voteOf(ok)
			pv.Reason = fmt.Sprintf("%d bytes at %s: ", bytes, now.Format(time.RFC3339Nano))
			if ok {
				pv.Reason += fmt.Sprintf("within %d bytes/s (burst %d)", p.bytes.sps, p.bytes.burst)
			} else {
				pv.Reason += fmt.Sprintf("over %d bytes/s (burst %d)", p.bytes.sps, p.bytes.burst)
			}
		case p.comp != nil:
			pv.Vote, pv.Reason = c.composite(i, spans, now, v, st.comps[i])
		default:
			pv.Vote, pv.Reason = v.top(i)
		}
		d.Votes = append(d.Votes, pv)
		switch {
		case pv.Vote == Dropped:
			d.Final, d.Policy, stop = Dropped, p.Name, true
		case pv.Vote == Sampled && d.Final != Sampled:
			d.Final, d.Policy = Sampled, p.Name
			stop = c.SampleOnFirstMatch
		}
	}
	return d
}

func (c *Config) composite(i int, spans int64, now time.Time, v voter, cs *compositeState) (Vote, string) {
	p := c.Policies[i]
	sec := now.Unix()
	if !cs.started || cs.second != sec {
		cs.second, cs.started = sec, true
		clear(cs.used)
	}
	for j, s := range p.Subs {
		vote, why := v.sub(i, j)
		if vote != Sampled {
			continue
		}
		n := cs.used[j] + spans
		if n <= p.comp.alloc[j] && n <= p.comp.maxTotal {
			cs.used[j] = n
			return Sampled, fmt.Sprintf("%q (%s); %d of %d spans in second %d", s.Name, why, n, p.comp.alloc[j], sec)
		}
		return NotSampled, fmt.Sprintf("%q (%s) but %d spans would exceed its %d in second %d", s.Name, why, n, min(p.comp.alloc[j], p.comp.maxTotal), sec)
	}
	return NotSampled, "no sub-policy matched"
}

// record is what a stateful replay keeps of a trace until its turn.
type record struct {
	id     model.TraceID
	now    time.Time
	spans  int64
	size   int64 // estimated stored bytes (for the report)
	bytes  int64 // OTLP protobuf size, with bytes_limiting only
	err    bool
	dur    uint64
	votes  []Vote // per policy, then per composite sub-policy (see offsets)
	offset []int  // shared: where each policy's votes start
}

type recordVoter struct{ r *record }

func (v recordVoter) top(i int) (Vote, string) { return v.r.votes[v.r.offset[i]], "" }
func (v recordVoter) sub(i, j int) (Vote, string) {
	return v.r.votes[v.r.offset[i]+1+j], ""
}

// newRecord evaluates every stateless vote of t once.
func (c *Config) newRecord(t *model.Trace, offset []int, nvotes int) record {
	start, end := t.TimeRange()
	r := record{id: t.TraceID, now: c.DecisionTime(t), spans: int64(t.SpanCount()), size: EstimateBytes(t),
		bytes: protoSizeIf(c.limitsBytes(), t),
		err:   hasError(t), dur: end - start, votes: make([]Vote, nvotes), offset: offset}
	for i, p := range c.Policies {
		switch {
		case p.comp != nil:
			for j, s := range p.Subs {
				r.votes[offset[i]+1+j], _ = s.eval.evaluate(t)
			}
		case p.eval != nil:
			r.votes[offset[i]], _ = p.eval.evaluate(t)
		}
	}
	return r
}

// voteOffsets lays out a record's votes: one per policy plus one per
// composite sub-policy.
func (c *Config) voteOffsets() ([]int, int) {
	off := make([]int, len(c.Policies))
	n := 0
	for i, p := range c.Policies {
		off[i] = n
		n++
		if p.comp != nil {
			n += len(p.Subs)
		}
	}
	return off, n
}
