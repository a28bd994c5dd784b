// Package hugeheap backs 64 MiB of the Go heap, the memory a command
// allocates first after the first few MiB, with transparent huge pages
// where the kernel gives them only on request (THP mode "madvise", the
// default of Debian and Ubuntu), and 320 MiB more for an ingest. Only
// package main imports it, for its init:
//
//	import _ "github.com/tracectl/tracectl/internal/hugeheap"
//
// A tracectl command is short and its heap is fresh memory: every 4 KiB
// page it touches for the first time is a page fault, and on virtual
// machines a fault costs 8-12 µs. A limit-20 search on 100k spans took
// 2,800-5,000 faults, a third of its time. The runtime no longer asks for
// huge pages itself (go.dev/issue/63334, go.dev/issue/61718), and the
// mapping it grows the heap into later is new each time, so advice given
// ahead is lost. So init allocates a 64 MiB block, advises MADV_HUGEPAGE
// on the huge pages inside it and frees it with a collection: the heap
// keeps the mapping, hands it out again first (its allocator takes the
// lowest free pages), and a fault in it maps a huge page at once. The
// pages below it, the heap mapped before (partly in use in 4 KiB pages,
// which advice cannot change), are advised too and collapsed into huge
// pages with MADV_COLLAPSE (see adviseBelow).
//
// The runtime stopped asking because, with the kernel's default THP
// defrag setting, a fault in an advised range may compact memory first:
// a stall on a host whose memory is fragmented. Here at most 34 faults
// or collapses can (one per huge page of the block and the two below;
// 194 for an ingest);
// TRACECTL_HUGEPAGES=0 turns the advice off.
//
// It does nothing with the kernel's THP mode "always" (huge pages come
// without asking) or "never", off Linux, where huge pages are larger than
// 16 MiB, with GODEBUG=disablethp=1 (the runtime's switch for the same)
// or with TRACECTL_HUGEPAGES=0.
package hugeheap

import "github.com/tracectl/tracectl/internal/sysfile"

// regionBytes is the heap the advice covers: a read command's heap at
// 1M spans stays within it for the most part (its memory limit is 200
// MiB), and a larger region bought nothing measurable.
const regionBytes = 64 << 20

// ingestExtra is the heap advised besides regionBytes for an ingest: its
// soft memory limit at the default --memory-budget (2.5 × 128 MiB), which
// its heap fills again and again. Ingesting 1M generated spans then made
// 5k page faults instead of 67k and took 7-9% less time. It has to be
// part of init's block: a block allocated later may start on memory the
// heap has freed, which the runtime clears first, touching every page of
// it.
const ingestExtra = 320 << 20

// cmdlineBytes bounds what init reads of /proc/self/cmdline: the flags
// before the subcommand fit (and an allocation of it stays small).
const cmdlineBytes = 4096

// BoolFlags are the flags that can precede tracectl's subcommand without
// a value: cobra, and isIngest, take the argument after any other flag
// written without "=" as its value, known flag or not (package main's
// tests check the list against its root command).
var BoolFlags = []string{"--strict", "--help", "-h", "--version"}

// isIngest reports whether cmdline (the NUL-separated arguments of
// /proc/self/cmdline) runs the ingest command: its first argument after
// the program name that is neither a flag nor a flag's value is "ingest"
// (after "--" there is no subcommand). Init runs before flags are
// parsed, hence this look. It reads cmdline in place.
func isIngest(cmdline string) bool {
	_, rest, _ := sysfile.Cut(cmdline, 0) // the program
	for rest != "" {
		var a string
		a, rest, _ = sysfile.Cut(rest, 0)
		switch {
		case a == "--":
			return false
		case len(a) > 1 && a[0] == '-':
			if _, _, value := sysfile.Cut(a, '='); !value && !isBoolFlag(a) {
				_, rest, _ = sysfile.Cut(rest, 0) // its value
			}
		default:
			return a == "ingest"
		}
	}
	return false
}

func isBoolFlag(a string) bool {
	for _, f := range BoolFlags {
		if a == f {
			return true
		}
	}
	return false
}

// roomFor reports whether reserving ingestExtra more address space is
// harmless, given the soft RLIMIT_AS (asLimit) and the contents of
// /proc/sys/vm/overcommit_memory (read with readErr): no address-space
// limit, where the runtime dies when it cannot map its heap, and no
// strict overcommit accounting (mode 2), where the reservation counts as
// used memory.
func roomFor(asLimit uint64, overcommit []byte, readErr error) bool {
	return asLimit == ^uint64(0) && readErr == nil && len(overcommit) > 0 && overcommit[0] != '2'
}

// usablePage reports whether huge pages of size page are worth advising
// regionBytes for: a power of two, and small enough that several fit
// (arm64 kernels with 16 or 64 KiB base pages have 32 or 512 MiB ones).
func usablePage(page uint64) bool {
	return page >= 4096 && page&(page-1) == 0 && page <= regionBytes/4
}

// advised is the address range given MADV_HUGEPAGE, if any, and the
// size of its huge pages (the kernel's hpage_pmd_size: 2 MiB on x86-64
// and on arm64 with 4 KiB base pages).
var advised struct{ lo, hi, page uintptr }

// EnvVar turns the advice off when set to 0. It is read by init, before
// any setting: package main's check of TRACECTL_ variables must let it be.
const EnvVar = "TRACECTL_HUGEPAGES"

// wanted reports whether init should advise: not turned off, and the
// kernel's THP mode (the contents of
// /sys/kernel/mm/transparent_hugepage/enabled) is "madvise".
func wanted(mode string) bool {
	if sysfile.Getenv(EnvVar) == "0" || thpDisabled(sysfile.Getenv("GODEBUG")) {
		return false
	}
	return thpMode(mode) == "madvise"
}

// thpMode returns the selected mode of a THP "enabled" file ("always
// [madvise] never" → "madvise"), or "" when none is marked.
func thpMode(s string) string {
	for f, rest := sysfile.Field(s); f != ""; f, rest = sysfile.Field(rest) {
		if len(f) > 2 && f[0] == '[' && f[len(f)-1] == ']' {
			return f[1 : len(f)-1]
		}
	}
	return ""
}

// thpDisabled reports whether the GODEBUG value v sets disablethp to a
// number other than 0, as the runtime reads it: the last setting that is
// a number wins (the runtime ignores others).
func thpDisabled(v string) bool {
	disabled := false
	sysfile.Godebug(v, "disablethp", func(n string) {
		if d, ok := parseUint(n); ok {
			disabled = d != 0
		}
	})
	return disabled
}

// parseUint parses the decimal number of a sysfs file such as
// hpage_pmd_size ("2097152\n"), with ASCII spaces around it. It stands in
// for strconv.ParseUint: this package imports only syscall, runtime,
// unsafe and internal/sysfile, so that its init comes early (see the note
// on imports in hugeheap_linux.go).
func parseUint(s string) (uint64, bool) {
	for len(s) > 0 && sysfile.IsSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && sysfile.IsSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	if s == "" || len(s) > 19 { // 19 digits always fit in a uint64
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + uint64(s[i]-'0')
	}
	return n, true
}
