package sampler

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tracectl/tracectl/internal/suggest"
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
	// Warnings are what the Collector accepts but ignores (a policy field
	// it keeps as an extension config, settings of another policy type),
	// by position: most likely mistakes.
	Warnings ErrorList
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

// maxNumShards is the most num_shards the Collector accepts.
const maxNumShards = 256

// tailStorageGate is the feature gate the Collector wants for tail_storage.
const tailStorageGate = "processor.tailsamplingprocessor.tailstorageextension"

var processorKeys = []string{
	"decision_wait", "num_traces", "expected_new_traces_per_sec", "decision_cache", "policies",
	"sample_on_first_match", "drop_pending_traces_on_shutdown", "block_on_overflow",
	"maximum_trace_size_bytes", "decision_wait_after_root_received", "sampling_strategy",
	"num_shards", "tail_storage",
}

// parser collects errors while walking one file.
type parser struct {
	file  string
	errs  ErrorList
	warns ErrorList // what the Collector accepts but ignores
	// decodeOnly is set while reading a policy body the Collector decodes
	// but never builds a policy from (the latency: block of a status_code
	// policy): wrong fields and value types are errors, as in its
	// decoder; what only building the policy refuses is not.
	decodeOnly bool
}

// semanticf reports an error the Collector raises when it builds a
// policy, not when it decodes the config: none in a decode-only body.
func (p *parser) semanticf(n *yaml.Node, format string, args ...any) {
	if !p.decodeOnly {
		p.errorf(n, format, args...)
	}
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	e := &Error{File: p.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

// warnf reports what the Collector accepts but never reads (a misspelt
// policy field): not an error, since the config loads, but likely a
// mistake.
func (p *parser) warnf(n *yaml.Node, format string, args ...any) {
	if p.decodeOnly {
		return
	}
	e := &Error{File: p.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	p.warns = append(p.warns, e)
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
	root := p.expand(doc.Content[0])
	if root == nil {
		return nil, p.sorted()
	}
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
		return nil, p.sorted()
	}
	if errs := collectorDecodeErrors(file, data); errs != nil {
		return nil, errs
	}
	cfg.Warnings = byPosition(p.warns)
	return cfg, nil
}

// sorted returns p's errors by position, each once: a node reached
// through several aliases is checked once per use.
func (p *parser) sorted() ErrorList { return byPosition(p.errs) }

// byPosition sorts l by position and drops repeats (in place).
func byPosition(l ErrorList) ErrorList {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
	seen := map[Error]bool{}
	return slices.DeleteFunc(l, func(e *Error) bool {
		dup := seen[*e]
		seen[*e] = true
		return dup
	})
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
	if isProcessorBlock(root) {
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

// isProcessorBlock tells whether the mapping n is a bare processor block
// rather than a Collector config: it has a processor key (policies are
// optional for the Collector).
func isProcessorBlock(n *yaml.Node) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if slices.Contains(processorKeys, n.Content[i].Value) {
			return true
		}
	}
	return false
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
		cfg.NumTraces, _ = p.uint(v, "num_traces", 64)
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
		p.uint(v, "expected_new_traces_per_sec", 64)
	}
	// These change which spans a decision sees or split the table and the
	// limits; replaying without them would be silently wrong.
	if v := f["num_shards"]; v != nil {
		// 0 means 1 to the Collector, which refuses more than 256.
		if i, ok := p.uint(v, "num_shards", 32); ok && i > maxNumShards {
			p.errorf(v, "num_shards: %d is more than the Collector's maximum of %d", i, maxNumShards)
		} else if i > 1 {
			p.errorf(v, "num_shards: %d shards are %s (1 is)", i, Unsupported)
		}
	}
	if v := f["maximum_trace_size_bytes"]; v != nil {
		if i, ok := p.uint(v, "maximum_trace_size_bytes", 64); ok && i > 0 {
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
	if v := f["tail_storage"]; v != nil && !(v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
		// The Collector refuses it unless the gate is on; tracectl follows
		// the default gates.
		p.errorf(v, "tail_storage: needs the Collector feature gate %s, which is off by default (--feature-gates=+%s)", tailStorageGate, tailStorageGate)
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
	// The Collector accepts a processor without policies: it keeps nothing.
	pol := f["policies"]
	if pol == nil || pol.Kind == yaml.ScalarNode && pol.Tag == "!!null" {
		return cfg
	}
	if pol.Kind != yaml.SequenceNode {
		p.errorf(pol, "policies: want a list, got %s", kindName(pol))
		return cfg
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

// sharedBodies are the policy body keys of the Collector's
// sharedPolicyCfg: always_sample and trace_flags have no body there.
var sharedBodies = []string{
	TypeLatency, TypeNumericAttribute, TypeProbabilistic, TypeStatusCode, TypeStringAttribute,
	TypeRateLimiting, TypeBytesLimiting, TypeSpanCount, TypeTraceState, TypeBooleanAttribute, TypeOTTLCondition,
}

// levelBodies are the body keys the Collector's policy struct has at each
// level. It keeps any other key, as a mapping, for a policy extension
// (its ",remain" field) and ignores it unless the type names the
// extension.
var levelBodies = [...][]string{
	levelTop:       append([]string{TypeAnd, TypeNot, TypeDrop, TypeComposite}, sharedBodies...),
	levelComposite: append([]string{TypeAnd}, sharedBodies...),
	levelAndSub:    append([]string{TypeNot}, sharedBodies...),
	levelNotSub:    sharedBodies,
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// policyFields returns the fields of policy mapping n by key, reporting
// repeated keys and extension keys whose value is not a mapping.
func (p *parser) policyFields(n *yaml.Node, level int) map[string]*yaml.Node {
	ctx := "policy"
	if v := lookup(n, "name"); v != nil && v.Kind == yaml.ScalarNode && !isNull(v) {
		ctx = fmt.Sprintf("policy %q", v.Value)
	}
	f := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, dup := f[k.Value]; dup {
			p.errorf(k, "%s: field %q repeated", ctx, k.Value)
		}
		f[k.Value] = v
		if k.Value == "name" || k.Value == "type" || slices.Contains(levelBodies[level], k.Value) {
			continue
		}
		if v.Kind != yaml.MappingNode && !isNull(v) {
			p.errorf(k, "%s: unknown field %q (the Collector reads other fields as policy extension configs, which must be mappings; got %s)", ctx, k.Value, kindName(v))
			continue
		}
		hint := ""
		if c := suggest.Closest(k.Value, append([]string{"name", "type"}, levelBodies[level]...)); c != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", c)
		}
		p.warnf(k, "%s: field %q is ignored: the Collector keeps it as a policy extension config%s", ctx, k.Value, hint)
	}
	return f
}

// decodeBodies decodes the bodies in f that no policy is built from (all
// of them when p.decodeOnly, else those not of type own), as the
// Collector's decoder checks them.
func (p *parser) decodeBodies(f map[string]*yaml.Node, level int, name, own, where string) {
	saved := p.decodeOnly
	defer func() { p.decodeOnly = saved }()
	for _, typ := range levelBodies[level] {
		v := f[typ]
		if v == nil || typ == own && !saved || isNull(v) {
			continue
		}
		p.decodeOnly = true
		if v.Kind != yaml.MappingNode {
			p.errorf(v, "%s: %s: want a mapping, got %s", where, typ, kindName(v))
			continue
		}
		policyParsers[typ](p, &Policy{Name: name, Type: typ}, v, where+": "+typ)
	}
}

// policy decodes one policy; parent names the enclosing policy for
// messages ("" at the top level).
func (p *parser) policy(n *yaml.Node, parent string, level int) *Policy {
	if p.decodeOnly && isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "policy: want a mapping, got %s", kindName(n))
		return nil
	}
	f := p.policyFields(n, level)
	pl := &Policy{Line: n.Line}
	if v := f["name"]; v != nil {
		pl.Name, _ = p.str(v, "name")
	}
	where := fmt.Sprintf("policy %q", pl.Name)
	if parent != "" {
		where = fmt.Sprintf("policy %q: sub-policy %q", parent, pl.Name)
	}
	tn := f["type"]
	if tn != nil {
		pl.Type, _ = p.str(tn, "type")
	}
	p.decodeBodies(f, level, pl.Name, pl.Type, where)
	if p.decodeOnly {
		return nil
	}
	for _, typ := range levelBodies[level] {
		if v := f[typ]; v != nil && typ != pl.Type && !isNull(v) {
			p.warnf(v, "%s: the %s settings are ignored by a policy of type %s", where, typ, pl.Type)
		}
	}
	// The Collector wants a name on top-level policies only; sub-policies
	// may have none (or share one).
	if pl.Name == "" && level == levelTop {
		p.errorf(n, "%s: name: required", where)
	}
	if tn == nil {
		p.errorf(n, "%s: type: required", where)
		return nil
	}
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
	if body == nil || isNull(body) || !slices.Contains(levelBodies[level], pl.Type) {
		// always_sample has no body: an always_sample mapping is an
		// extension config to the Collector, never read.
		body = &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	} else if body.Kind != yaml.MappingNode {
		p.errorf(body, "%s: %s: want a mapping, got %s", where, pl.Type, kindName(body))
		return nil
	}
	pl.eval = p.evaluator(pl, body, where)
	return pl
}

// key returns the key field. The Collector accepts it missing or empty:
// such a policy looks for an attribute named "".
func (p *parser) key(f map[string]*yaml.Node, ctx string) string {
	v := f["key"]
	if v == nil {
		return ""
	}
	s, _ := p.str(v, ctx+".key")
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
	}
	if n.Tag == "!!null" {
		return "nothing"
	}
	return fmt.Sprintf("%q", n.Value)
}

func (p *parser) scalar(n *yaml.Node, name string) bool {
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

// uint reads an unsigned field of the given bit size as the Collector's
// decoder does: a negative number is an error, a bigger one keeps its low
// bits (4294967297 is 1 in 32 bits).
func (p *parser) uint(n *yaml.Node, name string, bits int) (uint64, bool) {
	if !p.scalar(n, name) {
		return 0, false
	}
	var u uint64
	if err := n.Decode(&u); err != nil {
		var i int64
		if n.Decode(&i) == nil && i < 0 {
			p.errorf(n, "%s: %d is negative, want 0 or more", name, i)
		} else {
			p.errorf(n, "%s: want a non-negative integer, got %q", name, n.Value)
		}
		return 0, false
	}
	if bits < 64 {
		u &= 1<<bits - 1
	}
	return u, true
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

// duration reads a duration as the Collector's decoder does: a string
// in time.ParseDuration's form; a bare number is nanoseconds (a fraction
// truncated); null is 0.
func (p *parser) duration(n *yaml.Node, name string) (time.Duration, bool) {
	if !p.scalar(n, name) {
		return 0, false
	}
	switch n.ShortTag() {
	case "!!null":
		return 0, true
	case "!!int", "!!float":
		var i int64
		if err := n.Decode(&i); err == nil {
			return time.Duration(i), true
		}
	case "!!str":
		if d, err := time.ParseDuration(n.Value); err == nil {
			return d, true
		}
	}
	p.errorf(n, "%s: want a duration like 10s, got %q", name, n.Value)
	return 0, false
}

func (p *parser) strings(n *yaml.Node, name string) ([]string, bool) {
	if n == nil {
		return nil, false
	}
	if isNull(n) {
		return nil, true // an empty list to the Collector
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
