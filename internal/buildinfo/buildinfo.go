// Package buildinfo says which tracectl this is: the module version, the
// VCS commit it was built from (and whether the work tree had changes), the
// Go version and the block format it writes, from the information the Go
// toolchain stamps into every binary (runtime/debug.ReadBuildInfo).
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Devel is the version of a binary built from a checkout (go build, go
// run) rather than installed as a tagged module version.
const Devel = "(devel)"

// Info describes a build. JSON field names are part of the CLI contract.
type Info struct {
	// Version is the module version ("v1.2.3") or Devel.
	Version string `json:"version"`
	// Commit is the VCS revision ("" when the build did not record one,
	// e.g. go build -buildvcs=false or a build outside a repository; left
	// out of JSON then).
	Commit string `json:"commit,omitempty"`
	// CommitTime is the commit's time, RFC 3339 ("" when unknown; left
	// out of JSON then).
	CommitTime string `json:"commitTime,omitempty"`
	// Dirty is true when the work tree had uncommitted changes.
	Dirty bool `json:"dirty"`
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string `json:"goVersion"`
	// BlockFormat is the block format the binary writes.
	BlockFormat string `json:"blockFormat"`
	// Platform is GOOS/GOARCH.
	Platform string `json:"platform"`
}

// Read returns the running binary's build information; blockFormat is
// the block format it writes.
func Read(blockFormat string) Info {
	info := Info{Version: Devel, GoVersion: runtime.Version(), BlockFormat: blockFormat,
		Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	return fromBuildInfo(bi, info)
}

// fromBuildInfo fills info from bi.
func fromBuildInfo(bi *debug.BuildInfo, info Info) Info {
	if v := bi.Main.Version; v != "" {
		info.Version = v
	}
	if bi.GoVersion != "" {
		info.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.time":
			info.CommitTime = s.Value
		case "vcs.modified":
			info.Dirty = s.Value == "true"
		}
	}
	return info
}

// String is the text of tracectl --version: the version on the first line
// ("tracectl v1.2.3" or "tracectl (devel)"), then one "key: value" line
// each for the commit (with "(dirty)" when the tree had changes), the Go
// version, the block format and the platform.
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tracectl %s\n", i.Version)
	commit := i.Commit
	if commit == "" {
		commit = "unknown"
	}
	if i.Dirty {
		commit += " (dirty)"
	}
	if i.CommitTime != "" {
		commit += " " + i.CommitTime
	}
	fmt.Fprintf(&b, "commit: %s\n", commit)
	fmt.Fprintf(&b, "go: %s\n", i.GoVersion)
	fmt.Fprintf(&b, "block format: %s\n", i.BlockFormat)
	fmt.Fprintf(&b, "platform: %s\n", i.Platform)
	return b.String()
}
