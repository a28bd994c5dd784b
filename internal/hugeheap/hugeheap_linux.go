package hugeheap

import (
	"runtime"
	"syscall"
	"unsafe"

	"github.com/tracectl/tracectl/internal/sysfile"
)

const thpDir = "/sys/kernel/mm/transparent_hugepage/"

// (Imports: runtime, syscall, unsafe and internal/sysfile only. A
// package is initialised once all it imports are, the first in
// import-path order of those ready going first. With os, strings or
// strconv (which wait for unicode, late by its name) this init came 94th,
// and the heap pages below the block, taken by then, served the next
// allocations in 4 KiB pages: 660 of `tracectl version`'s faults. It now
// comes 20th, right after syscall, internal/codepages and
// internal/heapprof (which allocate almost nothing), and 270-330 faults
// are left there.)

func init() {
	mode, err := sysfile.ReadSmall(thpDir+"enabled", 256)
	if err != nil || !wanted(string(mode)) {
		return
	}
	size, err := sysfile.ReadSmall(thpDir+"hpage_pmd_size", 256)
	if err != nil {
		return
	}
	page, ok := parseUint(string(size))
	if !ok || !usablePage(page) {
		return
	}
	region := regionBytes
	if cmdline, err := sysfile.ReadSmall("/proc/self/cmdline", cmdlineBytes); err == nil && isIngest(string(cmdline)) && roomToReserve() {
		region += ingestExtra
	}
	if lo, hi, ok := advise(uintptr(page), region); ok {
		advised.lo, advised.hi, advised.page = lo, hi, uintptr(page)
	}
	// The block advise allocated is garbage now: collect it, so that the
	// heap hands its pages out next.
	runtime.GC()
}

// roomToReserve is roomFor on this process's limit and the system's
// overcommit mode.
func roomToReserve() bool {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &rl); err != nil {
		return false
	}
	mode, err := sysfile.ReadSmall("/proc/sys/vm/overcommit_memory", 64)
	return roomFor(rl.Cur, mode, err)
}

// advise allocates a block of n bytes and advises MADV_HUGEPAGE on the
// huge pages (of size page) inside it, returning their range. The block
// is fresh memory, which the runtime does not clear, so nothing of it is
// touched. The allocation may start a collection of its own: runtime.GC
// after it waits for that one and collects again.
func advise(page uintptr, n int) (lo, hi uintptr, ok bool) {
	b := make([]byte, n)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo = (p + page - 1) &^ (page - 1)
	hi = (p + uintptr(n)) &^ (page - 1)
	if hi <= lo {
		return 0, 0, false
	}
	return lo, hi, syscall.Madvise(b[lo-p:hi-p], syscall.MADV_HUGEPAGE) == nil
}
