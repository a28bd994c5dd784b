package redact

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"
)

// RulesFile is the YAML document: a list of rules.
type RulesFile struct {
	Rules []RuleConfig `yaml:"rules"`
}

// RuleConfig is one rule as written. Exactly one of Attributes and
// Redaction is set; their fields are the Collector processors' own.
type RuleConfig struct {
	Pos        Pos
	At         Fields            // positions of its values
	Name       string            `yaml:"name"`
	ApplyTo    []string          `yaml:"apply_to"`
	Attributes *AttributesConfig `yaml:"attributes"`
	Redaction  *RedactionConfig  `yaml:"redaction"`
}

// AttributesConfig is the Collector attributes processor's configuration.
type AttributesConfig struct {
	Pos     Pos
	Include *MatchConfig   `yaml:"include"`
	Exclude *MatchConfig   `yaml:"exclude"`
	Actions []ActionConfig `yaml:"actions"`
}

// ActionConfig is one attributes action.
type ActionConfig struct {
	Pos           Pos
	At            Fields // positions of its values
	Key           string `yaml:"key"`
	Action        string `yaml:"action"`
	Pattern       string `yaml:"pattern"`
	Value         any    `yaml:"value"`
	FromAttribute string `yaml:"from_attribute"`
	FromContext   string `yaml:"from_context"`
	DefaultValue  any    `yaml:"default_value"`
	ConvertedType string `yaml:"converted_type"`
}

// MatchConfig is the Collector's include/exclude block (filterconfig).
type MatchConfig struct {
	Pos        Pos
	At         Fields          // positions of its values
	MatchType  string          `yaml:"match_type"`
	Services   []string        `yaml:"services"`
	SpanNames  []string        `yaml:"span_names"`
	SpanKinds  []string        `yaml:"span_kinds"`
	Attributes []KeyValue      `yaml:"attributes"`
	Resources  []KeyValue      `yaml:"resources"`
	Libraries  []LibraryConfig `yaml:"libraries"`
	// Regexp holds the Collector's regexp cache settings; accepted and
	// ignored (every pattern is compiled once here anyway).
	Regexp *RegexpConfig `yaml:"regexp"`
}

// RegexpConfig is the Collector's regexp cache configuration.
type RegexpConfig struct {
	CacheEnabled       bool `yaml:"cacheenabled"`
	CacheMaxNumEntries int  `yaml:"cachemaxnumentries"`
}

// KeyValue matches an attribute: by presence when Value is absent.
type KeyValue struct {
	Pos   Pos
	Key   string `yaml:"key"`
	Value any    `yaml:"value"`
}

// LibraryConfig matches an instrumentation scope.
type LibraryConfig struct {
	Pos     Pos
	Name    string  `yaml:"name"`
	Version *string `yaml:"version"`
}

// RedactionConfig is the Collector redaction processor's configuration
// plus Detectors (tracectl's built-in recognisers, masked like
// blocked_values).
type RedactionConfig struct {
	Pos                Pos
	At                 Fields   // positions of its values
	AllowAllKeys       bool     `yaml:"allow_all_keys"`
	AllowedKeys        []string `yaml:"allowed_keys"`
	IgnoredKeys        []string `yaml:"ignored_keys"`
	IgnoredKeyPatterns []string `yaml:"ignored_key_patterns"`
	BlockedKeyPatterns []string `yaml:"blocked_key_patterns"`
	BlockedValues      []string `yaml:"blocked_values"`
	AllowedValues      []string `yaml:"allowed_values"`
	RedactAllTypes     bool     `yaml:"redact_all_types"`
	HashFunction       string   `yaml:"hash_function"`
	Summary            string   `yaml:"summary"`
	Detectors          []string `yaml:"detectors"`
}

// Options configure compiling rules.
type Options struct {
	// HashKey, when set, turns the attributes "hash" action into
	// HMAC-SHA-256 with this key, and is the key of the redaction
	// hash functions hmac-sha256 and hmac-sha512.
	HashKey []byte
}

// Load reads and compiles a rules file.
func Load(path string, opts Options) (*Engine, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Compile(path, b, opts)
}

// Compile parses and validates rules; file names the source in errors.
// The error is an ErrorList naming file:line:col of every problem.
func Compile(file string, src []byte, opts Options) (*Engine, error) {
	rf, err := ParseRules(file, src)
	if err != nil {
		return nil, err
	}
	c := &compiler{file: file, opts: opts}
	e := &Engine{digest: digestOf(src, opts.HashKey)}
	names := map[string]Pos{}
	for i := range rf.Rules {
		rc := &rf.Rules[i]
		r := c.rule(rc, i)
		if r == nil {
			continue
		}
		if p, dup := names[r.name]; dup {
			c.errorf(rc.Pos, "rule %q already defined at line %d", r.name, p.Line)
			continue
		}
		names[r.name] = rc.Pos
		e.rules = append(e.rules, r)
	}
	if len(c.errs) > 0 {
		c.errs.sort()
		return nil, c.errs
	}
	e.stats = make([]RuleStats, len(e.rules))
	for i, r := range e.rules {
		e.stats[i].Rule = r.name
	}
	return e, nil
}

// ParseRules decodes a rules file strictly (unknown fields are errors)
// without validating the rules' content.
func ParseRules(file string, src []byte) (*RulesFile, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, ErrorList{{File: file, Msg: "empty rules file: want a list under \"rules:\""}}
		}
		return nil, ErrorList{{File: file, Pos: yamlErrorPos(err), Msg: trimYAMLError(err)}}
	}
	var more yaml.Node
	if err := dec.Decode(&more); err == nil {
		return nil, ErrorList{{File: file, Pos: posOf(&more), Msg: "more than one YAML document"}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	d := &decoder{file: file}
	var rf RulesFile
	d.decode(root, reflectValue(&rf))
	if len(d.errs) == 0 && len(rf.Rules) == 0 {
		d.errorf(root, "no rules: want a list under \"rules:\"")
	}
	if len(d.errs) > 0 {
		d.errs.sort()
		return nil, d.errs
	}
	return &rf, nil
}

// yamlErrorPos recovers the line of a yaml.v3 syntax error ("yaml: line
// N: ..."); the column is not reported by yaml.v3.
func yamlErrorPos(err error) Pos {
	var line int
	if _, e := fmt.Sscanf(err.Error(), "yaml: line %d:", &line); e == nil {
		return Pos{Line: line, Col: 1}
	}
	return Pos{}
}
