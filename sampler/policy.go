package sampler

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tracectl/tracectl/model"
)

// Vote is what one policy says about one trace.
type Vote int8

// Votes. The Collector's inverted votes are gone at v0.161 (invert_match
// gives a plain Sampled or NotSampled), so they do not appear here.
// Errored is a policy that failed (an ottl_condition with error_mode
// propagate): it passes through and, not, drop and composite unchanged,
// and a top-level policy that failed decides nothing, as in the
// Collector, so it counts as not sampled.
const (
	NotSampled Vote = iota
	Sampled
	Dropped
	Errored
)

var voteNames = [...]string{"not_sampled", "sampled", "dropped", "error"}

func (v Vote) String() string {
	if int(v) < len(voteNames) && v >= 0 {
		return voteNames[v]
	}
	return "Vote(" + strconv.Itoa(int(v)) + ")"
}

// ParseVote reads a vote name; "keep"/"kept" and "drop" are accepted as
// sampled and not_sampled.
func ParseVote(s string) (Vote, error) {
	switch strings.ToLower(s) {
	case "sampled", "keep", "kept":
		return Sampled, nil
	case "not_sampled", "notsampled", "not sampled":
		return NotSampled, nil
	case "dropped", "drop":
		return Dropped, nil
	}
	return 0, fmt.Errorf("unknown decision %q (want sampled, not_sampled or dropped)", s)
}

// evaluator is one policy's rule: its vote on a trace and why. The why
// may be left empty when explain is false (a replay keeps only votes):
// formatting it for every trace took 5% of a replay.
type evaluator interface {
	evaluate(t *model.Trace, explain bool) (Vote, string)
}

func voteOf(b bool) Vote {
	if b {
		return Sampled
	}
	return NotSampled
}

func shortID(id model.SpanID) string { return id.String() }

type alwaysSample struct{}

func (alwaysSample) evaluate(*model.Trace, bool) (Vote, string) { return Sampled, "always" }

// latency measures the trace's window span by span in storage order and
// stops at the first span after which the window is within bounds; with
// an upper bound a partial window can match (the Collector does the same),
// and the reason then names that window and how many spans it took, not
// the whole trace.
type latency struct{ threshold, upper int64 }

func (l latency) evaluate(t *model.Trace, explain bool) (Vote, string) {
	var lo, hi uint64
	var ms int64
	var last model.SpanID
	seen := 0
	hit := false
	t.Spans(func(r model.SpanRef) bool {
		s := r.Span
		seen++
		if lo == 0 || s.StartTimeUnixNano < lo {
			lo = s.StartTimeUnixNano
		}
		if hi == 0 || s.EndTimeUnixNano > hi {
			hi = s.EndTimeUnixNano
		}
		ms = millisBetween(lo, hi)
		if l.upper == 0 {
			hit = ms > l.threshold
		} else {
			hit = l.threshold < ms && ms <= l.upper
		}
		last = s.SpanID
		return !hit
	})
	if !explain {
		return voteOf(hit), ""
	}
	start, end := t.TimeRange()
	full := millisBetween(start, end)
	bounds := fmt.Sprintf("> %dms", l.threshold)
	if l.upper != 0 {
		bounds = fmt.Sprintf("in (%dms, %dms]", l.threshold, l.upper)
	}
	switch {
	case hit && l.upper != 0 && (lo != start || hi != end):
		// Met by a prefix whose window is not the whole trace's.
		return Sampled, fmt.Sprintf("window of the first %d of %d spans (to span %s, in storage order) %dms %s: %s to %s; whole trace %dms",
			seen, t.SpanCount(), shortID(last), ms, bounds, nanoTime(lo), nanoTime(hi), full)
	case hit:
		return Sampled, fmt.Sprintf("duration %dms %s", full, bounds)
	}
	return NotSampled, fmt.Sprintf("duration %dms not %s", full, bounds)
}

// millisBetween is end - start in whole milliseconds (truncated, negative
// when end is earlier), as the Collector measures latency.
func millisBetween(start, end uint64) int64 {
	return time.Unix(0, int64(end)).Sub(time.Unix(0, int64(start))).Milliseconds()
}

func nanoTime(ns uint64) string { return time.Unix(0, int64(ns)).UTC().Format(time.RFC3339Nano) }

// attrHit is where an attribute rule's test first passed, if it did: on a
// resource's value (span nil) or on a span's.
type attrHit struct {
	found bool
	span  *model.Span
	v     model.Value
}

// describe says where h is, for attribute key.
func (h attrHit) describe(key string) string {
	switch {
	case !h.found:
		return ""
	case h.span == nil:
		return fmt.Sprintf("resource %s=%s", key, show(h.v))
	}
	return fmt.Sprintf("span %s %s=%s", shortID(h.span.SpanID), key, show(h.v))
}

// anyResourceOrSpan finds the first resource or span (in storage order)
// whose value of key passes its test: onResource for a resource's,
// onSpan for a span's.
func anyResourceOrSpan(t *model.Trace, key string, onResource, onSpan func(model.Value) bool) attrHit {
	for i := range t.ResourceSpans {
		rs := &t.ResourceSpans[i]
		if v, ok := model.Find(rs.Resource.Attributes, key); ok && onResource(v) {
			return attrHit{found: true, v: v}
		}
		for j := range rs.ScopeSpans {
			for k := range rs.ScopeSpans[j].Spans {
				s := &rs.ScopeSpans[j].Spans[k]
				if v, ok := model.Find(s.Attributes, key); ok && onSpan(v) {
					return attrHit{found: true, span: s, v: v}
				}
			}
		}
	}
	return attrHit{}
}

func show(v model.Value) string {
	if v.Type == model.ValueString {
		return strconv.Quote(v.Str)
	}
	return v.AsString()
}

// The Collector reads attribute values with pdata's typed getters, which
// return the zero value for another type: no coercion.
func asInt(v model.Value) int64 {
	if v.Type == model.ValueInt {
		return v.Int
	}
	return 0
}

func asStr(v model.Value) string {
	if v.Type == model.ValueString {
		return v.Str
	}
	return ""
}

func asBool(v model.Value) bool { return v.Type == model.ValueBool && v.Bool }

// attrVote is an attribute rule's vote on hit (the test of attribute
// key, which what names): sampled when it passed, and when inverted
// sampled when no resource and no span passed; why when explain is set.
func attrVote(hit attrHit, key string, invert, explain bool, what func() string) (Vote, string) {
	if !explain {
		return voteOf(hit.found != invert), ""
	}
	found := hit.describe(key)
	switch {
	case !invert && found != "":
		return Sampled, found
	case !invert:
		return NotSampled, "no resource or span has " + what()
	case found != "":
		return NotSampled, "invert_match: " + found
	}
	return Sampled, "invert_match: no resource or span has " + what()
}

type numericAttribute struct {
	key      string
	min, max int64
	invert   bool
}

func (e numericAttribute) evaluate(t *model.Trace, explain bool) (Vote, string) {
	in := func(v model.Value) bool {
		i := asInt(v)
		return i >= e.min && i <= e.max
	}
	hit := anyResourceOrSpan(t, e.key, in, in)
	return attrVote(hit, e.key, e.invert, explain, func() string {
		return fmt.Sprintf("%s in [%s, %s]", e.key, bound(e.min), bound(e.max))
	})
}

func bound(i int64) string {
	switch i {
	case math.MinInt64:
		return "-inf"
	case math.MaxInt64:
		return "+inf"
	}
	return strconv.FormatInt(i, 10)
}

type stringAttribute struct {
	key      string
	values   map[string]bool
	patterns []*regexp.Regexp
	regex    bool
	invert   bool
	display  []string
}

func (e *stringAttribute) match(s string) bool {
	if !e.regex {
		return e.values[s]
	}
	for _, re := range e.patterns {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

func (e *stringAttribute) evaluate(t *model.Trace, explain bool) (Vote, string) {
	// Resource values are matched as they are; span values only when not
	// empty (the Collector's rule).
	hit := anyResourceOrSpan(t, e.key,
		func(v model.Value) bool { return e.match(asStr(v)) },
		func(v model.Value) bool { str := asStr(v); return str != "" && e.match(str) })
	return attrVote(hit, e.key, e.invert, explain, func() string {
		op := "in"
		if e.regex {
			op = "matching"
		}
		return fmt.Sprintf("%s %s [%s]", e.key, op, strings.Join(e.display, ", "))
	})
}

type booleanAttribute struct {
	key           string
	value, invert bool
}

func (e booleanAttribute) evaluate(t *model.Trace, explain bool) (Vote, string) {
	is := func(v model.Value) bool { return asBool(v) == e.value }
	hit := anyResourceOrSpan(t, e.key, is, is)
	return attrVote(hit, e.key, e.invert, explain, func() string { return fmt.Sprintf("%s=%t", e.key, e.value) })
}

type statusCode struct{ codes []model.StatusCode }

func (e statusCode) evaluate(t *model.Trace, explain bool) (Vote, string) {
	var hit *model.Span
	t.Spans(func(r model.SpanRef) bool {
		if slices.Contains(e.codes, r.Span.Status.Code) {
			hit = r.Span
			return false
		}
		return true
	})
	switch {
	case !explain:
		return voteOf(hit != nil), ""
	case hit != nil:
		return Sampled, fmt.Sprintf("span %s status %s", shortID(hit.SpanID), strings.ToUpper(hit.Status.Code.String()))
	}
	names := make([]string, len(e.codes))
	for i, c := range e.codes {
		names[i] = strings.ToUpper(c.String())
	}
	return NotSampled, "no span with status " + strings.Join(names, " or ")
}

type spanCount struct{ min, max int64 }

func (e spanCount) evaluate(t *model.Trace, explain bool) (Vote, string) {
	n := int64(t.SpanCount())
	ok := n >= e.min && (e.max == 0 || n <= e.max)
	if !explain {
		return voteOf(ok), ""
	}
	hi := "+inf"
	if e.max != 0 {
		hi = strconv.FormatInt(e.max, 10)
	}
	if ok {
		return Sampled, fmt.Sprintf("%d spans in [%d, %s]", n, e.min, hi)
	}
	return NotSampled, fmt.Sprintf("%d spans not in [%d, %s]", n, e.min, hi)
}

type traceState struct {
	key     string
	values  map[string]bool
	display []string
}

func (e traceState) evaluate(t *model.Trace, explain bool) (Vote, string) {
	var hit *model.Span
	var value string
	t.Spans(func(r model.SpanRef) bool {
		v, ok := traceStateGet(r.Span.TraceState, e.key)
		if ok && e.values[v] {
			hit, value = r.Span, v
			return false
		}
		return true
	})
	switch {
	case !explain:
		return voteOf(hit != nil), ""
	case hit != nil:
		return Sampled, fmt.Sprintf("span %s tracestate %s=%s", shortID(hit.SpanID), e.key, value)
	}
	return NotSampled, fmt.Sprintf("no span with tracestate %s in [%s]", e.key, strings.Join(e.display, ", "))
}

func subNames(ps []*Policy) string {
	if len(ps) == 0 {
		return "its 0 sub-policies" // an empty and/drop: the Collector accepts it
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = strconv.Quote(p.Name)
	}
	return strings.Join(names, ", ")
}

// DefaultHashSalt is the salt of a probabilistic policy without hash_salt.
const DefaultHashSalt = "default-hash-seed"

// probabilistic samples when FNV-1a-64(salt ‖ trace ID) is at most a
// threshold derived from the percentage, as the Collector does.
type probabilistic struct {
	salt      string
	pct       float64
	threshold uint64
}

func newProbabilistic(salt string, pct float64) probabilistic {
	if salt == "" {
		salt = DefaultHashSalt
	}
	return probabilistic{salt: salt, pct: pct, threshold: Threshold(pct / 100)}
}

// Threshold is the largest hash sampled at ratio (0..1): MaxUint64 ×
// ratio computed in big.Float at 64 bits of precision, then truncated;
// ratios at or above 1 give MaxUint64.
func Threshold(ratio float64) uint64 {
	if ratio >= 1 {
		return math.MaxUint64
	}
	if ratio <= 0 || math.IsNaN(ratio) {
		return 0
	}
	max := new(big.Float).SetPrec(64).SetUint64(math.MaxUint64)
	r := new(big.Float).SetFloat64(ratio)
	prod := new(big.Float).SetPrec(64).Mul(max, r)
	u, _ := prod.Uint64()
	return u
}

// HashTraceID is FNV-1a-64 over the salt's bytes followed by the 16
// trace ID bytes.
func HashTraceID(salt string, id model.TraceID) uint64 {
	h := fnv.New64a()
	h.Write([]byte(salt))
	h.Write(id[:])
	return h.Sum64()
}

func (e probabilistic) evaluate(t *model.Trace, explain bool) (Vote, string) {
	h := HashTraceID(e.salt, t.TraceID)
	if !explain {
		return voteOf(h <= e.threshold), ""
	}
	if h <= e.threshold {
		return Sampled, fmt.Sprintf("hash %#016x <= threshold %#016x (%v%%)", h, e.threshold, e.pct)
	}
	return NotSampled, fmt.Sprintf("hash %#016x > threshold %#016x (%v%%)", h, e.threshold, e.pct)
}
