package traceqltest

import (
	"errors"
	"os"
	"path/filepath"
)

// FixtureRoot returns the absolute path of shared/testdata/external, the
// folder `load` paths are relative to: $TRACECTL_FIXTURES if set, else
// ../shared/testdata/external beside the module root (the directory with
// go.mod above the working directory).
func FixtureRoot() (string, error) {
	if d := os.Getenv("TRACECTL_FIXTURES"); d != "" {
		return filepath.Abs(d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			cand := filepath.Clean(filepath.Join(dir, "..", "shared", "testdata", "external"))
			if _, err := os.Stat(cand); err != nil {
				return "", err
			}
			return cand, nil
		}
		if filepath.Dir(dir) == dir {
			return "", errors.New("no go.mod above the working directory")
		}
	}
}
