package sampler

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/tracectl/tracectl/model"
)

// This file evaluates the OTTL conditions of ottl_condition policies: the
// subset users write in practice for spans and span events — comparisons
// (== != < <= > >=) of paths, literals and enums, IsMatch(target,
// "regex"), and, or, not and parentheses. Anything else is rejected when
// the config is parsed, naming the construct.
//
// Paths follow OTTL's path context names, as the Collector parses these
// conditions: a path without a context belongs to the condition's own
// context (span, or spanevent), and resource., scope. (or
// instrumentation_scope.) and, in span event conditions, span. name the
// others. Span fields (span.* in span event conditions): name, kind,
// kind.string, kind.deprecated_string, status.code, status.message,
// trace_state, trace_state["k"], attributes["k"], trace_id.string,
// span_id.string, parent_span_id.string, start_time_unix_nano,
// end_time_unix_nano, dropped_attributes_count, dropped_events_count,
// dropped_links_count. Span event fields: name, attributes["k"],
// time_unix_nano, dropped_attributes_count. Resource: attributes["k"],
// dropped_attributes_count. Scope: name, version, attributes["k"],
// dropped_attributes_count.
//
// Comparison follows OTTL: nil equals only nil (so a missing attribute is
// != any value), strings compare as strings, ints and floats as numbers,
// bools only for equality, and values of different types are unequal
// and unordered.
//
// IsMatch reads its target as OTTL's StringLikeGetter does: strings as
// they are, bytes as lower-case hex, arrays and maps as the JSON of
// pdata's AsRaw form, ints, doubles and bools as JSON numbers and
// literals. OTTL writes that JSON with github.com/goccy/go-json, which
// matches encoding/json (map keys sorted, bytes inside base64, empty
// values null, HTML characters escaped) except for doubles: both use the
// shortest 'f' form, or 'e' below 1e-6 and from 1e21, but go-json keeps
// strconv's two-digit exponent (1e-07 where encoding/json writes 1e-7).
// A NaN or infinite double has no JSON form: IsMatch then fails with an
// error, which error_mode handles (see ottlCondition).

// ottlCond is a parsed condition.
// eval fails only where OTTL fails at run time (IsMatch on a value with
// no JSON form); and/or stop at the first error, as OTTL does.
type ottlCond interface {
	eval(c *ottlCtx) (bool, error)
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
	if p.accept('o', "(") {
		return nil, fmt.Errorf("function %s is %s (only IsMatch is)", t.text, Unsupported)
	}
	return p.path(t.text)
}

// path resolves a path in the condition's context (see the file comment).
func (p *ottlParser) path(text string) (ottlValue, error) {
	ctx, rest, _ := strings.Cut(text, ".")
	switch {
	case ctx == "resource" || ctx == "scope" || ctx == "instrumentation_scope" || ctx == "span" || ctx == "spanevent" && p.event:
	case p.event:
		ctx, rest = "spanevent", text
	default:
		ctx, rest = "span", text
	}
	var key *string
	if p.accept('o', "[") {
		k, ok := p.peek()
		if !ok || k.kind != 's' {
			return nil, fmt.Errorf("%s[...]: the key must be a string literal", text)
		}
		p.pos++
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		if p.accept('o', "[") {
			return nil, fmt.Errorf("indexing into %s[%q] is %s", text, k.text, Unsupported)
		}
		key = &k.text
	}
	get := ottlPathGetter(ctx, rest, key)
	if get == nil {
		where := "path"
		if p.event {
			where = "span event path"
		}
		if key != nil {
			return nil, fmt.Errorf("%s %s[%q] is %s", where, text, *key, Unsupported)
		}
		return nil, fmt.Errorf("%s %q is %s", where, text, Unsupported)
	}
	return ottlPath{text: text, key: key, get: get}, nil
}

// ottlPathGetter returns the getter of field (with its map key, if any)
// in context ctx, or nil if tracectl does not read that path.
func ottlPathGetter(ctx, field string, key *string) func(*ottlCtx) any {
	attrs := func(of func(*ottlCtx) []model.Attribute) func(*ottlCtx) any {
		if key == nil {
			return nil // the whole map: not comparable to anything we parse
		}
		k := *key
		return func(x *ottlCtx) any { return ottlAttrValue(of(x), k) }
	}
	if key != nil && field != "attributes" && !(ctx == "span" && field == "trace_state") {
		return nil
	}
	switch ctx + "." + field {
	case "resource.attributes":
		return attrs(func(x *ottlCtx) []model.Attribute { return x.res.Attributes })
	case "resource.dropped_attributes_count":
		return func(x *ottlCtx) any { return int64(x.res.DroppedAttributesCount) }
	case "scope.name", "instrumentation_scope.name":
		return func(x *ottlCtx) any { return x.scope.Name }
	case "scope.version", "instrumentation_scope.version":
		return func(x *ottlCtx) any { return x.scope.Version }
	case "scope.attributes", "instrumentation_scope.attributes":
		return attrs(func(x *ottlCtx) []model.Attribute { return x.scope.Attributes })
	case "scope.dropped_attributes_count", "instrumentation_scope.dropped_attributes_count":
		return func(x *ottlCtx) any { return int64(x.scope.DroppedAttributesCount) }
	case "spanevent.name":
		return func(x *ottlCtx) any { return x.event.Name }
	case "spanevent.attributes":
		return attrs(func(x *ottlCtx) []model.Attribute { return x.event.Attributes })
	case "spanevent.time_unix_nano":
		return func(x *ottlCtx) any { return int64(x.event.TimeUnixNano) }
	case "spanevent.dropped_attributes_count":
		return func(x *ottlCtx) any { return int64(x.event.DroppedAttributesCount) }
	case "span.attributes":
		return attrs(func(x *ottlCtx) []model.Attribute { return x.span.Attributes })
	case "span.trace_state":
		if key != nil {
			k := *key
			return func(x *ottlCtx) any { return traceStateMember(x.span.TraceState, k) }
		}
		return func(x *ottlCtx) any { return x.span.TraceState }
	}
	if ctx != "span" {
		return nil
	}
	if f, ok := ottlSpanFields[field]; ok {
		return func(x *ottlCtx) any { return f(x.span) }
	}
	return nil
}

// ottlSpanFields are the span's scalar paths, as OTTL's span context
// returns them (integers as int64, IDs as hex strings).
var ottlSpanFields = map[string]func(s *model.Span) any{
	"name":                     func(s *model.Span) any { return s.Name },
	"kind":                     func(s *model.Span) any { return int64(s.Kind) },
	"kind.string":              func(s *model.Span) any { return ottlKindNames[min(uint(s.Kind), uint(len(ottlKindNames)-1))] },
	"kind.deprecated_string":   func(s *model.Span) any { return ottlKindEnums[min(uint(s.Kind), uint(len(ottlKindEnums)-1))] },
	"status.code":              func(s *model.Span) any { return int64(s.Status.Code) },
	"status.message":           func(s *model.Span) any { return s.Status.Message },
	"trace_id.string":          func(s *model.Span) any { return s.TraceID.String() },
	"span_id.string":           func(s *model.Span) any { return s.SpanID.String() },
	"parent_span_id.string":    func(s *model.Span) any { return s.ParentSpanID.String() },
	"start_time_unix_nano":     func(s *model.Span) any { return int64(s.StartTimeUnixNano) },
	"end_time_unix_nano":       func(s *model.Span) any { return int64(s.EndTimeUnixNano) },
	"dropped_attributes_count": func(s *model.Span) any { return int64(s.DroppedAttributesCount) },
	"dropped_events_count":     func(s *model.Span) any { return int64(s.DroppedEventsCount) },
	"dropped_links_count":      func(s *model.Span) any { return int64(s.DroppedLinksCount) },
}

// ottlKindNames and ottlKindEnums are span.kind.string and
// span.kind.deprecated_string by kind (pdata's SpanKind.String and the
// proto enum names); an unknown kind reads as "".
var (
	ottlKindNames = [...]string{"Unspecified", "Internal", "Server", "Client", "Producer", "Consumer", ""}
	ottlKindEnums = [...]string{"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
		"SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER", ""}
)

// traceStateMember is trace_state["k"]: the member's value ("" when
// absent) of a tracestate that parses, nil for one that does not.
func traceStateMember(ts, key string) any {
	if !traceStateValid(ts) {
		return nil
	}
	v, _ := traceStateGet(ts, key)
	return v
}

func describe(v ottlValue) string {
	switch x := v.(type) {
	case ottlLit:
		return fmt.Sprintf("%v", x.v)
	case ottlPath:
		if x.key != nil {
			return fmt.Sprintf("%s[%q]", x.text, *x.key)
		}
		return x.text
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
	ottlLit  struct{ v any }
	ottlPath struct {
		text string
		key  *string
		get  func(*ottlCtx) any
	}
	// ottlMap and ottlSlice are map and array attribute values.
	ottlMap   []model.Attribute
	ottlSlice []model.Value
)

func (c ottlOr) eval(x *ottlCtx) (bool, error) {
	if ok, err := c[0].eval(x); ok || err != nil {
		return ok, err
	}
	return c[1].eval(x)
}

func (c ottlAnd) eval(x *ottlCtx) (bool, error) {
	if ok, err := c[0].eval(x); !ok || err != nil {
		return false, err
	}
	return c[1].eval(x)
}

func (c ottlNot) eval(x *ottlCtx) (bool, error) {
	ok, err := c[0].eval(x)
	return !ok && err == nil, err
}

func (c ottlConst) eval(*ottlCtx) (bool, error) { return bool(c), nil }
func (l ottlLit) value(*ottlCtx) any            { return l.v }
func (p ottlPath) value(x *ottlCtx) any         { return p.get(x) }

func (c ottlCompare) eval(x *ottlCtx) (bool, error) {
	return ottlCompareValues(c.op, c.l.value(x), c.r.value(x)), nil
}

func (m ottlMatch) eval(x *ottlCtx) (bool, error) {
	s, ok, err := ottlStringLike(m.target.value(x))
	if !ok || err != nil {
		return false, err
	}
	return m.re.MatchString(s), nil
}

// ottlStringLike is OTTL's StringLikeGetter: the text IsMatch matches.
// ok is false for nil (a missing attribute), which never matches.
func ottlStringLike(v any) (s string, ok bool, err error) {
	var b []byte
	switch x := v.(type) {
	case nil:
		return "", false, nil
	case string:
		return x, true, nil
	case []byte:
		return hex.EncodeToString(x), true, nil
	case ottlMap:
		b, err = json.Marshal(ottlRawMap(x))
	case ottlSlice:
		b, err = json.Marshal(ottlRawSlice(x))
	case float64:
		b, err = ottlFloat(x).MarshalJSON()
	default: // int64, bool
		b, err = json.Marshal(x)
	}
	if err != nil {
		return "", false, err
	}
	return string(b), true, nil
}

// ottlAttrValue is the value of attribute key as OTTL returns it: nil
// when absent or empty, scalars as Go values, bytes, arrays and maps
// whole. Like pdata's Map.Get, the first attribute with the key counts.
func ottlAttrValue(attrs []model.Attribute, key string) any {
	v, ok := model.Find(attrs, key)
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
	case model.ValueBytes:
		return v.Bytes()
	case model.ValueArray:
		return ottlSlice(v.Array())
	case model.ValueMap:
		return ottlMap(v.Map())
	}
	return nil
}

// ottlRaw is pdata's Value.AsRaw: the plain Go form encoding/json writes.
// Bytes come out as a []byte (nil when empty), which JSON writes as
// base64 (or null).
func ottlRaw(v model.Value) any {
	switch v.Type {
	case model.ValueString:
		return v.Str
	case model.ValueInt:
		return v.Int
	case model.ValueDouble:
		return ottlFloat(v.Double)
	case model.ValueBool:
		return v.Bool
	case model.ValueBytes:
		if len(v.Bytes()) == 0 {
			return []byte(nil)
		}
		return v.Bytes()
	case model.ValueArray:
		return ottlRawSlice(v.Array())
	case model.ValueMap:
		return ottlRawMap(v.Map())
	}
	return nil
}

// ottlFloat is a double written as OTTL's JSON encoder (go-json) writes
// it: see the file comment.
type ottlFloat float64

// MarshalJSON implements json.Marshaler.
func (f ottlFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Errorf("json: unsupported value: %s", strconv.FormatFloat(v, 'g', -1, 64))
	}
	format := byte('f')
	if abs := math.Abs(v); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(nil, v, format, -1, 64), nil
}

// ottlRawMap is pdata's Map.AsRaw: with repeated keys the last one wins.
func ottlRawMap(attrs []model.Attribute) map[string]any {
	m := make(map[string]any, len(attrs))
	for _, a := range attrs {
		m[a.Key] = ottlRaw(a.Value)
	}
	return m
}

func ottlRawSlice(vs []model.Value) []any {
	out := make([]any, 0, len(vs))
	for _, v := range vs {
		out = append(out, ottlRaw(v))
	}
	return out
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
//
// A condition that fails (IsMatch on a NaN double) is handled by
// errorMode as by OTTL's condition sequences: "propagate" ends the
// evaluation with the error, so the policy votes Errored (the Collector
// skips the policy); "ignore", "silent" and an unset error_mode (which
// the Collector leaves empty, and so treats like silent) take the
// condition as false and go on.
type ottlCondition struct {
	span, event []ottlCond
	spanSrc     []string
	eventSrc    []string
	errorMode   string
}

func (e ottlCondition) evaluate(t *model.Trace, _ bool) (Vote, string) {
	for i := range t.ResourceSpans {
		rs := &t.ResourceSpans[i]
		for j := range rs.ScopeSpans {
			ss := &rs.ScopeSpans[j]
			for k := range ss.Spans {
				sp := &ss.Spans[k]
				c := ottlCtx{res: &rs.Resource, scope: &ss.Scope, span: sp}
				if n, err := e.first(e.span, &c); err != nil {
					return Errored, fmt.Sprintf("span %s: %s: %v", shortID(sp.SpanID), e.spanSrc[n], err)
				} else if n >= 0 {
					return Sampled, fmt.Sprintf("span %s matches %s", shortID(sp.SpanID), e.spanSrc[n])
				}
				for ev := range sp.Events {
					c.event = &sp.Events[ev]
					if n, err := e.first(e.event, &c); err != nil {
						return Errored, fmt.Sprintf("event %q of span %s: %s: %v", sp.Events[ev].Name, shortID(sp.SpanID), e.eventSrc[n], err)
					} else if n >= 0 {
						return Sampled, fmt.Sprintf("event %q of span %s matches %s", sp.Events[ev].Name, shortID(sp.SpanID), e.eventSrc[n])
					}
				}
			}
		}
	}
	return NotSampled, "no span or span event matches"
}

// first returns the index of the first condition that holds for c, or
// -1; with error_mode propagate, the index of the first that fails and
// its error.
func (e ottlCondition) first(conds []ottlCond, c *ottlCtx) (int, error) {
	for n, cond := range conds {
		ok, err := cond.eval(c)
		if err != nil && e.errorMode == "propagate" {
			return n, err
		}
		if ok {
			return n, nil
		}
	}
	return -1, nil
}
