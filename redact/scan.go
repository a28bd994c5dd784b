package redact

import (
	"slices"
	"sort"
	"strings"

	"github.com/tracectl/tracectl/model"
)

// TraceIterator is the iterator Scan reads (store.TraceIterator has this
// shape; redact does not import store).
type TraceIterator interface {
	Next() bool
	At() *model.Trace
	Err() error
}

// Finding is personal data one detector found in one place.
type Finding struct {
	// Where is resource, scope, span, event, link (attributes), or
	// span_name, event_name, status_message.
	Where string `json:"where"`
	// Key is the attribute key ("" for names and messages); nested map
	// keys are joined with dots.
	Key      string `json:"key,omitempty"`
	Detector string `json:"detector"`
	// Spans is how many spans carry it (a resource or scope attribute
	// counts every span under it); Matches counts the occurrences.
	Spans   int `json:"spans"`
	Matches int `json:"matches"`
	// Examples are a few matches, masked: only the first and last two
	// characters of matches of 10 or more characters are shown.
	Examples []string `json:"examples"`
}

// ScanReport is what Scanner found.
type ScanReport struct {
	Traces   int       `json:"traces"`
	Spans    int       `json:"spans"`
	Findings []Finding `json:"findings"`
}

// Scanner runs detectors over traces and collects findings.
type Scanner struct {
	dets  []*Detector
	rep   ScanReport
	index map[findingKey]int
	seen  map[findingKey]*model.Span // last span counted, per finding
	// found caches every detector's matches per distinct text: attribute
	// values repeat across spans, detectors are regular expressions.
	found map[string][][]span
}

// maxFoundCache bounds the texts whose matches a Scanner remembers.
const maxFoundCache = 1 << 17

type findingKey struct{ where, key, detector string }

// NewScanner returns a scanner with the given detectors.
func NewScanner(dets []*Detector) *Scanner {
	return &Scanner{dets: dets, index: map[findingKey]int{}, seen: map[findingKey]*model.Span{}, found: map[string][][]span{}}
}

// Scan reads every trace of it and returns the findings.
func Scan(it TraceIterator, dets []*Detector) (ScanReport, error) {
	s := NewScanner(dets)
	for it.Next() {
		s.Add(it.At())
	}
	return s.Report(), it.Err()
}

// Report returns the findings so far, sorted by where, key and detector.
func (s *Scanner) Report() ScanReport {
	r := s.rep
	r.Findings = append([]Finding(nil), s.rep.Findings...)
	sort.Slice(r.Findings, func(i, j int) bool {
		a, b := r.Findings[i], r.Findings[j]
		if a.Where != b.Where {
			return a.Where < b.Where
		}
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		return a.Detector < b.Detector
	})
	return r
}

// Add scans one trace: every attribute (nested values too), span and
// event names and status messages.
func (s *Scanner) Add(t *model.Trace) {
	s.rep.Traces++
	for i := range t.ResourceSpans {
		rs := &t.ResourceSpans[i]
		n := 0
		for j := range rs.ScopeSpans {
			n += len(rs.ScopeSpans[j].Spans)
		}
		s.attrs("resource", "", rs.Resource.Attributes, nil, n)
		for j := range rs.ScopeSpans {
			ss := &rs.ScopeSpans[j]
			s.attrs("scope", "", ss.Scope.Attributes, nil, len(ss.Spans))
			for k := range ss.Spans {
				sp := &ss.Spans[k]
				s.rep.Spans++
				s.attrs("span", "", sp.Attributes, sp, 1)
				s.text("span_name", "", sp.Name, sp, 1)
				s.text("status_message", "", sp.Status.Message, sp, 1)
				for e := range sp.Events {
					s.attrs("event", "", sp.Events[e].Attributes, sp, 1)
					s.text("event_name", "", sp.Events[e].Name, sp, 1)
				}
				for l := range sp.Links {
					s.attrs("link", "", sp.Links[l].Attributes, sp, 1)
				}
			}
		}
	}
}

func (s *Scanner) attrs(where, prefix string, attrs []model.Attribute, sp *model.Span, spans int) {
	for i := range attrs {
		s.value(where, prefix+attrs[i].Key, attrs[i].Value, sp, spans)
	}
}

func (s *Scanner) value(where, key string, v model.Value, sp *model.Span, spans int) {
	switch v.Type {
	case model.ValueString:
		s.text(where, key, v.Str, sp, spans)
	case model.ValueArray:
		for _, e := range v.Array() {
			s.value(where, key, e, sp, spans)
		}
	case model.ValueMap:
		s.attrs(where, key+".", v.Map(), sp, spans)
	}
}

func (s *Scanner) text(where, key, text string, sp *model.Span, spans int) {
	if text == "" {
		return
	}
	found, ok := s.found[text]
	if !ok {
		// nil when no detector matches, the common case, so that the
		// cache costs little more than its keys.
		for i, d := range s.dets {
			if ms := d.find(text); len(ms) > 0 {
				if found == nil {
					found = make([][]span, len(s.dets))
				}
				found[i] = ms
			}
		}
		if len(s.found) < maxFoundCache {
			// A copy: text may share memory with a whole decoded page.
			s.found[strings.Clone(text)] = found
		}
	}
	if found == nil {
		return
	}
	for di, d := range s.dets {
		ms := found[di]
		if len(ms) == 0 {
			continue
		}
		fk := findingKey{where, key, d.Name}
		i, ok := s.index[fk]
		if !ok {
			i = len(s.rep.Findings)
			s.index[fk] = i
			s.rep.Findings = append(s.rep.Findings, Finding{Where: where, Key: key, Detector: d.Name})
		}
		f := &s.rep.Findings[i]
		// Count a span once per finding even if several of its values
		// (array elements, events) match.
		if sp == nil || s.seen[fk] != sp {
			f.Spans += spans
			s.seen[fk] = sp
		}
		f.Matches += len(ms)
		for _, m := range ms {
			f.Examples = addExample(f.Examples, MaskExample(text[m.start:m.end]))
		}
	}
}

// addExample keeps the maxSamples smallest distinct examples, sorted, so
// a report does not depend on the order traces were scanned in.
func addExample(xs []string, x string) []string {
	i := sort.SearchStrings(xs, x)
	if i < len(xs) && xs[i] == x || i >= maxSamples {
		return xs
	}
	xs = slices.Insert(xs, i, x)
	if len(xs) > maxSamples {
		xs = xs[:maxSamples]
	}
	return xs
}

// MaskExample hides a match for reports: matches of 10 or more bytes keep
// their first and last two characters, shorter ones are all stars.
func MaskExample(s string) string {
	r := []rune(s)
	if len(r) < 10 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:2]) + strings.Repeat("*", len(r)-4) + string(r[len(r)-2:])
}
