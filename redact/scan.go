package redact

import (
	"slices"
	"sort"
	"strings"

	"github.com/tracectl/tracectl/model"
)

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

// Scanner runs detectors over traces and collects findings. It takes
// whole traces (Add) or values read from columns (Group and Value, the
// blocks.TextSink methods); scanners of disjoint data combine with Merge.
type Scanner struct {
	dets  []*Detector
	rep   ScanReport
	index map[findingKey]int
	// seen marks the spans counted per finding in the current group: a
	// span counts once per finding however many of its values match.
	seen  map[spanFinding]uint64
	group uint64
	// found caches every detector's matches per distinct text: attribute
	// values repeat across spans, detectors are regular expressions.
	found map[string][][]span
}

// maxFoundCache bounds the texts whose matches a Scanner remembers.
const maxFoundCache = 1 << 14

type findingKey struct{ where, key, detector string }

type spanFinding struct{ finding, span int }

// NewScanner returns a scanner with the given detectors.
func NewScanner(dets []*Detector) *Scanner {
	return &Scanner{dets: dets, index: map[findingKey]int{}, seen: map[spanFinding]uint64{}, found: map[string][][]span{}}
}

// Report returns the findings so far, sorted by where, key and detector.
func (s *Scanner) Report() ScanReport {
	r := s.rep
	r.Findings = append([]Finding(nil), s.rep.Findings...)
	for i := range r.Findings {
		r.Findings[i].Examples = slices.Clone(r.Findings[i].Examples)
	}
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

// Merge adds what o found to s (o scanned other data).
func (s *Scanner) Merge(o *Scanner) {
	s.rep.Traces += o.rep.Traces
	s.rep.Spans += o.rep.Spans
	for _, of := range o.rep.Findings {
		f := s.finding(findingKey{of.Where, of.Key, of.Detector})
		f.Spans += of.Spans
		f.Matches += of.Matches
		for _, x := range of.Examples {
			f.Examples = addExample(f.Examples, x)
		}
	}
}

// Add scans one trace: every attribute (nested values too), span and
// event names and status messages.
func (s *Scanner) Add(t *model.Trace) {
	spans := 0
	for i := range t.ResourceSpans {
		for j := range t.ResourceSpans[i].ScopeSpans {
			spans += len(t.ResourceSpans[i].ScopeSpans[j].Spans)
		}
	}
	s.Group(1, spans)
	k := 0 // the span's number in the trace
	for i := range t.ResourceSpans {
		rs := &t.ResourceSpans[i]
		n := 0
		for j := range rs.ScopeSpans {
			n += len(rs.ScopeSpans[j].Spans)
		}
		s.attrs("resource", "", rs.Resource.Attributes, -1, n)
		for j := range rs.ScopeSpans {
			ss := &rs.ScopeSpans[j]
			s.attrs("scope", "", ss.Scope.Attributes, -1, len(ss.Spans))
			for _, sp := range ss.Spans {
				s.attrs("span", "", sp.Attributes, k, 1)
				s.text("span_name", "", sp.Name, k, 1)
				s.text("status_message", "", sp.Status.Message, k, 1)
				for e := range sp.Events {
					s.attrs("event", "", sp.Events[e].Attributes, k, 1)
					s.text("event_name", "", sp.Events[e].Name, k, 1)
				}
				for l := range sp.Links {
					s.attrs("link", "", sp.Links[l].Attributes, k, 1)
				}
				k++
			}
		}
	}
}

// Group starts the next traces and spans of the data: the span numbers
// Value gets count from 0 again.
func (s *Scanner) Group(traces, spans int) {
	s.rep.Traces += traces
	s.rep.Spans += spans
	s.group++
}

// Value scans v, found at where under key (see Finding). span numbers
// its span in the current group; -1 (resource and scope values) stands
// for spans spans, counted for every value that matches. It reports
// whether a detector matched v.
func (s *Scanner) Value(where, key string, v model.Value, span, spans int) bool {
	switch v.Type {
	case model.ValueString:
		return s.text(where, key, v.Str, span, spans)
	case model.ValueArray:
		found := false
		for _, e := range v.Array() {
			found = s.Value(where, key, e, span, spans) || found
		}
		return found
	case model.ValueMap:
		return s.attrs(where, key+".", v.Map(), span, spans)
	}
	return false
}

func (s *Scanner) attrs(where, prefix string, attrs []model.Attribute, span, spans int) bool {
	found := false
	for i := range attrs {
		found = s.Value(where, prefix+attrs[i].Key, attrs[i].Value, span, spans) || found
	}
	return found
}

func (s *Scanner) text(where, key, text string, at, spans int) bool {
	if text == "" {
		return false
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
		return false
	}
	for di, d := range s.dets {
		ms := found[di]
		if len(ms) == 0 {
			continue
		}
		fi := s.findingIndex(findingKey{where, key, d.Name})
		f := &s.rep.Findings[fi]
		if at < 0 {
			f.Spans += spans
		} else if sf := (spanFinding{fi, at}); s.seen[sf] != s.group {
			f.Spans += spans
			s.seen[sf] = s.group
		}
		f.Matches += len(ms)
		for _, m := range ms {
			f.Examples = addExample(f.Examples, MaskExample(text[m.start:m.end]))
		}
	}
	return true
}

// finding returns the finding of k, added if new.
func (s *Scanner) finding(k findingKey) *Finding {
	return &s.rep.Findings[s.findingIndex(k)]
}

func (s *Scanner) findingIndex(k findingKey) int {
	i, ok := s.index[k]
	if !ok {
		i = len(s.rep.Findings)
		s.index[k] = i
		s.rep.Findings = append(s.rep.Findings, Finding{Where: k.where, Key: k.key, Detector: k.detector})
	}
	return i
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
