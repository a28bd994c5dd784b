package sampler

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tracectl/tracectl/model"
)

// Config is one tail_sampling processor block.
type Config struct {
	// File is the file the config was read from (for messages).
	File string
	// Processor is the processor's component ID ("tail_sampling/errors"),
	// empty for a bare processor block.
	Processor          string
	DecisionWait       time.Duration
	NumTraces          uint64
	SampleOnFirstMatch bool
	// BlockOnOverflow turns num_traces eviction off (the Collector then
	// delays intake instead, which a replay does not model).
	BlockOnOverflow bool
	// SampledCacheSize and NonSampledCacheSize are decision_cache's sizes;
	// above 0, a decided trace leaves the num_traces table at once.
	SampledCacheSize, NonSampledCacheSize int64
	// Policies in evaluation order: drop policies first, then the rest in
	// file order (what the Collector does when it loads them).
	Policies []*Policy
	leaves   int // policies with an evaluator, at any depth
}

// Policy is one named policy of the config.
type Policy struct {
	Name string
	Type string
	Line int
	// Subs are the sub-policies of and, not, drop and composite.
	Subs []*Policy
	// eval is set for the leaf types that need no clock; and, not, drop
	// and the stateful types are evaluated by a walker (see sim.go).
	eval evaluator
	// leaf indexes the policy among its config's evaluator leaves (-1 if
	// eval is nil): a replay records one vote per leaf.
	leaf int
	// rate, bytes and comp are set for the stateful types.
	rate  *rateSpec // rate_limiting: spans per second
	bytes *rateSpec // bytes_limiting: bytes per second
	comp  *compositeSpec
}

// Error is a config error at a position.
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// ErrorList is every error found in a config, sorted by position.
type ErrorList []*Error

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0], len(l)-1)
}

// Unsupported is the text that marks policy types tracectl does not
// evaluate yet.
const Unsupported = "not yet supported by tracectl"

// Policy types.
const (
	TypeAlwaysSample     = "always_sample"
	TypeLatency          = "latency"
	TypeNumericAttribute = "numeric_attribute"
	TypeProbabilistic    = "probabilistic"
	TypeStatusCode       = "status_code"
	TypeStringAttribute  = "string_attribute"
	TypeRateLimiting     = "rate_limiting"
	TypeBytesLimiting    = "bytes_limiting"
	TypeSpanCount        = "span_count"
	TypeTraceState       = "trace_state"
	TypeTraceFlags       = "trace_flags"
	TypeBooleanAttribute = "boolean_attribute"
	TypeOTTLCondition    = "ottl_condition"
	TypeAnd              = "and"
	TypeNot              = "not"
	TypeDrop             = "drop"
	TypeComposite        = "composite"
)

// leafTypes may appear anywhere; the others only at the top level.
var leafTypes = []string{
	TypeAlwaysSample, TypeLatency, TypeNumericAttribute, TypeProbabilistic, TypeStatusCode,
	TypeStringAttribute, TypeRateLimiting, TypeBytesLimiting, TypeSpanCount, TypeTraceState,
	TypeTraceFlags, TypeBooleanAttribute, TypeOTTLCondition,
}

var unsupportedTypes = []string{TypeTraceFlags}

var processorKeys = []string{
	"decision_wait", "num_traces", "expected_new_traces_per_sec", "decision_cache", "policies",
	"sample_on_first_match", "drop_pending_traces_on_shutdown", "block_on_overflow",
	"maximum_trace_size_bytes", "decision_wait_after_root_received", "sampling_strategy",
	"num_shards", "tail_storage",
}

// parser collects errors while walking one file.
type parser struct {
	file string
	errs ErrorList
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	e := &Error{File: p.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

// Parse reads a Collector config (the whole file, picking the
// tail_sampling processor, or the one named by processor) or a bare
// processor block (a mapping with policies). Errors are an ErrorList with
// file:line:col positions.
func Parse(file string, data []byte, processor string) (*Config, error) {
	p := &parser{file: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(file, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, ErrorList{{File: file, Msg: "empty config"}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "want a mapping, got %s", kindName(root))
		return nil, p.errs
	}
	block, id := p.locate(root, processor)
	if block == nil {
		return nil, p.errs
	}
	cfg := p.processor(block)
	if cfg != nil {
		cfg.File, cfg.Processor = file, id
	}
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool {
			a, b := p.errs[i], p.errs[j]
			return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
		})
		return nil, p.errs
	}
	return cfg, nil
}

// yamlError turns a YAML syntax error ("yaml: line 3: ...") into an Error.
func yamlError(file string, err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	var line int
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ":"); ok {
			if l, err := strconv.Atoi(n); err == nil {
				line, msg = l, strings.TrimSpace(after)
			}
		}
	}
	return ErrorList{{File: file, Line: line, Col: 1, Msg: msg}}
}

// locate finds the processor block in root and returns it with its ID.
func (p *parser) locate(root *yaml.Node, want string) (*yaml.Node, string) {
	if lookup(root, "policies") != nil {
		if want != "" {
			p.errorf(root, "--processor %s given, but this is a bare processor block", want)
			return nil, ""
		}
		return root, ""
	}
	procs := root
	if n := lookup(root, "processors"); n != nil {
		if n.Kind != yaml.MappingNode {
			p.errorf(n, "processors: want a mapping, got %s", kindName(n))
			return nil, ""
		}
		procs = n
	}
	var ids []string
	var nodes []*yaml.Node
	for i := 0; i+1 < len(procs.Content); i += 2 {
		k := procs.Content[i].Value
		if k == "tail_sampling" || strings.HasPrefix(k, "tail_sampling/") {
			ids = append(ids, k)
			nodes = append(nodes, procs.Content[i+1])
		}
	}
	switch {
	case want != "":
		if i := slices.Index(ids, want); i >= 0 {
			return p.block(nodes[i], want)
		}
		p.errorf(procs, "no processor %q (tail_sampling processors here: %s)", want, listOrNone(ids))
	case len(ids) == 1:
		return p.block(nodes[0], ids[0])
	case len(ids) == 0:
		p.errorf(procs, "no tail_sampling processor and no policies: want a Collector config or a processor block")
	default:
		if i := slices.Index(ids, "tail_sampling"); i >= 0 {
			return p.block(nodes[i], ids[i])
		}
		p.errorf(procs, "several tail_sampling processors (%s): choose one with --processor", strings.Join(ids, ", "))
	}
	return nil, ""
}

func (p *parser) block(n *yaml.Node, id string) (*yaml.Node, string) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: want a mapping, got %s", id, kindName(n))
		return nil, ""
	}
	return n, id
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// processor decodes the processor block.
func (p *parser) processor(n *yaml.Node) *Config {
	cfg := &Config{DecisionWait: 30 * time.Second, NumTraces: 50000}
	f := p.fields(n, "processor", processorKeys)
	if v := f["decision_wait"]; v != nil {
		if d, ok := p.duration(v, "decision_wait"); ok {
			cfg.DecisionWait = d
		}
	}
	if v := f["num_traces"]; v != nil {
		if i, ok := p.int(v, "num_traces"); ok {
			if i < 0 {
				p.errorf(v, "num_traces: must not be negative")
			} else {
				cfg.NumTraces = uint64(i)
			}
		}
	}
	if v := f["sample_on_first_match"]; v != nil {
		cfg.SampleOnFirstMatch, _ = p.bool(v, "sample_on_first_match")
	}
	if v := f["drop_pending_traces_on_shutdown"]; v != nil {
		p.bool(v, "drop_pending_traces_on_shutdown")
	}
	if v := f["block_on_overflow"]; v != nil {
		cfg.BlockOnOverflow, _ = p.bool(v, "block_on_overflow")
	}
	if v := f["expected_new_traces_per_sec"]; v != nil {
		p.int(v, "expected_new_traces_per_sec")
	}
	// These change which spans a decision sees or split the table and the
	// limits; replaying without them would be silently wrong.
	if v := f["num_shards"]; v != nil {
		if i, ok := p.int(v, "num_shards"); ok && i > 1 {
			p.errorf(v, "num_shards: %d shards are %s (1 is)", i, Unsupported)
		}
	}
	if v := f["maximum_trace_size_bytes"]; v != nil {
		if i, ok := p.int(v, "maximum_trace_size_bytes"); ok && i > 0 {
			p.errorf(v, "maximum_trace_size_bytes: a limit is %s", Unsupported)
		}
	}
	if v := f["decision_wait_after_root_received"]; v != nil {
		if d, ok := p.duration(v, "decision_wait_after_root_received"); ok && d > 0 {
			p.errorf(v, "decision_wait_after_root_received: is %s", Unsupported)
		}
	}
	if v := f["sampling_strategy"]; v != nil {
		if s, ok := p.str(v, "sampling_strategy"); ok && s != "trace-complete" && s != "span-ingest" {
			p.errorf(v, "sampling_strategy: %q, want trace-complete or span-ingest", s)
		} else if s == "span-ingest" {
			p.errorf(v, "sampling_strategy: span-ingest is %s", Unsupported)
		}
	}
	if v := f["decision_cache"]; v != nil {
		dc := p.fields(v, "decision_cache", []string{"sampled_cache_size", "non_sampled_cache_size"})
		if x := dc["sampled_cache_size"]; x != nil {
			cfg.SampledCacheSize, _ = p.int(x, "decision_cache.sampled_cache_size")
		}
		if x := dc["non_sampled_cache_size"]; x != nil {
			cfg.NonSampledCacheSize, _ = p.int(x, "decision_cache.non_sampled_cache_size")
		}
	}
	pol := f["policies"]
	if pol == nil {
		p.errorf(n, "policies: required")
		return cfg
	}
	if pol.Kind != yaml.SequenceNode {
		p.errorf(pol, "policies: want a list, got %s", kindName(pol))
		return cfg
	}
	if len(pol.Content) == 0 {
		p.errorf(pol, "policies: empty list")
	}
	seen := map[string]bool{}
	var drops, rest []*Policy
	for _, item := range pol.Content {
		pl := p.policy(item, "", levelTop)
		if pl == nil {
			continue
		}
		if pl.Name != "" {
			if seen[pl.Name] {
				p.errorf(item, "duplicate policy name %q", pl.Name)
			}
			seen[pl.Name] = true
		}
		if pl.Type == TypeDrop {
			drops = append(drops, pl)
		} else {
			rest = append(rest, pl)
		}
	}
	cfg.Policies = append(drops, rest...)
	cfg.indexLeaves()
	return cfg
}

// indexLeaves numbers the policies that have an evaluator, depth first.
func (c *Config) indexLeaves() {
	c.leaves = 0
	var walk func(p *Policy)
	walk = func(p *Policy) {
		p.leaf = -1
		if p.eval != nil {
			p.leaf = c.leaves
			c.leaves++
		}
		for _, s := range p.Subs {
			walk(s)
		}
	}
	for _, p := range c.Policies {
		walk(p)
	}
}

// policyKeys are the keys a policy mapping may have.
var policyKeys = append([]string{"name", "type", "and", "not", "drop", "composite"}, leafTypes...)

// Where a policy sits, as the Collector's config structs allow: every
// type at the top level; leaf types and and inside composite
// (CompositeSubPolicyCfg); leaf types and not inside and and drop
// (AndSubPolicyCfg); leaf types only inside not (NotSubPolicyCfg). Leaf
// types include rate_limiting and bytes_limiting everywhere.
const (
	levelTop = iota
	levelComposite
	levelAndSub
	levelNotSub
)

// policy decodes one policy; parent names the enclosing policy for
// messages ("" at the top level).
func (p *parser) policy(n *yaml.Node, parent string, level int) *Policy {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "policy: want a mapping, got %s", kindName(n))
		return nil
	}
	f := p.fields(n, "policy", policyKeys)
	pl := &Policy{Line: n.Line}
	if v := f["name"]; v != nil {
		pl.Name, _ = p.str(v, "name")
	}
	where := fmt.Sprintf("policy %q", pl.Name)
	if parent != "" {
		where = fmt.Sprintf("policy %q: sub-policy %q", parent, pl.Name)
	}
	if pl.Name == "" {
		p.errorf(n, "%s: name: required", where)
	}
	tn := f["type"]
	if tn == nil {
		p.errorf(n, "%s: type: required", where)
		return nil
	}
	pl.Type, _ = p.str(tn, "type")
	switch {
	case slices.Contains(leafTypes, pl.Type):
	case level == levelTop && (pl.Type == TypeAnd || pl.Type == TypeNot || pl.Type == TypeDrop || pl.Type == TypeComposite):
	case level == levelComposite && pl.Type == TypeAnd:
	case level == levelAndSub && pl.Type == TypeNot:
	case slices.Contains([]string{TypeAnd, TypeNot, TypeDrop, TypeComposite}, pl.Type):
		p.errorf(tn, "%s: type %s is not allowed inside %s", where, pl.Type, parent)
		return nil
	default:
		p.errorf(tn, "%s: unknown policy type %q", where, pl.Type)
		return nil
	}
	if slices.Contains(unsupportedTypes, pl.Type) {
		p.errorf(tn, "%s: type %s is %s", where, pl.Type, Unsupported)
		return nil
	}
	body := f[pl.Type]
	if body == nil {
		body = &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	} else if body.Kind != yaml.MappingNode {
		p.errorf(body, "%s: %s: want a mapping, got %s", where, pl.Type, kindName(body))
		return nil
	}
	pl.eval = p.evaluator(pl, body, where)
	return pl
}

// evaluator decodes the type-specific block of pl.
func (p *parser) evaluator(pl *Policy, n *yaml.Node, where string) evaluator {
	ctx := where + ": " + pl.Type
	switch pl.Type {
	case TypeAlwaysSample:
		p.fields(n, ctx, nil)
		return alwaysSample{}
	case TypeLatency:
		f := p.fields(n, ctx, []string{"threshold_ms", "upper_threshold_ms"})
		var e latency
		if v := f["threshold_ms"]; v != nil {
			e.threshold, _ = p.int(v, ctx+".threshold_ms")
		}
		if v := f["upper_threshold_ms"]; v != nil {
			e.upper, _ = p.int(v, ctx+".upper_threshold_ms")
		}
		if e.threshold < 0 || e.upper < 0 {
			p.errorf(n, "%s: thresholds must not be negative", ctx)
		} else if e.upper != 0 && e.upper <= e.threshold {
			p.errorf(n, "%s: upper_threshold_ms (%d) must be above threshold_ms (%d)", ctx, e.upper, e.threshold)
		}
		return e
	case TypeNumericAttribute:
		f := p.fields(n, ctx, []string{"key", "min_value", "max_value", "invert_match"})
		e := numericAttribute{key: p.key(n, f, ctx), min: math.MinInt64, max: math.MaxInt64}
		// The Collector reads 0 as "not set" for both bounds.
		var lo, hi int64
		if v := f["min_value"]; v != nil {
			lo, _ = p.int(v, ctx+".min_value")
		}
		if v := f["max_value"]; v != nil {
			hi, _ = p.int(v, ctx+".max_value")
		}
		if lo == 0 && hi == 0 {
			p.errorf(n, "%s: set min_value or max_value (0 means not set)", ctx)
		}
		if lo != 0 {
			e.min = lo
		}
		if hi != 0 {
			e.max = hi
		}
		if e.min > e.max {
			p.errorf(n, "%s: min_value %d is above max_value %d", ctx, e.min, e.max)
		}
		if v := f["invert_match"]; v != nil {
			e.invert, _ = p.bool(v, ctx+".invert_match")
		}
		return e
	case TypeProbabilistic:
		f := p.fields(n, ctx, []string{"hash_salt", "sampling_percentage"})
		salt := ""
		if v := f["hash_salt"]; v != nil {
			salt, _ = p.str(v, ctx+".hash_salt")
		}
		var pct float64
		if v := f["sampling_percentage"]; v != nil {
			var ok bool
			if pct, ok = p.float(v, ctx+".sampling_percentage"); ok && (pct < 0 || pct > 100 || math.IsNaN(pct)) {
				p.errorf(v, "%s.sampling_percentage: %v is out of range [0, 100]", ctx, pct)
			}
		}
		return newProbabilistic(salt, pct)
	case TypeOTTLCondition:
		f := p.fields(n, ctx, []string{"error_mode", "span", "spanevent"})
		if v := f["error_mode"]; v != nil {
			if m, ok := p.str(v, ctx+".error_mode"); ok && m != "ignore" && m != "propagate" && m != "silent" {
				p.errorf(v, "%s.error_mode: %q, want ignore, propagate or silent", ctx, m)
			}
		}
		var e ottlCondition
		if v := f["error_mode"]; v != nil {
			e.errorMode = v.Value
		}
		for _, part := range []struct {
			key   string
			event bool
		}{{"span", false}, {"spanevent", true}} {
			v := f[part.key]
			if v == nil {
				continue
			}
			srcs, _ := p.strings(v, ctx+"."+part.key)
			for i, src := range srcs {
				c, err := parseOTTL(src, part.event)
				if err != nil {
					p.errorf(v.Content[i], "%s.%s: %q: %v", ctx, part.key, src, err)
					continue
				}
				if part.event {
					e.event, e.eventSrc = append(e.event, c), append(e.eventSrc, src)
				} else {
					e.span, e.spanSrc = append(e.span, c), append(e.spanSrc, src)
				}
			}
		}
		if len(e.span)+len(e.event) == 0 && len(p.errs) == 0 {
			p.errorf(n, "%s: set span or spanevent conditions", ctx)
		}
		return e
	case TypeStatusCode:
		f := p.fields(n, ctx, []string{"status_codes"})
		var e statusCode
		v := f["status_codes"]
		codes, _ := p.strings(v, ctx+".status_codes")
		if len(codes) == 0 {
			p.errorf(n, "%s.status_codes: at least one of OK, ERROR, UNSET", ctx)
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
				p.errorf(v.Content[i], "%s.status_codes: unknown status code %q, want OK, ERROR or UNSET", ctx, c)
			}
		}
		return e
	case TypeStringAttribute:
		f := p.fields(n, ctx, []string{"key", "values", "enabled_regex_matching", "cache_max_size", "invert_match"})
		e := &stringAttribute{key: p.key(n, f, ctx)}
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
		if e.regex {
			for i, s := range values {
				re, err := regexp.Compile(s)
				if err != nil {
					p.errorf(vn.Content[i], "%s.values: invalid regex %q: %v", ctx, s, err)
					continue
				}
				e.patterns = append(e.patterns, re)
			}
		} else {
			e.values = map[string]bool{}
			for _, s := range values {
				if s != "" {
					e.values[s] = true
				}
			}
		}
		e.display = values
		return e
	case TypeSpanCount:
		f := p.fields(n, ctx, []string{"min_spans", "max_spans"})
		var e spanCount
		if v := f["min_spans"]; v != nil {
			e.min, _ = p.int(v, ctx+".min_spans")
		}
		if v := f["max_spans"]; v != nil {
			e.max, _ = p.int(v, ctx+".max_spans")
		}
		if e.min > math.MaxInt32 || e.max > math.MaxInt32 || e.min < math.MinInt32 || e.max < math.MinInt32 {
			p.errorf(n, "%s: min_spans and max_spans must fit in 32 bits", ctx)
		}
		if e.max != 0 && e.max < e.min {
			p.errorf(n, "%s: max_spans %d is below min_spans %d", ctx, e.max, e.min)
		}
		return e
	case TypeTraceState:
		f := p.fields(n, ctx, []string{"key", "values"})
		e := traceState{key: p.key(n, f, ctx), values: map[string]bool{}}
		values, _ := p.strings(f["values"], ctx+".values")
		for _, v := range values {
			if v != "" && len(e.key)+len(v) < 256 {
				e.values[v] = true
			}
		}
		e.display = values
		return e
	case TypeBooleanAttribute:
		f := p.fields(n, ctx, []string{"key", "value", "invert_match"})
		e := booleanAttribute{key: p.key(n, f, ctx)}
		if v := f["value"]; v != nil {
			e.value, _ = p.bool(v, ctx+".value")
		}
		if v := f["invert_match"]; v != nil {
			e.invert, _ = p.bool(v, ctx+".invert_match")
		}
		return e
	case TypeAnd, TypeDrop:
		key := "and_sub_policy"
		if pl.Type == TypeDrop {
			key = "drop_sub_policy"
		}
		f := p.fields(n, ctx, []string{key})
		subs := f[key]
		if subs == nil || subs.Kind != yaml.SequenceNode || len(subs.Content) == 0 {
			at := n
			if subs != nil {
				at = subs
			}
			p.errorf(at, "%s.%s: want a non-empty list of policies", ctx, key)
			return nil
		}
		for _, s := range subs.Content {
			if sp := p.policy(s, pl.Name, levelAndSub); sp != nil {
				pl.Subs = append(pl.Subs, sp)
			}
		}
		return nil
	case TypeBytesLimiting:
		f := p.fields(n, ctx, []string{"bytes_per_second", "burst_capacity"})
		var bps, burst int64
		if v := f["bytes_per_second"]; v != nil {
			bps, _ = p.int(v, ctx+".bytes_per_second")
		}
		if v := f["burst_capacity"]; v != nil {
			burst, _ = p.int(v, ctx+".burst_capacity")
		}
		if bps <= 0 {
			p.errorf(n, "%s.bytes_per_second: must be above 0", ctx)
		}
		if burst <= 0 {
			burst = 2 * bps
		}
		pl.bytes = &rateSpec{sps: bps, burst: burst}
		return nil
	case TypeRateLimiting:
		f := p.fields(n, ctx, []string{"spans_per_second", "burst_capacity"})
		var sps, burst int64
		if v := f["spans_per_second"]; v != nil {
			sps, _ = p.int(v, ctx+".spans_per_second")
		}
		if v := f["burst_capacity"]; v != nil {
			burst, _ = p.int(v, ctx+".burst_capacity")
		}
		if sps <= 0 {
			p.errorf(n, "%s.spans_per_second: must be above 0", ctx)
		}
		if burst <= 0 {
			burst = 2 * sps
		}
		pl.rate = &rateSpec{sps: sps, burst: burst}
		return nil
	case TypeComposite:
		f := p.fields(n, ctx, []string{"max_total_spans_per_second", "policy_order", "composite_sub_policy", "rate_allocation"})
		c := &compositeSpec{}
		if v := f["max_total_spans_per_second"]; v != nil {
			c.maxTotal, _ = p.int(v, ctx+".max_total_spans_per_second")
		}
		if c.maxTotal <= 0 {
			p.errorf(n, "%s.max_total_spans_per_second: must be above 0", ctx)
		}
		if v := f["policy_order"]; v != nil {
			p.strings(v, ctx+".policy_order") // read but ignored, as by the Collector
		}
		subs := f["composite_sub_policy"]
		if subs == nil || subs.Kind != yaml.SequenceNode || len(subs.Content) == 0 {
			at := n
			if subs != nil {
				at = subs
			}
			p.errorf(at, "%s.composite_sub_policy: want a non-empty list of policies", ctx)
			return nil
		}
		for _, s := range subs.Content {
			if sp := p.policy(s, pl.Name, levelComposite); sp != nil {
				pl.Subs = append(pl.Subs, sp)
			}
		}
		percent := map[string]int64{}
		if v := f["rate_allocation"]; v != nil {
			if v.Kind != yaml.SequenceNode {
				p.errorf(v, "%s.rate_allocation: want a list, got %s", ctx, kindName(v))
			} else {
				for _, a := range v.Content {
					af := p.fields(a, ctx+".rate_allocation", []string{"policy", "percent"})
					var name string
					var pct int64
					if x := af["policy"]; x != nil {
						name, _ = p.str(x, ctx+".rate_allocation.policy")
					}
					if x := af["percent"]; x != nil {
						if pct, _ = p.int(x, ctx+".rate_allocation.percent"); pct < 0 || pct > 100 {
							p.errorf(x, "%s.rate_allocation.percent: %d is out of range [0, 100]", ctx, pct)
						}
					}
					if !slices.ContainsFunc(pl.Subs, func(s *Policy) bool { return s.Name == name }) {
						p.errorf(a, "%s.rate_allocation: no sub-policy %q", ctx, name)
					}
					percent[name] = pct
				}
			}
		}
		// Allocation per sub-policy: percent% of the total, or an equal
		// share when the percent is missing or 0 (truncated to whole spans).
		for _, s := range pl.Subs {
			alloc := float64(c.maxTotal) / float64(len(subs.Content))
			if pct := percent[s.Name]; pct > 0 {
				alloc = float64(pct) / 100 * float64(c.maxTotal)
			}
			c.alloc = append(c.alloc, int64(alloc))
		}
		pl.comp = c
		return nil
	case TypeNot:
		f := p.fields(n, ctx, []string{"not_sub_policy"})
		sub := f["not_sub_policy"]
		if sub == nil {
			p.errorf(n, "%s.not_sub_policy: required", ctx)
			return nil
		}
		if sp := p.policy(sub, pl.Name, levelNotSub); sp != nil {
			pl.Subs = []*Policy{sp}
		}
		return nil
	}
	return nil
}

// key returns the required key field.
func (p *parser) key(n *yaml.Node, f map[string]*yaml.Node, ctx string) string {
	v := f["key"]
	if v == nil {
		p.errorf(n, "%s.key: required", ctx)
		return ""
	}
	s, _ := p.str(v, ctx+".key")
	if s == "" {
		p.errorf(v, "%s.key: empty", ctx)
	}
	return s
}

// fields returns the values of mapping n by key, reporting keys not in
// allowed and repeated keys.
func (p *parser) fields(n *yaml.Node, ctx string, allowed []string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		if !(n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
			p.errorf(n, "%s: want a mapping, got %s", ctx, kindName(n))
		}
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(allowed, k.Value) {
			p.errorf(k, "%s: unknown field %q", ctx, k.Value)
			continue
		}
		if _, dup := out[k.Value]; dup {
			p.errorf(k, "%s: field %q repeated", ctx, k.Value)
		}
		out[k.Value] = n.Content[i+1]
	}
	return out
}

func lookup(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "nothing"
	}
	return fmt.Sprintf("%q", n.Value)
}

func (p *parser) scalar(n *yaml.Node, name string) bool {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		*n = *n.Alias
	}
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, "%s: want a value, got %s", name, kindName(n))
		return false
	}
	return true
}

func (p *parser) str(n *yaml.Node, name string) (string, bool) {
	if !p.scalar(n, name) {
		return "", false
	}
	if n.Tag == "!!null" {
		return "", true
	}
	return n.Value, true
}

func (p *parser) int(n *yaml.Node, name string) (int64, bool) {
	if !p.scalar(n, name) {
		return 0, false
	}
	var i int64
	if err := n.Decode(&i); err != nil {
		p.errorf(n, "%s: want an integer, got %q", name, n.Value)
		return 0, false
	}
	return i, true
}

func (p *parser) float(n *yaml.Node, name string) (float64, bool) {
	if !p.scalar(n, name) {
		return 0, false
	}
	var f float64
	if err := n.Decode(&f); err != nil {
		p.errorf(n, "%s: want a number, got %q", name, n.Value)
		return 0, false
	}
	return f, true
}

func (p *parser) bool(n *yaml.Node, name string) (bool, bool) {
	if !p.scalar(n, name) {
		return false, false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		p.errorf(n, "%s: want true or false, got %q", name, n.Value)
		return false, false
	}
	return b, true
}

func (p *parser) duration(n *yaml.Node, name string) (time.Duration, bool) {
	s, ok := p.str(n, name)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		if i, err2 := strconv.ParseInt(s, 10, 64); err2 == nil {
			return time.Duration(i), true // mapstructure reads a bare number as nanoseconds
		}
		p.errorf(n, "%s: want a duration like 10s, got %q", name, s)
		return 0, false
	}
	return d, true
}

func (p *parser) strings(n *yaml.Node, name string) ([]string, bool) {
	if n == nil {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s: want a list, got %s", name, kindName(n))
		return nil, false
	}
	out := make([]string, len(n.Content))
	for i, c := range n.Content {
		out[i], _ = p.str(c, name)
	}
	return out, true
}
