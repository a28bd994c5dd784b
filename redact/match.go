package redact

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/tracectl/tracectl/model"
)

// matcher is a compiled include/exclude block. As in the Collector's
// filterconfig: within services, span_names, span_kinds and libraries any
// entry may match; every listed attribute and resource entry must match;
// every property that is set must match. Regexps are unanchored.
type matcher struct {
	services  []strMatch
	spanNames []strMatch
	kinds     []model.SpanKind
	attrs     []attrMatch
	resources []attrMatch
	libs      []libMatch
}

type strMatch struct {
	s  string
	re *regexp.Regexp
}

func (m strMatch) match(s string) bool {
	if m.re != nil {
		return m.re.MatchString(s)
	}
	return m.s == s
}

type attrMatch struct {
	key   string
	value *model.Value   // strict: typed equality; nil: presence
	re    *regexp.Regexp // regexp: on string values
}

type libMatch struct {
	name    strMatch
	version *strMatch
}

// spanLevel reports whether the matcher looks at spans (not only at the
// resource), so it cannot select resource attributes.
func (m *matcher) spanLevel() bool {
	return len(m.spanNames) > 0 || len(m.kinds) > 0 || len(m.attrs) > 0 || len(m.libs) > 0
}

func (c *compiler) matcher(r *rule, which string, mc *MatchConfig) *matcher {
	if mc == nil {
		return nil
	}
	var useRe bool
	switch mc.MatchType {
	case "strict":
	case "regexp":
		useRe = true
	case "":
		c.errorf(mc.Pos, "rule %q: %s: match_type is required (strict or regexp)", r.name, which)
		return nil
	default:
		c.errorf(mc.At.at("match_type", mc.Pos), "rule %q: %s: match_type %q: want strict or regexp", r.name, which, mc.MatchType)
		return nil
	}
	m := &matcher{}
	str := func(s string) strMatch {
		if useRe {
			return strMatch{re: c.regexp(mc.Pos, r.name, s)}
		}
		return strMatch{s: s}
	}
	for _, s := range mc.Services {
		m.services = append(m.services, str(s))
	}
	for _, s := range mc.SpanNames {
		m.spanNames = append(m.spanNames, str(s))
	}
	for i, s := range mc.SpanKinds {
		k, ok := parseKind(s)
		if !ok {
			c.errorf(mc.At.at(fmt.Sprintf("span_kinds[%d]", i), mc.At.at("span_kinds", mc.Pos)), "rule %q: %s: unknown span kind %q", r.name, which, s)
		}
		m.kinds = append(m.kinds, k)
	}
	kv := func(list []KeyValue) []attrMatch {
		var out []attrMatch
		for _, e := range list {
			if e.Key == "" {
				c.errorf(e.Pos, "rule %q: %s: attribute entry needs a key", r.name, which)
				continue
			}
			am := attrMatch{key: e.Key}
			if e.Value != nil {
				if useRe {
					s, ok := e.Value.(string)
					if !ok {
						c.errorf(e.Pos, "rule %q: %s: with match_type regexp the value of %q must be a string pattern", r.name, which, e.Key)
						continue
					}
					am.re = c.regexp(e.Pos, r.name, s)
				} else {
					v, err := rawValue(e.Value)
					if err != nil {
						c.errorf(e.Pos, "rule %q: %s: %q: %v", r.name, which, e.Key, err)
						continue
					}
					am.value = &v
				}
			}
			out = append(out, am)
		}
		return out
	}
	m.attrs = kv(mc.Attributes)
	m.resources = kv(mc.Resources)
	for _, l := range mc.Libraries {
		lm := libMatch{name: str(l.Name)}
		if l.Version != nil {
			v := str(*l.Version)
			lm.version = &v
		}
		m.libs = append(m.libs, lm)
	}
	if len(m.services)+len(m.spanNames)+len(m.kinds)+len(m.attrs)+len(m.resources)+len(m.libs) == 0 {
		c.errorf(mc.Pos, "rule %q: %s: no properties (services, span_names, span_kinds, attributes, resources, libraries)", r.name, which)
	}
	if r.targets&(tResource|tScope) != 0 && m.spanLevel() {
		c.errorf(mc.Pos, "rule %q: %s: span_names, span_kinds, attributes and libraries select spans, so the rule cannot apply_to resource or scope; use services or resources", r.name, which)
	}
	return m
}

// parseKind accepts "server", "Server", "SPAN_KIND_SERVER" and the like.
func parseKind(s string) (model.SpanKind, bool) {
	s = strings.TrimPrefix(strings.ToLower(s), "span_kind_")
	for k := model.KindUnspecified; k <= model.KindConsumer; k++ {
		if k.String() == s {
			return k, true
		}
	}
	return 0, false
}

// match reports whether the matcher selects the span (sp may be nil for a
// resource- or scope-level decision).
func (m *matcher) match(res *model.Resource, sc *model.Scope, sp *model.Span) bool {
	if len(m.services) > 0 && !anyMatch(m.services, res.ServiceName()) {
		return false
	}
	if !allAttrs(m.resources, res.Attributes) {
		return false
	}
	if sp == nil {
		return true
	}
	if len(m.spanNames) > 0 && !anyMatch(m.spanNames, sp.Name) {
		return false
	}
	if len(m.kinds) > 0 {
		ok := false
		for _, k := range m.kinds {
			ok = ok || k == sp.Kind
		}
		if !ok {
			return false
		}
	}
	if !allAttrs(m.attrs, sp.Attributes) {
		return false
	}
	if len(m.libs) > 0 {
		ok := false
		for _, l := range m.libs {
			if l.name.match(sc.Name) && (l.version == nil || l.version.match(sc.Version)) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func anyMatch(ms []strMatch, s string) bool {
	for _, m := range ms {
		if m.match(s) {
			return true
		}
	}
	return false
}

func allAttrs(ms []attrMatch, attrs []model.Attribute) bool {
	for _, m := range ms {
		v, ok := model.Find(attrs, m.key)
		if !ok {
			return false
		}
		switch {
		case m.re != nil:
			if v.Type != model.ValueString || !m.re.MatchString(v.Str) {
				return false
			}
		case m.value != nil:
			if !v.Equal(*m.value) {
				return false
			}
		}
	}
	return true
}

// selects reports whether a rule applies under include/exclude.
func (r *rule) selects(res *model.Resource, sc *model.Scope, sp *model.Span) bool {
	if r.include != nil && !r.include.match(res, sc, sp) {
		return false
	}
	if r.exclude != nil && r.exclude.match(res, sc, sp) {
		return false
	}
	return true
}
