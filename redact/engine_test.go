package redact

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tracectl/tracectl/model"
)

var valueOpts = cmp.Options{cmpopts.EquateEmpty(), cmp.Comparer(func(a, b model.Value) bool { return a.Equal(b) })}

func mustCompile(t *testing.T, src string, opts Options) *Engine {
	t.Helper()
	e, err := Compile("test.yaml", []byte(src), opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// oneSpan returns a trace with one resource (service svc) and one span.
func oneSpan(svc, name string, attrs ...model.Attribute) *model.Trace {
	return &model.Trace{ResourceSpans: []model.ResourceSpans{{
		Resource: model.Resource{Attributes: []model.Attribute{model.Str("service.name", svc), model.Str("host.ip", "10.0.0.1")}},
		ScopeSpans: []model.ScopeSpans{{Scope: model.Scope{Name: "lib", Version: "1.0"}, Spans: []model.Span{{
			Name: name, Kind: model.KindServer, Attributes: attrs,
			Events: []model.Event{{Name: "ev", Attributes: []model.Attribute{model.Str("user.email", "e@example.com")}}},
			Links:  []model.Link{{Attributes: []model.Attribute{model.Str("user.email", "l@example.com")}}},
		}}}},
	}}}
}

func spanOf(t *model.Trace) *model.Span { return &t.ResourceSpans[0].ScopeSpans[0].Spans[0] }

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestAttributeActions(t *testing.T) {
	src := `
rules:
  - name: acts
    attributes:
      actions:
        - {key: password, action: delete}
        - {pattern: ^secret\., action: delete}
        - {key: user.id, action: hash}
        - {key: env, action: insert, value: prod}
        - {key: region, action: insert, value: eu}
        - {key: tier, action: update, value: gold}
        - {key: missing, action: update, value: x}
        - {key: copy, action: upsert, from_attribute: user.name}
        - {key: fallback, action: upsert, from_attribute: nope, default_value: 7}
        - {key: http.url, action: extract, pattern: '^https://(?P<url_host>[^/]+)(?P<url_path>/[^?]*)'}
        - {key: code, action: convert, converted_type: int}
        - {key: ratio, action: convert, converted_type: string}
        - {key: bad, action: convert, converted_type: double}
`
	e := mustCompile(t, src, Options{})
	tr := oneSpan("svc", "op",
		model.Str("password", "hunter2"), model.Str("secret.a", "x"), model.Str("secret.b", "y"),
		model.Str("user.id", "u-42"), model.Str("region", "us"), model.Str("tier", "silver"),
		model.Str("user.name", "ann"), model.Str("http.url", "https://shop.example/cart?id=1"),
		model.Str("code", "404"), model.Double("ratio", 0.5), model.Str("bad", "n/a"))
	if !e.Apply(tr) {
		t.Fatal("Apply reported no change")
	}
	want := []model.Attribute{
		model.Str("user.id", sha([]byte("u-42"))), model.Str("region", "us"), model.Str("tier", "gold"),
		model.Str("user.name", "ann"), model.Str("http.url", "https://shop.example/cart?id=1"),
		model.Int("code", 404), model.Str("ratio", "0.5"), model.Str("bad", "n/a"),
		model.Str("env", "prod"), model.Str("copy", "ann"), model.Int("fallback", 7),
		model.Str("url_host", "shop.example"), model.Str("url_path", "/cart"),
	}
	if diff := cmp.Diff(want, spanOf(tr).Attributes, valueOpts); diff != "" {
		t.Errorf("span attributes (-want +got):\n%s", diff)
	}
	// Events, links and the resource are not a default target.
	if v, _ := model.Find(spanOf(tr).Events[0].Attributes, "user.email"); v.Str != "e@example.com" {
		t.Errorf("event changed: %v", v)
	}
	st := e.Stats()[0]
	if st.Spans != 1 || st.Deleted != 3 || st.Hashed != 1 || st.Set != 4 || st.Extracted != 2 || st.Converted != 2 {
		t.Errorf("stats = %+v", st)
	}
	// A second pass changes nothing but the hash (hashing is not idempotent).
	e2 := mustCompile(t, src, Options{})
	before := spanOf(tr).Attributes[0].Value.Str
	e2.Apply(tr)
	if spanOf(tr).Attributes[0].Value.Str == before {
		t.Error("hash of a hash equals the hash")
	}
}

func TestIncludeExclude(t *testing.T) {
	src := `
rules:
  - name: strict
    apply_to: [span, event, link]
    attributes:
      include:
        match_type: strict
        services: [api]
        span_kinds: [SPAN_KIND_SERVER]
        attributes: [{key: http.method, value: POST}]
      exclude:
        match_type: regexp
        span_names: ['^health']
      actions: [{key: user.email, action: delete}]
`
	tests := []struct {
		name    string
		tr      *model.Trace
		changed bool
	}{
		{"all match", oneSpan("api", "login", model.Str("http.method", "POST"), model.Str("user.email", "a@b.io")), true},
		{"other service", oneSpan("web", "login", model.Str("http.method", "POST"), model.Str("user.email", "a@b.io")), false},
		{"attribute differs", oneSpan("api", "login", model.Str("http.method", "GET"), model.Str("user.email", "a@b.io")), false},
		{"excluded name", oneSpan("api", "healthz", model.Str("http.method", "POST"), model.Str("user.email", "a@b.io")), false},
	}
	for _, tc := range tests {
		e := mustCompile(t, src, Options{})
		if got := e.Apply(tc.tr); got != tc.changed {
			t.Errorf("%s: changed = %v, want %v", tc.name, got, tc.changed)
		}
		sp := spanOf(tc.tr)
		_, inSpan := model.Find(sp.Attributes, "user.email")
		_, inEvent := model.Find(sp.Events[0].Attributes, "user.email")
		_, inLink := model.Find(sp.Links[0].Attributes, "user.email")
		if tc.changed == (inSpan || inEvent || inLink) {
			t.Errorf("%s: user.email left in span/event/link = %v/%v/%v", tc.name, inSpan, inEvent, inLink)
		}
	}
	// Resource target with a services matcher.
	e := mustCompile(t, `
rules:
  - apply_to: [resource]
    attributes:
      include: {match_type: regexp, services: ['^ap']}
      actions: [{key: host.ip, action: delete}]
`, Options{})
	tr := oneSpan("api", "x")
	e.Apply(tr)
	if _, ok := model.Find(tr.ResourceSpans[0].Resource.Attributes, "host.ip"); ok || e.Stats()[0].Resources != 1 {
		t.Errorf("resource attribute kept: %v", tr.ResourceSpans[0].Resource.Attributes)
	}
}

func TestRedactionSemantics(t *testing.T) {
	src := `
rules:
  - name: red
    redaction:
      allowed_keys: [service.name, http.method, note, card, token.kind, list, ok]
      ignored_keys: [host.ip, debug.raw]
      blocked_key_patterns: ['^token\.']
      allowed_values: ['@internal\.example$']
      blocked_values: ['\b4[0-9]{15}\b']
      detectors: [email]
      summary: debug
`
	e := mustCompile(t, src, Options{})
	tr := oneSpan("svc", "op",
		model.Str("http.method", "GET"),
		model.Str("note", "mail bob@example.com or 4111111111111111"),
		model.Str("card", "ops@internal.example"),
		model.Str("token.kind", "refresh"),
		model.Str("debug.raw", "x@example.com"),
		model.Str("password", "hunter2"),
		model.Attribute{Key: "list", Value: model.ArrayValue(model.StringValue("c@example.com"), model.IntValue(1))},
		model.Int("ok", 5))
	e.Apply(tr)
	want := []model.Attribute{
		model.Str("http.method", "GET"),
		model.Str("note", "mail **** or ****"),
		model.Str("card", "ops@internal.example"),
		model.Str("token.kind", "****"),
		model.Str("debug.raw", "x@example.com"),
		{Key: "list", Value: model.ArrayValue(model.StringValue("****"), model.IntValue(1))},
		model.Int("ok", 5),
		model.Str("redaction.redacted.keys", "password"),
		model.Str("redaction.masked.keys", "list,note,token.kind"),
		model.Str("redaction.allowed.keys", "card"),
		model.Int("redaction.redacted.count", 1),
		model.Int("redaction.masked.count", 3),
		model.Int("redaction.allowed.count", 1),
		model.Int("redaction.ignored.count", 1),
	}
	if diff := cmp.Diff(want, spanOf(tr).Attributes, valueOpts); diff != "" {
		t.Errorf("span attributes (-want +got):\n%s", diff)
	}
	// Fail closed on the resource: only service.name and the ignored
	// host.ip survive; links are not a default target.
	res := tr.ResourceSpans[0].Resource.Attributes
	if _, ok := model.Find(res, "service.name"); !ok || len(res) != 3 { // + redaction.ignored.count
		t.Errorf("resource = %v", res)
	}
	if v, _ := model.Find(spanOf(tr).Links[0].Attributes, "user.email"); v.Str != "l@example.com" {
		t.Errorf("link changed: %v", v)
	}
	// Event attributes: user.email is not allowed, so deleted.
	if _, ok := model.Find(spanOf(tr).Events[0].Attributes, "user.email"); ok {
		t.Error("event user.email kept")
	}
}

func TestSummaryInfoAndSilent(t *testing.T) {
	for _, tc := range []struct {
		summary string
		want    []model.Attribute
	}{
		{"info", []model.Attribute{model.Str("a", "****"), model.Int("redaction.masked.count", 1)}},
		{"silent", []model.Attribute{model.Str("a", "****")}},
	} {
		e := mustCompile(t, "rules:\n  - apply_to: [span]\n    redaction: {allow_all_keys: true, blocked_values: [x], summary: "+tc.summary+"}\n", Options{})
		tr := oneSpan("s", "n", model.Str("a", "x"))
		e.Apply(tr)
		if diff := cmp.Diff(tc.want, spanOf(tr).Attributes, valueOpts); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.summary, diff)
		}
	}
}

func TestHashFunctions(t *testing.T) {
	key := []byte("k3y")
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("4111111111111111"))
	md := md5.Sum([]byte("4111111111111111"))
	for fn, want := range map[string]string{
		"md5":         hex.EncodeToString(md[:]),
		"hmac-sha256": hex.EncodeToString(mac.Sum(nil)),
		// SHA3-256 of the same text, from an independent implementation
		// (Python hashlib.sha3_256).
		"sha3": "6099154214406cce6105a4688ab66533d3a55d1d7dd393cbccf22b487a22d922",
	} {
		e := mustCompile(t, "rules:\n  - apply_to: [span]\n    redaction: {allow_all_keys: true, detectors: [credit_card], hash_function: "+fn+"}\n", Options{HashKey: key})
		tr := oneSpan("s", "n", model.Str("c", "card 4111111111111111."))
		e.Apply(tr)
		if got := spanOf(tr).Attributes[0].Value.Str; got != "card "+want+"." {
			t.Errorf("%s: %q", fn, got)
		}
	}
}

func TestNamesAndStatus(t *testing.T) {
	e := mustCompile(t, `
rules:
  - name: names
    apply_to: [span_name, event_name, status_message]
    redaction: {allow_all_keys: true, detectors: [email, ipv4]}
`, Options{})
	tr := oneSpan("s", "GET /users/ann@example.com")
	sp := spanOf(tr)
	sp.Events[0].Name = "retry 10.0.0.7"
	sp.Status.Message = "no route to 10.0.0.8"
	if !e.Apply(tr) {
		t.Fatal("no change")
	}
	if sp.Name != "GET /users/****" || sp.Events[0].Name != "retry ****" || sp.Status.Message != "no route to ****" {
		t.Errorf("name %q, event %q, status %q", sp.Name, sp.Events[0].Name, sp.Status.Message)
	}
	// Attributes are not a target of this rule.
	if v, _ := model.Find(sp.Events[0].Attributes, "user.email"); v.Str != "e@example.com" {
		t.Errorf("event attribute changed: %v", v)
	}
	if st := e.Stats()[0]; st.Spans != 1 || st.Masked != 3 || len(st.Samples) != 3 {
		t.Errorf("stats = %+v", st)
	}
}

// TestHashVectors checks the attributes hash action on every value type
// against SHA-256 computed here from the documented byte layout, and
// against two constants from outside Go: SHA-256("") and SHA-256("abc")
// (FIPS 180-2), and HMAC-SHA-256 RFC 4231 test case 2.
func TestHashVectors(t *testing.T) {
	le := func(u uint64) []byte {
		b := make([]byte, 8)
		for i := range b {
			b[i] = byte(u >> (8 * i))
		}
		return b
	}
	tests := []struct {
		in   model.Value
		want string
	}{
		{model.StringValue(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{model.StringValue("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{model.StringValue("alice@example.com"), sha([]byte("alice@example.com"))},
		{model.BoolValue(true), sha([]byte{1})},
		{model.BoolValue(false), sha([]byte{0})},
		{model.IntValue(42), sha(le(42))},
		{model.IntValue(-1), sha(le(math.MaxUint64))},
		{model.DoubleValue(3.5), sha(le(math.Float64bits(3.5)))},
		{model.BytesValue([]byte("x")), ""},
		{model.ArrayValue(model.StringValue("a")), ""},
		{model.MapValue(model.Str("a", "b")), ""},
		{model.Value{}, ""},
	}
	for _, tc := range tests {
		if got := HashValue(tc.in, nil); got.Type != model.ValueString || got.Str != tc.want {
			t.Errorf("hash(%v %q) = %q, want %q", tc.in.Type, tc.in.AsString(), got.Str, tc.want)
		}
	}
	got := HashValue(model.StringValue("what do ya want for nothing?"), []byte("Jefe"))
	if got.Str != "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
		t.Errorf("HMAC-SHA-256 RFC 4231 case 2 = %s", got.Str)
	}
}
