package sampler

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// walker evaluates a config's policies for one trace at one instant:
// leaves from the live trace (with reasons) or from a replay record's
// votes, and/not/drop/composite and the limiters itself, so stateful
// policies work at any depth.
type walker struct {
	c     *Config
	t     *model.Trace // live trace, or nil
	votes []Vote       // a record's leaf votes when t is nil
	whys  []string     // and their reasons, when recorded (Options.OnOutcome)
	now   time.Time
	spans int64
	bytes int64
	st    *state
	tree  bool // keep sub-policy votes
}

// decide combines the top-level votes: drop policies come first and the
// first Dropped ends it; then the first Sampled decides (and ends it with
// sample_on_first_match); otherwise not sampled. Policies after the end
// are not evaluated, so their limiters spend nothing.
func (w *walker) decide(id model.TraceID) Decision {
	d := Decision{TraceID: id, Final: NotSampled, At: w.now, Votes: make([]PolicyVote, 0, len(w.c.Policies))}
	stop := false
	for _, p := range w.c.Policies {
		if stop {
			d.Votes = append(d.Votes, skipped(p))
			continue
		}
		pv := w.vote(p)
		d.Votes = append(d.Votes, pv)
		switch {
		case pv.Vote == Dropped:
			d.Final, d.Policy, stop = Dropped, p.Name, true
		case pv.Vote == Sampled && d.Final != Sampled:
			d.Final, d.Policy = Sampled, p.Name
			stop = w.c.SampleOnFirstMatch
		}
	}
	return d
}

func skipped(p *Policy) PolicyVote {
	return PolicyVote{Policy: p.Name, Type: p.Type, Skipped: true, Reason: "not evaluated"}
}

// skipRest records, in a decision tree, the sub-policies left
// unevaluated after one decided.
func (w *walker) skipRest(pv *PolicyVote, rest []*Policy) {
	if !w.tree {
		return
	}
	for _, r := range rest {
		pv.Subs = append(pv.Subs, skipped(r))
	}
}

// vote evaluates one policy.
func (w *walker) vote(p *Policy) PolicyVote {
	pv := PolicyVote{Policy: p.Name, Type: p.Type}
	switch {
	case p.eval != nil:
		switch {
		case w.t != nil:
			pv.Vote, pv.Reason = p.eval.evaluate(w.t, true)
		case w.whys != nil:
			pv.Vote, pv.Reason = w.votes[p.leaf], w.whys[p.leaf]
		default:
			pv.Vote = w.votes[p.leaf]
		}
	case p.rate != nil:
		pv.Vote, pv.Reason = w.limit(p, *p.rate, w.spans, "spans")
	case p.bytes != nil:
		pv.Vote, pv.Reason = w.limit(p, *p.bytes, w.bytes, "bytes")
	case p.comp != nil:
		w.composite(p, &pv)
	case p.Type == TypeNot:
		sub := w.vote(p.Subs[0])
		w.keep(&pv, sub)
		// Sampled and NotSampled swap; the Collector passes anything else
		// through, which a sub-policy here never returns.
		switch {
		case sub.Vote == Errored:
			pv.Vote, pv.Reason = Errored, w.why("%q failed (%s)", sub.Policy, sub.Reason)
		case sub.Vote == Sampled:
			pv.Vote = NotSampled
			pv.Reason = w.why("%q matched (%s)", sub.Policy, sub.Reason)
		default:
			pv.Vote = Sampled
			pv.Reason = w.why("%q did not match (%s)", sub.Policy, sub.Reason)
		}
	case p.Type == TypeAnd || p.Type == TypeDrop:
		w.all(p, &pv)
	}
	return pv
}

// explains reports whether reasons are wanted: for a live trace, or a
// record whose leaf reasons were kept.
func (w *walker) explains() bool { return w.t != nil || w.whys != nil }

// why formats a reason when the walker explains (replays of recorded
// votes alone skip it).
func (w *walker) why(format string, args ...any) string {
	if !w.explains() {
		return ""
	}
	return fmt.Sprintf(format, args...)
}

func (w *walker) keep(pv *PolicyVote, sub PolicyVote) {
	if w.tree {
		pv.Subs = append(pv.Subs, sub)
	}
}

// all is and/drop: sub-policies in order, stopping at the first that does
// not sample (later ones are not evaluated, so a later limiter spends
// nothing, while an earlier one has already spent its tokens).
func (w *walker) all(p *Policy, pv *PolicyVote) {
	yes := Sampled
	if p.Type == TypeDrop {
		yes = Dropped
	}
	pv.Vote = yes
	if w.explains() {
		pv.Reason = "all of " + subNames(p.Subs) + " matched"
	}
	for i, s := range p.Subs {
		sub := w.vote(s)
		w.keep(pv, sub)
		if sub.Vote != Sampled {
			pv.Vote, pv.Reason = NotSampled, w.why("%q no (%s)", s.Name, sub.Reason)
			if sub.Vote == Errored {
				pv.Vote, pv.Reason = Errored, w.why("%q failed (%s)", s.Name, sub.Reason)
			}
			w.skipRest(pv, p.Subs[i+1:])
			return
		}
	}
}

// limit is rate_limiting and bytes_limiting: n units from p's bucket.
func (w *walker) limit(p *Policy, r rateSpec, n int64, unit string) (Vote, string) {
	ok := w.st.bucket(p, r).allowN(w.now, n)
	if !w.explains() {
		return voteOf(ok), ""
	}
	why := fmt.Sprintf("%d %s at %s: ", n, unit, w.now.Format(time.RFC3339Nano))
	rate := fmt.Sprintf("%d %s/s (burst %d)", r.sps, unit, r.burst)
	if r.sps <= 0 {
		rate += ", a bucket that never refills"
	}
	if ok {
		return Sampled, why + "within " + rate
	}
	return NotSampled, why + "over " + rate
}

// composite: the first sub-policy that samples decides, within its
// allocation for the current second (no fall-through).
func (w *walker) composite(p *Policy, pv *PolicyVote) {
	cs := w.st.composite(p)
	sec := w.now.Unix()
	if !cs.started || cs.second != sec {
		cs.second, cs.started = sec, true
		clear(cs.used)
	}
	pv.Vote, pv.Reason = NotSampled, w.why("no sub-policy matched")
	for j, s := range p.Subs {
		sub := w.vote(s)
		w.keep(pv, sub)
		if sub.Vote == Errored {
			pv.Vote, pv.Reason = Errored, w.why("%q failed (%s)", s.Name, sub.Reason)
			w.skipRest(pv, p.Subs[j+1:])
			return
		}
		if sub.Vote != Sampled {
			continue
		}
		n, alloc := cs.used[j]+w.spans, p.comp.alloc[j]
		if n <= alloc && n <= p.comp.maxTotal {
			cs.used[j] = n
			pv.Vote, pv.Reason = Sampled, w.why("%q (%s); %d of %d spans in second %d", s.Name, sub.Reason, n, alloc, sec)
		} else {
			pv.Reason = w.why("%q (%s) but %d spans would exceed its %d in second %d", s.Name, sub.Reason, n, min(alloc, p.comp.maxTotal), sec)
		}
		w.skipRest(pv, p.Subs[j+1:])
		return
	}
}

// record is what a replay keeps of a trace until its decision.
type record struct {
	id      model.TraceID
	arrival int64 // Unix ns
	spans   int64
	size    int64 // estimated stored bytes (for the report)
	bytes   int64 // OTLP protobuf size, with bytes_limiting or Options.OnOutcome only
	err     bool
	dur     uint64
	votes   int // offset of its leaf votes in the replay's vote slab
}

// newRecord evaluates every leaf of t once, appending the votes to slab
// and, if whys is not nil, their reasons to whys; size asks for the OTLP
// size whatever the policies.
func (c *Config) newRecord(t *model.Trace, slab *[]Vote, whys *[]string, size bool) record {
	start, end := t.TimeRange()
	r := record{id: t.TraceID, arrival: Arrival(t).UnixNano(), spans: int64(t.SpanCount()), size: EstimateBytes(t),
		bytes: protoSizeIf(size || c.limitsBytes(), t), err: hasError(t), dur: end - start, votes: len(*slab)}
	var walk func(ps []*Policy)
	walk = func(ps []*Policy) {
		for _, p := range ps {
			if p.eval != nil {
				v, why := p.eval.evaluate(t, whys != nil)
				*slab = append(*slab, v)
				if whys != nil {
					*whys = append(*whys, why)
				}
			}
			walk(p.Subs)
		}
	}
	walk(c.Policies)
	return r
}

// Record states in the num_traces table.
const (
	pending  = iota // arrived, waiting for its decision
	decided         // decided, still in the table (no decision cache for its outcome)
	gone            // left the table: evicted, or decided and cached
	notThere        // not arrived yet
)

// simulate runs the Collector's timeline over recs (sorted by arrival,
// then trace ID) and emits every trace's decision.
//
// Arrivals and decisions interleave by time; at equal times decisions go
// first. A new trace enters the num_traces table; when the table is full
// the oldest entry by arrival is removed first — decided or not, as the
// Collector's deleteTraceQueue does. An entry removed before its decision
// is evicted: the Collector discards its spans undecided. A decided trace
// stays in the table unless the decision cache for its outcome is on
// (sampled_cache_size, non_sampled_cache_size > 0). block_on_overflow
// turns eviction off. Decisions come in arrival order, as decision_wait is
// the same for every trace. Traces in live are decided with reasons.
func (c *Config) simulate(recs *records, slab []Vote, whys []string, live map[model.TraceID]*model.Trace, emit func(r *record, d *Decision) error) error {
	st := newState()
	wait := int64(c.DecisionWait)
	status := make([]uint8, recs.Len())
	for i := range status {
		status[i] = notThere
	}
	var inTable uint64
	next, head := 0, 0
	decideUntil := func(limit int, t int64, all bool) error {
		for ; next < limit && (all || recs.at(next).arrival+wait <= t); next++ {
			r := recs.at(next)
			if status[next] == gone {
				continue
			}
			w := walker{c: c, votes: slab[r.votes:], now: time.Unix(0, r.arrival+wait).UTC(), spans: r.spans, bytes: r.bytes, st: st}
			if whys != nil {
				w.whys = whys[r.votes:]
			}
			if t := live[r.id]; t != nil {
				w.t, w.tree = t, true
			}
			d := w.decide(r.id)
			status[next] = decided
			if d.Kept() && c.SampledCacheSize > 0 || !d.Kept() && c.NonSampledCacheSize > 0 {
				status[next] = gone
				inTable--
			}
			if err := emit(r, &d); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range recs.Len() {
		r := recs.at(i)
		if err := decideUntil(i, r.arrival, false); err != nil {
			return err
		}
		if !c.BlockOnOverflow && inTable >= c.NumTraces {
			for head < i && status[head] == gone {
				head++
			}
			if head < i {
				if status[head] == pending {
					old := recs.at(head)
					d := Decision{TraceID: old.id, Final: NotSampled, At: time.Unix(0, r.arrival).UTC(),
						Evicted: true, EvictedBy: r.id, Table: c.NumTraces, Due: time.Unix(0, old.arrival+wait).UTC()}
					if err := emit(old, &d); err != nil {
						return err
					}
				}
				status[head] = gone
				inTable--
			}
		}
		status[i] = pending
		inTable++
	}
	return decideUntil(recs.Len(), 0, true)
}

// replay decides the traces of it on the simulated clock.
func replay(ctx context.Context, it store.TraceIterator, cfg *Config, opts Options) (*Report, error) {
	defer it.Close()
	recs := &records{}
	var slab []Vote
	var whys *[]string
	if opts.OnOutcome != nil && !opts.noReasons {
		whys = new([]string)
	}
	for it.Next() {
		if recs.Len()%1024 == 1023 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		recs.add(cfg.newRecord(it.At(), &slab, whys, opts.OnOutcome != nil))
	}
	if err := it.Err(); err != nil {
		return nil, err
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	sort.Sort(recs)
	r := NewReport(cfg, opts.Slow)
	var reasons []string
	if whys != nil {
		reasons = *whys
	}
	err := cfg.simulate(recs, slab, reasons, opts.Explain, func(rec *record, d *Decision) error {
		r.add(rec.spans, rec.size, rec.err, rec.dur, d)
		if opts.OnDecision != nil {
			if err := opts.OnDecision(nil, d); err != nil {
				return err
			}
		}
		if opts.OnOutcome != nil {
			return opts.OnOutcome(outcomeOf(rec, d))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.finish()
	return r, nil
}
