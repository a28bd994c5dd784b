package traceql

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ItemType identifies the class of a lexical item. Operators and keywords sit
// in contiguous ranges so IsOperator/IsKeyword are range checks.
type ItemType int

// Lexical items.
const (
	itemError ItemType = iota // text is the error message
	itemEOF

	// Literals and names.
	itemIdentifier      // bare word that is not a keyword (always an error in TraceQL)
	itemString          // "..." or `...`; text is the raw lexeme
	itemInteger         // 123
	itemFloat           // 1.5 .5 1e3
	itemDuration        // 10ms 1h30m
	itemAttrScope       // "." "span." "resource." "event." "link." "instrumentation." "parent."
	itemAttrName        // name following an attribute scope, raw (may contain quoted segments)
	itemScopedIntrinsic // span:name trace:id ... (combination checked by the parser)

	operatorsStart
	itemLBrace   // {
	itemRBrace   // }
	itemLParen   // (
	itemRParen   // )
	itemComma    // ,
	itemPipe     // |
	itemAnd      // &&
	itemOr       // ||
	itemEq       // =
	itemNeq      // !=
	itemLT       // <
	itemLTE      // <=
	itemGT       // >
	itemGTE      // >=
	itemRegex    // =~
	itemNotRegex // !~ (also "not sibling")
	itemAdd      // +
	itemSub      // -
	itemMul      // *
	itemDiv      // /
	itemMod      // %
	itemPow      // ^
	itemNot      // !
	itemTilde    // ~ (sibling)
	itemDesc     // >>
	itemAnc      // <<
	itemNotChild // !>
	itemNotParent
	itemNotDesc
	itemNotAnc
	itemUnionChild   // &>
	itemUnionParent  // &<
	itemUnionDesc    // &>>
	itemUnionAnc     // &<<
	itemUnionSibling // &~
	operatorsEnd

	keywordsStart
	itemTrue
	itemFalse
	itemNil
	itemStatusOk
	itemStatusError
	itemStatusUnset
	itemKindUnspecified
	itemKindInternal
	itemKindServer
	itemKindClient
	itemKindProducer
	itemKindConsumer
	itemMinInt
	itemMaxInt
	// Legacy unscoped intrinsics.
	itemIntrName
	itemIntrStatus
	itemIntrStatusMessage
	itemIntrKind
	itemIntrDuration
	itemIntrTraceDuration
	itemIntrRootName
	itemIntrRootServiceName
	itemIntrNestedSetLeft
	itemIntrNestedSetRight
	itemIntrNestedSetParent
	itemIntrParent
	// Words that are only valid after a scope colon; bare they are errors.
	itemWordChildCount
	itemWordID
	itemWordTraceID
	itemWordSpanID
	itemWordParentID
	itemWordTimeSinceStart
	itemWordVersion
	itemWordRootService
	// Pipeline functions.
	itemCount
	itemAvg
	itemMin
	itemMax
	itemSum
	itemBy
	itemCoalesce
	itemSelect
	// Metrics functions.
	itemRate
	itemCountOverTime
	itemMinOverTime
	itemMaxOverTime
	itemSumOverTime
	itemAvgOverTime
	itemQuantileOverTime
	itemHistogramOverTime
	itemCompare
	itemTopK
	itemBottomK
	itemWith
	keywordsEnd
)

// IsOperator reports whether t is an operator or punctuation item.
func (t ItemType) IsOperator() bool { return t > operatorsStart && t < operatorsEnd }

// IsKeyword reports whether t is a reserved word.
func (t ItemType) IsKeyword() bool { return t > keywordsStart && t < keywordsEnd }

// keywords maps reserved words to item types. Case-sensitive, like Tempo.
var keywords = map[string]ItemType{
	"true": itemTrue, "false": itemFalse, "nil": itemNil,
	"ok": itemStatusOk, "error": itemStatusError, "unset": itemStatusUnset,
	"unspecified": itemKindUnspecified, "internal": itemKindInternal, "server": itemKindServer,
	"client": itemKindClient, "producer": itemKindProducer, "consumer": itemKindConsumer,
	"minInt": itemMinInt, "maxInt": itemMaxInt,
	"name": itemIntrName, "status": itemIntrStatus, "statusMessage": itemIntrStatusMessage,
	"kind": itemIntrKind, "duration": itemIntrDuration, "traceDuration": itemIntrTraceDuration,
	"rootName": itemIntrRootName, "rootServiceName": itemIntrRootServiceName,
	"nestedSetLeft": itemIntrNestedSetLeft, "nestedSetRight": itemIntrNestedSetRight,
	"nestedSetParent": itemIntrNestedSetParent, "parent": itemIntrParent,
	"childCount": itemWordChildCount, "id": itemWordID, "traceID": itemWordTraceID,
	"spanID": itemWordSpanID, "parentID": itemWordParentID, "timeSinceStart": itemWordTimeSinceStart,
	"version": itemWordVersion, "rootService": itemWordRootService,
	"count": itemCount, "avg": itemAvg, "min": itemMin, "max": itemMax, "sum": itemSum,
	"by": itemBy, "coalesce": itemCoalesce, "select": itemSelect,
	"rate": itemRate, "count_over_time": itemCountOverTime, "min_over_time": itemMinOverTime,
	"max_over_time": itemMaxOverTime, "sum_over_time": itemSumOverTime, "avg_over_time": itemAvgOverTime,
	"quantile_over_time": itemQuantileOverTime, "histogram_over_time": itemHistogramOverTime,
	"compare": itemCompare, "topk": itemTopK, "bottomk": itemBottomK, "with": itemWith,
}

// operators lists operator lexemes, longest first within each leading byte
// so the lexer can match greedily.
var operators = []struct {
	text string
	typ  ItemType
}{
	{"!>>", itemNotDesc}, {"!<<", itemNotAnc}, {"&>>", itemUnionDesc}, {"&<<", itemUnionAnc},
	{"!=", itemNeq}, {"=~", itemRegex}, {"!~", itemNotRegex}, {">=", itemGTE}, {"<=", itemLTE},
	{"&&", itemAnd}, {"||", itemOr}, {">>", itemDesc}, {"<<", itemAnc}, {"!>", itemNotChild},
	{"!<", itemNotParent}, {"&>", itemUnionChild}, {"&<", itemUnionParent}, {"&~", itemUnionSibling},
	{"{", itemLBrace}, {"}", itemRBrace}, {"(", itemLParen}, {")", itemRParen}, {",", itemComma},
	{"|", itemPipe}, {"=", itemEq}, {"<", itemLT}, {">", itemGT}, {"+", itemAdd}, {"-", itemSub},
	{"*", itemMul}, {"/", itemDiv}, {"%", itemMod}, {"^", itemPow}, {"!", itemNot}, {"~", itemTilde},
}

// attribute scope words that, followed by '.', start an attribute.
var attrScopes = map[string]bool{
	"span": true, "resource": true, "event": true, "link": true, "instrumentation": true, "parent": true,
}

// intrinsic scope words that, followed by ':', start a scoped intrinsic.
var intrinsicScopes = map[string]bool{
	"span": true, "trace": true, "event": true, "link": true, "instrumentation": true,
}

// item is one lexeme: its type, byte offset and text.
type item struct {
	typ  ItemType
	pos  Pos
	text string
}

// stateFn is one state of the lexer; it returns the next state.
type stateFn func(*lexer) stateFn

// lexer turns a query into items. It is pulled synchronously by the parser
// through nextItem: each call runs state functions until one item is ready.
type lexer struct {
	input string
	pos   int // current offset
	start int // start of the current item
	state stateFn
	item  item // the item being returned
	ready bool
}

func newLexer(input string) *lexer {
	return &lexer{input: input, state: lexAny}
}

// nextItem returns the next item; after EOF or an error it keeps returning EOF.
func (l *lexer) nextItem() item {
	l.ready = false
	for !l.ready {
		if l.state == nil {
			return item{typ: itemEOF, pos: Pos(len(l.input))}
		}
		l.state = l.state(l)
	}
	return l.item
}

const eof = -1

func (l *lexer) next() rune {
	if l.pos >= len(l.input) {
		l.pos++ // so backup works symmetrically
		return eof
	}
	r, w := utf8.DecodeRuneInString(l.input[l.pos:])
	l.pos += w
	return r
}

func (l *lexer) peek() rune {
	if l.pos >= len(l.input) {
		return eof
	}
	r, _ := utf8.DecodeRuneInString(l.input[l.pos:])
	return r
}

func (l *lexer) peekAt(off int) byte {
	if l.pos+off >= len(l.input) {
		return 0
	}
	return l.input[l.pos+off]
}

func (l *lexer) emit(t ItemType) {
	end := l.pos
	if end > len(l.input) {
		end = len(l.input)
	}
	l.item = item{typ: t, pos: Pos(l.start), text: l.input[l.start:end]}
	l.ready = true
	l.start = l.pos
}

// errorf emits an error item at the start of the current lexeme and stops.
func (l *lexer) errorf(msg string) stateFn {
	l.item = item{typ: itemError, pos: Pos(l.start), text: msg}
	l.ready = true
	return nil
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isWordStart(r rune) bool { return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') }

func isWordChar(r rune) bool { return isWordStart(r) || isDigit(r) }

// isNameTerminator reports whether r ends an unquoted attribute name.
func isNameTerminator(r rune) bool {
	return r == eof || isSpace(r) || strings.ContainsRune("{}()=~!<>&|^,", r)
}

// lexAny is the top-level state.
func lexAny(l *lexer) stateFn {
	// whitespace and comments
	for {
		r := l.peek()
		if isSpace(r) {
			l.next()
			continue
		}
		if r == '/' && l.peekAt(1) == '/' {
			if i := strings.IndexByte(l.input[l.pos:], '\n'); i >= 0 {
				l.pos += i + 1
			} else {
				l.pos = len(l.input)
			}
			continue
		}
		if r == '/' && l.peekAt(1) == '*' {
			l.start = l.pos
			i := strings.Index(l.input[l.pos+2:], "*/")
			if i < 0 {
				return l.errorf("unterminated comment")
			}
			l.pos += 2 + i + 2
			continue
		}
		break
	}
	l.start = l.pos
	r := l.peek()
	switch {
	case r == eof:
		l.emit(itemEOF)
		return nil
	case r == '"':
		return lexString
	case r == '`':
		return lexRawString
	case isDigit(r) || (r == '.' && isDigit(rune(l.peekAt(1)))):
		return lexNumber
	case r == '.':
		l.next()
		l.emit(itemAttrScope)
		return lexAttrName
	case isWordStart(r):
		return lexWord
	}
	for _, o := range operators {
		if strings.HasPrefix(l.input[l.pos:], o.text) {
			l.pos += len(o.text)
			l.emit(o.typ)
			return lexAny
		}
	}
	l.next()
	return l.errorf("unexpected character " + quoteRune(r))
}

func quoteRune(r rune) string {
	if r == utf8.RuneError {
		return "invalid UTF-8"
	}
	return "'" + string(r) + "'"
}

func lexString(l *lexer) stateFn {
	l.next() // opening quote
	for {
		switch l.next() {
		case '\\':
			if r := l.next(); r == eof || r == '\n' {
				return l.errorf("unterminated string")
			}
		case '"':
			l.emit(itemString)
			return lexAny
		case eof, '\n':
			return l.errorf("unterminated string")
		}
	}
}

func lexRawString(l *lexer) stateFn {
	l.next()
	i := strings.IndexByte(l.input[l.pos:], '`')
	if i < 0 {
		return l.errorf("unterminated raw string")
	}
	l.pos += i + 1
	l.emit(itemString)
	return lexAny
}

// lexNumber scans an integer, float or duration. A number immediately
// followed by letters is a duration; validity of the text is checked by the
// parser, which reports a positioned error.
func lexNumber(l *lexer) stateFn {
	typ := itemInteger
	for isDigit(l.peek()) {
		l.next()
	}
	if l.peek() == '.' {
		l.next()
		typ = itemFloat
		for isDigit(l.peek()) {
			l.next()
		}
	}
	if r := l.peek(); r == 'e' || r == 'E' {
		save := l.pos
		l.next()
		if s := l.peek(); s == '+' || s == '-' {
			l.next()
		}
		if isDigit(l.peek()) {
			typ = itemFloat
			for isDigit(l.peek()) {
				l.next()
			}
		} else {
			l.pos = save
		}
	}
	// unit letters (and the digits/dots of compound durations)
	if r := l.peek(); unicode.IsLetter(r) || r == '_' {
		for {
			r := l.peek()
			if unicode.IsLetter(r) || isDigit(r) || r == '.' || r == '_' {
				l.next()
				continue
			}
			break
		}
		typ = itemDuration
	}
	l.emit(typ)
	return lexAny
}

// lexWord scans a bare word: keyword, identifier, attribute scope (word
// followed by '.') or scoped intrinsic (word ':' word).
func lexWord(l *lexer) stateFn {
	for isWordChar(l.peek()) {
		l.next()
	}
	word := l.input[l.start:l.pos]
	switch r := l.peek(); {
	case r == '.' && attrScopes[word]:
		l.next()
		l.emit(itemAttrScope)
		if word == "parent" {
			return lexParentScope
		}
		return lexAttrName
	case r == ':' && intrinsicScopes[word]:
		l.next()
		if !isWordStart(l.peek()) {
			l.pos = l.start + len(word) + 1
			return l.errorf("expected intrinsic name after " + word + ":")
		}
		for isWordChar(l.peek()) {
			l.next()
		}
		l.emit(itemScopedIntrinsic)
		return lexAny
	}
	if t, ok := keywords[word]; ok {
		l.emit(t)
	} else {
		l.emit(itemIdentifier)
	}
	return lexAny
}

// lexParentScope emits the optional second scope of parent.span.x and
// parent.resource.x.
func lexParentScope(l *lexer) stateFn {
	for _, s := range []string{"span.", "resource."} {
		if strings.HasPrefix(l.input[l.pos:], s) {
			l.pos += len(s)
			l.emit(itemAttrScope)
			break
		}
	}
	return lexAttrName
}

// lexAttrName scans an attribute name: everything up to whitespace or one of
// {}()=~!<>&|^, with "quoted segments" allowed anywhere.
func lexAttrName(l *lexer) stateFn {
	for {
		r := l.peek()
		if r == '"' {
			l.next()
			for {
				c := l.next()
				if c == '\\' {
					c = l.next()
					if c == eof {
						return l.errorf("unterminated quoted attribute name")
					}
					continue
				}
				if c == '"' {
					break
				}
				if c == eof {
					return l.errorf("unterminated quoted attribute name")
				}
			}
			continue
		}
		if isNameTerminator(r) {
			break
		}
		l.next()
	}
	if l.pos == l.start {
		return l.errorf("expected attribute name")
	}
	l.emit(itemAttrName)
	return lexAny
}

// decodeAttrName removes the quotes of quoted segments in a raw attribute
// name; inside quotes only \" and \\ are escapes.
func decodeAttrName(raw string) string {
	if !strings.Contains(raw, `"`) {
		return raw
	}
	var b strings.Builder
	inQuote := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote && c == '\\' && i+1 < len(raw) && (raw[i+1] == '"' || raw[i+1] == '\\'):
			i++
			b.WriteByte(raw[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
