// Package smapstest reads this process's /proc/self/smaps for tests of
// what internal/hugeheap and internal/codepages did to its mappings.
package smapstest

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Entry returns the fields of the /proc/self/smaps entry of the mapping
// holding addr: each line's first field (such as "Rss:" or "VmFlags:")
// to the fields after it. It fails t when no mapping holds addr.
func Entry(t testing.TB, addr uintptr) map[string][]string {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var entry map[string][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(fields[0], "-"); ok && !strings.HasSuffix(fields[0], ":") {
			a, err1 := strconv.ParseUint(lo, 16, 64)
			b, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil {
				if entry != nil {
					return entry
				}
				if uint64(addr) >= a && uint64(addr) < b {
					entry = map[string][]string{}
				}
				continue
			}
		}
		if entry != nil {
			entry[fields[0]] = fields[1:]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if entry == nil {
		t.Fatalf("no mapping holds %#x", addr)
	}
	return entry
}

// KiB returns the size field name ("Rss:", "AnonHugePages:") of entry in
// KiB, 0 when it has none.
func KiB(entry map[string][]string, name string) int {
	v := entry[name]
	if len(v) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(v[0])
	return n
}
