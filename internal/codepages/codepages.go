// Package codepages maps tracectl's machine code into the process as it
// starts, where the kernel holds it in the page cache already: one
// madvise(MADV_POPULATE_READ) per run of cached pages instead of a page
// fault the first time each 64 KiB of code runs. Only package main
// imports it, for its init:
//
//	import _ "github.com/tracectl/tracectl/internal/codepages"
//
// A short command runs code spread over most of the 22 MiB text segment
// (the cloud SDKs' and the protobuf registries' initialisations, cobra,
// parquet-go): a limit-20 search faulted in 237 of its 354 windows of
// 64 KiB, and on virtual machines a fault costs 8-12 µs. Mapping the whole
// segment at once takes about 1 ms (on a goroutine of its own, which
// made more faults and no measurable difference); with it the search made
// 976 page faults instead of 1,564 (the faults on code also take the
// kernel's time to map the other pages of their window). Pages not in the
// page cache are left to the faults (no read from disk is started for code
// that may never run), and so is everything but the code (read-only data
// and the writable segments): the code alone gave the same gain in half
// the extra RSS.
//
// The cost is resident memory: the whole text segment is counted in the
// process's RSS (about 9 MiB more than the faults mapped), although these
// are shared, clean pages of the page cache that the kernel reclaims like
// any other. TRACECTL_PREFAULT=0 turns it off; it does nothing off Linux.
package codepages

import "github.com/tracectl/tracectl/internal/sysfile"

// EnvVar turns the mapping off when set to 0. It is read by init, before
// any setting: package main's check of TRACECTL_ variables must let it be.
const EnvVar = "TRACECTL_PREFAULT"

// populated is the number of bytes init mapped (for tests).
var populated uintptr

// maxRuns bounds the madvise calls: a text segment cached in more pieces
// than this is mostly faulted in as before.
const maxRuns = 64

// textMapping returns the bounds of the executable mapping that holds pc
// in maps, the contents of /proc/self/maps: lines of
// "start-end perms offset dev inode path" with hexadecimal bounds.
func textMapping(maps string, pc uintptr) (lo, hi uintptr, ok bool) {
	for len(maps) > 0 {
		var line string
		line, maps, _ = sysfile.Cut(maps, '\n')
		bounds, rest := sysfile.Field(line)
		perms, _ := sysfile.Field(rest)
		start, end, dash := sysfile.Cut(bounds, '-')
		if !dash || len(perms) < 3 {
			continue
		}
		a, ok1 := parseHex(start)
		b, ok2 := parseHex(end)
		if !ok1 || !ok2 || pc < a || pc >= b {
			continue
		}
		return a, b, a < b && perms[0] == 'r' && perms[2] == 'x'
	}
	return 0, 0, false
}

// residentRuns returns the runs of pages marked resident in vec (bit 0
// of each byte, as mincore(2) fills it) as [first, end) page indexes, at
// most maxRuns of them; ok is false when there were more.
func residentRuns(vec []byte, maxRuns int) (runs [][2]int, ok bool) {
	for i := 0; i < len(vec); {
		if vec[i]&1 == 0 {
			i++
			continue
		}
		j := i + 1
		for j < len(vec) && vec[j]&1 == 1 {
			j++
		}
		if len(runs) == maxRuns {
			return runs, false
		}
		runs = append(runs, [2]int{i, j})
		i = j
	}
	return runs, true
}

// parseHex stands in for strconv.ParseUint (fields are sysfile.Field's,
// cuts sysfile.Cut's): this package imports only syscall, unsafe and
// internal/sysfile, so that its init comes early, before most of the code
// it maps has run (see the note on imports in hugeheap_linux.go).

func parseHex(s string) (uintptr, bool) {
	if s == "" || len(s) > 16 {
		return 0, false
	}
	var n uintptr
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		default:
			return 0, false
		}
		n = n<<4 | uintptr(c)
	}
	return n, true
}
