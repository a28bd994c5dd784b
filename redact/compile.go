package redact

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/tracectl/tracectl/model"
)

// target is a set of places a rule works on.
type target uint16

const (
	tResource target = 1 << iota
	tScope
	tSpan
	tEvent
	tLink
	tSpanName
	tEventName
	tStatusMessage
)

// attrTargets are the attribute maps; the rest are single strings.
const attrTargets = tResource | tScope | tSpan | tEvent | tLink

var targetNames = []struct {
	name string
	t    target
}{
	{"resource", tResource}, {"scope", tScope}, {"span", tSpan}, {"event", tEvent}, {"link", tLink},
	{"span_name", tSpanName}, {"event_name", tEventName}, {"status_message", tStatusMessage},
}

func targetList() string {
	var s []string
	for _, n := range targetNames {
		s = append(s, n.name)
	}
	return strings.Join(s, ", ")
}

// Default targets: the Collector's attributes processor in a traces
// pipeline works on span attributes; its redaction processor on resource,
// span and span-event attributes.
const (
	defaultAttributesTargets = tSpan
	defaultRedactionTargets  = tResource | tSpan | tEvent
)

// rule is a compiled RuleConfig.
type rule struct {
	name    string
	targets target
	include *matcher
	exclude *matcher
	actions []action   // attributes rules
	red     *redaction // redaction rules
	hash    hasher     // the attributes hash action
}

type compiler struct {
	file string
	opts Options
	errs ErrorList
}

func (c *compiler) errorf(p Pos, format string, args ...any) {
	c.errs = append(c.errs, &Error{File: c.file, Pos: p, Msg: fmt.Sprintf(format, args...)})
}

func (c *compiler) rule(rc *RuleConfig, i int) *rule {
	r := &rule{name: rc.Name}
	if r.name == "" {
		r.name = "rule-" + strconv.Itoa(i+1)
	}
	n0 := len(c.errs)
	switch {
	case rc.Attributes != nil && rc.Redaction != nil:
		c.errorf(rc.Pos, "rule %q: set either attributes or redaction, not both", r.name)
		return nil
	case rc.Attributes != nil:
		r.targets = c.targets(rc, r.name, defaultAttributesTargets)
		if r.targets&^attrTargets != 0 {
			c.errorf(rc.Pos, "rule %q: attributes actions work on attribute maps (resource, scope, span, event, link); use a redaction rule for span_name, event_name and status_message", r.name)
		}
		c.attributes(r, rc.Attributes)
	case rc.Redaction != nil:
		r.targets = c.targets(rc, r.name, defaultRedactionTargets)
		r.red = c.redaction(r.name, rc.Redaction)
	default:
		c.errorf(rc.Pos, "rule %q: want an attributes or a redaction block", r.name)
		return nil
	}
	if len(c.errs) > n0 {
		return nil
	}
	return r
}

func (c *compiler) targets(rc *RuleConfig, name string, def target) target {
	if len(rc.ApplyTo) == 0 {
		return def
	}
	var t target
outer:
	for i, s := range rc.ApplyTo {
		for _, n := range targetNames {
			if s == n.name {
				t |= n.t
				continue outer
			}
		}
		c.errorf(rc.At.at(fmt.Sprintf("apply_to[%d]", i), rc.At.at("apply_to", rc.Pos)), "rule %q: unknown apply_to %q (want %s)", name, s, targetList())
	}
	return t
}

// Actions of the attributes processor.
const (
	actInsert  = "insert"
	actUpdate  = "update"
	actUpsert  = "upsert"
	actDelete  = "delete"
	actHash    = "hash"
	actExtract = "extract"
	actConvert = "convert"
)

type action struct {
	kind      string
	key       string
	re        *regexp.Regexp
	value     *model.Value
	fromAttr  string
	def       *model.Value
	convType  string
	groupKeys []string // extract: the named groups, index 1..
}

func (c *compiler) attributes(r *rule, ac *AttributesConfig) {
	r.include = c.matcher(r, "include", ac.Include)
	r.exclude = c.matcher(r, "exclude", ac.Exclude)
	r.hash = newHasher(c.opts.HashKey)
	if len(ac.Actions) == 0 {
		c.errorf(ac.Pos, "rule %q: attributes needs at least one action", r.name)
	}
	for i := range ac.Actions {
		if a, ok := c.action(r.name, &ac.Actions[i]); ok {
			r.actions = append(r.actions, a)
		}
	}
}

func (c *compiler) action(rule string, ac *ActionConfig) (action, bool) {
	kind := strings.ToLower(ac.Action)
	a := action{kind: kind, key: ac.Key}
	n0 := len(c.errs)
	bad := func(format string, args ...any) {
		c.errorf(ac.Pos, "rule %q: action %q on key %q: %s", rule, kind, ac.Key, fmt.Sprintf(format, args...))
	}
	sources := 0
	for _, set := range []bool{ac.Value != nil, ac.FromAttribute != "", ac.FromContext != ""} {
		if set {
			sources++
		}
	}
	switch kind {
	case actDelete, actHash:
		if ac.Key == "" && ac.Pattern == "" {
			bad("needs key and/or pattern")
		}
		if sources > 0 || ac.DefaultValue != nil || ac.ConvertedType != "" {
			bad("takes only key and pattern")
		}
		if ac.Pattern != "" {
			a.re = c.regexp(ac.Pos, rule, ac.Pattern)
		}
	case actInsert, actUpdate, actUpsert:
		if ac.Key == "" {
			bad("needs key")
		}
		if sources == 0 && ac.DefaultValue == nil {
			bad("needs one of value, from_attribute, default_value")
		}
		if sources > 1 {
			bad("more than one of value, from_attribute, from_context")
		}
		if ac.FromContext != "" {
			bad("from_context reads the request that carried the spans, which offline data does not have")
		}
		if ac.Pattern != "" || ac.ConvertedType != "" {
			bad("does not take pattern or converted_type")
		}
		if ac.Value != nil {
			v, err := rawValue(ac.Value)
			if err != nil {
				bad("value: %v", err)
			}
			a.value = &v
		}
		if ac.DefaultValue != nil {
			v, err := rawValue(ac.DefaultValue)
			if err != nil {
				bad("default_value: %v", err)
			}
			a.def = &v
		}
		a.fromAttr = ac.FromAttribute
	case actExtract:
		if ac.Key == "" || ac.Pattern == "" {
			bad("needs key and pattern")
		}
		if sources > 0 || ac.DefaultValue != nil || ac.ConvertedType != "" {
			bad("takes only key and pattern")
		}
		if ac.Pattern != "" {
			a.re = c.regexp(ac.Pos, rule, ac.Pattern)
		}
		if a.re != nil {
			names := a.re.SubexpNames()
			if len(names) <= 1 {
				bad("pattern has no named groups")
			}
			for _, n := range names[1:] {
				if n == "" {
					bad("pattern has an unnamed group; every group must be named (?P<name>...)")
					break
				}
			}
			a.groupKeys = names
		}
	case actConvert:
		if ac.Key == "" {
			bad("needs key")
		}
		if sources > 0 || ac.Pattern != "" || ac.DefaultValue != nil {
			bad("takes only key and converted_type")
		}
		switch ac.ConvertedType {
		case "int", "double", "string":
		case "":
			bad("needs converted_type (int, double or string)")
		default:
			bad("converted_type %q: want int, double or string", ac.ConvertedType)
		}
		a.convType = ac.ConvertedType
	case "":
		c.errorf(ac.Pos, "rule %q: action on key %q: missing \"action\" (want insert, update, upsert, delete, hash, extract or convert)", rule, ac.Key)
	default:
		c.errorf(ac.At.at("action", ac.Pos), "rule %q: unknown action %q (want insert, update, upsert, delete, hash, extract or convert)", rule, ac.Action)
	}
	return a, len(c.errs) == n0
}

func (c *compiler) regexp(p Pos, rule, pattern string) *regexp.Regexp {
	re, err := regexp.Compile(pattern)
	if err != nil {
		c.errorf(p, "rule %q: bad pattern %q: %v", rule, pattern, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		return nil
	}
	return re
}

func (c *compiler) regexps(p Pos, rule string, patterns []string) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, s := range patterns {
		if re := c.regexp(p, rule, s); re != nil {
			out = append(out, re)
		}
	}
	return out
}

// rawValue converts a YAML value to an attribute value as pcommon's
// FromRaw does: strings, integers, floats, booleans, lists and maps.
func rawValue(x any) (model.Value, error) {
	switch v := x.(type) {
	case string:
		return model.StringValue(v), nil
	case int:
		return model.IntValue(int64(v)), nil
	case int64:
		return model.IntValue(v), nil
	case uint64:
		return model.IntValue(int64(v)), nil
	case float64:
		return model.DoubleValue(v), nil
	case bool:
		return model.BoolValue(v), nil
	case []any:
		arr := []model.Value{}
		for _, e := range v {
			ev, err := rawValue(e)
			if err != nil {
				return model.Value{}, err
			}
			arr = append(arr, ev)
		}
		return model.ArrayValue(arr...), nil
	case map[string]any:
		m := []model.Attribute{}
		for k, e := range v {
			ev, err := rawValue(e)
			if err != nil {
				return model.Value{}, err
			}
			m = append(m, model.Attribute{Key: k, Value: ev})
		}
		sort.Slice(m, func(i, j int) bool { return m[i].Key < m[j].Key })
		return model.MapValue(m...), nil
	}
	return model.Value{}, fmt.Errorf("unsupported value %v (%T)", x, x)
}

// redaction is a compiled RedactionConfig.
type redaction struct {
	allowAll       bool
	allowed        map[string]bool
	ignored        map[string]bool
	ignoredRe      []*regexp.Regexp
	blockedKeyRe   []*regexp.Regexp
	blockedValRe   []*regexp.Regexp
	allowedValRe   []*regexp.Regexp
	detectors      []*Detector
	redactAllTypes bool
	mask           func(match string) string
	summary        string
	keyCache       map[string]uint8
	valueCache     map[string]maskedValue
}

// summaryKeys are always allowed, as in the Collector, so a summary left
// by an earlier processor survives fail-closed allow lists (the allowed.*
// keys are not among them there either).
var summaryKeys = []string{attrRedactedKeys, attrRedactedCount, attrMaskedKeys, attrMaskedCount, attrIgnoredCount}

// Summary levels of the redaction processor.
const (
	summaryDebug  = "debug"
	summaryInfo   = "info"
	summarySilent = "silent"
)

func (c *compiler) redaction(rule string, rc *RedactionConfig) *redaction {
	r := &redaction{
		allowAll:       rc.AllowAllKeys,
		allowed:        set(append(rc.AllowedKeys, summaryKeys...)),
		ignored:        set(rc.IgnoredKeys),
		ignoredRe:      c.regexps(rc.Pos, rule, rc.IgnoredKeyPatterns),
		blockedKeyRe:   c.regexps(rc.Pos, rule, rc.BlockedKeyPatterns),
		blockedValRe:   c.regexps(rc.Pos, rule, rc.BlockedValues),
		allowedValRe:   c.regexps(rc.Pos, rule, rc.AllowedValues),
		redactAllTypes: rc.RedactAllTypes,
		summary:        rc.Summary,
	}
	switch r.summary {
	case "":
		r.summary = summarySilent
	case summaryDebug, summaryInfo, summarySilent:
	default:
		c.errorf(rc.At.at("summary", rc.Pos), "rule %q: summary %q: want debug, info or silent", rule, rc.Summary)
	}
	dets, bad, err := lookupDetectors(rc.Detectors)
	if err != nil {
		at := rc.At.at(fmt.Sprintf("detectors[%d]", bad), rc.At.at("detectors", rc.Pos))
		c.errorf(at, "rule %q: %v", rule, err)
	}
	r.detectors = dets
	fn, err := hashFunction(rc.HashFunction, c.opts.HashKey)
	if err != nil {
		c.errorf(rc.At.at("hash_function", rc.Pos), "rule %q: %v", rule, err)
	}
	r.mask = fn
	return r
}

func set(keys []string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// maskText is what replaces a blocked value without hash_function.
const maskText = "****"

// hashFunction returns the redaction processor's masking function: the
// mask text, or the lowercase hex digest of the matched text.
func hashFunction(name string, key []byte) (func(string) string, error) {
	var h func() hash.Hash
	keyed := false
	switch strings.ToLower(name) {
	case "", "none":
		return func(string) string { return maskText }, nil
	case "md5":
		h = md5.New
	case "sha1":
		h = sha1.New
	case "sha3":
		h = func() hash.Hash { return sha3.New256() }
	case "hmac-sha256":
		h, keyed = sha256.New, true
	case "hmac-sha512":
		h, keyed = sha512.New, true
	default:
		return nil, fmt.Errorf("hash_function %q: want md5, sha1, sha3, hmac-sha256 or hmac-sha512", name)
	}
	if keyed {
		if len(key) == 0 {
			return nil, fmt.Errorf("hash_function %q needs a key (--hash-key-file)", name)
		}
		return func(s string) string {
			m := hmac.New(h, key)
			m.Write([]byte(s))
			return hex.EncodeToString(m.Sum(nil))
		}, nil
	}
	return func(s string) string {
		d := h()
		d.Write([]byte(s))
		return hex.EncodeToString(d.Sum(nil))
	}, nil
}
