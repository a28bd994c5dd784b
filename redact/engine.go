package redact

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/tracectl/tracectl/model"
)

// Engine applies compiled rules to traces. It counts what each rule did.
// An Engine is not safe for concurrent use: give each goroutine a Fork.
type Engine struct {
	rules  []*rule
	stats  []RuleStats
	digest string
}

// RuleStats counts what one rule changed.
type RuleStats struct {
	Rule string `json:"rule"`
	// Spans is the number of spans a rule changed (their attributes,
	// events, links, name or status message); Resources and Scopes count
	// changed resource and scope attribute maps.
	Spans     int `json:"spans"`
	Resources int `json:"resources"`
	Scopes    int `json:"scopes"`
	Deleted   int `json:"deleted"`
	Hashed    int `json:"hashed"`
	Masked    int `json:"masked"`
	Set       int `json:"set"`
	Extracted int `json:"extracted"`
	Converted int `json:"converted"`
	// Samples are a few results of the rule (the new value, never the
	// old one), for dry runs.
	Samples []Sample `json:"samples"`
}

// Sample is one change a rule made: where, which key, and the new value.
type Sample struct {
	Where string `json:"where"`
	Key   string `json:"key,omitempty"`
	Value string `json:"value"`
}

// maxSamples bounds the samples kept per rule.
const maxSamples = 3

func (st *RuleStats) sample(where, key, value string) {
	if len(st.Samples) >= maxSamples {
		return
	}
	if len(value) > 80 {
		value = value[:77] + "..."
	}
	st.Samples = append(st.Samples, Sample{Where: where, Key: key, Value: value})
}

// Fork returns an Engine with the same rules and counts of its own, to
// apply them on another goroutine; Join adds its counts back.
func (e *Engine) Fork() *Engine {
	f := &Engine{rules: make([]*rule, len(e.rules)), stats: make([]RuleStats, len(e.stats)), digest: e.digest}
	for i, r := range e.rules {
		c := *r
		if r.red != nil {
			rd := *r.red
			rd.keyCache, rd.valueCache = nil, nil // the only state a rule keeps
			c.red = &rd
		}
		f.rules[i] = &c
		f.stats[i].Rule = e.stats[i].Rule
	}
	return f
}

// Join adds the counts of f, a Fork of e, to e's; samples are kept as if
// f's traces had come after e's.
func (e *Engine) Join(f *Engine) {
	for i := range e.stats {
		st, o := &e.stats[i], &f.stats[i]
		st.Spans += o.Spans
		st.Resources += o.Resources
		st.Scopes += o.Scopes
		st.Deleted += o.Deleted
		st.Hashed += o.Hashed
		st.Masked += o.Masked
		st.Set += o.Set
		st.Extracted += o.Extracted
		st.Converted += o.Converted
		for _, sm := range o.Samples {
			if len(st.Samples) < maxSamples {
				st.Samples = append(st.Samples, sm)
			}
		}
	}
}

// Rules returns the rule names in file order.
func (e *Engine) Rules() []string {
	var out []string
	for _, r := range e.rules {
		out = append(out, r.name)
	}
	return out
}

// Stats returns the counts so far, one per rule in file order.
func (e *Engine) Stats() []RuleStats {
	out := make([]RuleStats, len(e.stats))
	for i, s := range e.stats {
		out[i] = s
		out[i].Samples = append([]Sample{}, s.Samples...) // [] in JSON, never null
	}
	return out
}

// Digest identifies the rules and key: the hex SHA-256 of the rules file
// bytes and of the key's own SHA-256. Blocks rewritten with the same
// digest are not rewritten again (hashing twice is not idempotent).
func (e *Engine) Digest() string { return e.digest }

func digestOf(src, key []byte) string {
	h := sha256.New()
	h.Write(src)
	k := sha256.Sum256(key)
	h.Write(k[:])
	return hex.EncodeToString(h.Sum(nil))
}

// Changes returns the parts of traces the rules may change: their
// targets. Apply changes nothing else (no span, scope or resource is
// added, removed or moved), so a rewrite of stored blocks can copy the
// other columns as they are.
func (e *Engine) Changes() model.TraceParts {
	var all target
	for _, r := range e.rules {
		all |= r.targets
	}
	var parts model.TraceParts
	for _, tp := range []struct {
		t target
		p model.TraceParts
	}{
		{tResource, model.PartResourceAttributes}, {tScope, model.PartScopeAttributes},
		{tSpan, model.PartSpanAttributes}, {tEvent, model.PartEventAttributes}, {tLink, model.PartLinkAttributes},
		{tSpanName, model.PartSpanNames}, {tEventName, model.PartEventNames}, {tStatusMessage, model.PartStatusMessages},
	} {
		if all&tp.t != 0 {
			parts |= tp.p
		}
	}
	return parts
}

// Apply runs every rule, in file order, on the trace in place and reports
// whether anything changed.
func (e *Engine) Apply(t *model.Trace) bool {
	changed := false
	for i := range t.ResourceSpans {
		if e.ApplyResourceSpans(&t.ResourceSpans[i]) {
			changed = true
		}
	}
	return changed
}

// ApplyResourceSpans runs every rule on one resource and its spans. Rules
// see each span with its resource and scope only, so applying them batch
// by batch (at ingest) gives the same result as trace by trace.
func (e *Engine) ApplyResourceSpans(rs *model.ResourceSpans) bool {
	changed := false
	for ri, r := range e.rules {
		if r.applyResourceSpans(rs, &e.stats[ri]) {
			changed = true
		}
	}
	return changed
}

func (r *rule) applyMap(attrs *[]model.Attribute, st *RuleStats, where string) bool {
	if r.red != nil {
		return r.red.applyMap(attrs, st, where)
	}
	return r.applyActions(attrs, st, where)
}

func (r *rule) applyText(s *string, st *RuleStats, where string) bool {
	if r.red == nil {
		return false
	}
	return r.red.maskText(s, st, where)
}

func (r *rule) applyResourceSpans(rs *model.ResourceSpans, st *RuleStats) bool {
	changed := false
	res := &rs.Resource
	if r.targets&(tResource|tScope) != 0 && r.selects(res, nil, nil) {
		if r.targets&tResource != 0 && r.applyMap(&res.Attributes, st, "resource") {
			st.Resources++
			changed = true
		}
		if r.targets&tScope != 0 {
			for j := range rs.ScopeSpans {
				if r.applyMap(&rs.ScopeSpans[j].Scope.Attributes, st, "scope") {
					st.Scopes++
					changed = true
				}
			}
		}
	}
	if r.targets&^(tResource|tScope) == 0 {
		return changed
	}
	for j := range rs.ScopeSpans {
		ss := &rs.ScopeSpans[j]
		for k := range ss.Spans {
			sp := &ss.Spans[k]
			if !r.selects(res, &ss.Scope, sp) {
				continue
			}
			if r.applySpan(sp, st) {
				st.Spans++
				changed = true
			}
		}
	}
	return changed
}

func (r *rule) applySpan(sp *model.Span, st *RuleStats) bool {
	changed := false
	if r.targets&tSpan != 0 && r.applyMap(&sp.Attributes, st, "span") {
		changed = true
	}
	if r.targets&tSpanName != 0 && r.applyText(&sp.Name, st, "span_name") {
		changed = true
	}
	if r.targets&tStatusMessage != 0 && r.applyText(&sp.Status.Message, st, "status_message") {
		changed = true
	}
	for i := range sp.Events {
		ev := &sp.Events[i]
		if r.targets&tEvent != 0 && r.applyMap(&ev.Attributes, st, "event") {
			changed = true
		}
		if r.targets&tEventName != 0 && r.applyText(&ev.Name, st, "event_name") {
			changed = true
		}
	}
	if r.targets&tLink != 0 {
		for i := range sp.Links {
			if r.applyMap(&sp.Links[i].Attributes, st, "link") {
				changed = true
			}
		}
	}
	return changed
}
