package hugeheap

import (
	"errors"
	"go/build"
	"strings"
	"testing"
)

func TestThpMode(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"always [madvise] never\n", "madvise"},
		{"[always] madvise never\n", "always"},
		{"always madvise [never]\n", "never"},
		{"always defer defer+madvise [madvise] never", "madvise"},
		{"always madvise never", ""},
		{"", ""},
		{"[]", ""},
	} {
		if got := thpMode(c.in); got != c.want {
			t.Errorf("thpMode(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestUsablePage(t *testing.T) {
	for _, c := range []struct {
		page uint64
		want bool
	}{
		{2 << 20, true},   // x86-64, arm64 with 4 KiB pages
		{32 << 20, false}, // arm64 with 16 KiB pages: two in the block at most
		{512 << 20, false},
		{16 << 20, true},
		{3 << 20, false},
		{0, false},
	} {
		if got := usablePage(c.page); got != c.want {
			t.Errorf("usablePage(%d) = %v, want %v", c.page, got, c.want)
		}
	}
}

func TestWanted(t *testing.T) {
	const madvise, always = "always [madvise] never\n", "[always] madvise never\n"
	for _, c := range []struct {
		name, mode, env, godebug string
		want                     bool
	}{
		{"madvise mode", madvise, "", "", true},
		{"always mode: huge pages without asking", always, "", "", false},
		{"never mode", "always madvise [never]", "", "", false},
		{"unreadable mode", "", "", "", false},
		{"turned off", madvise, "0", "", false},
		{"other values leave it on", madvise, "1", "", true},
		{"the runtime's switch", madvise, "", "gctrace=1,disablethp=1", false},
		{"the runtime's switch off", madvise, "", "disablethp=0", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("TRACECTL_HUGEPAGES", c.env)
			t.Setenv("GODEBUG", c.godebug)
			if got := wanted(c.mode); got != c.want {
				t.Errorf("wanted = %v, want %v", got, c.want)
			}
		})
	}
}

func TestParseUint(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"2097152\n", 2 << 20, true},
		{" 33554432 \n", 32 << 20, true},
		{"0", 0, true},
		{"18446744073709551615", 0, false}, // 20 digits: refused rather than risk overflow
		{"", 0, false},
		{"\n", 0, false},
		{"2M", 0, false},
		{"-1", 0, false},
	} {
		got, ok := parseUint(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("parseUint(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestThpDisabled(t *testing.T) {
	for _, c := range []struct {
		godebug string
		want    bool
	}{
		{"gctrace=1,disablethp=1", true},
		{"disablethp=1", true},
		{"disablethp=2", true},
		{"disablethp=0", false},
		{"disablethp=1,disablethp=0", false},
		{"xdisablethp=1", false},
		{"disablethp=yes", false},
		{"disablethp=1,disablethp=x", true}, // the runtime ignores x
		{"", false},
	} {
		if got := thpDisabled(c.godebug); got != c.want {
			t.Errorf("thpDisabled(%q) = %v, want %v", c.godebug, got, c.want)
		}
	}
}

// TestImportsOnlySyscall keeps the package's imports to runtime, syscall,
// unsafe and internal/sysfile (which imports only syscall): with os,
// strings or strconv its init waits for some 90
// other packages (see hugeheap_linux.go), still correct but later.
func TestImportsOnlySyscall(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range pkg.Imports {
		if path != "runtime" && path != "syscall" && path != "unsafe" && path != "github.com/tracectl/tracectl/internal/sysfile" {
			t.Errorf("the package imports %s", path)
		}
	}
}

func TestIsIngest(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"tracectl", "ingest", "f.json"}, true},
		{[]string{"/usr/bin/tracectl", "--bucket", "s3://b", "--tenant", "t", "ingest", "-"}, true},
		{[]string{"tracectl", "--bucket=file:///x", "--strict", "ingest"}, true},
		{[]string{"tracectl", "--progress", "never", "--config", "c.yaml", "ingest"}, true},
		// Cobra takes the next argument as the value of any flag it
		// does not know as a bool, ingest's own flags among them.
		{[]string{"tracectl", "--memory-budget", "512MiB", "ingest", "d"}, true},
		{[]string{"tracectl", "--format", "otlp-proto", "ingest", "d"}, true},
		{[]string{"tracectl", "-o", "json", "ingest", "d"}, true},
		{[]string{"tracectl", "--", "ingest"}, false},
		{[]string{"tracectl", "query", "{ }"}, false},
		{[]string{"tracectl", "--tenant", "ingest", "query", "{ }"}, false},
		{[]string{"tracectl", "--bucket", "ingest"}, false},
		{[]string{"tracectl", "--strict", "query", "ingest"}, false},
		{[]string{"tracectl", "help", "ingest"}, false},
		{[]string{"/opt/ingest/ingest"}, false},
		{[]string{"tracectl"}, false},
		{[]string{"tracectl", "ingestx"}, false},
		{[]string{""}, false},
	} {
		cmdline := strings.Join(tc.args, "\x00") + "\x00"
		if got := isIngest(cmdline); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.args, got, tc.want)
		}
	}
	if isIngest("") || isIngest("\x00\x00\x00") || isIngest("tracectl\x00--bucket") {
		t.Error("isIngest of an empty or cut command line")
	}
}

func TestRoomFor(t *testing.T) {
	inf := ^uint64(0)
	for _, tc := range []struct {
		limit uint64
		mode  string
		err   error
		want  bool
	}{
		{inf, "0\n", nil, true},
		{inf, "1\n", nil, true},
		{inf, "2\n", nil, false},
		{4 << 30, "0\n", nil, false},
		{inf, "", nil, false},
		{inf, "0\n", errors.New("no /proc"), false},
	} {
		if got := roomFor(tc.limit, []byte(tc.mode), tc.err); got != tc.want {
			t.Errorf("roomFor(%d, %q, %v) = %v, want %v", tc.limit, tc.mode, tc.err, got, tc.want)
		}
	}
}
