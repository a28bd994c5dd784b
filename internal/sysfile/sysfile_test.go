package sysfile

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadSmall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("2097152\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		limit int
		want  string
	}{{256, "2097152\n"}, {8, "2097152\n"}, {3, "209"}} {
		got, err := ReadSmall(path, c.limit)
		if err != nil || string(got) != c.want {
			t.Errorf("ReadSmall(limit %d) = %q, %v; want %q", c.limit, got, err, c.want)
		}
	}
	if _, err := ReadSmall(filepath.Join(t.TempDir(), "missing"), 8); err == nil {
		t.Error("ReadSmall of a missing file: no error")
	}
}

func TestGetenv(t *testing.T) {
	t.Setenv("SYSFILE_TEST", "x=y")
	if got := Getenv("SYSFILE_TEST"); got != "x=y" {
		t.Errorf("Getenv = %q", got)
	}
	if got := Getenv("SYSFILE_TEST_UNSET"); got != "" {
		t.Errorf("Getenv of an unset variable = %q", got)
	}
}

func TestGodebug(t *testing.T) {
	for _, c := range []struct {
		godebug, name string
		values        []string
	}{
		{"", "disablethp", nil},
		{"disablethp=1", "disablethp", []string{"1"}},
		{"gctrace=1,memprofilerate=0", "memprofilerate", []string{"0"}},
		{"memprofilerate=1,memprofilerate=4096", "memprofilerate", []string{"1", "4096"}},
		{"xmemprofilerate=1", "memprofilerate", nil},
		{"memprofilerate", "memprofilerate", nil},
		{"gctrace=1", "memprofilerate", nil},
	} {
		var got []string
		Godebug(c.godebug, c.name, func(v string) { got = append(got, v) })
		if !slices.Equal(got, c.values) {
			t.Errorf("Godebug(%q, %q) gave %q, want %q", c.godebug, c.name, got, c.values)
		}
	}
}

// TestImportsOnlySyscall keeps the package's imports to syscall: its
// importers' inits must come early (see the package note).
func TestImportsOnlySyscall(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range pkg.Imports {
		if path != "syscall" {
			t.Errorf("the package imports %s", path)
		}
	}
}

func TestField(t *testing.T) {
	for _, c := range []struct{ in, f, rest string }{
		{"always [madvise] never\n", "always", " [madvise] never\n"},
		{"  \t00400000-01a27000 r-xp", "00400000-01a27000", " r-xp"},
		{"last", "last", ""},
		{" \n\t", "", ""},
		{"", "", ""},
	} {
		if f, rest := Field(c.in); f != c.f || rest != c.rest {
			t.Errorf("Field(%q) = %q, %q; want %q, %q", c.in, f, rest, c.f, c.rest)
		}
	}
}

// Cut splits as strings.Cut does.
func TestCut(t *testing.T) {
	for _, in := range []string{"tracectl\x00ingest\x00", "--format=otlp-json", "no separator", "", "\x00", "a\x00b\x00c"} {
		for _, sep := range []byte{0, '=', '-'} {
			b, a, ok := Cut(in, sep)
			wb, wa, wok := strings.Cut(in, string(sep))
			if b != wb || a != wa || ok != wok {
				t.Errorf("Cut(%q, %q) = %q, %q, %v; strings.Cut gives %q, %q, %v", in, sep, b, a, ok, wb, wa, wok)
			}
		}
	}
}
