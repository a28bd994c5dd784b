package sampler

import (
	"math"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tracectl/tracectl/model"
)

// policyParser decodes the type-specific block n of policy pl; ctx names
// the block in messages (`policy "slow": latency`). Leaf types return
// their evaluator; and, not, drop and the stateful types return nil and
// fill pl's Subs or spec instead.
type policyParser func(p *parser, pl *Policy, n *yaml.Node, ctx string) evaluator

// policyParsers maps each policy type to its parser; it is filled in init
// because the parsers of and, not, drop and composite recurse through
// (*parser).policy, which reads the table.
var policyParsers map[string]policyParser

func init() {
	policyParsers = map[string]policyParser{
		TypeAlwaysSample:     (*parser).alwaysSample,
		TypeLatency:          (*parser).latency,
		TypeNumericAttribute: (*parser).numericAttribute,
		TypeProbabilistic:    (*parser).probabilistic,
		TypeOTTLCondition:    (*parser).ottlCondition,
		TypeStatusCode:       (*parser).statusCode,
		TypeStringAttribute:  (*parser).stringAttribute,
		TypeSpanCount:        (*parser).spanCount,
		TypeTraceState:       (*parser).traceState,
		TypeBooleanAttribute: (*parser).booleanAttribute,
		TypeAnd:              (*parser).and,
		TypeDrop:             (*parser).and,
		TypeNot:              (*parser).not,
		TypeRateLimiting:     (*parser).rateLimiting,
		TypeBytesLimiting:    (*parser).bytesLimiting,
		TypeComposite:        (*parser).composite,
	}
}

// evaluator decodes the type-specific block of pl.
func (p *parser) evaluator(pl *Policy, n *yaml.Node, where string) evaluator {
	parse, ok := policyParsers[pl.Type]
	if !ok {
		return nil
	}
	return parse(p, pl, n, where+": "+pl.Type)
}

func (p *parser) alwaysSample(_ *Policy, n *yaml.Node, ctx string) evaluator {
	p.fields(n, ctx, nil)
	return alwaysSample{}
}

func (p *parser) latency(_ *Policy, n *yaml.Node, ctx string) evaluator {
	f := p.fields(n, ctx, []string{"threshold_ms", "upper_threshold_ms"})
	var e latency
	if v := f["threshold_ms"]; v != nil {
		e.threshold, _ = p.int(v, ctx+".threshold_ms")
	}
	if v := f["upper_threshold_ms"]; v != nil {
		e.upper, _ = p.int(v, ctx+".upper_threshold_ms")
	}
	// Any bounds are accepted, as by the Collector; with upper_threshold_ms
	// at or below threshold_ms nothing matches.
	return e
}

func (p *parser) numericAttribute(_ *Policy, n *yaml.Node, ctx string) evaluator {
	f := p.fields(n, ctx, []string{"key", "min_value", "max_value", "invert_match"})
	e := numericAttribute{key: p.key(f, ctx), min: math.MinInt64, max: math.MaxInt64}
	// The Collector reads 0 as "not set" for both bounds.
	var lo, hi int64
	if v := f["min_value"]; v != nil {
		lo, _ = p.int(v, ctx+".min_value")
	}
	if v := f["max_value"]; v != nil {
		hi, _ = p.int(v, ctx+".max_value")
	}
	if lo == 0 && hi == 0 {
		// The Collector starts with this but has no evaluator for it, so
		// it panics on the first trace.
		p.semanticf(n, "%s: set min_value or max_value (0 means not set; the Collector fails on every trace without)", ctx)
	}
	if lo != 0 {
		e.min = lo
	}
	if hi != 0 {
		e.max = hi
	}
	if v := f["invert_match"]; v != nil {
		e.invert, _ = p.bool(v, ctx+".invert_match")
	}
	return e
}

func (p *parser) probabilistic(_ *Policy, n *yaml.Node, ctx string) evaluator {
	f := p.fields(n, ctx, []string{"hash_salt", "sampling_percentage"})
	salt := ""
	if v := f["hash_salt"]; v != nil {
		salt, _ = p.str(v, ctx+".hash_salt")
	}
	// Any number is accepted, as by the Collector: below 0 samples
	// nothing, above 100 everything. NaN makes the Collector panic.
	var pct float64
	if v := f["sampling_percentage"]; v != nil {
		var ok bool
		if pct, ok = p.float(v, ctx+".sampling_percentage"); ok && math.IsNaN(pct) {
			p.semanticf(v, "%s.sampling_percentage: NaN is not a percentage (the Collector panics on it)", ctx)
		}
	}
	return newProbabilistic(salt, pct)
}

func (p *parser) ottlCondition(_ *Policy, n *yaml.Node, ctx string) evaluator {
	f := p.fields(n, ctx, []string{"error_mode", "span", "spanevent"})
	var e ottlCondition
	if v := f["error_mode"]; v != nil {
		// OTTL reads the mode in any case (PROPAGATE is propagate); null
		// and "" are errors to it.
		if m, ok := p.str(v, ctx+".error_mode"); ok {
			e.errorMode = strings.ToLower(m)
			if e.errorMode != "ignore" && e.errorMode != "propagate" && e.errorMode != "silent" {
				p.errorf(v, "%s.error_mode: %q, want ignore, propagate or silent", ctx, m)
			}
		}
	}
	e.span, e.spanSrc = p.ottlConditions(f["span"], ctx+".span", false)
	e.event, e.eventSrc = p.ottlConditions(f["spanevent"], ctx+".spanevent", true)
	if len(e.span)+len(e.event) == 0 && len(p.errs) == 0 {
		p.semanticf(n, "%s: set span or spanevent conditions", ctx)
	}
	return e
}

// ottlConditions parses the list of OTTL conditions n (nil if absent),
// returning the ones that parse with their source text.
func (p *parser) ottlConditions(n *yaml.Node, ctx string, event bool) (conds []ottlCond, srcs []string) {
	if n == nil {
		return nil, nil
	}
	all, _ := p.strings(n, ctx)
	if p.decodeOnly {
		return nil, nil // conditions are parsed when the policy is built
	}
	for i, src := range all {
		c, err := parseOTTL(src, event)
		if err != nil {
			p.errorf(n.Content[i], "%s: %q: %v", ctx, src, err)
			continue
		}
		conds, srcs = append(conds, c), append(srcs, src)
	}
	return conds, srcs
}

func (p *parser) statusCode(_ *Policy, n *yaml.Node, ctx string) evaluator {
	f := p.fields(n, ctx, []string{"status_codes"})
	var e statusCode
	v := f["status_codes"]
	codes, _ := p.strings(v, ctx+".status_codes")
	if len(codes) == 0 {
		p.semanticf(n, "%s.status_codes: at least one of OK, ERROR, UNSET", ctx)
	}
	for i, c := range codes {
		switch c {
		case "OK":
			e.codes = append(e.codes, model.StatusOK)
		case "ERROR":
			e.codes = append(e.codes, model.StatusError)
		case "UNSET":
			e.codes = append(e.codes, model.StatusUnset)
		default:
			p.semanticf(v.Content[i], "%s.status_codes: unknown status code %q, want OK, ERROR or UNSET", ctx, c)
		}
	}
	return e
}

func (p *parser) stringAttribute(_ *Policy, n *yaml.Node, ctx string) evaluator {
	f := p.fields(n, ctx, []string{"key", "values", "enabled_regex_matching", "cache_max_size", "invert_match"})
	e := &stringAttribute{key: p.key(f, ctx)}
	vn := f["values"]
	values, _ := p.strings(vn, ctx+".values")
	if v := f["enabled_regex_matching"]; v != nil {
		e.regex, _ = p.bool(v, ctx+".enabled_regex_matching")
	}
	if v := f["cache_max_size"]; v != nil {
		p.int(v, ctx+".cache_max_size")
	}
	if v := f["invert_match"]; v != nil {
		e.invert, _ = p.bool(v, ctx+".invert_match")
	}
	e.display = values
	if !e.regex {
		e.values = map[string]bool{}
		for _, s := range values {
			if s != "" {
				e.values[s] = true
			}
		}
		return e
	}
	for i, s := range values {
		re, err := regexp.Compile(s)
		if err != nil {
			p.semanticf(vn.Content[i], "%s.values: invalid regex %q: %v", ctx, s, err)
			continue
		}
		e.patterns = append(e.patterns, re)
	}
	return e
}

func (p *parser) spanCount(_ *Policy, n *yaml.Node, ctx string) evaluator {
	f := p.fields(n, ctx, []string{"min_spans", "max_spans"})
	var e spanCount
	if v := f["min_spans"]; v != nil {
		e.min, _ = p.int(v, ctx+".min_spans")
	}
	if v := f["max_spans"]; v != nil {
		e.max, _ = p.int(v, ctx+".max_spans")
	}
	// The Collector's fields are int32, and its decoder keeps the low 32
	// bits of a bigger number without a word.
	e.min, e.max = int64(int32(e.min)), int64(int32(e.max))
	return e
}

func (p *parser) traceState(_ *Policy, n *yaml.Node, ctx string) evaluator {
	f := p.fields(n, ctx, []string{"key", "values"})
	e := traceState{key: p.key(f, ctx), values: map[string]bool{}}
	values, _ := p.strings(f["values"], ctx+".values")
	for _, v := range values {
		if v != "" && len(e.key)+len(v) < 256 {
			e.values[v] = true
		}
	}
	e.display = values
	return e
}

func (p *parser) booleanAttribute(_ *Policy, n *yaml.Node, ctx string) evaluator {
	f := p.fields(n, ctx, []string{"key", "value", "invert_match"})
	e := booleanAttribute{key: p.key(f, ctx)}
	if v := f["value"]; v != nil {
		e.value, _ = p.bool(v, ctx+".value")
	}
	if v := f["invert_match"]; v != nil {
		e.invert, _ = p.bool(v, ctx+".invert_match")
	}
	return e
}

// and is and and drop: a list of sub-policies that must all sample. The
// Collector accepts an empty or missing list; such an and samples every
// trace, such a drop drops every trace.
func (p *parser) and(pl *Policy, n *yaml.Node, ctx string) evaluator {
	key := "and_sub_policy"
	if pl.Type == TypeDrop {
		key = "drop_sub_policy"
	}
	f := p.fields(n, ctx, []string{key})
	list := f[key]
	if list == nil || list.Kind == yaml.ScalarNode && list.Tag == "!!null" {
		return nil
	}
	if list.Kind != yaml.SequenceNode {
		p.errorf(list, "%s.%s: want a list of policies, got %s", ctx, key, kindName(list))
		return nil
	}
	for _, s := range list.Content {
		if sp := p.policy(s, pl.Name, levelAndSub); sp != nil {
			pl.Subs = append(pl.Subs, sp)
		}
	}
	return nil
}

func (p *parser) not(pl *Policy, n *yaml.Node, ctx string) evaluator {
	f := p.fields(n, ctx, []string{"not_sub_policy"})
	sub := f["not_sub_policy"]
	if sub == nil || isNull(sub) {
		p.semanticf(n, "%s.not_sub_policy: required", ctx)
		return nil
	}
	if sp := p.policy(sub, pl.Name, levelNotSub); sp != nil {
		pl.Subs = []*Policy{sp}
	}
	return nil
}

func (p *parser) rateLimiting(pl *Policy, n *yaml.Node, ctx string) evaluator {
	pl.rate = p.rateSpec(n, ctx, "spans_per_second")
	return nil
}

func (p *parser) bytesLimiting(pl *Policy, n *yaml.Node, ctx string) evaluator {
	pl.bytes = p.rateSpec(n, ctx, "bytes_per_second")
	return nil
}

// rateSpec decodes a token bucket: its rate field and burst_capacity
// (default twice the rate).
func (p *parser) rateSpec(n *yaml.Node, ctx, rateKey string) *rateSpec {
	f := p.fields(n, ctx, []string{rateKey, "burst_capacity"})
	var rate, burst int64
	if v := f[rateKey]; v != nil {
		rate, _ = p.int(v, ctx+"."+rateKey)
	}
	if v := f["burst_capacity"]; v != nil {
		burst, _ = p.int(v, ctx+".burst_capacity")
	}
	// Any rate is accepted, as by the Collector: at 0 or below the bucket
	// never refills, so it passes what its burst_capacity holds once
	// (nothing without one: the default, twice the rate, is not above 0).
	if burst <= 0 {
		burst = 2 * rate
	}
	return &rateSpec{sps: rate, burst: burst}
}

func (p *parser) composite(pl *Policy, n *yaml.Node, ctx string) evaluator {
	f := p.fields(n, ctx, []string{"max_total_spans_per_second", "policy_order", "composite_sub_policy", "rate_allocation"})
	c := &compositeSpec{}
	if v := f["max_total_spans_per_second"]; v != nil {
		c.maxTotal, _ = p.int(v, ctx+".max_total_spans_per_second")
	}
	// As by the Collector, any total is accepted (at 0 or below nothing
	// passes) and so is a composite without sub-policies (nothing matches).
	if v := f["policy_order"]; v != nil {
		p.strings(v, ctx+".policy_order") // read but ignored, as by the Collector
	}
	pl.comp = c
	subs := f["composite_sub_policy"]
	if subs != nil && !(subs.Kind == yaml.ScalarNode && subs.Tag == "!!null") {
		if subs.Kind != yaml.SequenceNode {
			p.errorf(subs, "%s.composite_sub_policy: want a list of policies, got %s", ctx, kindName(subs))
			return nil
		}
		for _, s := range subs.Content {
			if sp := p.policy(s, pl.Name, levelComposite); sp != nil {
				pl.Subs = append(pl.Subs, sp)
			}
		}
	}
	percent := p.rateAllocation(f["rate_allocation"], ctx+".rate_allocation")
	// Allocation per sub-policy, as the Collector computes it: percent% of
	// the total when the percent is above 0 (above 100 the total still
	// caps it), else an equal share; truncated to whole spans. Entries
	// naming no sub-policy are ignored, and the percentages need not add
	// up to 100.
	for _, s := range pl.Subs {
		alloc := float64(c.maxTotal) / float64(len(pl.Subs))
		if pct := percent[s.Name]; pct > 0 {
			alloc = float64(pct) / 100 * float64(c.maxTotal)
		}
		c.alloc = append(c.alloc, int64(alloc))
	}
	return nil
}

// rateAllocation decodes composite's rate_allocation list n (nil if
// absent) into percent by sub-policy name; a later entry for a name wins.
func (p *parser) rateAllocation(n *yaml.Node, ctx string) map[string]int64 {
	percent := map[string]int64{}
	if n == nil || isNull(n) {
		return percent
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s: want a list, got %s", ctx, kindName(n))
		return percent
	}
	for _, a := range n.Content {
		af := p.fields(a, ctx, []string{"policy", "percent"})
		var name string
		var pct int64
		if x := af["policy"]; x != nil {
			name, _ = p.str(x, ctx+".policy")
		}
		if x := af["percent"]; x != nil {
			pct, _ = p.int(x, ctx+".percent")
		}
		percent[name] = pct
	}
	return percent
}
