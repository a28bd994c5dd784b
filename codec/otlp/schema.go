package otlp

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// msg is an OTLP message type as met in OTLP/JSON; mNone stands for
// anything else (an unknown field, a scalar), which is not checked.
type msg uint8

const (
	mNone msg = iota
	mRequest
	mResourceSpans
	mResource
	mScopeSpans
	mScope
	mSpan
	mStatus
	mEvent
	mLink
	mKeyValue
	mAnyValue
	mArrayValue
	mKeyValueList
)

// kind is what JSON a field of a message holds, as pdata reads it.
type kind uint8

const (
	kString kind = iota + 1 // a string; null reads as ""
	kID                     // a hex (or base64) ID string
	kTime                   // Unix nanoseconds: a number or decimal string
	kCount                  // a uint32: a number or decimal string
	kInt                    // an int64: a number or decimal string
	kDouble                 // a number, or a string strconv.ParseFloat reads ("NaN")
	kEnum                   // a number or an enum name
	kBool                   // true or false (null is refused, as by pdata)
	kBytes                  // a base64 string
	kObject                 // an object of type msg, or null
	kArray                  // an array of objects of type msg (or nulls), or null
)

// field describes a known field: its kind and, for objects and arrays,
// the message type of the object or of the elements.
type field struct {
	kind kind
	msg  msg
}

// schema lists the fields of every message pdata reads from OTLP/JSON
// traces, by their lowerCamelCase names; snakeCase and the legacy names
// (instrumentationLibrarySpans, Tempo's batches) are mapped to them by
// fieldOf. pdata skips unknown fields, and so do the checks.
var schema = map[msg]map[string]field{
	mRequest:       {"resourceSpans": {kArray, mResourceSpans}},
	mResourceSpans: {"resource": {kObject, mResource}, "scopeSpans": {kArray, mScopeSpans}, "schemaUrl": {kString, mNone}},
	mResource:      {"attributes": {kArray, mKeyValue}, "droppedAttributesCount": {kCount, mNone}},
	mScopeSpans:    {"scope": {kObject, mScope}, "spans": {kArray, mSpan}, "schemaUrl": {kString, mNone}},
	mScope: {"name": {kString, mNone}, "version": {kString, mNone}, "attributes": {kArray, mKeyValue},
		"droppedAttributesCount": {kCount, mNone}},
	mSpan: {"traceId": {kID, mNone}, "spanId": {kID, mNone}, "parentSpanId": {kID, mNone}, "traceState": {kString, mNone},
		"flags": {kCount, mNone}, "name": {kString, mNone}, "kind": {kEnum, mNone},
		"startTimeUnixNano": {kTime, mNone}, "endTimeUnixNano": {kTime, mNone},
		"attributes": {kArray, mKeyValue}, "droppedAttributesCount": {kCount, mNone},
		"events": {kArray, mEvent}, "droppedEventsCount": {kCount, mNone},
		"links": {kArray, mLink}, "droppedLinksCount": {kCount, mNone}, "status": {kObject, mStatus}},
	mStatus: {"message": {kString, mNone}, "code": {kEnum, mNone}},
	mEvent: {"timeUnixNano": {kTime, mNone}, "name": {kString, mNone}, "attributes": {kArray, mKeyValue},
		"droppedAttributesCount": {kCount, mNone}},
	mLink: {"traceId": {kID, mNone}, "spanId": {kID, mNone}, "traceState": {kString, mNone}, "flags": {kCount, mNone},
		"attributes": {kArray, mKeyValue}, "droppedAttributesCount": {kCount, mNone}},
	mKeyValue: {"key": {kString, mNone}, "value": {kObject, mAnyValue}},
	mAnyValue: {"stringValue": {kString, mNone}, "boolValue": {kBool, mNone}, "intValue": {kInt, mNone},
		"doubleValue": {kDouble, mNone}, "arrayValue": {kObject, mArrayValue}, "kvlistValue": {kObject, mKeyValueList},
		"bytesValue": {kBytes, mNone}},
	mArrayValue:   {"values": {kArray, mAnyValue}},
	mKeyValueList: {"values": {kArray, mKeyValue}},
}

// legacyNames maps names older exporters and Tempo write to current ones.
var legacyNames = map[msg]map[string]string{
	mRequest:       {"batches": "resourceSpans"},
	mResourceSpans: {"instrumentationLibrarySpans": "scopeSpans", "instrumentation_library_spans": "scopeSpans"},
	mScopeSpans:    {"instrumentationLibrary": "scope", "instrumentation_library": "scope"},
}

// fieldOf returns the lowerCamelCase name of key in a message of type m
// and its description; ok is false for an unknown field.
func fieldOf(m msg, key string) (name string, f field, ok bool) {
	if n, isLegacy := legacyNames[m][key]; isLegacy {
		key = n
	} else if strings.Contains(key, "_") {
		key = camel(key)
	}
	f, ok = schema[m][key]
	return key, f, ok
}

// camel turns snake_case into lowerCamelCase, as protojson names fields.
func camel(s string) string {
	var b strings.Builder
	up := false
	for _, r := range s {
		switch {
		case r == '_':
			up = true
		case up:
			b.WriteRune(unicode.ToUpper(r))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// checkField checks a value token of a known field of message m; name is
// the field's lowerCamelCase name. IDs are checked (and rewritten) by
// idValue. The messages say what was wanted and what came.
func checkField(m msg, name string, f field, tok json.Token) error {
	d, isDelim := tok.(json.Delim)
	switch f.kind {
	case kObject:
		if tok == nil || isDelim && d == '{' {
			return nil
		}
		return fmt.Errorf("want an object, got %s", describe(tok))
	case kArray:
		if tok == nil || isDelim && d == '[' {
			return nil
		}
		return fmt.Errorf("want an array, got %s", describe(tok))
	case kString:
		if _, ok := tok.(string); ok || tok == nil {
			return nil
		}
		return fmt.Errorf("want a string, got %s", describe(tok))
	case kID:
		if _, ok := tok.(string); ok {
			return nil
		}
		return fmt.Errorf("want a hex string, got %s", describe(tok))
	case kBool:
		if _, ok := tok.(bool); ok {
			return nil
		}
		return fmt.Errorf("want true or false, got %s", describe(tok))
	case kBytes:
		s, ok := tok.(string)
		if !ok {
			return fmt.Errorf("want a base64 string, got %s", describe(tok))
		}
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			return fmt.Errorf("bad bytesValue %s: not base64", clipQuote(s))
		}
		return nil
	}
	// Numbers: a JSON number or a string holding one (protojson writes
	// 64-bit integers as strings); null is refused, as by pdata.
	var text string
	switch v := tok.(type) {
	case string:
		text = v
	case json.Number:
		text = v.String()
	default:
		return fmt.Errorf("want a number or string, got %s", describe(tok))
	}
	switch f.kind {
	case kTime:
		return checkTime(text)
	case kCount:
		if _, err := strconv.ParseUint(text, 10, 32); err != nil {
			if name == "flags" {
				return fmt.Errorf("bad flags %s", clipQuote(text))
			}
			return fmt.Errorf("bad count %s", clipQuote(text))
		}
	case kInt:
		if _, err := strconv.ParseInt(text, 10, 64); err != nil {
			return fmt.Errorf("bad intValue %s", clipQuote(text))
		}
	case kDouble:
		if _, err := strconv.ParseFloat(text, 64); err != nil {
			return fmt.Errorf("bad doubleValue %s", clipQuote(text))
		}
	case kEnum:
		if m == mStatus {
			return checkEnum(tok, text, statusCodes, "status code")
		}
		return checkEnum(tok, text, spanKinds, "span kind")
	}
	return nil
}

// clipQuote quotes s, cut to 64 bytes.
func clipQuote(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + "..."
	}
	return strconv.Quote(s)
}
