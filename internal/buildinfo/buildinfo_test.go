package buildinfo

import (
	"encoding/json"
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	base := Info{Version: Devel, GoVersion: "go0", BlockFormat: "vParquet4", Platform: "linux/amd64"}
	for _, tc := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"checkout, dirty", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "4cf7691abc"}, {Key: "vcs.time", Value: "2026-08-20T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
		}}, "tracectl (devel)\ncommit: 4cf7691abc (dirty) 2026-08-20T10:00:00Z\ngo: go1.26.8\nblock format: vParquet4\nplatform: linux/amd64\n"},
		{"tagged module, clean", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"},
		}}, "tracectl v1.2.3\ncommit: abc\ngo: go1.26.8\nblock format: vParquet4\nplatform: linux/amd64\n"},
		{"no VCS, no version (test binary)", debug.BuildInfo{}, "tracectl (devel)\ncommit: unknown\ngo: go0\nblock format: vParquet4\nplatform: linux/amd64\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fromBuildInfo(&tc.bi, base).String(); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestJSONLeavesOutUnknownCommit: a build without VCS information has no
// commit keys in its JSON (an absent value is left out, never ""); one
// with it has both.
func TestJSONLeavesOutUnknownCommit(t *testing.T) {
	for _, tc := range []struct {
		info Info
		want string
	}{
		{Info{Version: Devel, GoVersion: "go1.26.8", BlockFormat: "vParquet4", Platform: "linux/amd64"},
			`{"version":"(devel)","dirty":false,"goVersion":"go1.26.8","blockFormat":"vParquet4","platform":"linux/amd64"}`},
		{Info{Version: "v1.2.3", Commit: "4cf7691c5d0b", CommitTime: "2026-08-20T10:00:00Z", Dirty: true, GoVersion: "go1.26.8", BlockFormat: "vParquet4", Platform: "linux/amd64"},
			`{"version":"v1.2.3","commit":"4cf7691c5d0b","commitTime":"2026-08-20T10:00:00Z","dirty":true,"goVersion":"go1.26.8","blockFormat":"vParquet4","platform":"linux/amd64"}`},
	} {
		b, err := json.Marshal(tc.info)
		if err != nil || string(b) != tc.want {
			t.Errorf("%+v: %s (%v), want %s", tc.info, b, err, tc.want)
		}
	}
}
