package ingest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Spilled runs live in a directory of the temporary directory named
// runDirPrefix, the ingesting process's ID, "-" and a random suffix, and
// are removed when ingest returns. A killed ingest cannot remove them:
// the next ingest does, for every directory whose process is gone.
const runDirPrefix = "tracectl-ingest-"

// runDirPattern is the os.MkdirTemp pattern of this process's directory.
func runDirPattern() string { return fmt.Sprintf("%s%d-", runDirPrefix, os.Getpid()) }

// legacyRunDirAge is how old a directory of the earlier naming (no
// process ID) must be before it is taken for a killed ingest's.
const legacyRunDirAge = 24 * time.Hour

// removeDeadRuns removes the run directories under dir of ingests that
// are no longer running, and returns the paths it removed. Directories of
// live processes, and ones it cannot tell, are left alone.
func removeDeadRuns(dir string) []string {
	if dir == "" {
		dir = os.TempDir()
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), runDirPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		if !deadRunDir(name, e) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if os.RemoveAll(p) == nil {
			removed = append(removed, p)
		}
	}
	return removed
}

// deadRunDir reports whether the run directory whose name ends in suffix
// belongs to an ingest that is gone: its process is not running, or (for
// names without a process ID) it is older than legacyRunDirAge.
func deadRunDir(suffix string, e os.DirEntry) bool {
	pidText, _, hasPID := strings.Cut(suffix, "-")
	if pid, err := strconv.Atoi(pidText); hasPID && err == nil && pid > 0 {
		return pid != os.Getpid() && !processAlive(pid)
	}
	info, err := e.Info()
	return err == nil && time.Since(info.ModTime()) > legacyRunDirAge
}
