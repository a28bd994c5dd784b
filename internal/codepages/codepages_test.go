package codepages

import (
	"go/build"
	"testing"
)

func TestTextMapping(t *testing.T) {
	const maps = "00400000-01a27000 r-xp 00000000 fd:01 1234   /usr/local/bin/tracectl\n" +
		"01a27000-031e9000 r--p 01627000 fd:01 1234   /usr/local/bin/tracectl\n" +
		"031e9000-03338000 rw-p 02de9000 fd:01 1234   /usr/local/bin/tracectl\n" +
		"garbage line\n" +
		"7ffd4f000000-7ffd4f021000 rw-p 00000000 00:00 0  [stack]\n" +
		"7ffd4f1f0000-7ffd4f1f2000 r-xp 00000000 00:00 0  [vdso]"
	for _, c := range []struct {
		name   string
		maps   string
		pc     uintptr
		lo, hi uintptr
		ok     bool
	}{
		{"in the text segment", maps, 0x500000, 0x400000, 0x1a27000, true},
		{"its first byte", maps, 0x400000, 0x400000, 0x1a27000, true},
		{"read-only data is not code", maps, 0x1a27000, 0x1a27000, 0x31e9000, false},
		{"writable data", maps, 0x31e9000, 0x31e9000, 0x3338000, false},
		{"the last line, without a newline", maps, 0x7ffd4f1f1000, 0x7ffd4f1f0000, 0x7ffd4f1f2000, true},
		{"in no mapping", maps, 0x100, 0, 0, false},
		{"empty maps", "", 0x500000, 0, 0, false},
		{"bounds not in hexadecimal", "0040000g-01a27000 r-xp 0 0 0 x\n", 0x500000, 0, 0, false},
		{"no permissions", "00400000-01a27000\n", 0x500000, 0, 0, false},
		{"reversed bounds", "01a27000-00400000 r-xp 0 0 0 x\n", 0x500000, 0, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			lo, hi, ok := textMapping(c.maps, c.pc)
			if ok != c.ok || (ok && (lo != c.lo || hi != c.hi)) {
				t.Errorf("textMapping(%#x) = %#x, %#x, %v; want %#x, %#x, %v", c.pc, lo, hi, ok, c.lo, c.hi, c.ok)
			}
		})
	}
}

func TestResidentRuns(t *testing.T) {
	for _, c := range []struct {
		name string
		vec  []byte
		max  int
		want [][2]int
		ok   bool
	}{
		{"all resident", []byte{1, 1, 1, 1}, 4, [][2]int{{0, 4}}, true},
		{"none", []byte{0, 0, 0}, 4, nil, true},
		{"empty", nil, 4, nil, true},
		{"runs", []byte{1, 0, 1, 1, 0, 0, 1}, 4, [][2]int{{0, 1}, {2, 4}, {6, 7}}, true},
		{"only bit 0 counts", []byte{2, 3, 0x81, 0}, 4, [][2]int{{1, 3}}, true},
		{"more runs than allowed", []byte{1, 0, 1, 0, 1}, 2, [][2]int{{0, 1}, {2, 3}}, false},
		{"exactly as many as allowed", []byte{1, 0, 1}, 2, [][2]int{{0, 1}, {2, 3}}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := residentRuns(c.vec, c.max)
			if ok != c.ok || len(got) != len(c.want) {
				t.Fatalf("residentRuns(%v, %d) = %v, %v; want %v, %v", c.vec, c.max, got, ok, c.want, c.ok)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("residentRuns(%v, %d) = %v; want %v", c.vec, c.max, got, c.want)
				}
			}
		})
	}
}

func TestParseHex(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uintptr
		ok   bool
	}{
		{"00400000", 0x400000, true},
		{"7ffd4f1f0000", 0x7ffd4f1f0000, true},
		{"ffffffffffffffff", ^uintptr(0), true},
		{"1ffffffffffffffff", 0, false}, // 17 digits
		{"", 0, false},
		{"0x10", 0, false},
		{"ABC", 0, false}, // /proc/self/maps writes lower case
	} {
		got, ok := parseHex(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("parseHex(%q) = %#x, %v; want %#x, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestImportsOnlySyscall keeps the package's imports to syscall, unsafe
// and internal/sysfile (which imports only syscall), so that its init
// comes before most of the code it maps has run
// (see the note on imports in internal/hugeheap).
func TestImportsOnlySyscall(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range pkg.Imports {
		if path != "syscall" && path != "unsafe" && path != "github.com/tracectl/tracectl/internal/sysfile" {
			t.Errorf("the package imports %s", path)
		}
	}
}

// FuzzTextMapping: any maps text and address give no panic, and a mapping
// found holds the address and comes from a line of the text.
func FuzzTextMapping(f *testing.F) {
	f.Add("00400000-01a27000 r-xp 00000000 fd:01 1234 /bin/tracectl\n", uint64(0x500000))
	f.Add("7ffd4f1f0000-7ffd4f1f2000 r-xp 00000000 00:00 0  [vdso]", uint64(0x7ffd4f1f1000))
	f.Add("0-1 rwx", uint64(0))
	f.Add("-\n- \n", uint64(1))
	f.Fuzz(func(t *testing.T, maps string, pc uint64) {
		lo, hi, ok := textMapping(maps, uintptr(pc))
		if !ok {
			return
		}
		if !(lo <= uintptr(pc) && uintptr(pc) < hi) {
			t.Fatalf("textMapping(%q, %#x) = [%#x, %#x)", maps, pc, lo, hi)
		}
	})
}
