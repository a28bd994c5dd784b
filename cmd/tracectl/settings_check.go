package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/tracectl/tracectl/internal/codepages"
	"github.com/tracectl/tracectl/internal/hugeheap"
	"github.com/tracectl/tracectl/internal/suggest"
)

// settingKeys returns every config-file key tracectl reads: the persistent
// flags by name, every command's own flags as "<command path>.<flag>"
// (e.g. ingest.max-block-traces, redact.scan.detectors).
func settingKeys(root *cobra.Command) map[string]bool {
	keys := map[string]bool{}
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) { keys[f.Name] = true })
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if prefix := commandKey(c); prefix != "" {
			c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
				if f.Name != "help" {
					keys[prefix+"."+f.Name] = true
				}
			})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	delete(keys, "config")
	return keys
}

// checkConfigKeys rejects a config file key that names no setting (keys:
// settingKeys), with
// its file:line:col and the closest key at the same level, as Prometheus,
// Tempo and the Collector do: a misspelt key would otherwise be ignored.
func checkConfigKeys(keys map[string]bool, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return nil // viper reports syntax errors; an empty file sets nothing
	}
	var check func(n *yaml.Node, prefix string) error
	check = func(n *yaml.Node, prefix string) error {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := prefix + k.Value
			if keys[key] {
				continue
			}
			if hasPrefixKey(keys, key+".") {
				if v.Kind != yaml.MappingNode {
					return fmt.Errorf("config %s:%d:%d: %q holds the settings of a command: want a mapping of its flags (%s: {flag: value})",
						path, k.Line, k.Column, key, k.Value)
				}
				if err := check(v, key+"."); err != nil {
					return err
				}
				continue
			}
			msg := fmt.Sprintf("config %s:%d:%d: unknown key %q", path, k.Line, k.Column, key)
			if near := suggest.Closest(key, siblings(keys, prefix)); near != "" {
				msg += fmt.Sprintf("; did you mean %q?", near)
			}
			return fmt.Errorf("%s", msg)
		}
		return nil
	}
	return check(doc.Content[0], "")
}

// checkEnv rejects TRACECTL_* environment variables that name no setting
// (the development ones the tests and benchmarks read, and those read as
// tracectl starts, are left alone).
func checkEnv(keys map[string]bool, environ []string) error {
	known := map[string]string{"TRACECTL_CONFIG": "config"}
	for k := range keys {
		known[envName(k)] = k
	}
	var names []string
	for k := range known {
		names = append(names, k)
	}
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !settingVar(name) || known[name] != "" {
			continue
		}
		msg := fmt.Sprintf("environment variable %s names no setting", name)
		if near := suggest.Closest(name, names); near != "" {
			msg += fmt.Sprintf("; did you mean %s?", near)
		}
		return fmt.Errorf("%s", msg)
	}
	return nil
}

// setsSomething reports whether environ holds a variable checkEnv looks
// at (settingVar).
func setsSomething(environ []string) bool {
	for _, kv := range environ {
		if name, _, _ := strings.Cut(kv, "="); settingVar(name) {
			return true
		}
	}
	return false
}

// settingVar reports whether name is a TRACECTL_ variable that must name a
// setting: not one of the tests' or the runtime's.
func settingVar(name string) bool {
	return strings.HasPrefix(name, "TRACECTL_") && !devEnv(name) && !runtimeEnv(name)
}

// envName is the environment variable of a config key.
func envName(key string) string {
	return "TRACECTL_" + strings.ToUpper(envKeyReplacer.Replace(key))
}

var envKeyReplacer = strings.NewReplacer("-", "_", ".", "_")

// devEnv reports the variables of tracectl's own tests and benchmarks.
func devEnv(name string) bool {
	for _, p := range []string{"TRACECTL_TEST_", "TRACECTL_BENCH_", "TRACECTL_DIFF_"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return name == "TRACECTL_FIXTURES" || name == "TRACECTL_AZURITE_DIR"
}

// runtimeEnv reports the variables read as tracectl starts, before any
// setting: not settings, and not mistakes either.
func runtimeEnv(name string) bool { return name == hugeheap.EnvVar || name == codepages.EnvVar }

func hasPrefixKey(keys map[string]bool, prefix string) bool {
	for k := range keys {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// siblings returns the names valid right after prefix (keys and command
// names), each with the prefix.
func siblings(keys map[string]bool, prefix string) []string {
	seen := map[string]bool{}
	for k := range keys {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			first, _, _ := strings.Cut(rest, ".")
			seen[prefix+first] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
