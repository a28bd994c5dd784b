package redact

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadRules holds every *.bad.yaml to its first error, with position.
func TestBadRules(t *testing.T) {
	want := map[string]string{
		"bad-regex.bad.yaml":           "bad-regex.bad.yaml:9:7: rule \"broken\": bad pattern \"(unclosed\": missing closing ): `(unclosed`",
		"both.bad.yaml":                "both.bad.yaml:2:5: rule \"both\": set either attributes or redaction, not both",
		"detector.bad.yaml":            "detector.bad.yaml:5:26: rule \"d\": unknown detector \"passport\" (want all, email, credit_card, ipv4, ipv6, jwt, bearer_token, aws_access_key)",
		"duplicate.bad.yaml":           "duplicate.bad.yaml:5:5: rule \"same\" already defined at line 2",
		"empty.bad.yaml":               "empty.bad.yaml: empty rules file: want a list under \"rules:\"",
		"extract-unnamed.bad.yaml":     "extract-unnamed.bad.yaml:5:11: rule \"ex\": action \"extract\" on key \"http.url\": pattern has an unnamed group; every group must be named (?P<name>...)",
		"from-context.bad.yaml":        "from-context.bad.yaml:5:11: rule \"ctx\": action \"insert\" on key \"tenant\": from_context reads the request that carried the spans, which offline data does not have",
		"hmac-no-key.bad.yaml":         "hmac-no-key.bad.yaml:6:22: rule \"keyed\": hash_function \"hmac-sha256\" needs a key (--hash-key-file)",
		"match-type.bad.yaml":          "match-type.bad.yaml:5:9: rule \"m\": include: match_type is required (strict or regexp)",
		"names-attributes.bad.yaml":    "names-attributes.bad.yaml:2:5: rule \"n\": attributes actions work on attribute maps (resource, scope, span, event, link); use a redaction rule for span_name, event_name and status_message",
		"resource-span-match.bad.yaml": "resource-span-match.bad.yaml:6:9: rule \"r\": include: span_names, span_kinds, attributes and libraries select spans, so the rule cannot apply_to resource or scope; use services or resources",
		"syntax.bad.yaml":              "syntax.bad.yaml:3:1: did not find expected node content",
		"unknown-action.bad.yaml":      "unknown-action.bad.yaml:5:19: rule \"rule-1\": unknown action \"scramble\" (want insert, update, upsert, delete, hash, extract or convert)",
		"unknown-field.bad.yaml":       "unknown-field.bad.yaml:7:11: unknown field \"vaule\" (want one of key, action, pattern, value, from_attribute, from_context, default_value, converted_type)",
	}
	files, err := filepath.Glob("testdata/bad/*.bad.yaml")
	if err != nil || len(files) != len(want) {
		t.Fatalf("%d bad files, want %d (%v)", len(files), len(want), err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Compile(name, src, Options{})
		if err == nil {
			t.Errorf("%s: compiled", name)
			continue
		}
		if got := err.Error(); got != want[name] {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want[name])
		}
	}
}

func TestErrorListCountsTheRest(t *testing.T) {
	src := "rules:\n  - name: a\n    attributes:\n      actions:\n        - {key: a, action: nope}\n        - {key: b, action: convert, converted_type: bool}\n"
	_, err := Compile("r.yaml", []byte(src), Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "r.yaml:5:28: ") || !strings.HasSuffix(err.Error(), "(and 1 more errors)") {
		t.Fatalf("err = %v", err)
	}
	list := err.(ErrorList)
	if list[1].Pos.Line != 6 || !strings.Contains(list[1].Msg, `converted_type "bool"`) {
		t.Errorf("second error = %v", list[1])
	}
}

func TestGoodRules(t *testing.T) {
	e, err := Load("testdata/rules.good.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(e.Rules(), ","); got != "drop-secrets,pseudonymise-user,mask-pii" {
		t.Errorf("rules = %s", got)
	}
	e2, _ := Load("testdata/rules.good.yaml", Options{HashKey: []byte("k")})
	if e.Digest() == e2.Digest() {
		t.Error("the key does not change the digest")
	}
}

// TestREADMEExample compiles the rules example of the README's redact
// section, so the documentation cannot drift into invalid rules.
func TestREADMEExample(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "\n## redact\n")
	if !ok {
		t.Fatal("README has no redact section")
	}
	_, block, ok := strings.Cut(sec, "```yaml\n")
	if !ok {
		t.Fatal("no yaml block in the redact section")
	}
	block, _, _ = strings.Cut(block, "```")
	e, err := Compile("README.md", []byte(block), Options{})
	if err != nil {
		t.Fatal(err)
	}
	good, _ := Load("testdata/rules.good.yaml", Options{})
	if strings.Join(e.Rules(), ",") != strings.Join(good.Rules(), ",") {
		t.Errorf("README rules %v, testdata rules %v", e.Rules(), good.Rules())
	}
}

// TestErrorAtListItem: an unknown item of a list (apply_to, span_kinds,
// detectors) is reported at the item.
func TestErrorAtListItem(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"rules:\n  - name: r1\n    apply_to:\n      - span\n      - bogus\n    redaction: {allow_all_keys: true}\n", "r.yaml:5:9: "},
		{"rules:\n  - name: r2\n    attributes:\n      include:\n        match_type: strict\n        span_kinds:\n          - server\n          - wrong\n      actions: [{key: a, action: delete}]\n", "r.yaml:8:13: "},
		{"rules:\n  - name: r3\n    redaction:\n      allow_all_keys: true\n      detectors: [email, passport]\n", "r.yaml:5:26: "},
	} {
		_, err := Compile("r.yaml", []byte(tc.src), Options{})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: %v, want it at %s", tc.src, err, tc.want)
		}
	}
}
