package sampler

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/tracectl/tracectl/model"
)

// This file evaluates the OTTL conditions of ottl_condition policies: the
// subset users write in practice for spans and span events — comparisons
// (== != < <= > >=) of paths, literals and enums, IsMatch(target,
// "regex"), and, or, not and parentheses. Paths: name, kind, status.code,
// status.message, trace_state, attributes["k"], resource.attributes["k"],
// instrumentation_scope.name/version (span.name etc. with the span.
// prefix too); for span events name and attributes["k"]. Anything else is
// rejected when the config is parsed, naming the construct.
//
// Comparison follows OTTL: nil equals only nil (so a missing attribute is
// != any value), strings compare as strings, ints and floats as numbers,
// bools only for equality, and values of different types are unequal
// and unordered.

// ottlCond is a parsed condition.
type ottlCond interface {
	eval(c *ottlCtx) bool
}

// ottlValue yields a value for a context.
type ottlValue interface {
	value(c *ottlCtx) any
}

// ottlCtx is the span or span event a condition is evaluated on.
type ottlCtx struct {
	res   *model.Resource
	scope *model.Scope
	span  *model.Span
	event *model.Event // nil in span conditions
}

// ottlEnums are the enum names OTTL's span context knows.
var ottlEnums = map[string]int64{
	"SPAN_KIND_UNSPECIFIED": 0, "SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2,
	"SPAN_KIND_CLIENT": 3, "SPAN_KIND_PRODUCER": 4, "SPAN_KIND_CONSUMER": 5,
	"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2,
}

var ottlComparisons = map[string]bool{"==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true}

// parseOTTL parses one condition for spans (event false) or span events.
func parseOTTL(src string, event bool) (ottlCond, error) {
	toks, err := lexOTTL(src)
	if err != nil {
		return nil, err
	}
	p := &ottlParser{toks: toks, event: event}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos].text)
	}
	return c, nil
}

type ottlTok struct {
	kind byte // 'i' identifier, 's' string, 'n' number, 'o' operator/punctuation
	text string
}

func lexOTTL(s string) ([]ottlTok, error) {
	var out []ottlTok
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '"':
			j := i + 1
			var b strings.Builder
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string at offset %d", i)
			}
			out = append(out, ottlTok{'s', b.String()})
			i = j + 1
		case c >= '0' && c <= '9' || (c == '-' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9'):
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			out = append(out, ottlTok{'n', s[i:j]})
			i = j
		case unicode.IsLetter(rune(c)) || c == '_':
			j := i
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '_' || s[j] == '.') {
				j++
			}
			out = append(out, ottlTok{'i', s[i:j]})
			i = j
		default:
			for _, op := range []string{"==", "!=", "<=", ">=", "<", ">", "(", ")", "[", "]", ","} {
				if strings.HasPrefix(s[i:], op) {
					out = append(out, ottlTok{'o', op})
					i += len(op)
					goto next
				}
			}
			return nil, fmt.Errorf("unexpected %q at offset %d", c, i)
		next:
		}
	}
	return out, nil
}

type ottlParser struct {
	toks  []ottlTok
	pos   int
	event bool
}

func (p *ottlParser) peek() (ottlTok, bool) {
	if p.pos < len(p.toks) {
		return p.toks[p.pos], true
	}
	return ottlTok{}, false
}

func (p *ottlParser) accept(kind byte, text string) bool {
	if t, ok := p.peek(); ok && t.kind == kind && t.text == text {
		p.pos++
		return true
	}
	return false
}

func (p *ottlParser) expect(text string) error {
	if !p.accept('o', text) {
		if t, ok := p.peek(); ok {
			return fmt.Errorf("expected %q, found %q", text, t.text)
		}
		return fmt.Errorf("expected %q at the end", text)
	}
	return nil
}

func (p *ottlParser) or() (ottlCond, error) {
	l, err := p.and()
	for err == nil && p.accept('i', "or") {
		var r ottlCond
		if r, err = p.and(); err == nil {
			l = ottlOr{l, r}
		}
	}
	return l, err
}

func (p *ottlParser) and() (ottlCond, error) {
	l, err := p.unary()
	for err == nil && p.accept('i', "and") {
		var r ottlCond
		if r, err = p.unary(); err == nil {
			l = ottlAnd{l, r}
		}
	}
	return l, err
}

func (p *ottlParser) unary() (ottlCond, error) {
	if p.accept('i', "not") {
		c, err := p.unary()
		return ottlNot{c}, err
	}
	if p.accept('o', "(") {
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		return c, p.expect(")")
	}
	if t, ok := p.peek(); ok && t.kind == 'i' && t.text == "IsMatch" {
		p.pos++
		if err := p.expect("("); err != nil {
			return nil, err
		}
		target, err := p.value()
		if err != nil {
			return nil, err
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
		t, ok := p.peek()
		if !ok || t.kind != 's' {
			return nil, fmt.Errorf("IsMatch: the pattern must be a string literal")
		}
		p.pos++
		re, err := regexp.Compile(t.text)
		if err != nil {
			return nil, fmt.Errorf("IsMatch: invalid regex %q: %w", t.text, err)
		}
		return ottlMatch{target, re}, p.expect(")")
	}
	l, err := p.value()
	if err != nil {
		return nil, err
	}
	t, ok := p.peek()
	if !ok || t.kind != 'o' || !ottlComparisons[t.text] {
		if b, isBool := l.(ottlLit); isBool {
			if v, ok := b.v.(bool); ok {
				return ottlConst(v), nil
			}
		}
		return nil, fmt.Errorf("expected a comparison after %s", describe(l))
	}
	p.pos++
	r, err := p.value()
	if err != nil {
		return nil, err
	}
	return ottlCompare{t.text, l, r}, nil
}

// value parses a literal, enum or path.
func (p *ottlParser) value() (ottlValue, error) {
	t, ok := p.peek()
	if !ok {
		return nil, fmt.Errorf("expected a value at the end")
	}
	p.pos++
	switch t.kind {
	case 's':
		return ottlLit{t.text}, nil
	case 'n':
		if i, err := strconv.ParseInt(t.text, 10, 64); err == nil {
			return ottlLit{i}, nil
		}
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", t.text)
		}
		return ottlLit{f}, nil
	case 'o':
		return nil, fmt.Errorf("unexpected %q", t.text)
	}
	switch t.text {
	case "true", "false":
		return ottlLit{t.text == "true"}, nil
	case "nil":
		return ottlLit{nil}, nil
	}
	if v, ok := ottlEnums[t.text]; ok {
		return ottlLit{v}, nil
	}
	path := strings.TrimPrefix(t.text, "span.")
	if p.event {
		path = strings.TrimPrefix(t.text, "spanevent.")
	}
	if path == "attributes" || path == "resource.attributes" {
		if err := p.expect("["); err != nil {
			return nil, err
		}
		k, ok := p.peek()
		if !ok || k.kind != 's' {
			return nil, fmt.Errorf("%s[...]: the key must be a string literal", path)
		}
		p.pos++
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		if p.accept('o', "[") {
			return nil, fmt.Errorf("indexing into %s[%q] is %s", path, k.text, Unsupported)
		}
		return ottlAttr{resource: path == "resource.attributes", event: p.event && path == "attributes", key: k.text}, nil
	}
	if p.event {
		if path == "name" {
			return ottlField("event.name"), nil
		}
		return nil, fmt.Errorf("span event path %q is %s", t.text, Unsupported)
	}
	switch path {
	case "name", "kind", "status.code", "status.message", "trace_state", "instrumentation_scope.name", "instrumentation_scope.version":
		return ottlField(path), nil
	}
	if p.accept('o', "(") {
		return nil, fmt.Errorf("function %s is %s (only IsMatch is)", t.text, Unsupported)
	}
	return nil, fmt.Errorf("path %q is %s", t.text, Unsupported)
}

func describe(v ottlValue) string {
	switch x := v.(type) {
	case ottlLit:
		return fmt.Sprintf("%v", x.v)
	case ottlField:
		return string(x)
	case ottlAttr:
		return fmt.Sprintf("attributes[%q]", x.key)
	}
	return "value"
}

type (
	ottlOr      [2]ottlCond
	ottlAnd     [2]ottlCond
	ottlNot     [1]ottlCond
	ottlConst   bool
	ottlCompare struct {
		op   string
		l, r ottlValue
	}
	ottlMatch struct {
		target ottlValue
		re     *regexp.Regexp
	}
	ottlLit   struct{ v any }
	ottlField string
	ottlAttr  struct {
		resource, event bool
		key             string
	}
)

func (c ottlOr) eval(x *ottlCtx) bool  { return c[0].eval(x) || c[1].eval(x) }
func (c ottlAnd) eval(x *ottlCtx) bool { return c[0].eval(x) && c[1].eval(x) }
func (c ottlNot) eval(x *ottlCtx) bool { return !c[0].eval(x) }
func (c ottlConst) eval(*ottlCtx) bool { return bool(c) }
func (l ottlLit) value(*ottlCtx) any   { return l.v }
func (c ottlCompare) eval(x *ottlCtx) bool {
	return ottlCompareValues(c.op, c.l.value(x), c.r.value(x))
}

func (m ottlMatch) eval(x *ottlCtx) bool {
	switch v := m.target.value(x).(type) {
	case string:
		return m.re.MatchString(v)
	case int64:
		return m.re.MatchString(strconv.FormatInt(v, 10))
	case float64:
		return m.re.MatchString(strconv.FormatFloat(v, 'f', -1, 64))
	case bool:
		return m.re.MatchString(strconv.FormatBool(v))
	}
	return false
}

func (f ottlField) value(x *ottlCtx) any {
	switch f {
	case "name":
		return x.span.Name
	case "event.name":
		return x.event.Name
	case "kind":
		return int64(x.span.Kind)
	case "status.code":
		return int64(x.span.Status.Code)
	case "status.message":
		return x.span.Status.Message
	case "trace_state":
		return x.span.TraceState
	case "instrumentation_scope.name":
		return x.scope.Name
	case "instrumentation_scope.version":
		return x.scope.Version
	}
	return nil
}

func (a ottlAttr) value(x *ottlCtx) any {
	attrs := x.span.Attributes
	switch {
	case a.resource:
		attrs = x.res.Attributes
	case a.event:
		attrs = x.event.Attributes
	}
	v, ok := model.Find(attrs, a.key)
	if !ok {
		return nil
	}
	switch v.Type {
	case model.ValueString:
		return v.Str
	case model.ValueInt:
		return v.Int
	case model.ValueDouble:
		return v.Double
	case model.ValueBool:
		return v.Bool
	}
	return v // bytes, arrays, maps: comparable to nothing
}

// ottlCompareValues compares as OTTL does (see the file comment).
func ottlCompareValues(op string, l, r any) bool {
	cmp, ok := ottlOrder(l, r)
	switch op {
	case "==":
		return ok && cmp == 0
	case "!=":
		return !ok || cmp != 0
	}
	if !ok {
		return false
	}
	if _, isBool := l.(bool); isBool {
		return false
	}
	switch op {
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	}
	return false
}

// ottlOrder orders two values of comparable types; ok is false otherwise.
func ottlOrder(l, r any) (int, bool) {
	if l == nil || r == nil {
		if l == nil && r == nil {
			return 0, true
		}
		return 0, false
	}
	num := func(v any) (float64, bool) {
		switch x := v.(type) {
		case int64:
			return float64(x), true
		case float64:
			return x, true
		}
		return 0, false
	}
	if li, ok := l.(int64); ok {
		if ri, ok := r.(int64); ok {
			return cmpOrdered(li, ri), true
		}
	}
	if a, ok := num(l); ok {
		if b, ok := num(r); ok {
			return cmpOrdered(a, b), true
		}
		return 0, false
	}
	switch a := l.(type) {
	case string:
		if b, ok := r.(string); ok {
			return strings.Compare(a, b), true
		}
	case bool:
		if b, ok := r.(bool); ok {
			if a == b {
				return 0, true
			}
			return 1, true
		}
	}
	return 0, false
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ottlCondition is the ottl_condition policy: a trace is sampled when any
// span matches any span condition or any span event any event condition.
type ottlCondition struct {
	span, event []ottlCond
	spanSrc     []string
	eventSrc    []string
}

func (e ottlCondition) evaluate(t *model.Trace) (Vote, string) {
	for i := range t.ResourceSpans {
		rs := &t.ResourceSpans[i]
		for j := range rs.ScopeSpans {
			ss := &rs.ScopeSpans[j]
			for k := range ss.Spans {
				sp := &ss.Spans[k]
				c := ottlCtx{res: &rs.Resource, scope: &ss.Scope, span: sp}
				for n, cond := range e.span {
					if cond.eval(&c) {
						return Sampled, fmt.Sprintf("span %s matches %s", shortID(sp.SpanID), e.spanSrc[n])
					}
				}
				for ev := range sp.Events {
					c.event = &sp.Events[ev]
					for n, cond := range e.event {
						if cond.eval(&c) {
							return Sampled, fmt.Sprintf("event %q of span %s matches %s", sp.Events[ev].Name, shortID(sp.SpanID), e.eventSrc[n])
						}
					}
				}
			}
		}
	}
	return NotSampled, "no span or span event matches"
}
