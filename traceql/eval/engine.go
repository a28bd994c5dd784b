package eval

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/traceql"
)

// ErrMetricsQuery is returned by Search for metrics queries.
var ErrMetricsQuery = errors.New("metrics queries are evaluated by `tracectl metrics`, not by search")

// ErrMultipleSpansets is returned when a spanset operator sees more than one
// spanset on one side (after by()), as in Tempo.
var ErrMultipleSpansets = errors.New("spanset operators are not supported for multiple spansets per trace. consider using coalesce()")

// selectAttr is an attribute or intrinsic to return on result spans.
type selectAttr struct {
	key  string // output attribute name
	expr traceql.Expr
}

// filterInfo is what a spanset filter needs at run time.
type filterInfo struct {
	events, links bool // the expression reads event / link fields
}

// evaluator is a compiled search query.
type evaluator struct {
	root    *traceql.RootExpr
	regexes map[*traceql.BinaryExpr]*regexp.Regexp
	// orSets holds, for the top of each chain of ORs, the string literals
	// it compares one field with when every alternative is `field =
	// "literal"` (nil for other chains and for the inner ORs of a chain).
	orSets  map[*traceql.BinaryExpr]*orSet
	filters map[traceql.Expr]filterInfo
	// statics caches converted literals; trace:id / link:traceID literals
	// have leading zeros trimmed.
	statics map[*traceql.Static]value
	// outAttrs are the attributes the query's filters reference; Tempo
	// returns them on result spans.
	outAttrs []selectAttr
}

func compile(root *traceql.RootExpr) (*evaluator, error) {
	e := &evaluator{
		root:    root,
		regexes: map[*traceql.BinaryExpr]*regexp.Regexp{},
		orSets:  map[*traceql.BinaryExpr]*orSet{},
		filters: map[traceql.Expr]filterInfo{},
		statics: map[*traceql.Static]value{},
	}
	var err error
	traceql.Inspect(root, func(n traceql.Node) bool {
		if x, ok := n.(*traceql.BinaryExpr); ok && x.Op == traceql.OpOr {
			if _, seen := e.orSets[x]; !seen { // the top of a chain (Inspect goes top down)
				e.orSets[x] = orSetOf(x, e.orSets)
			}
		}
		switch x := n.(type) {
		case *traceql.SpansetFilter:
			if x.Expr != nil {
				e.filters[x.Expr] = needs(x.Expr)
				e.collectOutAttrs(x.Expr)
			}
		case *traceql.GroupOp:
			e.filters[x.By] = needs(x.By)
		case *traceql.SelectOp:
			for _, a := range x.Attrs {
				e.filters[a] = needs(a)
			}
		case *traceql.Aggregate:
			if x.Expr != nil {
				e.filters[x.Expr] = needs(x.Expr)
			}
		case *traceql.MetricsFunc:
			if x.Attr != nil {
				e.filters[x.Attr] = needs(x.Attr)
			}
			for _, b := range x.By {
				e.filters[b] = needs(b)
			}
		case *traceql.Static:
			if _, done := e.statics[x]; !done { // trace ID literals are set by their parent
				e.statics[x] = fromStatic(x)
			}
		case *traceql.BinaryExpr:
			if x.Op.IsRegex() {
				s, ok := x.RHS.(*traceql.Static)
				if !ok || s.Type != traceql.TypeString {
					err = fmt.Errorf("regular expression must be a string literal, found %s", x.RHS)
					return false
				}
				re, cerr := regexp.Compile("^(?s:" + s.Str + ")$")
				if cerr != nil {
					err = fmt.Errorf("invalid regular expression %q: %w", s.Str, cerr)
					return false
				}
				e.regexes[x] = re
			}
			// trace IDs compare with leading zeros trimmed on both sides.
			for _, pair := range [][2]traceql.Expr{{x.LHS, x.RHS}, {x.RHS, x.LHS}} {
				in, ok1 := pair[0].(*traceql.Intrinsic)
				s, ok2 := pair[1].(*traceql.Static)
				if ok1 && ok2 && s.Type == traceql.TypeString && isTraceIDIntrinsic(in.Intrinsic) && !x.Op.IsRegex() {
					e.statics[s] = strV(trimZeros(strings.ToLower(s.Str)))
				}
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

func isTraceIDIntrinsic(f traceql.IntrinsicField) bool {
	return f == traceql.IntrinsicTraceID || f == traceql.IntrinsicLinkTraceID
}

// needs reports whether an expression reads event or link fields; unscoped
// attributes may resolve to either.
func needs(x traceql.Expr) filterInfo {
	var fi filterInfo
	traceql.Inspect(x, func(n traceql.Node) bool {
		switch a := n.(type) {
		case *traceql.Attribute:
			switch a.Scope {
			case traceql.AttributeScopeEvent:
				fi.events = true
			case traceql.AttributeScopeLink:
				fi.links = true
			case traceql.AttributeScopeNone:
				fi.events, fi.links = true, true
			}
		case *traceql.Intrinsic:
			switch a.Scope {
			case traceql.IntrinsicScopeEvent:
				fi.events = true
			case traceql.IntrinsicScopeLink:
				fi.links = true
			}
		}
		return true
	})
	return fi
}

// collectOutAttrs records the attributes and span intrinsics a filter
// references, which Tempo returns on matching spans (name, duration, IDs and
// trace-level intrinsics are already part of the result and not repeated).
func (e *evaluator) collectOutAttrs(x traceql.Expr) {
	traceql.Inspect(x, func(n traceql.Node) bool {
		switch a := n.(type) {
		case *traceql.Attribute:
			e.addOut(selectKey(a), a)
		case *traceql.Intrinsic:
			switch a.Intrinsic {
			case traceql.IntrinsicName, traceql.IntrinsicDuration, traceql.IntrinsicSpanID,
				traceql.IntrinsicTraceID, traceql.IntrinsicTraceDuration, traceql.IntrinsicTraceRootName,
				traceql.IntrinsicTraceRootService, traceql.IntrinsicParent:
				return true
			}
			e.addOut(selectKey(a), a)
		}
		return true
	})
}

func (e *evaluator) addOut(key string, x traceql.Expr) {
	for _, o := range e.outAttrs {
		if o.key == key {
			return
		}
	}
	e.outAttrs = append(e.outAttrs, selectAttr{key, x})
	e.filters[x] = needs(x)
}

// selectKey is the output name of a selected attribute or intrinsic: the
// attribute name without its scope, the span intrinsic's name (`status`,
// `kind`), or scope:name for event, link and instrumentation intrinsics.
func selectKey(x traceql.Expr) string {
	switch a := x.(type) {
	case *traceql.Attribute:
		return a.Name
	case *traceql.Intrinsic:
		info := a.Intrinsic.Info()
		if info == nil {
			return a.String()
		}
		switch a.Scope {
		case traceql.IntrinsicScopeNone:
			if info.Legacy != "" {
				return info.Legacy
			}
		case traceql.IntrinsicScopeEvent, traceql.IntrinsicScopeLink, traceql.IntrinsicScopeInstrumentation:
			// event:name is not the span's name: keep the scope.
			return a.Scope.String() + ":" + info.Local
		}
		if info.Local != "" {
			return info.Local
		}
		return info.Legacy
	}
	return x.String()
}

// spanCtx is the span (and, while iterating, the event and link) a field
// expression is evaluated on.
type spanCtx struct {
	td *traceData
	sp *span
	ev *model.Event
	ln *model.Link
}

// matchSpan reports whether a filter expression is true for the span. When
// the expression reads event (link) fields it is tried on each event (link)
// in turn, so several event conditions in one filter hold on the same event.
func (e *evaluator) matchSpan(x traceql.Expr, td *traceData, sp *span) (bool, error) {
	v, err := e.eachContext(x, td, sp, value.isTrue)
	return err == nil && v.isTrue(), err
}

// firstValue evaluates x on the span; when x reads event or link fields the
// first event/link giving a non-nil value wins (used by by() and aggregates).
func (e *evaluator) firstValue(x traceql.Expr, td *traceData, sp *span) (value, error) {
	return e.eachContext(x, td, sp, func(v value) bool { return v.k != kNil })
}

// eachContext evaluates x on the span once per event and link it reads
// (once if it reads neither, or the span has none) and returns the first
// value for which done holds, or nil.
func (e *evaluator) eachContext(x traceql.Expr, td *traceData, sp *span, done func(value) bool) (value, error) {
	fi := e.filters[x]
	c := spanCtx{td: td, sp: sp}
	evs := sp.ref.Span.Events
	lns := sp.ref.Span.Links
	useEvents := fi.events && len(evs) > 0
	useLinks := fi.links && len(lns) > 0
	nev, nln := 1, 1
	if useEvents {
		nev = len(evs)
	}
	if useLinks {
		nln = len(lns)
	}
	for i := 0; i < nev; i++ {
		c.ev = nil
		if useEvents {
			c.ev = &evs[i]
		}
		for j := 0; j < nln; j++ {
			c.ln = nil
			if useLinks {
				c.ln = &lns[j]
			}
			v, err := e.field(x, &c)
			if err != nil {
				return nilValue, err
			}
			if done(v) {
				return v, nil
			}
		}
	}
	return nilValue, nil
}

// field evaluates a field expression on one span.
func (e *evaluator) field(x traceql.Expr, c *spanCtx) (value, error) {
	switch x := x.(type) {
	case *traceql.Static:
		if v, ok := e.statics[x]; ok {
			return v, nil
		}
		return fromStatic(x), nil
	case *traceql.Attribute:
		return lookupAttr(x, c), nil
	case *traceql.Intrinsic:
		impl := intrinsicImpls[x.Intrinsic]
		if impl == nil {
			return nilValue, nil
		}
		v := impl(c)
		if isTraceIDIntrinsic(x.Intrinsic) && v.k == kString {
			v.s = trimZeros(v.s)
		}
		return v, nil
	case *traceql.UnaryExpr:
		v, err := e.field(x.Expr, c)
		if err != nil {
			return nilValue, err
		}
		return unary(x.Op, v)
	case *traceql.BinaryExpr:
		return e.binary(x, c)
	}
	return nilValue, fmt.Errorf("%s cannot be evaluated on a span", x)
}

func unary(op traceql.Operator, v value) (value, error) {
	switch op {
	case traceql.OpNot:
		if v.k == kBool {
			return boolV(!v.b), nil
		}
	case traceql.OpSub:
		switch v.k {
		case kInt, kDuration:
			r, err := traceql.IntArith(traceql.OpSub, 0, v.i)
			if err != nil {
				return nilValue, err
			}
			v.i = r
			return v, nil
		case kFloat:
			return floatV(-v.f), nil
		}
	}
	return nilValue, nil
}

func isNilLiteral(x traceql.Expr) bool {
	s, ok := x.(*traceql.Static)
	return ok && s.Type == traceql.TypeNil
}

func (e *evaluator) binary(x *traceql.BinaryExpr, c *spanCtx) (value, error) {
	if set := e.orSets[x]; set != nil {
		v, err := e.field(set.field, c)
		if err != nil {
			return nilValue, err
		}
		return boolV(set.has(v)), nil
	}
	switch x.Op {
	case traceql.OpAnd, traceql.OpOr:
		l, err := e.field(x.LHS, c)
		if err != nil {
			return nilValue, err
		}
		if x.Op == traceql.OpAnd && !l.isTrue() {
			return boolV(false), nil
		}
		if x.Op == traceql.OpOr && l.isTrue() {
			return boolV(true), nil
		}
		r, err := e.field(x.RHS, c)
		if err != nil {
			return nilValue, err
		}
		return boolV(r.isTrue()), nil
	case traceql.OpEq, traceql.OpNeq:
		// `x = nil` tests absence, `x != nil` presence; nil = nil is false.
		ln, rn := isNilLiteral(x.LHS), isNilLiteral(x.RHS)
		if ln && rn {
			return boolV(false), nil
		}
		if ln || rn {
			other := x.LHS
			if ln {
				other = x.RHS
			}
			v, err := e.field(other, c)
			if err != nil {
				return nilValue, err
			}
			return boolV((v.k == kNil) == (x.Op == traceql.OpEq)), nil
		}
	}
	l, err := e.field(x.LHS, c)
	if err != nil {
		return nilValue, err
	}
	if x.Op.IsRegex() {
		return boolV(matchRegex(e.regexes[x], x.Op == traceql.OpNotRegex, l)), nil
	}
	r, err := e.field(x.RHS, c)
	if err != nil {
		return nilValue, err
	}
	switch {
	case x.Op.IsComparison():
		return boolV(compare(x.Op, l, r)), nil
	case x.Op.IsArithmetic():
		return arith(x.Op, l, r)
	}
	return nilValue, fmt.Errorf("operator %s is not valid in a field expression", x.Op)
}

// matchRegex applies an anchored regex: strings match or not; an array
// matches =~ if any string element matches and !~ if none does. Other types
// (and nil) never match either operator.
func matchRegex(re *regexp.Regexp, negate bool, v value) bool {
	if re == nil {
		return false
	}
	switch v.k {
	case kString:
		return re.MatchString(v.s) != negate
	case kArray:
		seen := false
		for _, el := range v.arr {
			if el.k != kString {
				continue
			}
			seen = true
			if re.MatchString(el.s) {
				return !negate
			}
		}
		return seen && negate
	}
	return false
}

// lookupAttr resolves an attribute reference on the span. Unscoped names are
// looked up span → resource → event → link → instrumentation; the first
// scope that has the key wins (a span attribute shadows a resource one).
func lookupAttr(a *traceql.Attribute, c *spanCtx) value {
	if a.Parent {
		return nilValue // parent.* is rejected by validation
	}
	find := func(attrs []model.Attribute) (value, bool) {
		if v, ok := model.Find(attrs, a.Name); ok {
			return fromModel(v), true
		}
		return nilValue, false
	}
	sp := c.sp.ref
	switch a.Scope {
	case traceql.AttributeScopeSpan:
		v, _ := find(sp.Span.Attributes)
		return v
	case traceql.AttributeScopeResource:
		v, _ := find(sp.Resource.Attributes)
		return v
	case traceql.AttributeScopeEvent:
		if c.ev != nil {
			v, _ := find(c.ev.Attributes)
			return v
		}
		return nilValue
	case traceql.AttributeScopeLink:
		if c.ln != nil {
			v, _ := find(c.ln.Attributes)
			return v
		}
		return nilValue
	case traceql.AttributeScopeInstrumentation:
		v, _ := find(sp.Scope.Attributes)
		return v
	}
	if v, ok := find(sp.Span.Attributes); ok {
		return v
	}
	if v, ok := find(sp.Resource.Attributes); ok {
		return v
	}
	if c.ev != nil {
		if v, ok := find(c.ev.Attributes); ok {
			return v
		}
	}
	if c.ln != nil {
		if v, ok := find(c.ln.Attributes); ok {
			return v
		}
	}
	v, _ := find(sp.Scope.Attributes)
	return v
}

func trimZeros(s string) string {
	t := strings.TrimLeft(s, "0")
	if t == "" && s != "" {
		return "0"
	}
	return t
}

// orSet is a chain of ORs that compares one field with string literals:
// it is true exactly when the field's value equals one of them (see has),
// which a set answers at once however long the chain (a query listing
// thousands of values would otherwise compare each span with each).
type orSet struct {
	field  traceql.Expr
	values map[string]bool
}

// has reports whether v equals one of the literals as `=` compares: a
// string is looked up, an array has some string element in the set, any
// other value (nil included) equals no string.
func (s *orSet) has(v value) bool {
	switch v.k {
	case kString:
		return s.values[v.s]
	case kArray:
		for _, e := range v.arr {
			if e.k == kString && s.values[e.s] {
				return true
			}
		}
	}
	return false
}

// orSetMin is the number of alternatives from which a chain gets a set.
var orSetMin = 8 // a variable for tests

// orSetOf returns the set of the OR chain topped by x, or nil when it does
// not qualify; every inner OR of the chain is entered in seen (as nil), so
// that only the top is looked at.
func orSetOf(x *traceql.BinaryExpr, seen map[*traceql.BinaryExpr]*orSet) *orSet {
	var leaves []traceql.Expr
	var walk func(n traceql.Expr)
	walk = func(n traceql.Expr) {
		if b, ok := n.(*traceql.BinaryExpr); ok && b.Op == traceql.OpOr {
			if b != x {
				seen[b] = nil
			}
			walk(b.LHS)
			walk(b.RHS)
			return
		}
		leaves = append(leaves, n)
	}
	walk(x)
	if len(leaves) < orSetMin {
		return nil
	}
	set := &orSet{values: map[string]bool{}}
	key := ""
	for _, l := range leaves {
		b, ok := l.(*traceql.BinaryExpr)
		if !ok || b.Op != traceql.OpEq {
			return nil
		}
		field, lit := b.LHS, b.RHS
		if _, ok := field.(*traceql.Static); ok {
			field, lit = lit, field
		}
		s, ok := lit.(*traceql.Static)
		if !ok || s.Type != traceql.TypeString {
			return nil
		}
		switch f := field.(type) {
		case *traceql.Attribute:
		case *traceql.Intrinsic:
			if isTraceIDIntrinsic(f.Intrinsic) { // compared with leading zeros trimmed
				return nil
			}
		default:
			return nil
		}
		if set.field == nil {
			set.field, key = field, field.String()
		} else if field.String() != key {
			return nil
		}
		set.values[s.Str] = true
	}
	return set
}
