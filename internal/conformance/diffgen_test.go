package conformance

import (
	"math"
	"math/rand"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/traceql"
)

// This file is the query generator of the differential test: it harvests
// names and values from the corpus and builds random TraceQL ASTs from the
// grammar with them, so that many queries match something and many match
// nothing. Queries are built as ASTs, printed canonically and parsed back
// with traceql.Parse (which validates); the few that fail are counted and
// replaced.

// ---- harvest ----

// attrInfo is what the corpus holds under one attribute key in one scope.
type attrInfo struct {
	name   string
	count  int
	types  map[model.ValueType]int
	values []model.Value // distinct values, at most maxValues (reservoir)
	seen   map[string]bool
}

const maxValues = 48

// harvest is the vocabulary of the corpus.
type harvest struct {
	// attrs by traceql.AttributeScope (span, resource, event, link,
	// instrumentation); AttributeScopeNone holds the union.
	attrs    [6]map[string]*attrInfo
	keys     [6][]string // sorted keys of attrs, for reproducible picks
	cumCount [6][]int    // running sum of the keys' occurrence counts
	numeric  [6][]string // keys with int or double values
	strs     map[string][]string
	durs     []int64 // span durations, sorted
	traceDur []int64 // trace durations, sorted
	evOffset []int64 // event times since span start, sorted
	maxLeft  int64
	maxChild int64
	start    uint64 // earliest span start
	end      uint64 // latest span end
	starts   []uint64
	r        *rand.Rand
}

// string vocabularies in harvest.strs
const (
	hName        = "name"
	hService     = "service"
	hStatusMsg   = "statusMessage"
	hEventName   = "eventName"
	hScopeName   = "scopeName"
	hScopeVer    = "scopeVersion"
	hRootName    = "rootName"
	hRootService = "rootService"
	hSpanID      = "spanID"
	hParentID    = "parentID"
	hTraceID     = "traceID"
	hLinkTraceID = "linkTraceID"
	hLinkSpanID  = "linkSpanID"
)

func harvestCorpus(traces []*model.Trace) *harvest {
	h := &harvest{strs: map[string][]string{}, r: rand.New(rand.NewSource(5))}
	for i := range h.attrs {
		h.attrs[i] = map[string]*attrInfo{}
	}
	strSeen := map[string]map[string]bool{}
	addStr := func(kind, s string) {
		m := strSeen[kind]
		if m == nil {
			m = map[string]bool{}
			strSeen[kind] = m
		}
		if m[s] {
			return
		}
		m[s] = true
		if len(h.strs[kind]) < 400 {
			h.strs[kind] = append(h.strs[kind], s)
		} else if j := h.r.Intn(len(m)); j < 400 {
			h.strs[kind][j] = s
		}
	}
	addAttrs := func(scope traceql.AttributeScope, attrs []model.Attribute) {
		for _, a := range attrs {
			for _, sc := range []traceql.AttributeScope{scope, traceql.AttributeScopeNone} {
				ai := h.attrs[sc][a.Key]
				if ai == nil {
					ai = &attrInfo{name: a.Key, types: map[model.ValueType]int{}, seen: map[string]bool{}}
					h.attrs[sc][a.Key] = ai
				}
				ai.count++
				ai.types[a.Value.Type]++
				k := a.Value.Type.String() + ":" + a.Value.AsString()
				if ai.seen[k] {
					continue
				}
				ai.seen[k] = true
				if len(ai.values) < maxValues {
					ai.values = append(ai.values, a.Value)
				} else if j := h.r.Intn(len(ai.seen)); j < maxValues {
					ai.values[j] = a.Value
				}
			}
		}
	}
	first := true
	for _, t := range traces {
		s, e := t.TimeRange()
		if first || s < h.start {
			h.start = s
		}
		if first || e > h.end {
			h.end = e
		}
		first = false
		h.starts = append(h.starts, s)
		h.traceDur = append(h.traceDur, int64(e-s))
		addStr(hTraceID, t.TraceID.String())
		if root, ok := t.Root(); ok {
			addStr(hRootName, root.Span.Name)
			addStr(hRootService, root.Resource.ServiceName())
		}
		children := map[model.SpanID]int64{}
		t.Spans(func(r model.SpanRef) bool {
			children[r.Span.ParentSpanID]++
			return true
		})
		for i := range t.ResourceSpans {
			rs := &t.ResourceSpans[i]
			addAttrs(traceql.AttributeScopeResource, rs.Resource.Attributes)
			addStr(hService, rs.Resource.ServiceName())
			for j := range rs.ScopeSpans {
				ss := &rs.ScopeSpans[j]
				addAttrs(traceql.AttributeScopeInstrumentation, ss.Scope.Attributes)
				addStr(hScopeName, ss.Scope.Name)
				addStr(hScopeVer, ss.Scope.Version)
				for k := range ss.Spans {
					sp := &ss.Spans[k]
					addAttrs(traceql.AttributeScopeSpan, sp.Attributes)
					addStr(hName, sp.Name)
					addStr(hStatusMsg, sp.Status.Message)
					addStr(hSpanID, sp.SpanID.String())
					addStr(hParentID, sp.ParentSpanID.String())
					h.durs = append(h.durs, int64(sp.Duration()))
					h.maxLeft = max(h.maxLeft, int64(sp.NestedSetRight))
					h.maxChild = max(h.maxChild, children[sp.SpanID])
					for e := range sp.Events {
						ev := &sp.Events[e]
						addAttrs(traceql.AttributeScopeEvent, ev.Attributes)
						addStr(hEventName, ev.Name)
						h.evOffset = append(h.evOffset, int64(ev.TimeUnixNano)-int64(sp.StartTimeUnixNano))
					}
					for l := range sp.Links {
						ln := &sp.Links[l]
						addAttrs(traceql.AttributeScopeLink, ln.Attributes)
						addStr(hLinkTraceID, ln.TraceID.String())
						addStr(hLinkSpanID, ln.SpanID.String())
					}
				}
			}
		}
	}
	for _, xs := range [][]int64{h.durs, h.traceDur, h.evOffset} {
		sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	}
	sort.Slice(h.starts, func(i, j int) bool { return h.starts[i] < h.starts[j] })
	for sc := range h.attrs {
		for k, ai := range h.attrs[sc] {
			h.keys[sc] = append(h.keys[sc], k)
			if ai.types[model.ValueInt]+ai.types[model.ValueDouble] > 0 {
				h.numeric[sc] = append(h.numeric[sc], k)
			}
		}
		sort.Strings(h.keys[sc])
		sort.Strings(h.numeric[sc])
		total := 0
		for _, k := range h.keys[sc] {
			total += h.attrs[sc][k].count
			h.cumCount[sc] = append(h.cumCount[sc], total)
		}
	}
	for k := range h.strs {
		sort.Strings(h.strs[k])
	}
	return h
}

// ---- generator ----

// qgen builds one query; feats records the features it used.
type qgen struct {
	r     *rand.Rand
	h     *harvest
	feats map[string]bool
	// wrapped allows parenthesised pipelines as spanset operands; the
	// grammar accepts them only in a search query's sole stage.
	wrapped bool
}

func newQGen(r *rand.Rand, h *harvest) *qgen {
	return &qgen{r: r, h: h, feats: map[string]bool{}}
}

func (g *qgen) feat(f string)            { g.feats[f] = true }
func (g *qgen) pick(n int) int           { return g.r.Intn(n) }
func (g *qgen) chance(p float64) bool    { return g.r.Float64() < p }
func (g *qgen) oneOf(xs []string) string { return xs[g.pick(len(xs))] }

// weighted returns an index with probability proportional to ws[i].
func (g *qgen) weighted(ws ...int) int {
	total := 0
	for _, w := range ws {
		total += w
	}
	x := g.pick(total)
	for i, w := range ws {
		if x < w {
			return i
		}
		x -= w
	}
	return len(ws) - 1
}

func str(s string) *traceql.Static { return &traceql.Static{Type: traceql.TypeString, Str: s} }
func intLit(i int64) *traceql.Static {
	return &traceql.Static{Type: traceql.TypeInt, Int: i}
}
func floatLit(f float64) *traceql.Static { return &traceql.Static{Type: traceql.TypeFloat, Float: f} }
func durLit(d int64) *traceql.Static {
	return &traceql.Static{Type: traceql.TypeDuration, Dur: time.Duration(d)}
}
func bin(op traceql.Operator, l, r traceql.Expr) *traceql.BinaryExpr {
	return &traceql.BinaryExpr{Op: op, LHS: l, RHS: r}
}

// quantile returns a value near the q-quantile of xs (0 for none).
func quantile(xs []int64, q float64) int64 {
	if len(xs) == 0 {
		return 0
	}
	return xs[min(len(xs)-1, int(q*float64(len(xs))))]
}

// durThreshold is a duration threshold: a quantile of xs, sometimes an
// exact observed value, a round value, or an extreme.
func (g *qgen) durThreshold(xs []int64) int64 {
	switch g.weighted(6, 2, 2, 1) {
	case 0:
		return quantile(xs, []float64{0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99}[g.pick(7)])
	case 1:
		if len(xs) > 0 {
			return xs[g.pick(len(xs))] // exact: = and != matter
		}
	case 2:
		return []int64{int64(time.Microsecond), int64(time.Millisecond), 10 * int64(time.Millisecond), int64(time.Second)}[g.pick(4)]
	}
	return []int64{0, 1, int64(time.Hour)}[g.pick(3)]
}

// strFrom picks a harvested string of a vocabulary, sometimes altered so
// that it matches nothing.
func (g *qgen) strFrom(kind string) string {
	xs := g.h.strs[kind]
	if len(xs) == 0 || g.chance(0.12) {
		return g.oneOf([]string{"", "no such value", "GET", "error", "Ünïcödé", "a\"b\\c"})
	}
	s := xs[g.pick(len(xs))]
	if g.chance(0.08) {
		g.feat("value:altered")
		switch g.pick(3) {
		case 0:
			return strings.ToUpper(s)
		case 1:
			return s + "x"
		default:
			if len(s) > 1 {
				return s[:len(s)/2]
			}
		}
	}
	return s
}

// intrinsic kinds the generator compares.
type intrinsicSpec struct {
	field traceql.IntrinsicField
	feat  string
}

var genIntrinsics = []intrinsicSpec{
	{traceql.IntrinsicName, "name"}, {traceql.IntrinsicStatus, "status"}, {traceql.IntrinsicStatusMessage, "statusMessage"},
	{traceql.IntrinsicKind, "kind"}, {traceql.IntrinsicDuration, "duration"}, {traceql.IntrinsicSpanID, "span:id"},
	{traceql.IntrinsicParentID, "span:parentID"}, {traceql.IntrinsicChildCount, "span:childCount"},
	{traceql.IntrinsicTraceID, "trace:id"}, {traceql.IntrinsicTraceDuration, "traceDuration"},
	{traceql.IntrinsicTraceRootName, "rootName"}, {traceql.IntrinsicTraceRootService, "rootServiceName"},
	{traceql.IntrinsicEventName, "event:name"}, {traceql.IntrinsicEventTimeSinceStart, "event:timeSinceStart"},
	{traceql.IntrinsicLinkTraceID, "link:traceID"}, {traceql.IntrinsicLinkSpanID, "link:spanID"},
	{traceql.IntrinsicInstrumentationName, "instrumentation:name"}, {traceql.IntrinsicInstrumentationVersion, "instrumentation:version"},
	{traceql.IntrinsicNestedSetLeft, "nestedSetLeft"}, {traceql.IntrinsicNestedSetRight, "nestedSetRight"},
	{traceql.IntrinsicNestedSetParent, "nestedSetParent"},
}

// intrinsicWeights favours the common intrinsics.
var intrinsicWeights = []int{10, 8, 3, 6, 10, 2, 2, 3, 2, 4, 3, 4, 4, 2, 2, 1, 3, 2, 1, 1, 2}

// intrinsicExpr returns the intrinsic in its scoped or legacy spelling.
func (g *qgen) intrinsicExpr(f traceql.IntrinsicField) *traceql.Intrinsic {
	info := f.Info()
	in := &traceql.Intrinsic{Intrinsic: f}
	if info.Local != "" && (info.Legacy == "" || g.chance(0.5)) {
		in.Scope = info.Scope
	}
	return in
}

// intrinsicValue returns a literal of the intrinsic's type, usually one
// that occurs in the corpus.
func (g *qgen) intrinsicValue(f traceql.IntrinsicField) *traceql.Static {
	h := g.h
	switch f {
	case traceql.IntrinsicName:
		return str(g.strFrom(hName))
	case traceql.IntrinsicStatusMessage:
		return str(g.strFrom(hStatusMsg))
	case traceql.IntrinsicStatus:
		return &traceql.Static{Type: traceql.TypeStatus, Status: model.StatusCode(g.pick(3))}
	case traceql.IntrinsicKind:
		return &traceql.Static{Type: traceql.TypeKind, Kind: model.SpanKind(g.pick(6))}
	case traceql.IntrinsicDuration:
		return durLit(g.durThreshold(h.durs))
	case traceql.IntrinsicTraceDuration:
		return durLit(g.durThreshold(h.traceDur))
	case traceql.IntrinsicEventTimeSinceStart:
		return durLit(g.durThreshold(h.evOffset))
	case traceql.IntrinsicSpanID:
		return str(g.idText(hSpanID))
	case traceql.IntrinsicParentID:
		return str(g.idText(hParentID))
	case traceql.IntrinsicTraceID:
		return str(g.idText(hTraceID))
	case traceql.IntrinsicLinkTraceID:
		return str(g.idText(hLinkTraceID))
	case traceql.IntrinsicLinkSpanID:
		return str(g.idText(hLinkSpanID))
	case traceql.IntrinsicTraceRootName:
		return str(g.strFrom(hRootName))
	case traceql.IntrinsicTraceRootService:
		return str(g.strFrom(hRootService))
	case traceql.IntrinsicEventName:
		return str(g.strFrom(hEventName))
	case traceql.IntrinsicInstrumentationName:
		return str(g.strFrom(hScopeName))
	case traceql.IntrinsicInstrumentationVersion:
		return str(g.strFrom(hScopeVer))
	case traceql.IntrinsicChildCount:
		return intLit(int64(g.pick(int(h.maxChild) + 2)))
	case traceql.IntrinsicNestedSetParent:
		if g.chance(0.4) {
			return intLit(-1)
		}
		fallthrough
	case traceql.IntrinsicNestedSetLeft, traceql.IntrinsicNestedSetRight:
		return intLit(int64(g.pick(int(min(h.maxLeft, 200)) + 2)))
	}
	return str("?")
}

// idText is a harvested ID as a query may spell it: as stored, with
// leading zeros trimmed, or upper case.
func (g *qgen) idText(kind string) string {
	s := g.strFrom(kind)
	switch g.pick(6) {
	case 0:
		g.feat("id:trimmed")
		if t := strings.TrimLeft(s, "0"); t != "" {
			return t
		}
	case 1:
		g.feat("id:upper")
		return strings.ToUpper(s)
	}
	return s
}

// isStringIntrinsic reports whether regexes apply to f.
func isStringIntrinsic(f traceql.IntrinsicField) bool {
	return f.Info().Type == traceql.ValueString
}

// attribute picks a scoped or unscoped attribute; usually one that the
// corpus has in that scope. numeric asks for keys with numeric values.
func (g *qgen) attribute(numeric bool) (*traceql.Attribute, *attrInfo) {
	scope := []traceql.AttributeScope{
		traceql.AttributeScopeSpan, traceql.AttributeScopeResource, traceql.AttributeScopeNone,
		traceql.AttributeScopeEvent, traceql.AttributeScopeLink, traceql.AttributeScopeInstrumentation,
	}[g.weighted(35, 20, 20, 10, 7, 8)]
	g.feat("attr:" + scopeName(scope))
	keys := g.h.keys[scope]
	if numeric {
		keys = g.h.numeric[scope]
	}
	if len(keys) == 0 || g.chance(0.06) {
		g.feat("attr:missing-key")
		return &traceql.Attribute{Scope: scope, Name: g.oneOf([]string{"does.not.exist", "http.method", "service.name", "a b", "count"})}, nil
	}
	// Well-known keys come up more often than a uniform pick would give.
	if !numeric && scope != traceql.AttributeScopeNone && g.chance(0.25) {
		for _, k := range []string{"service.name", "http.method", "http.status_code", "http.route", "db.system", "k8s.pod.name", "synth.poly", "synth.res.poly"} {
			if g.h.attrs[scope][k] != nil && g.chance(0.3) {
				return &traceql.Attribute{Scope: scope, Name: k}, g.h.attrs[scope][k]
			}
		}
	}
	k := keys[g.pick(len(keys))]
	if !numeric && g.chance(0.5) {
		// As often as it occurs: common keys are where matches are.
		cum := g.h.cumCount[scope]
		k = keys[sort.SearchInts(cum, 1+g.pick(cum[len(cum)-1]))]
	}
	return &traceql.Attribute{Scope: scope, Name: k}, g.h.attrs[scope][k]
}

func scopeName(s traceql.AttributeScope) string {
	if s == traceql.AttributeScopeNone {
		return "unscoped"
	}
	return s.String()
}

// literalOf converts an attribute value to a literal; arrays give one of
// their elements, values without a literal form (bytes, maps, empty,
// NaN, infinities, nested arrays) give nil.
func (g *qgen) literalOf(v model.Value) *traceql.Static {
	switch v.Type {
	case model.ValueString:
		return str(v.Str)
	case model.ValueInt:
		return intLit(v.Int)
	case model.ValueDouble:
		if math.IsNaN(v.Double) || math.IsInf(v.Double, 0) {
			return nil
		}
		if v.Double == 0 {
			return floatLit(0)
		}
		return floatLit(v.Double)
	case model.ValueBool:
		return &traceql.Static{Type: traceql.TypeBool, Bool: v.Bool}
	case model.ValueArray:
		arr := v.Array()
		if len(arr) == 0 {
			return nil
		}
		g.feat("value:array-element")
		return g.literalOf(arr[g.pick(len(arr))])
	}
	return nil
}

// wrongType returns a literal whose type differs from lit's.
func (g *qgen) wrongType(lit *traceql.Static) *traceql.Static {
	g.feat("value:wrong-type")
	if lit == nil {
		return g.oneOf2(str("404"), intLit(404))
	}
	switch lit.Type {
	case traceql.TypeString:
		if n, ok := parseInt(lit.Str); ok {
			return intLit(n)
		}
		return g.oneOf2(intLit(404), &traceql.Static{Type: traceql.TypeBool, Bool: true})
	case traceql.TypeInt:
		return g.oneOf2(str(lit.String()), floatLit(float64(lit.Int)))
	case traceql.TypeFloat:
		return g.oneOf2(str(lit.String()), intLit(int64(lit.Float)))
	case traceql.TypeBool:
		return g.oneOf2(str(lit.String()), intLit(1))
	}
	return str("x")
}

func (g *qgen) oneOf2(a, b *traceql.Static) *traceql.Static {
	if g.chance(0.5) {
		return a
	}
	return b
}

func parseInt(s string) (int64, bool) {
	var n int64
	if s == "" || len(s) > 15 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// attrValue returns a literal to compare an attribute with: an observed
// value (or array element), a perturbed one, or one of the wrong type.
func (g *qgen) attrValue(ai *attrInfo) *traceql.Static {
	var lit *traceql.Static
	if ai != nil && len(ai.values) > 0 {
		for try := 0; try < 4 && lit == nil; try++ {
			lit = g.literalOf(ai.values[g.pick(len(ai.values))])
		}
	}
	switch g.weighted(70, 15, 15) {
	case 1:
		return g.wrongType(lit)
	case 2:
		g.feat("value:perturbed")
		if lit == nil {
			return g.oneOf2(str("no such value"), intLit(int64(g.pick(1000))))
		}
		switch lit.Type {
		case traceql.TypeString:
			return str(lit.Str + "-x")
		case traceql.TypeInt:
			if lit.Int < math.MaxInt64-1000 {
				return intLit(lit.Int + int64(g.pick(3)) - 1)
			}
		case traceql.TypeFloat:
			return floatLit(lit.Float * 1.5)
		case traceql.TypeBool:
			return &traceql.Static{Type: traceql.TypeBool, Bool: !lit.Bool}
		}
	}
	if lit == nil {
		return g.oneOf2(str("alpha"), intLit(0))
	}
	return lit
}

// cmpOpFor picks a comparison operator valid for a literal type.
func (g *qgen) cmpOpFor(t traceql.StaticType) traceql.Operator {
	switch t {
	case traceql.TypeBool, traceql.TypeStatus, traceql.TypeKind:
		if g.chance(0.7) {
			return traceql.OpEq
		}
		return traceql.OpNeq
	case traceql.TypeString:
		return []traceql.Operator{traceql.OpEq, traceql.OpNeq, traceql.OpLT, traceql.OpLTE, traceql.OpGT, traceql.OpGTE}[g.weighted(45, 20, 5, 5, 5, 5)]
	}
	return []traceql.Operator{traceql.OpEq, traceql.OpNeq, traceql.OpLT, traceql.OpLTE, traceql.OpGT, traceql.OpGTE}[g.weighted(15, 10, 20, 15, 20, 15)]
}

// comparison builds `operand op literal` (sometimes with the literal on
// the left, or arithmetic on the operand).
func (g *qgen) comparison() traceql.Expr {
	var lhs traceql.Expr
	var lit *traceql.Static
	if g.chance(0.4) {
		spec := genIntrinsics[g.weighted(intrinsicWeights...)]
		g.feat("intrinsic:" + spec.feat)
		lhs = g.intrinsicExpr(spec.field)
		lit = g.intrinsicValue(spec.field)
	} else {
		a, ai := g.attribute(false)
		lhs, lit = a, g.attrValue(ai)
	}
	op := g.cmpOpFor(lit.Type)
	g.feat("op:" + op.String())
	numeric := lit.Type == traceql.TypeInt || lit.Type == traceql.TypeFloat || lit.Type == traceql.TypeDuration
	if numeric && g.chance(0.15) {
		lhs, lit = g.arith(lhs, lit)
	}
	if g.chance(0.1) {
		g.feat("literal-left")
		return bin(op.Mirror(), lit, lhs)
	}
	return bin(op, lhs, lit)
}

// arith puts arithmetic on the operand and adjusts the literal so that the
// comparison still means roughly the same: `x * 2 > 2v`, `x + 1 > v + 1`,
// `-x < -v`, `x / 2 > v / 2`, `x % 7 = 3`.
func (g *qgen) arith(lhs traceql.Expr, lit *traceql.Static) (traceql.Expr, *traceql.Static) {
	g.feat("arith")
	scale := func(f float64) *traceql.Static {
		switch lit.Type {
		case traceql.TypeDuration:
			return durLit(int64(float64(lit.Dur) * f))
		case traceql.TypeInt:
			if math.Abs(float64(lit.Int)*f) < 1e15 {
				return intLit(int64(float64(lit.Int) * f))
			}
			return lit
		}
		return floatLit(lit.Float * f)
	}
	switch g.pick(6) {
	case 0:
		return bin(traceql.OpMul, lhs, intLit(2)), scale(2)
	case 1:
		if lit.Type == traceql.TypeDuration {
			return bin(traceql.OpAdd, lhs, durLit(int64(time.Millisecond))), durLit(int64(lit.Dur) + int64(time.Millisecond))
		}
		return bin(traceql.OpAdd, lhs, intLit(1)), g.plusOne(lit)
	case 2:
		return &traceql.UnaryExpr{Op: traceql.OpSub, Expr: lhs}, scale(-1)
	case 3:
		return bin(traceql.OpDiv, lhs, floatLit(2)), floatLitOf(lit, 0.5)
	case 4:
		return bin(traceql.OpMod, lhs, intLit(7)), intLit(int64(g.pick(7)))
	}
	return bin(traceql.OpSub, lhs, bin(traceql.OpMul, intLit(3), intLit(2))), g.plusOne(lit)
}

func (g *qgen) plusOne(lit *traceql.Static) *traceql.Static {
	switch lit.Type {
	case traceql.TypeInt:
		if lit.Int < math.MaxInt64 {
			return intLit(lit.Int + 1)
		}
		return lit
	case traceql.TypeFloat:
		return floatLit(lit.Float + 1)
	}
	return lit
}

// floatLitOf is lit's value times f as a float (durations in ns).
func floatLitOf(lit *traceql.Static, f float64) *traceql.Static {
	switch lit.Type {
	case traceql.TypeDuration:
		return floatLit(float64(lit.Dur) * f)
	case traceql.TypeInt:
		return floatLit(float64(lit.Int) * f)
	}
	return floatLit(lit.Float * f)
}

// regexFor builds a realistic anchored pattern from a sample string.
func (g *qgen) regexFor(sample string) string {
	q := regexp.QuoteMeta
	cut := func() int {
		if len(sample) < 2 {
			return len(sample)
		}
		n := 1 + g.pick(len(sample)-1)
		for n < len(sample) && !utf8.RuneStart(sample[n]) {
			n++
		}
		return n
	}
	switch g.pick(10) {
	case 0:
		return q(sample)
	case 1:
		return q(sample[:cut()]) + ".*"
	case 2:
		return ".*" + q(sample[cut():])
	case 3:
		return "(?i)" + q(strings.ToUpper(sample))
	case 4:
		return q(sample) + "|" + q(g.strFrom(hName))
	case 5:
		return "[a-z]+.*"
	case 6:
		return ".*[0-9]{3}.*"
	case 7:
		return ".*"
	case 8:
		return ".+ .+"
	}
	return "(GET|POST|PUT) .*"
}

// regex builds `operand =~ pattern` or `!~` on a string-valued operand.
func (g *qgen) regex() traceql.Expr {
	g.feat("regex")
	var lhs traceql.Expr
	var sample string
	if g.chance(0.4) {
		var spec intrinsicSpec
		for {
			spec = genIntrinsics[g.weighted(intrinsicWeights...)]
			if isStringIntrinsic(spec.field) {
				break
			}
		}
		g.feat("intrinsic:" + spec.feat)
		lhs = g.intrinsicExpr(spec.field)
		sample = g.intrinsicValue(spec.field).Str
	} else {
		a, ai := g.attribute(false)
		lhs = a
		sample = "x"
		if ai != nil {
			for try := 0; try < 4; try++ {
				v := ai.values[g.pick(len(ai.values))]
				if v.Type == model.ValueArray && len(v.Array()) > 0 {
					v = v.Array()[0]
				}
				if v.Type == model.ValueString {
					sample = v.Str
					break
				}
			}
		}
	}
	op := traceql.OpRegex
	if g.chance(0.35) {
		op = traceql.OpNotRegex
	}
	g.feat("op:" + op.String())
	return bin(op, lhs, str(g.regexFor(sample)))
}

// boolExpr is a boolean field expression.
func (g *qgen) boolExpr(depth int) traceql.Expr {
	if depth <= 0 {
		return g.comparison()
	}
	switch g.weighted(50, 10, 11, 9, 8, 4, 4, 4) {
	case 1:
		a, _ := g.attribute(false)
		if a.Scope == traceql.AttributeScopeResource && a.Name == model.ServiceNameKey {
			a.Name = "service.namespace" // `resource.service.name = nil` is invalid
		}
		op := traceql.OpEq
		if g.chance(0.5) {
			op = traceql.OpNeq
		}
		g.feat("nil-check")
		return bin(op, a, &traceql.Static{Type: traceql.TypeNil})
	case 2:
		return g.regex()
	case 3:
		g.feat("op:&&")
		return bin(traceql.OpAnd, g.boolExpr(depth-1), g.boolExpr(depth-1))
	case 4:
		g.feat("op:||")
		return bin(traceql.OpOr, g.boolExpr(depth-1), g.boolExpr(depth-1))
	case 5:
		g.feat("op:!")
		return &traceql.UnaryExpr{Op: traceql.OpNot, Expr: g.boolExpr(depth - 1)}
	case 6:
		switch g.pick(3) {
		case 0:
			g.feat("bare-attribute")
			a, _ := g.attribute(false)
			return a
		case 1:
			g.feat("bool-literal")
			return &traceql.Static{Type: traceql.TypeBool, Bool: g.chance(0.6)}
		}
		g.feat("attr-vs-attr")
		a, _ := g.attribute(false)
		b, _ := g.attribute(false)
		return bin(g.cmpOpFor(traceql.TypeInt), a, b)
	case 7:
		g.feat("intrinsic-vs-intrinsic")
		return bin(g.cmpOpFor(traceql.TypeDuration), g.intrinsicExpr(traceql.IntrinsicDuration),
			bin(traceql.OpDiv, g.intrinsicExpr(traceql.IntrinsicTraceDuration), intLit(int64(1+g.pick(4)))))
	}
	return g.comparison()
}

func (g *qgen) filter(depth int) *traceql.SpansetFilter {
	if g.chance(0.08) {
		g.feat("filter:empty")
		return &traceql.SpansetFilter{}
	}
	return &traceql.SpansetFilter{Expr: g.boolExpr(depth)}
}

var structuralOps = []traceql.Operator{traceql.OpChild, traceql.OpParent, traceql.OpDescendant, traceql.OpAncestor,
	traceql.OpSibling, traceql.OpNotChild, traceql.OpNotParent, traceql.OpNotDescendant, traceql.OpNotAncestor,
	traceql.OpNotSibling, traceql.OpUnionChild, traceql.OpUnionParent, traceql.OpUnionDescendant,
	traceql.OpUnionAncestor, traceql.OpUnionSibling}

// spanset is a spanset expression: filters joined by spanset operators;
// inside operators a leaf may be a wrapped pipeline.
func (g *qgen) spanset(depth int, inOp bool) traceql.Stage {
	if depth <= 0 || g.chance(0.5) {
		if inOp && g.wrapped && g.chance(0.1) {
			g.feat("wrapped-pipeline")
			p := &traceql.Pipeline{Stages: []traceql.Stage{g.filter(1)}}
			switch g.pick(3) {
			case 0:
				p.Stages = append(p.Stages, g.scalarFilter())
			case 1:
				p.Stages = append(p.Stages, g.filter(1))
			default:
				p.Stages = append(p.Stages, g.selectOp())
			}
			return p
		}
		return g.filter(1 + g.pick(2))
	}
	var op traceql.Operator
	switch g.weighted(30, 25, 45) {
	case 0:
		op = traceql.OpSpansetAnd
	case 1:
		op = traceql.OpSpansetOr
	default:
		op = structuralOps[g.pick(len(structuralOps))]
	}
	g.feat("spanset:" + op.String())
	return &traceql.SpansetOp{Op: op, LHS: g.spanset(depth-1, true), RHS: g.spanset(depth-1, true)}
}

// numericOperand is a numeric expression for aggregates and metrics:
// mostly duration, else a numeric attribute, another duration intrinsic
// or arithmetic.
func (g *qgen) numericOperand() traceql.Expr {
	switch g.weighted(50, 30, 10, 10) {
	case 1:
		a, _ := g.attribute(true)
		return a
	case 2:
		f := []traceql.IntrinsicField{traceql.IntrinsicTraceDuration, traceql.IntrinsicEventTimeSinceStart, traceql.IntrinsicChildCount, traceql.IntrinsicNestedSetLeft}[g.pick(4)]
		return g.intrinsicExpr(f)
	case 3:
		return bin(traceql.OpMul, g.intrinsicExpr(traceql.IntrinsicDuration), intLit(int64(1+g.pick(3))))
	}
	return g.intrinsicExpr(traceql.IntrinsicDuration)
}

// scalarFilter is `aggregate op constant` (or the mirror form).
func (g *qgen) scalarFilter() traceql.Stage {
	agg := &traceql.Aggregate{Op: traceql.AggregateOp(g.weighted(40, 15, 15, 15, 15))}
	g.feat("agg:" + agg.Op.String())
	var lit *traceql.Static
	if agg.Op == traceql.AggregateCount {
		lit = intLit(int64(g.pick(8)))
	} else {
		agg.Expr = g.numericOperand()
		if in, ok := agg.Expr.(*traceql.Intrinsic); ok && in.Intrinsic == traceql.IntrinsicDuration {
			lit = durLit(g.durThreshold(g.h.durs))
		} else if a, ok := agg.Expr.(*traceql.Attribute); ok {
			lit = g.literalOf(g.someValue(a))
			if lit == nil || (lit.Type != traceql.TypeInt && lit.Type != traceql.TypeFloat) {
				lit = intLit(int64(g.pick(500)))
			}
		} else {
			lit = g.oneOf2(durLit(g.durThreshold(g.h.durs)), intLit(int64(g.pick(20))))
		}
		if agg.Op == traceql.AggregateSum && lit.Type == traceql.TypeDuration && g.chance(0.5) {
			lit = durLit(int64(lit.Dur) * int64(1+g.pick(10)))
		}
	}
	op := []traceql.Operator{traceql.OpEq, traceql.OpNeq, traceql.OpLT, traceql.OpLTE, traceql.OpGT, traceql.OpGTE}[g.weighted(8, 4, 10, 8, 15, 10)]
	if g.chance(0.1) {
		return &traceql.ScalarFilter{Op: op.Mirror(), LHS: lit, RHS: agg}
	}
	return &traceql.ScalarFilter{Op: op, LHS: agg, RHS: lit}
}

// someValue is an observed value of an attribute (zero Value if none).
func (g *qgen) someValue(a *traceql.Attribute) model.Value {
	ai := g.h.attrs[a.Scope][a.Name]
	if ai == nil || len(ai.values) == 0 {
		return model.Value{}
	}
	for try := 0; try < 6; try++ {
		v := ai.values[g.pick(len(ai.values))]
		if v.Type == model.ValueInt || v.Type == model.ValueDouble {
			return v
		}
	}
	return ai.values[0]
}

// groupExpr is a by() argument: a grouping-friendly attribute or
// intrinsic, or (rarely) a boolean expression.
func (g *qgen) groupExpr() traceql.Expr {
	switch g.weighted(25, 15, 10, 10, 30, 10) {
	case 0:
		return &traceql.Attribute{Scope: traceql.AttributeScopeResource, Name: model.ServiceNameKey}
	case 1:
		return g.intrinsicExpr(traceql.IntrinsicName)
	case 2:
		return g.intrinsicExpr(traceql.IntrinsicStatus)
	case 3:
		return g.intrinsicExpr(traceql.IntrinsicKind)
	case 4:
		a, _ := g.attribute(false)
		return a
	}
	g.feat("by:expression")
	return g.comparison()
}

func (g *qgen) selectOp() traceql.Stage {
	g.feat("select")
	s := &traceql.SelectOp{}
	for i := 0; i <= g.pick(3); i++ {
		if g.chance(0.6) {
			a, _ := g.attribute(false)
			s.Attrs = append(s.Attrs, a)
		} else {
			spec := genIntrinsics[g.weighted(intrinsicWeights...)]
			s.Attrs = append(s.Attrs, g.intrinsicExpr(spec.field))
		}
	}
	return s
}

// stage is a pipeline stage after the first.
func (g *qgen) stage() traceql.Stage {
	switch g.weighted(30, 15, 8, 15, 32) {
	case 0:
		return g.scalarFilter()
	case 1:
		g.feat("by")
		return &traceql.GroupOp{By: g.groupExpr()}
	case 2:
		g.feat("coalesce")
		return &traceql.CoalesceOp{}
	case 3:
		return g.selectOp()
	}
	g.feat("stage:spanset")
	return g.spanset(1, false)
}

// pipeline is a search pipeline: a spanset expression and 0–3 stages
// (none after an expression of wrapped pipelines, which the grammar does
// not allow).
func (g *qgen) pipeline(maxDepth int) *traceql.Pipeline {
	g.wrapped = g.chance(0.3)
	first := g.spanset(maxDepth, false)
	g.wrapped = false
	p := &traceql.Pipeline{Stages: []traceql.Stage{first}}
	if hasWrapped(first) {
		return p
	}
	for n := g.weighted(50, 30, 14, 6); n > 0; n-- {
		p.Stages = append(p.Stages, g.stage())
	}
	if len(p.Stages) > 1 {
		g.feat("pipeline")
	}
	return p
}

func hasWrapped(s traceql.Stage) bool {
	switch x := s.(type) {
	case *traceql.Pipeline:
		return true
	case *traceql.SpansetOp:
		return hasWrapped(x.LHS) || hasWrapped(x.RHS)
	}
	return false
}

// search builds a search query.
func (g *qgen) search() *traceql.RootExpr {
	root := &traceql.RootExpr{Pipeline: g.pipeline(1 + g.pick(3))}
	if g.chance(0.04) {
		g.feat("hint")
		root.Hints = &traceql.Hints{Hints: []*traceql.Hint{{Name: "most_recent", Value: &traceql.Static{Type: traceql.TypeBool, Bool: true}}}}
	}
	return root
}

// metricsFunc builds a metrics function with by() labels.
func (g *qgen) metricsFunc() *traceql.MetricsFunc {
	f := &traceql.MetricsFunc{Op: []traceql.MetricsFuncOp{
		traceql.MetricsRate, traceql.MetricsCountOverTime, traceql.MetricsMinOverTime, traceql.MetricsMaxOverTime,
		traceql.MetricsSumOverTime, traceql.MetricsAvgOverTime, traceql.MetricsQuantileOverTime,
		traceql.MetricsHistogramOverTime, traceql.MetricsCompare,
	}[g.weighted(15, 15, 9, 9, 9, 9, 14, 12, 8)]}
	g.feat("metrics:" + f.Op.String())
	switch f.Op {
	case traceql.MetricsRate, traceql.MetricsCountOverTime:
	case traceql.MetricsCompare:
		f.Filter = g.filter(1)
		f.NArgs = 1
		if g.chance(0.5) {
			f.NArgs, f.TopN = 2, int64(1+g.pick(20))
		}
		return f
	case traceql.MetricsQuantileOverTime:
		f.Attr = g.metricsAttr()
		for _, q := range []float64{0, 0.5, 0.9, 0.99, 1, 0.25} {
			if g.chance(0.4) || (q == 0.99 && len(f.Quantiles) == 0) {
				f.Quantiles = append(f.Quantiles, q)
			}
		}
	default:
		f.Attr = g.metricsAttr()
	}
	maxBy := traceql.Functions[f.Op.String()].MaxBy
	for n := g.weighted(35, 40, 20, 5); n > 0 && len(f.By) < maxBy; n-- {
		g.feat("metrics:by")
		e := g.groupExpr()
		if _, ok := e.(*traceql.BinaryExpr); ok {
			e = &traceql.Attribute{Scope: traceql.AttributeScopeSpan, Name: "http.route"}
		}
		f.By = append(f.By, e)
	}
	return f
}

// metricsAttr is the measured value of a *_over_time function: an
// attribute or intrinsic (metrics functions take no arithmetic).
func (g *qgen) metricsAttr() traceql.Expr {
	switch g.weighted(60, 30, 10) {
	case 1:
		a, _ := g.attribute(true)
		if g.chance(0.6) && len(g.h.numeric[traceql.AttributeScopeSpan]) > 0 {
			// Span attributes are where numbers usually are.
			keys := g.h.numeric[traceql.AttributeScopeSpan]
			a = &traceql.Attribute{Scope: traceql.AttributeScopeSpan, Name: keys[g.pick(len(keys))]}
		}
		return a
	case 2:
		return g.intrinsicExpr([]traceql.IntrinsicField{traceql.IntrinsicTraceDuration, traceql.IntrinsicEventTimeSinceStart, traceql.IntrinsicChildCount}[g.pick(3)])
	}
	return g.intrinsicExpr(traceql.IntrinsicDuration)
}

// metrics builds a metrics query.
func (g *qgen) metrics() *traceql.RootExpr {
	mp := func() *traceql.MetricsPipeline {
		var first traceql.Stage
		switch g.weighted(40, 35, 25) {
		case 0:
			g.feat("filter:empty")
			first = &traceql.SpansetFilter{}
		case 1:
			first = &traceql.SpansetFilter{Expr: g.boolExpr(0)}
		default:
			first = g.spanset(g.pick(2), false)
		}
		p := &traceql.Pipeline{Stages: []traceql.Stage{first}}
		if g.chance(0.25) {
			p.Stages = append(p.Stages, g.stage())
		}
		return &traceql.MetricsPipeline{Pipeline: p, Func: g.metricsFunc()}
	}
	var e traceql.Expr = mp()
	if m := e.(*traceql.MetricsPipeline); m.Func.Op != traceql.MetricsCompare {
		switch g.weighted(80, 8, 6, 6) {
		case 1:
			g.feat("metrics:topk")
			kind := traceql.SecondStageTopK
			if g.chance(0.5) {
				kind = traceql.SecondStageBottomK
			}
			e = &traceql.MetricsSecondStage{Expr: e, Ops: []*traceql.SecondStageOp{{Kind: kind, K: int64(1 + g.pick(3))}}}
		case 2:
			g.feat("metrics:filter")
			e = &traceql.MetricsSecondStage{Expr: e, Ops: []*traceql.SecondStageOp{{Kind: traceql.SecondStageFilter,
				Op: []traceql.Operator{traceql.OpGT, traceql.OpLT, traceql.OpGTE}[g.pick(3)], Value: floatLit([]float64{0.5, 1, 2, 0.01}[g.pick(4)])}}}
		case 3:
			g.feat("metrics:arithmetic")
			other := mp()
			if other.Func.Op == traceql.MetricsCompare {
				other.Func = &traceql.MetricsFunc{Op: traceql.MetricsCountOverTime}
			}
			if g.chance(0.5) {
				e = bin([]traceql.Operator{traceql.OpAdd, traceql.OpSub, traceql.OpMul, traceql.OpDiv}[g.pick(4)], e, other)
			} else {
				e = bin(traceql.OpMul, e, intLit(int64(2+g.pick(3))))
			}
		}
	}
	root := &traceql.RootExpr{Metrics: e}
	if g.chance(0.25) {
		g.feat("metrics:exemplars-hint")
		var v traceql.Expr = &traceql.Static{Type: traceql.TypeBool, Bool: false}
		if g.chance(0.5) {
			v = intLit(int64(1 + g.pick(5)))
		}
		root.Hints = &traceql.Hints{Hints: []*traceql.Hint{{Name: "exemplars", Value: v}}}
	}
	return root
}
