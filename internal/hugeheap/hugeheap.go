// Package hugeheap backs the first 64 MiB of the Go heap with transparent
// huge pages where the kernel gives them only on request (THP mode
// "madvise", the default of Debian and Ubuntu). Only package main imports
// it, for its init:
//
//	import _ "github.com/tracectl/tracectl/internal/hugeheap"
//
// A tracectl command is short and its heap is fresh memory: every 4 KiB
// page it touches for the first time is a page fault, and on virtual
// machines a fault costs 8-12 µs. A limit-20 search on 100k spans took
// 3,300-5,000 faults, a third of its time. The runtime does not ask for
// huge pages itself (go.dev/issue/63334), and the mapping it grows the
// heap into later is new each time, so advice given ahead is lost. So
// init allocates a 64 MiB block, advises MADV_HUGEPAGE on the 2 MiB
// pages inside it and frees it with a collection: the heap keeps the
// mapping, hands it out again first (its allocator takes the lowest free
// pages), and a fault in it maps 2 MiB at once.
//
// It does nothing with the kernel's THP mode "always" (huge pages come
// without asking) or "never", off Linux, with GODEBUG=disablethp=1 (the
// runtime's switch for the same) or with TRACECTL_HUGEPAGES=0.
package hugeheap

import (
	"os"
	"strings"
)

// regionBytes is the heap the advice covers: a read command's heap at
// 1M spans stays within it for the most part (its memory limit is 200
// MiB), and a larger region bought nothing measurable.
const regionBytes = 64 << 20

// hugePage is the size of a transparent huge page on the platforms that
// have them (x86-64, arm64 with 4 KiB pages).
const hugePage = 2 << 20

// advised is the address range given MADV_HUGEPAGE, if any.
var advised struct{ lo, hi uintptr }

// Advised returns the heap range init advised, and whether it did.
func Advised() (lo, hi uintptr, ok bool) {
	return advised.lo, advised.hi, advised.hi > advised.lo
}

// wanted reports whether init should advise: not turned off, and the
// kernel's THP mode (the contents of
// /sys/kernel/mm/transparent_hugepage/enabled) is "madvise".
func wanted(mode string) bool {
	if os.Getenv("TRACECTL_HUGEPAGES") == "0" || strings.Contains(os.Getenv("GODEBUG"), "disablethp=1") {
		return false
	}
	return thpMode(mode) == "madvise"
}

// thpMode returns the selected mode of a THP "enabled" file ("always
// [madvise] never" → "madvise"), or "" when none is marked.
func thpMode(s string) string {
	for _, f := range strings.Fields(s) {
		if len(f) > 2 && f[0] == '[' && f[len(f)-1] == ']' {
			return f[1 : len(f)-1]
		}
	}
	return ""
}
