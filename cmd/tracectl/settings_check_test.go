package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/internal/ui"
)

// TestConfigKeys: a config key or TRACECTL_ variable that names no setting
// is an error with its position and the nearest valid name; valid ones
// (persistent, a command's, a subcommand's) pass.
func TestConfigKeys(t *testing.T) {
	root := newRootCmd(&globals{io: &ui.IO{}})
	dir := t.TempDir()
	tests := []struct {
		yaml, want string
	}{
		{"bucket: mem://\ntenant: a\nquery:\n  limit: 3\nredact:\n  scan:\n    detectors: [email]\ningest:\n  max-block-traces: 5\n", ""},
		{"bucket: mem://\nquerry:\n  limit: 3\n", `c.yaml:2:1: unknown key "querry"; did you mean "query"?`},
		{"query:\n  limt: 3\n", `c.yaml:2:3: unknown key "query.limt"; did you mean "query.limit"?`},
		{"redact:\n  scan:\n    detector: email\n", `c.yaml:3:5: unknown key "redact.scan.detector"; did you mean "redact.scan.detectors"?`},
		{"zzzzzz: 1\n", `c.yaml:1:1: unknown key "zzzzzz"`},
		{"query: 3\n", `c.yaml:1:1: "query" holds the settings of a command: want a mapping of its flags (query: {flag: value})`},
	}
	for _, tc := range tests {
		p := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(p, []byte(tc.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		err := checkConfigKeys(settingKeys(root), p)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.yaml, err)
			}
			continue
		}
		if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want it to end with %s", tc.yaml, err, tc.want)
		}
	}
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{[]string{"PATH=/bin", "TRACECTL_BUCKET=mem://", "TRACECTL_QUERY_LIMIT=3", "TRACECTL_INGEST_SKIP_BAD=true", "TRACECTL_REDACT_SCAN_DETECTORS=email", "TRACECTL_TEST_SEAWEEDFS=x", "TRACECTL_HUGEPAGES=0"}, ""},
		{[]string{"TRACECTL_QUERRY_LIMIT=3"}, "environment variable TRACECTL_QUERRY_LIMIT names no setting; did you mean TRACECTL_QUERY_LIMIT?"},
		{[]string{"TRACECTL_NOPE=1"}, "environment variable TRACECTL_NOPE names no setting"},
	} {
		err := checkEnv(settingKeys(root), tc.env)
		if (err == nil) != (tc.want == "") || err != nil && err.Error() != tc.want {
			t.Errorf("%v: err = %v, want %q", tc.env, err, tc.want)
		}
	}
}

// TestSetsSomething: the environment is checked (every setting's name
// worked out) only when it holds a TRACECTL_ variable other than the
// tests' and the runtime's.
func TestSetsSomething(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want bool
	}{
		{nil, false},
		{[]string{"PATH=/bin", "HOME=/root"}, false},
		{[]string{"TRACECTL_TEST_SEAWEEDFS=x", "TRACECTL_HUGEPAGES=0", "TRACECTL_PREFAULT=0", "TRACECTL_FIXTURES=/x"}, false},
		{[]string{"PATH=/bin", "TRACECTL_BUCKET=mem://"}, true},
		{[]string{"TRACECTL_NOPE=1"}, true},
		{[]string{"TRACECTL_=1"}, true},
	} {
		if got := setsSomething(tc.env); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.env, got, tc.want)
		}
	}
}

// TestRuntimeVariables: TRACECTL_HUGEPAGES and TRACECTL_PREFAULT, the
// switches README gives for huge pages and for mapping the code ahead,
// name no setting but leave commands working; a variable that names
// nothing still fails them.
func TestRuntimeVariables(t *testing.T) {
	for _, name := range []string{"TRACECTL_HUGEPAGES", "TRACECTL_PREFAULT"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, "0")
			if code, _, stderr := run(t, "version"); code != 0 {
				t.Fatalf("version with %s=0: exit %d\n%s", name, code, stderr)
			}
			t.Setenv(name+"S", "0")
			if code, _, stderr := run(t, "version"); code != 2 || !strings.Contains(stderr, name+"S names no setting") {
				t.Fatalf("version with %sS=0: exit %d\n%s", name, code, stderr)
			}
		})
	}
}

// TestSettingValueErrors: a bad value from the environment or the config
// file names its variable, or the file and key, the flag, and what the
// value should look like (not strconv's function names); the variable
// wins over the file, as it does when both are good.
func TestSettingValueErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("query:\n  limit: abc\ningest:\n  skip-bad: maybe\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cols := filepath.Join(dir, "cols.yaml")
	if err := os.WriteFile(cols, []byte("ingest:\n  dedicated-columns:\n    - {scope: span, name: a}\n    - {scope: span, nam: b}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env  []string // name, value
		args []string
		want string
	}{
		{[]string{"TRACECTL_INGEST_SKIP_BAD", "yes"}, []string{"ingest", dir}, `TRACECTL_INGEST_SKIP_BAD: invalid value "yes" for --skip-bad: want true or false`},
		{[]string{"TRACECTL_PROGRESS", "bogus"}, []string{"blocks", "ls"}, `TRACECTL_PROGRESS: invalid value "bogus" for --progress: must be one of auto|always|never`},
		{[]string{"TRACECTL_QUERY_LIMIT", "99999999999999999999"}, []string{"query", "{}"}, `TRACECTL_QUERY_LIMIT: invalid value "99999999999999999999" for --limit: out of range`},
		{nil, []string{"--config", cfg, "query", "{}"}, `config ` + cfg + `: query.limit: invalid value "abc" for --limit: want a number`},
		{[]string{"TRACECTL_QUERY_LIMIT", "x1"}, []string{"--config", cfg, "query", "{}"}, `TRACECTL_QUERY_LIMIT: invalid value "x1" for --limit: want a number`},
		// An empty variable is no setting: the file's value is used.
		{[]string{"TRACECTL_QUERY_LIMIT", ""}, []string{"--config", cfg, "query", "{}"}, `config ` + cfg + `: query.limit: invalid value "abc" for --limit: want a number`},
		// A list is not quoted back, nor are the line numbers of its
		// re-encoding given.
		{nil, []string{"--config", cols, "ingest", dir}, `config ` + cols + `: ingest.dedicated-columns: invalid value for --dedicated-columns: want a list of {scope, name, type}: unknown field "nam" (want scope, name, type or options)`},
	} {
		t.Run(tc.want[:20], func(t *testing.T) {
			if tc.env != nil {
				t.Setenv(tc.env[0], tc.env[1])
			}
			code, _, stderr := run(t, append([]string{"--bucket", "mem://"}, tc.args...)...)
			if code != exitError || strings.TrimSpace(stderr) != "tracectl: "+tc.want {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, exitError, tc.want)
			}
		})
	}
}
